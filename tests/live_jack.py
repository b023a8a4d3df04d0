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

"""A test JACK client and ddsp_play runs, on a dummy JACK server.

The server is `ddsp.training.live.jack_server.dummy_server(rate, period)`
(clients find it through the JACK_DEFAULT_SERVER of the environment it
yields); `Tester` is a JACK client that plays a signal into a port, records
another and sends MIDI messages at given frames; `Play` runs ddsp_play as a
real process on that server; `play_and_record` does both. The module-scoped
fixtures (`jack_env`, `vst_model`, `solo_checkpoint`; import them into a
test module to use them there), the bundled violin clip, a melody, and the
f0 comparison are shared by tests/test_live_*.py;
benchmarks/live_latency.py uses the clients and the melody.
"""

import json
import os
import signal as signals
import subprocess
import sys
import threading
import time

from ddsp.features import f0_loudness
from ddsp.features import resampling
from ddsp.training.live import jack_server
import golden
import instrument_host
import numpy as np
import pytest
import soundfile as sf
import streaming_models

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE, PERIOD = 48000, 256  # The tests' server.
CLIP = os.path.join(REPO, 'examples', 'audio', 'violin_a.flac')
CLIP_SECONDS = 3.0
F0_RATE = 50
# A melody inside the test model's range (MIDI 57-69: notes outside it are
# moved by octaves, as ddsp_synthesize_midi does), each step a tritone or
# more and never a harmonic ratio (octave, fifth, fourth, major third), so
# a pitch tracker tells the new note from the old one: (pitch, start s,
# end s). Repeated (`melody_events(loops=...)`) every MELODY_SECONDS.
MELODY = [(62, 0.2, 0.6), (68, 0.8, 1.2), (59, 1.4, 1.8), (65, 2.0, 2.4)]
MELODY_SECONDS = 2.6


class Tester:
  """A JACK client: `play` out, `rec` in, `midi_out`; runs in this process.

  `arm(signal, n_record, midi)` plays `signal` from the next period on,
  records `n_record` frames of `rec` from the same frame, and sends each
  (frame, bytes) of `midi` at that frame (counted from the same start).
  """

  def __init__(self, env):
    import jack  # pylint: disable=g-import-not-at-top
    self.jack = jack
    self.client = jack.Client('tester', no_start_server=True,
                              servername=env['JACK_DEFAULT_SERVER'])
    self.rate, self.period = self.client.samplerate, self.client.blocksize
    self.out = self.client.outports.register('play')
    self.rec = self.client.inports.register('rec')
    self.midi = self.client.midi_outports.register('midi_out')
    self._signal = np.zeros([0], np.float32)
    self._recorded = np.zeros([0], np.float32)
    self._midi = []
    self._next_midi = 0
    self._pos = None
    self.done = threading.Event()
    self.client.set_process_callback(self._process)
    self.client.activate()

  def _process(self, frames):
    out = self.out.get_array()
    self.midi.clear_buffer()
    pos = self._pos
    if pos is None:
      out.fill(0.0)
      return
    chunk = self._signal[pos:pos + frames]
    out[:chunk.size] = chunk
    out[chunk.size:] = 0.0
    rec = self._recorded[pos:pos + frames]
    rec[:] = self.rec.get_array()[:rec.size]
    midi = self._midi
    while (self._next_midi < len(midi) and
           midi[self._next_midi][0] < pos + frames):
      frame, message = midi[self._next_midi]
      self.midi.write_midi_event(max(frame - pos, 0), message)
      self._next_midi += 1
    self._pos = pos + frames
    if self._pos >= self._recorded.size:
      self.done.set()

  def arm(self, signal, n_record, midi=()):
    self._signal = np.asarray(signal, np.float32)
    self._recorded = np.zeros([n_record], np.float32)
    self._midi = sorted(midi)
    self._next_midi = 0
    self.done.clear()
    self._pos = 0

  def recording(self, timeout):
    if not self.done.wait(timeout):
      raise RuntimeError('the recording did not finish')
    return self._recorded.copy()

  def connect_to_play(self, midi=False, inport='ddsp_play:in',
                      outport='ddsp_play:out'):
    """Records `outport`; plays into `inport`, or MIDI into midi_in."""
    self.client.connect(outport, self.rec)
    if midi:
      self.client.connect(self.midi, 'ddsp_play:midi_in')
    else:
      self.client.connect(self.out, inport)

  def port_names(self, pattern='', **kinds):
    """Names of the server's ports (`jack.Client.get_ports` arguments)."""
    return [p.name for p in self.client.get_ports(pattern, **kinds)]

  def close(self):
    self.client.deactivate()
    self.client.close()


class Play:
  """ddsp_play running as a process; stderr collected in a thread."""

  def __init__(self, env, args):
    self.proc = subprocess.Popen(
        [sys.executable, '-X', 'faulthandler', '-m',
         'ddsp.training.live.ddsp_play'] + list(args),
        env=dict(env, TF_CPP_MIN_LOG_LEVEL='3'), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    self.lines = []
    self.ready = threading.Event()
    self._reader = threading.Thread(target=self._read, daemon=True)
    self._reader.start()

  def _read(self):
    for line in self.proc.stderr:
      for part in line.split('\r'):
        self.lines.append(part.rstrip())
        if part.startswith('ddsp_play: ready'):
          self.ready.set()

  def wait_ready(self, timeout=240):
    deadline = time.time() + timeout
    while not self.ready.wait(0.2):
      if self.proc.poll() is not None or time.time() > deadline:
        raise RuntimeError('ddsp_play did not start:\n' +
                           '\n'.join(self.lines[-20:]))

  def stop(self, timeout=60, signal=signals.SIGINT):
    """SIGINT (or `signal`), then the exit status."""
    self.proc.send_signal(signal)
    return self.finish(timeout)

  def finish(self, timeout=60):
    try:
      code = self.proc.wait(timeout)
    except subprocess.TimeoutExpired:
      # SIGABRT makes faulthandler print every thread's stack: where it hung.
      self.proc.send_signal(signals.SIGABRT)
      try:
        self.proc.wait(10)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait()
      self._reader.join(5)
      raise AssertionError(f'ddsp_play did not end in {timeout} s:\n' +
                           '\n'.join(self.lines[-80:])) from None
    self._reader.join(5)
    return code

  def errors(self):
    return [l for l in self.lines if 'error' in l.lower() or
            'Traceback' in l]


def jackd_pid(env):
  """The process id of the jackd serving `env` (JACK_DEFAULT_SERVER)."""
  wanted = ['-n', env['JACK_DEFAULT_SERVER']]
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        argv = f.read().decode(errors='replace').split('\0')
    except OSError:
      continue
    if os.path.basename(argv[0]) == 'jackd' and any(
        argv[i:i + 2] == wanted for i in range(len(argv))):
      return int(pid)
  raise RuntimeError(f'no jackd serving {wanted[1]}')


@pytest.fixture(scope='module')
def jack_env():
  """The environment of a dummy JACK server at RATE and PERIOD."""
  reason = jack_server.missing_reason()
  if reason:
    pytest.skip(reason)
  with jack_server.dummy_server(RATE, PERIOD) as env:
    yield env


@pytest.fixture(scope='module')
def vst_model(tmp_path_factory):
  return instrument_host.write_vst_tflite(str(tmp_path_factory.mktemp('vst')))


def write_solo_checkpoint(folder, golden_ckpt):
  """The original's solo_instrument configuration (the operative config of
  its golden checkpoint folder `golden_ckpt`), random weights, written to
  `folder`; -> the model folder."""
  with open(os.path.join(golden_ckpt, 'operative_config-0.gin')) as f:
    return streaming_models.write_random_model(folder, f.read())


@pytest.fixture(scope='module')
def solo_checkpoint(tmp_path_factory):
  """A solo_instrument checkpoint, random weights (`write_solo_checkpoint`).
  The golden checkpoint itself is 20 steps into training: its harmonic part
  is still silent (filtered noise only), so no f0 can follow its input."""
  return write_solo_checkpoint(str(tmp_path_factory.mktemp('solo')),
                               golden.require('golden/solo_instrument/ckpt'))


def model_args(request, name):
  """ddsp_play's flags for fixture model `name` ('vst', 'solo_instrument').

  A DDSP-VST model plays 20 ms blocks with a 40 ms margin; the checkpoint
  100 ms ones (a call costs it about 8 ms whatever its length) with a 150 ms
  margin. The suite runs beside other tests on 2 cores, where blocks take
  up to 3x their quiet time: the automatic margin (from a quiet warm-up) is
  the benchmark's to measure (benchmarks/live_latency.py), not the tests'.
  """
  if name == 'vst':
    return [f'--model={request.getfixturevalue("vst_model")}',
            '--margin_ms=40']
  return [f'--model={request.getfixturevalue("solo_checkpoint")}',
          '--block_ms=100', '--margin_ms=150']


def violin_clip():
  """The first CLIP_SECONDS of the violin clip: (at RATE, at 16 kHz)."""
  clip, rate = sf.read(CLIP, dtype='float32')
  clip = clip[:int(CLIP_SECONDS * rate)]
  return (resampling.resample(clip, rate, RATE),
          resampling.resample(clip, rate, 16000))


def melody_events(rate=RATE, loops=1):
  """MELODY as (frame, MIDI bytes) note-ons and note-offs, `loops` times."""
  events = []
  for loop in range(loops):
    for pitch, start, end in MELODY:
      start, end = start + loop * MELODY_SECONDS, end + loop * MELODY_SECONDS
      events.append((int(start * rate), bytes([0x90, pitch, 100])))
      events.append((int(end * rate), bytes([0x80, pitch, 0])))
  return events


def f0(audio_16k):
  """CREPE tiny f0 and confidence at F0_RATE frames per second."""
  return f0_loudness.f0(audio_16k, 16000, F0_RATE, viterbi=False,
                        model_capacity='tiny')


def play_and_record(env, args, signal, n_record, report_path, midi=(),
                    ports=None):
  """Runs ddsp_play, plays/records through a Tester; -> (rec, report).

  `ports`: (input, output) ddsp_play plays through (default its JACK
  client's `in` and `out`). Stopped by SIGINT: it must exit 0, its JACK
  client gone.
  """
  tester = Tester(env)
  play = Play(env, list(args) + [f'--report={report_path}'])
  try:
    play.wait_ready()
    inport, outport = ports or ('ddsp_play:in', 'ddsp_play:out')
    tester.connect_to_play(bool(midi), inport, outport)
    tester.arm(signal, n_record, midi)
    recording = tester.recording(timeout=n_record / tester.rate + 30)
    assert play.stop() == 0, play.lines
    assert not tester.port_names(outport.split(':')[0] + ':'), (
        'its JACK client is still there')
  finally:
    if play.proc.poll() is None:
      play.proc.kill()
    tester.close()
  with open(report_path) as f:
    return recording, json.load(f)


def cents_followed(clip_16k, recording, report):
  """Median |cents| between input f0 and the recording's (at RATE),
  the declared latency removed."""
  f0_in, conf_in = f0(clip_16k)
  f0_out, conf_out = f0(resampling.resample(recording, RATE, 16000))
  shift = int(round(report['latency_ms'] / 1000.0 * F0_RATE))
  n = min(f0_in.size, f0_out.size - shift)
  f0_in, conf_in = f0_in[:n], conf_in[:n]
  f0_out, conf_out = f0_out[shift:shift + n], conf_out[shift:shift + n]
  voiced = (conf_in > 0.8) & (conf_out > 0.5) & (f0_in > 0) & (f0_out > 0)
  assert voiced.sum() >= 20, f'only {voiced.sum()} voiced frames'
  return float(np.median(np.abs(1200 * np.log2(f0_out[voiced] /
                                               f0_in[voiced]))))
