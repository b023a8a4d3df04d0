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


"""Framing arithmetic shared by spectral features and CREPE.

The hop of a frame rate as the original computes it (`floor_hop`), how many
frames a signal gives and how it is padded so that framing gives them. It lives below `spectral_ops` and `crepe_model` (it needs only
`core`), and `spectral_ops` re-exports both functions under their original
names, so `spectral_ops.pad is framing.pad`.
"""

from ddsp.core import tf_float32
import numpy as np
import tensorflow as tf

PADDINGS = ('valid', 'center', 'same')


def floor_hop(sample_rate, frame_rate):
  """The original's hop: hop = floor(sample_rate / frame_rate) (`//`).

  Spectral features, CREPE's padding, the preprocessors and the inference
  models all take it so, and checkpoints were trained with it: it is the
  whole hop whenever the rates are valid (`ddsp.features.frame_rates`), and
  silently floored when they are not. Ints give an int, floats a float.
  """
  return sample_rate // frame_rate


def _padding_error(padding):
  return ValueError(f'`padding` must be one of "valid", "center" or "same"; '
                    f'got {padding!r}.')


def get_framed_lengths(input_length, frame_size, hop_size, padding='center'):
  """Number of frames and padded signal length for a framing scheme.

  With frames(L) = floor((L - frame_size) / hop_size) + 1:
    'valid':  padded = L,              n = frames(L)
    'center': padded = L + frame_size, n = frames(padded)
    'same':   n = ceil(L / hop_size),  padded = (n - 1) * hop + frame_size

  Args:
    input_length: signal length in samples.
    frame_size: frame length in samples.
    hop_size: hop in samples (may be a float, then `padded` is a float).
    padding: 'valid', 'center' or 'same'.

  Returns:
    `(n_frames, padded_length)`.

  Raises:
    ValueError: for an unknown `padding` (the original raised
      UnboundLocalError here).
  """

  def n_frames_of(length):
    return int(np.floor((length - frame_size) // hop_size)) + 1

  if padding == 'valid':
    padded_length = input_length
    n_frames = n_frames_of(input_length)
  elif padding == 'center':
    padded_length = input_length + frame_size
    n_frames = n_frames_of(padded_length)
  elif padding == 'same':
    n_frames = int(np.ceil(input_length / hop_size))
    padded_length = (n_frames - 1) * hop_size + frame_size
  else:
    raise _padding_error(padding)
  return n_frames, padded_length


def pad(x,
        frame_size,
        hop_size,
        padding='center',
        axis=1,
        mode='CONSTANT',
        constant_values=0):
  """Pads a signal on one axis so that framing gives the expected frames.

  'center' pads `frame_size // 2` on both ends; 'same' pads the end so the
  last frame starts at the last hop; 'valid' returns the input unchanged.

  Args:
    x: tensor or array; rank <= 1 always pads axis 0.
    frame_size: frame length in samples.
    hop_size: hop in samples, must be <= frame_size.
    padding: 'center', 'same' or 'valid'.
    axis: axis to pad (time axis).
    mode: `tf.pad` mode ('CONSTANT', 'REFLECT', 'SYMMETRIC').
    constant_values: value used by 'CONSTANT' mode.

  Returns:
    float32 tensor, padded on `axis`.

  Raises:
    ValueError: if hop_size > frame_size or padding is unknown.
  """
  x = tf_float32(x)
  if padding == 'valid':
    return x
  if len(x.shape) <= 1:
    axis = 0
  paddings = [[0, 0] for _ in range(len(x.shape))]
  paddings[axis] = list(_pad_amounts(x.shape, axis, frame_size, hop_size,
                                     padding))
  return tf.pad(x, paddings, mode=mode, constant_values=constant_values)


def pad_np(x, frame_size, hop_size, padding='center', axis=-1):
  """`pad` in numpy with zeros, keeping the dtype (no TensorFlow call).

  Args:
    x: array; padded on `axis` (the last by default).
    frame_size, hop_size, padding: as in `pad`.
    axis: axis to pad (time axis).

  Returns:
    `x` padded on `axis` as `pad` pads it ('valid': `x` itself).
  """
  x = np.asarray(x)
  if padding == 'valid':
    return x
  paddings = [(0, 0)] * x.ndim
  paddings[axis] = _pad_amounts(x.shape, axis, frame_size, hop_size, padding)
  return np.pad(x, paddings)


def _pad_amounts(shape, axis, frame_size, hop_size, padding):
  """(before, after) samples of 'center' or 'same' padding on `axis`.

  Raises:
    ValueError: if hop_size > frame_size, the padding is unknown, or 'same'
      has no static length.
  """
  if hop_size > frame_size:
    raise ValueError(f'During padding, frame_size ({frame_size}) must be '
                     f'greater than or equal to hop_size ({hop_size}).')
  if padding == 'same':
    n_t = shape[axis]
    if n_t is None:
      raise ValueError('pad(padding="same") needs a static length on axis '
                       f'{axis}; got shape {shape}.')
    _, n_t_padded = get_framed_lengths(n_t, frame_size, hop_size, padding)
    return (0, int(n_t_padded - n_t))
  if padding == 'center':
    half = int(frame_size // 2)
    return (half, half)
  raise _padding_error(padding)
