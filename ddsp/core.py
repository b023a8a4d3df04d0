# Copyright 2024 The DDSP Authors.
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

"""Library of differentiable DSP building blocks (float32 TensorFlow ops).

Contents, in order: generic utilities, safe math, unit conversions, scaling
functions for network outputs, resampling, harmonic <-> sinusoidal
conversions, oscillators, wavetables and delays, and FFT convolution with
filter design.

Conventions: frame-wise controls are `[batch, n_frames, n_channels]`, audio is
`[batch, n_samples]`. Everything is cast to float32 with `tf_float32`.
"""

import collections.abc
import copy
from typing import TypeVar

import gin
import numpy as np
import scipy.fftpack
import tensorflow.compat.v2 as tf

Number = TypeVar('Number', int, float, np.ndarray, tf.Tensor)

# Dynamic range of the decibel scale used throughout (0 dB <-> amplitude 1).
DB_RANGE = 80.0

_TWO_PI = 2.0 * np.pi


# ------------------------------------------------------------------------------
# Utilities
# ------------------------------------------------------------------------------
def tf_float32(x):
  """Returns `x` as a float32 tensor (a cast for tensors, else a conversion)."""
  if isinstance(x, tf.Tensor):
    return tf.cast(x, dtype=tf.float32)
  return tf.convert_to_tensor(x, tf.float32)


def make_iterable(x):
  """Wraps `x` in a list unless it is already an iterable container.

  Arrays and tensors are wrapped too (never iterate over a batch dimension).
  `None` becomes an empty list.
  """
  if x is None:
    return []
  if isinstance(x, (np.ndarray, tf.Tensor)):
    return [x]
  if isinstance(x, collections.abc.Iterable):
    return x
  return [x]


def to_dict(x, keys):
  """Zips `x` (a value or a sequence of values) with `keys` into a dict."""
  if isinstance(x, dict):
    return x
  x = make_iterable(x)
  if len(keys) != len(x):
    raise ValueError(f'Keys: {keys} must be the same length as {x}')
  return dict(zip(keys, x))


def copy_if_tf_function(x):
  """Shallow copy of `x` when tracing a tf.function, `x` itself when eager.

  Inside a tf.function, mutating a Python dict argument would leak symbolic
  tensors to the caller, so traced code works on a copy.
  """
  return x if tf.executing_eagerly() else copy.copy(x)


def nested_keys(nested_dict, delimiter='/', prefix=''):
  """Depth-first list of the leaf key paths of a nested dict.

  Note: as in the original, the recursion does not forward `delimiter`, so
  levels below the first always join with '/'.

  Args:
    nested_dict: Dict whose values may be dicts.
    delimiter: Joins the first level to the second.
    prefix: Path of `nested_dict` itself ('' at the top).

  Returns:
    List of strings like ['a/b', 'a/c/d', 'e'].
  """
  keys = []
  for k, v in nested_dict.items():
    key = f'{prefix}{delimiter}{k}' if prefix else k
    if isinstance(v, dict):
      keys += nested_keys(v, prefix=key)
    else:
      keys.append(key)
  return keys


def nested_lookup(nested_key, nested_dict, delimiter='/'):
  """Indexes a nested dict with a path like 'harmonic/controls/amplitudes'.

  Raises:
    KeyError: naming the missing component, the full key and all leaf keys.
  """
  value = nested_dict
  for key in nested_key.split(delimiter):
    try:
      value = value[key]
    except KeyError:
      raise KeyError(
          f'Key \'{key}\' as a part of nested key \'{nested_key}\' not found '
          'during nested dictionary lookup, out of available keys: '
          f'{nested_keys(nested_dict)}') from None
  return value


def leaf_key(nested_key, delimiter='/'):
  """Last component of a nested key ('a/b/c' -> 'c')."""
  return nested_key.split(delimiter)[-1]


def map_shape(x):
  """Replaces every tensor of a nested structure by its shape list (eager)."""
  return tf.nest.map_structure(lambda t: list(tf.shape(t).numpy()), x)


def pad_axis(x, padding=(0, 0), axis=0, **pad_kwargs):
  """Pads a single axis of `x` with `(before, after)` values via `tf.pad`.

  Args:
    x: Tensor (or array) to pad.
    padding: Pair (n_before, n_after).
    axis: Non-negative axis index to pad.
    **pad_kwargs: Forwarded to `tf.pad` (`mode`, `constant_values`, ...).

  Returns:
    Padded tensor, other axes untouched.
  """
  n_end_dims = max(len(x.shape) - axis - 1, 0)
  paddings = [[0, 0]] * axis + [list(padding)] + [[0, 0]] * n_end_dims
  return tf.pad(x, paddings, **pad_kwargs)


def diff(x, axis=-1):
  """First finite difference `x[i+1] - x[i]` along `axis` (one shorter).

  Args:
    x: Tensor with a static shape.
    axis: Axis to differentiate along (negative values count from the end).

  Returns:
    Tensor with `shape[axis]` reduced by one.

  Raises:
    ValueError: if `axis` is out of range.
  """
  x = tf.convert_to_tensor(x)
  shape = x.shape.as_list()
  ndim = len(shape)
  if axis >= ndim:
    raise ValueError(f'Invalid axis index: {axis} for tensor with only {ndim} '
                     'axes.')
  begin_back = [0] * ndim
  begin_front = [0] * ndim
  begin_front[axis] = 1
  shape[axis] -= 1
  slice_front = tf.slice(x, begin_front, shape)
  slice_back = tf.slice(x, begin_back, shape)
  return slice_front - slice_back


# ------------------------------------------------------------------------------
# Math
# ------------------------------------------------------------------------------
def nan_to_num(x, value=0.0):
  """Replaces NaNs of `x` by `value`."""
  return tf.where(tf.math.is_nan(x), value * tf.ones_like(x), x)


def safe_divide(numerator, denominator, eps=1e-7):
  """`numerator / denominator`, with zeros of the denominator set to `eps`."""
  safe_denominator = tf.where(denominator == 0.0, eps, denominator)
  return numerator / safe_denominator


def safe_log(x, eps=1e-5):
  """Natural log with non-positive inputs replaced by `eps` (no -inf/NaN)."""
  safe_x = tf.where(x <= 0.0, eps, x)
  return tf.math.log(safe_x)


def logb(x, base=2.0, eps=1e-5):
  """Logarithm in `base`: log_b(x) = ln(x) / ln(b), both logs made safe."""
  return safe_divide(safe_log(x, eps), safe_log(base, eps), eps)


def log10(x, eps=1e-5):
  """Safe base-10 logarithm (log10(0) = log10(eps) = -5 by default)."""
  return logb(x, base=10, eps=eps)


def log_scale(x, min_x, max_x):
  """Maps x in [-1, 1] log-uniformly onto [min_x, max_x].

  u = (x + 1) / 2;  y = exp((1 - u) ln(min_x) + u ln(max_x)).
  """
  x = (x + 1.0) / 2.0
  return tf.exp((1.0 - x) * tf.math.log(min_x) + x * tf.math.log(max_x))


def soft_limit(x, x_min=0.0, x_max=1.0):
  """Smooth clip to [x_min, x_max].

  y = softplus(x) + x_min - softplus(x - (x_max - x_min)).
  """
  return (tf.nn.softplus(x) + x_min) - tf.nn.softplus(x - (x_max - x_min))


def gradient_reversal(x):
  """Identity in the forward pass, negated gradient in the backward pass."""
  return tf.stop_gradient(2.0 * x) - x


# ------------------------------------------------------------------------------
# Unit conversions
# ------------------------------------------------------------------------------
def amplitude_to_db(amplitude, ref_db=0.0, range_db=DB_RANGE, use_tf=True):
  """Amplitude to decibels: 10 log10(amplitude^2), floored at -range_db."""
  power = amplitude**2.0
  return power_to_db(power, ref_db=ref_db, range_db=range_db, use_tf=use_tf)


def power_to_db(power, ref_db=0.0, range_db=DB_RANGE, use_tf=True):
  """Power to decibels relative to 0 dB <-> power 1.

  db = max(10 log10(max(power, 10^(-range_db/10))) - ref_db, -range_db).

  Args:
    power: Power values (tensor or array).
    ref_db: Subtracted from the result.
    range_db: Dynamic range; sets both the power floor and the dB floor.
    use_tf: TF ops with the safe `log10` if True, numpy ops otherwise.

  Returns:
    Decibels, same shape as `power`.
  """
  maximum = tf.maximum if use_tf else np.maximum
  log_base10 = log10 if use_tf else np.log10
  power_min = 10.0**(-range_db / 10.0)
  power = maximum(power_min, power)
  power_db = 10.0 * log_base10(power)
  power_db -= ref_db
  return maximum(-range_db, power_db)


def db_to_amplitude(db):
  """Decibels to amplitude: 10^(db / 20)."""
  return db_to_power(db / 2.0)


def db_to_power(db):
  """Decibels to power: 10^(db / 10)."""
  return 10.0**(db / 10.0)


def midi_to_hz(notes: Number, midi_zero_silence: bool = False) -> Number:
  """MIDI note number to Hz: 440 * 2^((note - 69) / 12).

  Args:
    notes: MIDI note numbers (cast to float32).
    midi_zero_silence: If True, note 0.0 maps to 0.0 Hz (silence).

  Returns:
    Frequencies in Hz, same shape as `notes`.
  """
  notes = tf_float32(notes)
  hz = 440.0 * (2.0**((notes - 69.0) / 12.0))
  if midi_zero_silence:
    hz = tf.where(tf.equal(notes, 0.0), 0.0, hz)
  return hz


def hz_to_midi(frequencies: Number) -> Number:
  """Hz to MIDI note number: 12 (log2 f - log2 440) + 69; f <= 0 -> 0."""
  frequencies = tf_float32(frequencies)
  notes = 12.0 * (logb(frequencies, 2.0) - logb(440.0, 2.0)) + 69.0
  return tf.where(tf.less_equal(frequencies, 0.0), 0.0, notes)


def unit_to_midi(unit: Number,
                 midi_min: Number = 20.0,
                 midi_max: Number = 90.0,
                 clip: bool = False) -> Number:
  """Maps [0, 1] linearly onto [midi_min, midi_max] (clip the unit first)."""
  unit = tf.clip_by_value(unit, 0.0, 1.0) if clip else unit
  return midi_min + (midi_max - midi_min) * unit


def midi_to_unit(midi: Number,
                 midi_min: Number = 20.0,
                 midi_max: Number = 90.0,
                 clip: bool = False) -> Number:
  """Maps [midi_min, midi_max] linearly onto [0, 1] (clip the result)."""
  unit = (midi - midi_min) / (midi_max - midi_min)
  return tf.clip_by_value(unit, 0.0, 1.0) if clip else unit


def unit_to_hz(unit: Number,
               hz_min: Number,
               hz_max: Number,
               clip: bool = False) -> Number:
  """Maps [0, 1] onto [hz_min, hz_max], linearly on the MIDI scale."""
  midi = unit_to_midi(unit,
                      midi_min=hz_to_midi(hz_min),
                      midi_max=hz_to_midi(hz_max),
                      clip=clip)
  return midi_to_hz(midi)


def hz_to_unit(hz: Number,
               hz_min: Number,
               hz_max: Number,
               clip: bool = False) -> Number:
  """Maps [hz_min, hz_max] onto [0, 1], linearly on the MIDI scale."""
  midi = hz_to_midi(hz)
  return midi_to_unit(midi,
                      midi_min=hz_to_midi(hz_min),
                      midi_max=hz_to_midi(hz_max),
                      clip=clip)


def hz_to_bark(hz):
  """Hz to Bark (Traunmuller): 26.81 / (1 + 1960 / hz) - 0.53."""
  return 26.81 / (1.0 + 1960.0 / hz) - 0.53


def bark_to_hz(bark):
  """Bark to Hz, inverse of `hz_to_bark`."""
  return 1960.0 / (26.81 / (bark + 0.53) - 1.0)


def hz_to_mel(hz):
  """Hz to mel: 2595 log10(1 + hz / 700)."""
  return 2595 * logb(1 + hz / 700, 10.0)


def mel_to_hz(mel):
  """Mel to Hz: 700 (10^(mel / 2595) - 1)."""
  return 700.0 * (10.0**(mel / 2595.0) - 1.0)


def hz_to_erb(hz):
  """Equivalent rectangular bandwidth (Hz) of an auditory filter at `hz`."""
  return 0.108 * hz + 24.7


# ------------------------------------------------------------------------------
# Scaling functions
# ------------------------------------------------------------------------------
@gin.register
def exp_sigmoid(x, exponent=10.0, max_value=2.0, threshold=1e-7):
  """Exponentiated sigmoid for positive network outputs (amplitudes...).

  y = max_value * sigmoid(x)^ln(exponent) + threshold.

  Args:
    x: Input tensor.
    exponent: Steepness; the sigmoid is raised to the power ln(exponent).
    max_value: Limit of the output for large x.
    threshold: Minimum output value (keeps logs and gradients finite).

  Returns:
    Tensor of the same shape, in (threshold, max_value + threshold).
  """
  x = tf_float32(x)
  return max_value * tf.nn.sigmoid(x)**tf.math.log(exponent) + threshold


@gin.register
def sym_exp_sigmoid(x, width=8.0):
  """Symmetric exp_sigmoid peaking at x = 0: exp_sigmoid(width (|x|/2 - 1))."""
  x = tf_float32(x)
  return exp_sigmoid(width * (tf.abs(x) / 2.0 - 1.0))


def _add_depth_axis(freqs, depth=1):
  """Splits channels into (sinusoid, depth): [B, T, N*D] -> [B, T, N, D]."""
  freqs = freqs[..., tf.newaxis]
  batch_size, n_frames, n_freqs, _ = freqs.shape.as_list()
  return tf.reshape(freqs, [batch_size, n_frames, n_freqs // depth, depth])


def _with_depth_axis(freqs, depth):
  """Returns (freqs as [B, T, N, D], D) for 3-D or 4-D inputs."""
  freqs = tf_float32(freqs)
  if len(freqs.shape) == 3:
    return _add_depth_axis(freqs, depth), depth
  return freqs, int(freqs.shape[-1])


@gin.register
def frequencies_softmax(freqs, depth=1, hz_min=20.0, hz_max=8000.0):
  """Frequencies from a softmax over `depth` bins spread on a MIDI scale.

  u = sum_d linspace(0, 1, depth)_d * softmax(freqs)_d, then `unit_to_hz`.

  Args:
    freqs: Logits `[B, T, N * depth]` or `[B, T, N, depth]`.
    depth: Number of bins per sinusoid (for 3-D inputs).
    hz_min: Frequency of the lowest bin.
    hz_max: Frequency of the highest bin.

  Returns:
    Frequencies in Hz, `[B, T, N]`.
  """
  freqs, depth = _with_depth_axis(freqs, depth)
  f_probs = tf.nn.softmax(freqs, axis=-1)
  bins = tf.linspace(0.0, 1.0, depth)[tf.newaxis, tf.newaxis, tf.newaxis, :]
  f_unit = tf.reduce_sum(bins * f_probs, axis=-1)
  return unit_to_hz(f_unit, hz_min=hz_min, hz_max=hz_max)


@gin.register
def frequencies_sigmoid(freqs, depth=1, hz_min=0.0, hz_max=8000.0):
  """Frequencies as a sum of `depth` sigmoid-scaled pieces of the range.

  With R = hz_max - hz_min and s = R^(1/depth), piece i < depth - 1 spans
  [0, R_i (1 - 1/s)] (R_i the remaining range), the last spans
  [hz_min, R_last]; each sigmoid output is mapped with `unit_to_hz`.

  Args:
    freqs: Logits `[B, T, N * depth]` or `[B, T, N, depth]`.
    depth: Number of pieces per sinusoid (for 3-D inputs).
    hz_min: Lowest frequency.
    hz_max: Highest frequency.

  Returns:
    Frequencies in Hz, `[B, T, N]`.
  """
  freqs, depth = _with_depth_axis(freqs, depth)
  f_probs = tf.nn.sigmoid(freqs)
  remainder = hz_max - hz_min
  scale_factor = remainder**(1.0 / depth)
  pieces = []
  for i in range(depth):
    if i == depth - 1:
      piece_min, piece_max = hz_min, remainder
    else:
      piece_min, piece_max = 0.0, remainder * (1.0 - 1.0 / scale_factor)
      remainder -= piece_max
    pieces.append(unit_to_hz(f_probs[..., i], hz_min=piece_min,
                             hz_max=piece_max))
  return tf.add_n(pieces) if len(pieces) > 1 else pieces[0]


@gin.register
def frequencies_critical_bands(freqs,
                               depth=1,
                               depth_scale=10.0,
                               bandwidth_scale=1.0,
                               hz_min=20.0,
                               hz_max=8000.0,
                               scale='bark'):
  """Frequencies modulated around fixed centres within critical bands.

  Centres f_c are equally spaced on the bark (or mel) scale; each sinusoid
  moves by bandwidth_scale * erb(f_c) * sum_d tanh(freqs_d) depth_scale^-d,
  and the result is soft-limited to [hz_min, hz_max].

  Args:
    freqs: Logits `[B, T, N * depth]` or `[B, T, N, depth]`.
    depth: Number of modulation terms per sinusoid (for 3-D inputs).
    depth_scale: Each deeper term is scaled down by this factor.
    bandwidth_scale: Multiplies the ERB bandwidth of the modulation.
    hz_min: Lowest frequency (also the lowest centre).
    hz_max: Highest frequency (also the highest centre).
    scale: 'bark' or anything else for mel spacing of the centres.

  Returns:
    Frequencies in Hz, `[B, T, N]`.
  """
  freqs, depth = _with_depth_axis(freqs, depth)
  n_sinusoids = int(freqs.shape[-2])

  # Centre frequencies equally spaced on a perceptual scale.
  if scale == 'bark':
    f_center = bark_to_hz(np.linspace(hz_to_bark(hz_min), hz_to_bark(hz_max),
                                      n_sinusoids))
  else:
    f_center = mel_to_hz(np.linspace(hz_to_mel(hz_min), hz_to_mel(hz_max),
                                     n_sinusoids))
  f_center = np.asarray(f_center)
  bandwidth = bandwidth_scale * hz_to_erb(f_center)

  # m = sum_d tanh(x_d) * depth_scale^-d.
  depth_weights = np.asarray(depth_scale, np.float64)**(-np.arange(depth))
  depth_weights = tf.constant(depth_weights, tf.float32)
  f_mod = tf.reduce_sum(tf.tanh(freqs) * depth_weights, axis=-1)

  f_hz = (tf.constant(f_center, tf.float32)
          + tf.constant(bandwidth, tf.float32) * f_mod)
  return soft_limit(f_hz, hz_min, hz_max)
