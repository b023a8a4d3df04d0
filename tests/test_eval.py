"""eval_util loops, evaluators and summaries (toy model, no DDSP model)."""
import logging
import os

import gin
import numpy as np
import pytest
import tensorflow as tf

from ddsp.training import data
from ddsp.training import eval_util
from ddsp.training import evaluators
from ddsp.training import summaries
from ddsp.training import train_util
from ddsp.training import trainers
import training_toys


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
  """A toy run folder with ckpt-2 (shared by the tests of this module)."""
  tmp_path = tmp_path_factory.mktemp('run')
  strategy = tf.distribute.MirroredStrategy()
  with strategy.scope():
    trainer = trainers.Trainer(training_toys.ToyModel(), strategy)
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=2, steps_per_summary=100, steps_per_save=100,
                   save_dir=str(tmp_path), restore_dir=str(tmp_path))
  return str(tmp_path)


class _RecordingEvaluator(evaluators.BaseEvaluator):
  calls = []

  def evaluate(self, batch, outputs, losses):
    self.calls.append(('evaluate', sorted(losses), 'audio_gen' in outputs))

  def sample(self, batch, outputs, step):
    self.calls.append(('sample', step))

  def flush(self, step):
    self.calls.append(('flush', step))


def test_evaluate_runs_evaluators_on_the_checkpoint_and_flushes(run_dir):
  _RecordingEvaluator.calls = []
  eval_util.evaluate(training_toys.ToyProvider(), training_toys.ToyModel(),
                     [_RecordingEvaluator], save_dir=run_dir, batch_size=4,
                     num_batches=2, run_once=True)
  assert _RecordingEvaluator.calls == [
      ('evaluate', ['total_loss'], True)] * 2 + [('flush', 2)]
  assert os.listdir(os.path.join(run_dir, 'summaries', 'eval'))


def test_sample_calls_sample_with_the_checkpoint_step(run_dir):
  _RecordingEvaluator.calls = []
  eval_util.sample(training_toys.ToyProvider(), training_toys.ToyModel(),
                   [_RecordingEvaluator], save_dir=run_dir, batch_size=4,
                   run_once=True)
  assert _RecordingEvaluator.calls == [('sample', 2)]


def test_evaluate_and_sample_together(run_dir):
  _RecordingEvaluator.calls = []
  eval_util.evaluate(training_toys.ToyProvider(), training_toys.ToyModel(),
                     [_RecordingEvaluator], save_dir=run_dir, batch_size=4,
                     num_batches=1, run_once=True, evaluate_and_sample=True)
  assert [c[0] for c in _RecordingEvaluator.calls] == [
      'evaluate', 'sample', 'flush']


def test_run_until_step_stops_after_that_checkpoint(run_dir):
  _RecordingEvaluator.calls = []
  eval_util.evaluate(training_toys.ToyProvider(), training_toys.ToyModel(),
                     [_RecordingEvaluator], save_dir=run_dir, batch_size=4,
                     num_batches=1, run_until_step=2)
  assert _RecordingEvaluator.calls[-1] == ('flush', 2)


def test_num_batches_below_one_means_the_whole_dataset(run_dir):
  _RecordingEvaluator.calls = []
  eval_util.evaluate(training_toys.ToyProvider(n_examples=12),
                     training_toys.ToyModel(), [_RecordingEvaluator],
                     save_dir=run_dir, batch_size=4, num_batches=0,
                     repeats=1, run_once=True)
  assert [c[0] for c in _RecordingEvaluator.calls] == ['evaluate'] * 3 + [
      'flush']


class _Clock(object):
  """Stands in for the `time` module: seconds advance only when told."""

  def __init__(self):
    self.now = 1000.0

  def time(self):
    return self.now


def test_checkpoint_time_counts_every_batch(run_dir, monkeypatch, caplog):
  clock = _Clock()
  monkeypatch.setattr(eval_util, 'time', clock)

  class TenSecondEvaluator(_RecordingEvaluator):

    def evaluate(self, batch, outputs, losses):
      clock.now += 10.0

  caplog.set_level(logging.INFO, logger='absl')
  eval_util.evaluate(training_toys.ToyProvider(n_examples=12),
                     training_toys.ToyModel(), [TenSecondEvaluator],
                     save_dir=run_dir, batch_size=4, num_batches=0,
                     repeats=1, run_once=True)
  totals = [r.getMessage() for r in caplog.records
            if r.getMessage().startswith('All ')]
  assert totals == ['All 3 batches in checkpoint took 30.0 seconds']


def test_missing_evaluation_files_say_what_they_were_for(run_dir, tmp_path):
  provider = data.TFRecordProvider(str(tmp_path / 'none.tfrecord*'),
                                   example_secs=1)
  with pytest.raises(data.NoMatchingFilesError,
                     match=r"^Evaluation data: .*none\.tfrecord\*"):
    eval_util.evaluate(provider, training_toys.ToyModel(),
                       [_RecordingEvaluator], save_dir=run_dir,
                       run_once=True)


def test_basic_evaluator_writes_losses_and_sample_summaries(run_dir):
  eval_util.evaluate(training_toys.ToyProvider(), training_toys.ToyModel(),
                     [evaluators.BasicEvaluator], save_dir=run_dir,
                     batch_size=2, num_batches=1, run_once=True,
                     evaluate_and_sample=True)
  tags = training_toys.read_event_tags(os.path.join(run_dir, 'summaries',
                                                    'eval'))
  assert tags['losses/total_loss'] == [2]
  for tag in ('audio_generated', 'audio_original', 'waveform/full_1',
              'waveform/125ms_1', 'waveform/full_2', 'spectrogram/1',
              'spectrogram/2'):
    assert tags[tag] == [2], tag


def test_evaluate_and_sample_are_gin_configurable(run_dir):
  try:
    gin.parse_config(['evaluate.num_batches = 1', 'evaluate.batch_size = 2',
                      'sample.batch_size = 3'])
    _RecordingEvaluator.calls = []
    eval_util.evaluate(training_toys.ToyProvider(), training_toys.ToyModel(),
                       [_RecordingEvaluator], save_dir=run_dir, run_once=True)
    assert len(_RecordingEvaluator.calls) == 2
  finally:
    gin.clear_config()


def _summary_tags(tmp_path, fn):
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default():
    fn()
  writer.flush()
  return training_toys.read_event_tags(str(tmp_path))


def test_f0_summary_nests_tags_like_the_original(tmp_path):
  f0 = np.full((3, 50, 1), 440.0, np.float32)
  tags = _summary_tags(tmp_path, lambda: summaries.f0_summary(
      f0, f0[:, :25], step=5, name='f0_harmonic'))
  assert sorted(tags) == [
      'f0_midi/f0_harmonic_1',
      'f0_midi/f0_harmonic_1/f0_harmonic_2',
      'f0_midi/f0_harmonic_1/f0_harmonic_2/f0_harmonic_3']


def test_audio_summary_is_a_wav_audio_plugin_record(tmp_path):
  audio = np.sin(np.linspace(0, 100, 1600))[None].astype(np.float32)
  _summary_tags(tmp_path, lambda: summaries.audio_summary(audio, 1, 16000,
                                                          name='clip'))
  path = [os.path.join(tmp_path, f) for f in os.listdir(tmp_path)][0]
  values = [v for e in tf.compat.v1.train.summary_iterator(path)
            for v in e.summary.value if v.tag == 'clip']
  assert values[0].metadata.plugin_data.plugin_name == 'audio'
  wav = tf.make_ndarray(values[0].tensor)[0, 0]
  decoded, rate = tf.audio.decode_wav(wav)
  assert int(rate) == 16000 and decoded.shape == (1600, 1)


def test_scalar_summary_uses_the_scalars_plugin(tmp_path):
  _summary_tags(tmp_path, lambda: summaries.write_scalar('x', 1.5, 3))
  path = [os.path.join(tmp_path, f) for f in os.listdir(tmp_path)][0]
  values = [(e.step, v) for e in tf.compat.v1.train.summary_iterator(path)
            for v in e.summary.value if v.tag == 'x']
  step, value = values[0]
  assert step == 3 and float(tf.make_ndarray(value.tensor)) == 1.5
  assert value.metadata.plugin_data.plugin_name == 'scalars'


def test_f0_ld_evaluator_without_crepe_writes_loudness_metrics(tmp_path):
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  rng = np.random.RandomState(0)
  audio = (0.1 * rng.randn(2, 16000)).astype(np.float32)
  batch = {'audio': audio,
           'loudness_db': spectral_ops.compute_loudness(audio, 16000, 250)}
  evaluator = evaluators.F0LdEvaluator(16000, 250, run_f0_crepe=False)
  evaluator.evaluate(batch, {'audio_gen': audio}, {})
  tags = _summary_tags(tmp_path, lambda: evaluator.flush(4))
  assert tags['metrics/loudness/loudness_db'] == [4]
