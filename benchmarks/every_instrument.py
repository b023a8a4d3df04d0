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

"""Does every instrument learn? Collapse and quality over instruments x configs x seeds.

For every (config, instrument, seed) this trains the config on the
instrument's TFRecords for a fixed number of steps with the automatic
restart off, and records

* whether the harmonic part collapsed: the collapse detector fired, or the
  last summary's harmonic-to-noise ratio is below the detector's threshold
  (training/health.py);
* the harmonic amplitude and harmonic-to-noise ratio of every summary step;
* with a held-out clip of the instrument (`--held_out NAME=AUDIO`): the
  multi-scale spectral loss of its resynthesis from its own f0 and
  loudness (no adjustment) and the resynthesis' pitch error, median
  |1200 log2(f0_out / f0_clip)| over frames CREPE is confident about
  (benchmarks/time_to_quality.py measures the same).

Each run appends one JSON line to `--results`; `--table` prints the
markdown table of a results file (collapses / runs and the median quality
per label, config and instrument), so runs made in several calls (data of
other frame rates, variants given with `--gin_param` and `--label`) land in
one table.

  # Data at 50 frames/s centered for the fast and VST configs:
  ddsp_prepare_tfrecord --input_audio_filepatterns=... \
    --output_tfrecord_path=/tmp/ei/violin/train.tfrecord \
    --frame_rate=50 --center=True
  .venv/bin/python benchmarks/every_instrument.py \
    --config models/solo_instrument_fast.gin --config models/vst/vst_fast.gin \
    --data 'violin=/tmp/ei/violin/train.tfrecord*' \
    --held_out violin=../shared/audio/violin/violin_05_mixed_44k1_stereo_24bit.wav \
    --seeds 0 1 2 --steps 300 --results /tmp/ei/results.jsonl
  # models/vst/vst.gin does not name its data layout (as in the original):
  # add --gin_param TFRecordProvider.frame_rate=50 \
  #     --gin_param TFRecordProvider.centered=True
  # and a CPU-sized batch with --gin_param batch_size=4.
  .venv/bin/python benchmarks/every_instrument.py --table \
    --results /tmp/ei/results.jsonl
  # Quality at a 10-minute budget (as ddsp_run --train_minutes=10; one run
  # at a time, as a wall-clock budget shared with other jobs buys fewer
  # steps):
  .venv/bin/python benchmarks/every_instrument.py \
    --config models/solo_instrument_fast.gin \
    --data 'violin=/tmp/ei/violin/train.tfrecord*' \
    --held_out violin=../shared/audio/violin/violin_05_mixed_44k1_stereo_24bit.wav \
    --minutes 10 --steps 100000 --label '10 min' --results /tmp/ei/10min.jsonl
  # Held-out quality of runs made without --held_out (folders in --work_dir):
  .venv/bin/python benchmarks/every_instrument.py --evaluate \
    --results /tmp/ei/results.jsonl --work_dir /tmp/ei/runs \
    --held_out violin=../shared/audio/violin/violin_05_mixed_44k1_stereo_24bit.wav
"""
import argparse
import collections
import json
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
from ddsp.training import checkpoints
from ddsp.training import gin_setup
from ddsp.training import health
from ddsp.training import run_modes
from ddsp.training import summaries
from ddsp.training.playback import transfer
import gin
import librosa
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import time_to_quality  # pylint: disable=g-bad-import-order

MAX_HELD_OUT_SECS = 12.0


def pairs(items, flag):
  """{name: value} of NAME=VALUE arguments."""
  found = {}
  for item in items:
    name, sep, value = item.partition('=')
    if not sep or not name or not value:
      raise SystemExit(f'{flag} takes NAME=VALUE, got {item!r}.')
    found[name] = value
  return found


def _parse(config, file_pattern, steps, save_dir, extra):
  """Binds one run (config, data, steps, no restart); its collapse threshold."""
  with gin.unlock_config():
    gin.clear_config()
  gin_setup.parse_gin(save_dir, gin_files=[config, 'datasets/tfrecord.gin'],
                      gin_params=[
                          f"TFRecordProvider.file_pattern='{file_pattern}'",
                          f'train.num_steps={steps}',
                          'train.steps_per_summary=10',
                          f'train.steps_per_save={steps}',
                          'CollapseDetector.restart=False', *extra])
  return health.CollapseDetector().hnr_threshold_db


class _Fired(logging.logging.Handler):
  """Notices the detector's warning on the absl logger."""

  def __init__(self):
    super().__init__(logging.WARNING)
    self.fired = False

  def emit(self, record):
    self.fired |= 'HARMONIC COLLAPSE' in record.getMessage()


def train_run(config, file_pattern, seed, steps, save_dir, extra,
              minutes=None):
  """Trains one run; returns its health series and whether it collapsed.

  With `minutes`, training stops after that wall-clock budget (as
  `ddsp_run --train_minutes`) or at `steps`, whichever comes first.
  """
  threshold = _parse(config, file_pattern, steps, save_dir, extra)
  fired = _Fired()
  logging.get_absl_logger().addHandler(fired)
  start = time.time()
  try:
    run_modes.train(save_dir, save_dir, seed=seed, train_minutes=minutes)
  finally:
    logging.get_absl_logger().removeHandler(fired)
  wall = time.time() - start
  event_dir = os.path.join(save_dir, 'summaries', 'train')
  hnr = summaries.read_scalars(event_dir, health.HNR_DB)
  amp = summaries.read_scalars(event_dir, health.AMPLITUDE)
  loss = summaries.read_scalars(event_dir, 'losses/spectral_loss')
  last = max(hnr) if hnr else None
  try:
    newest = checkpoints.get_latest_checkpoint(save_dir)
    steps_done = int(newest.rsplit('-', 1)[1])
  except FileNotFoundError:
    steps_done = 0
  collapsed = fired.fired or (last is not None and hnr[last] < threshold)
  with gin.unlock_config():
    gin.clear_config()
  return {
      'collapsed': bool(collapsed), 'detector_fired': fired.fired,
      'train_seconds': wall, 'steps_done': steps_done,
      'hnr_db': {str(k): v for k, v in sorted(hnr.items())},
      'harmonic_amplitude': {str(k): v for k, v in sorted(amp.items())},
      'train_spectral_loss': loss[max(loss)] if loss else None,
  }


def held_out_clip(path, out_dir):
  """The clip, mono, at most MAX_HELD_OUT_SECS, as a 16-bit WAV in out_dir."""
  audio, rate = sf.read(path, dtype='float32', always_2d=True)
  audio = audio.mean(axis=1)[:int(MAX_HELD_OUT_SECS * rate)]
  clip = os.path.join(out_dir, 'held_out.wav')
  sf.write(clip, audio, rate, subtype='PCM_16')
  return clip


def quality(save_dir, clip_path, crepe_model):
  """Held-out resynthesis loss and pitch error of the newest checkpoint."""
  with tempfile.TemporaryDirectory() as out_dir:
    clip = held_out_clip(clip_path, out_dir)
    out = os.path.join(out_dir, 'resynthesis.wav')
    features = {}
    transfer.transfer_file(
        save_dir, clip, out, auto_adjust_on=False, crepe_model=crepe_model,
        features_out=features, verbose=False, noise_seed=0)
    original = features['original']
    resynth, out_rate = sf.read(out, dtype='float32')
    audio, rate = sf.read(clip, dtype='float32')
    if rate != out_rate:
      audio = librosa.resample(audio, orig_sr=rate, target_sr=out_rate)
    frame_rate = time_to_quality.frame_rate_of(original,
                                               len(resynth) / out_rate)
    f0_out, _ = time_to_quality.crepe_f0(resynth, out_rate, frame_rate,
                                         crepe_model)
    cents, share = time_to_quality.median_cents(
        f0_out, original['f0_hz'],
        original['f0_confidence'] > time_to_quality.CONFIDENT)
  with gin.unlock_config():
    gin.clear_config()
  return {'held_out_loss': time_to_quality.spectral_loss(audio, resynth),
          'pitch_cents': cents, 'confident_share': share}


def run_matrix(args):
  data = pairs(args.data, '--data')
  held_out = pairs(args.held_out, '--held_out')
  work_dir = args.work_dir or tempfile.mkdtemp(prefix='every_instrument_')
  for config in args.config:
    for name, pattern in data.items():
      for seed in args.seeds:
        save_dir = os.path.join(
            work_dir, f'{args.label}-{os.path.basename(config)}-{name}-{seed}')
        row = {'label': args.label, 'config': config, 'instrument': name,
               'seed': seed, 'steps': args.steps, 'minutes': args.minutes,
               'gin_param': args.gin_param, 'save_dir': save_dir}
        row.update(train_run(config, pattern, seed, args.steps, save_dir,
                             args.gin_param, args.minutes))
        if name in held_out:
          row.update(quality(save_dir, held_out[name], args.crepe_model))
        row['load_average'] = os.getloadavg()[0]
        with open(args.results, 'a') as f:
          f.write(json.dumps(row) + '\n')
        print(describe(row), flush=True)


def evaluate_rows(args):
  """Adds the held-out quality to rows of --results that lack it."""
  held_out = pairs(args.held_out, '--held_out')
  with open(args.results) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  for row in rows:
    save_dir = row.get('save_dir') or os.path.join(
        args.work_dir, f"{row['label']}-{os.path.basename(row['config'])}-"
        f"{row['instrument']}-{row['seed']}")
    if ('held_out_loss' not in row and row['instrument'] in held_out and
        os.path.isdir(save_dir)):
      row.update(quality(save_dir, held_out[row['instrument']],
                         args.crepe_model))
      print(describe(row), flush=True)
  with open(args.results + '.tmp', 'w') as f:
    f.writelines(json.dumps(row) + '\n' for row in rows)
  os.replace(args.results + '.tmp', args.results)


def describe(row):
  """One line of a run."""
  hnr = row['hnr_db']
  last = hnr[max(hnr, key=int)] if hnr else float('nan')
  line = (f"{row['label']} {row['config']} {row['instrument']} seed "
          f"{row['seed']}: {'COLLAPSED' if row['collapsed'] else 'alive'}, "
          f'harmonic/noise at step {row.get("steps_done", row["steps"])} '
          f'{last:.1f} dB')
  if 'held_out_loss' in row:
    line += (f", held-out loss {row['held_out_loss']:.3f}, pitch "
             f"{row['pitch_cents']:.1f} cents")
  return line


def _cell(runs):
  """'collapsed/runs, median end harmonic/noise[, loss, cents]' of runs."""
  if not runs:
    return '-'
  ends = [r['hnr_db'][max(r['hnr_db'], key=int)] for r in runs
          if r['hnr_db']]
  text = f"{sum(r['collapsed'] for r in runs)}/{len(runs)}"
  if ends:
    text += f', {np.median(ends):+.0f} dB'
  losses = [r['held_out_loss'] for r in runs if 'held_out_loss' in r]
  if losses:
    cents = [r['pitch_cents'] for r in runs if 'pitch_cents' in r]
    text += f'; {np.median(losses):.2f}, {np.median(cents):.0f} c'
  return text


def table(rows):
  """Markdown table: a row per config and instrument, a column per variant.

  A cell: collapsed runs / runs, the median harmonic-to-noise ratio at the
  last step, and with held-out clips the median held-out loss and pitch
  error in cents.
  """
  labels = sorted({r['label'] for r in rows})
  cells = collections.defaultdict(list)
  for row in rows:
    cells[(row['config'], row['instrument'], row['label'])].append(row)
  keys = sorted({(r['config'], r['instrument']) for r in rows})
  lines = ['| config | instrument | ' + ' | '.join(labels) + ' |',
           '|---|---|' + '---|' * len(labels)]
  for config, name in keys:
    lines.append(f'| {config} | {name} | ' + ' | '.join(
        _cell(cells[(config, name, label)]) for label in labels) + ' |')
  return '\n'.join(lines)


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--config', action='append', default=[],
                      help='training config, e.g. models/vst/vst_fast.gin')
  parser.add_argument('--data', action='append', default=[],
                      help='NAME=TFRECORD_PATTERN, at the configs\' layout')
  parser.add_argument('--held_out', action='append', default=[],
                      help='NAME=AUDIO, a clip of the instrument not trained '
                           'on (first 12 s used)')
  parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
  parser.add_argument('--steps', type=int, default=300)
  parser.add_argument('--minutes', type=float, default=None,
                      help='wall-clock training budget per run (then '
                           '--steps is only a cap); run one at a time')
  parser.add_argument('--gin_param', action='append', default=[])
  parser.add_argument('--label', default='default',
                      help='name of the variant in the table')
  parser.add_argument('--crepe_model', default='full')
  parser.add_argument('--work_dir', default='')
  parser.add_argument('--results', required=True, help='JSON lines file')
  parser.add_argument('--table', action='store_true',
                      help='only print the table of --results')
  parser.add_argument('--evaluate', action='store_true',
                      help='add the held-out quality to the runs of '
                           '--results that lack it (run folders kept in '
                           '--work_dir)')
  args = parser.parse_args(argv)
  if args.evaluate:
    logging.set_verbosity(logging.WARNING)
    evaluate_rows(args)
  elif not args.table:
    if not (args.config and args.data):
      parser.error('give --config and --data (or --table)')
    logging.set_verbosity(logging.WARNING)
    run_matrix(args)
  with open(args.results) as f:
    print(table([json.loads(line) for line in f if line.strip()]))


if __name__ == '__main__':
  main(sys.argv[1:])
