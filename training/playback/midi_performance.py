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

"""From MIDI notes to the f0 and loudness curves a DDSP model plays.

A DDSP autoencoder is driven by two curves at its frame rate, f0_hz and
loudness_db. Here they are made from notes, the way a monophonic
synthesizer plays them:

1. `monophonic`: overlapping notes are reduced to one sounding note at a
   time (highest, lowest or last started wins; a note still held sounds
   again when the winner ends).
2. `fit_to_range`: notes outside the model's pitch range are moved by
   octaves, or only reported.
3. `performance_curves`: pitch steps at note-ons (or glides between legato
   notes), plus vibrato and pitch bend; loudness from the velocity, an ADSR
   envelope per legato phrase and CC11 (expression), floored at the
   quietest loudness of the training data.

Everything here is numpy on plain data; reading MIDI files is
`ddsp.training.playback.midi_file`, synthesis `ddsp.training.playback.midi_synthesis`.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ddsp import errors
import numpy as np

OVERLAP_RULES = ('last', 'highest', 'lowest')
RANGE_RULES = ('octave', 'report')

# Notes closer than this (seconds) are legato: one envelope, optional glide.
LEGATO_GAP_SECONDS = 0.01
# Curves go on this long after the last release (reverb tail).
TAIL_SECONDS = 0.25
# Loudness range of notes when the model has no dataset statistics (dB).
DEFAULT_NOTE_DB = (-55.0, -25.0)
DEFAULT_FLOOR_DB = -80.0
# Highest pitch played (MIDI 110, about 4.7 kHz, as feature_adjustments).
MAX_MIDI = 110.0
_NAMES = ('C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B')


@dataclasses.dataclass(frozen=True)
class Note:
  """One note: MIDI pitch, start and end in seconds, velocity 0..127."""
  pitch: float
  start: float
  end: float
  velocity: int = 100


@dataclasses.dataclass
class Part:
  """What one instrument plays: notes and continuous controllers.

  Attributes:
    notes: Notes in any order, possibly overlapping.
    bends: (seconds, semitones) pitch-bend changes, in time order.
    expression: (seconds, level in [0, 1]) CC11 changes, in time order.
    name: Where the part comes from (for messages).
  """
  notes: Sequence[Note]
  bends: Sequence[Tuple[float, float]] = ()
  expression: Sequence[Tuple[float, float]] = ()
  name: str = 'notes'


@dataclasses.dataclass
class Envelope:
  """ADSR: attack, decay and release in seconds; sustain level in [0, 1]."""
  attack: float = 0.02
  decay: float = 0.1
  sustain: float = 0.8
  release: float = 0.15


@dataclasses.dataclass
class Vibrato:
  """Sine vibrato of `cents` depth at `hz`, from `delay` s after note-on."""
  cents: float = 0.0
  hz: float = 5.5
  delay: float = 0.3


@dataclasses.dataclass
class Settings:
  """How notes are played.

  Attributes:
    transpose: Semitones added to every note.
    envelope: ADSR of the loudness.
    vibrato: Pitch vibrato.
    glide: Seconds of portamento into a legato note (0 = a step).
    velocity_sensitivity: 0 plays every note at the loudest note loudness
      of the model, 1 spreads velocities 0..127 over its whole note range.
    overlap: Which overlapping note sounds, one of OVERLAP_RULES.
    out_of_range: 'octave' moves notes outside the model's range by octaves,
      'report' only lists them.
  """
  transpose: float = 0.0
  envelope: Envelope = dataclasses.field(default_factory=Envelope)
  vibrato: Vibrato = dataclasses.field(default_factory=Vibrato)
  glide: float = 0.0
  velocity_sensitivity: float = 0.5
  overlap: str = 'last'
  out_of_range: str = 'octave'

  def check(self) -> None:
    """Raises BadValueError naming the first setting out of its range."""
    env = self.envelope
    problems = [
        (self.overlap not in OVERLAP_RULES,
         f'overlap rule {self.overlap!r} is not one of {OVERLAP_RULES}'),
        (self.out_of_range not in RANGE_RULES,
         f'out-of-range rule {self.out_of_range!r} is not one of '
         f'{RANGE_RULES}'),
        (min(env.attack, env.decay, env.release) < 0,
         'attack, decay and release must be >= 0 seconds'),
        (not 0.0 <= env.sustain <= 1.0, 'sustain must be in [0, 1]'),
        (not 0.0 <= self.velocity_sensitivity <= 1.0,
         'velocity_sensitivity must be in [0, 1]'),
        (self.glide < 0 or self.vibrato.delay < 0 or self.vibrato.hz < 0,
         'glide, vibrato_delay and vibrato_hz must be >= 0'),
    ]
    for bad, message in problems:
      if bad:
        raise errors.BadValueError(f'Invalid setting: {message}.')


@dataclasses.dataclass
class ModelRange:
  """Where a model was trained: note pitches (MIDI) and loudness (dB).

  Attributes:
    pitch_lo: Lowest note pitch (None: unknown, no range check).
    pitch_hi: Highest note pitch.
    note_db_lo: Loudness of the softest notes.
    note_db_hi: Loudness of the loudest notes.
    floor_db: Loudness of silence.
  """
  pitch_lo: Optional[float] = None
  pitch_hi: Optional[float] = None
  note_db_lo: float = DEFAULT_NOTE_DB[0]
  note_db_hi: float = DEFAULT_NOTE_DB[1]
  floor_db: float = DEFAULT_FLOOR_DB

  @classmethod
  def from_statistics(cls, ds_stats: Optional[Dict[str, Any]],
                      db_key: str = 'loudness_db') -> 'ModelRange':
    """The range of dataset statistics (postprocessing's keys).

    As DDSP-VST with its metadata: pitch in [mean_min_pitch_note,
    mean_max_pitch_note]; note loudness (or power for power models) in
    [mean_min_*_note, mean_max_*_note]; silence at the dataset's minimum.

    Args:
      ds_stats: Statistics dict, or None for the defaults.
      db_key: 'loudness_db' or 'power_db', what the model is fed.

    Returns:
      ModelRange.
    """
    if ds_stats is None:
      return cls()
    feature = 'power' if db_key == 'power_db' else 'loudness'
    return cls(pitch_lo=float(ds_stats['mean_min_pitch_note']),
               pitch_hi=float(ds_stats['mean_max_pitch_note']),
               note_db_lo=float(ds_stats[f'mean_min_{feature}_note']),
               note_db_hi=float(ds_stats[f'mean_max_{feature}_note']),
               floor_db=float(ds_stats[f'min_{feature}']))


@dataclasses.dataclass
class Report:
  """What was done to the notes (for the messages of the command line).

  Attributes:
    n_notes: Notes played after the overlaps were resolved.
    overlaps: Note-ons that came while another note was held.
    part_octaves: Octaves the whole part was moved to fit the range.
    moved: (original pitch, new pitch, start) of notes moved by octaves
      on their own.
    outside: Notes left outside the model's range ('report' rule, or a
      range narrower than an octave).
  """
  n_notes: int = 0
  overlaps: int = 0
  part_octaves: int = 0
  moved: List[Tuple[float, float, float]] = dataclasses.field(
      default_factory=list)
  outside: List[Note] = dataclasses.field(default_factory=list)

  def lines(self, part_name: str, model_range: ModelRange,
            out_of_range: str) -> List[str]:
    """Human-readable summary, one line per fact."""
    lines = [f'{part_name}: {self.n_notes} notes; {self.overlaps} '
             f'overlapping note(s) resolved.']
    if model_range.pitch_lo is None:
      lines.append('No dataset statistics: pitch range not checked, '
                   'default loudness range used.')
      return lines
    lo, hi = model_range.pitch_lo, model_range.pitch_hi
    span = f'{note_name(lo)}..{note_name(hi)} (MIDI {lo:.1f}..{hi:.1f})'
    if not (self.part_octaves or self.moved or self.outside):
      lines.append(f'All notes in the model range {span}.')
    if self.part_octaves:
      lines.append(f'Moved the part by {self.part_octaves:+d} octave(s) into '
                   f'the model range {span}.')
    if self.moved:
      listed = ', '.join(f'{note_name(a)}->{note_name(b)} at {t:.2f} s'
                         for a, b, t in self.moved[:10])
      more = ' ...' if len(self.moved) > 10 else ''
      lines.append(f'Moved {len(self.moved)} note(s) by octaves into '
                   f'{span}: {listed}{more}')
    if self.outside:
      listed = ', '.join(f'{note_name(n.pitch)} at {n.start:.2f} s'
                         for n in self.outside[:10])
      more = ' ...' if len(self.outside) > 10 else ''
      lines.append(f'{len(self.outside)} note(s) outside the model range '
                   f'{span} (out-of-range rule {out_of_range!r}): '
                   f'{listed}{more}')
    return lines


@dataclasses.dataclass
class Curves:
  """Model inputs: f0_hz and loudness_db, float32 [n_frames]."""
  f0_hz: np.ndarray
  loudness_db: np.ndarray
  frame_rate: float

  @property
  def seconds(self) -> float:
    return len(self.f0_hz) / self.frame_rate


def note_name(pitch: float) -> str:
  """'C4' for MIDI 60 (rounded to the nearest semitone)."""
  p = int(round(pitch))
  return f'{_NAMES[p % 12]}{p // 12 - 1}'


def midi_to_hz(pitch: np.ndarray) -> np.ndarray:
  """f = 440 * 2^((pitch - 69) / 12)."""
  return 440.0 * 2.0**((np.asarray(pitch, np.float64) - 69.0) / 12.0)


# ------------------------------------------------------------------------------
# Notes.
# ------------------------------------------------------------------------------
def _winner(held: List[int], notes: Sequence[Note], rule: str) -> int:
  """Index of the sounding note among the held ones (file order breaks ties).

  held is in note-on order, so 'last' is its final element.
  """
  if rule == 'highest':
    return max(held, key=lambda i: (notes[i].pitch, i))
  if rule == 'lowest':
    return min(held, key=lambda i: (notes[i].pitch, -i))
  return held[-1]


def monophonic(notes: Sequence[Note], rule: str = 'last'
              ) -> Tuple[List[Note], int]:
  """One note at a time, as a monophonic synthesizer with a note stack.

  Between consecutive note boundaries the set of held notes is constant; the
  rule picks the one that sounds. A held note that loses and later wins
  again sounds again from that time (legato with the note before it).

  Args:
    notes: Notes in any order.
    rule: One of OVERLAP_RULES.

  Returns:
    (non-overlapping notes sorted by start, number of note-ons that came
    while another note was held).
  """
  if rule not in OVERLAP_RULES:
    raise ValueError(f'Overlap rule {rule!r} is not one of {OVERLAP_RULES}.')
  notes = sorted((n for n in notes if n.end > n.start),
                 key=lambda n: (n.start, n.pitch))
  # Ends sort before starts at the same time: touching notes do not overlap.
  events = sorted([(n.start, 1, i) for i, n in enumerate(notes)] +
                  [(n.end, 0, i) for i, n in enumerate(notes)])
  held, out, overlaps = [], [], 0
  current, since = None, 0.0
  k = 0
  while k < len(events):
    t = events[k][0]
    while k < len(events) and events[k][0] == t:
      _, is_start, i = events[k]
      if is_start:
        overlaps += bool(held)
        held.append(i)
      else:
        held.remove(i)
      k += 1
    winner = _winner(held, notes, rule) if held else None
    if winner != current:
      if current is not None and t > since:
        n = notes[current]
        out.append(Note(n.pitch, since, t, n.velocity))
      current, since = winner, t
  return out, overlaps


def _part_octaves(pitches: np.ndarray, lo: float, hi: float) -> int:
  """Octave shift putting the most pitches in [lo, hi] (smallest on ties)."""
  shifts = sorted(range(-10, 11), key=abs)
  inside = [np.sum((pitches + 12 * k >= lo) & (pitches + 12 * k <= hi))
            for k in shifts]
  return shifts[int(np.argmax(inside))]


def _fold(pitch: float, lo: float, hi: float) -> float:
  """pitch moved by whole octaves into [lo, hi], or as close as it gets."""
  if lo <= pitch <= hi:
    return pitch
  up = pitch + 12 * np.ceil((lo - pitch) / 12)
  down = pitch - 12 * np.ceil((pitch - hi) / 12)
  candidates = [up, up - 12] if pitch < lo else [down, down + 12]
  distance = lambda p: max(lo - p, p - hi, 0.0)
  return float(min(candidates, key=distance))


def fit_to_range(notes: Sequence[Note], model_range: ModelRange,
                 rule: str, report: Report) -> List[Note]:
  """Notes moved into the model's pitch range, or reported outside it.

  'octave': the whole part moves by the octaves that put most notes in range
  (keeping the melody's shape), then each note still outside moves by
  octaves on its own; notes a range narrower than an octave leaves outside
  are listed. 'report': notes are kept; those outside are listed.

  Args:
    notes: Notes (after transposition).
    model_range: The model's range; no change when its pitch is unknown.
    rule: One of RANGE_RULES.
    report: Receives part_octaves, moved and outside.

  Returns:
    The notes to play.
  """
  lo, hi = model_range.pitch_lo, model_range.pitch_hi
  if lo is None or not notes:
    return list(notes)
  pitches = np.array([n.pitch for n in notes])
  if rule == 'report':
    report.outside = [n for n in notes if not lo <= n.pitch <= hi]
    return list(notes)
  report.part_octaves = _part_octaves(pitches, lo, hi)
  out = []
  for n in notes:
    shifted = n.pitch + 12 * report.part_octaves
    folded = _fold(shifted, lo, hi)
    if folded != shifted:
      report.moved.append((n.pitch, folded, n.start))
    moved = dataclasses.replace(n, pitch=folded)
    if not lo <= folded <= hi:  # The range is narrower than an octave.
      report.outside.append(moved)
    out.append(moved)
  return out


def place_notes(notes: Sequence[Note], settings: Settings,
                model_range: ModelRange, report: Report) -> List[Note]:
  """Notes transposed, then fitted to the model range (`fit_to_range`)."""
  notes = [dataclasses.replace(n, pitch=n.pitch + settings.transpose)
           for n in notes]
  return fit_to_range(notes, model_range, settings.out_of_range, report)


def prepare_notes(part: Part, settings: Settings, model_range: ModelRange
                 ) -> Tuple[List[Note], Report]:
  """Monophonic, transposed, in-range notes of a part, and the report."""
  notes, overlaps = monophonic(part.notes, settings.overlap)
  report = Report(n_notes=len(notes), overlaps=overlaps)
  notes = place_notes(notes, settings, model_range, report)
  return notes, report


# ------------------------------------------------------------------------------
# Curves.
# ------------------------------------------------------------------------------
def step_curve(changes: Sequence[Tuple[float, float]], times: np.ndarray,
               initial: float) -> np.ndarray:
  """Value of a piecewise-constant control at `times`.

  value(t) = value of the last change at or before t, `initial` before the
  first change.

  Args:
    changes: (seconds, value) in time order.
    times: [n] seconds.
    initial: Value before the first change.

  Returns:
    float64 [n].
  """
  if not changes:
    return np.full(times.shape, initial)
  at, values = np.array(changes, np.float64).T
  idx = np.searchsorted(at, times, side='right') - 1
  return np.where(idx >= 0, values[np.maximum(idx, 0)], initial)


def phrases(notes: Sequence[Note],
            gap: float = LEGATO_GAP_SECONDS) -> List[Tuple[int, int]]:
  """[first, last) note indices of each legato phrase.

  A note starting less than `gap` seconds after the previous one ends
  continues its phrase.
  """
  bounds, first = [], 0
  for i in range(1, len(notes)):
    if notes[i].start - notes[i - 1].end >= gap:
      bounds.append((first, i))
      first = i
  if notes:
    bounds.append((first, len(notes)))
  return bounds


def adsr(t: np.ndarray, held: float, env: Envelope,
         start_level: float = 0.0) -> np.ndarray:
  """ADSR amplitude at `t` seconds after the note-on, for a note `held` s.

  attack: start + (1 - start) * t / A; decay: 1 + (S - 1) * (t - A) / D;
  sustain: S; after the note-off: L_off * max(0, 1 - (t - held) / R), with
  L_off the level reached at the note-off.

  Args:
    t: [n] seconds since the note-on (>= 0).
    held: Seconds from note-on to note-off.
    env: The envelope.
    start_level: Level at the note-on (a note retriggered while the one
      before is still releasing starts from that level).

  Returns:
    float64 [n] in [0, 1].
  """
  t = np.asarray(t, np.float64)

  def before_off(x):
    attack = start_level + (1.0 - start_level) * x / max(env.attack, 1e-9)
    decay = 1.0 + (env.sustain - 1.0) * (x - env.attack) / max(env.decay,
                                                                1e-9)
    return np.where(x < env.attack, attack,
                    np.where(x < env.attack + env.decay, decay, env.sustain))

  level_off = float(before_off(np.array(held)))
  release = level_off * np.maximum(
      0.0, 1.0 - (t - held) / max(env.release, 1e-9))
  return np.clip(np.where(t < held, before_off(np.minimum(t, held)),
                          release), 0.0, 1.0)


def velocity_db(velocity: float, sensitivity: float,
                model_range: ModelRange) -> float:
  """Note loudness: hi - sensitivity * (1 - velocity / 127) * (hi - lo)."""
  lo, hi = model_range.note_db_lo, model_range.note_db_hi
  return hi - sensitivity * (1.0 - velocity / 127.0) * (hi - lo)


def expression_db(level: np.ndarray) -> np.ndarray:
  """CC11 gain as General MIDI recommends: 40 * log10(level)."""
  return 40.0 * np.log10(np.maximum(level, 1e-6))


def n_frames_for(notes: Sequence[Note], env: Envelope,
                 frame_rate: float) -> int:
  """Frames up to the last note-off, its release and a short tail."""
  end = max(n.end for n in notes) + env.release + TAIL_SECONDS
  return int(np.ceil(end * frame_rate))


def _segment(times: np.ndarray, lo: float, hi: float) -> slice:
  """Frames with lo <= time < hi."""
  return slice(int(np.searchsorted(times, lo, side='left')),
               int(np.searchsorted(times, hi, side='left')))


def pitch_curve(notes: Sequence[Note], times: np.ndarray,
                settings: Settings) -> np.ndarray:
  """Pitch (MIDI) at `times`, before pitch bend.

  Each note holds its pitch from its note-on to the next note-on (through
  its release); before the first note-on the first pitch. A legato note
  glides from the pitch before it: p(t) = prev + (p - prev) * (t - on) / G
  for t - on < G. Vibrato adds cents / 100 * sin(2 pi hz (t - on - delay))
  from `delay` s after each note-on.

  Args:
    notes: Non-overlapping notes sorted by start.
    times: [n] frame times in seconds.
    settings: glide and vibrato.

  Returns:
    float64 [n].
  """
  pitch = np.full(times.shape, notes[0].pitch, np.float64)
  vib = settings.vibrato
  for i, n in enumerate(notes):
    until = notes[i + 1].start if i + 1 < len(notes) else np.inf
    seg = _segment(times, n.start, until)
    t = times[seg] - n.start
    p = np.full(t.shape, n.pitch)
    legato = i > 0 and n.start - notes[i - 1].end < LEGATO_GAP_SECONDS
    if legato and settings.glide > 0:
      prev = notes[i - 1].pitch
      ramp = np.minimum(t / settings.glide, 1.0)
      p = prev + (n.pitch - prev) * ramp
    if vib.cents:
      p = p + np.where(t >= vib.delay, vib.cents / 100.0 * np.sin(
          2 * np.pi * vib.hz * (t - vib.delay)), 0.0)
    pitch[seg] = p
  return pitch


def loudness_curve(notes: Sequence[Note], times: np.ndarray,
                   settings: Settings, model_range: ModelRange) -> np.ndarray:
  """Loudness (dB) at `times`, before CC11, not yet floored.

  One envelope per legato phrase, from its first note-on to its last
  note-off; each note sets the loudness of its velocity:
  ld(t) = velocity_db + 20 * log10(adsr(t)).

  Args:
    notes: Non-overlapping notes sorted by start.
    times: [n] frame times in seconds.
    settings: envelope and velocity sensitivity.
    model_range: note loudness range.

  Returns:
    float64 [n] (-inf where the envelope is 0).
  """
  env = settings.envelope
  level = np.zeros(times.shape)
  note_db = np.full(times.shape, model_range.floor_db)
  starts = [n.start for n in notes] + [np.inf]
  previous = None  # (on, held, start_level) of the phrase before.
  for first, last in phrases(notes):
    on, off = notes[first].start, notes[last - 1].end
    start_level = 0.0
    if previous is not None:
      prev_on, prev_held, prev_start = previous
      start_level = float(adsr(np.array(on - prev_on), prev_held, env,
                               prev_start))
    # The phrase sounds (and releases) until the next phrase starts.
    seg = _segment(times, on, starts[last])
    level[seg] = adsr(times[seg] - on, off - on, env, start_level)
    for i in range(first, last):
      db = velocity_db(notes[i].velocity, settings.velocity_sensitivity,
                       model_range)
      note_db[_segment(times, notes[i].start, starts[i + 1])] = db
    previous = (on, off - on, start_level)
  with np.errstate(divide='ignore'):
    return note_db + 20.0 * np.log10(level)


def performance_curves(part: Part, frame_rate: float, settings: Settings,
                       model_range: ModelRange
                      ) -> Tuple[Curves, Report]:
  """The f0 and loudness curves of a part, at the model's frame rate.

  f0_hz = midi_to_hz(pitch + bend), at most midi_to_hz(MAX_MIDI);
  loudness_db = max(floor, ld + expression_db(cc11)). Frame k is at
  t = k / frame_rate.

  Args:
    part: Notes, pitch bends and expression.
    frame_rate: Frames per second of the model.
    settings: How to play.
    model_range: Pitch and loudness range of the model.

  Returns:
    (Curves, Report).

  Raises:
    ValueError: a setting is out of range, or the part has no notes.
  """
  settings.check()
  notes, report = prepare_notes(part, settings, model_range)
  if not notes:
    raise ValueError(f'{part.name} has no notes to play.')
  n_frames = n_frames_for(notes, settings.envelope, frame_rate)
  curves = line_curves(notes, part, n_frames, frame_rate, settings,
                       model_range)
  return curves, report


def line_curves(notes: Sequence[Note], part: Part, n_frames: int,
                frame_rate: float, settings: Settings,
                model_range: ModelRange) -> Curves:
  """The curves of one monophonic line of a part, n_frames long.

  As `performance_curves`, for notes already placed (`prepare_notes`): the
  part's pitch bend and expression apply.

  Args:
    notes: Non-overlapping notes sorted by start (at least one).
    part: The part (its bends and expression).
    n_frames: Length of the curves.
    frame_rate: Frames per second of the model.
    settings: How to play.
    model_range: Loudness range of the model.

  Returns:
    Curves.
  """
  times = np.arange(n_frames) / frame_rate
  pitch = pitch_curve(notes, times, settings)
  pitch = pitch + step_curve(part.bends, times, 0.0)
  f0_hz = np.minimum(midi_to_hz(pitch), midi_to_hz(MAX_MIDI))
  ld = loudness_curve(notes, times, settings, model_range)
  ld = ld + expression_db(step_curve(part.expression, times, 1.0))
  ld = np.maximum(ld, model_range.floor_db)
  return Curves(f0_hz=f0_hz.astype(np.float32),
                loudness_db=ld.astype(np.float32), frame_rate=frame_rate)
