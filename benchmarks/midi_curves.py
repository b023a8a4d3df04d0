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

"""Cost of turning a long MIDI file into model curves (before synthesis).

Writes a MIDI file of M minutes of random notes (with overlaps, pitch bends
and CC11), reads it back and builds the f0 / loudness curves at 250 frames
per second, and prints the seconds and the peak memory each step takes.
Synthesis of the curves is the block-synthesis engine's (see
benchmarks/transfer.py and benchmarks/streaming_cost.py).

  .venv/bin/python benchmarks/midi_curves.py --minutes 60
"""
import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
# pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance as mp


def _random_notes(minutes, seed=0):
  """Eighth notes at 120 bpm, one in five overlapping the next."""
  rng = np.random.RandomState(seed)
  n = int(minutes * 60 * 4)
  starts = np.arange(n) * 0.25
  lengths = np.where(rng.rand(n) < 0.2, 0.4, 0.2)
  pitches = rng.randint(55, 80, n)
  return [mp.Note(float(p), float(s), float(s + d), int(v)) for p, s, d, v
          in zip(pitches, starts, lengths, rng.randint(40, 127, n))]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--minutes', type=float, default=60.0)
  parser.add_argument('--frame_rate', type=float, default=250.0)
  args = parser.parse_args()
  notes = _random_notes(args.minutes)
  bends = [(t, int(v)) for t, v in zip(np.arange(0, args.minutes * 60, 1.0),
                                       np.tile([0, 4096, -4096], 10**6))]
  with tempfile.TemporaryDirectory() as tmp:
    path = midi_file.write_notes(os.path.join(tmp, 'long.mid'), notes,
                                 bends=bends,
                                 expression=[(1.0, 100), (30.0, 127)])
    size_mb = os.path.getsize(path) / 1e6
    tracemalloc.start()
    t0 = time.time()
    part = midi_file.read_part(path)
    t1 = time.time()
    _, read_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    curves, report = mp.performance_curves(
        part, args.frame_rate, mp.Settings(vibrato=mp.Vibrato(cents=10)),
        mp.ModelRange(55.0, 80.0))
    t2 = time.time()
    _, curve_peak = tracemalloc.get_traced_memory()
  print(f'{args.minutes:g} min, {len(notes)} notes, MIDI file '
        f'{size_mb:.2f} MB; {report.overlaps} overlaps resolved')
  print(f'read MIDI: {t1 - t0:.2f} s, peak Python memory '
        f'{read_peak / 1e6:.1f} MB')
  print(f'curves ({len(curves.f0_hz)} frames): {t2 - t1:.2f} s, peak Python '
        f'memory {curve_peak / 1e6:.1f} MB')
  max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
  print(f'process max RSS {max_rss_mb:.0f} MB')


if __name__ == '__main__':
  main()
