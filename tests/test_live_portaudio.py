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

"""ddsp_play --backend=portaudio on a real device, as a process.

The device is PortAudio's JACK host API's `system` (Debian's libportaudio2
has that host API): the physical ports of a dummy JACK server, as a sound
card would be. PortAudio connects its client's ports (`PortAudio:in_0`,
`PortAudio:out_0`, ...) to the device's; a test client also plays the
bundled violin clip into `PortAudio:in_0` (the dummy capture ports are
silent) and records `PortAudio:out_0`. What must hold, as for the JACK
backend (tests/test_live_jack.py): the recording's f0 follows the input's
within 50 cents, no underrun; and `--list --backend=portaudio` names the
device and its host API.
"""

import os
import subprocess
import sys

import live_jack
from live_jack import jack_env  # pylint: disable=unused-import
from live_jack import vst_model  # pylint: disable=unused-import
import pytest

pytestmark = pytest.mark.slow
HOST_API = 'JACK Audio Connection Kit'
DEVICE = 'system'  # The JACK server's physical ports.
PORTS = ('PortAudio:in_0', 'PortAudio:out_0')  # PortAudio's JACK client.
_HOST_APIS = ('import sounddevice\n'
              'for api in sounddevice.query_hostapis():\n'
              '  print(api["name"])\n')


def _missing_reason(env):
  """Why PortAudio cannot open the JACK server of `env` (None if it can)."""
  run = subprocess.run([sys.executable, '-c', _HOST_APIS], env=env,
                       capture_output=True, text=True, timeout=120,
                       check=False)
  if run.returncode:
    last = (run.stderr.strip().splitlines() or ['?'])[-1]
    return ('needs PortAudio and sounddevice (apt-get install libportaudio2; '
            f'pip install .[live]): {last}')
  apis = run.stdout.split('\n')
  if HOST_API not in apis:
    return (f'needs PortAudio with its JACK host API (Debian\'s libportaudio2 '
            f'has it); this one has only: {", ".join(filter(None, apis))}')
  return None


@pytest.fixture(scope='module')
def portaudio_env(jack_env):
  """The dummy JACK server's environment, if PortAudio can play on it."""
  reason = _missing_reason(jack_env)
  if reason:
    pytest.skip(reason)
  return jack_env


def test_list_names_the_jack_device(portaudio_env):
  run = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.live.ddsp_play', '--list',
       '--backend=portaudio'],
      env=dict(portaudio_env, TF_CPP_MIN_LOG_LEVEL='3'), cwd=live_jack.REPO,
      capture_output=True, text=True, timeout=120, check=False)
  assert run.returncode == 0, run.stderr
  assert any(f': {DEVICE}, {HOST_API} (' in line
             for line in run.stdout.splitlines()), run.stdout


def test_output_f0_follows_the_input(portaudio_env, request, tmp_path):
  signal_in, clip_16k = live_jack.violin_clip()
  recording, report = live_jack.play_and_record(
      portaudio_env, live_jack.model_args(request, 'vst') + [
          '--backend=portaudio', f'--device={DEVICE} JACK',
          f'--period={live_jack.PERIOD}'],
      signal_in, signal_in.size + live_jack.RATE // 2,
      os.path.join(str(tmp_path), 'report.json'), ports=PORTS)
  assert report['backend'] == 'portaudio'
  assert report['underruns'] == 0, report
  assert live_jack.cents_followed(clip_16k, recording, report) < 50, report
