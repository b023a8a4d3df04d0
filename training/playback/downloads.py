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

"""Instruments by name, downloaded on first use into the cache.

  path = downloads.fetch('violin')       # a checkpoint folder
  path = downloads.fetch('vst:Flute')    # a .tflite file

A cached instrument is returned without any network call. Otherwise:

* a checkpoint folder is listed through Cloud Storage's JSON API and each
  object downloaded (resumed, verified against the listed size and md5)
  into the staging folder, which becomes the instrument once complete. A
  host that refuses the listing (HTTP 401/403) is logged, and the
  instrument's zip is downloaded and unpacked instead when it has one;
* the DDSP-VST models come in one zip: the first of them fetched unpacks
  all eleven into the cache, each file placed whole.

Errors the user can act on (`ddsp.errors.UserError`): an unknown name
(`catalogue.UnknownInstrumentError`, with the closest names), no network,
a missing object or folder (404) and a refused request (`storage_http`), a
damaged or cut-off download (`file_download`).
"""

import contextlib
import os
import shutil
import sys
from typing import Dict, Iterator, List, Optional, Union
import zipfile

from absl import logging
from ddsp import atomic_files
from ddsp.training import output_paths
from ddsp.training.playback import catalogue
from ddsp.training.playback import file_download
from ddsp.training.playback import instrument_cache
from ddsp.training.playback import progress as progress_lines
from ddsp.training.playback import storage_http


def fetch(name_or_instrument: Union[str, catalogue.Instrument],
          cache_dir: Optional[str] = None, progress: bool = True) -> str:
  """The local path of an instrument, downloaded first when not cached.

  Args:
    name_or_instrument: A catalogue name (any letter case) or Instrument.
    cache_dir: The cache (default: $DDSP_CACHE, else ~/.cache/ddsp).
    progress: Show the downloads' progress on stderr.

  Returns:
    The checkpoint folder (holding the operative config), or the .tflite.
  """
  instrument = (name_or_instrument
                if isinstance(name_or_instrument, catalogue.Instrument)
                else catalogue.resolve(name_or_instrument))
  if not instrument_cache.is_cached(instrument, cache_dir):
    # Before any download: a cache that cannot be written is refused.
    output_paths.check_folder(instrument_cache.cache_root(cache_dir),
                              'cache_dir')
    if instrument.kind == catalogue.TFLITE:
      _fetch_archive_models(instrument, cache_dir, progress)
    else:
      _fetch_checkpoint(instrument, cache_dir, progress)
  return instrument_cache.model_path(instrument, cache_dir)


def _say(text: str, enabled: bool) -> None:
  if enabled:
    print(text, file=sys.stderr, flush=True)


def _fetch_checkpoint(instrument: catalogue.Instrument,
                      cache_dir: Optional[str], show: bool) -> None:
  """Fills the staging folder (listing, else zip) and installs it."""
  staging = instrument_cache.staging_path(instrument, cache_dir)
  try:
    objects = storage_http.list_objects(instrument.bucket, instrument.folder)
  except storage_http.RefusedError as e:
    if not instrument.archive:
      raise
    logging.warning('Listing %s was refused (%s): downloading its zip %s '
                    'instead.', instrument.source, e, instrument.archive)
    _say(f'Listing {instrument.source} was refused: downloading '
         f'{instrument.archive} instead.', show)
    with _staging_folder(staging):
      source = _fill_from_zip(instrument, staging, show)
  else:
    with _staging_folder(staging):
      source = _fill_from_objects(instrument, objects, staging, show)
  instrument_cache.install_folder(instrument, staging, source, cache_dir)


@contextlib.contextmanager
def _staging_folder(path: str) -> Iterator[str]:
  """Makes `path` and its missing parents; on failure removes those empty.

  A folder holding part of a download stays (the next call resumes it);
  one a failed call left empty (no network, a 404) does not.
  """
  created, folder = [], os.path.abspath(path)
  while not os.path.exists(folder):
    created.append(folder)  # Deepest first.
    folder = os.path.dirname(folder)
  os.makedirs(path, exist_ok=True)
  try:
    yield path
  except BaseException:
    for folder in created:
      if os.listdir(folder):
        break  # Holds a partial download to resume, and so its parents.
      os.rmdir(folder)
    raise


def _relative_name(name: str, prefix: str) -> str:
  """An object's path below `prefix`, refused if it would leave it."""
  relative = os.path.normpath(name[len(prefix):])
  if (not name.startswith(prefix) or os.path.isabs(relative) or
      relative.split(os.sep)[0] in ('..', '.')):
    raise storage_http.ServerError(
        f'The listing of {prefix} holds {name!r}, which is not below it.')
  return relative


def _is_verified_copy(path: str, stored: storage_http.StoredObject) -> bool:
  """Whether `path` already holds the object (an earlier, cut-off run)."""
  if not os.path.isfile(path) or os.path.getsize(path) != stored.size:
    return False
  digest = file_download.file_md5(path).digest()
  return bool(stored.md5) and storage_http.md5_to_base64(digest) == stored.md5


def _fill_from_objects(instrument: catalogue.Instrument,
                       objects: List[storage_http.StoredObject],
                       staging: str, show: bool) -> str:
  """Downloads each listed object into `staging`; -> the folder's URL."""
  source = storage_http.object_url(instrument.bucket, instrument.folder)
  total = sum(o.size for o in objects)
  _say(f'Downloading {instrument.name} ({len(objects)} files, '
       f'{progress_lines.format_size(total)}) from {source}', show)
  for stored in objects:
    path = os.path.join(staging, _relative_name(stored.name,
                                                instrument.folder))
    if _is_verified_copy(path, stored):
      continue
    os.makedirs(os.path.dirname(path), exist_ok=True)
    file_download.download(
        storage_http.object_url(instrument.bucket, stored.name), path,
        size=stored.size, md5=stored.md5, show_progress=show)
  return source


def _download_archive(instrument: catalogue.Instrument, staging: str,
                      show: bool) -> str:
  """The instrument's zip in `staging` (downloaded unless already there)."""
  path = os.path.join(staging, os.path.basename(instrument.archive))
  if not os.path.isfile(path):
    url = storage_http.object_url(instrument.bucket, instrument.archive)
    _say(f'Downloading {instrument.archive} from {url}', show)
    file_download.download(url, path, show_progress=show)
  return path


def _damaged_archive(path: str, error: Exception) -> Exception:
  """Deletes a zip that does not unpack; -> the error to raise."""
  os.remove(path)
  return file_download.CorruptDownloadError(
      f'{os.path.basename(path)} does not unpack ({error}) and was deleted. '
      'Run the command again; if it fails the same way, the host serves a '
      f'damaged copy: set {catalogue.BASE_URL_VARIABLE} to another mirror.')


def _fill_from_zip(instrument: catalogue.Instrument, staging: str,
                   show: bool) -> str:
  """Unpacks the instrument's zip into `staging`; -> the zip's URL."""
  path = _download_archive(instrument, staging, show)
  try:
    with zipfile.ZipFile(path) as archive:
      archive.extractall(staging)
  except (zipfile.BadZipFile, EOFError) as e:
    raise _damaged_archive(path, e) from e
  os.remove(path)
  return storage_http.object_url(instrument.bucket, instrument.archive)


def _archive_models(instrument: catalogue.Instrument,
                    cache_dir: Optional[str]) -> Dict[str, str]:
  """{member: cache path} of every model unpacked from the same zip."""
  return {i.member: instrument_cache.instrument_path(i, cache_dir)
          for i in catalogue.INSTRUMENTS.values()
          if i.kind == catalogue.TFLITE and i.archive == instrument.archive}


def _unpack_member(archive: zipfile.ZipFile, member: str, path: str) -> None:
  """Copies a zip member to `path` whole (checked CRC, `atomic_files`)."""
  with atomic_files.temporary_path(path) as partial:
    with archive.open(member) as source, open(partial, 'wb') as target:
      shutil.copyfileobj(source, target)


def _fetch_archive_models(instrument: catalogue.Instrument,
                          cache_dir: Optional[str], show: bool) -> None:
  """Downloads the zip of the DDSP-VST models and unpacks all of them."""
  staging = instrument_cache.staging_path(instrument, cache_dir)
  with _staging_folder(staging):
    path = _download_archive(instrument, staging, show)
  try:
    with zipfile.ZipFile(path) as archive:
      held = set(archive.namelist())
      for member, target in _archive_models(instrument, cache_dir).items():
        if member in held:
          os.makedirs(os.path.dirname(target), exist_ok=True)
          _unpack_member(archive, member, target)
  except (zipfile.BadZipFile, EOFError) as e:
    raise _damaged_archive(path, e) from e
  shutil.rmtree(staging)
  if instrument.member not in held:
    raise storage_http.NotOnServerError(
        f'{storage_http.object_url(instrument.bucket, instrument.archive)} '
        f'holds no {instrument.member}: the release may have renamed it; '
        '`ddsp_instruments` lists the catalogue.')
