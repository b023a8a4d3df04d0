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

"""Cost of one 20 ms DDSP-VST frame in the plugin's reference run loop.

Per frame the loop (ddsp.training.playback.vst_runloop) calls the control model
.tflite once (GRU state fed back) and synthesises one 320-sample hop
(harmonics with carried phase + filtered noise). Prints the median cost of
each part and of the whole frame, the real-time factor

  RTF = cost per frame / 20 ms   (below 1: faster than real time),

and the share of DDSP-VST's 64 ms total latency budget one frame takes.

The control model is, in order of preference: --tflite (an exported file),
--model_path (a trained VST run, exported to a temporary folder), or an
untrained models/vst/vst.gin model (same sizes, so the same cost).

Usage:
  python benchmarks/vst_frame_cost.py [--tflite FILE | --model_path RUN]
      [--frames 500] [--repeats 3]

Numbers depend on the machine and its load: the script prints `nproc` and
the load average next to them.
"""
import argparse
import os
import tempfile
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import gin
import numpy as np
import tensorflow as tf

from ddsp.training import export
from ddsp.training import models
from ddsp.training.playback import vst_contract
from ddsp.training.playback import vst_runloop

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAME_MS = 1000.0 * vst_contract.HOP_SIZE / vst_contract.SAMPLE_RATE


def untrained_vst_run(folder):
  """A checkpoint of an untrained vst.gin model and its config in `folder`."""
  with open(os.path.join(REPO, 'gin', 'models', 'vst', 'vst.gin')) as f:
    config = f.read()
  with open(os.path.join(folder, 'operative_config-0.gin'), 'w') as f:
    f.write(config)
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config(config)
  model = models.Autoencoder()
  zeros = tf.zeros([1, 10, 1])
  model.decoder({'f0_scaled': zeros, 'pw_scaled': zeros})
  tf.train.Checkpoint(model=model).save(os.path.join(folder, 'ckpt'))
  return folder


def control_model_file(args, folder):
  """Path of the .tflite to time (exported into `folder` if needed)."""
  if args.tflite:
    return args.tflite
  run = args.model_path or untrained_vst_run(folder)
  save_dir = os.path.join(folder, 'export')
  export.ckpt_to_saved_model(run, save_dir, vst_contract.CONTROL_MODEL)
  return export.saved_model_to_tflite(save_dir)  # No metadata: not timed.


def time_frames(model, synth, f0_scaled, pw_scaled):
  """Seconds per frame of the model call and of the synthesis [n_frames]."""
  call_s, synth_s = [], []
  for f0_s, pw_s in zip(f0_scaled, pw_scaled):
    start = time.perf_counter()
    controls = model(f0_s, pw_s)
    middle = time.perf_counter()
    synth(float(vst_runloop.unscale_f0(f0_s)), controls)
    end = time.perf_counter()
    call_s.append(middle - start)
    synth_s.append(end - middle)
  return np.array(call_s), np.array(synth_s)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--tflite', default='')
  parser.add_argument('--model_path', default='')
  parser.add_argument('--frames', type=int, default=500)
  parser.add_argument('--repeats', type=int, default=3)
  args = parser.parse_args()

  with tempfile.TemporaryDirectory() as folder:
    path = control_model_file(args, folder)
    model = vst_runloop.PluginControlModel(path)
  synth = vst_runloop.HopSynthesizer()
  t = np.arange(args.frames) / vst_contract.FRAME_RATE
  f0_hz = 330.0 * 2.0 ** (np.sin(2 * np.pi * 0.5 * t) / 12.0)
  power_db = -30.0 + 10.0 * np.sin(2 * np.pi * 0.25 * t)
  f0_scaled = vst_runloop.scale_f0(f0_hz)
  pw_scaled = vst_runloop.scale_power(power_db)
  time_frames(model, synth, f0_scaled[:20], pw_scaled[:20])  # Warm up.

  calls, synths = [], []
  for _ in range(args.repeats):
    model.reset()
    synth.reset()
    call_s, synth_s = time_frames(model, synth, f0_scaled, pw_scaled)
    calls.append(call_s)
    synths.append(synth_s)
  call_ms = 1e3 * np.median(np.concatenate(calls))
  synth_ms = 1e3 * np.median(np.concatenate(synths))
  frame_ms = 1e3 * np.median(np.concatenate(calls) + np.concatenate(synths))
  p99_ms = 1e3 * np.percentile(np.concatenate(calls) +
                               np.concatenate(synths), 99)

  print(f'nproc {os.cpu_count()}, load average '
        f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
  print(f'control model: {path if args.tflite else "exported " + path}')
  print(f'{args.frames} frames x {args.repeats} repeats, one frame = '
        f'{FRAME_MS:.0f} ms of audio ({vst_contract.HOP_SIZE} samples at '
        f'{vst_contract.SAMPLE_RATE} Hz)')
  print(f'  tflite call (median)          {call_ms:8.3f} ms')
  print(f'  hop synthesis (median)        {synth_ms:8.3f} ms')
  print(f'  whole frame (median)          {frame_ms:8.3f} ms')
  print(f'  whole frame (99th percentile) {p99_ms:8.3f} ms')
  print(f'  real-time factor              {frame_ms / FRAME_MS:8.4f} '
        '(cost / 20 ms)')
  print(f'  share of the {vst_contract.LATENCY_BUDGET_MS:.0f} ms latency '
        f'budget {100.0 * frame_ms / vst_contract.LATENCY_BUDGET_MS:6.2f} %')


if __name__ == '__main__':
  main()
