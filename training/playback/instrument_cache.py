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

"""Where downloaded instruments live, and which of them are complete.

The cache is `$DDSP_CACHE` (default `~/.cache/ddsp`); instruments go under
`<cache>/instruments/`:

* a checkpoint folder is `<name>/`. It is filled as `<name>.partial/` and
  renamed to `<name>/` once every file is in place and verified, with the
  manifest `instrument.json` (where it came from, each file's size) written
  last: a folder holding the manifest is complete;
* a DDSP-VST model is the file `vst/<Name>.tflite`, placed whole with
  `os.replace`.

Whatever is complete is used without a network.
"""

import dataclasses
import json
import os
import shutil
from typing import Any, Dict, List, Optional

from ddsp import atomic_files
from ddsp.training.playback import catalogue

CACHE_VARIABLE = 'DDSP_CACHE'
DEFAULT_CACHE = os.path.join('~', '.cache', 'ddsp')
MANIFEST = 'instrument.json'
STAGING_SUFFIX = '.partial'
_VST_FOLDER = 'vst'


def cache_root(cache_dir: Optional[str] = None) -> str:
  """`cache_dir`, else $DDSP_CACHE, else ~/.cache/ddsp (absolute)."""
  root = cache_dir or os.environ.get(CACHE_VARIABLE) or DEFAULT_CACHE
  return os.path.abspath(os.path.expanduser(root))


def instrument_path(instrument: catalogue.Instrument,
                    cache_dir: Optional[str] = None) -> str:
  """The folder or .tflite file an instrument has in the cache."""
  folder = os.path.join(cache_root(cache_dir), 'instruments')
  if instrument.kind == catalogue.TFLITE:
    return os.path.join(folder, _VST_FOLDER,
                        os.path.basename(instrument.member))
  return os.path.join(folder, instrument.name)


def staging_path(instrument: catalogue.Instrument,
                 cache_dir: Optional[str] = None) -> str:
  """The folder an instrument's downloads arrive in before they are placed.

  A checkpoint's own `<name>.partial/`; for a .tflite the one staging
  folder of its archive, shared by the models unpacked from it.
  """
  path = instrument_path(instrument, cache_dir)
  if instrument.kind == catalogue.TFLITE:
    path = os.path.dirname(path)
  return path + STAGING_SUFFIX


def read_manifest(folder: str) -> Optional[Dict[str, Any]]:
  """The manifest of a complete checkpoint folder (None: not complete)."""
  try:
    with open(os.path.join(folder, MANIFEST)) as f:
      return json.load(f)
  except (FileNotFoundError, NotADirectoryError):  # A file in the path too.
    return None


def is_cached(instrument: catalogue.Instrument,
              cache_dir: Optional[str] = None) -> bool:
  """Whether the cache holds the whole instrument."""
  path = instrument_path(instrument, cache_dir)
  if instrument.kind == catalogue.TFLITE:
    return os.path.isfile(path)
  return read_manifest(path) is not None


def model_path(instrument: catalogue.Instrument,
               cache_dir: Optional[str] = None) -> str:
  """What a cached instrument is played from.

  The .tflite file, or the folder of a checkpoint holding its operative
  config (the instrument's folder, or one inside it when a zip had one).
  """
  path = instrument_path(instrument, cache_dir)
  if instrument.kind == catalogue.TFLITE:
    return path
  manifest = read_manifest(path) or {}
  return os.path.normpath(os.path.join(path, manifest.get('model_dir', '.')))


def _folder_holding_config(root: str) -> str:
  """First folder, top-down, holding a .gin file (`root` when none does)."""
  for folder, subfolders, files in os.walk(root):
    subfolders.sort()
    if any(f.endswith('.gin') for f in files):
      return folder
  return root


def install_folder(instrument: catalogue.Instrument, staging: str,
                   source: str, cache_dir: Optional[str] = None) -> str:
  """Completes a filled staging folder: manifest, then rename; -> its path.

  Args:
    instrument: The checkpoint instrument.
    staging: Its staging folder, holding every file, all verified.
    source: URL the files came from (for the manifest).
    cache_dir: The cache (default: `cache_root`).
  """
  files = {}
  for folder, _, names in os.walk(staging):
    for name in names:
      path = os.path.join(folder, name)
      files[os.path.relpath(path, staging)] = os.path.getsize(path)
  manifest = {
      'name': instrument.name, 'source': source,
      'licence': instrument.licence, 'origin': instrument.origin,
      'model_dir': os.path.relpath(_folder_holding_config(staging), staging),
      'size': sum(files.values()), 'files': files}
  manifest_path = os.path.join(staging, MANIFEST)
  atomic_files.write_bytes(
      manifest_path, json.dumps(manifest, indent=2, sort_keys=True).encode())
  final = instrument_path(instrument, cache_dir)
  if os.path.exists(final):  # A folder without a manifest: incomplete.
    shutil.rmtree(final)
  os.rename(staging, final)
  atomic_files.sync_folder(os.path.dirname(final))
  return final


@dataclasses.dataclass(frozen=True)
class Entry:
  """An instrument of the catalogue and its state in the cache."""
  instrument: catalogue.Instrument
  cached: bool
  path: str  # Where it is (or will be) in the cache.
  size: Optional[int]  # Bytes: in the cache, else the catalogue's.


def _cached_size(instrument: catalogue.Instrument, path: str) -> int:
  if instrument.kind == catalogue.TFLITE:
    return os.path.getsize(path)
  return read_manifest(path)['size']


def listing(cache_dir: Optional[str] = None) -> List[Entry]:
  """Every instrument of the catalogue, whether it is cached and where."""
  entries = []
  for instrument in catalogue.INSTRUMENTS.values():
    cached = is_cached(instrument, cache_dir)
    path = (model_path(instrument, cache_dir) if cached else
            instrument_path(instrument, cache_dir))
    size = (_cached_size(instrument, instrument_path(instrument, cache_dir))
            if cached else instrument.size)
    entries.append(Entry(instrument=instrument, cached=cached, path=path,
                         size=size))
  return entries
