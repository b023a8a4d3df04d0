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

"""Cost of stateful streaming synthesis, per 20 ms of audio.

  python benchmarks/streaming_cost.py [--config=models/solo_instrument.gin]
      [--seconds=10] [--block_seconds=0.02,0.1,1,4]

Builds the model of a gin config (default: solo_instrument, a 512-unit GRU
decoder, 60 harmonics, 65 noise bands, a 48000-tap reverb) with random
weights (the cost does not depend on them), saves it as a model folder and
streams `--seconds` of a gliding note through `training.playback.streaming` in
blocks of each length, with the decoder run as a TF graph (the default)
and compiled with XLA (`jit_compile=True`). Prints, per block length, the
wall time of one block (median and 99th percentile), the cost per 20 ms of
audio and the real-time factor (compute time / audio time), next to the
64 ms total latency budget of the DDSP-VST plugin. The first blocks
(tracing, compiling) are not timed.

Numbers depend on the machine and on its load: report them with `nproc`
and the load average, which this script prints.
"""
import argparse
import logging
import os
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import gin
import numpy as np
import tensorflow as tf

from ddsp.training import gin_setup
from ddsp.training import models
from ddsp.training.playback import blocks
from ddsp.training.playback import streaming

VST_LATENCY_BUDGET_MS = 64.0
FRAME_MS = 20.0
WARMUP_BLOCKS = 3


def write_random_model(folder, config):
  """Builds the model of a gin config with random weights into `folder`."""
  gin.clear_config()
  gin.add_config_file_search_path(gin_setup.GIN_PATH)
  if not os.path.isabs(config):
    config = os.path.join(gin_setup.GIN_PATH, config)
  root = logging.getLogger()
  level = root.level
  root.setLevel(logging.CRITICAL)  # gin logs each include path it tries.
  try:
    with gin.unlock_config():
      gin.parse_config_file(config)
  finally:
    root.setLevel(level)
  model = models.get_model()
  n_frames = gin.query_parameter('F0LoudnessPreprocessor.time_steps')
  model({'f0_hz': tf.fill([1, n_frames], 220.0),
         'loudness_db': tf.fill([1, n_frames], -30.0)}, training=False)
  with open(os.path.join(folder, 'operative_config-0.gin'), 'w') as f:
    f.write(gin.operative_config_str())
  tf.train.Checkpoint(model=model).save(os.path.join(folder, 'ckpt'))
  gin.clear_config()


def glide(n_frames, frame_rate):
  """A note gliding over an octave with a loudness swell, [n_frames] each."""
  t = np.arange(n_frames) / frame_rate
  f0 = 220.0 * 2.0**(0.5 + 0.5 * np.sin(2 * np.pi * 0.25 * t))
  db = -40.0 + 20.0 * np.sin(2 * np.pi * 0.5 * t)**2
  return f0.astype(np.float32), db.astype(np.float32)


def time_blocks(engine, f0, db, block_frames):
  """Wall seconds of each `engine.process` call, after a warm-up."""
  engine.reset()
  times = []
  for i, start in enumerate(range(0, len(f0), block_frames)):
    t0 = time.perf_counter()
    engine.process(f0[start:start + block_frames],
                   db[start:start + block_frames])
    if i >= WARMUP_BLOCKS:
      times.append(time.perf_counter() - t0)
  engine.flush()
  return np.array(times)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--config', default='models/solo_instrument.gin')
  parser.add_argument('--seconds', type=float, default=10.0)
  parser.add_argument('--block_seconds', default='0.02,0.1,1,4')
  args = parser.parse_args()
  with tempfile.TemporaryDirectory() as folder:
    write_random_model(folder, args.config)
    synth = blocks.BlockSynthesizer(folder)
  if synth.engine is None:
    raise SystemExit(f'{args.config}: the streaming engine does not support '
                     'this model (see the warning above).')
  engines = {'graph': synth.engine,
             'XLA': streaming.StreamingSynthesizer(synth, jit_compile=True)}
  rate = synth.frame_rate
  f0, db = glide(int(args.seconds * rate), rate)
  print(f'{args.config}: {synth.sample_rate} Hz, {rate:g} frames/s, hop '
        f'{synth.hop_size}; {os.cpu_count()} CPUs, load average '
        f'{os.getloadavg()[0]:.2f}')
  print(f'DDSP-VST total latency budget: {VST_LATENCY_BUDGET_MS:.0f} ms. '
        f'Engine latency: the block plus one frame '
        f'({1000 / rate:.1f} ms).')
  print(f"{'decoder':>8} {'block':>8} {'median':>10} {'p99':>10} "
        f"{'per 20 ms':>10} {'RTF':>7}")
  for seconds in [float(s) for s in args.block_seconds.split(',')]:
    block_frames = max(1, int(round(seconds * rate)))
    block_ms = 1000 * block_frames / rate
    n_blocks = -(-len(f0) // block_frames)
    if n_blocks <= WARMUP_BLOCKS:
      print(f'{block_ms:6.0f} ms: skipped (--seconds gives only '
            f'{n_blocks} blocks, {WARMUP_BLOCKS} are warm-up)')
      continue
    for name, engine in engines.items():
      times = time_blocks(engine, f0, db, block_frames)
      rtf = times.mean() / (block_ms / 1000)
      print(f'{name:>8} {block_ms:5.0f} ms {1000 * np.median(times):7.2f} ms '
            f'{1000 * np.percentile(times, 99):7.2f} ms '
            f'{FRAME_MS * rtf:7.2f} ms {rtf:7.3f}')
  print(f'A block of B ms runs in real time while its cost stays under B; '
        f'live use needs block + cost + one frame under '
        f'{VST_LATENCY_BUDGET_MS:.0f} ms.')


if __name__ == '__main__':
  main()
