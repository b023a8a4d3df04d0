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

from ddsp import devices
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
  # Unknown dims (e.g. batch inside tf.function) take "the rest" (-1).
  size = [-1 if d is None else d for d in shape]
  if shape[axis] is None:
    size = tf.tensor_scatter_nd_update(
        tf.constant(size), [[axis % ndim]], [tf.shape(x)[axis] - 1])
  else:
    size[axis] -= 1
  shape = size
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


# ------------------------------------------------------------------------------
# Resampling
# ------------------------------------------------------------------------------
_RESAMPLE_METHODS = ['nearest', 'linear', 'cubic', 'window']


def _image_resize_time(inputs, n_timesteps, method, add_endpoint):
  """Resizes axis 1 of `[B, T, F, N]` with TF1 image resize semantics.

  Source coordinate of output step i: s_i = i T_in / T_out (add_endpoint) or
  s_i = i (T_in - 1) / (T_out - 1) (align corners, no endpoint).
  """
  return tf.compat.v1.image.resize(
      inputs, [n_timesteps, inputs.shape[2]],
      method=method,
      align_corners=not add_endpoint)


def resample(inputs: tf.Tensor,
             n_timesteps: int,
             method: str = 'linear',
             add_endpoint: bool = True) -> tf.Tensor:
  """Interpolates frame-wise data along time (axis 1, or axis 0 if 1-D).

  Args:
    inputs: `[T]`, `[B, T]`, `[B, T, N]` or `[B, T, F, N]`.
    n_timesteps: Number of output time steps.
    method: 'nearest', 'linear', 'cubic' (image resizing) or 'window'
      (overlapping Hann windows, upsampling of 3-D inputs only).
    add_endpoint: If True, the last input frame is held at the end (frames
      sit at the start of their hop). If False, the first and last outputs
      coincide with the first and last frames (align corners).

  Returns:
    Tensor of the input's rank with `T` replaced by `n_timesteps`.

  Raises:
    ValueError: for an unknown method, or from `upsample_with_windows`.
  """
  inputs = tf_float32(inputs)
  rank = len(inputs.shape)
  if rank == 1:
    inputs = inputs[tf.newaxis, :, tf.newaxis]
  elif rank == 2:
    inputs = inputs[:, :, tf.newaxis]

  image_methods = {
      'nearest': tf.compat.v1.image.ResizeMethod.NEAREST_NEIGHBOR,
      'linear': tf.compat.v1.image.ResizeMethod.BILINEAR,
      'cubic': tf.compat.v1.image.ResizeMethod.BICUBIC,
  }
  if method in image_methods:
    if rank == 4:
      outputs = _image_resize_time(inputs, n_timesteps, image_methods[method],
                                   add_endpoint)
    else:
      outputs = _image_resize_time(inputs[:, :, tf.newaxis, :], n_timesteps,
                                   image_methods[method], add_endpoint)
      outputs = outputs[:, :, 0, :]
  elif method == 'window':
    outputs = upsample_with_windows(inputs, n_timesteps, add_endpoint)
  else:
    raise ValueError(f'Method ({method}) is invalid. Must be one of '
                     f'{_RESAMPLE_METHODS}.')

  if rank == 1:
    return outputs[0, :, 0]
  if rank == 2:
    return outputs[:, :, 0]
  return outputs


def upsample_with_windows(inputs: tf.Tensor,
                          n_timesteps: int,
                          add_endpoint: bool = True) -> tf.Tensor:
  """Upsamples frames by overlap-adding Hann windows (smooth envelopes).

  Frame k is multiplied by a periodic Hann window w of length 2 * hop centred
  on it, and the windows are overlap-added with step hop. Since
  w[n] + w[n + hop] = 1, output sample j = m * hop + n (0 <= n < hop) is

    y[j] = x[m] * w[n + hop] + x[m + 1] * w[n],

  which is computed directly here (same values as `tf.signal.overlap_and_add`
  without materialising every windowed frame).

  Args:
    inputs: Frames `[B, T, N]`.
    n_timesteps: Output length; a multiple of the number of intervals
      (T with `add_endpoint`, else T - 1).
    add_endpoint: Hold the last frame for one extra hop at the end.

  Returns:
    Upsampled tensor `[B, n_timesteps, N]`.

  Raises:
    ValueError: if `inputs` is not 3-D, if there are at least as many frames
      as timesteps, or if `n_timesteps` is not a multiple of the intervals.
  """
  inputs = tf_float32(inputs)
  if len(inputs.shape) != 3:
    raise ValueError('Upsample_with_windows() only supports 3 dimensions, '
                     f'not {inputs.shape}.')

  if add_endpoint:
    inputs = tf.concat([inputs, inputs[:, -1:, :]], axis=1)

  n_frames = int(inputs.shape[1])
  n_intervals = n_frames - 1

  if n_frames >= n_timesteps:
    raise ValueError('Upsample with windows cannot be used for downsampling. '
                     f'More input frames ({n_frames}) than output timesteps '
                     f'({n_timesteps}).')
  if n_timesteps % n_intervals != 0:
    raise ValueError(
        'For upsampling, the target the number of timesteps must be divisible '
        'by the number of input frames. '
        f'(timesteps:{n_timesteps}, frames:{n_frames}, '
        f'add_endpoint={add_endpoint}).')

  hop_size = n_timesteps // n_intervals
  window = tf.signal.hann_window(2 * hop_size)  # periodic, float32
  # Fading-out half for frame m, fading-in half for frame m + 1: [hop, 1].
  fade_out = window[hop_size:, tf.newaxis]
  fade_in = window[:hop_size, tf.newaxis]
  # [B, n_intervals, hop, N].
  left = inputs[:, :-1, tf.newaxis, :] * fade_out
  right = inputs[:, 1:, tf.newaxis, :] * fade_in
  outputs = left + right
  batch_size, _, n_channels = _static_or_dynamic_shape(inputs)
  return tf.reshape(outputs, [batch_size, n_timesteps, n_channels])


def _static_or_dynamic_shape(x):
  """Shape list with static sizes where known, scalar tensors elsewhere."""
  dynamic = tf.shape(x)
  return [d if d is not None else dynamic[i]
          for i, d in enumerate(x.shape.as_list())]


def center_crop(audio, frame_size):
  """Removes `frame_size // 2` samples from both ends of axis 1."""
  pad_amount = int(frame_size // 2)
  return audio[:, pad_amount:-pad_amount]


# ------------------------------------------------------------------------------
# Sinusoidal / harmonic conversions
# ------------------------------------------------------------------------------
def _harmonic_numbers(n_harmonics):
  """[1, 2, ..., n_harmonics] as float32 `[1, 1, n_harmonics]`."""
  ratios = tf.linspace(1.0, float(n_harmonics), int(n_harmonics))
  return ratios[tf.newaxis, tf.newaxis, :]


def get_harmonic_frequencies(frequencies: tf.Tensor,
                             n_harmonics: int) -> tf.Tensor:
  """Integer multiples of a fundamental.

  Args:
    frequencies: Fundamental frequencies `[B, T, 1]` (Hz).
    n_harmonics: Number of harmonics (fundamental included).

  Returns:
    `[B, T, n_harmonics]` with f0 * [1, 2, ..., n_harmonics].
  """
  frequencies = tf_float32(frequencies)
  return frequencies * _harmonic_numbers(n_harmonics)


def remove_above_nyquist(frequency_envelopes: tf.Tensor,
                         amplitude_envelopes: tf.Tensor,
                         sample_rate: int = 16000) -> tf.Tensor:
  """Zeros the amplitudes of sinusoids at or above the Nyquist frequency.

  Args:
    frequency_envelopes: Frequencies (Hz), broadcastable with amplitudes.
    amplitude_envelopes: Amplitudes, `[B, T, N]` (or broadcastable).
    sample_rate: Sample rate; amplitudes with f >= sample_rate / 2 become 0.

  Returns:
    Masked amplitude envelopes.
  """
  frequency_envelopes = tf_float32(frequency_envelopes)
  amplitude_envelopes = tf_float32(amplitude_envelopes)
  # A scalar 0.0 broadcasts in the select (no zeros tensor to fill).
  return tf.where(
      tf.greater_equal(frequency_envelopes, sample_rate / 2.0),
      0.0, amplitude_envelopes)


def normalize_harmonics(harmonic_distribution, f0_hz=None, sample_rate=None):
  """Makes a harmonic distribution sum to 1 over its last axis.

  If both `f0_hz` and `sample_rate` are given, harmonics at or above Nyquist
  are zeroed first.

  Args:
    harmonic_distribution: `[B, T, n_harmonics]`.
    f0_hz: Optional fundamental `[B, T, 1]`.
    sample_rate: Optional sample rate (Hz).

  Returns:
    Normalized distribution, same shape (a zero sum divides by 1e-7).
  """
  harmonic_distribution = tf_float32(harmonic_distribution)
  if (f0_hz is not None) and (sample_rate is not None):
    n_harmonics = int(harmonic_distribution.shape[-1])
    harmonic_frequencies = get_harmonic_frequencies(f0_hz, n_harmonics)
    harmonic_distribution = remove_above_nyquist(
        harmonic_frequencies, harmonic_distribution, sample_rate)
  total = tf.reduce_sum(harmonic_distribution, axis=-1, keepdims=True)
  return safe_divide(harmonic_distribution, total)


def sinusoidal_to_harmonic(sin_amps,
                           sin_freqs,
                           f0_hz,
                           harmonic_width=0.1,
                           n_harmonics=100,
                           sample_rate=16000,
                           normalize=False):
  """Projects free sinusoids onto the harmonics of a fundamental.

  Harmonic k collects sinusoid j with weight exp(-(r / harmonic_width)^2),
  r = |f_j - k f0| / f0 (distance in units of the fundamental).

  Args:
    sin_amps: Sinusoid amplitudes `[B, T, n_sinusoids]`.
    sin_freqs: Sinusoid frequencies `[B, T, n_sinusoids]` (Hz).
    f0_hz: Fundamental `[B, T, 1]` (Hz).
    harmonic_width: Width of the Gaussian weighting (in units of f0).
    n_harmonics: Number of harmonics.
    sample_rate: Harmonics at or above Nyquist are zeroed.
    normalize: Where a harmonic's weights sum above 1, divide by the sum.

  Returns:
    harm_amp: Total harmonic amplitude `[B, T, 1]`.
    harm_dist: Harmonic distribution `[B, T, n_harmonics]` (sums to 1).
  """
  sin_amps = tf_float32(sin_amps)
  sin_freqs = tf_float32(sin_freqs)
  f0_hz = tf_float32(f0_hz)
  # [B, T, n_harmonics, 1].
  harmonic_freqs = get_harmonic_frequencies(f0_hz, n_harmonics)
  harmonic_freqs = harmonic_freqs[..., tf.newaxis]
  # [B, T, n_harmonics, n_sinusoids].
  freq_ratio = safe_divide(sin_freqs[:, :, tf.newaxis, :] - harmonic_freqs,
                           f0_hz[..., tf.newaxis])
  freq_ratio = tf.abs(freq_ratio)
  weights = tf.exp(-(freq_ratio / harmonic_width)**2)

  if normalize:
    weights_sum = tf.reduce_sum(weights, axis=-1, keepdims=True)
    weights_norm = safe_divide(weights, weights_sum)
    weights = tf.where(weights_sum > 1.0, weights_norm, weights)

  # [B, T, n_harmonics].
  harm_amps = tf.reduce_sum(weights * sin_amps[:, :, tf.newaxis, :], axis=-1)
  harm_amps = remove_above_nyquist(harmonic_freqs[..., 0], harm_amps,
                                   sample_rate)
  harm_amp = tf.reduce_sum(harm_amps, axis=-1, keepdims=True)
  harm_dist = safe_divide(harm_amps, harm_amp)
  return harm_amp, harm_dist


def harmonic_to_sinusoidal(harm_amp, harm_dist, f0_hz, sample_rate=16000):
  """Converts harmonic controls to sinusoid amplitudes and frequencies.

  Args:
    harm_amp: Total amplitude `[B, T, 1]`.
    harm_dist: Harmonic distribution `[B, T, n_harmonics]`.
    f0_hz: Fundamental `[B, T, 1]` (Hz).
    sample_rate: Harmonics at or above Nyquist are removed (and the rest
      renormalized).

  Returns:
    amps: `[B, T, n_harmonics]`.
    freqs: `[B, T, n_harmonics]` (Hz).
  """
  harm_amp = tf_float32(harm_amp)
  harm_dist = tf_float32(harm_dist)
  n_harmonics = int(harm_dist.shape[-1])
  freqs = get_harmonic_frequencies(f0_hz, n_harmonics)
  harm_dist = remove_above_nyquist(freqs, harm_dist, sample_rate)
  harm_dist_sum = tf.reduce_sum(harm_dist, axis=-1, keepdims=True)
  harm_dist = safe_divide(harm_dist, harm_dist_sum)
  amps = harm_amp * harm_dist
  return amps, freqs


# ------------------------------------------------------------------------------
# Oscillators
# ------------------------------------------------------------------------------
def _check_rank(x, rank, name, fn_name):
  """Raises a ValueError naming `name` unless `x` has a known rank `rank`."""
  if x.shape.rank is not None and x.shape.rank != rank:
    raise ValueError(f'{fn_name}: `{name}` must have rank {rank}, got shape '
                     f'{x.shape}.')


def _check_frequencies(frequencies, name, fn_name):
  """In eager mode, rejects NaN or negative frequencies (names the argument).

  Inside a tf.function (and under XLA) the check is skipped so tracing stays
  free of assertions. Processors check their frequency controls once
  themselves and call the unchecked bodies `_harmonic_synthesis` and
  `_wavetable_synthesis` (see `ddsp.processors`).
  """
  if not tf.executing_eagerly():
    return
  values = frequencies.numpy()
  if np.isnan(values).any():
    raise ValueError(f'{fn_name}: `{name}` contains NaN frequencies.')
  if (values < 0.0).any():
    raise ValueError(f'{fn_name}: `{name}` contains negative frequencies '
                     f'(min {values.min()} Hz).')


def _sequential_scan_time(x, reverse=False):
  """Inclusive running sum along axis 1, one time step after the other.

  s[t] = s[t - 1] + x[t] in float32, exactly the order of `tf.cumsum` on CPU
  (hence bit-identical results), but as an XLA-compiled loop that adds one
  `[batch, channels]` slice per step, several times faster than TF's CPU
  kernel for `[batch, n_samples, channels]` tensors.

  Args:
    x: `[B, T, C]` float32.
    reverse: Sum from the end (used for the gradient).

  Returns:
    `[B, T, C]` running sums.
  """
  x_t = tf.transpose(x, [1, 0, 2])  # [T, B, C], one slice per step.
  if reverse:
    x_t = x_t[::-1]
  n_steps = tf.shape(x_t)[0]
  sums = tf.TensorArray(x.dtype, size=n_steps)

  def step(t, total, sums):
    total = total + x_t[t]
    return t + 1, total, sums.write(t, total)

  _, _, sums = tf.while_loop(lambda t, *_: t < n_steps, step,
                             (0, tf.zeros_like(x_t[0]), sums))
  sums = sums.stack()
  if reverse:
    sums = sums[::-1]
  return tf.transpose(sums, [1, 0, 2])


@tf.custom_gradient
def _sequential_cumsum_time(x):
  """`_sequential_scan_time` whose gradient is the reverse running sum."""
  def grad(dy):
    return _sequential_scan_time(dy, reverse=True)
  return _sequential_scan_time(x), grad


# Compiled once per input shape; the gradient is compiled as well.
_cumsum_time_xla = tf.function(_sequential_cumsum_time, jit_compile=True,
                               autograph=False)


# Below this many elements per example, TF's own kernel is fast enough and
# saves the one-off XLA compilation of each new shape.
_XLA_SCAN_MIN_SIZE = 2**18


def _is_large_cpu_tensor(x):
  """3-D float32, >= _XLA_SCAN_MIN_SIZE elements per example, placed on CPU."""
  if len(x.shape) != 3 or x.dtype != tf.float32:
    return False
  size = np.prod([d if d is not None else _XLA_SCAN_MIN_SIZE
                  for d in x.shape[1:].as_list()])
  if size < _XLA_SCAN_MIN_SIZE:
    return False
  # On GPU (and TPU), TF's cumsum kernel already scans in parallel.
  return devices.placed_on_cpu()


def _use_xla_scan(x):
  """Whether to run the XLA scan: eager mode and a large CPU tensor.

  Inside a tf.function the traced graph keeps plain TF ops (same numbers):
  a compiled while loop fed by graph constants can crash TF when the runtime
  tries to fold it, and exported SavedModels / TFLite stay free of XLA calls.
  """
  return tf.executing_eagerly() and _is_large_cpu_tensor(x)


def _cumsum_time(x):
  """Inclusive `tf.cumsum(x, axis=1)` with the same numbers, faster on CPU.

  Eager: the XLA scan. Graphs: TF's CPU kernel scans the last axis faster
  than a middle one, so large tensors are transposed to `[B, C, T]` around
  it (same sequential sums). Otherwise `tf.cumsum` itself.
  """
  if _use_xla_scan(x):
    return _cumsum_time_xla(x)
  if _is_large_cpu_tensor(x):
    x_t = tf.transpose(x, [0, 2, 1])
    return tf.transpose(tf.cumsum(x_t, axis=-1), [0, 2, 1])
  return tf.cumsum(x, axis=1)


@gin.configurable
def angular_cumsum(angular_frequency, chunk_size=1000):
  """Phase accumulation wrapped to [0, 2pi), in chunks for float32 accuracy.

  Inclusive cumulative sum along axis 1: a plain float32 cumsum over many
  samples loses precision as the phase grows, so each chunk is summed
  separately and chunk offsets are accumulated modulo 2pi.

  Args:
    angular_frequency: Radians per sample, `[B, T, ...]` (static shape).
    chunk_size: Samples per chunk.

  Returns:
    Phase in [0, 2pi), same shape as the input.
  """
  angular_frequency = tf_float32(angular_frequency)
  shape = _static_or_dynamic_shape(angular_frequency)
  n_batch, channel_shape = shape[0], shape[2:]
  n_time = int(angular_frequency.shape[1])  # static time axis required

  # Zero-pad the time axis to a multiple of the chunk size.
  remainder = n_time % chunk_size
  if remainder:
    angular_frequency = pad_axis(angular_frequency,
                                 [0, chunk_size - remainder], axis=1)
  length = int(angular_frequency.shape[1])
  n_chunks = length // chunk_size

  # Cumulative sum within each chunk: [B, n_chunks, chunk_size, ...].
  chunks = tf.reshape(angular_frequency,
                      [n_batch, n_chunks, chunk_size] + channel_shape)
  phase = tf.cumsum(chunks, axis=2)

  # Offset of chunk c = sum of the (wrapped) totals of chunks < c, wrapped.
  offsets = phase[:, :, -1:, ...] % _TWO_PI
  offsets = pad_axis(offsets, [1, 0], axis=1)[:, :-1, ...]
  offsets = tf.cumsum(offsets, axis=1) % _TWO_PI
  phase = (phase + offsets) % _TWO_PI

  phase = tf.reshape(phase, [n_batch, length] + channel_shape)
  if remainder:
    phase = phase[:, :n_time]
  return phase


@gin.configurable
def oscillator_bank(frequency_envelopes: tf.Tensor,
                    amplitude_envelopes: tf.Tensor,
                    sample_rate: int = 16000,
                    sum_sinusoids: bool = True,
                    use_angular_cumsum: bool = False) -> tf.Tensor:
  """Bank of sinusoidal oscillators driven by sample-wise envelopes.

  phase[t] = sum_{i <= t} 2 pi f[i] / sample_rate (inclusive: the first
  sample already has phase omega_0); audio = sum_k a_k sin(phase_k).
  Sinusoids at or above Nyquist are silenced.

  Args:
    frequency_envelopes: `[B, n_samples, n_sinusoids]` (Hz).
    amplitude_envelopes: `[B, n_samples, n_sinusoids]` (or broadcastable).
    sample_rate: Sample rate (Hz).
    sum_sinusoids: Sum over sinusoids to `[B, n_samples]`, else keep
      `[B, n_samples, n_sinusoids]`.
    use_angular_cumsum: Accumulate phase with `angular_cumsum` (more
      accurate for long signals) instead of `tf.cumsum`.

  Returns:
    Audio `[B, n_samples]` or `[B, n_samples, n_sinusoids]`.
  """
  frequency_envelopes = tf_float32(frequency_envelopes)
  amplitude_envelopes = tf_float32(amplitude_envelopes)
  _check_rank(frequency_envelopes, 3, 'frequency_envelopes', 'oscillator_bank')
  _check_rank(amplitude_envelopes, 3, 'amplitude_envelopes', 'oscillator_bank')

  amplitude_envelopes = remove_above_nyquist(frequency_envelopes,
                                             amplitude_envelopes, sample_rate)

  # Hz -> radians per sample: omega = (f * 2 pi) / sample_rate.
  omegas = frequency_envelopes * _TWO_PI
  omegas = omegas / float(sample_rate)

  if use_angular_cumsum:
    phases = angular_cumsum(omegas)
  else:
    phases = _cumsum_time(omegas)

  audio = amplitude_envelopes * tf.sin(phases)
  if sum_sinusoids:
    audio = tf.reduce_sum(audio, axis=-1)
  return audio


@gin.configurable
def harmonic_oscillator_bank(
    frequency: tf.Tensor,
    amplitude_envelopes: tf.Tensor,
    initial_phase=None,
    sample_rate: int = 16000,
    use_angular_cumsum: bool = True):
  """Harmonic oscillators sharing one fundamental phase (for streaming).

  phase = cumsum(2 pi f0 / sample_rate) + initial_phase; harmonic h has
  phase h * phase. No Nyquist masking.

  Args:
    frequency: Fundamental `[B, n_samples, 1]` (Hz).
    amplitude_envelopes: Harmonic amplitudes `[B, n_samples, n_harmonics]`.
    initial_phase: Phase to start from `[B, 1, 1]` (default zeros).
    sample_rate: Sample rate (Hz).
    use_angular_cumsum: Accumulate with `angular_cumsum` (wrapped phase).

  Returns:
    audio: `[B, n_samples]`.
    final_phase: Fundamental phase at the last sample `[B, 1, 1]`, to pass as
      `initial_phase` of the next block.
  """
  frequency = tf_float32(frequency)
  amplitude_envelopes = tf_float32(amplitude_envelopes)
  _check_rank(frequency, 3, 'frequency', 'harmonic_oscillator_bank')
  _check_rank(amplitude_envelopes, 3, 'amplitude_envelopes',
              'harmonic_oscillator_bank')
  n_harmonics = int(amplitude_envelopes.shape[-1])

  omega = frequency * _TWO_PI / float(sample_rate)
  if use_angular_cumsum:
    phase = angular_cumsum(omega)
  else:
    phase = _cumsum_time(omega)

  if initial_phase is None:
    initial_phase = tf.zeros_like(phase[:, :1, :1])
  phase = phase + tf_float32(initial_phase)
  final_phase = phase[:, -1:, 0:1]

  phases = phase * _harmonic_numbers(n_harmonics)
  audio = tf.reduce_sum(amplitude_envelopes * tf.sin(phases), axis=-1)
  return audio, final_phase


def harmonic_synthesis(frequencies: tf.Tensor,
                       amplitudes: tf.Tensor,
                       harmonic_shifts=None,
                       harmonic_distribution=None,
                       n_samples: int = 64000,
                       sample_rate: int = 16000,
                       amp_resample_method: str = 'window',
                       use_angular_cumsum: bool = False) -> tf.Tensor:
  """Additive synthesis of a (possibly inharmonic) harmonic series.

  Frame-wise controls are upsampled to sample-wise envelopes (frequencies
  linearly, amplitudes with `amp_resample_method`) and fed to
  `oscillator_bank`. `use_angular_cumsum` is always passed explicitly, so a
  gin binding `oscillator_bank.use_angular_cumsum` has no effect here (as in
  the original).

  Args:
    frequencies: Fundamental `[B, n_frames, 1]` (Hz).
    amplitudes: Overall amplitude `[B, n_frames, 1]`.
    harmonic_shifts: Optional relative detuning `[B, n_frames, n_harmonics]`;
      harmonic k plays at k f0 (1 + shift_k).
    harmonic_distribution: Optional amplitude share of each harmonic
      `[B, n_frames, n_harmonics]`.
    n_samples: Output length.
    sample_rate: Sample rate (Hz).
    amp_resample_method: Method of `resample` for the amplitude envelopes.
    use_angular_cumsum: Passed to `oscillator_bank`.

  Returns:
    Audio `[B, n_samples]`.

  Raises:
    ValueError: for a bad rank, or in eager mode for NaN or negative
      `frequencies`.
  """
  frequencies = tf_float32(frequencies)
  _check_frequencies(frequencies, 'frequencies', 'harmonic_synthesis')
  return _harmonic_synthesis(frequencies, amplitudes, harmonic_shifts,
                             harmonic_distribution, n_samples, sample_rate,
                             amp_resample_method, use_angular_cumsum)


def _harmonic_synthesis(frequencies, amplitudes, harmonic_shifts,
                        harmonic_distribution, n_samples, sample_rate,
                        amp_resample_method, use_angular_cumsum):
  """`harmonic_synthesis` with static checks only (no read of frequencies).

  For callers that checked the values of `frequencies` already
  (`synths.Harmonic`); arguments as in `harmonic_synthesis`.
  """
  frequencies = tf_float32(frequencies)
  amplitudes = tf_float32(amplitudes)
  _check_rank(frequencies, 3, 'frequencies', 'harmonic_synthesis')
  _check_rank(amplitudes, 3, 'amplitudes', 'harmonic_synthesis')

  if harmonic_distribution is not None:
    harmonic_distribution = tf_float32(harmonic_distribution)
    _check_rank(harmonic_distribution, 3, 'harmonic_distribution',
                'harmonic_synthesis')
    n_harmonics = int(harmonic_distribution.shape[-1])
  elif harmonic_shifts is not None:
    harmonic_shifts = tf_float32(harmonic_shifts)
    n_harmonics = int(harmonic_shifts.shape[-1])
  else:
    n_harmonics = 1
  if harmonic_shifts is not None:
    harmonic_shifts = tf_float32(harmonic_shifts)
    _check_rank(harmonic_shifts, 3, 'harmonic_shifts', 'harmonic_synthesis')

  # Frame-wise harmonic frequencies and amplitudes [B, n_frames, n_harmonics].
  harmonic_frequencies = get_harmonic_frequencies(frequencies, n_harmonics)
  if harmonic_shifts is not None:
    harmonic_frequencies *= (1.0 + harmonic_shifts)
  if harmonic_distribution is not None:
    harmonic_amplitudes = amplitudes * harmonic_distribution
  else:
    harmonic_amplitudes = amplitudes

  # Sample-wise envelopes [B, n_samples, n_harmonics].
  frequency_envelopes = resample(harmonic_frequencies, n_samples)
  amplitude_envelopes = resample(harmonic_amplitudes, n_samples,
                                 method=amp_resample_method)

  return oscillator_bank(frequency_envelopes,
                         amplitude_envelopes,
                         sample_rate=sample_rate,
                         use_angular_cumsum=use_angular_cumsum)


def streaming_harmonic_synthesis(frequencies,
                                 amplitudes,
                                 harmonic_distribution=None,
                                 initial_phase=None,
                                 n_samples=64000,
                                 sample_rate=16000,
                                 amp_resample_method='linear'):
  """Harmonic synthesis that carries the oscillator phase between calls.

  Args:
    frequencies: Fundamental `[B, n_frames, 1]` (Hz).
    amplitudes: Overall amplitude `[B, n_frames, 1]`.
    harmonic_distribution: Optional `[B, n_frames, n_harmonics]`; it is
      Nyquist-masked and renormalized before use.
    initial_phase: Phase to continue from `[B, 1, 1]` (default zeros).
    n_samples: Output length.
    sample_rate: Sample rate (Hz).
    amp_resample_method: Method of `resample` for the amplitude envelopes.

  Returns:
    audio: `[B, n_samples]`.
    final_phase: `[B, 1, 1]`, the `initial_phase` of the next block.
  """
  frequencies = tf_float32(frequencies)
  amplitudes = tf_float32(amplitudes)
  _check_rank(frequencies, 3, 'frequencies', 'streaming_harmonic_synthesis')
  _check_frequencies(frequencies, 'frequencies',
                     'streaming_harmonic_synthesis')

  if harmonic_distribution is not None:
    harmonic_distribution = normalize_harmonics(harmonic_distribution,
                                                frequencies, sample_rate)
    harmonic_amplitudes = amplitudes * harmonic_distribution
  else:
    harmonic_amplitudes = amplitudes

  frequency_envelope = resample(frequencies, n_samples)
  amplitude_envelopes = resample(harmonic_amplitudes, n_samples,
                                 method=amp_resample_method)
  return harmonic_oscillator_bank(frequency_envelope,
                                  amplitude_envelopes,
                                  initial_phase=initial_phase,
                                  sample_rate=sample_rate)


# ------------------------------------------------------------------------------
# Wavetables and delays
# ------------------------------------------------------------------------------
def linear_lookup(phase: tf.Tensor, wavetables: tf.Tensor) -> tf.Tensor:
  """Reads periodic wavetables at fractional positions (linear interp.).

  The table is closed with its first sample (W + 1 points on a grid
  g = linspace(0, 1, W + 1)); point j gets weight relu(1 - |phase - g_j| W).

  Args:
    phase: Read positions in [0, 1], `[B, n_samples, 1]` or `[B, n_samples]`.
    wavetables: `[B, n_samples, W]` (one table per sample) or `[B, W]`.

  Returns:
    Audio `[B, n_samples]`.
  """
  phase = tf_float32(phase)
  wavetables = tf_float32(wavetables)
  if len(wavetables.shape) == 2:
    wavetables = wavetables[:, tf.newaxis, :]
  if len(phase.shape) == 2:
    phase = phase[:, :, tf.newaxis]

  wavetables = tf.concat([wavetables, wavetables[..., 0:1]], axis=-1)
  n_wavetable = int(wavetables.shape[-1])

  # Distance of each grid point to the read position, in table samples.
  grid = tf.linspace(0.0, 1.0, n_wavetable)[tf.newaxis, tf.newaxis, :]
  phase_distance = tf.abs(phase - grid) * float(n_wavetable - 1)

  # Only the two neighbours of the read position get a non-zero weight.
  weights = tf.nn.relu(1.0 - phase_distance)
  return tf.reduce_sum(weights * wavetables, axis=-1)


def harmonic_distribution_to_wavetable(harmonic_distribution, n_wavetable=2048):
  """One period of the waveform whose harmonic amplitudes are given.

  The distribution is used as a zero-phase real spectrum (a DC bin in front,
  zeros up to n_wavetable / 2 + 1 bins), inverted with `irfft` and scaled by
  n_wavetable / 2 so that harmonic amplitude a gives a sinusoid of peak a.

  Args:
    harmonic_distribution: `[B, T, n_harmonics]`.
    n_wavetable: Wavetable length (even).

  Returns:
    Wavetables `[B, T, n_wavetable]`.
  """
  harmonic_distribution = tf_float32(harmonic_distribution)
  n_harmonics = int(harmonic_distribution.shape[-1])
  n_pad = int(n_wavetable / 2 - n_harmonics)
  axis = len(harmonic_distribution.shape) - 1
  spectrum = pad_axis(harmonic_distribution, [1, n_pad], axis=axis)
  spectrum = tf.complex(spectrum, tf.zeros_like(spectrum))
  wavetable = tf.signal.irfft(spectrum)
  return wavetable * (n_wavetable / 2)


def wavetable_synthesis(frequencies: tf.Tensor,
                        amplitudes: tf.Tensor,
                        wavetables: tf.Tensor,
                        n_samples: int = 64000,
                        sample_rate: int = 16000):
  """Wavetable oscillator with frame-wise controls.

  phase (cycles) = exclusive cumsum(f / sample_rate) mod 1, read with
  `linear_lookup` and scaled by the (window-upsampled) amplitude.

  Args:
    frequencies: `[B, n_frames, 1]` (Hz).
    amplitudes: `[B, n_frames, 1]`.
    wavetables: `[B, n_wavetable]` (static) or `[B, n_frames, n_wavetable]`
      (interpolated linearly over time).
    n_samples: Output length.
    sample_rate: Sample rate (Hz).

  Returns:
    Audio `[B, n_samples]`.

  Raises:
    ValueError: for a bad rank, or in eager mode for NaN or negative
      `frequencies`.
  """
  frequencies = tf_float32(frequencies)
  _check_frequencies(frequencies, 'frequencies', 'wavetable_synthesis')
  return _wavetable_synthesis(frequencies, amplitudes, wavetables, n_samples,
                              sample_rate)


def _wavetable_synthesis(frequencies, amplitudes, wavetables, n_samples,
                         sample_rate):
  """`wavetable_synthesis` with static checks only (no read of frequencies).

  For callers that checked the values of `frequencies` already
  (`synths.Wavetable`); arguments as in `wavetable_synthesis`.
  """
  frequencies = tf_float32(frequencies)
  amplitudes = tf_float32(amplitudes)
  wavetables = tf_float32(wavetables)
  _check_rank(frequencies, 3, 'frequencies', 'wavetable_synthesis')
  _check_rank(amplitudes, 3, 'amplitudes', 'wavetable_synthesis')

  amplitude_envelope = resample(amplitudes, n_samples, method='window')[:, :, 0]
  frequency_envelope = resample(frequencies, n_samples)

  wavetable_shape = wavetables.shape.as_list()
  if len(wavetable_shape) == 3 and wavetable_shape[1] > 1:
    wavetables = resample(wavetables, n_samples)

  # Phase in cycles; exclusive so the first sample reads phase 0.
  phase_velocity = frequency_envelope / float(sample_rate)
  phase = tf.cumsum(phase_velocity, axis=1, exclusive=True) % 1.0

  audio = linear_lookup(phase, wavetables)
  return audio * amplitude_envelope


def variable_length_delay(phase: tf.Tensor,
                          audio: tf.Tensor,
                          max_length: int = 512) -> tf.Tensor:
  """Delays audio by a time-varying, fractional number of samples.

  Args:
    phase: Delay in [0, 1] (`max_length` samples at 1), `[B, n_samples, 1]`.
    audio: `[B, n_samples]`.
    max_length: Longest delay (samples).

  Returns:
    Delayed audio `[B, n_samples]`.
  """
  phase = tf_float32(phase)
  audio = tf_float32(audio)
  # Causal: zero history before the first sample.
  audio = tf.pad(audio, [(0, 0), (max_length - 1, 0)])
  # frames[:, t] holds the last max_length samples up to t, newest first.
  frames = tf.signal.frame(audio, frame_length=max_length, frame_step=1,
                           pad_end=False)
  frames = frames[..., ::-1]
  return linear_lookup(phase, frames)


# ------------------------------------------------------------------------------
# Convolution and filter design
# ------------------------------------------------------------------------------
def get_fft_size(frame_size: int, ir_size: int, power_of_2: bool = True) -> int:
  """FFT length for a linear convolution of a frame with an IR.

  Args:
    frame_size: Audio frame length.
    ir_size: Impulse response length.
    power_of_2: Next power of 2 of frame_size + ir_size - 1 if True, else
      the next 5-smooth length (`scipy.fftpack.next_fast_len`).

  Returns:
    FFT size (int).
  """
  convolved_frame_size = ir_size + frame_size - 1
  if power_of_2:
    return int(2**np.ceil(np.log2(convolved_frame_size)))
  return int(scipy.fftpack.next_fast_len(convolved_frame_size))


def crop_and_compensate_delay(audio: tf.Tensor, audio_size: int, ir_size: int,
                              padding: str,
                              delay_compensation: int) -> tf.Tensor:
  """Crops a full convolution output and removes the filter's group delay.

  Known bug kept from the original: the crop is `audio[:, start:-end]`, so
  when `end <= 0` the result is empty or wrong (e.g. 'valid' padding with an
  FFT exactly as long as the full convolution).

  Args:
    audio: Convolution output `[B, total_size]`.
    audio_size: Length of the input audio.
    ir_size: Impulse response length.
    padding: 'same' (output audio_size) or 'valid' (audio_size + ir_size - 1).
    delay_compensation: Samples removed from the front; negative means
      automatic, (ir_size - 1) // 2 - 1 (zero delay for windowed IRs from
      `frequency_impulse_response`).

  Returns:
    Cropped audio `[B, crop_size]`.

  Raises:
    ValueError: for an unknown padding.
  """
  if padding == 'valid':
    crop_size = ir_size + audio_size - 1
  elif padding == 'same':
    crop_size = audio_size
  else:
    raise ValueError(
        f'Padding must be \'valid\' or \'same\', instead of {padding}.')

  total_size = int(audio.shape[-1])
  crop = total_size - crop_size
  start = ((ir_size - 1) // 2 - 1 if delay_compensation < 0 else
           delay_compensation)
  end = crop - start
  return audio[:, start:-end]


def fft_convolve(audio: tf.Tensor,
                 impulse_response: tf.Tensor,
                 padding: str = 'same',
                 delay_compensation: int = -1) -> tf.Tensor:
  """Filters audio with (time-varying) impulse responses by FFT convolution.

  The audio is cut into n_ir_frames non-overlapping frames of
  ceil(n_samples / n_ir_frames) samples; frame i is convolved with IR i
  (rfft -> multiply -> irfft) and the results are overlap-added.

  Args:
    audio: `[B, n_samples]`.
    impulse_response: `[B, ir_size]` (fixed filter) or
      `[B, n_ir_frames, ir_size]` (one IR per frame). Batch 1 is broadcast to
      the audio batch.
    padding: 'same' (output n_samples) or 'valid' (n_samples + ir_size - 1).
    delay_compensation: See `crop_and_compensate_delay` (-1: automatic).

  Returns:
    Filtered audio `[B, n_samples]` ('same').

  Raises:
    ValueError: if the batch sizes differ, if the number of audio frames does
      not equal the number of IR frames, or for an unknown padding.
  """
  audio = tf_float32(audio)
  impulse_response = tf_float32(impulse_response)
  _check_rank(audio, 2, 'audio', 'fft_convolve')
  ir_rank = impulse_response.shape.rank
  if ir_rank not in (2, 3):
    raise ValueError('fft_convolve: `impulse_response` must have rank 2 '
                     '[batch, ir_size] or 3 [batch, n_frames, ir_size], got '
                     f'shape {impulse_response.shape}.')

  batch_size, audio_size = audio.shape.as_list()
  if ir_rank == 2:
    impulse_response = impulse_response[:, tf.newaxis, :]
  batch_size_ir, n_ir_frames, ir_size = impulse_response.shape.as_list()

  # A single IR is shared by the whole batch (broadcast in the product).
  broadcast_ir = batch_size_ir == 1
  known = batch_size is not None and batch_size_ir is not None
  if known and not broadcast_ir and batch_size != batch_size_ir:
    raise ValueError(f'Batch size of audio ({batch_size}) and impulse '
                     f'response ({batch_size_ir}) must be the same.')

  # Non-overlapping frames, one per IR frame.
  frame_size = int(np.ceil(audio_size / n_ir_frames))
  hop_size = frame_size
  audio_frames = tf.signal.frame(audio, frame_size, hop_size, pad_end=True)

  n_audio_frames = int(audio_frames.shape[1])
  if n_audio_frames != n_ir_frames:
    raise ValueError(
        f'Number of Audio frames ({n_audio_frames}) and impulse response frames'
        f' ({n_ir_frames}) do not match. For small hop size = '
        'ceil(audio_size / n_ir_frames), number of impulse response frames '
        'must be a multiple of the audio size.')

  # Convolution as a product of zero-padded spectra.
  fft_size = get_fft_size(frame_size, ir_size, power_of_2=True)
  audio_fft = tf.signal.rfft(audio_frames, [fft_size])
  ir_fft = tf.signal.rfft(impulse_response, [fft_size])
  audio_frames_out = tf.signal.irfft(audio_fft * ir_fft)
  audio_out = tf.signal.overlap_and_add(audio_frames_out, hop_size)

  return crop_and_compensate_delay(audio_out, audio_size, ir_size, padding,
                                   delay_compensation)


def apply_window_to_impulse_response(impulse_response: tf.Tensor,
                                     window_size: int = 0,
                                     causal: bool = False) -> tf.Tensor:
  """Windows a zero-phase IR with a Hann window and makes it causal.

  Args:
    impulse_response: `[B, n_frames, ir_size]` in zero-phase form (peak at
      index 0), or in causal form (peak in the middle) if `causal`.
    window_size: Hann window length; <= 0 or > ir_size means ir_size.
    causal: The input is causal (fftshift it to zero-phase first).

  Returns:
    Causal windowed IR. With a shorter window: length 2h - 1 with
    h = (window_size + 1) // 2 and the peak at index h - 2; otherwise length
    ir_size with the peak at ir_size // 2.
  """
  impulse_response = tf_float32(impulse_response)
  if causal:
    impulse_response = tf.signal.fftshift(impulse_response, axes=-1)

  ir_size = int(impulse_response.shape[-1])
  if (window_size <= 0) or (window_size > ir_size):
    window_size = ir_size
  window = tf.signal.hann_window(window_size)

  # Zero-phase window: second half first, zeros, then first half.
  padding = ir_size - window_size
  if padding > 0:
    half_idx = (window_size + 1) // 2
    window = tf.concat([window[half_idx:], tf.zeros([padding]),
                        window[:half_idx]], axis=0)
  else:
    window = tf.signal.fftshift(window, axes=-1)

  impulse_response = window * tf.math.real(impulse_response)

  # Back to causal form, dropping the zeroed part.
  if padding > 0:
    first_half_start = (ir_size - (half_idx - 1)) + 1
    second_half_end = half_idx + 1
    impulse_response = tf.concat([impulse_response[..., first_half_start:],
                                  impulse_response[..., :second_half_end]],
                                 axis=-1)
  else:
    impulse_response = tf.signal.fftshift(impulse_response, axes=-1)
  return impulse_response


def frequency_impulse_response(magnitudes: tf.Tensor,
                               window_size: int = 0) -> tf.Tensor:
  """Linear-phase FIR filters from frequency-sampled magnitude responses.

  Args:
    magnitudes: `[B, n_frames, n_bins]` or `[B, n_bins]`, bins linearly
      spaced from 0 Hz to Nyquist.
    window_size: Hann window length (see
      `apply_window_to_impulse_response`); 0 keeps 2 (n_bins - 1) taps.

  Returns:
    Impulse responses `[B, n_frames, ir_size]` (or `[B, ir_size]`).
  """
  magnitudes = tf_float32(magnitudes)
  spectrum = tf.complex(magnitudes, tf.zeros_like(magnitudes))
  impulse_response = tf.signal.irfft(spectrum)
  return apply_window_to_impulse_response(impulse_response, window_size)


def sinc(x, threshold=1e-20):
  """Normalized sinc, sin(pi x) / (pi x), with |x| < threshold -> threshold."""
  x = tf_float32(x)
  x = tf.where(tf.abs(x) < threshold, threshold * tf.ones_like(x), x)
  x = np.pi * x
  return tf.sin(x) / x


def sinc_impulse_response(cutoff_frequency, window_size=512, sample_rate=None,
                          high_pass=False):
  """Windowed-sinc low-pass (or high-pass) FIR filters.

  h[n] = sinc(c n) * hamming[n] / |sum h|, n = -half..half, c the cutoff
  relative to Nyquist. High-pass: delta[n] - h[n].

  Known quirk kept from the original: with `sample_rate`, the cutoff is
  rescaled in place (`cutoff_frequency *= 2 / sample_rate`), which mutates a
  caller's numpy array.

  Args:
    cutoff_frequency: Cutoff, scalar or `[B, n_frames, 1]`; in Hz if
      `sample_rate` is given, else as a fraction of Nyquist (0..1).
    window_size: Filter length is 2 (window_size // 2) + 1 (always odd).
    sample_rate: Sample rate (Hz), or None if the cutoff is normalized.
    high_pass: Return the complementary high-pass filter.

  Returns:
    Impulse responses `[B, n_frames, ir_size]` (`[1, 1, ir_size]` for a
    scalar cutoff).
  """
  if sample_rate is not None:
    cutoff_frequency *= 2.0 / float(sample_rate)

  half_size = window_size // 2
  full_size = 2 * half_size + 1
  idx = tf.range(-half_size, half_size + 1.0, 1.0, dtype=tf.float32)
  idx = idx[tf.newaxis, tf.newaxis, :]

  impulse_response = sinc(cutoff_frequency * idx)
  window = tf.signal.hamming_window(full_size)
  impulse_response = window * tf.math.real(impulse_response)

  # Unity gain at DC.
  impulse_response /= tf.abs(
      tf.reduce_sum(impulse_response, axis=-1, keepdims=True))

  if high_pass:
    dirac = tf.one_hot(half_size, full_size, dtype=tf.float32)
    impulse_response = dirac - impulse_response
  return impulse_response


def frequency_filter(audio: tf.Tensor,
                     magnitudes: tf.Tensor,
                     window_size: int = 0,
                     padding: str = 'same') -> tf.Tensor:
  """Filters audio with frame-wise magnitude responses (zero-delay FIR).

  Args:
    audio: `[B, n_samples]`.
    magnitudes: `[B, n_frames, n_bins]` or `[B, n_bins]` (0 Hz..Nyquist).
    window_size: Hann window length of the IRs (0: full length).
    padding: 'same' or 'valid' (see `fft_convolve`).

  Returns:
    Filtered audio `[B, n_samples]` ('same').
  """
  impulse_response = frequency_impulse_response(magnitudes,
                                                window_size=window_size)
  return fft_convolve(audio, impulse_response, padding=padding)


def sinc_filter(audio: tf.Tensor,
                cutoff_frequency: tf.Tensor,
                window_size: int = 512,
                sample_rate: int = None,
                padding: str = 'same',
                high_pass: bool = False) -> tf.Tensor:
  """Filters audio with windowed-sinc low-pass (or high-pass) filters.

  Args:
    audio: `[B, n_samples]`.
    cutoff_frequency: Scalar or `[B, n_frames, 1]` (see
      `sinc_impulse_response`).
    window_size: Filter length parameter (filters have an odd length).
    sample_rate: Sample rate if the cutoff is in Hz, else None.
    padding: 'same' or 'valid' (see `fft_convolve`).
    high_pass: High-pass instead of low-pass.

  Returns:
    Filtered audio `[B, n_samples]` ('same').
  """
  impulse_response = sinc_impulse_response(cutoff_frequency,
                                           window_size=window_size,
                                           sample_rate=sample_rate,
                                           high_pass=high_pass)
  return fft_convolve(audio, impulse_response, padding=padding)
