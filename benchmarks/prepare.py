"""Throughput of ddsp_prepare_tfrecord: audio seconds per wall second.

Runs `prepare_tfrecord_lib.prepare_tfrecord` (CREPE 'full', Viterbi, 250
frames/s, 4 s examples, 20 s chunks: the defaults of the original) on
`--seconds` of audio (default 60 s: a 3-harmonic melody written to a temp
dir), once with one worker (Beam DirectRunner, in-process) and once with two
worker processes (--direct_num_workers=2,--direct_running_mode=
multi_processing). Wall time includes pipeline start-up and model loading.
The original DDSP needed ~20 s of wall time per second of audio for this on
a 2-core machine (531 s for a 20 s chunk in the golden build log).

Usage:
  python benchmarks/prepare.py [--seconds 60] [--crepe_model full]
    [--workers 1,2]
"""
import argparse
import os
import resource
import shutil
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import soundfile as sf


def write_melody(path, seconds, sample_rate=16000, seed=0):
  """A 3-harmonic melody with 0.5 s notes (MIDI 55-79) and short rests."""
  rng = np.random.default_rng(seed)
  n_notes = int(np.ceil(seconds / 0.5))
  midi = rng.integers(55, 80, n_notes).astype(np.float64)
  f0 = 440.0 * 2 ** ((np.repeat(midi, int(0.5 * sample_rate)) - 69) / 12)
  f0 = f0[:int(seconds * sample_rate)]
  phase = 2 * np.pi * np.cumsum(f0) / sample_rate
  audio = sum(a * np.sin(k * phase) for k, a in ((1, 1.0), (2, 0.5),
                                                 (3, 0.25)))
  gate = (np.arange(len(f0)) % int(0.5 * sample_rate)) < 0.45 * sample_rate
  audio = 0.3 * audio * gate
  sf.write(path, audio.astype(np.float32), sample_rate, subtype='PCM_16')


def _cpu_seconds():
  """User + system CPU time of this process and its finished children."""
  total = 0.0
  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
    usage = resource.getrusage(who)
    total += usage.ru_utime + usage.ru_stime
  return total


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--seconds', type=float, default=60.0)
  parser.add_argument('--crepe_model', default='full')
  parser.add_argument('--workers', default='1,2')
  args = parser.parse_args()

  from absl import logging
  from ddsp.training.data_preparation import prepare_tfrecord_lib
  logging.set_verbosity(logging.WARNING)

  folder = tempfile.mkdtemp(prefix='ddsp_prepare_bench_')
  try:
    wav = os.path.join(folder, 'melody.wav')
    write_melody(wav, args.seconds)
    print(f'audio: {args.seconds:.0f} s, CREPE {args.crepe_model}, Viterbi, '
          '250 frames/s, 20 s chunks, 4 s examples; load average '
          f'{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs')
    for workers in [int(w) for w in args.workers.split(',')]:
      options = ['--runner=DirectRunner']
      if workers > 1:
        options += [f'--direct_num_workers={workers}',
                    '--direct_running_mode=multi_processing']
      out = os.path.join(folder, f'out{workers}', 'train.tfrecord')
      cpu0 = _cpu_seconds()
      start = time.time()
      summary = prepare_tfrecord_lib.prepare_tfrecord(
          [wav], out, num_shards=1, crepe_model=args.crepe_model,
          pipeline_options=options)
      wall = time.time() - start
      cpu = _cpu_seconds() - cpu0
      print(f'{workers} worker(s): {wall:.1f} s wall, '
            f'{args.seconds / wall:.3f} audio-s per wall-s '
            f'({wall / args.seconds:.2f} wall-s per audio-s; '
            f'{cpu / args.seconds:.2f} CPU-s per audio-s), '
            f'{summary["examples"]} examples; load average now '
            f'{os.getloadavg()[0]:.1f}')
  finally:
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
  main()
