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


"""The one resampling policy: soxr 'HQ', evaluated on a fixed block grid.

Every path from an audio file to a model (data preparation, timbre
transfer, the notebooks) resamples with this module, so a file reaches
CREPE as the same samples wherever it is read.

soxr 'HQ' is band-limited and linear in phase: at 44.1 -> 16 kHz it is flat
to within 0.01 dB up to 90% of the new Nyquist frequency and attenuates
aliases by more than 120 dB. A signal of n samples at `rate_in` becomes

  n_out = floor(n * rate_out / rate_in)

samples at `rate_out` (the length rule of the original's loader).

Any range of the resampled signal can be computed on its own, and gives
the same bits as the same range of the whole signal: the output is cut
into grid blocks of `block_out` samples, and block j is always computed
the same way, by soxr on its own input span plus `margin_in` samples of
context on both sides (zeros beyond the signal). The margin is longer than
soxr's filter (its impulse response has decayed below 1e-12 there), so
blocks join without seams. This is what lets the data preparation pipeline
hand the chunks of one long file to different workers, and a stream read a
file block by block, with results equal to reading it whole.
"""

import collections
import math

import numpy as np

QUALITY = 'HQ'

# Output samples per grid block (rounded up to a whole resampling period).
_TARGET_BLOCK = 1 << 16
# Context on each side of a block, in samples at the lower of the two rates.
_MARGIN = 2048


def resampled_length(n_samples, rate_in, rate_out):
  """floor(n_samples * rate_out / rate_in), in exact integer arithmetic."""
  return (int(n_samples) * int(rate_out)) // int(rate_in)


class _Grid:
  """Block and margin sizes for one pair of integer rates.

  With g = gcd(rate_in, rate_out), `step_in` input samples span exactly
  `step_out` output samples; blocks and margins are whole numbers of such
  steps, so every block starts on an input sample.
  """

  def __init__(self, rate_in, rate_out):
    g = math.gcd(rate_in, rate_out)
    step_in, step_out = rate_in // g, rate_out // g
    n_steps = -(-_TARGET_BLOCK // step_out)
    self.block_out = n_steps * step_out
    self.block_in = n_steps * step_in
    margin = _MARGIN * max(1.0, rate_in / rate_out)
    margin_steps = -(-int(math.ceil(margin)) // step_in)
    self.margin_in = margin_steps * step_in
    self.margin_out = margin_steps * step_out


class Resampler:
  """Random access to the resampled version of a signal.

  Attributes:
    rate_in: rate of the signal (Hz, integer).
    rate_out: rate of the output (Hz, integer).
    n_samples: output length, `resampled_length(n_in, rate_in, rate_out)`.
  """

  def __init__(self, read, n_in, rate_in, rate_out, cached_blocks=2):
    """Constructor.

    Args:
      read: `read(start, stop)` -> float32 samples `[stop - start]` or
        `[stop - start, channels]` of the signal at `rate_in`, for any
        integers start <= stop (zeros outside the signal).
      n_in: number of samples of the signal.
      rate_in: its sample rate.
      rate_out: the wanted sample rate.
      cached_blocks: grid blocks kept for the next calls (sequential reads
        compute each block once).
    """
    self.rate_in = _integer_rate(rate_in)
    self.rate_out = _integer_rate(rate_out)
    self.n_samples = resampled_length(n_in, self.rate_in, self.rate_out)
    self._read = read
    self._grid = _Grid(self.rate_in, self.rate_out)
    self._cache = collections.OrderedDict()
    self._cached_blocks = cached_blocks

  def range(self, start, stop):
    """Output samples [start, stop), zeros outside [0, n_samples).

    Returns:
      float32 `[stop - start]` (or `[stop - start, channels]`).
    """
    start, stop = int(start), int(stop)
    if self.rate_in == self.rate_out:
      out = self._read(start, stop)
      return _zero_outside(out, start, self.n_samples)
    pieces = []
    size = self._grid.block_out
    for j in range(start // size, -(-stop // size)):
      block = self._block(j)
      lo, hi = max(start, j * size), min(stop, (j + 1) * size)
      pieces.append(block[lo - j * size:hi - j * size])
    if not pieces:
      return self._read(0, 0)[:0]
    return _zero_outside(np.concatenate(pieces), start, self.n_samples)

  def _block(self, j):
    """Grid block j: output samples [j * block_out, (j + 1) * block_out)."""
    if j in self._cache:
      self._cache.move_to_end(j)
      return self._cache[j]
    import soxr  # pylint: disable=g-import-not-at-top
    grid = self._grid
    first = j * grid.block_in - grid.margin_in
    x = self._read(first, (j + 1) * grid.block_in + grid.margin_in)
    y = soxr.resample(np.asarray(x, np.float32), self.rate_in, self.rate_out,
                      quality=QUALITY)
    block = np.asarray(y[grid.margin_out:grid.margin_out + grid.block_out],
                       np.float32)
    self._cache[j] = block
    while len(self._cache) > self._cached_blocks:
      self._cache.popitem(last=False)
    return block


def _integer_rate(rate):
  if rate <= 0 or int(rate) != rate:
    raise ValueError(f'sample rates must be positive whole numbers of Hz, '
                     f'got {rate}.')
  return int(rate)


def _zero_outside(samples, start, n_valid):
  """Zeros the samples of `samples` (starting at `start`) past `n_valid`."""
  samples = np.array(samples, np.float32)
  samples[max(n_valid - start, 0):] = 0.0
  samples[:max(-start, 0)] = 0.0
  return samples


def resample(audio, rate_in, rate_out):
  """Resamples audio held in memory (same numbers as a streamed file).

  Args:
    audio: float `[n_samples]` or `[n_channels, n_samples]`.
    rate_in: its sample rate (Hz).
    rate_out: the wanted sample rate (Hz).

  Returns:
    float32 `[n_out]` or `[n_channels, n_out]`, with
    n_out = floor(n_samples * rate_out / rate_in).
  """
  audio = np.asarray(audio, np.float32)
  if audio.ndim not in (1, 2):
    raise ValueError('audio must be [n_samples] or [n_channels, n_samples], '
                     f'got shape {audio.shape}.')
  signal = audio if audio.ndim == 1 else audio.T  # Time first.
  n_in = signal.shape[0]

  def read(start, stop):
    out = np.zeros((stop - start,) + signal.shape[1:], np.float32)
    lo, hi = max(start, 0), min(stop, n_in)
    if hi > lo:
      out[lo - start:hi - start] = signal[lo:hi]
    return out

  resampler = Resampler(read, n_in, rate_in, rate_out)
  out = resampler.range(0, resampler.n_samples)
  return out if audio.ndim == 1 else out.T
