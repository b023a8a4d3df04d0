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

"""Uploaded files: limited in size and type, stored under sanitised names.

An upload is the raw body of a POST (the browser sends the file itself,
`fetch(url, {body: file})`; no multipart form to parse), at most
`limit_bytes` long: the server refuses a longer Content-Length with 413
before reading a byte. The body goes to a temporary file in the work
folder's `uploads/`, becomes `<12 hex>-<sanitised name>` when complete
(`atomic_files`), and is then checked for its kind; a file that fails the
check is removed and its error names the file as the user called it.

Kinds and checks:

* audio (.wav .flac .ogg .mp3 .aif .aiff): decoded whole by the one audio
  decoder (`ddsp.features.audio.decode_audio`, its clear errors);
* midi (.mid .midi): read by `playback.midi_file.read_tracks`;
* model (.zip .tflite): a zip whose members stay inside it and unpack to
  at most `MAX_UNPACKED_BYTES`, or a TFLite flatbuffer. They are stored in
  the models folder, where the picker lists them.
"""

import dataclasses
import os
from typing import BinaryIO, Dict, List
import uuid
import zipfile

from ddsp import atomic_files
from ddsp import crepe_frontend
from ddsp import errors
from ddsp.features import audio as audio_lib
from ddsp.training.playback import loading
from ddsp.training.playback import midi_file
from ddsp.training.studio import folders as folders_lib

EXTENSIONS = {
    'audio': ('.wav', '.flac', '.ogg', '.mp3', '.aif', '.aiff'),
    'midi': ('.mid', '.midi'),
    'model': ('.zip', '.tflite'),
}
MAX_UNPACKED_BYTES = 2 * 1024 ** 3
_CHUNK = 1 << 20


class UploadError(errors.BadValueError):
  """An upload of the wrong kind, or a file that is not what it claims."""


@dataclasses.dataclass
class Upload:
  """A stored upload.

  Attributes:
    id: The stored file's name (what later requests refer to).
    name: The name the user gave it (sanitised).
    kind: 'audio', 'midi' or 'model'.
    info: What the check found: 'seconds' of audio, 'tracks' of a MIDI
      file ([{'index', 'label', 'notes'}]).
  """
  id: str
  name: str
  kind: str
  info: Dict


def check_kind(kind: str, name: str) -> str:
  """The sanitised name, refused unless its extension fits `kind`."""
  if kind not in EXTENSIONS:
    raise UploadError(f'Unknown upload kind {kind!r}: one of '
                      f'{", ".join(EXTENSIONS)}.')
  safe = folders_lib.sanitize(name)
  if not safe.lower().endswith(EXTENSIONS[kind]):
    raise UploadError(
        f'{safe} is not a {kind} file: give a file ending in '
        f'{" ".join(EXTENSIONS[kind])}.')
  return safe


def store(body: BinaryIO, length: int, kind: str, name: str,
          folders: folders_lib.Folders) -> Upload:
  """Stores and checks an upload of `length` bytes read from `body`.

  Args:
    body: The request body.
    length: Its Content-Length (already checked against the limit).
    kind: 'audio', 'midi' or 'model'.
    name: The file name the user gave.
    folders: The studio's folders.

  Returns:
    Upload.

  Raises:
    UploadError, audio_lib.AudioFileError, midi_file.MidiFileError: the
      file is not of its kind (and is not kept).
  """
  safe = check_kind(kind, name)
  folder = folders.models if kind == 'model' else folders.uploads
  stored = safe if kind == 'model' else f'{uuid.uuid4().hex[:12]}-{safe}'
  path = folders_lib.inside(folder, stored)
  if kind == 'model' and os.path.exists(path):
    raise UploadError(f'{safe} is already in the models folder: rename the '
                      'file to upload it as another instrument.')
  with atomic_files.temporary_path(path) as tmp:
    _copy(body, length, tmp)
    try:
      info = _CHECKS[kind](tmp)
    except errors.UserError as e:
      raise UploadError(str(e).replace(tmp, safe)) from e
  return Upload(id=stored, name=safe, kind=kind, info=info)


def _copy(body: BinaryIO, length: int, path: str) -> None:
  left = length
  with open(path, 'wb') as f:
    while left > 0:
      chunk = body.read(min(_CHUNK, left))
      if not chunk:
        raise UploadError(f'The upload ended after {length - left} of '
                          f'{length} bytes: send the file again.')
      f.write(chunk)
      left -= len(chunk)


def _check_audio(path: str) -> Dict:
  audio = audio_lib.decode_audio(path, crepe_frontend.SAMPLE_RATE)
  return {'seconds': audio.size / crepe_frontend.SAMPLE_RATE}


def _check_midi(path: str) -> Dict:
  tracks = midi_file.read_tracks(path)
  return {'tracks': [{'index': t.index, 'label': t.label(),
                      'notes': len(t.notes)} for t in tracks if t.notes]}


def _check_model(path: str) -> Dict:
  if loading.is_tflite(path):
    return {'format': 'tflite'}
  check_zip(path)
  return {'format': 'zip'}


def check_zip(path: str) -> None:
  """Refuses a zip that is not one, or whose members leave it or are huge.

  Raises:
    UploadError: not a zip; a member with an absolute name or '..'; more
      than MAX_UNPACKED_BYTES unpacked.
  """
  if not zipfile.is_zipfile(path):
    raise UploadError(f'{path} is neither a zip of a model folder nor a '
                      'DDSP-VST .tflite.')
  with zipfile.ZipFile(path) as z:
    members = z.infolist()
  bad = [m.filename for m in members
         if m.filename.startswith(('/', '\\')) or
         '..' in m.filename.replace('\\', '/').split('/')]
  if bad:
    raise UploadError(f'{path} holds files outside its folder ({bad[0]}): '
                      'zip the model folder itself.')
  if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
    raise UploadError(f'{path} unpacks to more than '
                      f'{MAX_UNPACKED_BYTES >> 30} GiB: not a model folder.')


_CHECKS = {'audio': _check_audio, 'midi': _check_midi, 'model': _check_model}


def audio_path(folders: folders_lib.Folders, upload_id: str) -> str:
  """The stored audio upload `upload_id` (refused if not one)."""
  return _stored(folders, upload_id, 'audio')


def midi_path(folders: folders_lib.Folders, upload_id: str) -> str:
  """The stored MIDI upload `upload_id` (refused if not one)."""
  return _stored(folders, upload_id, 'midi')


def _stored(folders, upload_id: str, kind: str) -> str:
  if folders_lib.sanitize(upload_id) != upload_id:
    raise folders_lib.OutsideError(f'No upload {upload_id!r}.')
  path = folders_lib.inside(folders.uploads, upload_id)
  if not os.path.isfile(path) or not upload_id.lower().endswith(
      EXTENSIONS[kind]):
    raise errors.MissingPathError(
        f'No {kind} upload {upload_id!r}: upload the file again.')
  return path


def audio_paths(folders: folders_lib.Folders, ids: List[str]) -> List[str]:
  return [audio_path(folders, i) for i in ids]
