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

"""How good is a model after N minutes (or steps) of training?

Trains a config on a folder of TFRecords for a wall-clock budget (or a
number of steps), then resynthesises a held-out clip of the same instrument
through the newest checkpoint: f0 and loudness extracted from the clip at
the model's frame rate, no adjustment, the streaming engine of
`ddsp_timbre_transfer`. Prints

* the multi-scale spectral loss between the clip and its resynthesis (the
  L1 magnitude + L1 log-magnitude loss, FFT sizes 2048 ... 64, that both
  solo-instrument configs train with), over the whole clip;
* the pitch error of the resynthesis: |1200 log2(f0_resynth / f0_clip)|,
  CREPE f0 of each, median over frames where the clip's confidence > 0.5;
* training minutes (wall clock, including graph building), steps, s/step;
* with `--voice`: a voice transferred one octave up (pitch_shift=1, no
  auto-adjust) and the median |1200 log2(f0_out / (2 f0_in))| over frames
  confident (> 0.5) in both.

  # Train on violin_a, hold out violin_b (bundled recordings):
  ddsp_prepare_tfrecord --input_audio_filepatterns=examples/audio/violin_a.flac \
    --output_tfrecord_path=/tmp/ttq/data50/train.tfrecord --frame_rate=50 \
    --center=True
  ddsp_prepare_tfrecord --input_audio_filepatterns=examples/audio/violin_a.flac \
    --output_tfrecord_path=/tmp/ttq/data250/train.tfrecord
  # The fast config for 10 minutes, with the voice check:
  .venv/bin/python benchmarks/time_to_quality.py \
    --gin_file=models/solo_instrument_fast.gin \
    --file_pattern='/tmp/ttq/data50/train.tfrecord*' --minutes=10 \
    --save_dir=/tmp/ttq/fast --held_out=examples/audio/violin_b.flac \
    --voice=examples/audio/voice.flac
  # The default config for 1000 steps at batch 4:
  .venv/bin/python benchmarks/time_to_quality.py \
    --gin_file=models/solo_instrument.gin --gin_param=batch_size=4 \
    --file_pattern='/tmp/ttq/data250/train.tfrecord*' --steps=1000 \
    --save_dir=/tmp/ttq/default --held_out=examples/audio/violin_b.flac
  # A run trained elsewhere (e.g. by ddsp_run; training time read from the
  # times of its files):
  .venv/bin/python benchmarks/time_to_quality.py --evaluate_only \
    --save_dir=/tmp/ttq/default --held_out=examples/audio/violin_b.flac
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import logging
import numpy as np
import ddsp  # noqa: F401  (sets up Keras 2 before tensorflow_probability)
from ddsp import losses
from ddsp.features import f0_loudness
from ddsp.training import gin_setup
from ddsp.training import run_modes
from ddsp.training import train_util
from ddsp.training.playback import transfer
import gin
import soundfile as sf

CONFIDENT = 0.5


def _cents(f0_a, f0_b):
  """|1200 log2(a / b)| per frame; inf where either f0 is not positive."""
  with np.errstate(divide='ignore', invalid='ignore'):
    cents = np.abs(1200.0 * np.log2(f0_a / f0_b))
  return np.where((f0_a > 0) & (f0_b > 0), cents, np.inf)


def median_cents(f0_a, f0_b, confident):
  """(median |cents| of a vs b over `confident` frames, their share)."""
  n = min(len(f0_a), len(f0_b), len(confident))
  keep = np.asarray(confident[:n], bool)
  if not keep.any():
    return float('nan'), 0.0
  return (float(np.median(_cents(f0_a[:n], f0_b[:n])[keep])),
          float(keep.mean()))


def spectral_loss(audio, resynth):
  """Multi-scale spectral loss of two mono signals `[n]` (shorter length)."""
  n = min(len(audio), len(resynth))
  loss = losses.SpectralLoss(loss_type='L1', mag_weight=1.0,
                             logmag_weight=1.0)
  return float(loss(audio[np.newaxis, :n], resynth[np.newaxis, :n]))


def _read_mono(path):
  """float32 `[n]` and its sample rate."""
  audio, rate = sf.read(path, dtype='float32', always_2d=True)
  return audio.mean(axis=1), rate


def crepe_f0(audio, rate, frame_rate, crepe_model):
  """CREPE f0 and confidence `[n_frames]` (centered frames)."""
  return f0_loudness.f0(audio, rate, frame_rate, padding='center',
                        model_capacity=crepe_model)


def train(args):
  """Trains in this process; returns (wall seconds, steps)."""
  gin_setup.parse_gin(args.save_dir, gin_files=args.gin_file + [
      'datasets/tfrecord.gin'], gin_params=[
          f"TFRecordProvider.file_pattern='{args.file_pattern}'"
      ] + (['train.num_steps=%d' % args.steps] if args.steps else []) +
                      args.gin_param)
  start = time.time()
  run_modes.train(args.save_dir, args.save_dir, seed=args.seed,
                  train_minutes=args.minutes)
  wall = time.time() - start
  with gin.unlock_config():
    gin.clear_config()
  return wall, _checkpoint_step(args.save_dir)


def _checkpoint_step(save_dir):
  """Step of the newest checkpoint in a run folder."""
  return int(train_util.get_latest_checkpoint(save_dir).split('-')[-1])


def files_wall_seconds(save_dir):
  """Training time of a finished run: first operative config -> last ckpt."""
  names = os.listdir(save_dir)
  configs = [os.path.join(save_dir, n) for n in names
             if n.startswith('operative_config-')]
  ckpt = train_util.get_latest_checkpoint(save_dir) + '.index'
  return os.path.getmtime(ckpt) - min(os.path.getmtime(c) for c in configs)


def frame_rate_of(features, seconds):
  """Frames per second of the features of a `seconds` long input.

  Centered frames: n_frames = rate * seconds + 1 (+-1 for the last partial
  hop), so rate = round((n_frames - 1) / seconds) for inputs of seconds.
  """
  return round((len(features['f0_hz']) - 1) / seconds)


def resynthesis(save_dir, clip, out_dir, crepe_model):
  """Loss and pitch error of the held-out clip through the checkpoint."""
  out = os.path.join(out_dir, 'resynthesis.wav')
  features = {}
  transfer.transfer_file(save_dir, clip, out, auto_adjust_on=False,
                         crepe_model=crepe_model, features_out=features,
                         verbose=False, noise_seed=0)
  original = features['original']
  audio, rate = _read_mono(clip)
  resynth, out_rate = _read_mono(out)
  frame_rate = frame_rate_of(original, len(resynth) / out_rate)
  if rate != out_rate:
    raise ValueError(f'{clip} is at {rate} Hz and the model at {out_rate} '
                     'Hz: give a held-out clip at the model\'s rate.')
  f0_out, _ = crepe_f0(resynth, out_rate, frame_rate, crepe_model)
  cents, share = median_cents(f0_out, original['f0_hz'],
                              original['f0_confidence'] > CONFIDENT)
  return spectral_loss(audio, resynth), cents, share


def voice_octave(save_dir, voice, out_dir, crepe_model):
  """Median cents of the voice moved up an octave, frames confident in both."""
  out = os.path.join(out_dir, 'voice_octave.wav')
  features = {}
  transfer.transfer_file(save_dir, voice, out, pitch_shift=1.0,
                         auto_adjust_on=False, crepe_model=crepe_model,
                         features_out=features, verbose=False, noise_seed=0)
  original = features['original']
  sung, rate = _read_mono(out)
  frame_rate = frame_rate_of(original, len(sung) / rate)
  f0_out, conf_out = crepe_f0(sung, rate, frame_rate, crepe_model)
  n = min(len(f0_out), len(original['f0_hz']))
  both = ((original['f0_confidence'][:n] > CONFIDENT) &
          (conf_out[:n] > CONFIDENT))
  return median_cents(f0_out[:n], 2.0 * original['f0_hz'][:n], both)


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--gin_file', action='append', default=[])
  parser.add_argument('--gin_param', action='append', default=[])
  parser.add_argument('--file_pattern', help='training TFRecords')
  parser.add_argument('--minutes', type=float, default=None,
                      help='wall-clock training budget')
  parser.add_argument('--steps', type=int, default=None,
                      help='train until this step (train.num_steps)')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--save_dir', required=True)
  parser.add_argument('--held_out', required=True,
                      help='audio clip of the instrument not trained on')
  parser.add_argument('--voice', default=None,
                      help='audio file for the octave-up transfer check')
  parser.add_argument('--crepe_model', default='full')
  parser.add_argument('--evaluate_only', action='store_true',
                      help='skip training; evaluate the run in --save_dir')
  args = parser.parse_args(argv)
  if not args.evaluate_only and not (args.gin_file and args.file_pattern and
                                     (args.minutes or args.steps)):
    parser.error('training needs --gin_file, --file_pattern and --minutes '
                 'or --steps (or pass --evaluate_only)')
  return args


def main(argv):
  args = _parse_args(argv)
  logging.set_verbosity(logging.INFO)  # The training progress lines.
  if args.evaluate_only:
    wall, steps = files_wall_seconds(args.save_dir), _checkpoint_step(
        args.save_dir)
  else:
    wall, steps = train(args)
  with tempfile.TemporaryDirectory() as out_dir:
    loss, cents, share = resynthesis(args.save_dir, args.held_out, out_dir,
                                     args.crepe_model)
    print(f'run: {args.save_dir}')
    print(f'training: {wall / 60:.2f} min, {steps} steps, '
          f'{wall / max(steps, 1):.2f} s/step (wall clock incl. set-up)')
    print(f'held-out resynthesis loss: {loss:.3f}')
    print(f'held-out pitch error: {cents:.1f} cents (median over '
          f'{100 * share:.0f}% confident frames)')
    if args.voice:
      cents, share = voice_octave(args.save_dir, args.voice, out_dir,
                                  args.crepe_model)
      print(f'voice one octave up: {cents:.1f} cents (median over '
            f'{100 * share:.0f}% of frames confident in both)')
    print(f'load average: {os.getloadavg()[0]:.2f} (1 min), '
          f'{os.getloadavg()[2]:.2f} (15 min)')


if __name__ == '__main__':
  main(sys.argv[1:])
