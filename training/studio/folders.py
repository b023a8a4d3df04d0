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

"""The studio's folders and the one rule for paths: nothing outside them.

The studio reads and writes only in three folders: the models folder (the
user's instruments), the instrument cache (named instruments, downloaded
once) and the work folder (uploads, jobs and their results, unpacked zips,
temporary files). Every path built from a request goes through `inside`,
which resolves links and `..` and refuses whatever lands outside its root;
every name from a request goes through `sanitize` first.
"""

import dataclasses
import os
import re

from ddsp import errors
from ddsp.training import output_paths
from ddsp.training.playback import instrument_cache

MAX_NAME_CHARS = 80
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')


class OutsideError(errors.BadValueError):
  """A requested path that is not inside the folder it must be in."""


@dataclasses.dataclass(frozen=True)
class Folders:
  """Absolute, resolved folders of a studio."""
  models: str
  work: str
  cache: str

  @property
  def uploads(self) -> str:
    return os.path.join(self.work, 'uploads')

  @property
  def jobs(self) -> str:
    return os.path.join(self.work, 'jobs')

  @property
  def unpacked(self) -> str:
    """Zips of the models folder, unpacked to be played."""
    return os.path.join(self.work, 'unpacked')

  @property
  def tmp(self) -> str:
    """Temporary files of the studio and of the commands it runs."""
    return os.path.join(self.work, 'tmp')

  def roots(self):
    return (self.models, self.work, self.cache)


def make(models: str, work: str, cache: str = '') -> Folders:
  """Creates (if needed) and resolves the studio's folders.

  Args:
    models: Folder of the user's instruments (--models).
    work: Work folder (--work_dir).
    cache: Instrument cache (default: $DDSP_CACHE or ~/.cache/ddsp).

  Returns:
    Folders.

  Raises:
    errors.MissingPathError: the models folder does not exist.
    errors.UnwritablePathError: a folder cannot be created or written.
  """
  if not os.path.isdir(models):
    raise errors.MissingPathError(
        f'--models={models} is not a folder: give the folder holding your '
        'instruments (model folders, zips, .tflite files), e.g. '
        '--models=demo_output after scripts/demo.sh.')
  cache = cache or instrument_cache.cache_root()
  output_paths.check_folder(work, 'work_dir')
  output_paths.check_folder(cache, 'DDSP_CACHE')
  folders = Folders(*(os.path.realpath(os.path.expanduser(f))
                      for f in (models, work, cache)))
  for folder in (folders.work, folders.uploads, folders.jobs,
                 folders.unpacked, folders.tmp):
    os.makedirs(folder, exist_ok=True)
  return folders


def sanitize(name: str) -> str:
  """A safe file name from a user's: no folders, no leading dots.

  'C:\\x\\..\\my voice (1).wav' -> 'my_voice_1.wav'; never empty, at most
  MAX_NAME_CHARS characters (the extension kept).
  """
  base = re.split(r'[\\/]', name or '')[-1]
  stem, ext = os.path.splitext(base)
  stem = _UNSAFE.sub('_', stem).strip('._') or 'file'
  ext = _UNSAFE.sub('', ext)[:10].lower()
  return stem[:MAX_NAME_CHARS - len(ext)] + ext


def inside(root: str, *parts: str) -> str:
  """`root` joined with `parts`, refused when it resolves outside `root`.

  Raises:
    OutsideError: an absolute part, `..` or a link leading out of `root`.
  """
  root = os.path.realpath(root)
  path = os.path.realpath(os.path.join(root, *parts))
  if os.path.commonpath([root, path]) != root:
    raise OutsideError(f'{os.path.join(*parts)!r} is not inside the '
                       'studio\'s folders: give a plain file name.')
  return path
