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

"""Where the commands write: refused before any work, nothing left on failure.

* `check_file` / `check_folder` refuse, before any work, an output path
  that cannot be written: one under a regular file, in a folder the user may
  not write in, a folder where a file is wanted or a file where a folder is
  wanted. They create nothing. A remote path (gs://...) is checked by
  writing and removing a probe file in its folder.
* `new_folders_removed` removes the folders a call made for its output
  when the call fails (with what they hold: half-written output) or when
  they end up empty. A folder that existed before the call is never
  touched.

The errors are `errors.UnwritablePathError`, naming the flag and the path.
"""

import contextlib
import os
from typing import Callable, Iterator, List, Optional
import uuid

from ddsp import errors
import tensorflow as tf


def _is_remote(path: str) -> bool:
  return '://' in path


def _refuse(flag: str, path: str, reason: str) -> None:
  raise errors.UnwritablePathError(
      f'Cannot write --{flag}={path}: {reason}; give a path in a folder you '
      'can write to.')


def _nearest_existing(path: str) -> str:
  """`path`, or its closest parent that exists."""
  path = os.path.abspath(path)
  while not os.path.lexists(path) and os.path.dirname(path) != path:
    path = os.path.dirname(path)
  return path


def _probe(folder: str) -> Optional[str]:
  """Why a remote folder cannot be written (a probe file fails), or None."""
  probe = f'{folder.rstrip("/")}/.ddsp-write-probe-{uuid.uuid4().hex}'
  try:
    with tf.io.gfile.GFile(probe, 'w') as f:
      f.write('')
    tf.io.gfile.remove(probe)
  except Exception as e:  # pylint: disable=broad-except
    lines = str(e).strip().splitlines()
    return lines[-1] if lines else type(e).__name__
  return None


def _folder_problem(folder: str) -> Optional[str]:
  """Why `folder` could not be created or written in, or None."""
  if _is_remote(folder):
    return _probe(folder)
  existing = _nearest_existing(folder)
  if not os.path.isdir(existing):
    return f'{existing} is a file, not a folder'
  if not os.access(existing, os.W_OK | os.X_OK):
    return f'no permission to write in {existing}'
  return None


def check_folder(folder: str, flag: str) -> None:
  """Refuses a folder the command could not create or write in.

  Args:
    folder: Output folder (it may not exist yet).
    flag: The flag that named it, for the message.

  Raises:
    errors.UnwritablePathError: why the folder cannot be written.
  """
  problem = _folder_problem(folder)
  if problem:
    _refuse(flag, folder, problem)


def check_file(path: str, flag: str) -> None:
  """Refuses a file (or file name prefix) the command could not write.

  Args:
    path: Output file; its folder may not exist yet.
    flag: The flag that named it, for the message.

  Raises:
    errors.UnwritablePathError: why the file cannot be written.
  """
  problem = None
  if not _is_remote(path):
    if os.path.isdir(path):
      problem = 'it is a folder, not a file name'
    elif os.path.exists(path) and not os.access(path, os.W_OK):
      problem = 'the file is read-only'
  problem = problem or _folder_problem(os.path.dirname(path) or '.')
  if problem:
    _refuse(flag, path, problem)


def _missing_folders(folder: str) -> List[str]:
  """`folder` and its parents that do not exist yet, deepest first."""
  if not folder or _is_remote(folder):
    return [folder] if folder and not tf.io.gfile.exists(folder) else []
  missing = []
  folder = os.path.abspath(folder)
  while not os.path.lexists(folder) and os.path.dirname(folder) != folder:
    missing.append(folder)
    folder = os.path.dirname(folder)
  return missing


@contextlib.contextmanager
def new_folders_removed(
    folder: str,
    keep: Optional[Callable[[str], bool]] = None) -> Iterator[None]:
  """Removes the folders the call makes for `folder` on failure, or if empty.

  Args:
    folder: The output folder of the call (it may not exist yet).
    keep: On failure, a new `folder` for which `keep(folder)` is true stays
      (e.g. one holding a checkpoint worth resuming from).

  Yields:
    Nothing; the call runs in the context.
  """
  new = _missing_folders(folder)
  try:
    yield
  except Exception:
    if new and tf.io.gfile.exists(new[-1]) and not (
        keep and tf.io.gfile.exists(folder) and keep(folder)):
      tf.io.gfile.rmtree(new[-1])
    raise
  for path in new:  # Deepest first: a parent empties after its child.
    if not _is_remote(path) and os.path.isdir(path) and not os.listdir(path):
      os.rmdir(path)
