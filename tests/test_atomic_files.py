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

"""The one atomic writer: whole files or none, normal permissions."""

import os
import stat

from ddsp import atomic_files
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
  """Runs the test under each umask, restoring the process's afterwards."""
  previous = os.umask(request.param)
  yield request.param
  os.umask(previous)


def _mode(path):
  return stat.S_IMODE(os.stat(path).st_mode)


def test_permissions_are_those_of_a_plainly_opened_file(tmp_path, umask):
  plain = tmp_path / 'plain.json'
  with open(plain, 'w') as f:
    f.write('{}')
  atomic = tmp_path / 'atomic.json'
  atomic_files.write_bytes(str(atomic), b'{}')
  assert _mode(atomic) == _mode(plain) == 0o666 & ~umask


def test_the_file_holds_the_bytes_and_nothing_else_is_left(tmp_path):
  path = tmp_path / 'model.tflite'
  atomic_files.write_bytes(str(path), b'\x00model')
  assert path.read_bytes() == b'\x00model'
  assert os.listdir(tmp_path) == ['model.tflite']


def test_an_existing_file_is_replaced_on_success(tmp_path):
  path = tmp_path / 'metadata.json'
  path.write_bytes(b'old')
  atomic_files.write_bytes(str(path), b'new')
  assert path.read_bytes() == b'new'


@pytest.mark.parametrize('existing', [False, True])
def test_a_failure_in_the_block_leaves_no_file_and_no_temporary(tmp_path,
                                                                existing):
  path = tmp_path / 'out.wav'
  if existing:
    path.write_bytes(b'old')
  with pytest.raises(RuntimeError, match='synthesis failed'):
    with atomic_files.temporary_path(str(path)) as temporary:
      with open(temporary, 'wb') as f:
        f.write(b'half')
      raise RuntimeError('synthesis failed')
  assert os.listdir(tmp_path) == (['out.wav'] if existing else [])
  if existing:
    assert path.read_bytes() == b'old'


def test_a_failure_before_the_temporary_exists_is_passed_on(tmp_path):
  path = tmp_path / 'out.wav'
  with pytest.raises(KeyboardInterrupt):
    with atomic_files.temporary_path(str(path)):
      raise KeyboardInterrupt
  assert not os.listdir(tmp_path)


def test_the_temporary_is_hidden_next_to_the_file_with_its_extension(
    tmp_path):
  path = str(tmp_path / 'take.flac')
  with atomic_files.temporary_path(path) as temporary:
    assert os.path.dirname(temporary) == str(tmp_path)
    assert os.path.basename(temporary).startswith('.take.')
    assert temporary.endswith('.partial.flac')
    open(temporary, 'wb').close()


def test_a_streamed_soundfile_writer_on_the_temporary(tmp_path, umask):
  path = tmp_path / 'stream.wav'
  blocks = [np.full(100, 0.25 * k, np.float32) for k in range(3)]
  with atomic_files.temporary_path(str(path)) as temporary:
    with sf.SoundFile(temporary, 'w', samplerate=8000, channels=1,
                      format='WAV', subtype='FLOAT') as out:
      for block in blocks:
        out.write(block)
        assert not path.exists()  # Nothing at the name until complete.
  audio, rate = sf.read(str(path), dtype='float32')
  assert rate == 8000
  np.testing.assert_array_equal(audio, np.concatenate(blocks))
  assert _mode(path) == 0o666 & ~umask
  assert os.listdir(tmp_path) == ['stream.wav']


def test_a_remote_path_goes_through_gfile():
  folder = 'ram://atomic_files_test'
  tf.io.gfile.makedirs(folder)
  path = f'{folder}/metadata.json'
  atomic_files.write_bytes(path, b'old')
  atomic_files.write_bytes(path, b'new')
  with pytest.raises(ValueError):
    with atomic_files.temporary_path(path) as temporary:
      with tf.io.gfile.GFile(temporary, 'wb') as f:
        f.write(b'half')
      raise ValueError
  with tf.io.gfile.GFile(path, 'rb') as f:
    assert f.read() == b'new'
  assert tf.io.gfile.listdir(folder) == ['metadata.json']


def test_remote_paths_are_those_with_a_scheme():
  assert atomic_files.is_remote('gs://bucket/model.tflite')
  assert atomic_files.is_remote('ram://folder/x')
  assert not atomic_files.is_remote('/tmp/x.wav')
  assert not atomic_files.is_remote('relative/x.wav')
