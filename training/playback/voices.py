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

"""Voice allocation: the notes of a polyphonic part given to voices.

A DDSP model plays one note at a time; a part whose notes overlap (chords,
a held note under a melody) is played by several voices of the model, each
a monophonic line. `allocate` hands out the notes in note-on order (lower
pitch first at equal times), at most `max_voices` voices:

1. a voice whose last note ended less than LEGATO_GAP_SECONDS before the
   note-on plays it legato (as the monophonic rules do: one envelope, an
   optional glide), the one whose last pitch is closest first (a chord
   followed by a chord: each line moves to its nearest note);
2. else a voice whose last note ended at least `release` seconds ago (its
   release has died away), the one idle longest first;
3. else, below the limit, a new voice;
4. else a voice whose last note has ended but is still releasing (the one
   whose note ended first), cutting its release short;
5. else, every voice sounding: the voice stealing rule. The oldest sounding
   note (earliest note-on; the lower voice on ties) ends at the new note's
   note-on, and its voice plays the new note.
"""

import dataclasses
from typing import List, Sequence

from ddsp import errors
from ddsp.training.playback import midi_performance

Note = midi_performance.Note


@dataclasses.dataclass
class Allocation:
  """Notes per voice.

  Attributes:
    voices: One list per voice of non-overlapping notes sorted by start.
    stolen: Notes cut short by the stealing rule (new, shorter copies are
      in `voices`).
  """
  voices: List[List[Note]]
  stolen: List[Note] = dataclasses.field(default_factory=list)

  @property
  def n_voices(self) -> int:
    return len(self.voices)


def check_max_voices(max_voices: int) -> None:
  """Refuses a voice limit below one."""
  if max_voices < 1:
    raise errors.BadValueError(
        f'The voice limit must be at least 1, got {max_voices} (1 plays a '
        'part monophonically, e.g. --voices=4 for four-note chords).')


def _pick(voices: List[List[Note]], note: Note, release: float,
          max_voices: int) -> int:
  """Index of the voice taking `note` (len(voices): a new one).

  Rules 1 to 5 of the module docstring.
  """
  start = note.start
  ended = [v for v, notes in enumerate(voices) if notes[-1].end <= start]
  legato = [v for v in ended
            if start - voices[v][-1].end < midi_performance.LEGATO_GAP_SECONDS]
  if legato:
    return min(legato, key=lambda v: (abs(voices[v][-1].pitch - note.pitch),
                                      voices[v][-1].pitch, v))
  by_end = sorted(ended, key=lambda v: (voices[v][-1].end, v))
  quiet = [v for v in by_end if voices[v][-1].end + release <= start]
  if quiet:
    return quiet[0]
  if len(voices) < max_voices:
    return len(voices)
  if by_end:
    return by_end[0]
  return min(range(len(voices)), key=lambda v: (voices[v][-1].start, v))


def allocate(notes: Sequence[Note], max_voices: int,
             release: float = 0.0) -> Allocation:
  """Gives each note to a voice (module docstring), at most `max_voices`.

  Args:
    notes: Notes in any order, possibly overlapping; notes without length
      are left out.
    max_voices: The voice limit (>= 1).
    release: Seconds a voice sounds on after its note ends.

  Returns:
    Allocation.

  Raises:
    errors.BadValueError: max_voices < 1.
  """
  check_max_voices(max_voices)
  ordered = sorted((n for n in notes if n.end > n.start),
                   key=lambda n: (n.start, n.pitch))
  voices: List[List[Note]] = []
  stolen = []
  for note in ordered:
    v = _pick(voices, note, release, max_voices)
    if v == len(voices):
      voices.append([])
    elif voices[v][-1].end > note.start:
      victim = voices[v].pop()
      stolen.append(victim)
      if note.start > victim.start:
        voices[v].append(dataclasses.replace(victim, end=note.start))
    voices[v].append(note)
  return Allocation(voices=voices, stolen=stolen)
