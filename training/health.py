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

"""Training health: does the harmonic synthesiser still carry the sound?

A model whose `ddsp.synths.Harmonic` output fades to nothing keeps a normal
looking loss while it only plays filtered noise. For models with a harmonic
synthesiser in their `ProcessorGroup` this module computes, per batch:

* `health/harmonic_amplitude`: mean of the Harmonic `amplitudes` control.
* `health/harmonic_to_noise_db`: energy of the harmonic signal(s) over the
  energy of the `FilteredNoise` signal(s) of the synthesised audio, over
  the samples of voiced frames (all samples when none is voiced),
    hnr_db = 10 * log10((mean_v(h^2) + eps) / (mean_v(n^2) + eps)).
* `health/voiced_share`: share of data frames with f0_confidence above
  `VOICED_CONFIDENCE` (f0_hz > 0 when the batch has no confidence).

`signals` is plain TensorFlow, traced inside the train step; the training
loop reads the values at summary steps only. `CollapseDetector` holds the
rule that turns a series of summary-step values into one warning (and,
optionally, a restart of the run, see `CollapseRestart`).
"""

import posixpath

from absl import logging
from ddsp import synths
import gin
import tensorflow as tf

PREFIX = 'health/'
AMPLITUDE = PREFIX + 'harmonic_amplitude'
HNR_DB = PREFIX + 'harmonic_to_noise_db'
VOICED = PREFIX + 'voiced_share'
# A frame counts as voiced above this CREPE confidence.
VOICED_CONFIDENCE = 0.5
# Keeps the ratio finite when a signal is exactly zero.
_EPS = 1e-12
COLLAPSED_PREFIX = 'collapsed-'


# ---------------------------------------------------------------------------
# Which processors to watch.
# ---------------------------------------------------------------------------
def _processors(model, cls):
  """Processors of type `cls` in the model's ProcessorGroup (maybe [])."""
  group = getattr(model, 'processor_group', None)
  found = getattr(group, 'processors', None) or []
  return [p for p in found if isinstance(p, cls)]


def harmonic_synths(model):
  """`synths.Harmonic` processors of the model's ProcessorGroup."""
  return _processors(model, synths.Harmonic)


def noise_synths(model):
  """`synths.FilteredNoise` processors of the model's ProcessorGroup."""
  return _processors(model, synths.FilteredNoise)


def has_harmonic(model):
  """Whether the model gets health signals at all."""
  return bool(harmonic_synths(model))


# ---------------------------------------------------------------------------
# Signals (traced; no host reads).
# ---------------------------------------------------------------------------
def _energy(signals, weights=None):
  """Weighted mean power of [batch, n_samples] signals (summed over them).

  e = sum_k sum_t(w_t x_k[t]^2) / sum_t(w_t), w = 1 without weights.
  """
  def power(x):
    x = tf.square(tf.cast(x, tf.float32))
    if weights is None:
      return tf.reduce_mean(x)
    return tf.reduce_sum(x * weights) / tf.reduce_sum(weights)
  return tf.add_n([power(x) for x in signals])


def _sample_weights(voiced, n_samples):
  """Frame mask [batch, n_frames(, 1)] -> float weights [batch, n_samples].

  Sample t belongs to frame floor(t * n_frames / n_samples); a batch with no
  voiced frame weighs every sample (the detector ignores it anyway).
  """
  voiced = tf.cast(tf.reshape(voiced, [tf.shape(voiced)[0], -1]), tf.float32)
  n_frames = tf.shape(voiced)[1]
  frame_of_sample = (tf.range(n_samples) * n_frames) // n_samples
  weights = tf.gather(voiced, frame_of_sample, axis=1)
  return tf.cond(tf.reduce_sum(weights) > 0.0,
                 lambda: weights, lambda: tf.ones_like(weights))


def harmonic_to_noise_db(harmonic, noise, voiced=None):
  """Harmonic over noise energy in dB, a scalar, over voiced frames.

  Args:
    harmonic: List of harmonic signals, each [batch, n_samples].
    noise: List of noise signals, each [batch, n_samples].
    voiced: Optional frame mask [batch, n_frames(, 1)]: only the samples of
      voiced frames count (loud unvoiced passages are the noise's to play).
      None (or no voiced frame at all) counts every sample.

  Returns:
    10 * log10((e_h + eps) / (e_n + eps)).
  """
  weights = None
  if voiced is not None:
    weights = _sample_weights(voiced, tf.shape(harmonic[0])[1])
  ratio = ((_energy(harmonic, weights) + _EPS) /
           (_energy(noise, weights) + _EPS))
  return 10.0 * tf.math.log(ratio) / tf.math.log(10.0)


def mean_amplitude(amplitudes):
  """Mean of a list of `amplitudes` controls ([batch, n_frames, 1] each)."""
  return tf.reduce_mean(tf.stack(
      [tf.reduce_mean(tf.cast(a, tf.float32)) for a in amplitudes]))


def voiced_frames(batch):
  """Voiced-frame mask of a batch (bool, the shape of its f0), or None.

  f0_confidence > VOICED_CONFIDENCE, or f0_hz > 0 without a confidence.
  """
  if 'f0_confidence' in batch:
    return batch['f0_confidence'] > VOICED_CONFIDENCE
  if 'f0_hz' in batch:
    return batch['f0_hz'] > 0.0
  return None


def voiced_share(batch):
  """Share of voiced frames of a batch, a scalar in [0, 1].

  Args:
    batch: Dict with 'f0_confidence' [batch, n_frames(, 1)] or, without it,
      'f0_hz' [batch, n_frames(, 1)].

  Returns:
    mean(f0_confidence > VOICED_CONFIDENCE), or mean(f0_hz > 0).
  """
  return tf.reduce_mean(tf.cast(voiced_frames(batch), tf.float32))


def processor_outputs(outputs, processors, key):
  """outputs[p.name][key] of every processor found in `outputs`."""
  found = [outputs.get(p.name) for p in processors]
  return [o[key] for o in found if isinstance(o, dict) and key in o]


def signals(model, batch, outputs):
  """Health scalars of one forward pass ({} without a harmonic synth).

  Args:
    model: The model (its ProcessorGroup names the processors to read).
    batch: The input batch (for the voiced share).
    outputs: The model's outputs dict, holding
      {processor_name: {'signal', 'controls'}}.

  Returns:
    Dict {AMPLITUDE, HNR_DB (when there is a FilteredNoise), VOICED} of
    float32 scalars, all behind tf.stop_gradient.
  """
  harmonic = harmonic_synths(model)
  if not harmonic or not isinstance(outputs, dict):
    return {}
  controls = processor_outputs(outputs, harmonic, 'controls')
  if not controls:
    return {}
  health = {AMPLITUDE: mean_amplitude([c['amplitudes'] for c in controls])}
  noise = processor_outputs(outputs, noise_synths(model), 'signal')
  voiced = voiced_frames(batch)
  if noise:
    health[HNR_DB] = harmonic_to_noise_db(
        processor_outputs(outputs, harmonic, 'signal'), noise, voiced)
  if voiced is not None:
    health[VOICED] = voiced_share(batch)
  return {k: tf.stop_gradient(v) for k, v in health.items()}


def split(results):
  """(losses, health) of a train step's dict, split on the `health/` prefix."""
  losses = {k: v for k, v in results.items() if not k.startswith(PREFIX)}
  health = {k: v for k, v in results.items() if k.startswith(PREFIX)}
  return losses, health


def describe(health):
  """Short text of health values (floats), for log and progress lines."""
  parts = []
  if AMPLITUDE in health:
    parts.append(f'harmonic amp {health[AMPLITUDE]:.3g}')
  if HNR_DB in health:
    parts.append(f'harmonic/noise {health[HNR_DB]:.1f} dB')
  if VOICED in health:
    parts.append(f'voiced {100.0 * health[VOICED]:.0f}%')
  return ' | '.join(parts)


# ---------------------------------------------------------------------------
# Collapse rule.
# ---------------------------------------------------------------------------
class CollapseRestart(Exception):
  """Raised by the training loop to ask for a restart with a new seed."""

  def __init__(self, step):
    super().__init__(f'Harmonic collapse at step {step}: restart requested.')
    self.step = step


@gin.configurable
class CollapseDetector(object):
  """Decides, one summary step at a time, whether the harmonic part is gone.

  Rule: a summary step is *collapsed* when its mean harmonic-to-noise ratio
  is below `hnr_threshold_db` while at least `min_voiced_share` of the data
  frames are voiced. The detector fires once, at the `patience`-th collapsed
  summary step in a row, and logs one warning. By default an early collapse
  restarts the run (`should_restart`; off with `ddsp_run --noauto_restart`
  or `CollapseDetector.restart = False`).
  """

  def __init__(self,
               hnr_threshold_db=-20.0,
               patience=3,
               min_voiced_share=0.2,
               restart=True,
               restart_within_steps=2000,
               max_restarts=2):
    """Constructor.

    Args:
      hnr_threshold_db: Harmonic-to-noise ratio (dB) below which a summary
        step counts as collapsed (-20 dB: harmonic energy 1% of the noise's).
      patience: Consecutive collapsed summary steps before firing.
      min_voiced_share: Voiced share of the data needed to judge at all
        (unvoiced data has nothing harmonic to lose).
      restart: Ask the run to start again with a new seed when firing at a
        step <= `restart_within_steps` (see `should_restart`); on by default.
      restart_within_steps: Latest step at which a collapse restarts a run.
      max_restarts: Restarts allowed per run folder (counted as its
        `collapsed-*` folders).
    """
    self.hnr_threshold_db = hnr_threshold_db
    self.patience = patience
    self.min_voiced_share = min_voiced_share
    self.restart = restart
    self.restart_within_steps = restart_within_steps
    self.max_restarts = max_restarts
    self.count = 0
    self.fired = False

  def is_collapsed(self, health):
    """Whether one summary step's health values (floats) look collapsed."""
    if HNR_DB not in health:
      return False
    voiced = health.get(VOICED, 1.0)
    return (health[HNR_DB] < self.hnr_threshold_db and
            voiced >= self.min_voiced_share)

  def update(self, step, health):
    """Feeds one summary step; True exactly once, when the rule fires.

    Args:
      step: Training step of the summary.
      health: Dict of health values (floats) of that summary step.

    Returns:
      Whether the detector fired at this step.
    """
    self.count = self.count + 1 if self.is_collapsed(health) else 0
    if self.fired or self.count < self.patience:
      return False
    self.fired = True
    logging.warning(self.message(step, health))
    return True

  def message(self, step, health):
    """The warning: what happened and what to do."""
    if self.restart:
      todo = ('Training restarts by itself from a fresh initialisation with a '
              f'new seed if this is step {self.restart_within_steps} or '
              f'earlier and fewer than {self.max_restarts} restarts were made '
              '(turn off: ddsp_run --noauto_restart).')
    else:
      todo = ('What to do: stop this run and train again from scratch with '
              'another seed (ddsp_run --seed=<n>, on an empty --save_dir), or '
              'let training restart itself (leave out --noauto_restart).')
    return (
        '\n' + '!' * 72 + '\n'
        f'HARMONIC COLLAPSE at step {step}: for {self.patience} summary steps '
        f'in a row the harmonic synthesiser was more than '
        f'{-self.hnr_threshold_db:g} dB below the filtered noise '
        f'({describe(health)}), although the data is voiced.\n'
        'The model now plays (almost) only filtered noise, while the loss can '
        'still look normal; watch health/harmonic_to_noise_db in TensorBoard.'
        '\n' + todo + '\n' + '!' * 72)

  def should_restart(self, step, save_dir):
    """Whether a collapse at `step` restarts the run in `save_dir`."""
    if not (self.restart and save_dir):
      return False
    if step > self.restart_within_steps:
      logging.warning('Collapse after step %d: no automatic restart.',
                      self.restart_within_steps)
      return False
    if count_restarts(save_dir) >= self.max_restarts:
      logging.warning('%d restart(s) already made in %s: training goes on.',
                      self.max_restarts, save_dir)
      return False
    return True


# ---------------------------------------------------------------------------
# Run folders of restarted runs.
# ---------------------------------------------------------------------------
def count_restarts(save_dir):
  """Number of `collapsed-*` folders in a run folder."""
  if not tf.io.gfile.isdir(save_dir):
    return 0
  return sum(name.startswith(COLLAPSED_PREFIX)
             for name in tf.io.gfile.listdir(save_dir))


def move_run_aside(save_dir, seed):
  """Moves a run's files into `<save_dir>/collapsed-<seed>/`.

  Works on any file system TensorFlow reads (local folders, `gs://`...):
  files are renamed one by one (Cloud Storage cannot rename folders).

  Args:
    save_dir: The run folder.
    seed: Seed of the collapsed run (names the folder).

  Returns:
    The folder the files went to.
  """
  target = posixpath.join(save_dir, f'{COLLAPSED_PREFIX}{seed}')
  suffix = 1
  while tf.io.gfile.exists(target):
    target = posixpath.join(save_dir, f'{COLLAPSED_PREFIX}{seed}.{suffix}')
    suffix += 1
  tf.io.gfile.makedirs(target)
  for name in tf.io.gfile.listdir(save_dir):
    name = name.rstrip('/')
    if not name.startswith(COLLAPSED_PREFIX):
      _move(posixpath.join(save_dir, name), posixpath.join(target, name))
  return target


def _move(source, target):
  """Moves a file, or a folder file by file, with tf.io.gfile."""
  if not tf.io.gfile.isdir(source):
    tf.io.gfile.rename(source, target)
    return
  tf.io.gfile.makedirs(target)
  for name in tf.io.gfile.listdir(source):
    name = name.rstrip('/')
    _move(posixpath.join(source, name), posixpath.join(target, name))
  tf.io.gfile.rmtree(source)
