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

"""Heuristic note segmentation of synthesizer controls into NoteSequences.

A binarizer marks frames where a note is on; runs of on-frames become notes
whose pitch is picked from the f0 curve. `note_seq` is needed only to build
NoteSequences.
"""

from ddsp import core
from ddsp import errors
from ddsp import spectral_ops
import gin
import numpy as np
import tensorflow as tf

DDSP_DEFAULT_FRAME_RATE = 250


def _import_note_seq():
  try:
    import note_seq  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'Note segmentation needs the "note_seq" package: '
        'pip install note_seq') from e
  return note_seq


def _to_numpy(x):
  return x.numpy() if hasattr(x, 'numpy') else np.asarray(x)


def get_active_frame_indices(piano_roll):
  """Per pitch, how many consecutive frames a note has been active.

  Args:
    piano_roll: [n_frames, n_pitches] activity (> 0 means on).

  Returns:
    [n_frames, n_pitches] int counts; frame 0 is always 0 and a count
    restarts whenever the pitch is off.
  """
  active = np.asarray(piano_roll) > 0
  counts = np.zeros(active.shape, dtype=np.int64)
  for t in range(1, active.shape[0]):
    counts[t] = np.where(active[t], counts[t - 1] + 1, 0)
  return counts


def _unbatch(batch):
  """Nested dict of batched arrays -> list of per-example nested dicts.

  Args:
    batch: Dict whose leaves are arrays / tensors with a leading batch axis,
      nested dicts, or None (skipped).

  Returns:
    List of dicts, one per example.

  Raises:
    ValueError: A leaf of another type.
  """
  flat = {}

  def collect(d, prefix):
    for k, v in d.items():
      if v is None:
        continue
      if isinstance(v, dict):
        collect(v, prefix + (k,))
      elif isinstance(v, (np.ndarray, tf.Tensor)) or tf.is_tensor(v):
        flat[prefix + (k,)] = _to_numpy(v)
      else:
        raise ValueError(f'Cannot unbatch {"/".join(prefix + (k,))!r} of '
                         f'type {type(v).__name__}.')

  collect(batch, ())
  if not flat:
    return []
  batch_size = min(v.shape[0] for v in flat.values())
  examples = []
  for i in range(batch_size):
    example = {}
    for path, value in flat.items():
      node = example
      for k in path[:-1]:
        node = node.setdefault(k, {})
      node[path[-1]] = value[i]
    examples.append(example)
  return examples


def window_array(array, sr, win_len, frame_step_ratio=0.75, ax=0):
  """Overlapping windows of a signal, zero-padded at the front and end.

  Args:
    array: Signal.
    sr: Sample rate (samples per second).
    win_len: Window length in seconds.
    frame_step_ratio: Hop as a fraction of the window.
    ax: Axis to frame.

  Returns:
    numpy array of windows, e.g. [n_windows, int(sr * win_len)] for 1-D.
  """
  frame_length = int(sr * win_len)
  frame_step = int(sr * win_len * frame_step_ratio)
  pad_front = int(sr * win_len * (1 - frame_step_ratio))
  array = np.asarray(array)
  pad_width = [(0, 0)] * array.ndim
  pad_width[ax] = (pad_front, 0)
  padded = np.pad(array, pad_width)
  framed = tf.signal.frame(padded, frame_length, frame_step, pad_end=True,
                           axis=ax)
  return framed.numpy()


def segment_notes(binarize_f, pick_f0_f, pick_amps_f, controls,
                  frame_rate=DDSP_DEFAULT_FRAME_RATE):
  """NoteSequence of one example: each run of on-frames becomes a note.

  Args:
    binarize_f: controls -> [n_frames] bool note activity.
    pick_f0_f: (controls, start, stop) -> f0 of the note in Hz.
    pick_amps_f: (controls, start, stop) -> amplitude (unused, velocity is
      127 as in the original).
    controls: Dict of controls of one example.
    frame_rate: Frames per second.

  Returns:
    A note_seq NoteSequence.
  """
  del pick_amps_f
  note_seq = _import_note_seq()
  is_on = np.asarray(binarize_f(controls)).astype(bool).ravel()
  sequence = note_seq.NoteSequence()
  # Run boundaries: +1 where a run starts, -1 where it ends.
  edges = np.diff(np.concatenate([[0], is_on.astype(np.int8), [0]]))
  starts = np.nonzero(edges == 1)[0]
  stops = np.nonzero(edges == -1)[0]
  for start, stop in zip(starts, stops):
    f0_hz = pick_f0_f(controls, start, stop)
    pitch = int(np.round(_to_numpy(core.hz_to_midi(f0_hz))))
    sequence.notes.add(pitch=pitch, velocity=127,
                       start_time=start / frame_rate,
                       end_time=stop / frame_rate)
  sequence.total_time = len(is_on) / frame_rate
  return sequence


@gin.configurable
def segment_notes_batch(binarize_f, pick_f0_f, pick_amps_f, controls_batch,
                        frame_rate=DDSP_DEFAULT_FRAME_RATE):
  """`segment_notes` for every example of a batch of controls."""
  return [segment_notes(binarize_f, pick_f0_f, pick_amps_f, controls,
                        frame_rate)
          for controls in _unbatch(controls_batch)]


# ---------------------------------------------------------------------------
# Pickers.
# ---------------------------------------------------------------------------
def _f0_hz(controls):
  return np.asarray(controls['f0_hz']).ravel()


def _harmonic_amps(controls):
  """Squeezed harmonic amplitudes [n_frames] of an example's controls."""
  try:
    amps = core.nested_lookup('harmonic/controls/amplitudes', controls)
  except (KeyError, TypeError, AttributeError):
    amps = controls['amps']
  return np.squeeze(_to_numpy(amps))


@gin.register
def mean_f0(controls, start, stop):
  return np.mean(_f0_hz(controls)[start:stop])


@gin.register
def median_f0(controls, start, stop):
  return np.median(_f0_hz(controls)[start:stop])


@gin.register
def median_amps(controls, start, stop):
  return np.median(_harmonic_amps(controls)[start:stop])


# ---------------------------------------------------------------------------
# Binarizers.
# ---------------------------------------------------------------------------
def remove_short(is_on_vec, min_samples=20, glue_back=False):
  """Turns off runs of on-frames shorter than `min_samples` (in place).

  Args:
    is_on_vec: [n_frames] bool activity, modified in place.
    min_samples: Minimum note length in frames.
    glue_back: Instead of dropping a short run that follows a note, join it
      to that note (fills the gap between them).

  Returns:
    The modified `is_on_vec`.
  """
  edges = np.diff(np.concatenate([[0], is_on_vec.astype(np.int8), [0]]))
  starts = np.nonzero(edges == 1)[0]
  stops = np.nonzero(edges == -1)[0]
  prev_stop = None
  for start, stop in zip(starts, stops):
    if stop - start < min_samples:
      if glue_back and prev_stop is not None:
        is_on_vec[prev_stop:stop] = True
      else:
        is_on_vec[start:stop] = False
        continue
    prev_stop = stop
  return is_on_vec


def pad_for_frame(vec, mode, frame_width, axis=0):
  """Pads so that framing with `frame_width`, hop 1, keeps the length.

  Args:
    vec: Array to pad.
    mode: 'front' (w-1, 0), 'center' (w//2, w - w//2 - 1) or 'end'
      (0, w-1); the first / last values are repeated.
    frame_width: Frame width w.
    axis: Axis to pad.

  Returns:
    Padded array.

  Raises:
    ValueError: Unknown mode.
  """
  if mode == 'front':
    pad = (frame_width - 1, 0)
  elif mode == 'center':
    pad = (int(frame_width / 2), frame_width - int(frame_width / 2) - 1)
  elif mode == 'end':
    pad = (0, frame_width - 1)
  else:
    raise ValueError(f'Unknown pad mode {mode!r}; use front, center or end.')
  vec = np.asarray(vec)
  pad_width = [(0, 0)] * vec.ndim
  pad_width[axis] = pad
  first = np.take(vec, 0, axis=axis).ravel()[0]
  last = np.take(vec, -1, axis=axis).ravel()[0]
  return np.pad(vec, pad_width, mode='constant',
                constant_values=(int(first), int(last)))


def _frame(vec, frame_width):
  """Hop-1 frames [n_frames - w + 1, w] of a padded 1-D array."""
  return np.lib.stride_tricks.sliding_window_view(vec, frame_width)


@gin.register
def amp_pooled_outliers(controls, frame_width=80, num_devs=2,
                        pad_mode='center'):
  """On where log amplitude > local mean - num_devs * local std.

  Args:
    controls: Dict of controls of one example.
    frame_width: Pooling window in frames.
    num_devs: Standard deviations below the local mean.
    pad_mode: Padding of the pooling windows (see pad_for_frame).

  Returns:
    [n_frames] bool.
  """
  log_amps = np.log(np.maximum(_harmonic_amps(controls), 1e-20)).ravel()
  framed = _frame(pad_for_frame(log_amps, pad_mode, frame_width), frame_width)
  mean = np.mean(framed, axis=-1)
  std = np.std(framed, axis=-1)
  return log_amps > mean - num_devs * std


@gin.register
def strided_freq_change(controls, frame_widths=(2, 4, 8, 16, 32),
                        pad_mode='front'):
  """Off where f0 moves > 0.75 semitone across any stride; on where f0 > 0.

  Args:
    controls: Dict with 'f0_hz'.
    frame_widths: Strides (frames) to compare.
    pad_mode: Padding of the windows.

  Returns:
    [n_frames] bool.
  """
  f0_hz = _f0_hz(controls)
  f0_midi = np.asarray(_to_numpy(core.hz_to_midi(f0_hz)), np.float64)
  is_on = np.ones(f0_midi.shape, dtype=bool)
  for width in frame_widths:
    framed = _frame(pad_for_frame(f0_midi, pad_mode, width), width)
    change = np.abs(framed[:, -1] - framed[:, 0]) > 0.75
    is_on[change] = False
  return is_on & (f0_hz > 0)


@gin.register
def power_pooled_outliers(controls, frame_width=80, num_devs=2.5,
                          pad_mode='center'):
  """On where scaled power > local mean - num_devs * local std.

  The power is scaled as for the networks, p = power_db / DB_RANGE + 1
  (DB_RANGE = 80 dB), before pooling. (The original read a constant
  `spectral_ops.LD_RANGE` that does not exist and raised AttributeError.)

  Args:
    controls: Dict of controls of one example with 'power_db' `[n_frames]`
      (or `[n_frames, 1]`).
    frame_width: Pooling window in frames.
    num_devs: Standard deviations below the local mean.
    pad_mode: Padding of the pooling windows (see pad_for_frame).

  Returns:
    [n_frames] bool.
  """
  power_db = np.asarray(controls['power_db']).ravel()
  power = power_db / spectral_ops.DB_RANGE + 1.0
  framed = _frame(pad_for_frame(power, pad_mode, frame_width), frame_width)
  return power > np.mean(framed, -1) - num_devs * np.std(framed, -1)


@gin.register
def midi_heuristic(controls):
  """Stable pitch and loud enough, notes of at least 10 frames."""
  is_on = strided_freq_change(controls) & amp_pooled_outliers(controls)
  return remove_short(is_on, min_samples=10)


@gin.register
def midi_heuristic_power(controls):
  """Stable pitch and power above its pooled outliers, notes >= 10 frames."""
  is_on = strided_freq_change(controls) & power_pooled_outliers(controls)
  return remove_short(is_on, min_samples=10)
