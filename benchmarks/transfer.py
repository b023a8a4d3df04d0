"""Timbre transfer: real-time factor and peak memory vs input length.

  python benchmarks/transfer.py [--checkpoint_dir=DIR] [--crepe_model=tiny]
      [--long_seconds=600] [--short_seconds=30]

Runs `ddsp.training.playback.transfer.transfer_file` in a fresh process for a short and a
long input (the bundled voice clip tiled) and prints the real-time factor
and the peak RSS of each. Streaming means the peak RSS of the long input
should stay within 20% of the short one.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CKPT = os.path.join(os.path.dirname(REPO), 'shared', 'golden',
                            'solo_instrument', 'ckpt')

_CHILD = r'''
import json, resource, sys
from ddsp.training.playback import transfer
ckpt, src, out, crepe = sys.argv[1:5]
report = transfer.transfer_file(ckpt, src, out, crepe_model=crepe, verbose=False)
print(json.dumps({
    'seconds': report.seconds_in, 'wall': report.wall_seconds,
    'features': report.feature_seconds, 'synthesis': report.synth_seconds,
    'rtf': report.real_time_factor,
    'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def make_input(path, seconds):
  """Tiles the bundled voice clip to `seconds`, written block by block."""
  clip, sr = sf.read(os.path.join(REPO, 'examples', 'audio', 'voice.flac'),
                     dtype='float32')
  n = int(seconds * sr)
  with sf.SoundFile(path, 'w', samplerate=sr, channels=1,
                    subtype='PCM_16') as f:
    written = 0
    while written < n:
      k = min(clip.size, n - written)
      f.write(clip[:k])
      written += k


def run(ckpt, seconds, crepe_model, tmp):
  src = os.path.join(tmp, f'in_{int(seconds)}.wav')
  make_input(src, seconds)
  out = os.path.join(tmp, f'out_{int(seconds)}.wav')
  proc = subprocess.run([sys.executable, '-c', _CHILD, ckpt, src, out,
                         crepe_model], capture_output=True, text=True)
  if proc.returncode:
    sys.exit(f'transfer of {seconds} s failed:\n{proc.stderr[-3000:]}')
  return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--checkpoint_dir', default=DEFAULT_CKPT)
  parser.add_argument('--crepe_model', default='tiny')
  parser.add_argument('--short_seconds', type=float, default=30.0)
  parser.add_argument('--long_seconds', type=float, default=600.0)
  args = parser.parse_args()
  with tempfile.TemporaryDirectory() as tmp:
    results = [run(args.checkpoint_dir, s, args.crepe_model, tmp)
               for s in (args.short_seconds, args.long_seconds)]
  for r in results:
    print(f"{r['seconds']:7.1f} s input: RTF {r['rtf']:.3f} (features "
          f"{r['features']:.1f} s, synthesis {r['synthesis']:.1f} s, total "
          f"{r['wall']:.1f} s), peak RSS {r['peak_rss_mb']:.0f} MB")
  ratio = results[1]['peak_rss_mb'] / results[0]['peak_rss_mb']
  print(f'peak RSS long/short = {ratio:.3f} '
        f"({'within' if abs(ratio - 1) <= 0.2 else 'NOT within'} 20%)")


if __name__ == '__main__':
  main()
