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

"""f0 and loudness (or power) of audio in, frame by frame, as it arrives.

The features are those of training (`ddsp.features.f0_loudness`) computed
on a sliding window of the last samples:

* loudness: `spectral_ops.compute_loudness` (A-weighted, n_fft 512), or the
  power of a power model (`compute_power`, its frame size), on frames
  centred at k * hop: frame k needs LOOKAHEAD samples past its centre;
* f0: CREPE ('tiny' by default) on 1024-sample frames centred at the same
  times, but only every `f0_hop` samples (CREPE_RATE frames per second,
  20 ms) and held in between: CREPE tiny costs about 1.4 ms a frame on a
  2-core x86-64 CPU (XLA-compiled, one frame a call), so at a model's 250
  frames per second it could not keep up, at 50 it takes 7% of a core.
  No Viterbi smoothing (it needs the frames after).

So every frame needs half a CREPE frame (512 samples, 32 ms at 16 kHz)
past its centre: the analysis lookahead of audio in.
"""

from typing import Optional, Tuple

from ddsp import crepe_model
from ddsp import spectral_ops
from ddsp.features import frame_rates
from ddsp.training import inference
from ddsp.training.playback import adjustments
import numpy as np
import tensorflow as tf

SAMPLE_RATE = 16000
CREPE_FRAME = 1024
LOOKAHEAD = CREPE_FRAME // 2  # 16 kHz samples past a frame's centre.
CREPE_RATE = 50.0
LOUDNESS_N_FFT = 512


class CrepeTracker:
  """CREPE f0 and confidence of single frames, compiled once (XLA)."""

  def __init__(self, model_capacity: str = 'tiny'):
    model = crepe_model.FFTCrepe(crepe_model.build_and_load_model(
        model_capacity))
    self._fn = tf.function(model.__call__, jit_compile=True, input_signature=[
        tf.TensorSpec([1, CREPE_FRAME], tf.float32)])
    self(np.zeros([CREPE_FRAME], np.float32))  # Compiles.

  def __call__(self, frame: np.ndarray) -> Tuple[float, float]:
    """(f0 in Hz, confidence) of one 1024-sample frame at 16 kHz."""
    frame = frame - frame.mean()
    frame = frame / max(float(frame.std()), 1e-8)
    acts = self._fn(tf.constant(frame[np.newaxis], tf.float32)).numpy()
    f0_hz = crepe_model.cents_to_hz(crepe_model.to_local_average_cents(acts))
    return float(f0_hz[0]), float(acts.max())


class LiveFeatures:
  """Features of a stream of 16 kHz audio, for the frames it covers.

  Usage: `push(samples)`, then `ready()` frames can be taken with
  `take(n)`.
  """

  def __init__(self, frame_rate: float,
               power: Optional[inference.PowerFeature] = None,
               tracker: Optional[CrepeTracker] = None):
    """Constructor.

    Args:
      frame_rate: Frames per second of the model (16000 / it whole).
      power: How a power model computes its power (None: loudness).
      tracker: The f0 tracker (default: CREPE tiny).
    """
    self.hop = frame_rates.hop_size(SAMPLE_RATE, frame_rate)
    self.frame_rate = frame_rate
    self.power = power
    self.tracker = tracker or CrepeTracker()
    self.f0_hop = max(self.hop, int(SAMPLE_RATE / CREPE_RATE) // self.hop *
                      self.hop)
    self.db_window = LOUDNESS_N_FFT if power is None else power.frame_size
    self.lookahead = max(LOOKAHEAD, self.db_window // 2)
    # buffer[0] is stream sample `start`; zeros before the stream.
    self._buffer = np.zeros([self.lookahead], np.float32)
    self._start = -self.lookahead
    self.next_frame = 0
    self._f0 = (0.0, 0.0)
    spectral_ops.compute_loudness(  # Imports what it uses (seconds) now.
        np.zeros([LOUDNESS_N_FFT], np.float32), SAMPLE_RATE, frame_rate,
        LOUDNESS_N_FFT, use_tf=False, padding='valid')

  def push(self, samples: np.ndarray) -> None:
    self._buffer = np.concatenate([self._buffer, samples])

  def ready(self) -> int:
    """Frames whose lookahead has arrived."""
    end = self._start + self._buffer.size
    return max(0, (end - self.lookahead) // self.hop + 1 - self.next_frame)

  def _window(self, centre: int, size: int) -> np.ndarray:
    lo = centre - size // 2 - self._start
    return self._buffer[lo:lo + size]

  def take(self, n: int) -> dict:
    """Features of the next n frames (n <= ready()).

    Returns:
      {'f0_hz', 'f0_confidence', 'loudness_db' or 'power_db'}: float32 [n].
    """
    first = self.next_frame
    centres = (first + np.arange(n)) * self.hop
    f0 = np.zeros([n], np.float32)
    conf = np.zeros([n], np.float32)
    for i, c in enumerate(centres):
      if c % self.f0_hop == 0:
        self._f0 = self.tracker(self._window(int(c), CREPE_FRAME))
      f0[i], conf[i] = self._f0
    lo = int(centres[0]) - self.db_window // 2 - self._start
    segment = self._buffer[lo:lo + (n - 1) * self.hop + self.db_window]
    if self.power is None:
      db = spectral_ops.compute_loudness(
          segment, SAMPLE_RATE, self.frame_rate, LOUDNESS_N_FFT,
          use_tf=False, padding='valid')
      key = 'loudness_db'
    else:
      db = spectral_ops.compute_power_np(
          segment, SAMPLE_RATE, self.frame_rate, self.power.frame_size,
          padding='valid')
      key = 'power_db'
    self.next_frame += n
    self._drop_before(self.next_frame * self.hop - self.lookahead)
    return {'f0_hz': f0, 'f0_confidence': conf,
            key: np.asarray(db, np.float32).reshape([-1])[:n]}

  def _drop_before(self, sample: int) -> None:
    k = sample - self._start
    if k > 0:
      self._buffer = self._buffer[k:]
      self._start = sample


class LiveAdjust:
  """The auto-adjust of timbre transfer, on the last seconds played.

  Every `refresh_seconds` the auto-adjust (`adjustments.auto_adjust`) runs
  on the last `history_seconds` of features; its octave shift and the mean
  change it made to the loudness of the note frames then apply to every
  frame until the next refresh (a live stream has no whole file to match).
  """

  def __init__(self, statistics, frame_rate: float,
               history_seconds: float = 4.0, refresh_seconds: float = 1.0):
    self.statistics = statistics
    self.n_history = int(history_seconds * frame_rate)
    self.n_refresh = int(refresh_seconds * frame_rate)
    self._history = {}
    self._since = 0
    self.octaves = 0.0
    self.db_offset = 0.0

  def __call__(self, features: dict) -> dict:
    """The features with the current shifts applied (a new dict)."""
    for k, v in features.items():
      self._history[k] = np.concatenate(
          [self._history.get(k, np.zeros([0], np.float32)), v]
      )[-self.n_history:]
    self._since += len(features['f0_hz'])
    if self._since >= self.n_refresh:
      self._since = 0
      self._refresh()
    out = dict(features)
    key = adjustments.db_key(out)
    out = adjustments.shift_f0(out, self.octaves)
    out[key] = out[key] + np.float32(self.db_offset)
    return out

  def _refresh(self) -> None:
    key = adjustments.db_key(self._history)
    adjusted, mask_on, _ = adjustments.auto_adjust(
        dict(self._history), self.statistics, verbose=False)
    if not np.any(mask_on):
      return
    on = mask_on.reshape([-1])
    ratio = adjusted['f0_hz'][on] / np.maximum(self._history['f0_hz'][on],
                                               1e-3)
    self.octaves = float(np.round(np.log2(np.median(ratio))))
    self.db_offset = float(np.mean(adjusted[key].reshape([-1])[on] -
                                   self._history[key][on]))
