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

"""Playing through a JACK server (the JACK-Client package, `import jack`).

The client is named `ddsp_play` and registers an audio input port `in`,
an output port `out` (or `out_1`, `out_2`: the same signal twice) and a
MIDI input port `midi_in`. It runs at the server's rate and period (the
runner resamples to and from the model's rate), and connects to the
system's ports only when asked (`connect`). The server's own latencies of
the ports connected to ours are reported next to the runner's.

Problems become one `LiveAudioError` each: no server, a server that goes
away while playing, a MIDI port that was connected to `midi_in` and is
gone.
"""

import ctypes
import ctypes.util
import threading
from typing import List, Optional, Tuple

from ddsp import errors
from ddsp.training.live import model_runner

CLIENT_NAME = 'ddsp_play'


# jack_latency_callback_mode_t.
_CAPTURE, _PLAYBACK = 0, 1


class _Range(ctypes.Structure):
  _fields_ = [('min', ctypes.c_uint32), ('max', ctypes.c_uint32)]


def _latency_range(jack, port, mode: int) -> Tuple[int, int]:
  """jack_port_get_latency_range of a port (JACK-Client does not wrap it):
  (min, max) frames between the port and the physical ports."""
  lib = ctypes.CDLL(ctypes.util.find_library('jack') or 'libjack.so.0')
  lib.jack_port_get_latency_range.argtypes = [
      ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_Range)]
  found = _Range()
  pointer = int(jack._ffi.cast('uintptr_t', port._ptr))  # pylint: disable=protected-access
  lib.jack_port_get_latency_range(pointer, mode, ctypes.byref(found))
  return int(found.min), int(found.max)


class LiveAudioError(errors.UserError):
  """No usable audio device or server, or it went away."""


def _jack():
  """The `jack` module, or a clear error naming what to install."""
  try:
    import jack  # pylint: disable=g-import-not-at-top
  except (ImportError, OSError) as e:
    raise errors.MissingPackageError(
        f'JACK is not available ({e}): apt-get install jackd2 and pip '
        'install JACK-Client (pip install .[live]), or use '
        '--backend=portaudio.') from e
  jack.set_error_function(lambda message: None)  # Ours say it once.
  jack.set_info_function(lambda message: None)
  return jack


def open_client(name: str = CLIENT_NAME):
  """A client of the running server (never starts one)."""
  jack = _jack()
  try:
    return jack.Client(name, no_start_server=True)
  except jack.JackOpenError as e:
    raise LiveAudioError(
        'No JACK server is running (or it refused the client): start one '
        '(e.g. `jackd -d alsa`, or qjackctl) or use --backend=portaudio.'
    ) from e


def list_ports() -> List[str]:
  """Lines naming the server's rate, period and ports (--list)."""
  client = open_client(CLIENT_NAME + '_list')
  try:
    lines = [f'JACK server: {client.samplerate} Hz, period '
             f'{client.blocksize} frames.']
    for port in client.get_ports():
      kind = 'midi' if port.is_midi else 'audio'
      way = 'output' if port.is_output else 'input'
      lines.append(f'  {port.name} ({kind} {way})')
    return lines
  finally:
    client.close()


class JackBackend:
  """A runner's callback on a JACK client's process thread."""

  def __init__(self, stereo: bool = False):
    self.jack = _jack()
    self.client = open_client()
    self.sample_rate = int(self.client.samplerate)
    self.period = int(self.client.blocksize)
    self.inport = self.client.inports.register('in')
    names = ['out_1', 'out_2'] if stereo else ['out']
    self.outports = [self.client.outports.register(n) for n in names]
    self.midi_port = self.client.midi_inports.register('midi_in')
    self.runner: Optional[model_runner.ModelRunner] = None
    self._gone = threading.Event()
    self._midi_sources = set()
    self.client.set_shutdown_callback(self._on_shutdown)
    self.client.set_port_connect_callback(self._on_connect)
    self.client.set_process_callback(self._process)

  def _on_shutdown(self, status, reason):
    del status, reason
    self._gone.set()

  def _on_connect(self, a, b, connected):
    if self.midi_port.name in (a.name, b.name):
      other = b.name if a.name == self.midi_port.name else a.name
      if connected:
        self._midi_sources.add(other)

  def _process(self, frames):
    runner = self.runner
    out = self.outports[0].get_array()
    if runner is None:
      out.fill(0.0)
    else:
      for offset, data in self.midi_port.incoming_midi_events():
        runner.midi(offset, data)
      runner.callback(self.inport.get_array(), out)
    for port in self.outports[1:]:
      port.get_array()[:] = out
    del frames

  def start(self, runner: model_runner.ModelRunner, connect: bool,
            midi: bool) -> None:
    """Activates the client (and connects to the system ports)."""
    self.runner = runner
    self.client.activate()
    if connect:
      self._connect_system(midi)

  def _connect_system(self, midi: bool) -> None:
    get = self.client.get_ports
    capture = get(is_physical=True, is_output=True, is_audio=True)
    playback = get(is_physical=True, is_input=True, is_audio=True)
    if not playback:
      raise LiveAudioError('--connect: the JACK server has no playback '
                           'ports (system:playback_*) to connect to.')
    for out, system in zip(self.outports, playback):
      self.client.connect(out, system)
    if len(self.outports) == 1 and len(playback) > 1:
      self.client.connect(self.outports[0], playback[1])
    if midi:
      sources = get(is_physical=True, is_output=True, is_midi=True)
      for source in sources:
        self.client.connect(source, self.midi_port)
    elif capture:
      self.client.connect(capture[0], self.inport)

  def server_latency(self) -> int:
    """Frames the server adds: capture latency into `in` plus playback
    latency out of `out` (max of each range; 0 where not connected)."""
    return (_latency_range(self.jack, self.inport, _CAPTURE)[1] +
            _latency_range(self.jack, self.outports[0], _PLAYBACK)[1])

  def check(self) -> None:
    """Raises LiveAudioError when the server or a MIDI source is gone."""
    if self._gone.is_set():
      raise LiveAudioError('The JACK server went away while playing: '
                           'start it again, then ddsp_play.')
    for name in list(self._midi_sources):
      if not self.client.get_ports(name):
        raise LiveAudioError(
            f'The MIDI port {name} that played into ddsp_play:midi_in went '
            'away (a keyboard unplugged, or its program ended): reconnect '
            'it and start ddsp_play again.')

  def close(self) -> None:
    if self._gone.is_set():
      return  # The server is gone: nothing to tell it.
    self.runner = None
    try:
      self.client.deactivate()
      self.client.close()
    except self.jack.JackError:
      pass
