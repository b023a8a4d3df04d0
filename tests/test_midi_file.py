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

"""Reading a part out of a MIDI file, and what bad files give.

Specifications of `ddsp.training.playback.midi_file` and of the errors of
`ddsp_synthesize_midi`: each bad input is one error naming the file and the
problem, a non-zero exit status, and no audio file left behind.
"""
import os
import shutil
import subprocess
import sys

import command_runner
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance as mp
from ddsp.training.playback import ddsp_synthesize_midi
import mido
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MELODY = [mp.Note(60, 0.0, 0.5, 90), mp.Note(64, 0.5, 1.0, 100),
          mp.Note(67, 1.25, 2.0, 110)]


def _track(*messages, name=None):
  track = mido.MidiTrack()
  if name:
    track.append(mido.MetaMessage('track_name', name=name))
  track.extend(messages)
  return track


def _save(path, *tracks, ticks_per_beat=480):
  midi = mido.MidiFile(type=1 if len(tracks) > 1 else 0,
                       ticks_per_beat=ticks_per_beat)
  midi.tracks.extend(tracks)
  midi.save(str(path))
  return str(path)


def _note(pitch, channel=0, length=480, velocity=100):
  return [mido.Message('note_on', note=pitch, velocity=velocity,
                       channel=channel, time=0),
          mido.Message('note_off', note=pitch, velocity=0, channel=channel,
                       time=length)]


# ------------------------------------------------------------------------------
# Reading.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('tempo', [500000, 750000])
def test_notes_come_back_in_seconds(tmp_path, tempo):
  path = midi_file.write_notes(str(tmp_path / 'm.mid'), MELODY, tempo=tempo)
  part = midi_file.read_part(path)
  assert [(n.pitch, n.velocity) for n in part.notes] == [
      (n.pitch, n.velocity) for n in MELODY]
  tick = tempo * 1e-6 / 480
  for got, want in zip(part.notes, MELODY):
    assert got.start == pytest.approx(want.start, abs=tick)
    assert got.end == pytest.approx(want.end, abs=tick)


def test_tempo_changes_in_the_first_track_time_the_other_tracks(tmp_path):
  # 1 beat at 120 bpm (0.5 s), then 60 bpm: the note at beat 2 starts at
  # 0.5 + 1.0 s.
  tempo_track = _track(mido.MetaMessage('set_tempo', tempo=500000, time=0),
                       mido.MetaMessage('set_tempo', tempo=1000000, time=480))
  notes = _track(mido.Message('note_on', note=60, velocity=100, time=960),
                 mido.Message('note_off', note=60, velocity=0, time=480))
  part = midi_file.read_part(_save(tmp_path / 't.mid', tempo_track, notes))
  assert part.notes[0].start == pytest.approx(1.5)
  assert part.notes[0].end == pytest.approx(2.5)


@pytest.mark.parametrize('value,bend_range,semitones', [
    (8191, 2.0, 2.0), (-8192, 2.0, -2.0), (4096, 2.0, 4096 / 8191 * 2),
    (8191, 12.0, 12.0), (0, 2.0, 0.0)])
def test_pitch_wheel_is_read_as_semitones(tmp_path, value, bend_range,
                                          semitones):
  path = midi_file.write_notes(str(tmp_path / 'b.mid'), MELODY,
                               bends=[(0.25, value)])
  part = midi_file.read_part(path, bend_range=bend_range)
  assert part.bends[0][0] == pytest.approx(0.25, abs=1e-3)
  assert part.bends[0][1] == pytest.approx(semitones)


@pytest.mark.parametrize('value', [127, 64, 0])
def test_cc11_is_read_as_expression_level(tmp_path, value):
  path = midi_file.write_notes(str(tmp_path / 'e.mid'), MELODY,
                               expression=[(0.5, value)])
  part = midi_file.read_part(path)
  assert part.expression == [(pytest.approx(0.5, abs=1e-3),
                              pytest.approx(value / 127))]


def test_default_track_is_the_first_with_pitched_notes(tmp_path):
  drums = _track(*_note(36, channel=9), name='Drums')
  bass = _track(*_note(40, channel=1), name='Bass')
  lead = _track(*_note(72, channel=2), name='Lead')
  path = _save(tmp_path / 'song.mid', drums, bass, lead)
  assert [n.pitch for n in midi_file.read_part(path).notes] == [40]
  assert [n.pitch for n in midi_file.read_part(path, track=2).notes] == [72]
  assert "track 1 'Bass'" in midi_file.read_part(path).name


def test_channel_picks_notes_and_controllers_of_one_channel(tmp_path):
  messages = (_note(60, channel=0) + _note(72, channel=3) +
              [mido.Message('pitchwheel', pitch=8191, channel=3)])
  path = _save(tmp_path / 'c.mid', _track(*messages))
  part = midi_file.read_part(path, channel=4)
  assert [n.pitch for n in part.notes] == [72]
  assert part.bends[0][1] == pytest.approx(2.0)
  assert [n.pitch for n in midi_file.read_part(path, channel=1).notes] == [
      60]


def test_one_track_of_several_channels_plays_its_first_by_default(tmp_path):
  messages = _note(67, channel=2) + _note(48, channel=5)
  part = midi_file.read_part(_save(tmp_path / 'type0.mid', _track(*messages)))
  assert [n.pitch for n in part.notes] == [67]
  assert 'channel 3; the track also has channel(s) 6' in part.name
  assert '--channel' in part.name


def test_drums_play_when_their_channel_is_asked_for(tmp_path):
  path = _save(tmp_path / 'd.mid', _track(*_note(38, channel=9)))
  assert [n.pitch for n in midi_file.read_part(path, channel=10).notes] == [
      38]


def test_a_repeated_note_on_ends_the_sounding_note(tmp_path):
  messages = [mido.Message('note_on', note=60, velocity=100, time=0),
              mido.Message('note_on', note=60, velocity=80, time=480),
              mido.Message('note_off', note=60, velocity=0, time=480)]
  part = midi_file.read_part(_save(tmp_path / 'r.mid', _track(*messages)))
  assert [(n.start, n.end, n.velocity) for n in part.notes] == [
      (0.0, 0.5, 100), (0.5, 1.0, 80)]


# ------------------------------------------------------------------------------
# Bad files.
# ------------------------------------------------------------------------------
def _empty_file(tmp_path):
  path = tmp_path / 'empty.mid'
  path.write_bytes(b'')
  return str(path)


def _no_notes(tmp_path):
  return _save(tmp_path / 'no_notes.mid',
               _track(mido.MetaMessage('set_tempo', tempo=500000)))


def _drums_only(tmp_path):
  return _save(tmp_path / 'drums.mid',
               _track(*(_note(36, channel=9) + _note(38, channel=9))))


def _text_file(tmp_path):
  path = tmp_path / 'notes.mid'
  path.write_text('C4 E4 G4, a melody written as text\n')
  return str(path)


def _audio_file(tmp_path):
  path = tmp_path / 'voice.mid'
  shutil.copy(os.path.join(REPO, 'examples', 'audio', 'voice.flac'), path)
  return str(path)


def _truncated(tmp_path):
  whole = midi_file.write_notes(str(tmp_path / 'whole.mid'), MELODY)
  path = tmp_path / 'truncated.mid'
  path.write_bytes(open(whole, 'rb').read()[:30])
  return str(path)


# (make the file, read_part arguments, words the message must hold)
BAD_FILES = {
    'empty': (_empty_file, {}, ['empty (0 bytes)']),
    'no notes': (_no_notes, {}, ['has no notes']),
    'drums only': (_drums_only, {}, ['only drum notes', '--channel=10']),
    'text': (_text_file, {}, ['not a readable standard MIDI file']),
    'audio': (_audio_file, {}, ['not a readable standard MIDI file']),
    'truncated': (_truncated, {}, ['not a readable standard MIDI file']),
    'no such track': (lambda p: midi_file.write_notes(
        str(p / 'one.mid'), MELODY), {'track': 3},
                      ['has no track 3', '1 track(s)', 'track 0']),
    'track without notes': (lambda p: _save(
        p / 'two.mid', _track(mido.MetaMessage('set_tempo', tempo=500000)),
        _track(*_note(60))), {'track': 0},
                            ['track 0 has no notes', 'track 1']),
    'no such channel': (lambda p: midi_file.write_notes(
        str(p / 'ch.mid'), MELODY), {'channel': 17}, ['Channel 17']),
}


@pytest.mark.parametrize('case', sorted(BAD_FILES))
def test_bad_file_is_one_clear_error(tmp_path, case):
  make, kwargs, words = BAD_FILES[case]
  path = make(tmp_path)
  with pytest.raises(midi_file.MidiFileError) as e:
    midi_file.read_part(path, **kwargs)
  message = str(e.value)
  if case != 'no such channel':
    assert path in message
  for word in words:
    assert word in message


def test_missing_file_is_named(tmp_path):
  with pytest.raises(FileNotFoundError, match='none.mid not found'):
    midi_file.read_part(str(tmp_path / 'none.mid'))


def test_missing_mido_says_how_to_install_it(monkeypatch, tmp_path):
  monkeypatch.setitem(sys.modules, 'mido', None)
  with pytest.raises(ImportError, match=r'ddsp-modern\[midi_file\]'):
    midi_file.read_part(str(tmp_path / 'any.mid'))


def _run_command(args):
  """Runs the command in this process: its `command_runner.Outcome`."""
  return command_runner.run_in_process(ddsp_synthesize_midi.__name__,
                                       ['ddsp_synthesize_midi'] + args)


@pytest.mark.parametrize('case', ['empty', 'drums only', 'text',
                                  'no such track'])
def test_command_fails_without_leaving_audio(tmp_path, case):
  make, kwargs, words = BAD_FILES[case]
  path = make(tmp_path)
  out_dir = tmp_path / 'out'
  out_dir.mkdir()
  args = [f'--checkpoint_dir={tmp_path}', f'--midi={path}',
          f'--output={out_dir}/song.wav']
  args += [f'--{k}={v}' for k, v in kwargs.items()]
  outcome = _run_command(args)
  assert outcome.code == 1
  err = outcome.stderr
  assert 'ddsp_synthesize_midi: error: ' in err
  assert path in err and words[0] in err
  assert not os.listdir(out_dir)


@pytest.mark.slow
def test_console_script_exits_non_zero_on_a_bad_file(tmp_path):
  path = _text_file(tmp_path)
  out = tmp_path / 'song.wav'
  proc = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.playback.ddsp_synthesize_midi',
       f'--checkpoint_dir={tmp_path}', f'--midi={path}', f'--output={out}'],
      capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1
  assert f'{path} is not a readable standard MIDI file' in proc.stderr
  assert not out.exists()


# ------------------------------------------------------------------------------
# Files as sequencers write them.
# ------------------------------------------------------------------------------
def _cc(number, value, time=0, channel=0):
  return mido.Message('control_change', control=number, value=value,
                      channel=channel, time=time)


def test_a_restruck_note_is_not_ended_by_the_old_notes_note_off(tmp_path):
  """Legato repeat: the new note-on comes before the old note-off, same tick."""
  messages = [mido.Message('note_on', note=60, velocity=100, time=0),
              mido.Message('note_on', note=60, velocity=80, time=480),
              mido.Message('note_off', note=60, velocity=0, time=0),
              mido.Message('note_off', note=60, velocity=0, time=432)]
  part = midi_file.read_part(_save(tmp_path / 'r.mid', _track(*messages)))
  assert [(n.start, n.end, n.velocity) for n in part.notes] == [
      (0.0, 0.5, 100), (0.5, 0.95, 80)]


def test_sustain_pedal_holds_released_notes_until_it_comes_up(tmp_path):
  messages = [_cc(64, 127),
              *_note(60, length=240),  # Released at 0.25 s, pedal down.
              mido.Message('note_on', note=64, velocity=90, time=0),
              _cc(64, 0, time=480),  # Pedal up at 0.75 s.
              mido.Message('note_off', note=64, velocity=0, time=240)]
  part = midi_file.read_part(_save(tmp_path / 'p.mid', _track(*messages)))
  ends = {n.pitch: n.end for n in part.notes}
  assert ends == {60.0: 0.75, 64.0: 1.0}


@pytest.mark.parametrize('semitones, cents, expected', [
    (12, 0, 12.0), (1, 50, 1.5)])
def test_bend_range_set_in_the_file_scales_the_pitch_wheel(
    tmp_path, semitones, cents, expected):
  rpn0 = [_cc(101, 0), _cc(100, 0), _cc(6, semitones), _cc(38, cents)]
  messages = rpn0 + [mido.Message('pitchwheel', pitch=8191, time=0),
                     *_note(60)]
  part = midi_file.read_part(_save(tmp_path / 'b.mid', _track(*messages)))
  assert part.bends == [(0.0, pytest.approx(expected))]


def test_type_2_tracks_keep_their_own_tempo(tmp_path):
  fast = _track(mido.MetaMessage('set_tempo', tempo=250000), *_note(60))
  slow = _track(mido.MetaMessage('set_tempo', tempo=1000000), *_note(62))
  midi = mido.MidiFile(type=2, ticks_per_beat=480)
  midi.tracks.extend([fast, slow])
  midi.save(str(tmp_path / 't2.mid'))
  ends = [midi_file.read_part(str(tmp_path / 't2.mid'), track=i).notes[0].end
          for i in (0, 1)]
  assert ends == [0.25, 1.0]


@pytest.mark.parametrize('fps, byte, ticks_per_frame', [
    (25.0, 0xE7, 40), (30.0, 0xE2, 80), (29.97, 0xE3, 100)])
def test_smpte_time_code_gives_seconds(tmp_path, fps, byte, ticks_per_frame):
  path = _save(tmp_path / 'smpte.mid', _track(*_note(60, length=1000)))
  data = bytearray(open(path, 'rb').read())
  data[12:14] = bytes([byte, ticks_per_frame])  # The header's division.
  open(path, 'wb').write(bytes(data))
  note = midi_file.read_part(path).notes[0]
  assert (note.start, note.end) == (0.0, pytest.approx(
      1000 / (fps * ticks_per_frame)))


def test_a_truncated_file_says_why(tmp_path):
  with pytest.raises(midi_file.MidiFileError) as e:
    midi_file.read_part(_truncated(tmp_path))
  assert '()' not in str(e.value)
  assert 'truncated' in str(e.value)
