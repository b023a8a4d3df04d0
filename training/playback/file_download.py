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

"""One object downloaded to one file: resumed, verified, placed atomically.

The bytes arrive in `<file>.partial` next to the file. A connection cut
mid-body keeps them: the next attempt (`ATTEMPTS` in one call, or the next
call) asks for the rest with `Range: bytes=N-` and appends a 206 answer; a
200 answer (a host that ignores ranges) starts again from byte 0. The md5
of the whole file is computed as it arrives and compared with the one the
host publishes (the listing's `md5Hash`, the `x-goog-hash` header); a file
that does not match is deleted, never placed. The crc32c the host also
publishes is not checked: no library for it is a dependency, and a
pure-Python one takes about 0.2 s per megabyte on a 2-core x86-64 CPU
(hashlib's md5 about 1.5 ms); md5 is enough when published (a host
publishing none gets its sizes checked, and a warning). A verified file
is fsynced and moved to its name with `os.replace`
(`ddsp.atomic_files.move_into_place`), so the name only ever holds a whole,
verified file.
"""

import dataclasses
import hashlib
import http.client
import os
import re
from typing import Any, Optional

from absl import logging
from ddsp import atomic_files
from ddsp import errors
from ddsp.training.playback import catalogue
from ddsp.training.playback import progress
from ddsp.training.playback import storage_http

PARTIAL_SUFFIX = '.partial'
ATTEMPTS = 3
CHUNK_BYTES = 1 << 16


class CorruptDownloadError(errors.UserError, OSError):
  """The bytes received do not match the size or md5 the host publishes."""


class InterruptedDownloadError(errors.UserError, OSError):
  """The connection was cut on every attempt; what arrived is kept."""


class _Interrupted(Exception):
  """The body ended early or the connection failed mid-body."""


@dataclasses.dataclass(frozen=True)
class _Received:
  """What one complete response delivered into the partial file."""
  md5: str  # base64 md5 of the whole partial file.
  published_md5: str  # x-goog-hash's md5, '' when absent.
  size: Optional[int]  # Bytes the host announced for the whole file.


def partial_path(path: str) -> str:
  """Where the bytes of `path` arrive before they are verified."""
  return path + PARTIAL_SUFFIX


def file_md5(path: str, n_bytes: Optional[int] = None) -> Any:
  """md5 of a file's first `n_bytes` (all of it when None)."""
  digest = hashlib.md5()
  left = os.path.getsize(path) if n_bytes is None else n_bytes
  with open(path, 'rb') as f:
    while left > 0:
      chunk = f.read(min(CHUNK_BYTES, left))
      if not chunk:
        break
      digest.update(chunk)
      left -= len(chunk)
  return digest


def download(url: str, path: str, size: Optional[int] = None, md5: str = '',
             show_progress: bool = True) -> str:
  """Downloads `url` to `path` (resuming `<path>.partial`); -> `path`.

  Args:
    url: The object's URL.
    path: Its file; its folder must exist.
    size: Bytes the host lists for it (None: trust Content-Length).
    md5: base64 md5 the host lists for it ('' when none).
    show_progress: Draw a progress bar on stderr.

  Raises:
    CorruptDownloadError: size or md5 differ from the published ones.
    InterruptedDownloadError: every attempt was cut off.
    storage_http's errors: no network, HTTP error statuses.
  """
  partial = partial_path(path)
  label = os.path.basename(path)
  for attempt in range(1, ATTEMPTS + 1):
    try:
      received = _receive(url, partial, label, show_progress)
      break
    except _Interrupted as e:
      if attempt == ATTEMPTS:
        raise InterruptedDownloadError(
            f'The download of {url} was cut off {ATTEMPTS} times ({e}). '
            f'What arrived is kept in {partial}: run the same command '
            'again to resume.') from e
      logging.warning('Download of %s cut off (%s): resuming from byte %d.',
                      url, e, _partial_size(partial))
  _verify(url, partial, received, size, md5)
  _place(partial, path)
  return path


def _partial_size(partial: str) -> int:
  return os.path.getsize(partial) if os.path.exists(partial) else 0


def _receive(url: str, partial: str, label: str,
             show_progress: bool) -> _Received:
  """One request for the rest of the file; appends it to `partial`."""
  have = _partial_size(partial)
  headers = {'Range': f'bytes={have}-'} if have else {}
  try:
    response = storage_http.open_url(url, headers)
  except storage_http.ServerError as e:
    if e.status != 416:  # 416: nothing left after byte `have`.
      raise
    os.remove(partial)
    raise _Interrupted('the partial file was not a prefix; starting over')
  with response:
    start = _start_of_body(response, have, partial)
    length = response.headers.get('Content-Length')
    total = start + int(length) if length is not None else None
    bar = progress.ProgressBar(label, total, done=start,
                               enabled=show_progress)
    try:
      digest = _append_body(response, partial, start, bar)
    finally:
      bar.close()
  if total is not None and bar.done != total:
    raise _Interrupted(f'{bar.done} of {total} bytes arrived')
  return _Received(md5=storage_http.md5_to_base64(digest.digest()),
                   published_md5=storage_http.published_md5(response.headers),
                   size=total)


def _start_of_body(response: http.client.HTTPResponse, have: int,
                   partial: str) -> int:
  """Byte of the whole file the body starts at (0 unless a fitting 206)."""
  if response.status != 206:
    return 0
  match = re.match(r'bytes (\d+)-', response.headers.get('Content-Range', ''))
  if not match or int(match.group(1)) != have:
    os.remove(partial)
    raise _Interrupted('the host answered another range; starting over')
  return have


def _append_body(response: http.client.HTTPResponse, partial: str, start: int,
                 bar: progress.ProgressBar) -> Any:
  """Writes the body after byte `start` of `partial`; -> md5 of the file."""
  digest = file_md5(partial, start) if start else hashlib.md5()
  with open(partial, 'r+b' if start else 'wb') as f:
    f.seek(start)
    f.truncate()
    try:
      while True:
        chunk = response.read(CHUNK_BYTES)
        if not chunk:
          break
        f.write(chunk)
        digest.update(chunk)
        bar.update(len(chunk))
    except (OSError, http.client.HTTPException) as e:
      raise _Interrupted(f'{type(e).__name__}: {e}') from e
    finally:
      f.flush()
      os.fsync(f.fileno())
  return digest


def _verify(url: str, partial: str, received: _Received,
            size: Optional[int], md5: str) -> None:
  """Deletes `partial` and raises unless it is the published file."""
  actual_size = os.path.getsize(partial)
  problems = []
  for expected in {size, received.size} - {None}:
    if actual_size != expected:
      problems.append(f'{actual_size} bytes instead of {expected}')
  for expected in {md5, received.published_md5} - {''}:
    if received.md5 != expected:
      problems.append(f'md5 {received.md5} instead of {expected}')
  if not md5 and not received.published_md5:
    logging.warning('%s publishes no md5: only its size was checked.', url)
  if problems:
    os.remove(partial)
    raise CorruptDownloadError(
        f'The download of {url} is damaged ({"; ".join(problems)}) and was '
        'deleted. Run the command again; if it fails the same way, the '
        'host serves a damaged copy: set '
        f'{catalogue.BASE_URL_VARIABLE} to another mirror.')


def _place(partial: str, path: str) -> None:
  """Moves the verified file to its name (`atomic_files.move_into_place`)."""
  atomic_files.move_into_place(partial, path)
