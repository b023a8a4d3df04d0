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

"""Tuning of a pitch track: its global offset and auto-tune towards a key.

Pitches are in MIDI (semitones); a tuning offset is in semitones in
[-0.5, 0.5]. Used by the timbre transfer's auto-adjust and re-exported by
the notebooks' `colab_utils`.
"""

import numpy as np

KEY_NAMES = ('C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B')


def _wrap_semitone(d):
  """Maps semitone offsets into (-0.5, 0.5] (in place on a copy)."""
  d = np.mod(d, 1.0)
  d[d > 0.5] -= 1.0
  return d


def get_tuning_factor(f0_midi, f0_confidence, mask_on):
  """Global tuning offset (semitones, 1-cent grid) of a performance.

  Balances two costs over the candidates t in [-0.5, 0.5]: the
  confidence-weighted distance of note-on pitches from the grid shifted by
  t, and the number of note changes after snapping to that grid. Each cost
  is standardised over the candidates before summing.

  Args:
    f0_midi: Pitch in MIDI, [n_frames].
    f0_confidence: Confidence, [n_frames].
    mask_on: Boolean note-on mask, [n_frames].

  Returns:
    Tuning factor in semitones.
  """
  candidates = np.linspace(-0.5, 0.5, 101)
  f0_on = np.asarray(f0_midi)[mask_on][:, np.newaxis]
  diffs = _wrap_semitone(f0_on - candidates[np.newaxis, :])
  weights = np.asarray(f0_confidence)[mask_on][:, np.newaxis]
  cost_distance = np.mean(weights * np.abs(diffs), axis=0)
  snapped = f0_on - diffs
  changes = (np.diff(snapped, axis=0) != 0.0).astype(float)
  cost_changes = np.mean(weights[:-1] * changes, axis=0)

  def standardise(x):
    return (x - np.mean(x)) / np.std(x)

  cost = standardise(cost_changes) + standardise(cost_distance)
  return candidates[np.argmin(cost)]


def _major_scales():
  """[12, 70] MIDI notes of the major scale starting at each pitch class."""
  scale = np.ravel([np.array([0, 2, 4, 5, 7, 9, 11]) + 12 * k
                    for k in range(10)])
  return np.stack([scale + i for i in range(12)])


def auto_tune(f0_midi, tuning_factor, mask_on, amount=0.0, chromatic=False):
  """Pulls pitch towards a scale: f0 - amount * deviation.

  Args:
    f0_midi: Pitch in MIDI, [n_frames].
    tuning_factor: Offset from get_tuning_factor (used when chromatic).
    mask_on: Note-on mask, used to infer the key.
    amount: 0 = unchanged, 1 = snapped to the nearest note.
    chromatic: Snap to all semitones instead of the inferred major key.

  Returns:
    Adjusted f0 in MIDI, [n_frames].
  """
  f0_midi = np.asarray(f0_midi)
  if chromatic:
    deviation = _wrap_semitone(f0_midi - tuning_factor)
  else:
    scales = _major_scales()
    f0_on = f0_midi[mask_on]
    # Distance of each note-on frame to the nearest note of each scale.
    dist = np.abs(f0_on[:, None, None] - scales[None, :, :]).min(axis=-1)
    key = int(np.argmin(np.mean(dist, axis=0)))
    diff = f0_midi[:, None] - scales[key][None, :]
    nearest = np.argmin(np.abs(diff), axis=-1)
    deviation = np.take_along_axis(diff, nearest[:, None], axis=-1)[:, 0]
    print('Autotuning... \nInferred key: {}  \nTuning offset: {} cents'.format(
        KEY_NAMES[key], int(tuning_factor * 100)))
  return f0_midi - amount * deviation
