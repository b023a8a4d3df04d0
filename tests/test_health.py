# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Training health: signals, the collapse rule, restarts and seeds."""
import logging
import os

from ddsp import core
from ddsp import processors
from ddsp import synths
from ddsp.training import gin_setup
from ddsp.training import health
from ddsp.training import run_modes
from ddsp.training import summaries
from ddsp.training import train_util
from ddsp.training import trainers
import gin
import numpy as np
import pytest
import tensorflow as tf
import training_toys


@gin.register
def silenced_amplitudes(x):
  """exp_sigmoid scaled by 1e-9: forces a harmonic collapse from step 0."""
  return 1e-9 * core.exp_sigmoid(x)


# ---------------------------------------------------------------------------
# Signals.
# ---------------------------------------------------------------------------
class _GroupModel(object):
  """Just enough of a model: a processor group with harmonic + noise."""

  def __init__(self):
    self.processor_group = processors.ProcessorGroup(dag=[
        (synths.Harmonic(n_samples=800, name='harmonic'),
         ['amps', 'harmonic_distribution', 'f0_hz']),
        (synths.FilteredNoise(n_samples=800, name='noise'),
         ['noise_magnitudes']),
        (processors.Add(name='add'), ['noise/signal', 'harmonic/signal']),
    ])


def test_signals_match_their_formulas():
  model = _GroupModel()
  h = 0.5 * tf.ones([2, 800])
  n = 0.05 * tf.ones([2, 800])
  outputs = {
      'harmonic': {'signal': h,
                   'controls': {'amplitudes': 0.25 * tf.ones([2, 10, 1])}},
      'noise': {'signal': n, 'controls': {}},
  }
  batch = {'f0_hz': tf.ones([2, 10, 1]),
           'f0_confidence': tf.constant([[0.9] * 7 + [0.1] * 3] * 2)}
  values = health.signals(model, batch, outputs)
  assert float(values[health.AMPLITUDE]) == pytest.approx(0.25)
  # 10 log10(0.25 / 0.0025) = 20 dB.
  assert float(values[health.HNR_DB]) == pytest.approx(20.0, abs=1e-3)
  assert float(values[health.VOICED]) == pytest.approx(0.7)
  # Without a confidence, f0_hz > 0 decides.
  f0 = tf.constant([[100.0, 0.0, 0.0, 200.0]])
  assert float(health.voiced_share({'f0_hz': f0})) == pytest.approx(0.5)


def test_harmonic_to_noise_counts_voiced_frames_only():
  """Loud noise in unvoiced frames (breath, bow noise) is not a collapse."""
  model = _GroupModel()
  voiced = [True] * 5 + [False] * 5
  # 80 samples per frame: harmonic 0.5 in voiced frames, noise 1.0 in the
  # unvoiced ones and 0.05 in the voiced ones.
  h = tf.constant([[0.5] * 400 + [0.0] * 400] * 2)
  n = tf.constant([[0.05] * 400 + [1.0] * 400] * 2)
  outputs = {'harmonic': {'signal': h, 'controls': {
      'amplitudes': tf.ones([2, 10, 1])}}, 'noise': {'signal': n}}
  confidence = tf.constant([[0.9 if v else 0.1 for v in voiced]] * 2)
  values = health.signals(model, {'f0_confidence': confidence}, outputs)
  assert float(values[health.HNR_DB]) == pytest.approx(20.0, abs=1e-3)
  # Over all samples it would be 10 log10(0.125 / 0.50125): -6 dB.
  everything = health.harmonic_to_noise_db([h], [n])
  assert float(everything) == pytest.approx(-6.03, abs=0.01)
  # No voiced frame at all: every sample counts.
  none = health.harmonic_to_noise_db([h], [n], tf.zeros([2, 10], tf.bool))
  assert float(none) == pytest.approx(float(everything))


def test_models_without_a_harmonic_synth_have_no_signals():
  assert health.signals(training_toys.ToyModel(), {}, {'x': 1}) == {}
  assert not health.has_harmonic(training_toys.ToyModel())
  assert health.has_harmonic(_GroupModel())


def test_split_separates_health_from_losses():
  losses, values = health.split({'total_loss': 1.0, health.HNR_DB: 3.0})
  assert losses == {'total_loss': 1.0}
  assert values == {health.HNR_DB: 3.0}


# ---------------------------------------------------------------------------
# The rule.
# ---------------------------------------------------------------------------
def _values(hnr_db, voiced=1.0):
  return {health.AMPLITUDE: 1e-5, health.HNR_DB: hnr_db,
          health.VOICED: voiced}


def test_detector_fires_once_after_patience_collapsed_summaries(caplog):
  detector = health.CollapseDetector(hnr_threshold_db=-20.0, patience=3)
  with caplog.at_level(logging.WARNING, logger='absl'):
    fired = [detector.update(step, _values(hnr))
             for step, hnr in enumerate([-30, -30, 5, -30, -30, -30, -30])]
  # A healthy summary resets the count; firing happens once.
  assert fired == [False, False, False, False, False, True, False]
  warnings = [r for r in caplog.records if 'HARMONIC COLLAPSE' in r.message]
  assert len(warnings) == 1
  assert 'at step 5' in warnings[0].message


@pytest.mark.parametrize('restart, advice', [
    (True, '--noauto_restart'), (False, '--seed')])
def test_warning_says_what_happens_next(restart, advice):
  detector = health.CollapseDetector(patience=1, restart=restart)
  assert advice in detector.message(5, _values(-60.0))


def test_an_early_collapse_restarts_by_default(tmp_path, clean_gin):
  detector = health.CollapseDetector()
  assert detector.restart
  assert detector.should_restart(detector.restart_within_steps, str(tmp_path))
  assert not detector.should_restart(detector.restart_within_steps + 1,
                                     str(tmp_path))


def test_run_moves_aside_on_any_file_system():
  """Files move with tf.io.gfile (gs:// too), folders file by file."""
  gfile = tf.io.gfile
  run_dir = 'ram://health_test_run'
  gfile.makedirs(run_dir + '/summaries/train')
  for name in ('checkpoint', 'ckpt-1.index', 'summaries/train/events'):
    with gfile.GFile(f'{run_dir}/{name}', 'w') as f:
      f.write(name)
  target = health.move_run_aside(run_dir, 7)
  assert target == run_dir + '/collapsed-7'
  assert gfile.listdir(run_dir) == ['collapsed-7']
  with gfile.GFile(target + '/summaries/train/events') as f:
    assert f.read() == 'summaries/train/events'
  assert health.count_restarts(run_dir) == 1
  # A second collapse of the same seed gets its own folder.
  with gfile.GFile(run_dir + '/checkpoint', 'w') as f:
    f.write('again')
  assert health.move_run_aside(run_dir, 7) == run_dir + '/collapsed-7.1'


def test_detector_ignores_unvoiced_data():
  detector = health.CollapseDetector(patience=1, min_voiced_share=0.2)
  assert not detector.update(1, _values(-60.0, voiced=0.1))
  assert detector.update(2, _values(-60.0, voiced=0.5))


# ---------------------------------------------------------------------------
# Tiny DDSP runs (in process).
# ---------------------------------------------------------------------------
def _parse(tmp_path, *params):
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  run_dir = str(tmp_path / 'run')
  gin_setup.parse_gin(run_dir, gin_files=[gin_file], gin_params=list(params))
  return run_dir


def _collapse_warnings(caplog):
  return [r.message for r in caplog.records
          if 'HARMONIC COLLAPSE' in r.message]


def test_healthy_run_writes_health_and_records_its_seed(
    tmp_path, clean_gin, caplog):
  run_dir = _parse(tmp_path, 'train.num_steps=3', 'train.steps_per_summary=1',
                   'CollapseDetector.patience=1')
  with caplog.at_level(logging.INFO, logger='absl'):
    run_modes.train(run_dir, run_dir, seed=1234)
  assert not _collapse_warnings(caplog)
  tags = training_toys.read_event_tags(os.path.join(run_dir, 'summaries'))
  for tag in (health.AMPLITUDE, health.HNR_DB, health.VOICED):
    assert tags[tag] == [1, 2, 3], tag
  hnr = summaries.read_scalars(os.path.join(run_dir, 'summaries'),
                               health.HNR_DB)
  assert hnr[1] > 0.0  # Harmonic above noise at initialisation.
  assert any('harmonic/noise' in r.message and 'Progress' in r.message
             for r in caplog.records)
  operative = open(os.path.join(run_dir, 'operative_config-0.gin')).read()
  assert 'random_seed.seed = 1234' in operative
  assert 'CollapseDetector.patience = 1' in operative


def test_forced_collapse_warns_then_restarts_with_a_new_seed(
    tmp_path, clean_gin, caplog, monkeypatch):
  # The restart draws its seed from the OS; fix it so the test is repeatable.
  monkeypatch.setattr(train_util, 'pick_seed', lambda: 4321)
  # Harmonic part silenced, noise started loud (initial bias 0 instead of -5):
  # the harmonic-to-noise ratio is far below -20 dB whatever the weights.
  run_dir = _parse(tmp_path, 'train.num_steps=4', 'train.steps_per_summary=1',
                   'Harmonic.scale_fn = @silenced_amplitudes',
                   'FilteredNoise.initial_bias = 0.0',
                   'CollapseDetector.patience=2',
                   'CollapseDetector.restart=True',
                   'CollapseDetector.restart_within_steps=3',
                   'CollapseDetector.max_restarts=1')
  with caplog.at_level(logging.WARNING, logger='absl'):
    run_modes.train(run_dir, run_dir, seed=77)
  # Patience 2 at one summary per step: the rule fires at step 2, in the
  # first run and again in the restarted one (which keeps training: the
  # one allowed restart is used).
  warnings = _collapse_warnings(caplog)
  assert len(warnings) == 2
  assert all('at step 2:' in w for w in warnings)
  assert any('Restarting after the collapse at step 2' in r.message
             for r in caplog.records)
  old = os.path.join(run_dir, 'collapsed-77')
  assert 'operative_config-0.gin' in os.listdir(old)
  assert 'random_seed.seed = 77' in open(
      os.path.join(old, 'operative_config-0.gin')).read()
  # The restarted run trained to the end with another seed.
  assert train_util.get_latest_checkpoint(run_dir).endswith('ckpt-4')
  operative = open(os.path.join(run_dir, 'operative_config-0.gin')).read()
  assert 'random_seed.seed = 4321' in operative
  assert 'random_seed.seed = 77\n' not in operative


FORCED_COLLAPSE = ('Harmonic.scale_fn = @silenced_amplitudes',
                   'FilteredNoise.initial_bias = 0.0',
                   'train.steps_per_summary=1', 'CollapseDetector.patience=2')


def test_restart_starts_fresh_not_from_another_restore_dir(
    tmp_path, clean_gin, caplog, monkeypatch):
  monkeypatch.setattr(train_util, 'pick_seed', lambda: 4321)
  pretrained = _parse(tmp_path, 'train.num_steps=2',
                      'CollapseDetector.restart=False')
  run_modes.train(pretrained, pretrained, seed=1)
  with gin.unlock_config():
    gin.clear_config()
  # Parsed like ddsp_run --restore_dir: the pretrained run's config first.
  _parse(tmp_path, 'train.num_steps=5', *FORCED_COLLAPSE,
         'CollapseDetector.restart=True', 'CollapseDetector.max_restarts=1')
  run_dir = str(tmp_path / 'finetune')
  with caplog.at_level(logging.INFO, logger='absl'):
    run_modes.train(run_dir, pretrained, seed=77)
  # The first attempt resumed the pretrained run at step 2 and collapsed;
  # the restart began at step 0 from a fresh initialisation.
  assert 'operative_config-2.gin' in os.listdir(
      os.path.join(run_dir, 'collapsed-77'))
  assert 'operative_config-0.gin' in os.listdir(run_dir)
  assert train_util.get_latest_checkpoint(run_dir).endswith('ckpt-5')


def test_no_restart_with_several_workers(tmp_path, clean_gin, caplog,
                                         monkeypatch):
  """Only the chief sees the collapse: one worker restarting alone hangs."""
  monkeypatch.setattr(trainers.Trainer, 'num_workers', lambda self: 2)
  run_dir = _parse(tmp_path, 'train.num_steps=4', *FORCED_COLLAPSE)
  with caplog.at_level(logging.INFO, logger='absl'):
    run_modes.train(run_dir, run_dir, seed=77)
  assert len(_collapse_warnings(caplog)) == 1
  assert any('restart after a harmonic collapse is off with 2 workers'
             in r.message for r in caplog.records)
  assert health.count_restarts(run_dir) == 0
  assert train_util.get_latest_checkpoint(run_dir).endswith('ckpt-4')


# ---------------------------------------------------------------------------
# Seeds.
# ---------------------------------------------------------------------------
def _seeded_losses(seed, n_steps=3):
  """First losses and initial weights of a tiny model seeded with `seed`."""
  strategy = tf.distribute.MirroredStrategy()
  trainer = run_modes._build_trainer(strategy, seed, jit_compile=False)  # pylint: disable=protected-access
  provider = gin.query_parameter('train.data_provider').scoped_configurable_fn()
  batches = iter(provider.get_batch(2, shuffle=True, repeats=-1))
  trainer.build(next(batches))
  weights = [w.numpy().copy() for w in trainer.model.trainable_variables]
  losses = [float(trainer.train_step(batches)['total_loss'])
            for _ in range(n_steps)]
  return weights, losses


def test_same_seed_same_losses_other_seed_other_weights(tmp_path, clean_gin):
  _parse(tmp_path)
  weights_a, losses_a = _seeded_losses(5)
  weights_b, losses_b = _seeded_losses(5)
  weights_c, _ = _seeded_losses(6, n_steps=0)
  assert losses_a == losses_b
  for a, b in zip(weights_a, weights_b):
    np.testing.assert_array_equal(a, b)
  assert any(not np.array_equal(a, c) for a, c in zip(weights_a, weights_c))
