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

"""MIDI messages played live: f0 and loudness frames, block by block.

The rules are those of `ddsp_synthesize_midi`
(`playback.midi_performance`): one note sounds at a time (the overlap
rule), legato notes glide, one ADSR envelope per legato phrase, loudness
from the velocity within the model's note range, pitch bend, CC11
(expression) as 40 log10(level) dB. CC1 (the modulation wheel) sets the
vibrato depth: cents = MOD_WHEEL_CENTS * value / 127.

A note still held has no end yet: it is kept with end = +inf, and the
curves of each block are computed from the notes of the last
`HISTORY_SECONDS` (a release and a glide reach back no further). Notes
land in the model's range as a file's do (`fit_to_range`), judged on the
notes of that history.
"""

import dataclasses
from typing import List, Tuple

from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance as perf
import numpy as np

MOD_WHEEL_CENTS = 50.0
HISTORY_SECONDS = 10.0
_NOTE_OFF, _NOTE_ON, _CONTROL, _BEND = 0x80, 0x90, 0xB0, 0xE0


class LiveMidi:
  """Turns timed MIDI messages into the frames a model plays.

  Usage: `add(events)` with the messages received so far, then
  `frames(first, n)` for the next frames, in time order.
  """

  def __init__(self, frame_rate: float, settings: perf.Settings,
               model_range: perf.ModelRange, sample_rate: float,
               bend_range: float = midi_file.DEFAULT_BEND_RANGE):
    """Constructor.

    Args:
      frame_rate: Frames per second of the model.
      settings: How notes are played (`midi_performance.Settings`).
      model_range: The model's pitch and loudness range.
      sample_rate: Rate of the event times (samples per second).
      bend_range: Semitones of a full pitch-wheel throw.
    """
    settings.check()
    self.frame_rate = frame_rate
    self.settings = settings
    self.model_range = model_range
    self.sample_rate = sample_rate
    self.bend_range = bend_range
    self.notes: List[perf.Note] = []
    self.held = {}  # pitch -> index in self.notes.
    self.bends: List[Tuple[float, float]] = []
    self.expression: List[Tuple[float, float]] = []
    self.modulation: List[Tuple[float, float]] = []
    self.n_note_ons = 0

  def add(self, events: np.ndarray) -> None:
    """Takes messages [n, 4] (time in samples, status, data1, data2)."""
    for time, status, d1, d2 in events.tolist():
      t = time / self.sample_rate
      kind = status & 0xF0
      if kind == _NOTE_ON and d2 > 0:
        self._note_on(t, d1, d2)
      elif kind in (_NOTE_OFF, _NOTE_ON):
        self._note_off(t, d1)
      elif kind == _BEND:
        value = ((d2 << 7) | d1) - 8192
        self.bends.append((t, self.bend_range * value / 8192.0))
      elif kind == _CONTROL and d1 == 11:
        self.expression.append((t, d2 / 127.0))
      elif kind == _CONTROL and d1 == 1:
        self.modulation.append((t, MOD_WHEEL_CENTS * d2 / 127.0))

  def _note_on(self, t: float, pitch: int, velocity: int) -> None:
    self._note_off(t, pitch)  # A repeated key ends the note before.
    self.held[pitch] = len(self.notes)
    self.notes.append(perf.Note(float(pitch), t, np.inf, int(velocity)))
    self.n_note_ons += 1

  def _note_off(self, t: float, pitch: int) -> None:
    i = self.held.pop(pitch, None)
    if i is not None:
      self.notes[i] = dataclasses.replace(self.notes[i], end=t)

  def _forget_before(self, t: float) -> None:
    """Drops notes and controls that ended before t (they no longer
    shape the curves), keeping each control's last value."""
    keep = [n for n in self.notes if n.end >= t]
    if len(keep) < len(self.notes):
      self.notes = keep
      self.held = {int(n.pitch): i for i, n in enumerate(keep)
                   if n.end == np.inf}
    for changes in (self.bends, self.expression, self.modulation):
      while len(changes) > 1 and changes[1][0] <= t:
        changes.pop(0)

  def frames(self, first: int, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """f0_hz and loudness_db (float32 [n]) of frames first..first+n-1.

    Frame k is at k / frame_rate seconds of the stream.
    """
    times = (first + np.arange(n)) / self.frame_rate
    self._forget_before(times[0] - HISTORY_SECONDS)
    notes, _ = perf.monophonic(self.notes, self.settings.overlap)
    notes = [dataclasses.replace(
        note, pitch=note.pitch + self.settings.transpose) for note in notes]
    notes = perf.fit_to_range(notes, self.model_range,
                              self.settings.out_of_range, perf.Report())
    floor = np.float32(self.model_range.floor_db)
    if not notes:
      return np.zeros([n], np.float32), np.full([n], floor, np.float32)
    pitch = perf.pitch_curve(notes, times, self._settings_at(times[0]))
    pitch = pitch + perf.step_curve(self.bends, times, 0.0)
    f0_hz = np.minimum(perf.midi_to_hz(pitch), perf.midi_to_hz(perf.MAX_MIDI))
    ld = perf.loudness_curve(notes, times, self.settings, self.model_range)
    ld = ld + perf.expression_db(perf.step_curve(self.expression, times, 1.0))
    ld = np.maximum(ld, floor)
    return f0_hz.astype(np.float32), ld.astype(np.float32)

  def _settings_at(self, t: float) -> perf.Settings:
    """The settings with the vibrato depth of the modulation wheel at t."""
    if not self.modulation:
      return self.settings
    cents = float(perf.step_curve(self.modulation, np.array([t]), 0.0)[0])
    vibrato = dataclasses.replace(self.settings.vibrato, cents=cents)
    return dataclasses.replace(self.settings, vibrato=vibrato)
