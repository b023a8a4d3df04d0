"""Peak memory of prepare_tfrecord for a short and a long input file.

Writes a `--short_minutes` (default 2) and a `--long_minutes` (default 30)
16 kHz 16-bit WAV of a synthetic melody to a temp dir and runs
`prepare_tfrecord` on each in a fresh Python process (DirectRunner, one
worker), printing each process's peak RSS (VmHWM) and their ratio
(target: within 20%). Use --frame_rate 0 to measure the I/O path alone. CREPE 'tiny' by default to keep the 30-minute run short (the
model size changes the constant part of the memory, not its growth).

Usage:
  python benchmarks/prepare_memory.py [--short_minutes 2] [--long_minutes 30]
    [--crepe_model tiny] [--frame_rate 250] [--num_shards 4]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import shutil

_CHILD = r'''
import os, sys, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
from absl import logging
logging.set_verbosity(logging.WARNING)
from ddsp.training.data_preparation import prepare_tfrecord_lib
wav, out, crepe_model, frame_rate, num_shards = sys.argv[1:6]
start = time.time()
summary = prepare_tfrecord_lib.prepare_tfrecord(
    [wav], out, num_shards=int(num_shards), crepe_model=crepe_model,
    frame_rate=int(frame_rate))
# VmHWM: peak RSS of this process image. (ru_maxrss is not usable: Linux
# carries it over from the parent across fork + exec.)
with open('/proc/self/status') as f:
  peak = [int(l.split()[1]) for l in f if l.startswith('VmHWM')][0] / 1024.0
print(f'RESULT {peak:.1f} {time.time() - start:.1f} {summary["examples"]}')
'''


_WRITE = r'''
import sys
sys.path.insert(0, %r)
from prepare import write_melody
write_melody(sys.argv[1], float(sys.argv[2]))
''' % os.path.dirname(os.path.abspath(__file__))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--short_minutes', type=float, default=2.0)
  parser.add_argument('--long_minutes', type=float, default=30.0)
  parser.add_argument('--crepe_model', default='tiny')
  parser.add_argument('--frame_rate', type=int, default=250)
  parser.add_argument('--num_shards', type=int, default=4)
  args = parser.parse_args()

  folder = tempfile.mkdtemp(prefix='ddsp_prepare_mem_')
  try:
    peaks = {}
    for minutes in (args.short_minutes, args.long_minutes):
      wav = os.path.join(folder, f'{minutes:g}min.wav')
      # In a child process too: keeps this launcher small.
      subprocess.run([sys.executable, '-c', _WRITE, wav, str(minutes * 60.0)],
                     check=True)
      out = os.path.join(folder, f'out{minutes:g}', 'train.tfrecord')
      result = subprocess.run(
          [sys.executable, '-c', _CHILD, wav, out, args.crepe_model,
           str(args.frame_rate), str(args.num_shards)],
          capture_output=True, text=True, check=False)
      line = [l for l in result.stdout.splitlines() if l.startswith('RESULT')]
      if result.returncode or not line:
        print(result.stderr[-3000:])
        raise SystemExit(f'run on {minutes:g} min failed')
      peak, wall, examples = line[0].split()[1:]
      peaks[minutes] = float(peak)
      print(f'{minutes:g} min file: peak RSS {float(peak):.0f} MB, '
            f'{float(wall):.0f} s wall, {examples} examples')
      os.remove(wav)
      shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    ratio = peaks[args.long_minutes] / peaks[args.short_minutes]
    print(f'peak ratio long/short: {ratio:.3f} '
          f'({"within" if abs(ratio - 1) <= 0.2 else "NOT within"} 20%)')
  finally:
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
  main()
