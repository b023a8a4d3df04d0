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

"""Cost per voice: one model playing 1, 2, 4 and 8 voices at once.

  python benchmarks/voices_cost.py [--config=models/solo_instrument.gin]
      [--seconds=8] [--block_seconds=1] [--voices=1,2,4,8]

Builds the model of a gin config with random weights (the cost does not
depend on them; `streaming_cost.write_random_model`) and synthesises
`--seconds` of gliding notes, one per voice, with the instrument's voices
(`Player.voices`, what `blocks.synthesize_voices` runs) two ways: the voices as one batch per block through one streaming engine
(what `ddsp_synthesize_midi` does), and the voices one by one (an engine
per voice, each block run voice after voice). Prints, per number of voices,
the seconds of compute per second of audio for both, and what batching
saves. Each stream first plays one block (tracing), which is not timed.

Numbers depend on the machine and its load: the script prints `nproc` and
the load average.
"""
import argparse
import os
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import streaming_cost

from ddsp.training.playback import blocks


def chord_glides(n_voices, n_frames, frame_rate):
  """Voice v glides around 220 Hz * 2^(v / 4): [n_voices, n_frames] each."""
  rows = [streaming_cost.glide(n_frames, frame_rate) for _ in range(n_voices)]
  f0 = np.stack([f * 2.0**(v / 4) for v, (f, _) in enumerate(rows)])
  db = np.stack([d for _, d in rows])
  return f0.astype(np.float32), db


def seconds_per_second(synth, f0, db, batched):
  """Wall seconds of synthesis per second of audio, after a warm-up block.

  One stream of voices (`synth.voices`) runs a block first (tracing), then
  the whole track; the track is whole blocks long (no new block length).
  """
  stream = synth.voices(f0.shape[0], batched)
  block = stream.block_frames

  def run(n_frames):
    for start in range(0, n_frames, block):
      stream.process(f0[:, start:start + block], db[:, start:start + block])
    stream.flush()

  run(block)
  t0 = time.perf_counter()
  run(f0.shape[1])
  return (time.perf_counter() - t0) / (f0.shape[1] / synth.frame_rate)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--config', default='models/solo_instrument.gin')
  parser.add_argument('--seconds', type=float, default=8.0)
  parser.add_argument('--block_seconds', type=float, default=1.0)
  parser.add_argument('--voices', default='1,2,4,8')
  args = parser.parse_args()
  print(f'nproc {os.cpu_count()}, load average '
        f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
  with tempfile.TemporaryDirectory() as folder:
    streaming_cost.write_random_model(folder, args.config)
    synth = blocks.BlockSynthesizer(folder, block_seconds=args.block_seconds,
                                    noise_seed=0)
    block = blocks.block_frames(args.block_seconds, synth.frame_rate)
    n_frames = max(1, blocks.frames_in(args.seconds, synth.frame_rate) //
                   block) * block
    print(f'{args.config}: {args.seconds:g} s per voice, blocks of '
          f'{args.block_seconds:g} s; seconds of compute per second of audio')
    print('| voices | batched | one by one | batched per voice | saved |')
    print('|---:|---:|---:|---:|---:|')
    for n in [int(v) for v in args.voices.split(',')]:
      f0, db = chord_glides(n, n_frames, synth.frame_rate)
      batched = seconds_per_second(synth, f0, db, True)
      alone = seconds_per_second(synth, f0, db, False)
      print(f'| {n} | {batched:.3f} | {alone:.3f} | {batched / n:.3f} | '
            f'{100 * (1 - batched / alone):.0f}% |', flush=True)


if __name__ == '__main__':
  main()
