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


"""CREPE's input format and front end: one place for every CREPE user.

CREPE (Kim et al. 2018) reads 16 kHz audio in frames of 1024 samples, each
frame standardised on its own. This module holds those constants, the names
of the published model sizes, the hop rule of the `crepe` package, and the
front end `pad -> frame -> normalise` that all CREPE callers share:

  caller                                   arrays  normalisation
  `crepe_model.compute_f0` (and through    numpy   'clip_std'
    it data preparation and streaming
    transfer features)
  `crepe_model.PretrainedCREPE`            TF      'nonzero_std'
  `losses.PretrainedCREPE` (the CREPE      TF      'std_plus_eps'
    embedding loss)

The three normalisations differ only for (nearly) constant frames, and each
caller keeps its own because numbers depend on it: `compute_f0` reproduces
the `crepe` package bit for bit, `crepe_model.PretrainedCREPE` reproduces
the original's TensorFlow CREPE, and the loss adds 1e-5 to the standard
deviation so that its gradient stays finite on silent frames, as the
original loss did (checkpoints trained with it depend on that).

It depends only on `core` and `framing`, so `crepe_model`, `losses`,
`spectral_ops` and the features layer can all import it.
"""

from ddsp import framing
import numpy as np
import tensorflow as tf

SAMPLE_RATE = 16000
FRAME_SIZE = 1024

# The published CREPE models, smallest first.
MODEL_SIZES = ('tiny', 'small', 'medium', 'large', 'full')

NORMALIZATIONS = ('clip_std', 'nonzero_std', 'std_plus_eps')


def check_model_size(model_capacity):
  """Returns `model_capacity` if it names a CREPE model, else raises.

  Raises:
    ValueError: naming the valid sizes.
  """
  if model_capacity not in MODEL_SIZES:
    raise ValueError(
        f'model_capacity must be one of {sorted(MODEL_SIZES)}, '
        f'got {model_capacity!r}.')
  return model_capacity


def crepe_hop(frame_rate):
  """Hop of the `crepe` package for a frame rate, in 16 kHz samples.

  hop = int(16000 * step_ms / 1000) with step_ms = 1000 / frame_rate.
  """
  step_ms = 1000 / frame_rate
  return int(SAMPLE_RATE * step_ms / 1000)


def pad_audio(audio, hop_size, padding='center'):
  """Pads `[n_samples]` or `[batch, n_samples]` audio for 1024-sample frames.

  See `framing.pad`: 'center' adds 512 zeros on both ends, 'same' pads the
  end, 'valid' leaves the audio as it is.

  Returns:
    float32 tensor of the same rank.
  """
  return framing.pad(audio, FRAME_SIZE, hop_size, padding=padding)


def frame(audio, hop_size):
  """Frames of 1024 samples every `hop_size` samples (no padding).

  n_frames = 1 + floor((n_samples - 1024) / hop_size).

  Args:
    audio: numpy `[n_samples]` (framed with numpy strides, as the `crepe`
      package does), or a tensor `[..., n_samples]` (`tf.signal.frame`).
    hop_size: integer hop in samples.

  Returns:
    float32 `[n_frames, 1024]` numpy array, or a tensor
    `[..., n_frames, 1024]`.

  Raises:
    ValueError: numpy audio that is not 1-D or shorter than one frame, or a
      hop that is not positive.
  """
  if isinstance(audio, np.ndarray):
    return _frame_np(audio, hop_size)
  return tf.signal.frame(audio, FRAME_SIZE, hop_size)


def _frame_np(audio, hop_size):
  """`[n_frames, 1024]` float32 copy of the strided frames of 1-D audio."""
  audio = np.ascontiguousarray(audio, dtype=np.float32)
  if audio.ndim != 1:
    raise ValueError(f'audio must be 1-D, got shape {audio.shape}.')
  if audio.shape[0] < FRAME_SIZE:
    raise ValueError(
        f'audio has {audio.shape[0]} samples after padding; CREPE needs at '
        f'least one full frame of {FRAME_SIZE} samples.')
  hop_size = int(hop_size)
  if hop_size <= 0:
    raise ValueError(f'hop_size must be positive, got {hop_size}.')
  n_frames = 1 + int((audio.shape[0] - FRAME_SIZE) / hop_size)
  frames = np.lib.stride_tricks.as_strided(
      audio, shape=(n_frames, FRAME_SIZE),
      strides=(hop_size * audio.itemsize, audio.itemsize), writeable=False)
  return frames.copy()


def normalize_frames(frames, normalization):
  """Standardises every frame (last axis) on its own.

  y = (x - mean(x)) / s, std = sqrt(mean((x - mean(x))^2)), where s is
    'clip_std':      max(std, 1e-8)
    'nonzero_std':   std, or 1e-8 where the variance is 0
    'std_plus_eps':  std + 1e-5

  Numpy frames are normalised in float32 numpy (the `crepe` package's
  arithmetic: mean, then the std of the centred frame); tensors with
  `tf.nn.moments`.

  Args:
    frames: `[..., 1024]` numpy array or tensor.
    normalization: one of `NORMALIZATIONS` (see the module docstring for
      which caller uses which).

  Returns:
    Normalised frames, same type and shape.
  """
  if normalization not in NORMALIZATIONS:
    raise ValueError(f'normalization must be one of {NORMALIZATIONS}, got '
                     f'{normalization!r}.')
  if isinstance(frames, np.ndarray):
    return _normalize_np(frames, normalization)
  return _normalize_tf(frames, normalization)


def _normalize_np(frames, normalization):
  frames = np.array(frames, dtype=np.float32)
  frames -= np.mean(frames, axis=-1, keepdims=True)
  std = np.std(frames, axis=-1, keepdims=True)
  if normalization == 'clip_std':
    scale = np.clip(std, 1e-8, None)
  elif normalization == 'nonzero_std':
    scale = np.where(std > 0, std, np.float32(1e-8))
  else:
    scale = std + np.float32(1e-5)
  frames /= scale
  return frames


def _normalize_tf(frames, normalization):
  mean, variance = tf.nn.moments(frames, axes=[-1], keepdims=True)
  if normalization == 'clip_std':
    scale = tf.maximum(tf.sqrt(variance), 1e-8)
  elif normalization == 'nonzero_std':
    scale = tf.where(tf.abs(variance) > 0, tf.sqrt(variance), 1e-8)
  else:
    scale = variance**0.5 + 1e-5
  return (frames - mean) / scale


def crepe_frames(audio, hop_size, padding, normalization):
  """The whole front end: pad, frame and normalise audio for CREPE.

  Args:
    audio: 16 kHz audio, numpy `[n_samples]` or a tensor
      `[..., n_samples]`.
    hop_size: hop in samples.
    padding: 'center', 'same' or 'valid' (see `pad_audio`).
    normalization: one of `NORMALIZATIONS`.

  Returns:
    Normalised frames: numpy `[n_frames, 1024]` for numpy audio, else a
    tensor `[..., n_frames, 1024]`.
  """
  padded = pad_audio(audio, hop_size, padding)
  if isinstance(audio, np.ndarray):
    padded = np.asarray(padded)
  return normalize_frames(frame(padded, hop_size), normalization)
