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

"""Reading one part (notes, pitch bend, CC11) out of a standard MIDI file.

Built on `mido` (the `midi_file` extra). Times are converted from ticks to
seconds through the file's tempo map (set_tempo events of every track).
Channel 10 is percussion in General MIDI: its notes have no pitch to play
and are left out unless that channel is asked for by number.

Every problem with the file is a `MidiFileError` (a ValueError) whose
message names the file, the problem and what to do.
"""

import collections
import dataclasses
import os
from typing import Dict, List, Optional, Tuple

from ddsp import errors
from ddsp.training.playback import midi_performance
import numpy as np

INSTALL_HINT = 'pip install "ddsp-modern[midi_file]"'
DRUM_CHANNEL = 9  # Channel 10, counted from 0.
DEFAULT_TEMPO = 500000  # Microseconds per beat (120 bpm) until a set_tempo.
DEFAULT_BEND_RANGE = 2.0  # Semitones of a full pitch-wheel throw.


class MidiFileError(errors.UserError, ValueError):
  """A MIDI file that cannot be played, with the reason."""


def import_mido():
  """The mido module, or an ImportError saying how to install it."""
  try:
    import mido  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'Reading MIDI files needs the mido package: '
        f'{INSTALL_HINT}') from e
  return mido


@dataclasses.dataclass
class TrackEvents:
  """Timed events of one track (seconds from the start of the file).

  Attributes:
    index: Track number in the file, from 0.
    name: The track_name meta event, '' if none.
    notes: (channel, Note) pairs, channel counted from 0.
    bends: channel -> [(seconds, pitch-wheel value in -8192..8191)].
    expression: channel -> [(seconds, CC11 value in 0..127)].
    bend_ranges: channel -> [(seconds, semitones)] set by RPN 0 (pitch-bend
      sensitivity: CC101 = CC100 = 0, then CC6 semitones and CC38 cents).
  """
  index: int
  name: str
  notes: List[Tuple[int, midi_performance.Note]]
  bends: Dict[int, List[Tuple[float, int]]]
  expression: Dict[int, List[Tuple[float, int]]]
  bend_ranges: Dict[int, List[Tuple[float, float]]] = dataclasses.field(
      default_factory=lambda: collections.defaultdict(list))

  def channels(self, drums: bool = False) -> List[int]:
    """Channels with notes (channel 10 only if `drums`), from 0."""
    return sorted({c for c, _ in self.notes if drums or c != DRUM_CHANNEL})

  def label(self) -> str:
    name = f' {self.name!r}' if self.name else ''
    return f'track {self.index}{name}'


class TempoMap:
  """Ticks to seconds: seconds(tick) = s_j + (tick - tick_j) * tempo_j / tpb.

  tempo_j (microseconds per beat) holds from tick_j on; s_j is the time of
  tick_j.
  """

  @classmethod
  def smpte(cls, frames_per_second: float,
            ticks_per_frame: int) -> 'TempoMap':
    """Fixed time code: seconds(tick) = tick / (frames_per_second * tpf)."""
    tempo = cls(ticks_per_frame, [])
    tempo._tempos[:] = 1.0 / (frames_per_second * ticks_per_frame)
    return tempo

  def __init__(self, ticks_per_beat: int, changes: List[Tuple[int, int]]):
    """changes: (tick, microseconds per beat), any order."""
    self._tpb = ticks_per_beat
    ticks, tempos = [0], [DEFAULT_TEMPO]
    for tick, tempo in sorted(changes):
      if tick == ticks[-1]:
        tempos[-1] = tempo
      else:
        ticks.append(tick)
        tempos.append(tempo)
    self._ticks = np.array(ticks, np.float64)
    self._tempos = np.array(tempos, np.float64) * 1e-6 / ticks_per_beat
    steps = np.diff(self._ticks) * self._tempos[:-1]
    self._seconds = np.concatenate([[0.0], np.cumsum(steps)])

  def seconds(self, tick: int) -> float:
    j = int(np.searchsorted(self._ticks, tick, side='right')) - 1
    return float(self._seconds[j] + (tick - self._ticks[j]) * self._tempos[j])


def _absolute(track):
  """(tick, message) of a track with absolute ticks."""
  tick = 0
  for msg in track:
    tick += msg.time
    yield tick, msg


SUSTAIN = 64  # Sustain pedal controller: held at values >= 64.
RPN_MSB, RPN_LSB, DATA_MSB, DATA_LSB = 101, 100, 6, 38


def _track_events(index: int, track, tempo: TempoMap) -> TrackEvents:
  """Notes and controllers of one track.

  A note-on of a pitch already sounding on the same channel ends the
  sounding one first (a re-strike; a note-off of that pitch on the same
  tick then belongs to the ended note). While the sustain pedal (CC64) is
  down, released notes sound on until it comes up. Notes never switched
  off end with the track.
  """
  events = TrackEvents(index, '', [], collections.defaultdict(list),
                       collections.defaultdict(list))
  sounding = {}  # (channel, pitch) -> (start tick, velocity).
  restruck = {}  # (channel, pitch) -> tick of a re-strike.
  pedal_down = set()  # Channels.
  held = set()  # (channel, pitch) released under the pedal.
  rpn = {}  # channel -> [CC101, CC100] selection.
  semitones = {}  # channel -> bend range being set (RPN 0).
  last_tick = 0

  def close(key, tick):
    start, velocity = sounding.pop(key)
    held.discard(key)
    events.notes.append((key[0], midi_performance.Note(
        float(key[1]), tempo.seconds(start), tempo.seconds(tick), velocity)))

  def release(key, tick):
    if key not in sounding or restruck.get(key) == tick:
      return
    if key[0] in pedal_down:
      held.add(key)
    else:
      close(key, tick)

  def control(channel, number, value, tick):
    if number == 11:
      events.expression[channel].append((tempo.seconds(tick), value))
    elif number == SUSTAIN and value >= 64:
      pedal_down.add(channel)
    elif number == SUSTAIN:
      pedal_down.discard(channel)
      for key in sorted(k for k in held if k[0] == channel):
        close(key, tick)
    elif number in (RPN_MSB, RPN_LSB):
      rpn.setdefault(channel, [127, 127])[number == RPN_LSB] = value
    elif number in (DATA_MSB, DATA_LSB) and rpn.get(channel) == [0, 0]:
      whole, cents = divmod(semitones.get(channel, 2.0) * 100.0, 100.0)
      whole, cents = (value, cents) if number == DATA_MSB else (whole, value)
      semitones[channel] = whole + cents / 100.0
      events.bend_ranges[channel].append(
          (tempo.seconds(tick), semitones[channel]))

  for tick, msg in _absolute(track):
    last_tick = tick
    if msg.type == 'track_name' and not events.name:
      events.name = msg.name.strip()
    elif msg.type == 'note_on' and msg.velocity > 0:
      key = (msg.channel, msg.note)
      if key in sounding:
        close(key, tick)
        restruck[key] = tick
      sounding[key] = (tick, msg.velocity)
    elif msg.type in ('note_off', 'note_on'):
      release((msg.channel, msg.note), tick)
    elif msg.type == 'pitchwheel':
      events.bends[msg.channel].append((tempo.seconds(tick), msg.pitch))
    elif msg.type == 'control_change':
      control(msg.channel, msg.control, msg.value, tick)
  for key in list(sounding):
    close(key, last_tick)
  return events


def _load(path: str):
  """mido.MidiFile of `path`, or a MidiFileError saying why not."""
  mido = import_mido()
  if not os.path.exists(path):
    raise errors.MissingPathError(
        f'MIDI file {path} not found: give the path of a .mid file.')
  if os.path.getsize(path) == 0:
    raise MidiFileError(f'MIDI file {path} is empty (0 bytes): export the '
                        'part again as a standard MIDI file (.mid).')
  try:
    return mido.MidiFile(path)
  except EOFError as e:
    raise MidiFileError(
        f'{path} is not a readable standard MIDI file (it ends before its '
        'last track does: a truncated download or copy?): export or copy the '
        '.mid file again.') from e
  except (OSError, ValueError, KeyError, IndexError) as e:
    reason = str(e) or type(e).__name__
    raise MidiFileError(
        f'{path} is not a readable standard MIDI file ({reason}): give a .mid '
        'file (type 0 or 1) as a sequencer or DAW exports it.') from e


def _tempo_maps(midi) -> List[TempoMap]:
  """The tempo map of each track.

  Types 0 and 1 share one map (set_tempo events of every track); in type 2
  every track is its own sequence with its own tempo. A negative division
  is SMPTE time code: -frames per second in the high byte (-29 for 29.97
  drop frame), ticks per frame in the low byte.
  """
  division = midi.ticks_per_beat
  if division < 0:
    fps, ticks_per_frame = -(division >> 8), division & 0xFF
    fps = 29.97 if fps == 29 else float(fps)
    return [TempoMap.smpte(fps, ticks_per_frame)] * len(midi.tracks)

  def changes(tracks):
    return [(tick, msg.tempo) for track in tracks
            for tick, msg in _absolute(track) if msg.type == 'set_tempo']

  if midi.type == 2:
    return [TempoMap(division, changes([t])) for t in midi.tracks]
  return [TempoMap(division, changes(midi.tracks))] * len(midi.tracks)


def read_tracks(path: str) -> List[TrackEvents]:
  """Timed events of every track of a MIDI file.

  Args:
    path: A standard MIDI file.

  Returns:
    One TrackEvents per track, in file order.

  Raises:
    FileNotFoundError: no such file.
    MidiFileError: the file is empty or not a MIDI file.
    ImportError: mido is not installed.
  """
  midi = _load(path)
  return [_track_events(i, t, tempo) for i, (t, tempo) in
          enumerate(zip(midi.tracks, _tempo_maps(midi)))]


def _with_notes(tracks: List[TrackEvents], channel: Optional[int]
               ) -> List[TrackEvents]:
  """Tracks with playable notes (on `channel` when given)."""
  if channel is None:
    return [t for t in tracks if t.channels()]
  return [t for t in tracks if channel in t.channels(drums=True)]


def _choose_track(path: str, tracks: List[TrackEvents],
                  track: Optional[int],
                  channel: Optional[int]) -> TrackEvents:
  """The track asked for, or the first with playable notes."""
  playable = _with_notes(tracks, channel)
  listed = ', '.join(t.label() for t in playable) or 'none'
  if track is not None:
    if not 0 <= track < len(tracks):
      raise MidiFileError(
          f'{path} has no track {track}: it has {len(tracks)} track(s), '
          f'numbered 0..{len(tracks) - 1}; tracks with notes to play: '
          f'{listed}.')
    if all(t.index != track for t in playable):
      raise MidiFileError(
          f'{path}: track {track} has no notes to play'
          f'{_channel_text(channel)}; tracks with notes to play: {listed}.')
    return tracks[track]
  if playable:
    return playable[0]
  if not any(t.notes for t in tracks):
    raise MidiFileError(f'{path} has no notes: nothing to play.')
  if channel is None:
    raise MidiFileError(
        f'{path} has only drum notes (channel 10), which have no pitch to '
        'play; pass --channel=10 to play them as pitches anyway.')
  raise MidiFileError(f'{path} has no notes on channel {channel + 1}.')


def _channel_text(channel: Optional[int]) -> str:
  if channel is None:
    return ' (drums on channel 10 are left out)'
  return f' on channel {channel + 1}'


def _bend_semitones(value: int, bend_range: float) -> float:
  """Pitch-wheel value to semitones: full throw (-8192 / +8191) = range."""
  return bend_range * value / (8191.0 if value > 0 else 8192.0)


def _range_at(ranges: List[Tuple[float, float]], seconds: float,
              default: float) -> float:
  """Bend range in force at `seconds`: the last RPN 0 setting before it."""
  in_force = [r for t, r in ranges if t <= seconds]
  return in_force[-1] if in_force else default


def read_part(path: str, track: Optional[int] = None,
              channel: Optional[int] = None,
              bend_range: float = DEFAULT_BEND_RANGE
             ) -> midi_performance.Part:
  """The part one track (and channel) of a MIDI file plays.

  Args:
    path: A standard MIDI file.
    track: Track number from 0 (None: the first track with notes to play).
    channel: MIDI channel 1..16 (None: the first channel of the track with
      pitched notes; drums, on 10, only when asked for).
    bend_range: Semitones of a full pitch-wheel throw until the file sets
      one (RPN 0); 2 by default in General MIDI.

  Returns:
    midi_performance.Part with the notes, bends (semitones) and expression
    (0..1) of the chosen channel.

  Raises:
    FileNotFoundError: no such file.
    MidiFileError: the file is empty, not MIDI, has no such track or no
      notes to play.
  """
  if channel is not None and not 1 <= channel <= 16:
    raise MidiFileError(f'Channel {channel} does not exist: MIDI channels '
                        'are 1..16.')
  ch = None if channel is None else channel - 1
  tracks = read_tracks(path)
  chosen = _choose_track(path, tracks, track, ch)
  # One instrument: the channel asked for, else the track's first pitched
  # one (a type-0 file holds every instrument in one track).
  played = ch if ch is not None else chosen.channels()[0]
  notes = [n for c, n in chosen.notes if c == played]
  ranges = chosen.bend_ranges.get(played, [])
  bends = [(t, _bend_semitones(v, _range_at(ranges, t, bend_range)))
           for t, v in chosen.bends.get(played, [])]
  expression = [(t, v / 127.0) for t, v in chosen.expression.get(played, [])]
  others = [c + 1 for c in chosen.channels() if c != played]
  where = f'channel {played + 1}'
  if ch is None and others:
    where += (f'; the track also has channel(s) '
              f'{", ".join(map(str, others))}: pick one with --channel')
  name = f'{os.path.basename(path)} {chosen.label()} ({where})'
  return midi_performance.Part(notes=notes, bends=bends,
                               expression=expression, name=name)


def write_notes(path: str, notes: List[midi_performance.Note],
                bends: Tuple[Tuple[float, int], ...] = (),
                expression: Tuple[Tuple[float, int], ...] = (),
                tempo: int = DEFAULT_TEMPO, ticks_per_beat: int = 480,
                channel: int = 0) -> str:
  """Writes notes and controllers as a one-track MIDI file.

  For tests and examples: times in seconds are rounded to ticks at one
  fixed tempo.

  Args:
    path: Output .mid file.
    notes: Notes to write (integer pitches).
    bends: (seconds, pitch-wheel value in -8192..8191).
    expression: (seconds, CC11 value in 0..127).
    tempo: Microseconds per beat.
    ticks_per_beat: Resolution.
    channel: Channel from 0.

  Returns:
    path.
  """
  mido = import_mido()
  to_tick = lambda s: int(round(s * 1e6 / tempo * ticks_per_beat))
  timed = []
  for n in notes:
    timed.append((to_tick(n.end), 0, mido.Message(
        'note_off', note=int(n.pitch), velocity=0, channel=channel)))
    timed.append((to_tick(n.start), 1, mido.Message(
        'note_on', note=int(n.pitch), velocity=int(n.velocity),
        channel=channel)))
  for seconds, value in bends:
    timed.append((to_tick(seconds), 1, mido.Message(
        'pitchwheel', pitch=int(value), channel=channel)))
  for seconds, value in expression:
    timed.append((to_tick(seconds), 1, mido.Message(
        'control_change', control=11, value=int(value), channel=channel)))
  track = mido.MidiTrack([mido.MetaMessage('set_tempo', tempo=tempo)])
  now = 0
  for tick, _, msg in sorted(timed, key=lambda x: (x[0], x[1])):
    track.append(msg.copy(time=tick - now))
    now = tick
  midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
  midi.tracks.append(track)
  midi.save(path)
  return path
