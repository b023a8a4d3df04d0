"""ddsp.training.train_util: strategies, run-folder helpers, the train loop."""
import json
import os
import types

import logging

import gin
import pytest
import tensorflow as tf

from ddsp.training import data
from ddsp.training import summaries
from ddsp.training import train_util
import training_toys


def _touch(path, text=''):
  with open(path, 'w') as f:
    f.write(text)
  return path


# ---------------------------------------------------------------------------
# get_latest_file / get_latest_checkpoint / get_latest_operative_config.
# ---------------------------------------------------------------------------
def test_get_latest_file_picks_the_largest_integer(tmp_path):
  for n in (2, 10, 9):
    _touch(tmp_path / f'operative_config-{n}.gin')
  latest = train_util.get_latest_file(str(tmp_path))
  assert latest == str(tmp_path / 'operative_config-10.gin')


def test_get_latest_file_without_matches_raises(tmp_path):
  with pytest.raises(FileNotFoundError, match='operative_config-'):
    train_util.get_latest_file(str(tmp_path))


def test_get_latest_file_with_non_integer_raises(tmp_path):
  _touch(tmp_path / 'operative_config-abc.gin')
  with pytest.raises(FileNotFoundError, match='integer'):
    train_util.get_latest_file(str(tmp_path))


def _write_checkpoints(directory, steps):
  ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
  manager = tf.train.CheckpointManager(ckpt, str(directory), max_to_keep=10)
  for s in steps:
    manager.save(checkpoint_number=s)


def test_get_latest_checkpoint_of_a_folder_uses_the_state_file(tmp_path):
  _write_checkpoints(tmp_path, [3, 7])
  assert train_util.get_latest_checkpoint(str(tmp_path)) == str(
      tmp_path / 'ckpt-7')


def test_get_latest_checkpoint_of_a_prefix_is_the_prefix(tmp_path):
  _write_checkpoints(tmp_path, [3, 7])
  prefix = str(tmp_path / 'ckpt-3')
  assert train_util.get_latest_checkpoint(prefix) == prefix


def test_get_latest_checkpoint_without_state_file_scans_index_files(tmp_path):
  _write_checkpoints(tmp_path, [5, 12])
  os.remove(tmp_path / 'checkpoint')
  assert train_util.get_latest_checkpoint(str(tmp_path)) == str(
      tmp_path / 'ckpt-12')


def test_get_latest_checkpoint_of_an_empty_folder_raises(tmp_path):
  with pytest.raises(FileNotFoundError, match='No checkpoint'):
    train_util.get_latest_checkpoint(str(tmp_path))


def test_get_latest_operative_config_falls_back_to_parent(tmp_path):
  _touch(tmp_path / 'operative_config-0.gin')
  _touch(tmp_path / 'operative_config-40.gin')
  _write_checkpoints(tmp_path, [40])
  from_prefix = train_util.get_latest_operative_config(
      str(tmp_path / 'ckpt-40'))
  assert from_prefix == str(tmp_path / 'operative_config-40.gin')


def test_expand_path_expands_user_and_variables(monkeypatch):
  monkeypatch.setenv('DDSP_TEST_DIR', 'abc')
  assert train_util.expand_path('~/$DDSP_TEST_DIR') == os.path.join(
      os.path.expanduser('~'), 'abc')


# ---------------------------------------------------------------------------
# Operative config markdown.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('line, markdown', [
    ('Trainer.learning_rate = 0.001', '    Trainer.learning_rate = 0.001'),
    ('# Parameters for Trainer:', '#### Parameters for Trainer:'),
    ('# ' + '=' * 78, ''),
    ('# None.', '    # None.'),
    ('# Macros:', '#### Macros:'),
    ('# some comment', 'some comment'),
    ('a = 1\n\nb = 2', '    a = 1\n    \n    b = 2'),
])
def test_operative_config_markdown_line_rules(line, markdown):
  assert train_util.operative_config_markdown(line) == markdown


# ---------------------------------------------------------------------------
# Strategies.
# ---------------------------------------------------------------------------
def test_get_strategy_defaults_to_mirrored(monkeypatch):
  monkeypatch.delenv('TF_CONFIG', raising=False)
  strategy = train_util.get_strategy()
  assert isinstance(strategy, tf.distribute.MirroredStrategy)
  assert strategy.num_replicas_in_sync >= 1


def test_get_strategy_rejects_cluster_config_without_task():
  with pytest.raises(ValueError, match='task'):
    train_util.get_strategy(cluster_config=json.dumps(
        {'cluster': {'worker': ['localhost:1', 'localhost:2']}}))


@pytest.mark.parametrize('tf_config, multi', [
    ({}, False),
    ({'cluster': {'worker': ['a:1']}, 'task': {'type': 'worker',
                                                'index': 0}}, False),
    ({'cluster': {'worker': ['a:1', 'b:2']}, 'task': {'type': 'worker',
                                                       'index': 1}}, True),
    ({'cluster': {'chief': ['a:1'], 'worker': ['b:2']}}, False),
])
def test_tf_config_multi_worker_detection(tf_config, multi):
  assert train_util._tf_config_is_multi_worker(tf_config) == multi  # pylint: disable=protected-access


def _fake_strategy(cluster, task_type, task_id):
  resolver = types.SimpleNamespace(
      task_type=task_type, task_id=task_id,
      cluster_spec=lambda: tf.train.ClusterSpec(cluster))
  return types.SimpleNamespace(cluster_resolver=resolver)


@pytest.mark.parametrize('cluster, task_type, task_id, chief', [
    ({'worker': ['a:1', 'b:2']}, 'worker', 0, True),
    ({'worker': ['a:1', 'b:2']}, 'worker', 1, False),
    ({'chief': ['c:0'], 'worker': ['a:1']}, 'chief', 0, True),
    ({'chief': ['c:0'], 'worker': ['a:1']}, 'worker', 0, False),
])
def test_is_chief(cluster, task_type, task_id, chief):
  assert train_util.is_chief(_fake_strategy(cluster, task_type,
                                            task_id)) == chief


def test_single_machine_strategy_is_chief():
  assert train_util.is_chief(tf.distribute.MirroredStrategy())


# ---------------------------------------------------------------------------
# The train loop (toy model: independent of the DDSP models).
# ---------------------------------------------------------------------------
@pytest.fixture
def log_lines(caplog):
  """absl INFO lines logged during the test (a live list)."""
  caplog.set_level(logging.INFO, logger='absl')

  class _Lines(list):

    def __iter__(self):
      return iter([r.getMessage() for r in caplog.records])

    def clear(self):
      caplog.clear()

  return _Lines()


def test_train_writes_the_original_run_folder(tmp_path, log_lines):
  """3 steps, save / summary every 2 steps (verified original behaviour)."""
  save_dir = str(tmp_path)
  train_util.train(training_toys.ToyProvider(),
                   training_toys.toy_trainer(), batch_size=4,
                   num_steps=3, steps_per_summary=2, steps_per_save=2,
                   save_dir=save_dir, restore_dir=save_dir)
  files = sorted(os.listdir(save_dir))
  assert files == ['checkpoint', 'ckpt-2.data-00000-of-00001', 'ckpt-2.index',
                   'ckpt-3.data-00000-of-00001', 'ckpt-3.index',
                   'operative_config-0.gin', 'summaries']
  tags = training_toys.read_event_tags(os.path.join(save_dir, 'summaries',
                                                    'train'))
  assert tags['gin/operative_config-0'] == [0]
  assert tags['losses/l2_loss'] == [2]
  assert tags['losses/total_loss'] == [2]
  assert tags['steps_per_sec'] == [2]
  # Logged step is the optimizer step after the update: first line is 1.
  step_lines = [l for l in log_lines if l.startswith('step: ')]
  assert [l.split('\t')[0] for l in step_lines] == [
      'step: 1', 'step: 2', 'step: 3']
  assert 'total_loss: ' in step_lines[0]


def test_train_logs_progress_with_rate_and_eta(tmp_path, log_lines):
  train_util.train(training_toys.ToyProvider(),
                   training_toys.toy_trainer(), batch_size=4,
                   num_steps=2, steps_per_summary=1, steps_per_save=10,
                   save_dir=str(tmp_path), restore_dir=str(tmp_path))
  progress = [l for l in log_lines if l.startswith('Progress: ')]
  assert progress, 'no progress line logged'
  assert 'steps/sec' in progress[-1] and 'ETA' in progress[-1]
  assert 'step 2/2' in progress[-1]


def test_train_summary_losses_are_means_since_last_summary(tmp_path):
  save_dir = str(tmp_path)
  trainer = training_toys.toy_trainer()
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=4, steps_per_summary=4, steps_per_save=100,
                   save_dir=save_dir, restore_dir=save_dir)
  scalars = summaries.read_scalars(
      os.path.join(save_dir, 'summaries', 'train'), 'losses/total_loss')
  assert list(scalars) == [4]
  assert scalars[4] > 0.0


def test_train_resumes_from_the_latest_checkpoint(tmp_path, log_lines):
  save_dir = str(tmp_path)
  train_util.train(training_toys.ToyProvider(),
                   training_toys.toy_trainer(), batch_size=4,
                   num_steps=3, steps_per_summary=100, steps_per_save=100,
                   save_dir=save_dir, restore_dir=save_dir)
  log_lines.clear()
  trainer = training_toys.toy_trainer()
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=5, steps_per_summary=100, steps_per_save=100,
                   save_dir=save_dir, restore_dir=save_dir)
  assert int(trainer.step.numpy()) == 5
  step_lines = [l.split('\t')[0] for l in log_lines if l.startswith('step: ')]
  assert step_lines == ['step: 4', 'step: 5']
  files = os.listdir(save_dir)
  assert 'operative_config-3.gin' in files  # Written with the restored step.
  assert 'ckpt-5.index' in files


def test_train_early_stop(tmp_path, log_lines):
  save_dir = str(tmp_path)
  trainer = training_toys.toy_trainer()
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=50, steps_per_summary=100, steps_per_save=100,
                   save_dir=save_dir, restore_dir=save_dir,
                   early_stop_loss_value=1e9)
  assert int(trainer.step.numpy()) == 1
  assert any('early stopping' in l for l in log_lines)
  assert 'ckpt-1.index' in os.listdir(save_dir)


def test_train_without_save_dir_writes_nothing(tmp_path):
  trainer = training_toys.toy_trainer()
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=2, steps_per_summary=1, steps_per_save=1,
                   save_dir='', restore_dir=str(tmp_path))
  assert int(trainer.step.numpy()) == 2
  assert not os.listdir(tmp_path)


def test_train_with_missing_data_fails_naming_the_pattern(tmp_path):
  provider = data.TFRecordProvider('/nonexistent/dir/train.tfrecord*',
                                   example_secs=1)
  with pytest.raises(data.NoMatchingFilesError,
                     match=r'^Training data: .*/nonexistent/dir/train'):
    train_util.train(provider, training_toys.toy_trainer(), batch_size=4,
                     num_steps=2, save_dir=str(tmp_path),
                     restore_dir=str(tmp_path))
  assert not os.listdir(tmp_path)


def test_train_is_gin_configurable(tmp_path):
  gin.clear_config()
  try:
    gin.parse_config(['train.num_steps = 2', 'train.batch_size = 4',
                      'train.steps_per_save = 1'])
    trainer = training_toys.toy_trainer()
    train_util.train(training_toys.ToyProvider(), trainer,
                     save_dir=str(tmp_path), restore_dir=str(tmp_path))
    assert int(trainer.step.numpy()) == 2
    config = open(tmp_path / 'operative_config-0.gin').read()
    assert 'train.num_steps = 2' in config
  finally:
    gin.clear_config()
