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

"""More monophonic instruments for benchmarks/every_instrument.py.

Writes a melody (a seeded random walk over a scale in the instrument's
range, legato and detached phrases, rests, CC11 swells) as a MIDI file and
renders it with FluidSynth and the General MIDI SoundFont FluidR3_GM (MIT
licence; Debian packages `fluidsynth` and `fluid-soundfont-gm`), then
writes a 16 kHz mono WAV peak-normalised to -3 dBFS.

  .venv/bin/python benchmarks/gm_instruments.py --out_dir /tmp/gm \
    --seconds 60 alto_sax trumpet cello
"""
import argparse
import os
import subprocess
import sys
import tempfile

import librosa
import mido
import numpy as np
import soundfile as sf

SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2'
# name: (General MIDI program, 1-based; lowest and highest MIDI note).
INSTRUMENTS = {
    'alto_sax': (66, 49, 75),
    'trumpet': (57, 55, 79),
    'cello': (43, 36, 67),
    'clarinet': (72, 50, 82),
    'oboe': (69, 58, 86),
}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
TICKS = 480  # per beat; 120 beats per minute, so a beat is 0.5 s.


def melody(low, high, seconds, seed):
  """[(start_beat, beats, note, velocity)] of one monophonic line."""
  rng = np.random.default_rng(seed)
  tonic = low + int(rng.integers(0, 12))
  scale = [n for n in range(low, high + 1) if (n - tonic) % 12 in MAJOR]
  notes, beat, index = [], 0.0, len(scale) // 2
  while beat < 2.0 * seconds - 4.0:
    legato = rng.random() < 0.6
    for _ in range(int(rng.integers(4, 10))):
      index = int(np.clip(index + rng.choice([-2, -1, 1, 2, 3, -3]), 0,
                          len(scale) - 1))
      beats = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
      played = beats if legato else 0.7 * beats
      notes.append((beat, played, scale[index], int(rng.integers(70, 115))))
      beat += beats
    beat += float(rng.choice([0.5, 1.0, 2.0]))  # A rest between phrases.
  return notes


def midi_file(program, notes, path):
  """Writes the notes on channel 0 with a CC11 swell on each note."""
  events = [(0, mido.Message('program_change', program=program - 1))]
  for start, beats, note, velocity in notes:
    on, off = int(start * TICKS), int((start + beats) * TICKS)
    events.append((on, mido.Message('note_on', note=note, velocity=velocity)))
    for k in range(8):  # Expression rises then falls over the note.
      tick = on + (off - on) * k // 8
      value = int(80 + 40 * np.sin(np.pi * k / 8))
      events.append((tick, mido.Message('control_change', control=11,
                                        value=value)))
    events.append((off, mido.Message('note_off', note=note, velocity=0)))
  events.sort(key=lambda e: (e[0], e[1].type != 'note_off'))
  track, now = mido.MidiTrack(), 0
  for tick, message in events:
    track.append(message.copy(time=tick - now))
    now = tick
  song = mido.MidiFile(ticks_per_beat=TICKS)
  song.tracks.append(track)
  song.save(path)


def render(midi_path, wav_path, sample_rate=16000):
  """FluidSynth at 44.1 kHz, then mono, resampled, -3 dBFS peak."""
  with tempfile.TemporaryDirectory() as tmp:
    raw = os.path.join(tmp, 'raw.wav')
    subprocess.run(['fluidsynth', '-ni', '-g', '0.5', '-r', '44100', '-F',
                    raw, SOUNDFONT, midi_path], check=True,
                   capture_output=True)
    audio, rate = sf.read(raw, dtype='float32', always_2d=True)
  audio = librosa.resample(audio.mean(axis=1), orig_sr=rate,
                           target_sr=sample_rate)
  audio *= 10 ** (-3 / 20) / max(np.abs(audio).max(), 1e-9)
  sf.write(wav_path, audio, sample_rate, subtype='PCM_16')


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('names', nargs='+', choices=sorted(INSTRUMENTS))
  parser.add_argument('--out_dir', required=True)
  parser.add_argument('--seconds', type=float, default=60.0)
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args(argv)
  os.makedirs(args.out_dir, exist_ok=True)
  for i, name in enumerate(args.names):
    program, low, high = INSTRUMENTS[name]
    midi_path = os.path.join(args.out_dir, name + '.mid')
    midi_file(program, melody(low, high, args.seconds, args.seed + i),
              midi_path)
    wav_path = os.path.join(args.out_dir, name + '.wav')
    render(midi_path, wav_path)
    print(wav_path)


if __name__ == '__main__':
  main(sys.argv[1:])
