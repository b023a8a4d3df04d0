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

"""Harmonic warm-up: a training-only loss on the harmonic signal alone."""
from ddsp import losses as ddsp_losses
from ddsp import processors
from ddsp import synths
from ddsp.training import gin_setup
from ddsp.training import harmonic_warmup
from ddsp.training import trainers
import gin
import numpy as np
import pytest
import tensorflow as tf

import training_toys

N_SAMPLES = 1600


class _HarmonicModel(object):
  """A processor group with a harmonic and a noise synthesiser, no weights."""

  def __init__(self):
    self.processor_group = processors.ProcessorGroup(dag=[
        (synths.Harmonic(n_samples=N_SAMPLES, name='harmonic'),
         ['amps', 'harmonic_distribution', 'f0_hz']),
        (synths.FilteredNoise(n_samples=N_SAMPLES, name='noise'),
         ['noise_magnitudes']),
        (processors.Add(name='add'), ['noise/signal', 'harmonic/signal']),
    ])
    self.loss_objs = [ddsp_losses.SpectralLoss(fft_sizes=(256, 64))]

  def outputs(self, amps):
    n_frames = 10
    controls = {
        'amps': tf.fill([1, n_frames, 1], amps),
        'harmonic_distribution': tf.zeros([1, n_frames, 8]),
        'f0_hz': tf.fill([1, n_frames, 1], 220.0),
        'noise_magnitudes': tf.zeros([1, n_frames, 16]),
    }
    return self.processor_group(controls, return_outputs_dict=True)['controls']


@pytest.mark.parametrize('step, expected', [
    (0, 2.0), (50, 2.0), (100, 2.0), (150, 1.0), (200, 0.0), (5000, 0.0)])
def test_weight_holds_then_fades_to_zero(step, expected):
  warmup = harmonic_warmup.HarmonicWarmup(steps=200, hold=100, weight=2.0)
  assert float(warmup.weight_at(step)) == pytest.approx(expected)


def test_hold_defaults_to_half_the_steps():
  assert harmonic_warmup.HarmonicWarmup(steps=300).hold == 150


@pytest.mark.parametrize('kwargs', [
    {'steps': -1}, {'steps': 10, 'weight': -1.0}, {'steps': 10, 'hold': 11}])
def test_bad_settings_are_refused(kwargs):
  with pytest.raises(ValueError, match='HarmonicWarmup'):
    harmonic_warmup.HarmonicWarmup(**kwargs)


def test_loss_is_the_spectral_loss_of_the_harmonic_signal_alone():
  model = _HarmonicModel()
  outputs = model.outputs(0.0)
  audio = tf.random.stateless_normal([1, N_SAMPLES - 100], seed=(1, 2))
  warmup = harmonic_warmup.HarmonicWarmup(steps=10, weight=0.5)
  value = warmup.loss(model, {'audio': audio}, outputs, step=0)
  harmonic = outputs['harmonic']['signal'][:, :N_SAMPLES - 100]
  expected = 0.5 * model.loss_objs[0](audio, harmonic)
  assert float(value) == pytest.approx(float(expected), rel=1e-5)


def test_loss_is_zero_after_the_warmup():
  model = _HarmonicModel()
  audio = tf.random.stateless_normal([1, N_SAMPLES], seed=(1, 2))
  warmup = harmonic_warmup.HarmonicWarmup(steps=10)
  assert float(warmup.loss(model, {'audio': audio}, model.outputs(0.0),
                           step=10)) == 0.0


def test_a_silent_harmonic_part_is_pulled_back_up():
  """The gradient raises a harmonic part far below the data, whatever else."""
  model = _HarmonicModel()
  t = np.arange(N_SAMPLES) / 16000.0
  audio = tf.constant(0.3 * np.sin(2 * np.pi * 220.0 * t)[np.newaxis],
                      tf.float32)
  amps = tf.Variable(-8.0)  # exp_sigmoid(-8) ~ 1e-7: a collapsed harmonic.
  warmup = harmonic_warmup.HarmonicWarmup(steps=10)
  with tf.GradientTape() as tape:
    value = warmup.loss(model, {'audio': audio}, model.outputs(amps), step=0)
  assert float(tape.gradient(value, amps)) < 0.0  # Descent raises amps.


def test_models_without_a_harmonic_synth_are_left_alone():
  warmup = harmonic_warmup.HarmonicWarmup(steps=10)
  assert not warmup.applies_to(training_toys.ToyModel())
  assert warmup.applies_to(_HarmonicModel())
  assert not harmonic_warmup.HarmonicWarmup(steps=0).applies_to(
      _HarmonicModel())


def _tiny_trainer(tmp_path, *params):
  """A trainer of the tiny solo-instrument config and its batches."""
  gin_path = training_toys.write_tiny_setup(str(tmp_path))
  gin_setup.parse_gin('', gin_files=[gin_path], gin_params=list(params))
  provider = gin.query_parameter('train.data_provider').scoped_configurable_fn()
  batches = iter(provider.get_batch(2, shuffle=False, repeats=-1))
  from ddsp.training import models  # pylint: disable=g-import-not-at-top
  trainer = trainers.Trainer(models.get_model(),
                             tf.distribute.get_strategy())
  trainer.build(next(batches))
  return trainer, batches


def test_trainer_reports_the_warmup_loss_apart_from_total_loss(
    tmp_path, clean_gin):
  trainer, batches = _tiny_trainer(tmp_path, 'HarmonicWarmup.steps = 4')
  first = trainer.train_step(batches)
  assert float(first[harmonic_warmup.LOSS_NAME]) > 0.0
  assert 'total_loss' in first
  for _ in range(4):
    last = trainer.train_step(batches)
  assert float(last[harmonic_warmup.LOSS_NAME]) == 0.0


def test_shipped_configs_warm_up(clean_gin):
  gin_setup.parse_gin('', gin_files=['models/solo_instrument.gin'])
  assert harmonic_warmup.HarmonicWarmup().steps > 0
