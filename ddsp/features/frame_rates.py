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


"""Frame rates: which ones give a whole number of samples per frame.

A frame rate is usable for a dataset or a model at `sample_rate` when the
hop is a whole number of samples both at `sample_rate` (the audio and the
synthesizers) and at CREPE's 16 kHz (f0 and loudness are computed there):

  sample_rate / frame_rate  and  16000 / frame_rate  are integers.

So the valid whole-number frame rates are the divisors of
gcd(sample_rate, 16000): every divisor of 16000 at 16 or 48 kHz, but only
1, 2, 4, 5, 10, 20, 25, 50 and 100 at 44.1 kHz.

The hop of a valid rate (`hop_size`, checked whole) and the frame rate of a
hop (`frame_rate_of`) are computed here. Code below this layer (spectral
ops, CREPE) and the original's models floor the quotient instead
(`ddsp.framing.floor_hop`), which is the same number for valid rates.
"""

import math

from ddsp import crepe_frontend
from ddsp import errors

_TOLERANCE = 1e-6


def _whole_hop(sample_rate, frame_rate):
  """True when sample_rate / frame_rate is (within 1e-6) an integer."""
  hop = sample_rate / frame_rate
  return abs(hop - round(hop)) <= _TOLERANCE * max(1.0, hop)


def nearby_frame_rates(sample_rate, frame_rate, n_each_side=2):
  """Valid whole-number frame rates closest to `frame_rate`, ascending.

  Args:
    sample_rate: audio rate in Hz.
    frame_rate: the wanted frame rate.
    n_each_side: how many to list below and above `frame_rate`.

  Returns:
    List of ints (divisors of gcd(sample_rate, 16000)).
  """
  common = math.gcd(int(round(sample_rate)), crepe_frontend.SAMPLE_RATE)
  divisors = [d for d in range(1, common + 1) if common % d == 0]
  below = [d for d in divisors if d < frame_rate][-n_each_side:]
  above = [d for d in divisors if d > frame_rate][:n_each_side]
  return below + above


def _hop_error(sample_rate, frame_rate, rate):
  """ValueError for a fractional hop at `rate`, listing nearby frame rates."""
  nearby = ', '.join(
      str(r) for r in nearby_frame_rates(sample_rate, frame_rate))
  return errors.BadValueError(
      f'frame_rate {frame_rate:g} gives a hop of {rate / frame_rate:g} '
      f'samples at {rate:g} Hz. The hop must be a whole number of samples '
      f'both at the sample rate ({sample_rate:g} Hz) and at CREPE\'s '
      f'{crepe_frontend.SAMPLE_RATE} Hz, where f0 and loudness are computed. '
      f'Nearby valid frame rates at {sample_rate:g} Hz: {nearby}.')


def check_frame_rate(sample_rate, frame_rate):
  """Raises ValueError unless `frame_rate` gives whole hops (see module).

  The message names the hop that is not whole and lists nearby valid frame
  rates; command lines call this at start-up.

  Args:
    sample_rate: audio rate in Hz.
    frame_rate: frames per second.

  Raises:
    ValueError: the rates are not positive, or a hop is fractional.
  """
  if not sample_rate or sample_rate <= 0:
    raise errors.BadValueError(
        f'sample_rate must be positive, got {sample_rate}.')
  if not frame_rate or frame_rate <= 0:
    raise errors.BadValueError(
        f'frame_rate must be positive, got {frame_rate}.')
  for rate in (sample_rate, crepe_frontend.SAMPLE_RATE):
    if not _whole_hop(rate, frame_rate):
      raise _hop_error(sample_rate, frame_rate, rate)


def frame_rate_of(sample_rate, hop_size):
  """Frames per second of a hop: frame_rate = sample_rate / hop_size."""
  return sample_rate / hop_size


def hop_size(sample_rate, frame_rate):
  """Samples per frame, sample_rate / frame_rate, if a whole number.

  Only `sample_rate` is checked here; datasets use `check_frame_rate`.

  Raises:
    ValueError: the hop is fractional.
  """
  if not _whole_hop(sample_rate, frame_rate):
    raise _hop_error(sample_rate, frame_rate, sample_rate)
  return int(round(sample_rate / frame_rate))
