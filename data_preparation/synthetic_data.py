"""Random synthesizer controls for self-supervised datasets (EXPERIMENTAL).

Generators draw from numpy's global random state (seed it with
`np.random.seed`) and return a dict of float32 tensors:

  harm_amp          [batch, n_timesteps, 1]            total harmonic amplitude
  harm_dist         [batch, n_timesteps, n_harmonics]  harmonic distribution
  f0_hz             [batch, n_timesteps, 1]            fundamental (Hz)
  sin_amps          [batch, n_timesteps, n_harmonics]  sinusoid amplitudes
  sin_freqs         [batch, n_timesteps, n_harmonics]  sinusoid freqs (Hz)
  noise_magnitudes  [batch, n_timesteps, n_mags]       filtered-noise mags

`sin_amps, sin_freqs = core.harmonic_to_sinusoidal(harm_amp, harm_dist,
f0_hz)`. As in the original, `remove_above_nyquist` is applied to the
harmonic distribution with the fundamental frequency only (known quirk).
"""

import warnings

from ddsp import core
import gin
import numpy as np
import tensorflow as tf

warnings.warn(
    'EXPERIMENTAL: ddsp.training.data_preparation.synthetic_data is an '
    'experimental module; its API and output may change.', UserWarning)


# ------------------------------------------------------------ random draws --
def flip(p=0.5):
  """True with probability p."""
  return np.random.uniform() <= p


def uniform_int(minval=0, maxval=10):
  """Uniform integer in [minval, maxval] (inclusive)."""
  # Same stream as the deprecated np.random.random_integers(min, max).
  return np.random.randint(int(minval), int(maxval) + 1)


def uniform_float(minval=0.0, maxval=10.0):
  """Uniform float in [minval, maxval)."""
  return np.random.uniform(float(minval), float(maxval))


def uniform_generator(sample_shape, n_timesteps, minval, maxval,
                      method='linear'):
  """Uniform random values `sample_shape` resampled to n_timesteps.

  Args:
    sample_shape: [batch, n_points, channels] of the random control points.
    n_timesteps: output length along axis 1.
    minval: lower bound.
    maxval: upper bound.
    method: `core.resample` method ('nearest', 'linear', 'cubic', ...).

  Returns:
    float32 tensor [batch, n_timesteps, channels].
  """
  signal = np.random.uniform(minval, maxval, sample_shape)
  return core.resample(signal.astype(np.float32), n_timesteps, method=method)


def normal_generator(sample_shape, n_timesteps, mean, stddev,
                     method='linear'):
  """Normal random values `sample_shape` resampled to n_timesteps."""
  signal = np.random.normal(mean, stddev, sample_shape)
  return core.resample(signal.astype(np.float32), n_timesteps, method=method)


def modulate(signal, maxval=0.5, n_t=10, method='linear'):
  """Multiplies a signal by a slow random modulation around 1.

  modulation = 1 + |N(0, s)| resampled from n_t points, s ~ U(0, maxval).

  Args:
    signal: [batch, n_timesteps, channels].
    maxval: largest standard deviation of the modulation.
    n_t: number of random control points.
    method: resampling method.

  Returns:
    signal * modulation, same shape.
  """
  signal = core.tf_float32(signal)
  shape = signal.shape.as_list()
  stddev = uniform_float(0.0, maxval)
  noise = normal_generator([shape[0], n_t, shape[2]], shape[1], 0.0, stddev,
                           method=method)
  return signal * (1.0 + tf.abs(noise))


def random_blend(length, env_start=1.0, env_end=0.0, exp_max=2.0):
  """Curved ramp from env_start to env_end over `length` steps.

  v = linspace(1, 0, length) ** (2 ** u), u ~ U(-exp_max, exp_max);
  result = env_start * v + env_end * (1 - v).
  """
  exponent = 2.0 ** uniform_float(-exp_max, exp_max)
  v = np.linspace(1.0, 0.0, length) ** exponent
  return env_start * v + env_end * (1.0 - v)


def random_harm_dist(n_harmonics=100, low_pass=True, rand_phase=0.0):
  """Random harmonic-distribution logits [n_harmonics].

  A sinusoidal ripple across harmonics (random number of cycles, depth and,
  scaled by `rand_phase`, phase) plus, if `low_pass`, a random downward
  slope so that higher harmonics are weaker.
  """
  h = np.linspace(0.0, 1.0, n_harmonics)
  cycles = uniform_float(0.0, 10.0)
  depth = uniform_float(0.0, 3.0)
  phase = rand_phase * uniform_float(-np.pi, np.pi)
  logits = depth * np.sin(2.0 * np.pi * cycles * h + phase)
  if low_pass:
    logits -= uniform_float(0.0, 20.0) * h
  return logits


def _controls(amps, harm_dist, f0_hz, mags, dist_fn):
  """Scales raw controls and derives the sinusoidal controls."""
  amps = core.exp_sigmoid(amps)
  amps /= uniform_float(1.0, 2.0 if flip() else uniform_float(2.0, 10.0))
  harm_dist = dist_fn(harm_dist)
  harm_dist = core.remove_above_nyquist(f0_hz, harm_dist)
  harm_dist = core.safe_divide(
      harm_dist, tf.reduce_sum(harm_dist, axis=-1, keepdims=True))
  mags = core.exp_sigmoid(mags)
  return amps, harm_dist, mags


def _outputs(amps, harm_dist, f0_hz, mags):
  sin_amps, sin_freqs = core.harmonic_to_sinusoidal(amps, harm_dist, f0_hz)
  return {
      'harm_amp': core.tf_float32(amps),
      'harm_dist': core.tf_float32(harm_dist),
      'f0_hz': core.tf_float32(f0_hz),
      'sin_amps': sin_amps,
      'sin_freqs': sin_freqs,
      'noise_magnitudes': core.tf_float32(mags),
  }


# --------------------------------------------------------------- generators --
@gin.configurable
def generate_notes(n_batch,
                   n_timesteps,
                   n_harmonics=100,
                   n_mags=65,
                   get_controls=True):
  """Discrete notes of random pitch, loudness and timbre (version 1).

  Every 20 frames a new note: amplitude logits U(-2, 2) (modulated), harmonic
  logits N(0, 3), pitch uniform in MIDI 24-84, noise logits U(-10, -2).

  Args:
    n_batch: batch size.
    n_timesteps: frames per example.
    n_harmonics: harmonics of the distribution.
    n_mags: noise magnitude bands.
    get_controls: scale the logits (exp_sigmoid / normalised distribution).

  Returns:
    dict of float32 tensors (see the module docstring).
  """
  n_notes = max(int(n_timesteps // 20), 1)
  amps = uniform_generator((n_batch, n_notes, 1), n_timesteps, -2.0, 2.0,
                           method='nearest')
  amps = modulate(amps, maxval=0.5, n_t=n_notes)
  harm_dist = normal_generator((n_batch, n_notes, n_harmonics), n_timesteps,
                               0.0, 3.0, method='nearest')
  f0_midi = uniform_generator((n_batch, n_notes, 1), n_timesteps, 24.0, 84.0,
                              method='nearest')
  f0_hz = core.midi_to_hz(f0_midi)
  mags = uniform_generator((n_batch, n_notes, n_mags), n_timesteps, -10.0,
                           -2.0, method='nearest')
  if get_controls:
    amps, harm_dist, mags = _controls(amps, harm_dist, f0_hz, mags,
                                      core.exp_sigmoid)
  return _outputs(amps, harm_dist, f0_hz, mags)


def _note_v2(length, n_harmonics, n_mags, p_silent, p_vibrato):
  """Controls of one note: (amp [L], harm logits [L, H], midi [L], mags)."""
  if flip(p_silent):
    amp = np.full([length], -10.0)
  else:
    amp = random_blend(length, uniform_float(-2.0, 2.0),
                       uniform_float(-4.0, 2.0))
    amp += np.random.normal(0.0, uniform_float(0.0, 0.2), [length])
  dist_a = random_harm_dist(n_harmonics, rand_phase=uniform_float(0.0, 1.0))
  dist_b = random_harm_dist(n_harmonics, rand_phase=uniform_float(0.0, 1.0))
  blend = random_blend(length, 1.0, 0.0)[:, np.newaxis]
  harm_dist = blend * dist_a + (1.0 - blend) * dist_b
  midi = np.full([length], uniform_float(24.0, 84.0))
  if flip(p_vibrato):
    rate = uniform_float(0.02, 0.15)  # Cycles per frame.
    depth = uniform_float(0.05, 0.5)  # semitones.
    midi += depth * np.sin(2.0 * np.pi * rate * np.arange(length))
  mags = (random_blend(length, uniform_float(-2.0, 2.0),
                       uniform_float(-2.0, 2.0))[:, np.newaxis]
          + np.random.normal(0.0, 1.0, [1, n_mags])
          - uniform_float(1.0, 10.0))
  return amp, harm_dist, midi, mags


@gin.configurable
def generate_notes_v2(n_batch=1,
                      n_timesteps=125,
                      n_harmonics=100,
                      n_mags=65,
                      min_note_length=5,
                      max_note_length=25,
                      p_silent=0.1,
                      p_vibrato=0.5,
                      get_controls=True):
  """Notes of random length with envelopes, vibrato and timbre blends.

  Args:
    n_batch: batch size.
    n_timesteps: frames per example.
    n_harmonics: harmonics of the distribution.
    n_mags: noise magnitude bands.
    min_note_length: shortest note (frames).
    max_note_length: longest note (frames).
    p_silent: probability that a note is silent (amplitude logit -10).
    p_vibrato: probability that a note has vibrato.
    get_controls: scale the logits (exp_sigmoid / softmax distribution).

  Returns:
    dict of float32 tensors (see the module docstring).
  """
  batch = {'amp': [], 'dist': [], 'midi': [], 'mags': []}
  for _ in range(n_batch):
    notes = {'amp': [], 'dist': [], 'midi': [], 'mags': []}
    total = 0
    while total < n_timesteps:
      length = uniform_int(min_note_length, max_note_length)
      amp, dist, midi, mags = _note_v2(length, n_harmonics, n_mags, p_silent,
                                       p_vibrato)
      for key, value in zip(('amp', 'dist', 'midi', 'mags'),
                            (amp, dist, midi, mags)):
        notes[key].append(value)
      total += length
    for key in batch:
      batch[key].append(np.concatenate(notes[key], axis=0)[:n_timesteps])
  amps = np.stack(batch['amp'])[..., np.newaxis].astype(np.float32)
  harm_dist = np.stack(batch['dist']).astype(np.float32)
  f0_hz = core.midi_to_hz(
      np.stack(batch['midi'])[..., np.newaxis].astype(np.float32))
  mags = np.stack(batch['mags']).astype(np.float32)
  f0_hz = core.tf_float32(f0_hz)
  if get_controls:
    amps, harm_dist, mags = _controls(amps, harm_dist, f0_hz, mags,
                                      tf.nn.softmax)
  return _outputs(amps, harm_dist, f0_hz, mags)
