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
real process on that server. Used by tests/test_live_*.py and
benchmarks/live_latency.py.
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    for frame, message in self._midi:
      if pos <= frame < pos + frames:
        self.midi.write_midi_event(frame - pos, message)
    self._pos = pos + frames
    if self._pos >= self._recorded.size:
      self.done.set()

  def arm(self, signal, n_record, midi=()):
    self._signal = np.asarray(signal, np.float32)
    self._recorded = np.zeros([n_record], np.float32)
    self._midi = list(midi)
    self.done.clear()
    self._pos = 0

  def recording(self, timeout):
    if not self.done.wait(timeout):
      raise RuntimeError('the recording did not finish')
    return self._recorded.copy()

  def connect_to_play(self, midi=False):
    self.client.connect('ddsp_play:out', self.rec)
    if midi:
      self.client.connect(self.midi, 'ddsp_play:midi_in')
    else:
      self.client.connect(self.out, 'ddsp_play:in')

  def close(self):
    self.client.deactivate()
    self.client.close()


class Play:
  """ddsp_play running as a process; stderr collected in a thread."""

  def __init__(self, env, args):
    self.proc = subprocess.Popen(
        [sys.executable, '-m', 'ddsp.training.live.ddsp_play'] + list(args),
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

  def stop(self, timeout=60):
    """SIGINT, then the exit status."""
    self.proc.send_signal(2)
    return self.finish(timeout)

  def finish(self, timeout=60):
    try:
      code = self.proc.wait(timeout)
    except subprocess.TimeoutExpired:
      self.proc.kill()
      self.proc.wait()
      raise
    self._reader.join(5)
    return code

  def errors(self):
    return [l for l in self.lines if 'error' in l.lower() or
            'Traceback' in l]
