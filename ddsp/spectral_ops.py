"""Spectral features of audio: STFTs, mel/MFCC, framing helpers, loudness.

Audio is `[batch, n_samples]` (or `[n_samples]`, or `[batch, n_samples, 1]`
where stated). Frame-wise features come out as `[batch, n_frames, ...]`.
Everything in TensorFlow is float32 and differentiable; functions with a
`use_tf=False` switch run numpy/librosa code instead (for data preparation).
"""

import functools

from ddsp import core
from ddsp import crepe_frontend
# CREPE pitch tracking (network, weights, decoding) lives in crepe_model.py;
# its public names are part of this module's API, as in the original.
from ddsp.crepe_model import compute_f0  # pylint: disable=unused-import
from ddsp.crepe_model import PretrainedCREPE  # pylint: disable=unused-import
from ddsp.crepe_model import reset_crepe  # pylint: disable=unused-import
from ddsp.core import safe_log  # pylint: disable=unused-import
from ddsp.core import tf_float32
# Framing arithmetic lives in framing.py (below CREPE); same functions.
from ddsp.framing import floor_hop
from ddsp.framing import get_framed_lengths  # pylint: disable=unused-import
from ddsp.framing import pad
from ddsp.framing import pad_np
import gin
import numpy as np
import tensorflow as tf

# CREPE always analyses 16 kHz audio in frames of 1024 samples.
CREPE_SAMPLE_RATE = crepe_frontend.SAMPLE_RATE
CREPE_FRAME_SIZE = crepe_frontend.FRAME_SIZE

# Ranges used to scale features for networks.
F0_RANGE = 127.0  # MIDI.
DB_RANGE = core.DB_RANGE  # dB (80.0).


# ------------------------------------------------------------- validation --
def _audio_rank_error(audio, name):
  return ValueError(
      f'`{name}` must be audio of shape [n_samples], [batch, n_samples] or '
      f'[batch, n_samples, 1]; got shape {audio.shape}.')


def _squeeze_channel(audio, name='audio'):
  """Removes a trailing channel axis of size 1: [B, n, 1] -> [B, n].

  Args:
    audio: float32 tensor of rank 1, 2 or 3 (last axis of size 1).
    name: argument name used in error messages.

  Returns:
    Tensor of rank 1 or 2.

  Raises:
    ValueError: on any other rank, or a 3-D input with several channels.
  """
  rank = audio.shape.rank
  if rank is None:
    return audio
  if rank == 3:
    if audio.shape[-1] not in (1, None):
      raise _audio_rank_error(audio, name)
    return tf.squeeze(audio, axis=-1)
  if rank not in (1, 2):
    raise _audio_rank_error(audio, name)
  return audio


# ------------------------------------------------------------------ STFTs --
def stft(audio, frame_size=2048, overlap=0.75, pad_end=True):
  """Short-time Fourier transform with a periodic Hann window.

  The hop is `int(frame_size * (1 - overlap))` (float product, truncated);
  the FFT length is the next power of two >= frame_size.

  Args:
    audio: `[batch, n_samples]`, `[n_samples]` or `[batch, n_samples, 1]`.
    frame_size: window length in samples.
    overlap: fraction of a window shared by consecutive frames.
    pad_end: zero-pad the end so that `n_frames = ceil(n_samples / hop)`;
      otherwise `n_frames = 1 + (n_samples - frame_size) // hop`.

  Returns:
    complex64 `[batch, n_frames, fft_size // 2 + 1]` (batch axis only if the
    input has one).
  """
  audio = _squeeze_channel(tf_float32(audio))
  return tf.signal.stft(
      signals=audio,
      frame_length=int(frame_size),
      frame_step=int(frame_size * (1.0 - overlap)),
      fft_length=None,
      pad_end=pad_end)


def stft_np(audio, frame_size=2048, overlap=0.75, pad_end=True):
  """Numpy/librosa STFT matching `stft` (used by the numpy loudness path).

  Args:
    audio: `[batch, n_samples]` or `[n_samples]` array.
    frame_size: window length in samples.
    overlap: fraction of overlap; `frame_size * overlap` must be even.
    pad_end: zero-pad the end like `pad(..., padding='same')`.

  Returns:
    complex `[batch, n_frames, frame_size // 2 + 1]` (or without batch axis).
  """
  import librosa  # pylint: disable=g-import-not-at-top
  hop_size = int(frame_size * (1.0 - overlap))
  is_2d = len(audio.shape) == 2
  if pad_end:
    audio = pad(audio, frame_size, hop_size, 'same', axis=int(is_2d)).numpy()

  def stft_1d(y):
    return librosa.stft(
        y=y, n_fft=int(frame_size), hop_length=hop_size, center=False).T

  if is_2d:
    return np.stack([stft_1d(row) for row in audio])
  return stft_1d(audio)


def _magnitude(s):
  """|s| of a complex spectrogram as float32."""
  return tf.cast(tf.abs(s), tf.float32)


@gin.register
def compute_mag(audio, size=2048, overlap=0.75, pad_end=True):
  """Magnitude spectrogram `|STFT|`, float32 `[batch, n_frames, n_bins]`."""
  return _magnitude(stft(audio, frame_size=size, overlap=overlap,
                         pad_end=pad_end))


@gin.register
def compute_mel(audio,
                lo_hz=0.0,
                hi_hz=8000.0,
                bins=64,
                fft_size=2048,
                overlap=0.75,
                pad_end=True,
                sample_rate=16000):
  """Mel-warped magnitude spectrogram `[batch, n_frames, bins]`.

  mel = |STFT| @ W, with W the `[n_fft_bins, bins]` triangular mel filterbank
  of `tf.signal.linear_to_mel_weight_matrix` (magnitudes, not power).
  """
  mag = compute_mag(audio, fft_size, overlap, pad_end)
  n_spectrogram_bins = int(mag.shape[-1])
  mel_matrix = tf.signal.linear_to_mel_weight_matrix(
      num_mel_bins=bins,
      num_spectrogram_bins=n_spectrogram_bins,
      sample_rate=sample_rate,
      lower_edge_hertz=lo_hz,
      upper_edge_hertz=hi_hz)
  mel = tf.tensordot(mag, mel_matrix, 1)
  mel.set_shape(mag.shape[:-1].concatenate(mel_matrix.shape[-1:]))
  return mel


@gin.register
def compute_logmag(audio, size=2048, overlap=0.75, pad_end=True):
  """Natural log of the magnitude spectrogram (`safe_log`, eps 1e-5)."""
  return core.safe_log(compute_mag(audio, size, overlap, pad_end))


@gin.register
def compute_logmel(audio,
                   lo_hz=80.0,
                   hi_hz=7600.0,
                   bins=64,
                   fft_size=2048,
                   overlap=0.75,
                   pad_end=True,
                   sample_rate=16000):
  """Natural log of the mel magnitude spectrogram `[batch, n_frames, bins]`."""
  mel = compute_mel(audio, lo_hz, hi_hz, bins, fft_size, overlap, pad_end,
                    sample_rate)
  return core.safe_log(mel)


@gin.register
def compute_mfcc(audio,
                 lo_hz=20.0,
                 hi_hz=8000.0,
                 fft_size=1024,
                 mel_bins=128,
                 mfcc_bins=13,
                 overlap=0.75,
                 pad_end=True,
                 sample_rate=16000):
  """Mel-frequency cepstral coefficients `[batch, n_frames, mfcc_bins]`.

  DCT-II (orthonormal scaling 1/sqrt(2 * mel_bins)) of the log mel
  spectrogram, first `mfcc_bins` coefficients kept.
  """
  logmel = compute_logmel(
      audio,
      lo_hz=lo_hz,
      hi_hz=hi_hz,
      bins=mel_bins,
      fft_size=fft_size,
      overlap=overlap,
      pad_end=pad_end,
      sample_rate=sample_rate)
  mfccs = tf.signal.mfccs_from_log_mel_spectrograms(logmel)
  return mfccs[..., :mfcc_bins]


# ------------------------------------------------ energy, power, loudness --
def compute_rms_energy(audio,
                       sample_rate=16000,
                       frame_rate=250,
                       frame_size=512,
                       padding='center'):
  """Frame-wise root mean square of the signal, `[batch, n_frames]`.

  rms = sqrt(mean_t(x_t^2)) over each frame of `frame_size` samples with hop
  `sample_rate // frame_rate`.
  """
  hop_size = floor_hop(sample_rate, frame_rate)
  audio = pad(audio, frame_size, hop_size, padding=padding)
  frames = tf.signal.frame(audio, frame_size, hop_size, pad_end=False)
  return tf.reduce_mean(frames**2.0, axis=-1)**0.5


def compute_rms_energy_np(audio,
                          sample_rate=16000,
                          frame_rate=250,
                          frame_size=512,
                          padding='center'):
  """`compute_rms_energy` in numpy (float64), as `stft_np` is to `stft`.

  For callers that must not enter TensorFlow, e.g. a frame at a time in a
  live stream. Time is the last axis. Returns float64 `[..., n_frames]`.
  """
  hop_size = int(floor_hop(sample_rate, frame_rate))
  audio = pad_np(np.asarray(audio, np.float64), frame_size, hop_size,
                 padding=padding)
  frames = np.lib.stride_tricks.sliding_window_view(
      audio, frame_size, axis=-1)[..., ::hop_size, :]
  return np.sqrt(np.mean(np.square(frames), axis=-1))


def compute_power(audio,
                  sample_rate=16000,
                  frame_rate=250,
                  frame_size=512,
                  ref_db=0.0,
                  range_db=DB_RANGE,
                  padding='center'):
  """Frame-wise power in dB: 20 log10(rms) - ref_db, floored at -range_db."""
  rms = compute_rms_energy(audio, sample_rate, frame_rate, frame_size,
                           padding=padding)
  return core.amplitude_to_db(rms, ref_db=ref_db, range_db=range_db,
                              use_tf=True)


def compute_power_np(audio,
                     sample_rate=16000,
                     frame_rate=250,
                     frame_size=512,
                     ref_db=0.0,
                     range_db=DB_RANGE,
                     padding='center'):
  """`compute_power` in numpy (float64): the same dB within 1e-5."""
  rms = compute_rms_energy_np(audio, sample_rate, frame_rate, frame_size,
                              padding=padding)
  return core.amplitude_to_db(rms, ref_db=ref_db, range_db=range_db,
                              use_tf=False)


def a_weighting_db(frequencies, min_db=-80.0):
  """A-weighting curve in dB (IEC 61672), same values as librosa's.

  A(f) = 2 + 20 [log10(c0) + 2 log10(f^2) - log10(f^2 + c0) - log10(f^2 + c1)
         - log10(f^2 + c2) / 2 - log10(f^2 + c3) / 2],  floored at `min_db`,
  with c = (12194.217^2, 20.598997^2, 107.65265^2, 737.86223^2). The DC bin
  (log10(0) = -inf) ends up at `min_db`.

  Args:
    frequencies: numpy array of frequencies in Hz.
    min_db: floor in dB (None for no floor).

  Returns:
    float64 numpy array of weights in dB.
  """
  f_sq = np.asarray(frequencies, dtype=np.float64)**2.0
  c = np.array([12194.217, 20.598997, 107.65265, 737.86223])**2.0
  with np.errstate(divide='ignore'):
    weights = 2.0 + 20.0 * (
        np.log10(c[0]) + 2 * np.log10(f_sq) - np.log10(f_sq + c[0]) -
        np.log10(f_sq + c[1]) - 0.5 * np.log10(f_sq + c[2]) -
        0.5 * np.log10(f_sq + c[3]))
  return weights if min_db is None else np.maximum(min_db, weights)


@functools.lru_cache(maxsize=32)
def _a_weighting_power(sample_rate, n_fft):
  """Linear power gains 10^(A(f)/10) of the rFFT bins, float64 `[n_bins]`."""
  frequencies = np.linspace(0, float(sample_rate) / 2, 1 + n_fft // 2)
  weights = 10.0**(a_weighting_db(frequencies) / 10.0)
  weights.setflags(write=False)
  return weights


@gin.register
def compute_loudness(audio,
                     sample_rate=16000,
                     frame_rate=250,
                     n_fft=512,
                     range_db=DB_RANGE,
                     ref_db=0.0,
                     use_tf=True,
                     padding='center'):
  """Perceptual loudness in dB: A-weighted mean power of STFT frames.

  loudness = 10 log10(mean_f |S(f)|^2 10^(A(f)/10)) - ref_db,
  floored at -range_db (0 dB <-> power 1). Hop = sample_rate // frame_rate,
  window n_fft (must be a power of two).

  Args:
    audio: `[batch, n_samples]` or `[n_samples]`.
    sample_rate: audio sample rate in Hz.
    frame_rate: output frames per second.
    n_fft: STFT window / FFT size.
    range_db: dynamic range below 0 dB kept.
    ref_db: reference subtracted from the dB values.
    use_tf: TensorFlow (float32, differentiable) or numpy (float64) path.
    padding: 'center', 'same' or 'valid' framing.

  Returns:
    Loudness `[batch, n_frames]` (or `[n_frames]`).
  """
  hop_size = floor_hop(sample_rate, frame_rate)
  audio = pad(audio, n_fft, hop_size, padding=padding)
  if use_tf:
    audio = _squeeze_channel(audio)
  else:
    audio = np.array(audio)
  if len(audio.shape) not in (1, 2):
    raise _audio_rank_error(audio, 'audio')

  is_1d = len(audio.shape) == 1
  if is_1d:
    audio = audio[None, :]

  overlap = 1 - hop_size / n_fft
  weighting = _a_weighting_power(sample_rate, n_fft)
  if use_tf:
    s = stft(audio, frame_size=n_fft, overlap=overlap, pad_end=False)
    # |S|^2 = Re(S)^2 + Im(S)^2 (no sqrt: finite gradient at S = 0).
    power = tf.math.real(s)**2 + tf.math.imag(s)**2
    power = power * tf.constant(weighting, tf.float32)
    avg_power = tf.reduce_mean(power, axis=-1)
  else:
    s = stft_np(audio, frame_size=n_fft, overlap=overlap, pad_end=False)
    power = np.abs(s)**2
    power = power * weighting
    avg_power = np.mean(power, axis=-1)

  loudness = core.power_to_db(avg_power, ref_db=ref_db, range_db=range_db,
                              use_tf=use_tf)
  return loudness[0] if is_1d else loudness


# --------------------------------------------------------------- lengths --
def pad_or_trim_to_expected_length(vector,
                                   expected_len,
                                   pad_value=0,
                                   len_tolerance=20,
                                   use_tf=False):
  """Pads (end, with `pad_value`) or trims the last axis to `expected_len`.

  Args:
    vector: `[n]` or `[batch, n]` numpy array (or tensor if `use_tf`).
    expected_len: wanted length of the last axis.
    pad_value: value appended when too short.
    len_tolerance: largest allowed |n - expected_len|.
    use_tf: use `tf.pad` instead of `np.pad`.

  Returns:
    Same rank as `vector`, last axis of length `expected_len`.

  Raises:
    ValueError: when the length differs by more than `len_tolerance`.
  """
  expected_len = int(expected_len)
  vector_len = int(vector.shape[-1])
  if abs(vector_len - expected_len) > len_tolerance:
    raise ValueError(
        f'Vector length: {vector_len} differs from expected length: '
        f'{expected_len} beyond tolerance of : {len_tolerance}')

  is_1d = len(vector.shape) == 1
  if is_1d:
    vector = vector[None, :]

  if vector_len < expected_len:
    paddings = ((0, 0), (0, expected_len - vector_len))
    if use_tf:
      vector = tf.pad(vector, paddings, mode='CONSTANT',
                      constant_values=pad_value)
    else:
      vector = np.pad(vector, paddings, mode='constant',
                      constant_values=pad_value)
  elif vector_len > expected_len:
    vector = vector[..., :expected_len]

  return vector[0] if is_1d else vector

