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

"""The catalogue as a text table: name, kind, size, licence, cache state."""

from typing import List, Sequence

from ddsp.training.playback import instrument_cache
from ddsp.training.playback import progress

HEADER = ('name', 'kind', 'size', 'licence', 'cached', 'path')


def _row(entry: instrument_cache.Entry) -> List[str]:
  instrument = entry.instrument
  return [instrument.name, instrument.kind, progress.format_size(entry.size),
          instrument.licence, 'yes' if entry.cached else 'no', entry.path]


def text_table(entries: Sequence[instrument_cache.Entry]) -> List[str]:
  """Lines of a table with aligned columns, header first.

  The size of an instrument not yet downloaded is '?' when the catalogue
  does not know it (the host lists it at download time).
  """
  rows = [list(HEADER)] + [_row(e) for e in entries]
  widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
  return ['  '.join(cell.ljust(width) for cell, width in zip(row, widths))
          .rstrip() for row in rows]
