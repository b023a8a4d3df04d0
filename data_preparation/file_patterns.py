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

"""Input files of a dataset: glob patterns to a list of audio files.

Patterns are globbed with `tf.io.gfile` (local paths, gs://, ...). Hidden
files and folders that only a wildcard matched are left out, so that
'/data/*/*.wav' does not pick up '/data/.ipynb_checkpoints/a.wav', while an
explicit '/data/.cache/*.wav' still reads that folder.
"""

from typing import List, Sequence

from absl import logging
import tensorflow as tf


def _is_hidden(part: str) -> bool:
  return part.startswith('.') and part not in ('.', '..')


def hidden_below_pattern(path: str, pattern: str) -> bool:
  """True if a name of `path` starting with '.' came from a wildcard.

  Args:
    path: A path `pattern` matched.
    pattern: The glob pattern.

  Returns:
    Whether a hidden folder or file of `path` is not spelled out in
    `pattern`.
  """
  path_parts = path.replace('\\', '/').split('/')
  pattern_parts = pattern.replace('\\', '/').split('/')
  if len(path_parts) != len(pattern_parts):
    return any(_is_hidden(p) for p in path_parts[len(pattern_parts) - 1:])
  return any(_is_hidden(p) and not q.startswith('.')
             for p, q in zip(path_parts, pattern_parts))


def expand_filepatterns(filepatterns: Sequence[str]) -> List[str]:
  """Globs every pattern; drops hidden matches, folders and repeats.

  Args:
    filepatterns: Glob patterns.

  Returns:
    Matching files, sorted within each pattern, in pattern order.
  """
  paths = []
  seen = set()
  for pattern in filepatterns:
    matches = tf.io.gfile.glob(pattern)
    if not matches:
      logging.warning('No files match %s', pattern)
    for path in sorted(matches):
      if path in seen or hidden_below_pattern(path, pattern):
        continue
      if tf.io.gfile.isdir(path):
        continue
      seen.add(path)
      paths.append(path)
  return paths
