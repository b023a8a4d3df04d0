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

"""One live performance: a backend, an instrument, a source, a runner.

`play` checks the options, loads and warms up the instrument (a model that
cannot be played live is refused before any device opens), opens the
backend, starts the runner and the device, then prints a status line
(model, latency, load, underruns) on stderr until `seconds` have passed,
SIGINT (Ctrl-C) or SIGTERM, or the backend fails. Whatever happens, the
device is closed and the runner stopped before it returns or raises; a
report (JSON) can be written at the end. Closing is watched: a device or
server that does not answer within CLOSE_SECONDS ends the process with one
message (exit 1) instead of a hang.
"""

import dataclasses
import json
import os
import signal
import sys
import threading
import time
from typing import Any, Dict, Optional

from ddsp import atomic_files
from ddsp import crepe_frontend
from ddsp import errors
from ddsp.training import output_paths
from ddsp.training.live import jack_backend
from ddsp.training.live import live_instrument
from ddsp.training.live import live_midi
from ddsp.training.live import model_runner
from ddsp.training.live import portaudio_backend
from ddsp.training.playback import midi_performance as perf

BACKENDS = ('jack', 'portaudio')
CREPE_MODELS = crepe_frontend.MODEL_SIZES
STATUS_SECONDS = 0.5
CLOSE_SECONDS = 15.0
# The MIDI rules' defaults, for the flags of ddsp_play.
DEFAULT_ENVELOPE = perf.Envelope()
DEFAULT_VELOCITY_SENSITIVITY = perf.Settings.velocity_sensitivity
OVERLAP_RULES = perf.OVERLAP_RULES


def midi_settings(attack: float, decay: float, sustain: float,
                  release: float, glide: float, velocity_sensitivity: float,
                  overlap: str) -> perf.Settings:
  """How MIDI in is played (`midi_performance.Settings`)."""
  return perf.Settings(
      envelope=perf.Envelope(attack, decay, sustain, release), glide=glide,
      velocity_sensitivity=velocity_sensitivity, overlap=overlap)


@dataclasses.dataclass
class Options:
  """How to play (the flags of ddsp_play)."""
  model: str
  backend: str = 'jack'
  midi: bool = False
  pitch_shift: float = 0.0
  loudness_shift: float = 0.0
  auto_adjust: bool = False
  seconds: Optional[float] = None
  connect: bool = False
  stereo: bool = False
  device: Optional[str] = None
  sample_rate: Optional[int] = None
  period: int = 256
  block_ms: float = live_instrument.BLOCK_MS
  margin_ms: Optional[float] = None
  crepe_model: str = 'tiny'
  settings: perf.Settings = dataclasses.field(default_factory=perf.Settings)
  report: Optional[str] = None
  status: bool = True


def open_backend(options: Options):
  if options.backend == 'jack':
    return jack_backend.JackBackend(options.stereo)
  if options.midi:
    raise errors.BadValueError('PortAudio has no MIDI: play from MIDI in '
                               'with --backend=jack.')
  return portaudio_backend.PortAudioBackend(options.device,
                                            options.sample_rate,
                                            options.period)


def make_source(options: Options, instrument, device_rate: int):
  """The source of controls: audio in, or MIDI in."""
  player = instrument.player
  if options.midi:
    model_range = perf.ModelRange.from_statistics(player.statistics,
                                                  player.db_key)
    return model_runner.MidiSource(live_midi.LiveMidi(
        instrument.frame_rate, options.settings, model_range, device_rate))
  return model_runner.AudioSource(
      instrument, device_rate, options.pitch_shift, options.loudness_shift,
      options.auto_adjust, options.crepe_model)


class _Stop:
  """Set by SIGINT and SIGTERM (the handlers are put back on exit)."""

  def __init__(self):
    self.event = threading.Event()
    self._old = {}

  def __enter__(self):
    for sig in (signal.SIGINT, signal.SIGTERM):
      self._old[sig] = signal.signal(sig, lambda *_: self.event.set())
    return self

  def __exit__(self, *exc):
    for sig, handler in self._old.items():
      signal.signal(sig, handler)


class _CloseWatchdog:
  """Exits the process (code 1, one message) if stopping takes too long.

  Stopping talks to a sound server and joins the model thread; a server that
  stopped answering must not leave the user with a process that ignores
  Ctrl-C. `arm(stage)` starts the clock once and names the step the message
  blames; `disarm` stops it.
  """

  def __init__(self, seconds: float = CLOSE_SECONDS):
    self.seconds = seconds
    self.stage = 'stopping'
    self._timer = threading.Timer(seconds, self._expire)
    self._timer.daemon = True

  def arm(self, stage: str) -> None:
    self.stage = stage
    if not self._timer.is_alive() and not self._timer.finished.is_set():
      self._timer.start()

  def disarm(self) -> None:
    self._timer.cancel()

  def _expire(self):
    sys.stderr.write(f'\nddsp_play: error: {self.stage} did not finish in '
                     f'{self.seconds:g} s; exiting without waiting for it.\n')
    sys.stderr.flush()
    os._exit(1)  # pylint: disable=protected-access


def _at_least(name: str, value: Optional[float], lowest: float,
              strictly: bool = False) -> None:
  """Refuses --name=value below `lowest` (or equal to it, `strictly`)."""
  if value is not None and (value < lowest or strictly and value == lowest):
    relation = '>' if strictly else '>='
    raise errors.BadValueError(
        f'--{name} must be {relation} {lowest:g}, got {value:g}.')


def check_options(options: Options) -> None:
  """Refuses bad options before anything is loaded or opened.

  Raises:
    errors.BadValueError: an option out of its range.
    errors.UnwritablePathError: --report cannot be written.
  """
  if options.backend not in BACKENDS:
    raise errors.BadValueError(f'--backend must be one of {BACKENDS}.')
  if options.crepe_model not in CREPE_MODELS:
    raise errors.BadValueError(f'--crepe_model must be one of '
                               f'{CREPE_MODELS}, got {options.crepe_model!r}.')
  _at_least('period', options.period, 16)
  _at_least('sample_rate', options.sample_rate, 0, strictly=True)
  _at_least('seconds', options.seconds, 0, strictly=True)
  _at_least('block_ms', options.block_ms, 0, strictly=True)
  _at_least('margin_ms', options.margin_ms, 0)
  options.settings.check()
  if options.report:
    output_paths.check_file(options.report, 'report')


def play(options: Options) -> Dict[str, Any]:
  """Plays until done (see the module docstring); returns the report.

  Options are checked first, then the model is loaded (a model that cannot
  be played live is refused before any audio device is opened), then the
  backend is opened.
  """
  check_options(options)
  instrument = live_instrument.load(options.model, options.block_ms,
                                    progress=options.status)
  backend = open_backend(options)
  runner = None
  watchdog = _CloseWatchdog()
  try:
    source = make_source(options, instrument, backend.sample_rate)
    runner = model_runner.ModelRunner(instrument, source,
                                      backend.sample_rate, backend.period,
                                      options.margin_ms)
    with _Stop() as stop:
      runner.start()
      backend.start(runner, options.connect, options.midi)
      _say(options, f'ddsp_play: ready ({backend.sample_rate} Hz, period '
           f'{backend.period}, block {instrument.block_frames} frame(s)).')
      started = time.monotonic()
      _wait(options, backend, runner, stop.event, started)
    watchdog.arm(f'reading the {options.backend} latencies')
    report = _report(options, backend, runner, instrument,
                     time.monotonic() - started)
  finally:
    if options.status:
      sys.stderr.write('\n')  # Ends the status line, before any error.
    watchdog.arm(f'closing the {options.backend} device')
    backend.close()
    if runner is not None:
      watchdog.stage = 'stopping the model thread'
      runner.stop()
    watchdog.disarm()
  _say(options, f'ddsp_play: stopped. {runner.status()}')
  if options.report:
    atomic_files.write_bytes(options.report,
                             json.dumps(report, indent=1).encode())
  return report


def _wait(options, backend, runner, stop, started):
  """Status lines until the end; raises what stopped the backend."""
  while not stop.is_set():
    elapsed = time.monotonic() - started
    if options.seconds is not None and elapsed >= options.seconds:
      return
    backend.check()
    if runner.error is not None:
      raise runner.error
    if options.status:
      sys.stderr.write(f'\r{runner.status()}   ')
      sys.stderr.flush()
    stop.wait(STATUS_SECONDS if options.seconds is None else
              min(STATUS_SECONDS, max(options.seconds - elapsed, 0.001)))


def _report(options, backend, runner, instrument, seconds):
  rate = backend.sample_rate
  return {
      'model': instrument.name,
      'backend': options.backend,
      'source': 'midi' if options.midi else 'audio',
      'sample_rate': rate,
      'period': backend.period,
      'block_frames': instrument.block_frames,
      'frame_rate': instrument.frame_rate,
      'latency_ms': 1000.0 * runner.latency / rate,
      'latency_samples': runner.latency,
      'server_latency_ms': 1000.0 * backend.server_latency() / rate,
      'margin_ms': runner.margin_ms,
      'block_ms_warmup': 1000.0 * instrument.block_seconds,
      'load': runner.load,
      'underruns': runner.underruns,
      'seconds': seconds,
  }


def _say(options, line):
  del options
  sys.stderr.write(line + '\n')
  sys.stderr.flush()
