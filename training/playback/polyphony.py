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

"""A part's performance as one f0 and loudness curve per voice.

With a voice limit of 1 a part is played as before, monophonically
(`midi_performance.performance_curves`, overlaps resolved by the overlap
rule). Above 1, the whole part is transposed and fitted to the model range
first (one octave shift for all its notes, so chords keep their shape),
then its notes are given to voices (`voices.allocate`) and each voice's
line becomes curves of the part's length (`midi_performance.line_curves`:
its own envelope, the part's pitch bend and expression).
"""

import dataclasses
from typing import List, Optional

from ddsp.training.playback import midi_performance as perf
from ddsp.training.playback import voices
import numpy as np


@dataclasses.dataclass
class VoiceCurves:
  """Model inputs of the voices of a part: float32 [n_voices, n_frames]."""
  f0_hz: np.ndarray
  loudness_db: np.ndarray
  frame_rate: float

  @property
  def n_voices(self) -> int:
    return self.f0_hz.shape[0]

  @property
  def seconds(self) -> float:
    return self.f0_hz.shape[1] / self.frame_rate


@dataclasses.dataclass
class Performance:
  """A part played: its curves, what was done to its notes, as text.

  Attributes:
    curves: One row per voice.
    report: Transposition and range fitting.
    allocation: Notes per voice (None when played monophonically).
    lines: The report as printed.
  """
  curves: VoiceCurves
  report: perf.Report
  allocation: Optional[voices.Allocation]
  lines: List[str]


def perform(part: perf.Part, frame_rate: float, settings: perf.Settings,
            model_range: perf.ModelRange, max_voices: int = 1) -> Performance:
  """The curves of each voice playing `part` (module docstring).

  Args:
    part: Notes, pitch bends and expression.
    frame_rate: Frames per second of the model.
    settings: How to play (`overlap` applies to one voice only).
    model_range: Pitch and loudness range of the model.
    max_voices: The voice limit; 1 plays monophonically.

  Returns:
    Performance.

  Raises:
    errors.BadValueError: a setting out of range or max_voices < 1.
    ValueError: the part has no notes.
  """
  voices.check_max_voices(max_voices)
  if max_voices == 1:
    curves, report = perf.performance_curves(part, frame_rate, settings,
                                             model_range)
    stacked = VoiceCurves(curves.f0_hz[np.newaxis],
                          curves.loudness_db[np.newaxis], frame_rate)
    lines = report.lines(part.name, model_range, settings.out_of_range)
    return Performance(stacked, report, None, lines)
  settings.check()
  notes = [n for n in part.notes if n.end > n.start]
  if not notes:
    raise ValueError(f'{part.name} has no notes to play.')
  report = perf.Report(n_notes=len(notes))
  notes = perf.place_notes(notes, settings, model_range, report)
  allocation = voices.allocate(notes, max_voices, settings.envelope.release)
  n_frames = perf.n_frames_for(
      [n for line in allocation.voices for n in line], settings.envelope,
      frame_rate)
  lines = [perf.line_curves(line, part, n_frames, frame_rate, settings,
                            model_range) for line in allocation.voices]
  curves = VoiceCurves(np.stack([c.f0_hz for c in lines]),
                       np.stack([c.loudness_db for c in lines]), frame_rate)
  text = report.lines(part.name, model_range, settings.out_of_range)
  text[0] = (f'{part.name}: {len(notes)} notes on {allocation.n_voices} '
             f'voice(s) (limit {max_voices}); {len(allocation.stolen)} '
             'note(s) cut short by voice stealing.')
  return Performance(curves, report, allocation, text)
