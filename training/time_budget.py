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

"""A wall-clock budget for training (`ddsp_run --train_minutes=N`).

The budget starts when it is made and ends `minutes` later on a monotonic
clock. `ddsp_run` makes one per invocation, before the model is built, so a
run restarted after a harmonic collapse spends what is left of the same
budget, and a resumed run (re-running the command) gets a fresh one. The
training loop checks it after every step: the step in flight always
finishes, then the loop saves a checkpoint and stops.
"""

import datetime
import time
from typing import Callable, Optional


class TimeBudget(object):
  """`minutes` of wall-clock time from now.

  remaining = max(0, start + 60 * minutes - now).
  """

  def __init__(self, minutes: float,
               clock: Callable[[], float] = time.monotonic):
    """Starts the budget.

    Args:
      minutes: Length of the budget in minutes, > 0.
      clock: Seconds on a clock that never goes back (injectable for tests).

    Raises:
      ValueError: `minutes` is not a positive number.
    """
    if not minutes > 0:
      raise ValueError(f'The training time budget must be a positive number '
                       f'of minutes, got {minutes!r}: pass e.g. '
                       '--train_minutes=10, or leave the flag out to train '
                       'until train.num_steps.')
    self.minutes = float(minutes)
    self._clock = clock
    self._end = clock() + 60.0 * self.minutes

  def remaining_secs(self) -> float:
    """Seconds left, 0 once the budget has ended."""
    return max(self._end - self._clock(), 0.0)

  def expired(self) -> bool:
    """True once the budget has ended."""
    return self.remaining_secs() <= 0.0

  def describe(self) -> str:
    """'time left 0:04:10' (whole seconds, rounded up)."""
    secs = -int(-self.remaining_secs() // 1)  # ceil without math.
    return f'time left {datetime.timedelta(seconds=secs)}'


def from_minutes(minutes: Optional[float]) -> Optional[TimeBudget]:
  """A budget of `minutes`, or None (no budget) when `minutes` is None."""
  return None if minutes is None else TimeBudget(minutes)
