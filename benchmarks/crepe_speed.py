"""Speed of CREPE pitch tracking: ddsp.spectral_ops.compute_f0.

Times `compute_f0(audio, 250, viterbi=True, padding='center')` with the
'full' model (the original's default) on 60 s of 16 kHz audio (corpus
violin + flute clips, or a synthetic tone when the corpus is absent) and
prints audio-seconds per wall-second. The original (crepe package, Keras
predict, hmmlearn Viterbi) took about 20 wall-seconds per audio-second on the
project's 2-core machine. The model is built and traced once before timing
(`--cold` times the first call instead). CPU seconds and the load average
are printed too: on a shared machine wall time depends on other processes.

Usage: python benchmarks/crepe_speed.py [--seconds 60] [--size full]
  [--frame_rate 250] [--no_viterbi] [--cold]
"""
import argparse
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUDIO_DIR = os.path.join(os.path.dirname(_REPO), 'shared', 'audio')
ORIGINAL_WALL_PER_AUDIO_SECOND = 20.0
CLIPS = ('violin/violin_01_slow.wav', 'flute/flute_01_slow.wav')


def test_audio(seconds):
  """`seconds` of 16 kHz float32 audio: corpus clips looped, or a tone."""
  n = int(seconds * 16000)
  pieces = []
  try:
    import soundfile as sf
    for clip in CLIPS:
      audio, sr = sf.read(os.path.join(AUDIO_DIR, clip), dtype='float32')
      if sr == 16000 and audio.ndim == 1:
        pieces.append(audio)
  except (ImportError, OSError, RuntimeError):
    pieces = []
  if not pieces:
    t = np.arange(n) / 16000
    f0 = 330 * 2 ** (np.sin(2 * np.pi * 0.2 * t))
    phase = 2 * np.pi * np.cumsum(f0) / 16000
    return (0.3 * np.sin(phase) + 0.1 * np.sin(2 * phase)).astype(np.float32)
  audio = np.concatenate(pieces)
  return np.resize(audio, n).astype(np.float32)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--seconds', type=float, default=60.0)
  parser.add_argument('--size', default='full')
  parser.add_argument('--frame_rate', type=int, default=250)
  parser.add_argument('--no_viterbi', action='store_true')
  parser.add_argument('--cold', action='store_true')
  args = parser.parse_args(argv)
  from ddsp import crepe_model
  from ddsp import spectral_ops

  audio = test_audio(args.seconds)
  viterbi = not args.no_viterbi
  if not args.cold:
    spectral_ops.compute_f0(audio[:16000], args.frame_rate, viterbi=viterbi,
                            model_capacity=args.size)
  load_before = os.getloadavg()[0]
  wall, cpu = time.time(), time.process_time()
  f0_hz, _ = spectral_ops.compute_f0(audio, args.frame_rate, viterbi=viterbi,
                                     model_capacity=args.size)
  wall, cpu = time.time() - wall, time.process_time() - cpu
  load_after = os.getloadavg()[0]

  viterbi_wall = 0.0
  if viterbi:
    rng = np.random.RandomState(0)
    start = time.time()
    crepe_model.viterbi_path(rng.randint(0, 360, len(f0_hz)))
    viterbi_wall = time.time() - start

  print(f'compute_f0 {args.size}, {args.frame_rate} frames/s, '
        f'viterbi={viterbi}, {args.seconds:g} s of audio, '
        f'{len(f0_hz)} frames')
  print(f'  wall {wall:.1f} s, process CPU {cpu:.1f} s '
        f'(load average {load_before:.1f} -> {load_after:.1f} on '
        f'{os.cpu_count()} CPUs)')
  print(f'  Viterbi alone: {viterbi_wall:.2f} s wall')
  print(f'  audio-seconds per wall-second: {args.seconds / wall:.3f} '
        f'({wall / args.seconds:.2f} wall-s per audio-s)')
  print(f'  audio-seconds per CPU-second: {args.seconds / cpu:.3f}')
  if args.size == 'full' and args.frame_rate == 250 and viterbi:
    print(f'  vs original (~{ORIGINAL_WALL_PER_AUDIO_SECOND:g} wall-s per '
          f'audio-s): {ORIGINAL_WALL_PER_AUDIO_SECOND * args.seconds / wall:.1f}x'
          ' faster (wall)')


if __name__ == '__main__':
  sys.exit(main())
