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

"""Files that appear whole or not at all: the one atomic writer.

Every command writing audio, models or metadata writes through here. The
bytes go to a temporary file in the folder of the final file; once it is
complete it is flushed to disk (fsync), given the permissions a file
created with `open(path, 'w')` would get (0o666 & ~umask; `mkstemp` makes
its files 0o600), and renamed to its name (`os.replace`, atomic on POSIX
and Windows), and the folder entry is synced. A failure before the rename
removes the temporary file, and a file already at the name stays as it was.

Paths with a scheme (`gs://`, `ram://`, any `scheme://`) go through
`tf.io.gfile`: the temporary file is written with it and renamed with
`tf.io.gfile.rename(overwrite=True)`; permissions and fsync do not apply.
"""

import contextlib
import os
from typing import Iterator
import uuid

import tensorflow as tf

TEMPORARY_SUFFIX = '.partial'


def is_remote(path: str) -> bool:
  """True for a path with a scheme (`gs://...`), written with tf.io.gfile."""
  return '://' in path


def temporary_name(path: str) -> str:
  """A new hidden name next to `path`, keeping its extension last.

  `<folder>/<name>.wav` -> `<folder>/.<name>.<32 hex>.partial.wav`, so a
  writer choosing its format from the extension (soundfile) still can.
  """
  folder, name = os.path.split(path)
  stem, ext = os.path.splitext(name)
  return os.path.join(
      folder, f'.{stem}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}{ext}')


def default_permissions() -> int:
  """Mode of a file made by `open(path, 'w')`: 0o666 & ~umask."""
  # The umask can only be read by setting it; it is set back at once.
  umask = os.umask(0o022)
  os.umask(umask)
  return 0o666 & ~umask


@contextlib.contextmanager
def temporary_path(path: str) -> Iterator[str]:
  """Yields a temporary path that becomes `path` when the block succeeds.

  Write the whole file at the yielded path (any writer: `open`, soundfile,
  a streamed writer, `tf.io.gfile.GFile` for remote paths). On leaving the
  block normally the file replaces `path`; on an exception it is removed
  and `path` is left untouched.

  Args:
    path: The final file. Its folder must exist.

  Yields:
    The temporary path, in the same folder as `path`.
  """
  temporary = temporary_name(path)
  try:
    yield temporary
    move_into_place(temporary, path)
  except BaseException:
    _remove_if_present(temporary)
    raise


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path` atomically (see the module docstring)."""
  with temporary_path(path) as temporary:
    with tf.io.gfile.GFile(temporary, 'wb') as f:
      f.write(data)


def move_into_place(source: str, path: str) -> None:
  """Renames a complete file `source` to `path`, durably.

  Local: fsync the file, set `default_permissions()`, `os.replace`, fsync
  the folder. Remote: `tf.io.gfile.rename(overwrite=True)`. `source` must
  be on the filesystem of `path` (`os.replace` cannot cross filesystems).
  """
  if is_remote(path):
    tf.io.gfile.rename(source, path, overwrite=True)
    return
  _sync_file(source)
  os.chmod(source, default_permissions())
  os.replace(source, path)
  sync_folder(os.path.dirname(path))


def _sync_file(path: str) -> None:
  """Flushes the file's data to disk."""
  fd = os.open(path, os.O_RDONLY)
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def sync_folder(folder: str) -> None:
  """fsyncs a folder, so a rename in it survives a power cut (POSIX)."""
  if os.name != 'posix':
    return
  fd = os.open(folder or '.', os.O_RDONLY)
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def _remove_if_present(path: str) -> None:
  """Deletes `path` if a writer created it (local or remote)."""
  if is_remote(path):
    if tf.io.gfile.exists(path):
      tf.io.gfile.remove(path)
  elif os.path.lexists(path):
    os.remove(path)
