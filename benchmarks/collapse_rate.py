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

"""How often does the default solo-instrument config lose its harmonic part?

Trains models/solo_instrument.gin (batch 4, learning rate 3e-4) on a
TFRecord for each of S seeds, N steps each, and prints per seed the mean
harmonic amplitude and harmonic-to-noise ratio of every summary step
(training/health.py) and whether the collapse detector fired.

  .venv/bin/python benchmarks/collapse_rate.py \
    --file_pattern='/tmp/violin/train.tfrecord*' --seeds 0 1 2 --steps 60
"""
import argparse
import logging
import os
import sys
import tempfile

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import ddsp  # noqa: F401  (sets up Keras 2 before tensorflow_probability)
import gin
from ddsp.training import data
from ddsp.training import gin_setup
from ddsp.training import health
from ddsp.training import models
from ddsp.training import run_modes
from ddsp.training import summaries
from ddsp.training import train_util


class _CollapseCounter(logging.Handler):
  """Counts the detector's warnings on the absl logger."""

  def __init__(self):
    super().__init__(logging.WARNING)
    self.count = 0

  def emit(self, record):
    self.count += 'HARMONIC COLLAPSE' in record.getMessage()


def _parse(args, save_dir):
  """Binds the default config plus this run's parameters."""
  with gin.unlock_config():
    gin.clear_config()
  gin_setup.parse_gin(save_dir, gin_files=[
      'models/solo_instrument.gin', 'datasets/tfrecord.gin'], gin_params=[
          f"TFRecordProvider.file_pattern='{args.file_pattern}'",
          f'batch_size={args.batch_size}',
          f'learning_rate={args.learning_rate}',
          f'train.num_steps={args.steps}',
          f'train.steps_per_summary={args.steps_per_summary}',
          f'train.steps_per_save={args.steps}',
          f'CollapseDetector.patience={args.patience}', *args.gin_param])


def initial_health(seed, args, save_dir):
  """Health signals of the untrained model on the first batch of the data."""
  _parse(args, save_dir)
  train_util.set_seed(seed)
  model = models.get_model()
  provider = data.TFRecordProvider(args.file_pattern)
  batch = next(iter(provider.get_batch(args.batch_size, shuffle=False,
                                       repeats=1)))
  values = health.signals(model, batch, model(batch, training=False))
  return {k: float(v) for k, v in values.items()}


def train_one(seed, args, save_dir):
  """Trains one seed; returns ({step: amp}, {step: hnr_db}, fired)."""
  _parse(args, save_dir)
  counter = _CollapseCounter()
  logging.getLogger('absl').addHandler(counter)
  try:
    run_modes.train(save_dir, save_dir, seed=seed)
  finally:
    logging.getLogger('absl').removeHandler(counter)
  summary_dir = os.path.join(save_dir, 'summaries', 'train')
  return (summaries.read_scalars(summary_dir, health.AMPLITUDE),
          summaries.read_scalars(summary_dir, health.HNR_DB), counter.count > 0)


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--file_pattern', required=True)
  parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
  parser.add_argument('--steps', type=int, default=300)
  parser.add_argument('--steps_per_summary', type=int, default=10)
  parser.add_argument('--patience', type=int, default=3)
  parser.add_argument('--batch_size', type=int, default=4)
  parser.add_argument('--learning_rate', type=float, default=3e-4)
  parser.add_argument('--work_dir', default='')
  parser.add_argument('--gin_param', action='append', default=[],
                      help='Extra gin bindings, e.g. to compare a variant of '
                           'the default config.')
  args = parser.parse_args(argv)
  work_dir = args.work_dir or tempfile.mkdtemp(prefix='collapse_rate_')

  fired_seeds = []
  for seed in args.seeds:
    init = initial_health(seed, args, os.path.join(work_dir, f'init-{seed}'))
    amps, hnrs, fired = train_one(seed, args,
                                  os.path.join(work_dir, f'seed-{seed}'))
    print(f'seed {seed}: detector fired: {fired}')
    print(f'  step      0  harmonic amp {init[health.AMPLITUDE]:.3e}  '
          f'harmonic/noise {init[health.HNR_DB]:7.1f} dB  (untrained)')
    for step in sorted(amps):
      print(f'  step {step:6d}  harmonic amp {amps[step]:.3e}  '
            f'harmonic/noise {hnrs.get(step, float("nan")):7.1f} dB')
    fired_seeds += [seed] if fired else []
  print(f'collapsed: {len(fired_seeds)}/{len(args.seeds)} seeds '
        f'{fired_seeds} ({args.steps} steps, batch {args.batch_size}, '
        f'lr {args.learning_rate})')


if __name__ == '__main__':
  main(sys.argv[1:])
