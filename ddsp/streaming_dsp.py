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

"""DSP that carries its state from one block of frames to the next.

Each class renders a stream of frame-wise controls in blocks of any length
and gives, concatenated, the samples that the whole-signal functions of
`ddsp.core` give for the whole stream at once:

* `HarmonicOscillator`: `synths.Harmonic.get_signal` (`oscillator_bank`);
  carries the fundamental phase and the last frame of controls.
* `FilteredNoiseStream`: `core.frequency_filter` of uniform noise
  (`synths.FilteredNoise.get_signal`); carries the overlap-add tail.
* `ConvolutionReverb`: `effects.Reverb.get_signal`; carries the convolution
  tail of len(ir) - 1 samples.

They run in numpy on one example (no batch axis). Phase is accumulated in
float64, so it does not drift with the length of the stream or of the
blocks (the whole-signal float32 cumsum does).
"""

from typing import Dict, Optional

import numpy as np

_TWO_PI = 2.0 * np.pi

# Samples rendered at once by the oscillator (bounds its memory).
_OSCILLATOR_CHUNK_SAMPLES = 8192


def next_power_of_2(n: int) -> int:
  """Smallest power of 2 >= n (n >= 1)."""
  return 1 << (int(n) - 1).bit_length()


def periodic_hann(n: int) -> np.ndarray:
  """w[i] = 0.5 - 0.5 cos(2 pi i / n), i < n (as tf.signal.hann_window)."""
  return 0.5 - 0.5 * np.cos(_TWO_PI * np.arange(n) / n)


class HarmonicOscillator:
  """Harmonic synthesis of a stream of frames, one frame of latency.

  Sample j = m * hop + n (0 <= n < hop) lies between frames m and m + 1:

    f(j) = f0[m] + (n / hop) (f0[m + 1] - f0[m])              (linear)
    a_k(j) = a_k[m] w[n + hop] + a_k[m + 1] w[n]     ('window', w Hann 2hop)
          or a_k[m] + (n / hop) (a_k[m + 1] - a_k[m])           ('linear')
    phi(j) = phi(j - 1) + 2 pi f(j) / sample_rate     (inclusive, float64)
    y(j) = sum_k a_k(j) sin(k phi(j)),  a_k(j) = 0 where k f(j) >= sr / 2

  so the samples after frame m are known once frame m + 1 arrives; `flush`
  renders the last hop holding the last frame (the `add_endpoint` of
  `core.resample`).
  """

  METHODS = ('window', 'linear')

  def __init__(self, sample_rate: int, hop_size: int,
               amp_resample_method: str = 'window'):
    """Creates the oscillator.

    Args:
      sample_rate: Audio samples per second.
      hop_size: Audio samples per frame.
      amp_resample_method: 'window' or 'linear' (as `synths.Harmonic`).

    Raises:
      ValueError: for another resampling method.
    """
    if amp_resample_method not in self.METHODS:
      raise ValueError(f'HarmonicOscillator supports amp_resample_method '
                       f'{self.METHODS}, not {amp_resample_method!r}.')
    self.sample_rate = sample_rate
    self.hop_size = hop_size
    self.amp_resample_method = amp_resample_method
    window = periodic_hann(2 * hop_size)
    self._fade_in = window[:hop_size, np.newaxis]  # w[n]
    self._fade_out = window[hop_size:, np.newaxis]  # w[n + hop]
    self._ramp = (np.arange(hop_size) / hop_size)[:, np.newaxis]
    self.reset()

  def reset(self):
    """Forgets the phase and the previous frame (start of a new stream)."""
    self.phase = 0.0
    self._last_f0 = None  # [1]
    self._last_amps = None  # [1, n_harmonics]

  def process(self, f0_hz: np.ndarray,
              harmonic_amplitudes: np.ndarray) -> np.ndarray:
    """Samples up to the last of these frames.

    Args:
      f0_hz: [n_frames] fundamental frequency (Hz).
      harmonic_amplitudes: [n_frames, n_harmonics], amplitude of each
        harmonic (overall amplitude x normalised distribution).

    Returns:
      float32 audio [n_frames * hop] ([(n_frames - 1) * hop] for the first
      block of a stream).
    """
    f0_hz = np.asarray(f0_hz, np.float64)
    amps = np.asarray(harmonic_amplitudes, np.float64)
    if not f0_hz.size:
      return np.zeros([0], np.float32)
    if self._last_f0 is not None:
      f0_hz = np.concatenate([self._last_f0, f0_hz])
      amps = np.concatenate([self._last_amps, amps])
    self._last_f0, self._last_amps = f0_hz[-1:], amps[-1:]
    return self._render(f0_hz, amps)

  def flush(self) -> np.ndarray:
    """The last hop, holding the last frame; float32 [hop] (or [0])."""
    if self._last_f0 is None:
      return np.zeros([0], np.float32)
    f0_hz = np.concatenate([self._last_f0, self._last_f0])
    amps = np.concatenate([self._last_amps, self._last_amps])
    self._last_f0 = self._last_amps = None
    return self._render(f0_hz, amps)

  def _render(self, f0_hz, amps):
    """Audio between consecutive frames [n + 1] -> [n * hop], in chunks."""
    per_chunk = max(1, _OSCILLATOR_CHUNK_SAMPLES // self.hop_size)
    pieces = [self._render_chunk(f0_hz[i:i + per_chunk + 1],
                                 amps[i:i + per_chunk + 1])
              for i in range(0, len(f0_hz) - 1, per_chunk)]
    if not pieces:
      return np.zeros([0], np.float32)
    return np.concatenate(pieces).astype(np.float32)

  def _upsample(self, x, method):
    """Frames [n + 1, ch] -> samples [n * hop, ch] between them."""
    left, right = x[:-1, np.newaxis, :], x[1:, np.newaxis, :]
    if method == 'window':
      y = left * self._fade_out + right * self._fade_in
    else:
      y = left + self._ramp * (right - left)
    return y.reshape([-1, x.shape[-1]])

  def _render_chunk(self, f0_hz, amps):
    """Audio [n * hop] of frames [n + 1]; advances the phase."""
    f0_env = self._upsample(f0_hz[:, np.newaxis], 'linear')  # [t, 1]
    amp_env = self._upsample(amps, self.amp_resample_method)  # [t, k]
    phase = self.phase + np.cumsum(_TWO_PI * f0_env / self.sample_rate,
                                   axis=0)
    self.phase = float(phase[-1, 0] % _TWO_PI)
    harmonics = np.arange(1, amps.shape[-1] + 1)[np.newaxis, :]
    amp_env = np.where(f0_env * harmonics >= self.sample_rate / 2.0, 0.0,
                       amp_env)
    return np.sum(amp_env * np.sin((phase * harmonics) % _TWO_PI), axis=1)


class FilteredNoiseStream:
  """Uniform noise in [-1, 1) filtered by one FIR per frame, overlap-added.

  Frame i filters noise[i hop : (i + 1) hop] with its impulse response h_i
  (the linear-phase FIRs of `core.frequency_impulse_response`):

    full[t] = sum_i (noise_i * h_i)[t - i hop],   y[j] = full[j + d],
    d = (ir_size - 1) // 2 - 1                     (`fft_convolve`, 'same')

  Output samples j < n_frames_seen * hop - d are final once their frames
  are seen; the rest waits in the tail (or for `flush`). Noise is drawn in
  sample order from one generator, so a seeded stream gives the same noise
  whatever the block lengths.
  """

  def __init__(self, hop_size: int, ir_size: int,
               seed: Optional[int] = None):
    """Creates the filter.

    Args:
      hop_size: Audio samples per frame.
      ir_size: Length of the impulse responses.
      seed: Seed of the noise generator (None: fresh noise).

    Raises:
      ValueError: if the impulse responses are shorter than 3 taps (no
        delay compensation defined).
    """
    if ir_size < 3:
      raise ValueError(f'FilteredNoiseStream needs impulse responses of at '
                       f'least 3 taps, got {ir_size}.')
    self.hop_size = hop_size
    self.ir_size = ir_size
    self.delay = (ir_size - 1) // 2 - 1
    self.fft_size = next_power_of_2(hop_size + ir_size - 1)
    self.seed = seed
    self.reset()

  def reset(self):
    """New noise generator (same seed), empty tail."""
    self._rng = np.random.default_rng(self.seed)
    self._tail = np.zeros([0])  # full[self._tail_start:]
    self._tail_start = 0
    self._frames = 0
    self._emitted = 0

  def process(self, impulse_responses: np.ndarray) -> np.ndarray:
    """Filters the noise of these frames.

    Args:
      impulse_responses: [n_frames, ir_size].

    Returns:
      float32 audio of the samples now final (about n_frames * hop).
    """
    irs = np.asarray(impulse_responses, np.float64)
    n = irs.shape[0]
    if not n:
      return np.zeros([0], np.float32)
    hop = self.hop_size
    noise = self._rng.uniform(-1.0, 1.0, [n, hop])
    spectrum = (np.fft.rfft(noise, self.fft_size) *
                np.fft.rfft(irs, self.fft_size))
    filtered = np.fft.irfft(spectrum, self.fft_size)  # [n, fft]
    # Frame f starts at full[f hop], tail index f hop - tail_start.
    offset = self._frames * hop - self._tail_start
    end = offset + (n - 1) * hop + self.fft_size
    if self._tail.size < end:
      self._tail = np.pad(self._tail, [0, end - self._tail.size])
    for i in range(n):
      start = offset + i * hop
      self._tail[start:start + self.fft_size] += filtered[i]
    self._frames += n
    return self._emit(self._frames * hop - self.delay)

  def flush(self) -> np.ndarray:
    """The remaining samples, up to n_frames_seen * hop in all."""
    out = self._emit(self._frames * self.hop_size)
    rng = self._rng
    self.reset()
    self._rng = rng  # The noise continues if the stream goes on.
    return out

  def _emit(self, limit):
    """Output samples [emitted, limit): full[emitted + d : limit + d]."""
    n = max(0, limit - self._emitted)
    first = self._emitted + self.delay - self._tail_start
    out = self._tail[first:first + n]
    if out.size < n:
      out = np.pad(out, [0, n - out.size])
    self._tail = self._tail[first + n:]
    self._tail_start += first + n
    self._emitted += n
    return out.astype(np.float32)


class ConvolutionReverb:
  """Causal convolution with a fixed impulse response, tail carried.

    wet[t] = sum_{i >= 1} ir[i] x[t - i]    (first tap masked, the dry path)
    y[t] = wet[t] (+ x[t] with add_dry)

  as `effects.Reverb.get_signal` over the whole stream; each block adds the
  tail of len(ir) - 1 samples left by the earlier ones.
  """

  def __init__(self, ir: np.ndarray, add_dry: bool = True):
    """Creates the reverb.

    Args:
      ir: [ir_size] impulse response (its first tap is ignored).
      add_dry: Add the input to the reverberated signal.
    """
    ir = np.array(ir, np.float64).reshape([-1])
    ir[0] = 0.0
    self.ir = ir
    self.add_dry = add_dry
    self._ir_spectra: Dict[int, np.ndarray] = {}
    self.reset()

  def reset(self):
    """Silences the tail."""
    self._tail = np.zeros([self.ir.size - 1])

  def process(self, audio: np.ndarray) -> np.ndarray:
    """Reverberates a block: float32 [n] -> float32 [n] (no latency)."""
    x = np.asarray(audio, np.float64)
    n = x.size
    if not n:
      return np.zeros([0], np.float32)
    full_size = n + self.ir.size - 1
    fft_size = next_power_of_2(full_size)
    if fft_size not in self._ir_spectra:
      self._ir_spectra[fft_size] = np.fft.rfft(self.ir, fft_size)
    wet = np.fft.irfft(np.fft.rfft(x, fft_size) * self._ir_spectra[fft_size],
                       fft_size)[:full_size]
    wet[:self._tail.size] += self._tail
    self._tail = wet[n:].copy()
    out = wet[:n] + x if self.add_dry else wet[:n]
    return out.astype(np.float32)
