"""End to end on real audio: violin WAVs -> TFRecords -> ddsp_run training.

1. `ddsp_prepare_tfrecord` on shared/audio/violin/*.wav (CREPE tiny).
2. `ddsp_run --mode=train` with models/solo_instrument.gin +
   datasets/tfrecord.gin, a small batch, for --steps steps (summaries every
   --summary_every steps).
3. Reads losses/total_loss from the TensorBoard events, prints the curve and
   the relative drop (first summary vs. last), and writes it as CSV.

  .venv/bin/python scripts/train_violin.py --work_dir /tmp/violin --steps 300

Re-running resumes training (same --work_dir) and skips step 1 when the
TFRecords exist.
"""
import argparse
import glob
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUDIO = os.path.join(os.path.dirname(REPO), 'shared', 'audio', 'violin')
BIN = os.path.dirname(sys.executable)


def prepare(work_dir, pattern):
  """Writes <work_dir>/data/train.tfrecord-* (skipped if present)."""
  out = os.path.join(work_dir, 'data', 'train.tfrecord')
  if glob.glob(out + '*'):
    return out
  os.makedirs(os.path.dirname(out), exist_ok=True)
  subprocess.run([
      os.path.join(BIN, 'ddsp_prepare_tfrecord'),
      f'--input_audio_filepatterns={pattern}',
      f'--output_tfrecord_path={out}', '--num_shards=2',
      '--crepe_model=tiny', '--alsologtostderr'], check=True)
  return out


def train(work_dir, record, args):
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  cmd = [
      os.path.join(BIN, 'ddsp_run'), '--mode=train', '--alsologtostderr',
      f'--save_dir={os.path.join(work_dir, "run")}',
      '--gin_file=models/solo_instrument.gin',
      '--gin_file=datasets/tfrecord.gin',
      f"--gin_param=TFRecordProvider.file_pattern='{record}*'",
      f'--gin_param=batch_size={args.batch_size}',
      f'--gin_param=train.num_steps={args.steps}',
      f'--gin_param=train.steps_per_summary={args.summary_every}',
      f'--gin_param=train.steps_per_save={args.save_every}']
  if args.jit:
    cmd.append('--jit_compile')
  subprocess.run(cmd, check=True, env=env)


def loss_curve(run_dir):
  """[(step, mean total_loss since the previous summary)]."""
  os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  curve = []
  for path in glob.glob(os.path.join(run_dir, 'summaries', 'train',
                                     '*tfevents*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == 'losses/total_loss':
          curve.append((event.step, float(tf.make_ndarray(value.tensor))))
  return sorted(dict(curve).items())


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--work_dir', default='/tmp/ddsp_violin')
  parser.add_argument('--audio', default=os.path.join(AUDIO, '*.wav'))
  parser.add_argument('--steps', type=int, default=300)
  parser.add_argument('--batch_size', type=int, default=4)
  parser.add_argument('--summary_every', type=int, default=20)
  parser.add_argument('--save_every', type=int, default=50)
  parser.add_argument('--jit', action='store_true')
  args = parser.parse_args()

  record = prepare(args.work_dir, args.audio)
  train(args.work_dir, record, args)
  curve = loss_curve(os.path.join(args.work_dir, 'run'))
  csv = os.path.join(args.work_dir, 'loss_curve.csv')
  with open(csv, 'w') as f:
    f.write('step,total_loss\n')
    for step, loss in curve:
      f.write(f'{step},{loss:.4f}\n')
      print(f'step {step:6d}  total_loss {loss:.4f}')
  if len(curve) >= 2:
    first, last = curve[0][1], curve[-1][1]
    print(f'total_loss {first:.3f} -> {last:.3f} '
          f'({100 * (first - last) / first:.1f}% lower); curve in {csv}')


if __name__ == '__main__':
  main()
