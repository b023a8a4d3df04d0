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

"""A 48 kHz solo-instrument model next to a 16 kHz one, same steps.

For each rate: TFRecords of the recordings (CREPE tiny, 1 s examples),
a short run of models/solo_instrument.gin or solo_instrument_48k.gin with
a small decoder (64 units), then on 8 training examples
(benchmarks/rate_check.py):

* the mean total loss and harmonic amplitude of every summary period;
* the median pitch error of the harmonic output (CREPE) against the data's
  f0 over the frames voiced in the data, in cents;
* harmonic-to-noise and harmonic-to-data energy (dB);
* the share of energy above 8 kHz in the data and in the output (dB).

  .venv/bin/python benchmarks/high_rate.py --steps 200
  .venv/bin/python benchmarks/high_rate.py --rates 48000 --harmonics 60
  .venv/bin/python benchmarks/high_rate.py --rates 48000 \
      --audio /path/to/violin_44k1.wav

`--harmonics 60` gives the 48 kHz model the 16 kHz config's 60 harmonics
(the configs use 20; see gin/models/solo_instrument_48k.gin).
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import ddsp  # noqa: F401  (sets up Keras 2 before tensorflow_probability)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rate_check  # pylint: disable=g-bad-import-order

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED_VIOLIN = [os.path.join(REPO, 'examples', 'audio', f'violin_{x}.flac')
                  for x in ('a', 'b')]
NOISE_BANDS = {16000: 65, 48000: 193}


def _drift_note():
  """The frame drift of a fractional hop: 44.1 kHz at 250 frames/s."""
  hop = 44100 / 250
  drift = (hop - int(hop)) * 250 * 4
  return (f'44.1 kHz at 250 frames/s: hop {hop:g} samples; frames placed '
          f'every int(hop) = {int(hop)} samples drift {drift:.0f} samples '
          f'({1000 * drift / 44100:.1f} ms, {drift / hop:.1f} frames) over a '
          '4 s example. The configs refuse it (44.1 kHz uses 100 frames/s).')


def _extra_gin(rate, harmonics):
  if not harmonics:
    return ()
  return (f"RnnFcDecoder.output_splits = (('amps', 1), "
          f"('harmonic_distribution', {harmonics}), "
          f"('noise_magnitudes', {NOISE_BANDS[rate]}))",)


def _print_series(rate, losses, amps):
  print(f'{rate} Hz: step  mean total loss  harmonic amplitude')
  for step in sorted(losses):
    amp = amps.get(step, float('nan'))
    print(f'  {step:6d}  {losses[step]:10.3f}  {amp:10.4f}')


def run_rate(rate, args, work_dir):
  """Prepares, trains and evaluates one rate; returns the Evaluation."""
  spec = rate_check.RunSpec(
      rate, example_secs=args.example_secs, steps=args.steps,
      batch_size=args.batch_size, learning_rate=args.learning_rate,
      steps_per_summary=args.steps_per_summary, seed=args.seed,
      extra_gin=_extra_gin(rate, args.harmonics) + tuple(args.gin_param))
  t0 = time.time()
  pattern = rate_check.prepare(args.audio, os.path.join(work_dir, 'data'),
                               spec)
  t1 = time.time()
  save_dir = os.path.join(work_dir, f'run_{rate}')
  rate_check.train(spec, pattern, save_dir)
  t2 = time.time()
  result = rate_check.evaluate(spec, pattern, save_dir)
  print(f'{rate} Hz: prepare {t1 - t0:.0f} s, train {t2 - t1:.0f} s '
        f'({args.steps} steps), evaluate {time.time() - t2:.0f} s')
  _print_series(rate, rate_check.summary_series(save_dir),
                rate_check.summary_series(save_dir,
                                          'health/harmonic_amplitude'))
  return result


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--audio', nargs='+', default=BUNDLED_VIOLIN)
  parser.add_argument('--rates', type=int, nargs='+', default=[16000, 48000],
                      choices=sorted(rate_check.CONFIGS))
  parser.add_argument('--steps', type=int, default=200)
  parser.add_argument('--batch_size', type=int, default=4)
  parser.add_argument('--example_secs', type=float, default=1.0)
  parser.add_argument('--learning_rate', type=float, default=1e-3)
  parser.add_argument('--steps_per_summary', type=int, default=25)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--harmonics', type=int, default=0,
                      help='Harmonics of every model (0: the configs).')
  parser.add_argument('--work_dir', default='')
  parser.add_argument('--gin_param', action='append', default=[],
                      help='Extra gin bindings for every rate, e.g. a '
                           'variant to compare.')
  args = parser.parse_args(argv)
  work_dir = args.work_dir or tempfile.mkdtemp(prefix='high_rate_')
  print(_drift_note())
  results = {rate: run_rate(rate, args, work_dir) for rate in args.rates}
  print('rate   median cents  voiced  harm/noise dB  harm/data dB  '
        '>8 kHz data dB  >8 kHz output dB')
  for rate, r in results.items():
    print(f'{rate:5d}  {r.median_cents:12.1f}  {r.voiced_frames:6d}  '
          f'{r.harmonic_to_noise_db:13.1f}  {r.harmonic_to_data_db:12.1f}  '
          f'{r.data_above_cutoff_db:14.1f}  {r.output_above_cutoff_db:16.1f}')
  print(f'work_dir: {work_dir}')


if __name__ == '__main__':
  main(sys.argv[1:])
