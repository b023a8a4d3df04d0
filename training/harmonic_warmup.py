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

"""Harmonic warm-up: the harmonic synthesiser learns the sound on its own first.

Why the harmonic part of a new model can die in its first steps: Adam moves
each of the ~500 weights feeding the `amps` output by about the learning
rate per step, so that output can move by ~0.5 per step, and `exp_sigmoid`
turns each unit into ~10 dB. A few steps of one-sided gradient (a harmonic
spectrum far brighter than the data, silent or unvoiced examples, a reverb
tail) push the harmonic level down tens of dB. The filtered noise, which can
follow any spectral envelope, then fills the spectrum and masks the
harmonics: their gradient is now ~0 next to the noise, Adam's second-moment
memory of the early gradients keeps the steps tiny, and the harmonic part
never comes back (README, "Every instrument learns").

The warm-up adds a second loss during the first steps: the model's own
spectral loss between the data and the *harmonic signal alone*,

  loss = total_loss + w(step) * spectral_loss(audio, harmonic),
  w(step) = weight * clip((steps - step) / (steps - hold), 0, 1),

constant for `hold` steps then fading linearly to 0 at `steps`. The
harmonic part can then not hide behind the noise: whatever the noise does,
its own loss pulls it towards the data's level and spectrum. After the
warm-up the objective is the original's. Only training changes: the model,
its variables and what a checkpoint computes are untouched.
"""

from ddsp import losses as ddsp_losses
from ddsp.training import health
import gin
import tensorflow as tf

LOSS_NAME = 'harmonic_warmup_loss'


@gin.configurable
class HarmonicWarmup(object):
  """The warm-up loss's weight schedule and its value for one batch."""

  def __init__(self, steps=0, hold=None, weight=1.0):
    """Constructor.

    Args:
      steps: Step at which the warm-up loss is gone (0: no warm-up, the
        original's objective).
      hold: Steps at full weight before the fade (default: steps // 2).
      weight: Weight of the warm-up loss while held.
    """
    if steps < 0 or weight < 0:
      raise ValueError('HarmonicWarmup.steps and .weight must be >= 0, got '
                       f'steps={steps}, weight={weight}.')
    self.steps = int(steps)
    self.hold = self.steps // 2 if hold is None else int(hold)
    if not 0 <= self.hold <= self.steps:
      raise ValueError(f'HarmonicWarmup.hold must be in [0, steps={steps}], '
                       f'got {hold}.')
    self.weight = float(weight)

  @property
  def enabled(self):
    return self.steps > 0 and self.weight > 0

  def applies_to(self, model):
    """Whether training `model` gets the warm-up loss (needs a Harmonic)."""
    return self.enabled and health.has_harmonic(model)

  def weight_at(self, step):
    """w(step), a float32 scalar tensor (see the module docstring)."""
    step = tf.cast(step, tf.float32)
    fade = float(max(self.steps - self.hold, 1))
    ramp = tf.clip_by_value((self.steps - step) / fade, 0.0, 1.0)
    return self.weight * ramp

  def loss(self, model, batch, outputs, step):
    """w(step) * spectral_loss(audio, harmonic signal); 0 after the warm-up.

    Args:
      model: The model being trained (its ProcessorGroup's `Harmonic`
        processors and its `SpectralLoss`, if it has one).
      batch: The training batch; 'audio' [batch, n_samples].
      outputs: The model's outputs of the batch ({processor_name: {'signal'
        ...}}).
      step: The optimizer step (a scalar tensor).

    Returns:
      A float32 scalar; the loss is only computed while w(step) > 0.
    """
    harmonic = _harmonic_signal(model, outputs)
    if harmonic is None or 'audio' not in batch or not self.enabled:
      return tf.constant(0.0)
    audio = tf.cast(batch['audio'], tf.float32)
    # Synthesisers may make a hop more than the data (cropped at the back).
    harmonic = harmonic[:, :tf.shape(audio)[1]]
    spectral = _spectral_loss(model)
    weight = self.weight_at(step)
    return tf.cond(weight > 0.0,
                   lambda: weight * spectral(audio, harmonic),
                   lambda: tf.constant(0.0))


def _harmonic_signal(model, outputs):
  """Sum of the model's Harmonic signals [batch, n_samples], or None."""
  signals = health.processor_outputs(outputs, health.harmonic_synths(model),
                                     'signal')
  return tf.add_n(signals) if signals else None


def _spectral_loss(model):
  """The model's own SpectralLoss (FFT sizes of its rate), else a default."""
  for loss in getattr(model, 'loss_objs', None) or []:
    if isinstance(loss, ddsp_losses.SpectralLoss):
      return loss
  return ddsp_losses.SpectralLoss(loss_type='L1', mag_weight=1.0,
                                  logmag_weight=1.0)
