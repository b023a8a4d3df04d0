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

"""A JACK server of its own with the dummy driver: no sound card needed.

`dummy_server(rate, period)` starts `jackd --no-realtime -n NAME -d dummy
-r RATE -p PERIOD` under a name of its own, waits until a client can open
it, and yields the environment naming it (JACK_DEFAULT_SERVER): run every
client (ddsp_play, a test client) with that environment. The server is
stopped on exit. `missing_reason()` says why it cannot run here (no
`jackd`, no JACK-Client package). Used by the JACK tests and
benchmarks/live_latency.py; imports `jack` only when a server starts.
"""

import contextlib
import os
import shutil
import subprocess
import time
from typing import Dict, Iterator, Optional
import uuid

START_SECONDS = 10.0
POLL_SECONDS = 0.1


def missing_reason() -> Optional[str]:
  """Why a dummy JACK server cannot run here (None when it can)."""
  if shutil.which('jackd') is None:
    return 'needs jackd (Debian package jackd2: apt-get install jackd2)'
  try:
    import jack  # pylint: disable=g-import-not-at-top,unused-import
  except (ImportError, OSError) as e:
    return f'needs the JACK-Client package (pip install .[live]): {e}'
  return None


@contextlib.contextmanager
def dummy_server(rate: int = 48000,
                 period: int = 256) -> Iterator[Dict[str, str]]:
  """A running dummy JACK server; yields the environment naming it."""
  name = f'ddsp_dummy_{uuid.uuid4().hex[:8]}'
  env = dict(os.environ, JACK_DEFAULT_SERVER=name,
             JACK_NO_AUDIO_RESERVATION='1')
  proc = subprocess.Popen(
      ['jackd', '--no-realtime', '-n', name, '-d', 'dummy', '-r', str(rate),
       '-p', str(period)], env=env, stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL)
  try:
    _wait_until_open(name, proc)
    yield env
  finally:
    proc.terminate()
    try:
      proc.wait(10)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait()


def _wait_until_open(name: str, proc: subprocess.Popen) -> None:
  """Returns once a client can open server `name`; raises if it died or
  did not open within START_SECONDS."""
  import jack  # pylint: disable=g-import-not-at-top
  jack.set_error_function(lambda message: None)
  jack.set_info_function(lambda message: None)
  deadline = time.monotonic() + START_SECONDS
  while time.monotonic() < deadline:
    if proc.poll() is not None:
      raise RuntimeError(f'jackd exited with {proc.returncode}')
    try:
      jack.Client('probe', no_start_server=True, servername=name).close()
      return
    except jack.JackOpenError:
      time.sleep(POLL_SECONDS)
  raise RuntimeError(f'jackd did not start in {START_SECONDS:g} s')
