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

"""Static input checks shared by processors, synths and effects.

They read shapes only, never values, so they cost nothing in a graph (the
value checks of frequency controls are `processors.Processor.call`'s; see
the docstring of `ddsp.processors`). Each raises a ValueError that names
the input and says what fits.
"""

import numpy as np
import tensorflow as tf


def shape_of(x):
  """Static shape of a tensor, variable, array or nested list."""
  if hasattr(x, 'shape'):
    return tf.TensorShape(x.shape)
  return tf.TensorShape(np.shape(x))


def check_rank(x, name, ranks, layout=''):
  """Raises ValueError if the static rank of `x` is not in `ranks`."""
  shape = shape_of(x)
  if shape.rank is not None and shape.rank not in ranks:
    expected = ' or '.join(str(r) for r in ranks)
    layout = f' {layout}' if layout else ''
    raise ValueError(
        f'{name} must have rank {expected}{layout}, got shape '
        f'{shape.as_list()} (rank {shape.rank}).')
  return shape


def check_batch(**named_inputs):
  """Raises ValueError if known batch sizes (axis 0) differ (1 broadcasts)."""
  sizes = {}
  for name, x in named_inputs.items():
    if x is None:
      continue
    shape = shape_of(x)
    if shape.rank and shape[0] is not None and shape[0] != 1:
      sizes[name] = shape[0]
  if len(set(sizes.values())) > 1:
    listing = ', '.join(f'{k}: {v}' for k, v in sizes.items())
    raise ValueError(
        f'Mismatched batch sizes (axis 0): {listing}; batch sizes must be '
        'the same (or 1).')


def check_window_upsampling(n_frames, n_samples, name, method='window'):
  """Static check of `core.upsample_with_windows` (with endpoint).

  With the endpoint frame appended there are n_frames + 1 frames and
  n_frames intervals, so hop = n_samples / n_frames must be an integer and
  the upsampling ratio must be > 1.
  """
  if n_frames is None or n_samples is None:
    return
  if n_frames < 1 or n_frames + 1 >= n_samples:
    raise ValueError(
        f'{name} has {n_frames} frames: upsample with windows (amplitude '
        f"resampling method '{method}') cannot be used for downsampling to "
        f'n_samples={n_samples}; more input frames than output timesteps.')
  if n_samples % n_frames:
    raise ValueError(
        f'{name} has {n_frames} frames, but amplitude resampling with method '
        f"'{method}' needs n_samples ({n_samples}) to be a multiple of the "
        'number of frames: for upsampling, the number of timesteps must be '
        'divisible by the number of input frames.')


def check_frames_fit(n_frames, n_samples, name):
  """Static check of the framing done by `core.fft_convolve`.

  The audio is cut in frames of ceil(n_samples / n_frames) samples; that
  must give exactly n_frames frames.
  """
  if n_frames is None or n_samples is None or n_frames < 1:
    return
  frame_size = -(-n_samples // n_frames)
  if -(-n_samples // frame_size) != n_frames:
    raise ValueError(
        f'{name} has {n_frames} frames, which cannot evenly split '
        f'{n_samples} audio samples: number of audio frames '
        f'({-(-n_samples // frame_size)}, hop {frame_size}) and impulse '
        f'response frames ({n_frames}) do not match. Use a number of frames '
        'that divides the number of samples.')
