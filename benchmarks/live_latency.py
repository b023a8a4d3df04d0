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

"""ddsp_play's latency, underruns and CPU load over a real JACK server.

  python benchmarks/live_latency.py [--seconds=60] [--periods=64,128,256,512]
      [--rates=16000,48000] [--models=vst,solo_instrument] [--block_ms=20]
      [--checkpoint_block_ms=100] [--margin_ms=MS] [--source=audio|midi]

For each sample rate and period a JACK server with the dummy driver
(`ddsp.training.live.jack_server.dummy_server`) is started; under it, for
each model, ddsp_play runs as its own process from audio in (--source=audio,
the default): a test client (tests/live_jack.py `Tester`) plays the bundled
violin clip (examples/audio/violin_a.flac, looped, every other half second
a fifth higher) into ddsp_play:in and records ddsp_play:out for --seconds;
or from MIDI in (--source=midi, ddsp_play --midi): the test client sends a
short melody (tests/live_jack.py `MELODY`, four notes in 2.6 s, repeated)
to ddsp_play:midi_in and records ddsp_play:out. One cell at a time. The
models, random weights (the cost does not depend on them):

* vst: models/vst/vst.gin at the released models' size, exported to a
  DDSP-VST .tflite (benchmarks/vst_frame_cost.py's run), 20 ms blocks;
* solo_instrument: the original's solo_instrument configuration (its
  golden checkpoint's operative config), as the live tests build it
  (tests/live_jack.py); --checkpoint_block_ms per model call (a call costs
  it about 8 ms whatever its length, so it needs longer blocks than 20 ms).

Per cell, the table gives: the declared input-to-output latency from
ddsp_play's --report (2 device periods + analysis lookahead and engine lag
+ block + safety margin; from MIDI in there is no analysis lookahead; the
JACK server adds none here: the dummy driver's ports are not connected);
the measured latency: from audio in, the shift of the recording's f0
contour (CREPE tiny, 200 frames/s, the first 20 s) that best matches the
input's (its fifths up and down every half second): the mean |cents| is
smallest (f0 is held 20 ms between CREPE calls live, so this is the f0
path's delay: up to 20 ms more than the loudness path's; each underrun's
silence also delays what follows); from MIDI in the column says
"declared": a random-weights model does not fall silent between notes, so
only the first note's onset could be timed (by its level), and the test
client's own send-and-record cycle adds up to a period to it
(tests/test_live_jack.py checks every note's onset against the declared
latency instead); underruns counted by ddsp_play; the model thread's load
(share of the time it is busy); the ddsp_play process' CPU time over the
run (all its threads: /proc/<pid>/stat) in % of one core.

Numbers depend on the machine and its load: the script prints `nproc` and
the load average.
"""
import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import soundfile as sf

from ddsp.features import f0_loudness
from ddsp.features import resampling
from ddsp.training import export
from ddsp.training.live import jack_server
from ddsp.training.live import live_instrument
from ddsp.training.playback import vst_contract

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'tests'))
import golden
import instrument_host
import live_jack
import vst_frame_cost

CLIP = os.path.join(REPO, 'examples', 'audio', 'violin_a.flac')
MODELS = ('vst', 'solo_instrument')
SOURCES = ('audio', 'midi')
SEGMENT_SECONDS = 0.5
MEASURE_RATE = 200  # f0 frames per second of the measurement.
MEASURE_SECONDS = 20.0
MEASURE_EXTRA_MS = 200.0  # Shifts searched past the declared latency.


def _ints(text):
  return [int(v) for v in text.split(',') if v]


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--seconds', type=float, default=60.0)
  parser.add_argument('--periods', type=_ints, default=[64, 128, 256, 512])
  parser.add_argument('--rates', type=_ints, default=[16000, 48000])
  parser.add_argument('--models', default=','.join(MODELS),
                      help='Comma-separated, of ' + ', '.join(MODELS))
  parser.add_argument('--block_ms', type=float,
                      default=live_instrument.BLOCK_MS,
                      help="The VST model's block (ddsp_play's default).")
  parser.add_argument('--checkpoint_block_ms', type=float, default=100.0,
                      help="The checkpoint's block.")
  parser.add_argument('--margin_ms', type=float, default=None,
                      help="ddsp_play's --margin_ms (default: its own, from "
                      'the time a block takes).')
  parser.add_argument('--source', choices=SOURCES, default='audio',
                      help='Play from audio in (the violin clip) or MIDI in '
                      '(a repeated melody).')
  args = parser.parse_args()
  args.models = [m for m in args.models.split(',') if m]
  unknown = sorted(set(args.models) - set(MODELS))
  if unknown:
    parser.error(f'unknown --models {unknown}: choose from {MODELS}')
  return args


def vst_model(folder):
  """models/vst/vst.gin at full size, random weights, as a .tflite."""
  run = os.path.join(folder, 'run')
  os.makedirs(run)
  vst_frame_cost.untrained_vst_run(run)
  save_dir = os.path.join(folder, 'export')
  export.ckpt_to_saved_model(run, save_dir, vst_contract.CONTROL_MODEL)
  metadata = os.path.join(folder, 'metadata.json')
  with open(metadata, 'w') as f:
    json.dump(instrument_host.METADATA, f)
  return export.saved_model_to_tflite(save_dir, metadata_file=metadata)


def solo_checkpoint(folder):
  """The original's solo_instrument configuration, random weights."""
  return live_jack.write_solo_checkpoint(
      folder, golden.path('golden/solo_instrument/ckpt'))


def write_models(names, folder):
  """{name: (model path, block ms option)}."""
  writers = {'vst': vst_model, 'solo_instrument': solo_checkpoint}
  found = {}
  for name in names:
    sub = os.path.join(folder, name)
    os.makedirs(sub, exist_ok=True)
    found[name] = writers[name](sub)
  return found


def looped_clip(rate, seconds):
  """The violin clip at `rate`, looped to `seconds`, every other
  SEGMENT_SECONDS a fifth higher (the clip played faster), so that its f0
  steps and the recording's can be aligned: float32 [n]."""
  clip, clip_rate = sf.read(CLIP, dtype='float32')
  fifth = resampling.resample(clip, int(round(clip_rate * 1.5)), rate)
  clip = resampling.resample(clip, clip_rate, rate)
  n = int(seconds * rate)
  step = int(SEGMENT_SECONDS * rate)
  plain, high = (np.tile(c, -(-n // c.size))[:n] for c in (clip, fifth))
  higher = (np.arange(n) // step) % 2 == 1
  return np.where(higher, high, plain).astype(np.float32)


def cpu_seconds(pid):
  """User + system CPU seconds of process `pid`, all threads."""
  with open(f'/proc/{pid}/stat') as f:
    fields = f.read().rsplit(')', 1)[1].split()
  return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measured_ms(signal, recording, rate, declared_ms):
  """Shift (ms) of the recording's f0 that best matches the input's.

  argmin over s of mean_t min(|1200 log2(f0_out[t + s] / f0_in[t])|, 1200)
  over frames voiced in both (a mean: a median would not see the shifts
  where less than half the frames are off by a fifth); None with fewer than
  50 such frames.
  """
  n = int(min(MEASURE_SECONDS, signal.size / rate) * rate)
  contours = []
  for audio in (signal[:n], recording[:n]):
    f0, conf = f0_loudness.f0(resampling.resample(audio, rate, 16000), 16000,
                              MEASURE_RATE, viterbi=False,
                              model_capacity='tiny')
    contours.append((np.asarray(f0), np.asarray(conf)))
  (f0_in, conf_in), (f0_out, conf_out) = contours
  best = None
  most = int((declared_ms + MEASURE_EXTRA_MS) / 1000.0 * MEASURE_RATE)
  for shift in range(0, min(most, f0_in.size - 50)):
    a, ca = f0_in[:f0_in.size - shift], conf_in[:f0_in.size - shift]
    b, cb = f0_out[shift:], conf_out[shift:]
    voiced = (ca > 0.8) & (cb > 0.5) & (a > 0) & (b > 0)
    if voiced.sum() < 50:
      continue
    cents = float(np.mean(np.minimum(
        np.abs(1200 * np.log2(b[voiced] / a[voiced])), 1200)))
    if best is None or cents < best[1]:
      best = (shift, cents)
  return None if best is None else 1000.0 * best[0] / MEASURE_RATE


def melody(rate, seconds):
  """Silence in, and the melody's MIDI events, looped, over `seconds`:
  (float32 [n], [(frame, bytes)])."""
  n = int(seconds * rate)
  loops = int(np.ceil(seconds / live_jack.MELODY_SECONDS))
  return np.zeros([n], np.float32), [
      e for e in live_jack.melody_events(rate, loops) if e[0] < n]


def run_cell(env, model, block_ms, args, source, rate, folder):
  """ddsp_play on the server of `env` for args.seconds; -> a table row.

  `source`: (signal played into ddsp_play:in, MIDI events to midi_in).
  """
  signal, events = source
  midi = args.source == 'midi'
  report_path = os.path.join(folder, 'report.json')
  flags = [f'--model={model}', f'--block_ms={block_ms:g}',
           f'--report={report_path}'] + (['--midi'] if midi else [])
  if args.margin_ms is not None:
    flags.append(f'--margin_ms={args.margin_ms:g}')
  tester = live_jack.Tester(env)
  play = live_jack.Play(env, flags)
  try:
    play.wait_ready()
    tester.connect_to_play(midi)
    cpu, wall = cpu_seconds(play.proc.pid), time.monotonic()
    tester.arm(signal, signal.size, events)
    recording = tester.recording(timeout=args.seconds + 60)
    cpu = cpu_seconds(play.proc.pid) - cpu
    wall = time.monotonic() - wall
    code = play.stop()
  finally:
    if play.proc.poll() is None:
      play.proc.kill()
      play.proc.wait()
    tester.close()
  if code != 0:
    raise RuntimeError('ddsp_play failed:\n' + '\n'.join(play.lines[-20:]))
  with open(report_path) as f:
    report = json.load(f)
  declared = report['latency_ms'] + report['server_latency_ms']
  measured = ('declared' if midi else
              measured_ms(signal, recording, rate, declared))
  return report, declared, measured, 100.0 * cpu / wall


def header(source):
  """The table's header: from MIDI in, no analysis lookahead."""
  rest = 'lag' if source == 'midi' else 'analysis/lag'
  return (f'| model | source | rate (Hz) | period | block (ms) | declared '
          f'latency (ms) = periods + {rest} + block + margin | measured (ms, '
          'f0) | underruns | model thread load | ddsp_play CPU (% of a '
          'core) |')


def row(name, report, declared, measured, cpu):
  rate = report['sample_rate']
  periods = 2000.0 * report['period'] / rate
  block = 1000.0 * report['block_frames'] / report['frame_rate']
  margin = report['margin_ms']
  rest = report['latency_ms'] - periods - block - margin
  server = report['server_latency_ms']
  parts = f'{periods:.1f} + {rest:.1f} + {block:.0f} + {margin:.1f}'
  if server:
    parts += f' + {server:.1f} (server)'
  shown = ('n/a' if measured is None else measured
           if isinstance(measured, str) else f'{measured:.0f}')
  return (f'| {name} | {report["source"]} | {rate} | {report["period"]} | '
          f'{block:.0f} | '
          f'{declared:.1f} = {parts} | {shown} | {report["underruns"]} | '
          f'{100.0 * report["load"]:.0f}% | {cpu:.0f}% |')


def main():
  args = parse_args()
  print(f'nproc: {os.cpu_count()}, load average: '
        f'{" ".join(f"{v:.2f}" for v in os.getloadavg())}, '
        f'{args.seconds:g} s per cell')
  reason = jack_server.missing_reason()
  if reason:
    sys.exit(f'live_latency: {reason}')
  rows = []
  with tempfile.TemporaryDirectory() as folder:
    models = write_models(args.models, folder)
    for rate in args.rates:
      source = (melody(rate, args.seconds) if args.source == 'midi' else
                (looped_clip(rate, args.seconds), ()))
      for period in args.periods:
        with jack_server.dummy_server(rate, period) as env:
          for name, model in models.items():
            block_ms = (args.block_ms if name == 'vst' else
                        args.checkpoint_block_ms)
            rows.append(row(name, *run_cell(env, model, block_ms, args,
                                            source, rate, folder)))
            print(rows[-1], file=sys.stderr, flush=True)
  print(header(args.source))
  print('|' + '---|' * header(args.source).count(' |'))
  print('\n'.join(rows))
  print(f'load average at the end: '
        f'{" ".join(f"{v:.2f}" for v in os.getloadavg())}')


if __name__ == '__main__':
  main()
