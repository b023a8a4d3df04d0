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

"""Magenta's trained instruments by name, and where each comes from.

Two families, all from Google's Magenta team under the Apache License 2.0:

* `violin`, `flute`, `flute2`, `trumpet`, `tenor_saxophone`: the
  checkpoint folders of the timbre-transfer Colab, objects under
  `models/timbre_transfer_colab/2021-07-08/solo_<name>_ckpt/` of the
  Cloud Storage bucket `ddsp`. Three of them also exist as one zip each
  (`models/tf2/solo_<name>_ckpt.zip`), used when the host refuses to list
  the folder.
* `vst:flute`, `vst:violin`, ...: the eleven models of the DDSP-VST plugin,
  `DDSP-VST-Models/<Name>.tflite` inside the one zip
  `releases/DDSP-VST-Models.zip` of the bucket `ddsp-vst`.

Names are case-insensitive. The host is `https://storage.googleapis.com`
unless the environment variable `DDSP_MODEL_BASE_URL` names a mirror that
keeps the same paths below it. Downloading them is `downloads`.
"""

import dataclasses
import difflib
import os
from typing import Dict, List, Optional

from ddsp import errors

BASE_URL_VARIABLE = 'DDSP_MODEL_BASE_URL'
DEFAULT_BASE_URL = 'https://storage.googleapis.com'

CHECKPOINT = 'checkpoint'  # A folder: operative config, ckpt, statistics.
TFLITE = 'tflite'  # One .tflite file for the DDSP-VST plugin.

LICENCE = 'Apache-2.0'
ORIGIN = "Google's Magenta team"
VST_PREFIX = 'vst:'

_COLAB_BUCKET = 'ddsp'
_COLAB_FOLDERS = 'models/timbre_transfer_colab/2021-07-08'
_TF2_ZIPS = 'models/tf2'
_COLAB_NAMES = ('violin', 'flute', 'flute2', 'trumpet', 'tenor_saxophone')
_COLAB_NAMES_WITH_ZIP = ('violin', 'flute', 'flute2')
_VST_BUCKET = 'ddsp-vst'
_VST_ARCHIVE = 'releases/DDSP-VST-Models.zip'
_VST_FOLDER_IN_ARCHIVE = 'DDSP-VST-Models'
_VST_NAMES = ('Flute', 'Violin', 'Trumpet', 'Saxophone', 'Bassoon',
              'Clarinet', 'Melodica', 'Sitar', 'Trombone', 'Tuba', 'Vowels')


class UnknownInstrumentError(errors.BadValueError):
  """A name that is not in the catalogue."""


@dataclasses.dataclass(frozen=True)
class Instrument:
  """One named instrument and the objects it is made of.

  Attributes:
    name: Its name in the catalogue (lower case).
    kind: CHECKPOINT (a folder) or TFLITE (one file).
    bucket: Cloud Storage bucket holding it.
    folder: Object-name prefix of a checkpoint folder (ending in '/').
    archive: Object name of a zip: the one a TFLITE file is unpacked
      from, or the fallback of a CHECKPOINT folder ('' when none).
    member: Path of a TFLITE file inside `archive`.
    size: Bytes, when known before listing the host (else None).
    licence: SPDX identifier of the licence.
    origin: Who trained and published it.
  """
  name: str
  kind: str
  bucket: str
  folder: str = ''
  archive: str = ''
  member: str = ''
  size: Optional[int] = None
  licence: str = LICENCE
  origin: str = ORIGIN

  @property
  def source(self) -> str:
    """Where it comes from, as a gs:// path (a zip member after '!/')."""
    if self.kind == TFLITE:
      return f'gs://{self.bucket}/{self.archive}!/{self.member}'
    return f'gs://{self.bucket}/{self.folder}'


def _colab_instrument(name: str) -> Instrument:
  archive = (f'{_TF2_ZIPS}/solo_{name}_ckpt.zip'
             if name in _COLAB_NAMES_WITH_ZIP else '')
  return Instrument(name=name, kind=CHECKPOINT, bucket=_COLAB_BUCKET,
                    folder=f'{_COLAB_FOLDERS}/solo_{name}_ckpt/',
                    archive=archive)


def _vst_instrument(title: str) -> Instrument:
  return Instrument(name=VST_PREFIX + title.lower(), kind=TFLITE,
                    bucket=_VST_BUCKET, archive=_VST_ARCHIVE,
                    member=f'{_VST_FOLDER_IN_ARCHIVE}/{title}.tflite')


INSTRUMENTS: Dict[str, Instrument] = {
    i.name: i for i in ([_colab_instrument(n) for n in _COLAB_NAMES] +
                        [_vst_instrument(t) for t in _VST_NAMES])}


def names() -> List[str]:
  """Every name of the catalogue, in catalogue order."""
  return list(INSTRUMENTS)


def resolve(name: str) -> Instrument:
  """The instrument of a name, in any letter case.

  Raises:
    UnknownInstrumentError: the name is not in the catalogue; the message
      gives the closest names.
  """
  key = name.strip().lower()
  if key in INSTRUMENTS:
    return INSTRUMENTS[key]
  close = difflib.get_close_matches(key, names(), n=3, cutoff=0.6)
  hint = (f'did you mean {", ".join(close)}?' if close else
          f'the names are {", ".join(names())}.')
  raise UnknownInstrumentError(
      f'No instrument is named {name!r}: {hint} `ddsp_instruments` lists '
      'the catalogue.')


def base_url() -> str:
  """The host of the objects: $DDSP_MODEL_BASE_URL or Cloud Storage's."""
  return (os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL).rstrip('/')
