"""Seconds per training step of solo_instrument (batch 8 of 4 s, CPU).

Variants (`--modes`), all starting from the original's checkpoint
(shared/golden/solo_instrument/ckpt) on the same batch of the golden
TFRecord, with the FilteredNoise draws fixed so the losses are comparable:
  graph      the default step (tf.function), with training/gru.py's GRU;
  keras_gru  the same with tf_keras' own GRU loop (what the original runs);
  xla        the XLA-compiled forward / backward pass (`--jit_compile`).
`--sensitivity` also reruns keras_gru with f0 scaled by (1 + 1e-6): the
losses after the first update move by about as much as between variants,
because Adam and the L1 spectral loss amplify float32 round-off (the first
loss, before any update, is the like-for-like comparison).

  .venv/bin/python benchmarks/train.py --steps 3 --sensitivity

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


def run(mode, batch, steps):
  """Returns (compile seconds, [step seconds], [total losses])."""
  path = 'keras' if mode == 'keras_gru' else 'auto'
  with gin.unlock_config():
    gin.bind_parameter('ddsp.training.gru.GRU.path', path)
  return _run(mode == 'xla', batch, steps)


def _run(jit, batch, steps):
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
  parser.add_argument('--modes', default='graph,keras_gru')
  parser.add_argument('--sensitivity', action='store_true')
  args = parser.parse_args()

  gin.parse_config_file(os.path.join(GOLDEN, 'ckpt', 'operative_config-0.gin'),
                        skip_unknown=True)
  provider = data.TFRecordProvider(os.path.join(GOLDEN, 'train.tfrecord*'))
  batch = next(iter(provider.get_batch(args.batch_size, shuffle=False)))
  fixed_noise()

  print(f'solo_instrument, batch {args.batch_size} x 4 s, '
        f'{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}')
  results = {}
  runs = [(mode, batch) for mode in args.modes.split(',')]
  if args.sensitivity:
    nudged = dict(batch, f0_hz=batch['f0_hz'] * (1 + 1e-6))
    runs.append(('keras_gru', nudged))
  seconds = {}
  for mode, inputs in runs:
    first, times, losses = run(mode, inputs, args.steps)
    if inputs is not batch:
      mode = 'keras_gru, f0 * (1 + 1e-6)'
    results[mode] = losses
    seconds.setdefault(mode, float(np.median(times)))
    print(f'{mode:9s} first step (trace/compile + run) {first:7.1f} s | '
          f'{np.median(times):6.2f} s/step (median of {len(times)}: '
          f'{", ".join(f"{t:.2f}" for t in times)}) | total_loss '
          f'{", ".join(f"{l:.5f}" for l in losses)}')
  names = list(results)
  for other in names[1:]:
    base = 'keras_gru' if other.startswith('keras_gru,') else names[0]
    a, b = np.array(results[base]), np.array(results[other])
    print(f'{base} vs {other}: first loss relative difference '
          f'{abs(a[0] - b[0]) / abs(a[0]):.1e}, later losses max '
          f'{np.max(np.abs(a[1:] - b[1:]) / np.abs(a[1:])):.1e}')
  if 'graph' in seconds and 'keras_gru' in seconds:
    print(f"step time keras_gru / graph = "
          f"{seconds['keras_gru'] / seconds['graph']:.2f}x")
  sys.stdout.flush()


if __name__ == '__main__':
  main()
