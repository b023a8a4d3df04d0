"""Speed of the solo-instrument synthesis DAG (and the spectral loss).

Prints seconds of compute per second of generated audio for the processor
group of gin/models/solo_instrument.gin (Harmonic with 60 harmonics,
FilteredNoise with 65 bands and window_size 0, Add, trainable Reverb of
48000 taps; 4 s at 16 kHz = 64000 samples from 1000 frames), at batch 1 and
16, run eagerly, in tf.function and in tf.function(jit_compile=True) (the
XLA variant is reported only when its output equals the tf.function output
within the golden tolerances of the synthesis), then the same for
ddsp.losses.SpectralLoss (as configured in models/ae.gin: L1, mag and logmag
weights 1) and for a forward+backward training-like step.

Usage:
  python benchmarks/synth.py [--batch_sizes 1,16] [--repeats 5]

Numbers depend on the machine and on its load: report them with `nproc`
and the load average, which this script prints.
"""
import argparse
import contextlib
import os
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import gin
import numpy as np
import tensorflow as tf

import ddsp  # pylint: disable=unused-import
from ddsp import processors

SAMPLE_RATE = 16000
N_SAMPLES = 64000
N_FRAMES = 1000
N_HARMONICS = 60
N_NOISE_BANDS = 65
REVERB_LENGTH = 48000
AUDIO_SECONDS = N_SAMPLES / SAMPLE_RATE

SOLO_INSTRUMENT_GIN = f"""
import ddsp

ProcessorGroup.dag = [
    (@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),
    (@synths.FilteredNoise(), ['noise_magnitudes']),
    (@processors.Add(), ['filtered_noise/signal', 'harmonic/signal']),
    (@effects.Reverb(), ['add/signal']),
]
Harmonic.name = 'harmonic'
Harmonic.n_samples = {N_SAMPLES}
Harmonic.sample_rate = {SAMPLE_RATE}
Harmonic.normalize_below_nyquist = True
Harmonic.scale_fn = @core.exp_sigmoid
FilteredNoise.name = 'filtered_noise'
FilteredNoise.n_samples = {N_SAMPLES}
FilteredNoise.window_size = 0
FilteredNoise.scale_fn = @core.exp_sigmoid
processors.Add.name = 'add'
Reverb.name = 'reverb'
Reverb.reverb_length = {REVERB_LENGTH}
Reverb.trainable = True
"""


def build_group():
  """The solo_instrument.gin ProcessorGroup, built from its gin bindings."""
  gin.clear_config()
  gin.parse_config(SOLO_INSTRUMENT_GIN)
  group = processors.ProcessorGroup()
  gin.clear_config()
  return group


def make_inputs(batch_size, seed=0):
  """Network-output-like controls (pre scale_fn) and a plausible f0."""
  rng = np.random.RandomState(seed)
  f0 = 220.0 * 2.0 ** (rng.uniform(-1, 1, [batch_size, 1, 1]) +
                       0.02 * np.sin(np.linspace(0, 20, N_FRAMES))[None, :,
                                                                    None])
  inputs = {
      'amps': rng.randn(batch_size, N_FRAMES, 1),
      'harmonic_distribution': rng.randn(batch_size, N_FRAMES, N_HARMONICS),
      'f0_hz': f0,
      'noise_magnitudes': rng.randn(batch_size, N_FRAMES, N_NOISE_BANDS),
  }
  return {k: tf.constant(v, tf.float32) for k, v in inputs.items()}


@contextlib.contextmanager
def fixed_noise(batch_size):
  """Deterministic FilteredNoise draw (to compare execution modes)."""
  noise = tf.constant(np.random.RandomState(1).uniform(
      -1, 1, [batch_size, N_SAMPLES]).astype(np.float32))
  original = tf.random.uniform
  tf.random.uniform = lambda shape, *a, **k: noise
  try:
    yield
  finally:
    tf.random.uniform = original


def time_call(fn, args, repeats):
  """Median wall and CPU seconds of fn(*args) after one warm-up call.

  CPU time (all threads of this process) is less sensitive than wall time
  to other processes competing for the cores of a shared machine.
  """
  result = fn(*args)
  _block(result)
  walls, cpus = [], []
  for _ in range(repeats):
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    _block(fn(*args))
    walls.append(time.perf_counter() - start_wall)
    cpus.append(time.process_time() - start_cpu)
  return float(np.median(walls)), float(np.median(cpus))


def _block(result):
  for x in tf.nest.flatten(result):
    if hasattr(x, 'numpy'):
      x.numpy()


def _report(label, batch_size, seconds):
  wall, cpu = seconds
  audio_seconds = batch_size * AUDIO_SECONDS
  print(f'  {label:<30s} batch {batch_size:>2d}: wall {wall:7.3f} s/call = '
        f'{wall / audio_seconds:.4f} s per audio-second; CPU '
        f'{cpu / audio_seconds:.4f} s per audio-second', flush=True)


def _max_abs_diff(a, b):
  return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def benchmark_synthesis(batch_sizes, repeats):
  """Processor group: eager, tf.function, tf.function(jit_compile=True)."""
  print('Solo-instrument ProcessorGroup (Harmonic 60 + FilteredNoise 65 + '
        'Add + Reverb 48000), 4 s @ 16 kHz:')
  group = build_group()
  for batch_size in batch_sizes:
    inputs = make_inputs(batch_size)
    group(inputs)  # Builds the reverb variable.
    graph_fn = tf.function(group)
    xla_fn = tf.function(group, jit_compile=True)

    # Same numbers? Compare modes with the same injected noise.
    with fixed_noise(batch_size):
      eager_out = group(inputs)
      graph_out = tf.function(group)(inputs)
      try:
        xla_out = tf.function(group, jit_compile=True)(inputs)
        xla_error = None
      except Exception as error:  # pylint: disable=broad-except
        xla_out, xla_error = None, error
    scale = float(np.max(np.abs(eager_out)))
    print(f'  [batch {batch_size}] max|out| {scale:.3f}; '
          f'|graph - eager| {_max_abs_diff(graph_out, eager_out):.2e}',
          end='')
    xla_ok = False
    if xla_out is not None:
      diff = _max_abs_diff(xla_out, graph_out)
      # Golden tolerance for this DAG's signal under XLA (processors.json,
      # processor_group_harmonic_add_reverb): atol 1 with outputs ~10.
      xla_ok = diff <= 1e-2 * max(1.0, scale)
      print(f'; |xla - graph| {diff:.2e} ({"ok" if xla_ok else "DIFFERS"})')
    else:
      print(f'; XLA failed: {type(xla_error).__name__}: '
            f'{str(xla_error)[:200]}')

    _report('eager', batch_size, time_call(group, (inputs,), repeats))
    _report('tf.function', batch_size, time_call(graph_fn, (inputs,),
                                                  repeats))
    if xla_ok:
      _report('tf.function(jit_compile=True)', batch_size,
              time_call(xla_fn, (inputs,), repeats))
    else:
      print('  tf.function(jit_compile=True): n/a (see above)')


def _spectral_loss():
  try:
    from ddsp import losses  # pylint: disable=g-import-not-at-top
    return losses.SpectralLoss(loss_type='L1', mag_weight=1.0,
                               logmag_weight=1.0)
  except Exception as error:  # pylint: disable=broad-except
    print(f'  SpectralLoss: n/a ({type(error).__name__}: {error})')
    return None


def benchmark_spectral_loss(batch_sizes, repeats):
  """SpectralLoss (ae.gin settings) between two 4 s signals."""
  print('SpectralLoss (fft sizes 2048..64, L1, mag + logmag):')
  loss = _spectral_loss()
  if loss is None:
    return
  for batch_size in batch_sizes:
    rng = np.random.RandomState(2)
    target = tf.constant(rng.uniform(-1, 1, [batch_size, N_SAMPLES]),
                         tf.float32)
    audio = tf.constant(rng.uniform(-1, 1, [batch_size, N_SAMPLES]),
                        tf.float32)
    _report('eager', batch_size, time_call(loss, (target, audio), repeats))
    _report('tf.function', batch_size,
            time_call(tf.function(loss), (target, audio), repeats))


def benchmark_training_step(batch_sizes, repeats):
  """Forward synthesis + SpectralLoss + gradients wrt controls and reverb."""
  print('Training-like step (group + SpectralLoss + gradients), '
        'tf.function:')
  loss = _spectral_loss()
  if loss is None:
    return
  group = build_group()
  for batch_size in batch_sizes:
    inputs = make_inputs(batch_size)
    group(inputs)
    target = tf.constant(np.random.RandomState(3).uniform(
        -1, 1, [batch_size, N_SAMPLES]), tf.float32)

    @tf.function
    def step(features, target_audio):
      with tf.GradientTape() as tape:
        tape.watch(features)
        value = loss(target_audio, group(features))
      return tape.gradient(value, [features, group.trainable_variables])

    _report('tf.function', batch_size, time_call(step, (inputs, target),
                                                 repeats))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--batch_sizes', default='1,16')
  parser.add_argument('--repeats', type=int, default=5)
  parser.add_argument('--skip', default='',
                      help='comma list of: synthesis,loss,train')
  args = parser.parse_args()
  batch_sizes = [int(b) for b in args.batch_sizes.split(',')]
  skip = set(filter(None, args.skip.split(',')))

  print(f'TensorFlow {tf.__version__}; {os.cpu_count()} CPU cores; load '
        f'average {os.getloadavg()[0]:.1f} (shared machine: numbers scale '
        'with load).')
  if 'synthesis' not in skip:
    benchmark_synthesis(batch_sizes, args.repeats)
  if 'loss' not in skip:
    benchmark_spectral_loss(batch_sizes, args.repeats)
  if 'train' not in skip:
    benchmark_training_step(batch_sizes, args.repeats)


if __name__ == '__main__':
  main()
