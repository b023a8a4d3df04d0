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


"""The one audio decoder: files -> mono (or multichannel) float32 at a rate.

Data preparation, timbre transfer and the notebooks all read audio through
`AudioSource` (or `decode_audio` / `AudioStream`, built on it):

1. Decode at the file's own rate, with the numbers of the original's
   loader (pydub): integer PCM is divided by the type's maximum (32767 for
   16-bit, 2^31 - 1 for 24/32-bit, 24-bit widened to 32 bits with 0xFF in
   the low byte of negative samples, as pydub stores it); stereo becomes
   floor((left + right) / 2) on the integers, more channels
   sum_c floor(x_c / n_channels); float files are averaged over channels.
   So a file already at the wanted rate gives exactly the original's
   samples.
2. Resample, when the file's rate differs, with the one policy of
   `resampling.py` (soxr 'HQ', band-limited).

Files are read block by block with `soundfile`, so memory does not grow with
file length and any range of samples (at the file's rate or resampled) is
computed on its own. Formats libsndfile lacks (mp3, m4a, ...) fall back to
`librosa.load`, which decodes the whole file at once. Local paths, any
`tf.io.gfile` path (gs://...) and binary file objects are accepted.

A file that cannot be used raises `AudioFileError` naming the file and the
reason (empty, not audio, truncated WAV, no samples); a missing local file
raises FileNotFoundError. `AudioSource.scan` also reports NaN/inf samples;
other reads return non-finite samples as 0.
"""

import io
import os
import struct
import warnings

from ddsp import errors
from ddsp.features import resampling
import numpy as np
import soundfile as sf

# Frames per block when scanning a whole file.
BLOCK_FRAMES = 1 << 16

_INT16_SUBTYPES = ('PCM_16', 'PCM_S8', 'PCM_U8')
# Divisor of the int -> float conversion (pydub's typecode maximum) and the
# magnitude of integer full scale, per kind of samples.
_MAX_INT = {'int16': 32767, 'int24': 2147483647, 'int32': 2147483647}
_FULL_SCALE = {'int16': 32768.0, 'int24': 2147483648.0,
               'int32': 2147483648.0}


class AudioFileError(errors.UserError, ValueError):
  """An input file cannot be used.

  Attributes:
    name: the file (path, or a description of a file object).
    reason: what is wrong with it.
  """

  def __init__(self, name, reason):
    super().__init__(f'Cannot read audio from {name}: {reason}')
    self.name = name
    self.reason = reason


def short_error(error):
  """Last line of an exception's message (at most 200 characters)."""
  text = str(error).strip().splitlines()
  text = text[-1] if text else type(error).__name__
  return text[:200]


# ------------------------------------------------------------ file access --
def _is_path(file):
  return isinstance(file, (str, os.PathLike))


def _is_remote(file):
  return _is_path(file) and '://' in str(file)


def _name(file):
  if _is_path(file):
    return str(file)
  return getattr(file, 'name', None) or '<audio bytes>'


def _open_binary(file):
  """A binary reader of a local or remote path, or the file object itself."""
  if not _is_path(file):
    file.seek(0)
    return _Unclosed(file)
  if _is_remote(file):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.io.gfile.GFile(str(file), 'rb')
  return open(file, 'rb')


class _Unclosed:
  """Context manager around a caller's file object that leaves it open."""

  def __init__(self, f):
    self._f = f

  def __enter__(self):
    return self._f

  def __exit__(self, *unused_exc):
    self._f.seek(0)


def _not_found(file):
  return errors.MissingPathError(
      f'audio file not found: {file} (give the path of an existing audio '
      'file)')


def _file_size(file):
  """Size in bytes; FileNotFoundError for a missing path."""
  if not _is_path(file):
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size
  if _is_remote(file):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    if not tf.io.gfile.exists(str(file)):
      raise _not_found(file)
    return tf.io.gfile.stat(str(file)).length
  if os.path.isdir(file):
    raise AudioFileError(file, 'it is a folder, not a file')
  if not os.path.isfile(file):
    raise _not_found(file)
  return os.path.getsize(file)


def _wav_truncation(f, size):
  """Reason a RIFF/WAVE file is shorter than its header says, or None.

  libsndfile silently returns the frames that are present, so a truncated
  download would otherwise be read as a shorter file.
  """
  head = f.read(12)
  if len(head) < 12 or head[:4] != b'RIFF' or head[8:12] != b'WAVE':
    return None
  offset = 12
  block_align = None
  while offset + 8 <= size:
    f.seek(offset)
    chunk = f.read(8)
    if len(chunk) < 8:
      return None
    chunk_id, chunk_size = chunk[:4], struct.unpack('<I', chunk[4:])[0]
    if chunk_id == b'fmt ':
      fmt = f.read(16)
      if len(fmt) >= 14:
        block_align = struct.unpack('<H', fmt[12:14])[0]
    if chunk_id == b'data':
      if chunk_size in (0, 0xFFFFFFFF):  # Size unknown (streamed WAV).
        return None
      present = size - offset - 8
      if present >= chunk_size:
        return None
      if block_align:
        return (f'truncated WAV: header claims {chunk_size // block_align} '
                f'frames but only {present // block_align} are present')
      return (f'truncated WAV: header claims {chunk_size} data bytes but '
              f'only {present} are present')
    offset += 8 + chunk_size + (chunk_size & 1)
  return None


def _kind_of(subtype):
  if subtype in _INT16_SUBTYPES:
    return 'int16'
  if subtype == 'PCM_24':
    return 'int24'
  if subtype == 'PCM_32':
    return 'int32'
  return 'float'


# ---------------------------------------------------------------- decoder --
class AudioSource:
  """Random access to the decoded samples of one audio file.

  Attributes:
    name: the file, for messages.
    sample_rate: the file's sample rate.
    n_frames: number of frames (samples per channel) in the file.
    channels: number of channels in the file.
    mono: whether reads mix the channels down to one.
    kind: 'int16', 'int24', 'int32' (integer PCM) or 'float'.
  """

  def __init__(self, file, mono=True):
    """Opens a file and reads its header.

    Args:
      file: local or `tf.io.gfile` path, or a binary file object.
      mono: mix channels down (reads give `[n]`), else reads give
        `[n, channels]`.

    Raises:
      FileNotFoundError: a path that does not exist.
      AudioFileError: the file is empty, truncated or not audio.
    """
    self.name = _name(file)
    self.mono = mono
    self._file = file
    self._handle = None
    self._fileobj = None
    self._data = None  # Whole decoded file [n, channels] (librosa fallback).
    self._resamplers = {}
    size = _file_size(file)
    if size == 0:
      raise AudioFileError(self.name, 'file is empty (0 bytes)')
    with _open_binary(file) as f:
      truncation = _wav_truncation(f, size)
    if truncation:
      raise AudioFileError(self.name, truncation)
    try:
      info = self._open_soundfile()
    except Exception as e:  # pylint: disable=broad-except
      self._close_handles()
      self._load_with_librosa(e)
    else:
      self.sample_rate = int(info.samplerate)
      self.n_frames = int(info.frames)
      self.channels = int(info.channels)
      self.kind = _kind_of(info.subtype)
    if self.sample_rate <= 0:
      raise AudioFileError(self.name,
                           f'invalid sample rate {self.sample_rate}')

  def _open_soundfile(self):
    if _is_remote(self._file):
      self._fileobj = _open_binary(self._file)
      self._handle = sf.SoundFile(self._fileobj)
    elif _is_path(self._file):
      self._handle = sf.SoundFile(self._file)
    else:
      self._file.seek(0)
      self._handle = sf.SoundFile(self._file)
    return self._handle

  def _load_with_librosa(self, sf_error):
    """Decodes formats libsndfile lacks (mp3, m4a, ...) with librosa."""
    try:
      import librosa  # pylint: disable=g-import-not-at-top
      with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if _is_path(self._file) and not _is_remote(self._file):
          source = self._file
        else:
          with _open_binary(self._file) as f:
            source = io.BytesIO(f.read())
        audio, rate = librosa.load(source, sr=None, mono=False)
    except Exception:  # pylint: disable=broad-except
      raise AudioFileError(
          self.name,
          f'not a readable audio file ({short_error(sf_error)})') from None
    audio = np.atleast_2d(np.asarray(audio, np.float32))  # [channels, n]
    self.sample_rate = int(rate)
    self.channels = audio.shape[0]
    self.n_frames = audio.shape[1]
    self.kind = 'float'
    self._data = audio.T.astype(np.float64)

  def _close_handles(self):
    if self._handle is not None:
      self._handle.close()
      self._handle = None
    if self._fileobj is not None:
      self._fileobj.close()
      self._fileobj = None

  def close(self):
    self._close_handles()

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc):
    self.close()

  # ---------------------------------------------------------------- reading
  def _read_raw(self, start, stop):
    """Frames [start, stop) of the file, clipped to it, as stored.

    Returns:
      int64 `[n, channels]` (integer kinds, the values of pydub's integer
      array) or float64 `[n, channels]`.
    """
    start = max(int(start), 0)
    stop = min(int(stop), self.n_frames)
    dtype = np.float64 if self.kind == 'float' else np.int64
    if stop <= start:
      return np.zeros([0, self.channels], dtype)
    if self._data is not None:
      return self._data[start:stop]
    self._handle.seek(start)
    if self.kind == 'float':
      x = self._handle.read(stop - start, dtype='float64', always_2d=True)
    else:
      x = self._handle.read(stop - start,
                            dtype='int16' if self.kind == 'int16' else 'int32',
                            always_2d=True).astype(np.int64)
      if self.kind == 'int24':
        x = x + np.where(x < 0, 255, 0)
    if x.shape[0] != stop - start:
      raise AudioFileError(
          self.name,
          f'could only decode {start + x.shape[0]} of {self.n_frames} frames')
    return x

  def _mix(self, x):
    """`[n, channels]` -> `[n]` like pydub's set_channels(1)."""
    n_channels = x.shape[1]
    if n_channels == 1:
      return x[:, 0]
    if self.kind == 'float':
      return np.mean(x, axis=1)
    if n_channels == 2:
      return (x[:, 0] + x[:, 1]) >> 1  # floor(0.5 * left + 0.5 * right)
    return np.sum(x // n_channels, axis=1)

  def _to_float32(self, x):
    if self.kind == 'float':
      return x.astype(np.float32)
    return x.astype(np.float32) / np.float32(_MAX_INT[self.kind])

  def read(self, start, stop):
    """Decoded samples [start, stop) at the file's rate.

    Any integers start <= stop are allowed; samples outside the file are 0,
    and so are NaN/inf samples.

    Returns:
      float32 `[stop - start]` (mono) or `[stop - start, channels]`.
    """
    start, stop = int(start), int(stop)
    x = self._read_raw(start, stop)
    x = self._to_float32(self._mix(x) if self.mono else x)
    out = np.zeros((max(stop - start, 0),) + x.shape[1:], np.float32)
    offset = max(-start, 0)
    out[offset:offset + x.shape[0]] = np.where(np.isfinite(x), x, 0.0)
    return out

  def length_at(self, rate):
    """Number of samples of the file at `rate`: floor(n * rate / file rate)."""
    return resampling.resampled_length(self.n_frames, self.sample_rate, rate)

  def resampled(self, rate, start, stop):
    """Samples [start, stop) of the file at `rate` (zeros past its end).

    Returns:
      float32 `[stop - start]` (mono) or `[stop - start, channels]`.
    """
    if rate not in self._resamplers:
      self._resamplers[rate] = resampling.Resampler(
          self.read, self.n_frames, self.sample_rate, rate)
    return self._resamplers[rate].range(start, stop)

  def scan(self, block_frames=BLOCK_FRAMES):
    """Decodes the whole file in blocks, checking every sample.

    Returns:
      Peak |mono sample| (1.0 = full scale).

    Raises:
      AudioFileError: undecodable frames or NaN/inf samples.
    """
    peak = 0.0
    for start in range(0, self.n_frames, block_frames):
      x = self._mix(self._read_raw(start, start + block_frames))
      if not x.size:
        continue
      if self.kind == 'float':
        bad = ~np.isfinite(x)
        if np.any(bad):
          raise AudioFileError(
              self.name,
              f'non-finite (NaN/inf) samples: {int(np.sum(bad))} in frames '
              f'{start}-{start + len(x)}, first at frame '
              f'{start + int(np.argmax(bad))}')
        peak = max(peak, float(np.max(np.abs(x))))
      else:
        peak = max(peak,
                   float(np.max(np.abs(x))) / _FULL_SCALE[self.kind])
    return peak


# ------------------------------------------------------- whole files, streams
def decode_audio(file, sample_rate, mono=True):
  """A whole audio file at `sample_rate`.

  Args:
    file: path (local or `tf.io.gfile`) or binary file object.
    sample_rate: the wanted rate in Hz.
    mono: mix the channels down.

  Returns:
    float32 `[n_samples]`, or `[n_channels, n_samples]` when not `mono`.

  Raises:
    FileNotFoundError: a path that does not exist.
    AudioFileError: an unusable file, or one without samples.
  """
  with AudioSource(file, mono=mono) as source:
    n_samples = source.length_at(sample_rate)
    if n_samples == 0:
      raise AudioFileError(source.name,
                           f'holds no audio samples at {sample_rate} Hz')
    audio = source.resampled(sample_rate, 0, n_samples)
  return audio if mono else audio.T


class AudioStream:
  """Reads a file block by block as mono float32 at `sample_rate`.

  The blocks concatenate to `decode_audio(path, sample_rate)` exactly, while
  memory stays that of one block.
  """

  def __init__(self, path, sample_rate, block_seconds=4.0):
    """Opens the file (errors are raised here, naming the file).

    Args:
      path: the audio file.
      sample_rate: the rate of the blocks (Hz).
      block_seconds: length of a block.
    """
    self.path = path
    self.sample_rate = sample_rate
    self._source = AudioSource(path)
    self.n_samples = self._source.length_at(sample_rate)
    self.block_size = max(1, int(block_seconds * sample_rate))

  def blocks(self):
    """Yields float32 `[n]` blocks (the last one may be shorter).

    Raises:
      AudioFileError: the file holds no samples.
    """
    try:
      if self.n_samples == 0:
        raise AudioFileError(self._source.name, 'holds no audio samples')
      for start in range(0, self.n_samples, self.block_size):
        stop = min(start + self.block_size, self.n_samples)
        yield self._source.resampled(self.sample_rate, start, stop)
    finally:
      self._source.close()
