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

"""Is a model out of tune because of its reverb? Pitch before and after it.

For each run of an `every_instrument.py` results file whose instrument has
a held-out clip, the newest checkpoint resynthesises the clip's first 12 s
from the clip's own f0 and loudness (or power) in one pass, and this prints

* the pitch error of the output (`wet`) and of the reverb's input, the
  summed synthesisers (`dry`): median |1200 log2(f0_out / f0_clip)| over
  frames CREPE is confident about in the clip (every_instrument.py's
  measure);
* the dry signal's level, 10 log10 mean(dry^2), in dB;
* the reverb's share: 10 log10(mean((wet - dry)^2) / mean(dry^2)), in dB,
  the level of what the reverb adds next to what it is given.

A model whose dry signal is in tune and whose reverb adds more than its
input plays its previous notes over the current one. Models without a
reverb print their output as both.

  .venv/bin/python benchmarks/reverb_pitch.py --results /tmp/ei/10min.jsonl \
    --held_out violin=../shared/audio/violin/violin_05_mixed_44k1_stereo_24bit.wav
"""
import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import logging
import numpy as np
import ddsp  # noqa: F401  (sets up Keras 2 before tensorflow_probability)
from ddsp import crepe_frontend
from ddsp import effects
from ddsp.features import audio as audio_lib
from ddsp.training import inference
from ddsp.training.playback import loading
from ddsp.training.playback import transfer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-bad-import-order
import every_instrument
import time_to_quality


def clip_features(save_dir, clip_path, crepe_model):
  """The held-out clip's features at the model's frame rate; frame rate."""
  with tempfile.TemporaryDirectory() as out_dir:
    clip = every_instrument.held_out_clip(clip_path, out_dir)
    audio = audio_lib.decode_audio(clip, crepe_frontend.SAMPLE_RATE)
  synth = loading.load_instrument(save_dir, progress=False)
  features = transfer.instrument_features(synth, [audio], crepe_model)
  return features, synth.frame_rate


def dry_and_wet(save_dir, features, frame_rate):
  """(dry, wet) `[n_samples]` of one pass over the features; sample rate.

  dry: the input of the processor group's reverb (an `effects.Reverb`; the
  output when there is none); wet: the group's output.
  """
  n_frames = len(features['f0_hz'])
  model = inference.AutoencoderInference(
      save_dir, length_seconds=(n_frames + 0.5) / frame_rate,
      remove_reverb=False, verbose=False)
  n = model.n_frames
  outputs = model({'f0_hz': features['f0_hz'][:n].astype(np.float32),
                   model.db_key: features[model.db_key][:n].astype(
                       np.float32)})
  wet = np.asarray(outputs['audio_synth']).reshape(-1)
  dry = wet
  group = model.processor_group
  for node in group.dag:
    if isinstance(group.get_module(node[0]), effects.Reverb):
      dry = np.asarray(ddsp.core.nested_lookup(node[1][0], outputs))
      dry = dry.reshape(-1)
  n_samples = min(len(dry), len(wet))
  return dry[:n_samples], wet[:n_samples], model.sample_rate


def _db(power):
  return float(10 * np.log10(max(power, 1e-20)))


def measure(save_dir, clip_path, crepe_model):
  """{'wet_cents', 'dry_cents', 'dry_db', 'reverb_share_db'} of a run."""
  features, frame_rate = clip_features(save_dir, clip_path, crepe_model)
  dry, wet, rate = dry_and_wet(save_dir, features, frame_rate)
  confident = features['f0_confidence'] > time_to_quality.CONFIDENT

  def cents(signal):
    f0, _ = time_to_quality.crepe_f0(signal, rate, frame_rate, crepe_model)
    return time_to_quality.median_cents(f0, features['f0_hz'], confident)[0]

  dry_power = np.mean(np.square(dry))
  return {'wet_cents': cents(wet), 'dry_cents': cents(dry),
          'dry_db': _db(dry_power),
          'reverb_share_db': _db(np.mean(np.square(wet - dry))) -
                             _db(dry_power)}


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--results', required=True,
                      help='JSON lines of every_instrument.py')
  parser.add_argument('--held_out', action='append', default=[],
                      help='NAME=AUDIO, as every_instrument.py')
  parser.add_argument('--label', default=None, help='only runs of a label')
  parser.add_argument('--crepe_model', default='full')
  args = parser.parse_args(argv)
  logging.set_verbosity(logging.WARNING)
  held_out = every_instrument.pairs(args.held_out, '--held_out')
  with open(args.results) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  print('| config | instrument | seed | steps | wet | dry | dry level | '
        'reverb share |\n|---|---|---|---|---|---|---|---|')
  for row in rows:
    if ((args.label and row['label'] != args.label) or
        row['instrument'] not in held_out or
        not os.path.isdir(row['save_dir'])):
      continue
    m = measure(row['save_dir'], held_out[row['instrument']],
                args.crepe_model)
    print(f"| {row['config']} | {row['instrument']} | {row['seed']} | "
          f"{row.get('steps_done', row['steps'])} | {m['wet_cents']:.0f} c | "
          f"{m['dry_cents']:.0f} c | {m['dry_db']:.1f} dB | "
          f"{m['reverb_share_db']:+.1f} dB |", flush=True)


if __name__ == '__main__':
  main(sys.argv[1:])
