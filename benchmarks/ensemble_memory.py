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

"""Memory and time of a four-part ensemble, against the piece's length.

  python benchmarks/ensemble_memory.py [--minutes=1,10]
      [--config=models/solo_instrument_fast.gin]

Writes a MIDI file of four tracks (a melody in each, one note in eight
doubled a third above, so every part also plays two voices at times) of
each length, and four models of `--config` with random weights (the cost
does not depend on the weights; `streaming_cost.write_random_model`), then
renders the file with `ddsp_synthesize_midi --part 0=... --part 3=...
--stems_dir=...` in a process of its own and reads that process' peak
resident memory (`getrusage(RUSAGE_CHILDREN).ru_maxrss`, one child at a
time) and wall time.

Bounded memory means the peak does not grow with the length: the curves
are a few bytes per frame, the audio streams block by block through
temporary files.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import mido
import numpy as np
import streaming_cost

PARTS = 4
LOWEST = (67, 60, 55, 48)  # Lowest note of each part (soprano .. bass).


def write_piece(path, minutes, seed=0):
  """Four tracks of quarter notes at 120 bpm, some with a third above."""
  rng = np.random.RandomState(seed)
  song = mido.MidiFile(ticks_per_beat=480)
  n_notes = int(minutes * 60 * 2)  # Two beats per second.
  for part in range(PARTS):
    track = mido.MidiTrack()
    song.tracks.append(track)
    for _ in range(n_notes):
      pitch = LOWEST[part] + int(rng.randint(0, 12))
      chord = [pitch] + ([pitch + 4] if rng.rand() < 0.125 else [])
      for p in chord:
        track.append(mido.Message('note_on', note=p, velocity=90, time=0,
                                  channel=part))
      for i, p in enumerate(chord):
        track.append(mido.Message('note_off', note=p, velocity=0,
                                  time=480 if i == 0 else 0, channel=part))
  song.save(path)


def render(midi_path, model_dirs, work):
  """(wall seconds, peak resident MB) of one ddsp_synthesize_midi run."""
  command = [sys.executable, '-m',
             'ddsp.training.playback.ddsp_synthesize_midi',
             f'--midi={midi_path}', f'--output={work}/mix.flac',
             f'--stems_dir={work}/stems']
  command += [f'--part={i}={d}' for i, d in enumerate(model_dirs)]
  start = time.perf_counter()
  subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
  wall = time.perf_counter() - start
  peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
  return wall, peak_kb / 1024


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--config', default='models/solo_instrument_fast.gin')
  parser.add_argument('--minutes', default='1,10')
  args = parser.parse_args()
  print(f'nproc {os.cpu_count()}, load average '
        f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
  with tempfile.TemporaryDirectory() as work:
    model_dirs = []
    for i in range(PARTS):
      model_dirs.append(os.path.join(work, f'model_{i}'))
      os.makedirs(model_dirs[-1])
      streaming_cost.write_random_model(model_dirs[-1], args.config)
    print(f'{args.config}, {PARTS} parts, stems written')
    print('| minutes | wall s | s per s of audio | peak resident MB |')
    print('|---:|---:|---:|---:|')
    # Shortest first: ru_maxrss of the children is their running maximum.
    for minutes in sorted(float(m) for m in args.minutes.split(',')):
      midi_path = os.path.join(work, f'piece_{minutes:g}.mid')
      write_piece(midi_path, minutes)
      wall, peak_mb = render(midi_path, model_dirs, work)
      print(f'| {minutes:g} | {wall:.0f} | {wall / (60 * minutes):.3f} | '
            f'{peak_mb:.0f} |', flush=True)


if __name__ == '__main__':
  main()
