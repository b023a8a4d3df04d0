"""Resuming training: after a normal stop, after SIGKILL, from the original."""
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
import tensorflow as tf

import golden
from ddsp.training import train_util
import training_toys


def test_minimal_resume_carries_step_weights_and_adam_state(tmp_path,
                                                            clean_gin):
  save_dir = str(tmp_path)
  first = training_toys.toy_trainer()
  train_util.train(training_toys.ToyProvider(), first, batch_size=4,
                   num_steps=4, steps_per_summary=100, steps_per_save=2,
                   save_dir=save_dir, restore_dir=save_dir)
  kernel = first.model.dense.kernel.numpy()
  slots = [v.numpy() for v in first.optimizer.variables]

  second = training_toys.toy_trainer()
  batches = iter(training_toys.ToyProvider().get_batch(4))
  second.build(next(batches))
  second.restore(save_dir)
  with second.strategy.scope():
    second.optimizer.build(second.model.trainable_variables)
  assert int(second.step.numpy()) == 4
  np.testing.assert_array_equal(second.model.dense.kernel.numpy(), kernel)
  for mine, saved in zip(second.optimizer.variables, slots):
    np.testing.assert_array_equal(mine.numpy(), saved)

  train_util.train(training_toys.ToyProvider(), second, batch_size=4,
                   num_steps=6, steps_per_summary=100, steps_per_save=2,
                   save_dir=save_dir, restore_dir=save_dir)
  index = sorted(f for f in os.listdir(save_dir) if f.endswith('.index'))
  assert index == ['ckpt-2.index', 'ckpt-4.index', 'ckpt-6.index']
  assert os.path.exists(os.path.join(save_dir, 'operative_config-4.gin'))


def _wait_for(path, proc, timeout):
  start = time.time()
  while not os.path.exists(path):
    if proc.poll() is not None:
      raise AssertionError('training exited early:\n' +
                           proc.stderr.read()[-3000:])
    if time.time() - start > timeout:
      raise AssertionError(f'timed out waiting for {path}')
    time.sleep(0.5)


@pytest.mark.slow
def test_sigkill_between_saves_restarts_from_the_last_checkpoint(tmp_path):
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  run_dir = str(tmp_path / 'run')
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  proc = subprocess.Popen(
      training_toys.ddsp_run_cmd(
          '--mode=train', f'--save_dir={run_dir}', f'--gin_file={gin_file}',
          '--gin_param=train.num_steps=100000',
          '--gin_param=train.steps_per_save=3'),
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
      cwd=training_toys.REPO)
  try:
    _wait_for(os.path.join(run_dir, 'ckpt-3.index'), proc, timeout=900)
    time.sleep(1.0)  # Somewhere between saves.
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
  finally:
    if proc.poll() is None:
      proc.kill()
    proc.stderr.close()
  assert proc.returncode == -signal.SIGKILL
  last = train_util.get_latest_checkpoint(run_dir)
  last_step = int(last.split('-')[-1])
  assert last_step >= 3 and last_step % 3 == 0

  restart = training_toys.run_ddsp(
      '--mode=train', f'--save_dir={run_dir}', f'--gin_file={gin_file}',
      f'--gin_param=train.num_steps={last_step + 2}',
      '--gin_param=train.steps_per_save=3', timeout=900)
  step_lines = [l.split('step: ')[1].split('\t')[0]
                for l in restart.stderr.splitlines() if 'step: ' in l
                and 'spectral_loss' in l]
  assert step_lines[0] == str(last_step + 1)
  assert os.path.exists(os.path.join(run_dir,
                                     f'operative_config-{last_step}.gin'))
  assert os.path.exists(os.path.join(run_dir, f'ckpt-{last_step + 2}.index'))


@pytest.mark.slow
@pytest.mark.needs_shared(golden.SOLO_CKPT, golden.SOLO_TFRECORD)
def test_training_continues_from_the_original_checkpoint(tmp_path):
  """ckpt-20 of the original -> two more steps -> ckpt-21, ckpt-22."""
  src = golden.path('golden/solo_instrument')
  run_dir = str(tmp_path / 'ckpt')
  shutil.copytree(os.path.join(src, 'ckpt'), run_dir)
  for name in os.listdir(run_dir):
    os.chmod(os.path.join(run_dir, name), 0o644)
  os.chmod(run_dir, 0o755)
  proc = training_toys.run_ddsp(
      '--mode=train', f'--save_dir={run_dir}',
      '--gin_file=datasets/tfrecord.gin',
      f"--gin_param=TFRecordProvider.file_pattern='{src}/train.tfrecord*'",
      '--gin_param=batch_size=1', '--gin_param=train.num_steps=22',
      '--gin_param=train.steps_per_save=1', timeout=1800)
  step_lines = [l for l in proc.stderr.splitlines() if 'step: ' in l and
                'spectral_loss' in l]
  assert step_lines[0].split('step: ')[1].startswith('21\t')
  files = os.listdir(run_dir)
  for name in ('ckpt-21.index', 'ckpt-22.index', 'operative_config-20.gin'):
    assert name in files, name
  reader = tf.train.load_checkpoint(os.path.join(run_dir, 'ckpt-22'))
  assert reader.get_tensor(
      'optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE') == 22
  # Adam moments continued from the original's (not restarted from zero):
  # after 2 more steps, v >= beta2^2 * v_20 elementwise.
  key = 'optimizer/_variables/84/.ATTRIBUTES/VARIABLE_VALUE'
  v20 = tf.train.load_checkpoint(os.path.join(src, 'ckpt')).get_tensor(key)
  v22 = reader.get_tensor(key)
  assert np.all(v22 >= 0.999**2 * v20 * (1 - 1e-5))
