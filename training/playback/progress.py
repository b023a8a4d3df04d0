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

"""Progress on stderr: amount done, total, rate and time left.

Bytes of a download by default; any amount with its own `formatter` (e.g.
`format_audio_seconds` for seconds of audio rendered).

On a terminal the line redraws in place; in a log (stderr not a terminal)
a line is printed at most every `LOG_INTERVAL_SECONDS`, and one at the end.
tqdm is not a dependency of this project, so this is a small one of its own.
"""

import sys
import time
from typing import Callable, Optional

REDRAW_SECONDS = 0.2
LOG_INTERVAL_SECONDS = 10.0
_UNITS = ('B', 'kB', 'MB', 'GB', 'TB')


def format_size(n_bytes: Optional[float]) -> str:
  """`1.5 MB` (decimal units); '?' when unknown."""
  if n_bytes is None:
    return '?'
  size = float(n_bytes)
  for unit in _UNITS:
    if size < 1000 or unit == _UNITS[-1]:
      return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
    size /= 1000
  raise AssertionError('unreachable')


def format_audio_seconds(seconds: Optional[float]) -> str:
  """`12.5 s` of audio; '?' when unknown."""
  return '?' if seconds is None else f'{seconds:.1f} s'


def format_seconds(seconds: float) -> str:
  """`1:05` or `2:03:04`."""
  minutes, secs = divmod(int(round(seconds)), 60)
  hours, minutes = divmod(minutes, 60)
  if hours:
    return f'{hours}:{minutes:02d}:{secs:02d}'
  return f'{minutes}:{secs:02d}'


class ProgressBar:
  """Progress of one file; `update` with bytes received, then `close`.

  Args:
    label: What is downloaded (shown at the start of the line).
    total: Bytes of the whole file (None when the host does not say).
    done: Bytes already there (a resumed download).
    enabled: False draws nothing.
    clock: Seconds of a monotonic clock.
    formatter: Amount -> text (default: bytes).
  """

  def __init__(self, label: str, total: Optional[int], done: int = 0,
               enabled: bool = True,
               clock: Callable[[], float] = time.monotonic,
               formatter: Callable[[Optional[float]], str] = format_size):
    self.label = label
    self.total = total
    self.done = done
    self.enabled = enabled
    self._clock = clock
    self._format = formatter
    self._start_done = done
    self._start = clock()
    self._last_draw = float('-inf')
    self._terminal = sys.stderr.isatty()

  def rate(self) -> float:
    """Bytes per second received since the start."""
    elapsed = self._clock() - self._start
    return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

  def line(self) -> str:
    """`label  45% 8.1 MB/18.0 MB 2.3 MB/s ETA 0:04`."""
    parts = [self.label]
    if self.total:
      parts.append(f'{100 * self.done / self.total:3.0f}%')
    parts.append(f'{self._format(self.done)}/{self._format(self.total)}')
    rate = self.rate()
    parts.append(f'{self._format(rate)}/s')
    if self.total and rate > 0:
      left = max(0, self.total - self.done) / rate
      parts.append(f'ETA {format_seconds(left)}')
    return ' '.join(parts)

  def update(self, n_bytes: int) -> None:
    self.done += n_bytes
    interval = REDRAW_SECONDS if self._terminal else LOG_INTERVAL_SECONDS
    if self._clock() - self._last_draw >= interval:
      self._draw(end='')

  def close(self) -> None:
    self._draw(end='\n')

  def _draw(self, end: str) -> None:
    if not self.enabled:
      return
    self._last_draw = self._clock()
    if self._terminal:
      sys.stderr.write('\r' + self.line() + '\x1b[K' + end)
    else:
      sys.stderr.write(self.line() + '\n')
    sys.stderr.flush()
