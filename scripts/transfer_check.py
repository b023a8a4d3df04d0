"""Slow end-to-end check of timbre transfer with a checkpoint we trained.

  python scripts/transfer_check.py [--work_dir=/tmp/ddsp_transfer_check]
      [--steps=600] [--crepe_model=tiny]
  # or with a run of scripts/train_violin.py:
  python scripts/transfer_check.py --checkpoint_dir=/tmp/violin/run \
      --data=/tmp/violin/data/train.tfrecord

1. ddsp_prepare_tfrecord on /work/shared/audio/violin/*.wav,
2. ddsp_run (our trainer), models/solo_instrument.gin, batch 4, `--steps`
   steps (600 passed in session 2: 7.2 cents; ~25 min on 2 CPU cores),
3. dataset statistics,
4. ddsp_timbre_transfer of the voice clip with --pitch_shift=1
   --noauto_adjust: the CREPE f0 of the output must follow the input f0 one
   octave up, median error < 50 cents over frames confident in both,
5. with auto-adjust on: the output's mean pitch (confident frames) must lie
   in the [min_pitch, max_pitch] range of the dataset statistics.
Exits non-zero when a check fails. Reuses finished steps in --work_dir
(steps 1-2 are skipped when --checkpoint_dir already holds a checkpoint).
"""
import argparse
import glob
import os
import subprocess
import sys

import numpy as np

SHARED = '/work/shared/audio'


def sh(cmd):
  print('+', ' '.join(cmd), flush=True)
  subprocess.run(cmd, check=True)


def tool(name):
  return os.path.join(os.path.dirname(sys.executable), name)


def f0_track(path, crepe_model):
  """(midi, confidence) of a file at 250 Hz with CREPE."""
  from ddsp import core  # pylint: disable=g-import-not-at-top
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  from ddsp.colab import colab_utils  # pylint: disable=g-import-not-at-top
  audio = colab_utils.load_audio(path)
  f0, conf = spectral_ops.compute_f0(audio, 250, True, padding='center',
                                     model_capacity=crepe_model)
  return np.asarray(core.hz_to_midi(f0)), np.asarray(conf)


def main():
  p = argparse.ArgumentParser()
  p.add_argument('--work_dir', default='/tmp/ddsp_transfer_check')
  p.add_argument('--steps', type=int, default=600)
  p.add_argument('--crepe_model', default='tiny')
  p.add_argument('--voice', default=os.path.join(
      SHARED, 'voice', 'voice_hum_alto_01.wav'))
  p.add_argument('--confidence', type=float, default=0.8)
  p.add_argument('--checkpoint_dir', default=None,
                 help='Trained run folder (default <work_dir>/model).')
  p.add_argument('--data', default=None,
                 help='TFRecord prefix (default <work_dir>/data/train.tfrecord)')
  args = p.parse_args()
  data = args.data or os.path.join(args.work_dir, 'data', 'train.tfrecord')
  model = args.checkpoint_dir or os.path.join(args.work_dir, 'model')
  os.makedirs(args.work_dir, exist_ok=True)
  os.makedirs(os.path.dirname(data), exist_ok=True)

  if not glob.glob(data + '*'):
    sh([tool('ddsp_prepare_tfrecord'),
        f'--input_audio_filepatterns={SHARED}/violin/*.wav',
        f'--output_tfrecord_path={data}', '--num_shards=2',
        f'--crepe_model={args.crepe_model}'])
  if not glob.glob(os.path.join(model, 'ckpt-*.index')):
    sh([tool('ddsp_run'), '--mode=train', f'--save_dir={model}',
        '--gin_file=models/solo_instrument.gin',
        '--gin_file=datasets/tfrecord.gin',
        f"--gin_param=TFRecordProvider.file_pattern='{data}*'",
        '--gin_param=batch_size=4',
        f'--gin_param=train_util.train.num_steps={args.steps}',
        f'--gin_param=train_util.train.steps_per_save={args.steps}',
        '--gin_param=trainers.Trainer.checkpoints_to_keep=1'])
  stats_path = os.path.join(model, 'dataset_statistics.pkl')
  if not os.path.exists(stats_path):
    from ddsp.colab import colab_utils  # pylint: disable=g-import-not-at-top
    from ddsp.training import data as ddsp_data  # pylint: disable=g-import-not-at-top
    colab_utils.save_dataset_statistics(
        ddsp_data.TFRecordProvider(data + '*'), stats_path, batch_size=8,
        power_frame_size=1024)

  from ddsp.training import postprocessing  # pylint: disable=g-import-not-at-top
  stats = postprocessing.load_dataset_statistics(stats_path)
  ok = True

  out_up = os.path.join(args.work_dir, 'voice_up.wav')
  sh([tool('ddsp_timbre_transfer'), f'--checkpoint_dir={model}',
      f'--input={args.voice}', f'--output={out_up}', '--pitch_shift=1',
      '--noauto_adjust', f'--crepe_model={args.crepe_model}'])
  midi_in, conf_in = f0_track(args.voice, args.crepe_model)
  midi_out, conf_out = f0_track(out_up, args.crepe_model)
  n = min(midi_in.size, midi_out.size)
  good = (conf_in[:n] > args.confidence) & (conf_out[:n] > args.confidence)
  cents = np.abs(midi_out[:n] - (midi_in[:n] + 12.0))[good] * 100
  median = float(np.median(cents)) if cents.size else float('inf')
  voiced_in = int((conf_in[:n] > args.confidence).sum())
  print(f'[octave up] {good.sum()} frames confident in both (input alone: '
        f'{voiced_in}), median error {median:.1f} cents (limit 50)')
  ok &= median < 50.0
  # A silent or unpitched output would pass on a handful of frames.
  ok &= good.sum() >= 0.5 * voiced_in

  out_auto = os.path.join(args.work_dir, 'voice_auto.wav')
  sh([tool('ddsp_timbre_transfer'), f'--checkpoint_dir={model}',
      f'--input={args.voice}', f'--output={out_auto}',
      f'--crepe_model={args.crepe_model}'])
  midi_auto, conf_auto = f0_track(out_auto, args.crepe_model)
  sel = conf_auto > args.confidence
  mean_pitch = float(np.mean(midi_auto[sel])) if sel.any() else float('nan')
  lo, hi = float(stats['min_pitch']), float(stats['max_pitch'])
  print(f'[auto-adjust] output mean pitch {mean_pitch:.1f} MIDI, dataset '
        f'range [{lo:.1f}, {hi:.1f}] (mean {float(stats["mean_pitch"]):.1f})')
  ok &= lo <= mean_pitch <= hi
  print('PASS' if ok else 'FAIL')
  sys.exit(0 if ok else 1)


if __name__ == '__main__':
  main()
