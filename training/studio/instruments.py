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

"""The instrument picker: what can be played, and where it is.

An instrument's id is what the page sends back:

* `models/<entry>`: an entry of the models folder: a model folder (a gin
  file somewhere below it), a zip of one, or a DDSP-VST .tflite. The
  user's own come first, sorted by name: the first is the default.
* `name:<name>`: a named instrument of the catalogue (Magenta's
  timbre-transfer checkpoints, the DDSP-VST models), downloaded into the
  instrument cache on first use (`loading.load_instrument`).

A zip is played from a folder of the work folder it is unpacked into once
(`uploads.check_zip` first: no member outside it, no zip bomb), not from a
system temporary folder.
"""

import os
from typing import Dict, List

from ddsp import errors
from ddsp.training.playback import catalogue
from ddsp.training.playback import loading
from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import uploads

OWN = 'models/'
NAMED = 'name:'


def _kind(path: str) -> str:
  """'folder', 'zip', 'tflite' or '' (not an instrument)."""
  if os.path.isdir(path):
    for _, dirs, files in os.walk(path):
      dirs[:] = [d for d in dirs if not d.startswith('.')]
      if any(f.endswith('.gin') for f in files):
        return 'folder'
    return ''
  if path.endswith('.zip') and os.path.isfile(path):
    return 'zip'
  if path.endswith('.tflite') and loading.is_tflite(path):
    return 'tflite'
  return ''


def listing(folders: folders_lib.Folders) -> List[Dict[str, str]]:
  """[{'id', 'label', 'kind'}]: own instruments first, then named ones."""
  own = []
  for entry in sorted(os.listdir(folders.models), key=str.lower):
    kind = '' if entry.startswith('.') else _kind(
        os.path.join(folders.models, entry))
    if kind:
      own.append({'id': OWN + entry, 'label': f'{entry} (yours, {kind})',
                  'kind': kind})
  named = [{'id': NAMED + name, 'label': f'{name} (downloaded on first use)',
            'kind': 'named'} for name in catalogue.names()]
  return own + named


def locate(folders: folders_lib.Folders, instrument_id: str) -> str:
  """What `loading.load_instrument` takes for an instrument id.

  Raises:
    errors.MissingPathError: no such instrument.
    folders_lib.OutsideError: an id naming a path outside the models folder.
  """
  if instrument_id.startswith(NAMED):
    name = instrument_id[len(NAMED):]
    if name not in catalogue.names():
      raise errors.MissingPathError(f'No instrument named {name!r}.')
    return name
  entry = instrument_id[len(OWN):] if instrument_id.startswith(OWN) else ''
  if not entry:
    raise folders_lib.OutsideError(f'{instrument_id!r} is not an instrument '
                                   'of the models folder.')
  path = folders_lib.inside(folders.models, entry)
  kind = _kind(path)
  if not kind or os.path.dirname(path) != folders.models:
    raise errors.MissingPathError(
        f'No instrument {entry!r} in the models folder: pick one from the '
        'list (reload the page to see the folder as it is now).')
  return _unpacked(folders, path) if kind == 'zip' else path


def own_folder(folders: folders_lib.Folders, instrument_id: str) -> str:
  """The model folder of one of the user's instruments (zips unpacked)."""
  path = locate(folders, instrument_id)
  if instrument_id.startswith(NAMED) or loading.is_tflite(path):
    raise errors.BadValueError(
        f'{instrument_id} is not a model folder of yours: pick one you '
        'trained or uploaded as a zip.')
  return loading.find_model_dir(path).model_dir


def _unpacked(folders: folders_lib.Folders, zip_path: str) -> str:
  """The folder a zip of the models folder is unpacked into (once)."""
  stat = os.stat(zip_path)
  target = folders_lib.inside(
      folders.unpacked, f'{os.path.basename(zip_path)}-{stat.st_size}-'
      f'{stat.st_mtime_ns}')
  if not os.path.isdir(target):
    uploads.check_zip(zip_path)
    staging = target + '.partial'
    loading.find_model_dir(zip_path, extract_dir=staging)
    os.replace(staging, target)
  return target
