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

"""Playing through PortAudio (the sounddevice package), where JACK is not
running.

One duplex stream, mono in and out (the output on every channel the device
has, up to two), at a chosen device, rate and period. A device is chosen by
its number or by words of its name and host API as `list_devices` shows
them (sounddevice's matching: e.g. 'system JACK' is the device `system` of
the JACK host API, which Debian's libportaudio2 has). PortAudio has no
MIDI: MIDI in needs the JACK backend.
"""

from typing import List, Optional

from ddsp import errors
from ddsp.training.live import jack_backend
from ddsp.training.live import model_runner

LiveAudioError = jack_backend.LiveAudioError


def _sd():
  try:
    import sounddevice  # pylint: disable=g-import-not-at-top
  except (ImportError, OSError) as e:
    raise errors.MissingPackageError(
        f'PortAudio is not available ({e}): apt-get install libportaudio2 '
        'and pip install sounddevice (pip install .[live]).') from e
  return sounddevice


def list_devices() -> List[str]:
  """Lines naming each device, its host API, channels and default rate
  (--list)."""
  sd = _sd()
  devices = sd.query_devices()
  if not len(devices):  # pylint: disable=g-explicit-length-test
    return ['PortAudio finds no audio device.']
  apis = [api['name'] for api in sd.query_hostapis()]
  return [f'  {i}: {d["name"]}, {apis[d["hostapi"]]} '
          f'({d["max_input_channels"]} in, {d["max_output_channels"]} out, '
          f'{d["default_samplerate"]:.0f} Hz)'
          for i, d in enumerate(devices)]


class PortAudioBackend:
  """A runner's callback on a PortAudio duplex stream."""

  def __init__(self, device: Optional[str], sample_rate: Optional[int],
               period: int):
    self.sd = _sd()
    self.runner = None
    self._failed = None
    try:
      device_id = None if device is None else (
          int(device) if device.isdigit() else device)
      out_info = self.sd.query_devices(device_id, 'output')
      self.sample_rate = int(sample_rate or out_info['default_samplerate'])
      channels = min(2, int(out_info['max_output_channels']))
      self.stream = self.sd.Stream(
          samplerate=self.sample_rate, blocksize=period, device=device_id,
          channels=(1, channels), dtype='float32', latency='low',
          callback=self._process)
    except (self.sd.PortAudioError, ValueError) as e:
      raise LiveAudioError(
          f'No usable audio device ({e}): list them with --list, pick one '
          'with --device, or use --backend=jack.') from e
    self.period = period

  def _process(self, indata, outdata, frames, time_info, status):
    del frames, time_info
    del status  # The device's own; ours are the runner's underruns.
    runner = self.runner
    out = outdata[:, 0]
    if runner is None:
      out.fill(0.0)
    else:
      runner.callback(indata[:, 0], out)
    for c in range(1, outdata.shape[1]):
      outdata[:, c] = out

  def start(self, runner: model_runner.ModelRunner, connect: bool,
            midi: bool) -> None:
    del connect, midi
    self.runner = runner
    self.stream.start()

  def server_latency(self) -> int:
    latency = self.stream.latency
    return int(round(sum(latency) * self.sample_rate))

  def check(self) -> None:
    if not self.stream.active and self.runner is not None:
      raise LiveAudioError('The audio device stopped (unplugged?): start '
                           'ddsp_play again.')

  def close(self) -> None:
    try:
      self.stream.stop()
      self.stream.close()
    except self.sd.PortAudioError:
      pass
