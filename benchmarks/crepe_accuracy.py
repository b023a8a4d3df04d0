"""Median pitch error (cents) of CREPE compute_f0 against ground truth.

Scores `ddsp.spectral_ops.compute_f0` (Viterbi on, 'center' padding, at the
ground truth's 100 frames/s) on the violin, flute and voice clips of the
shared audio corpus, for the 'tiny' and 'full' models. Scored frames: ground
truth voiced (> 0 Hz), at least 100 ms after a ground-truth change of more
than 50 cents (a new note or an onset), f0 estimate > 0.

Usage:
  python benchmarks/crepe_accuracy.py [--sizes tiny,full] [--max_seconds S]
    [--audio_dir DIR] [files ...]
"""
import argparse
import glob
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_AUDIO_DIR = os.path.join(os.path.dirname(_REPO), 'shared', 'audio')
FRAME_RATE = 100  # Ground truth: one row per 10 ms.
SAMPLE_RATE = 16000


def load_audio_16k(path):
  """Mono float32 audio at 16 kHz (channels averaged, librosa resampling)."""
  import librosa
  import soundfile as sf
  audio, sr = sf.read(path, dtype='float32', always_2d=True)
  audio = audio.mean(axis=1)
  if sr != SAMPLE_RATE:
    audio = librosa.resample(audio, orig_sr=sr, target_sr=SAMPLE_RATE)
  return audio.astype(np.float32)


def load_ground_truth(path):
  """f0_hz per 10 ms frame from `<stem>.f0.csv`."""
  stem = os.path.splitext(path)[0]
  table = np.loadtxt(stem + '.f0.csv', delimiter=',', skiprows=1, ndmin=2)
  return table[:, 1]


def scored_frames(gt_hz, settle_s=0.1, jump_cents=50.0):
  """Voiced frames not within `settle_s` after a note change or onset."""
  voiced = gt_hz > 0
  cents = np.where(voiced, 1200 * np.log2(np.maximum(gt_hz, 1e-6) / 440), 0)
  change = np.zeros_like(voiced)
  change[1:] = (voiced[1:] != voiced[:-1]) | (
      voiced[1:] & voiced[:-1] & (np.abs(np.diff(cents)) > jump_cents))
  blocked = np.zeros_like(voiced)
  settle = int(round(settle_s * FRAME_RATE))
  for k in np.nonzero(change)[0]:
    blocked[k:k + settle] = True
  return voiced & ~blocked


def cents_errors(f0_hz, gt_hz):
  """|1200 log2(f0 / gt)| on scored frames where f0 > 0."""
  n = min(len(f0_hz), len(gt_hz))
  f0_hz, gt_hz = f0_hz[:n], gt_hz[:n]
  mask = scored_frames(gt_hz) & (f0_hz > 0)
  return np.abs(1200 * np.log2(f0_hz[mask] / gt_hz[mask]))


def median_cents_error(path, model_capacity, max_seconds=None):
  """(median cents error, scored frames, compute seconds) for one file."""
  from ddsp import spectral_ops
  audio = load_audio_16k(path)
  gt_hz = load_ground_truth(path)
  if max_seconds:
    audio = audio[:int(max_seconds * SAMPLE_RATE)]
    gt_hz = gt_hz[:int(max_seconds * FRAME_RATE) + 1]
  start = time.time()
  f0_hz, _ = spectral_ops.compute_f0(audio, FRAME_RATE, viterbi=True,
                                     padding='center',
                                     model_capacity=model_capacity)
  seconds = time.time() - start
  errors = cents_errors(f0_hz, gt_hz)
  return float(np.median(errors)), errors.size, seconds


def default_files(audio_dir):
  files = []
  for folder in ('violin', 'flute', 'voice'):
    for ext in ('wav', 'ogg', 'flac'):
      files += glob.glob(os.path.join(audio_dir, folder, f'*.{ext}'))
  return sorted(files)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('files', nargs='*')
  parser.add_argument('--sizes', default='tiny,full')
  parser.add_argument('--max_seconds', type=float, default=None)
  parser.add_argument('--audio_dir', default=DEFAULT_AUDIO_DIR)
  args = parser.parse_args(argv)
  files = args.files or default_files(args.audio_dir)
  sizes = args.sizes.split(',')
  print(f'median |error| in cents (viterbi, {FRAME_RATE} frames/s, frames '
        'voiced in the ground truth, 100 ms after changes excluded)')
  print(f'{"file":45s}' + ''.join(f'{s:>10s}' for s in sizes) + '   frames')
  for path in files:
    row, n_frames = [], 0
    for size in sizes:
      median, n_frames, _ = median_cents_error(path, size, args.max_seconds)
      row.append(median)
    name = os.path.relpath(path, args.audio_dir)
    print(f'{name:45s}' + ''.join(f'{m:10.2f}' for m in row) +
          f'   {n_frames}', flush=True)


if __name__ == '__main__':
  sys.exit(main())
