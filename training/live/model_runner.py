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

"""The model running ahead of the audio callback, in a thread of its own.

The audio callback (`callback`, called by a backend once per period) only
copies: the period of input into `input_ring`, the period of output out of
`output_ring` (silence and an underrun counted when it is short), and MIDI
messages into `events`; then it advances the device clock. Nothing in it
can block: no TensorFlow, no I/O, no lock, no allocation beyond numpy
views.

The runner thread waits (polling every POLL_SECONDS) until the next block
of frames can be made (audio in: its input and the analysis lookahead have
arrived; MIDI in: the device clock has passed the block's end, so every
message inside it is known), synthesises it, resamples it to the device
rate and queues it. The output ring starts with `latency` samples of
silence, the declared input-to-output latency:

  latency = 2 periods (input, output) + analysis lookahead (audio in)
            + (block + lag) frames + margin,

the margin covering the time a block takes and the thread's scheduling
jitter, unless given: max(one block, twice the warm-up's median plus 2 ms).
Twice the warm-up alone (8-13 ms for a DDSP-VST model) underran 4-48 times
a minute at 48 kHz on a 2-core x86-64 CPU (resampling, 3x as many
callbacks competing for the interpreter); one block held with none
(benchmarks/live_latency.py). A block that takes longer than the margin
empties the queue: an underrun, counted, heard as a short fade to silence.

The thread runs the whole stream inside the model's gin configuration (for
a checkpoint, `gin_scope.entered`): a model already current is entered
without a copy, so the engine's per-block entry costs nothing.
"""

import sys
import threading
import time
from typing import Optional

from ddsp.training import gin_scope
from ddsp.training.live import live_features
from ddsp.training.live import live_instrument
from ddsp.training.live import ring_buffer
from ddsp.training.playback import adjustments
import numpy as np
import soxr

POLL_SECONDS = 0.0005
# 'QQ': cubic interpolation, 5 samples of delay (soxr's filtered qualities
# hold back 100-600 samples).
RESAMPLE_QUALITY = 'QQ'
RING_SECONDS = 2.0


class ModelRunner:
  """Feeds an instrument from a source, ahead of the device.

  Attributes:
    latency: Declared input-to-output latency in device samples.
    underruns, load: See `status`.
  """

  def __init__(self, instrument: live_instrument.LiveInstrument, source,
               device_rate: int, period: int,
               margin_ms: Optional[float] = None):
    """Constructor.

    Args:
      instrument: The instrument, warmed up.
      source: `AudioSource` or `MidiSource`: frames of controls.
      device_rate: Sample rate of the device.
      period: Frames per period of the device.
      margin_ms: Safety margin (default: from the warm-up).
    """
    self.instrument = instrument
    self.source = source
    self.device_rate = int(device_rate)
    self.period = int(period)
    block_seconds = instrument.block_frames / instrument.frame_rate
    if margin_ms is None:
      margin_ms = 1000.0 * max(block_seconds, 2.0 * (
          instrument.block_seconds +
          source.block_seconds(instrument.block_frames)) + 0.002)
    self.margin_ms = float(margin_ms)
    lookahead = (2 * period / self.device_rate + source.lookahead_seconds +
                 block_seconds + instrument.lag_frames / instrument.frame_rate
                 + self.margin_ms / 1000.0)
    self.latency = int(np.ceil(lookahead * self.device_rate))
    capacity = int(RING_SECONDS * self.device_rate) + self.latency
    self.input_ring = ring_buffer.SampleRing(capacity)
    self.output_ring = ring_buffer.SampleRing(capacity)
    self.output_ring.prime(self.latency)
    self.events = ring_buffer.EventRing()
    self.clock = 0  # Device samples the callback has played.
    self._out_resampler = soxr.ResampleStream(
        instrument.sample_rate, self.device_rate, 1, dtype='float32',
        quality=RESAMPLE_QUALITY)
    self._next_frame = 0
    self._busy = 0.0
    self._started = None
    self._stop = threading.Event()
    self._thread = None
    self.error = None  # An exception that stopped the thread.

  # Real-time side. -----------------------------------------------------
  def callback(self, inp: Optional[np.ndarray], out: np.ndarray) -> None:
    """One period: input queued, output taken (real-time safe)."""
    if inp is not None:
      self.input_ring.write(inp)
    self.output_ring.read_into(out)
    self.clock += out.size

  def midi(self, offset: int, message: bytes) -> None:
    """A MIDI message `offset` frames into the current period."""
    self.events.push(self.clock + offset, bytes(message))

  # Model side. ---------------------------------------------------------
  @property
  def underruns(self) -> int:
    return self.output_ring.underruns

  @property
  def load(self) -> float:
    """Fraction of the time the model thread has been busy."""
    if self._started is None:
      return 0.0
    return self._busy / max(time.perf_counter() - self._started, 1e-9)

  def status(self) -> str:
    return (f'{self.instrument.name}: latency '
            f'{1000.0 * self.latency / self.device_rate:.1f} ms, load '
            f'{100.0 * self.load:.0f}%, underruns {self.underruns}')

  def start(self) -> None:
    sys.setswitchinterval(0.0005)  # The callback waits less for the GIL.
    self._started = time.perf_counter()
    self._thread = threading.Thread(target=self._run, name='ddsp_play model',
                                    daemon=True)
    self._thread.start()

  def stop(self) -> None:
    self._stop.set()
    if self._thread is not None:
      self._thread.join(timeout=5.0)

  @property
  def running(self) -> bool:
    return self._thread is not None and self._thread.is_alive()

  def _run(self) -> None:
    try:
      with gin_scope.entered(self.instrument.player):
        while not self._stop.is_set():
          if not self._step():
            time.sleep(POLL_SECONDS)
    except Exception as e:  # pylint: disable=broad-except
      self.error = e

  def _step(self) -> bool:
    """Makes the next block if it can; whether it did."""
    inst = self.instrument
    n = inst.block_frames
    if self.source.needs_input:
      samples = self.input_ring.read(self.input_ring.available())
      if samples.size:
        self.source.push(samples)
      if self.source.ready() < n:
        return False
    else:
      end = (self._next_frame + n) / inst.frame_rate
      if self.clock < end * self.device_rate:
        return False
      self.source.add(self.events.pop_all())
    t = time.perf_counter()
    f0_hz, db = self.source.frames(self._next_frame, n)
    audio = inst.process(f0_hz, db)
    self.output_ring.write(self._out_resampler.resample_chunk(
        np.asarray(audio, np.float32)))
    self._next_frame += n
    self._busy += time.perf_counter() - t
    return True


class AudioSource:
  """Controls from audio in: live features, auto-adjust, shifts."""

  needs_input = True

  def __init__(self, instrument: live_instrument.LiveInstrument,
               device_rate: int, pitch_shift: float = 0.0,
               loudness_shift: float = 0.0, auto_adjust: bool = False,
               crepe_model: str = 'tiny'):
    player = instrument.player
    self.features = live_features.LiveFeatures(
        instrument.frame_rate, player.power_feature,
        live_features.CrepeTracker(crepe_model))
    self.lookahead_seconds = (self.features.lookahead /
                              live_features.SAMPLE_RATE)
    self.adjust = None
    if auto_adjust and player.statistics is not None:
      self.adjust = live_features.LiveAdjust(player.statistics,
                                             instrument.frame_rate)
    self.pitch_shift = pitch_shift
    self.loudness_shift = loudness_shift
    self.db_key = player.db_key
    self._in_resampler = soxr.ResampleStream(
        device_rate, live_features.SAMPLE_RATE, 1, dtype='float32',
        quality=RESAMPLE_QUALITY)
    self._cost = self._measure()

  def _measure(self) -> float:
    """Seconds one CREPE frame takes."""
    frame = np.zeros([live_features.CREPE_FRAME], np.float32)
    times = []
    for _ in range(5):
      t = time.perf_counter()
      self.features.tracker(frame)
      times.append(time.perf_counter() - t)
    return float(np.median(times))

  def block_seconds(self, n_frames: int) -> float:
    """Seconds the features of n frames take: a CREPE call per f0 hop."""
    f0_frames = self.features.f0_hop // self.features.hop
    return self._cost * -(-n_frames // f0_frames)

  def push(self, samples: np.ndarray) -> None:
    self.features.push(self._in_resampler.resample_chunk(samples))

  def ready(self) -> int:
    return self.features.ready()

  def frames(self, first: int, n: int):
    del first
    feats = self.features.take(n)
    if self.adjust is not None:
      feats = self.adjust(feats)
    feats = adjustments.shift_ld(feats, self.loudness_shift)
    feats = adjustments.shift_f0(feats, self.pitch_shift)
    return feats['f0_hz'], feats[self.db_key]


class MidiSource:
  """Controls from MIDI in (`live_midi.LiveMidi` at the device rate)."""

  needs_input = False
  lookahead_seconds = 0.0

  def __init__(self, live_midi):
    self.live_midi = live_midi

  def block_seconds(self, n_frames: int) -> float:
    t = time.perf_counter()
    self.live_midi.frames(0, n_frames)
    return time.perf_counter() - t

  def add(self, events: np.ndarray) -> None:
    self.live_midi.add(events)

  def frames(self, first: int, n: int):
    return self.live_midi.frames(first, n)
