"""Cost of one frame of an instrument played in Python, by kind.

Both kinds play through `loading.load_instrument` and
`blocks.synthesize_stream`, as `ddsp_timbre_transfer --model=...` and
`ddsp_synthesize_midi --model=...` do:

* a DDSP-VST control model (.tflite; the plugin's run loop, one call per
  20 ms frame): an untrained models/vst/vst.gin model exported as
  benchmarks/vst_frame_cost.py does (same sizes as the released models,
  so the same cost), or --tflite;
* a checkpoint (the streaming engine, 4 ms frames at 250 frames/s): the
  original's solo-instrument checkpoint (shared/golden/solo_instrument/ckpt,
  the size of Magenta's Colab instruments), or --checkpoint.

Prints the median cost per frame over --seconds of a sliding note
(--repeats runs), the real-time factor (cost / frame duration) and, for
the VST model, the share of the plugin's 64 ms latency budget.

Usage:
  python benchmarks/instrument_cost.py [--tflite FILE] [--checkpoint DIR]
      [--seconds 20] [--repeats 3]
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np

from ddsp.training.playback import blocks
from ddsp.training.playback import loading
from ddsp.training.playback import vst_contract

HERE = os.path.dirname(os.path.abspath(__file__))
SOLO_CKPT = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'shared',
                         'golden', 'solo_instrument', 'ckpt')


def untrained_tflite(folder):
  """An untrained vst.gin control model exported into `folder`."""
  sys.path.insert(0, HERE)
  import vst_frame_cost
  run = vst_frame_cost.untrained_vst_run(folder)
  save_dir = os.path.join(folder, 'export')
  from ddsp.training import export
  export.ckpt_to_saved_model(run, save_dir, vst_contract.CONTROL_MODEL)
  return export.saved_model_to_tflite(save_dir)


def per_frame_ms(player, seconds, repeats):
  """Median over runs of the wall time per frame (ms) of a sliding note."""
  n = int(seconds * player.frame_rate)
  t = np.arange(n) / player.frame_rate
  f0 = (330.0 * 2.0 ** (np.sin(2 * np.pi * 0.5 * t) / 12.0)).astype(
      np.float32)
  db = (-30.0 + 10.0 * np.sin(2 * np.pi * 0.25 * t)).astype(np.float32)
  list(blocks.synthesize_stream(player, f0[:50], db[:50]))  # Warm up.
  costs = []
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in blocks.synthesize_stream(player, f0, db):
      pass
    costs.append(1e3 * (time.perf_counter() - start) / n)
  return float(np.median(costs))


def report(kind, player, ms):
  frame_ms = 1e3 / player.frame_rate
  line = (f'{kind:<12} {player.frame_rate:5.0f} frames/s  {ms:8.3f} ms per '
          f'{frame_ms:.0f} ms frame  real-time factor {ms / frame_ms:.4f}')
  if kind == 'DDSP-VST':
    line += (f'  ({100 * ms / vst_contract.LATENCY_BUDGET_MS:.2f} % of the '
             f'{vst_contract.LATENCY_BUDGET_MS:.0f} ms budget)')
  print(line)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--tflite', default='')
  parser.add_argument('--checkpoint', default=SOLO_CKPT)
  parser.add_argument('--seconds', type=float, default=20.0)
  parser.add_argument('--repeats', type=int, default=3)
  args = parser.parse_args()
  print(f'nproc {os.cpu_count()}, load average '
        f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}; '
        f'{args.seconds:g} s of audio x {args.repeats} runs, 4 s blocks')
  with tempfile.TemporaryDirectory() as folder:
    vst = loading.load_instrument(args.tflite or untrained_tflite(folder),
                                  noise_seed=0)
  report('DDSP-VST', vst, per_frame_ms(vst, args.seconds, args.repeats))
  if os.path.exists(args.checkpoint):
    ckpt = loading.load_instrument(args.checkpoint, noise_seed=0)
    report('checkpoint', ckpt, per_frame_ms(ckpt, args.seconds,
                                            args.repeats))
  else:
    print(f'checkpoint: {args.checkpoint} not found, skipped')


if __name__ == '__main__':
  main()
