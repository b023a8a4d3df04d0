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

"""The stereo mix of parts: gain, pan law, aligned blocks, headroom rule.

* Gain and pan: part i goes to the left and right channels with
  g_i * (cos(theta_i), sin(theta_i)), g_i = 10^(gain_db / 20),
  theta_i = (pan_i + 1) * pi / 4 (constant power: a centred part is at
  -3 dB in each channel, the same power anywhere between -1 and 1).
* Aligned blocks: each part's synthesis yields blocks of its own lengths;
  `aligned` cuts them to common lengths, a part that has ended giving
  silence.
* Headroom rule: the mix is never distorted by a limiter. The whole piece is
  rendered first (to a temporary file), then scaled by one gain,
  s = min(1, 10^(CEILING_DB / 20) / peak), with the peak over the mix and
  the stems: nothing clips, nothing is made louder, the balance between
  parts and the dynamics are kept, and the stems still sum to the mix.
"""

from typing import Iterable, Iterator, List

from ddsp import errors
import numpy as np

CEILING_DB = -1.0  # Highest peak of a mix or stem, dB full scale.


def check_pan(pan: float, name: str = 'pan') -> None:
  """Refuses a pan outside [-1, 1] (hard left to hard right)."""
  if not -1.0 <= pan <= 1.0:
    raise errors.BadValueError(f'{name} {pan} is out of range: a pan goes '
                               'from -1 (left) through 0 (centre) to 1 '
                               '(right).')


def check_gain(gain_db: float, name: str = 'gain') -> None:
  """Refuses a gain that is not a finite number of dB."""
  if not np.isfinite(gain_db):
    raise errors.BadValueError(f'{name} {gain_db} dB is not a finite '
                               'number: give decibels, e.g. -6.')


def channel_gains(gain_db: float, pan: float) -> np.ndarray:
  """[left, right] gains of a part: 10^(gain_db / 20) * (cos t, sin t),
  t = (pan + 1) * pi / 4."""
  check_pan(pan)
  check_gain(gain_db)
  theta = (pan + 1.0) * np.pi / 4.0
  return (10.0**(gain_db / 20.0) *
          np.array([np.cos(theta), np.sin(theta)])).astype(np.float32)


def headroom_scale(peak: float, ceiling_db: float = CEILING_DB) -> float:
  """The one gain of the mix: s = min(1, 10^(ceiling_db / 20) / peak)."""
  ceiling = 10.0**(ceiling_db / 20.0)
  return 1.0 if peak <= ceiling else ceiling / peak


def aligned(streams: List[Iterable[np.ndarray]]
           ) -> Iterator[List[np.ndarray]]:
  """Blocks of several streams cut to common lengths.

  Args:
    streams: Iterables of float32 [n] blocks, any lengths.

  Yields:
    One float32 [m] block per stream, all of one length m; a stream that
    has ended gives zeros until every stream has. The concatenated blocks
    are as long as the longest stream.
  """
  iterators = [iter(s) for s in streams]
  buffers = [np.zeros([0], np.float32) for _ in streams]
  live = [True] * len(streams)
  while True:
    for i, it in enumerate(iterators):
      while live[i] and not buffers[i].size:
        try:
          buffers[i] = np.asarray(next(it), np.float32).reshape([-1])
        except StopIteration:
          live[i] = False
    sizes = [b.size for b, alive in zip(buffers, live) if alive]
    m = min(sizes) if sizes else max(b.size for b in buffers)
    if not m:
      return
    out = [np.pad(b[:m], (0, m - b[:m].size)) for b in buffers]
    buffers = [b[m:] for b in buffers]
    yield out
