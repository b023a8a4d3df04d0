"""Seconds per training step of solo_instrument (batch 8 of 4 s, CPU).

Compares the default step (as the original: tf.function graph) with the
XLA-compiled forward / backward pass (`Trainer.jit_compile`, `ddsp_run
--jit_compile`), starting both from the original's checkpoint
(shared/golden/solo_instrument/ckpt) on the same batch of the golden
TFRecord, with the FilteredNoise draws fixed so the losses are comparable.

  .venv/bin/python benchmarks/train.py --steps 3

Prints compile time, seconds per step and the losses of each variant.
"""
import argparse
import os
import sys
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import ddsp  # noqa: F401  (sets up Keras 2 before tensorflow_probability)
import gin
import tensorflow as tf
from ddsp.training import data
from ddsp.training import models
from ddsp.training import trainers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(os.path.dirname(REPO), 'shared', 'golden',
                      'solo_instrument')


def fixed_noise():
  """Makes tf.random.uniform deterministic (baked in as a constant)."""
  original = tf.random.uniform
  rng = np.random.RandomState(0)
  cache = {}

  def uniform(shape, minval=0.0, maxval=None, dtype=tf.float32, **kwargs):
    del kwargs
    maxval = 1.0 if maxval is None else maxval
    key = (tuple(int(s) for s in shape), float(minval), float(maxval))
    if key not in cache:
      cache[key] = rng.uniform(minval, maxval, key[0]).astype(np.float32)
    return tf.constant(cache[key], dtype=dtype)

  tf.random.uniform = uniform
  return original


def make_trainer(jit):
  strategy = tf.distribute.MirroredStrategy()
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.Trainer(model, strategy)
  trainer.jit_compile = jit
  return trainer


def run(jit, batch, steps):
  """Returns (compile seconds, [step seconds], [total losses])."""
  trainer = make_trainer(jit)
  trainer.build(batch)
  trainer.restore(os.path.join(GOLDEN, 'ckpt'))
  start = time.time()
  losses = [float(trainer.train_step(batch)['total_loss'])]
  first = time.time() - start
  times = []
  for _ in range(steps):
    start = time.time()
    losses.append(float(trainer.train_step(batch)['total_loss']))
    times.append(time.time() - start)
  return first, times, losses


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--batch_size', type=int, default=8)
  parser.add_argument('--steps', type=int, default=3)
  parser.add_argument('--modes', default='graph,xla')
  args = parser.parse_args()

  gin.parse_config_file(os.path.join(GOLDEN, 'ckpt', 'operative_config-0.gin'),
                        skip_unknown=True)
  provider = data.TFRecordProvider(os.path.join(GOLDEN, 'train.tfrecord*'))
  batch = next(iter(provider.get_batch(args.batch_size, shuffle=False)))
  fixed_noise()

  print(f'solo_instrument, batch {args.batch_size} x 4 s, '
        f'{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}')
  results = {}
  for mode in args.modes.split(','):
    first, times, losses = run(mode == 'xla', batch, args.steps)
    results[mode] = losses
    print(f'{mode:6s} first step (trace/compile + run) {first:7.1f} s | '
          f'{np.median(times):6.2f} s/step (median of {len(times)}: '
          f'{", ".join(f"{t:.2f}" for t in times)}) | total_loss '
          f'{", ".join(f"{l:.5f}" for l in losses)}')
  if 'graph' in results and 'xla' in results:
    a, b = np.array(results['graph']), np.array(results['xla'])
    print(f'max |loss graph - loss xla| = {np.max(np.abs(a - b)):.2e} '
          f'(relative {np.max(np.abs(a - b) / np.abs(a)):.2e})')
  sys.stdout.flush()


if __name__ == '__main__':
  main()
