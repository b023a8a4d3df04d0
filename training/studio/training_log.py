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

"""Progress of a training run, read from `ddsp_run --alsologtostderr`'s log.

`ddsp_run` (training.train_util) logs a line per step and one per summary
step with the run's health:

  ... step: 12	spectral_loss: 15.23	total_loss: 15.23	...
  ... Health at step 50: harmonic amp 0.12 | harmonic/noise 3.2 dB | ...

The studio runs training as a subprocess and reads these lines back (it
imports nothing of the training loop).
"""

import re
from typing import Any, Dict, List

MAX_POINTS = 400
_STEP = re.compile(r'\bstep: (\d+)\t.*?\btotal_loss: ([-+\w.]+)')
_HEALTH = re.compile(r'Health at step (\d+):.*?harmonic/noise (-?[\d.]+|'
                     r'-?inf|nan) dB')
_ERROR = re.compile(r'^ddsp_\w+: error: .*')


def _thin(points: List[List[float]]) -> List[List[float]]:
  """At most MAX_POINTS of `points`, evenly spread, the last kept."""
  if len(points) <= MAX_POINTS:
    return points
  stride = -(-len(points) // MAX_POINTS)
  thinned = points[::stride]
  if thinned[-1] is not points[-1]:
    thinned.append(points[-1])
  return thinned


def read(text: str) -> Dict[str, Any]:
  """{'step': last step or 0, 'loss': [[step, total loss]], 'health':
  [[step, harmonic-to-noise dB]]} of a log's text."""
  loss = [[int(s), float(v)] for s, v in _STEP.findall(text)]
  health = [[int(s), float(v)] for s, v in _HEALTH.findall(text)]
  return {'step': loss[-1][0] if loss else 0, 'loss': _thin(loss),
          'health': _thin(health)}


def error_of(text: str) -> str:
  """The `<program>: error: ...` paragraph a command ended with, or ''."""
  lines = text.rstrip('\n').splitlines()
  for i in range(len(lines) - 1, -1, -1):
    if _ERROR.match(lines[i]):
      return ' '.join([lines[i]] + [l.strip() for l in lines[i + 1:]
                                    if l.startswith('  ')])
  return ''
