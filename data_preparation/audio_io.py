"""Streaming audio reading that reproduces the original's pydub numbers.

The original DDSP read audio with pydub (ffmpeg + `audioop`):

* `set_channels(1)`: stereo -> `audioop.tomono(data, width, 0.5, 0.5)`,
  i.e. `floor(0.5 * left + 0.5 * right)` on the integer samples; more than
  two channels -> `sum_c (x_c // n_channels)` (integer floor division).
* `set_frame_rate(rate)`: `audioop.ratecv(..., weightA=1, weightB=0)`, a
  linear interpolator without anti-aliasing filter on the integer samples
  scaled to 32 bits (see `ratecv_indices`).
* `pad_or_trim_to_expected_length(x, int(n_frames / file_rate * rate))`.
* integers -> float32 with `x / iinfo(typecode).max` (32767 for 16-bit,
  2147483647 for 24/32-bit; pydub stores 24-bit audio as 32-bit with the
  24-bit value in the top bytes and 0xFF in the low byte of negative
  samples).

This module reproduces those numbers bit for bit on integer PCM, without
pydub, while reading files in blocks (`soundfile`), so memory does not grow
with file length. Any output range of the resampled stream can be computed
independently, which lets a pipeline process a long file chunk by chunk.
Float files (32/64-bit float WAV, Ogg Vorbis, ...) use the same
interpolation in floating point. Formats that soundfile cannot open (mp3,
m4a, ...) fall back to `librosa.load` (whole file in memory).
"""

import io
import math
import os
import struct
import warnings

import numpy as np
import soundfile as sf

# Frames per block when scanning a whole file.
BLOCK_FRAMES = 1 << 16

_INT16_SUBTYPES = ('PCM_16', 'PCM_S8', 'PCM_U8')
_INT32_SUBTYPES = ('PCM_24', 'PCM_32')


class AudioFileError(ValueError):
  """An input file cannot be used; the message says why."""


def _is_remote(path):
  return '://' in str(path)


def _open_binary(path):
  """Opens a local or remote (gs://, ...) file for binary reading."""
  if _is_remote(path):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.io.gfile.GFile(path, 'rb')
  return open(path, 'rb')


def file_size(path):
  if _is_remote(path):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.io.gfile.stat(path).length
  return os.path.getsize(path)


def check_wav_header(path, size):
  """Raises AudioFileError when a RIFF/WAVE file is shorter than it claims.

  libsndfile silently returns the frames that are present, so a truncated
  download would otherwise be read as a shorter file.

  Args:
    path: file path.
    size: file size in bytes.
  """
  with _open_binary(path) as f:
    head = f.read(12)
    if len(head) < 12 or head[:4] != b'RIFF' or head[8:12] != b'WAVE':
      return
    offset = 12
    block_align = None
    while offset + 8 <= size:
      f.seek(offset)
      chunk = f.read(8)
      if len(chunk) < 8:
        return
      chunk_id, chunk_size = chunk[:4], struct.unpack('<I', chunk[4:])[0]
      if chunk_id == b'fmt ':
        fmt = f.read(16)
        if len(fmt) >= 14:
          block_align = struct.unpack('<H', fmt[12:14])[0]
      if chunk_id == b'data':
        if chunk_size in (0, 0xFFFFFFFF):  # Size unknown (streamed WAV).
          return
        present = size - offset - 8
        if present < chunk_size:
          if block_align:
            raise AudioFileError(
                f'truncated WAV: header claims {chunk_size // block_align} '
                f'frames but only {present // block_align} are present')
          raise AudioFileError(
              f'truncated WAV: header claims {chunk_size} data bytes but '
              f'only {present} are present')
        return
      offset += 8 + chunk_size + (chunk_size & 1)


def ratecv_indices(k, in_rate, out_rate):
  """Input positions used by `audioop.ratecv` for output samples `k`.

  After dividing both rates by their gcd, output k interpolates between
  input samples j-1 and j with j = ceil(k * in / out) and the integer weight
  d = j * out - k * in in [0, out):
    y_k = (x_{j-1} * d + x_j * (out - d)) / out,   x_{-1} = 0.

  Args:
    k: int64 array of output sample indices.
    in_rate: input sample rate.
    out_rate: output sample rate.

  Returns:
    (j, d, out) with j, d int64 arrays like `k` and the reduced `out`.
  """
  g = math.gcd(int(in_rate), int(out_rate))
  inr, outr = int(in_rate) // g, int(out_rate) // g
  k = np.asarray(k, np.int64)
  j = -((-k * inr) // outr)
  d = j * outr - k * inr
  return j, d, outr


def ratecv_length(n_in, in_rate, out_rate):
  """Number of samples `audioop.ratecv` returns for `n_in` input samples."""
  if n_in <= 0:
    return 0
  g = math.gcd(int(in_rate), int(out_rate))
  inr, outr = int(in_rate) // g, int(out_rate) // g
  return (n_in - 1) * outr // inr + 1


def expected_length(n_frames, file_rate, rate):
  """pydub: `int(duration_seconds * rate)`, duration = frames / file rate."""
  duration = float(n_frames) / file_rate if file_rate else 0.0
  return int(duration * rate)


class AudioSource:
  """Random access to the mono samples of one audio file.

  Attributes:
    path: the file.
    sample_rate: the file's sample rate.
    n_frames: number of frames in the file.
    kind: 'int16', 'int24', 'int32' (integer PCM reproduced exactly) or
      'float'.
  """

  def __init__(self, path):
    self.path = path
    self._data = None  # Whole-file mono array for the librosa fallback.
    self._handle = None
    size = file_size(path)
    if size == 0:
      raise AudioFileError('file is empty (0 bytes)')
    check_wav_header(path, size)
    try:
      info = self._open_soundfile()
    except Exception as e:  # pylint: disable=broad-except
      sf_error = e
      info = None
    if info is None:
      self._load_with_librosa(sf_error)
    else:
      self.sample_rate = int(info.samplerate)
      self.n_frames = int(info.frames)
      self.channels = int(info.channels)
      self.kind = self._kind_of(info.subtype)
    if self.sample_rate <= 0:
      raise AudioFileError(f'invalid sample rate {self.sample_rate}')

  # ---------------------------------------------------------------- opening
  def _open_soundfile(self):
    if _is_remote(self.path):
      self._fileobj = _open_binary(self.path)
      self._handle = sf.SoundFile(self._fileobj)
    else:
      self._handle = sf.SoundFile(self.path)
    return self._handle

  def _load_with_librosa(self, sf_error):
    """Decodes formats libsndfile lacks (mp3, m4a, ...) with librosa."""
    try:
      import librosa  # pylint: disable=g-import-not-at-top
      with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if _is_remote(self.path):
          with _open_binary(self.path) as f:
            source = io.BytesIO(f.read())
        else:
          source = self.path
        audio, rate = librosa.load(source, sr=None, mono=False)
    except Exception:  # pylint: disable=broad-except
      raise AudioFileError(
          f'not a readable audio file ({_short_error(sf_error)})') from None
    audio = np.atleast_2d(np.asarray(audio, np.float32))  # [channels, n]
    self.sample_rate = int(rate)
    self.channels = audio.shape[0]
    self.n_frames = audio.shape[1]
    self.kind = 'float'
    self._data = np.mean(audio, axis=0)

  @staticmethod
  def _kind_of(subtype):
    if subtype in _INT16_SUBTYPES:
      return 'int16'
    if subtype == 'PCM_24':
      return 'int24'
    if subtype == 'PCM_32':
      return 'int32'
    return 'float'

  def close(self):
    if self._handle is not None:
      self._handle.close()
      self._handle = None

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc):
    self.close()

  # ---------------------------------------------------------------- reading
  @property
  def max_int(self):
    """Divisor of the int -> float conversion (pydub's typecode max)."""
    return {'int16': 32767, 'int24': 2147483647,
            'int32': 2147483647}.get(self.kind)

  @property
  def shift(self):
    """Left shift that puts samples in audioop's 32-bit domain."""
    return 16 if self.kind == 'int16' else 0

  def read_mono(self, start, stop):
    """Mono samples [start, stop) of the file (clipped to the file).

    Returns:
      int64 array (integer kinds, values of pydub's int array) or float64
      array, `[stop - start]` samples.
    """
    start = max(int(start), 0)
    stop = min(int(stop), self.n_frames)
    if stop <= start:
      return np.zeros([0], np.float64 if self.kind == 'float' else np.int64)
    if self._data is not None:
      return self._data[start:stop].astype(np.float64)
    self._handle.seek(start)
    if self.kind == 'float':
      x = self._handle.read(stop - start, dtype='float64', always_2d=True)
    else:
      dtype = 'int16' if self.kind == 'int16' else 'int32'
      x = self._handle.read(stop - start, dtype=dtype, always_2d=True)
      x = x.astype(np.int64)
      if self.kind == 'int24':
        # pydub widens 24-bit samples to 32 bits padding the low byte with
        # 0xFF for negative values.
        x = x + np.where(x < 0, 255, 0)
    if x.shape[0] != stop - start:
      raise AudioFileError(
          f'could only decode {start + x.shape[0]} of {self.n_frames} frames')
    return self._downmix(x)

  def _downmix(self, x):
    """[n, channels] -> [n] like pydub's set_channels(1)."""
    n_channels = x.shape[1]
    if n_channels == 1:
      return x[:, 0]
    if self.kind == 'float':
      return np.mean(x, axis=1)
    if n_channels == 2:
      # audioop.tomono(.., 0.5, 0.5): floor(0.5 * l + 0.5 * r).
      return (x[:, 0] + x[:, 1]) >> 1
    return np.sum(x // n_channels, axis=1)

  def scan(self, block_frames=BLOCK_FRAMES):
    """Decodes the whole file in blocks; raises AudioFileError if bad.

    Returns:
      peak = max |mono sample| as a float (1.0 = integer full scale).
    """
    peak = 0.0
    for start in range(0, self.n_frames, block_frames):
      x = self.read_mono(start, start + block_frames)
      if self.kind == 'float':
        bad = ~np.isfinite(x)
        if np.any(bad):
          raise AudioFileError(
              f'non-finite (NaN/inf) samples: {int(np.sum(bad))} in frames '
              f'{start}-{start + len(x)}, first at frame '
              f'{start + int(np.argmax(bad))}')
        if x.size:
          peak = max(peak, float(np.max(np.abs(x))))
      elif x.size:
        peak = max(peak, float(np.max(np.abs(x))) / self._int_full_scale)
    return peak

  @property
  def _int_full_scale(self):
    return {'int16': 32768.0, 'int24': 2147483648.0,
            'int32': 2147483648.0}[self.kind]

  def resampled(self, rate, start, stop):
    """Samples [start, stop) of the file resampled to `rate` (float32).

    Reproduces pydub: ratecv interpolation, zero padding / trimming to
    `expected_length(n_frames, file_rate, rate)`, int -> float division.

    Args:
      rate: output sample rate.
      start: first output sample.
      stop: one past the last output sample (may exceed the file: zeros).

    Returns:
      float32 array `[stop - start]`.
    """
    total = expected_length(self.n_frames, self.sample_rate, rate)
    n_valid = min(ratecv_length(self.n_frames, self.sample_rate, rate), total)
    out = np.zeros([max(stop - start, 0)], np.float32)
    k0, k1 = max(start, 0), min(stop, n_valid)
    if k1 <= k0:
      return out
    if rate == self.sample_rate:
      y = self.read_mono(k0, k1)
    else:
      y = self._interpolate(rate, k0, k1)
    if self.kind == 'float':
      y = y.astype(np.float32)
    else:
      y = y.astype(np.float32) / np.float32(self.max_int)
    out[k0 - start:k1 - start] = y
    return out

  def _interpolate(self, rate, k0, k1):
    """audioop.ratecv outputs [k0, k1) (int64 or float64)."""
    j, d, outr = ratecv_indices(np.arange(k0, k1), self.sample_rate, rate)
    first = max(int(j[0]) - 1, 0)
    x = self.read_mono(first, int(j[-1]) + 1)
    cur = x[j - first]
    prev_index = j - 1 - first
    prev = np.where(prev_index >= 0, x[np.maximum(prev_index, 0)], 0)
    if self.kind == 'float':
      return (prev * d + cur * (outr - d)) / outr
    scale = 1 << self.shift
    prev = (prev * scale).astype(np.float64)
    cur = (cur * scale).astype(np.float64)
    # C: (int)((prev * d + cur * (out - d)) / out), truncation toward zero,
    # then (int16)(value >> 16) for 16-bit audio.
    y = np.trunc((prev * d + cur * (outr - d)) / outr).astype(np.int64)
    return y >> self.shift


def _short_error(error):
  text = str(error).strip().splitlines()
  text = text[-1] if text else type(error).__name__
  return text[:200]


def load_audio_as_array(path, sample_rate):
  """Whole file, mono, at `sample_rate`, float32 (pydub-equivalent)."""
  with AudioSource(path) as source:
    total = expected_length(source.n_frames, source.sample_rate, sample_rate)
    return source.resampled(sample_rate, 0, total)
