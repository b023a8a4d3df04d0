"""The features layer: one decoder, one resampler, one CREPE front end.

The same file reaches CREPE as the same samples whether data preparation,
timbre transfer or a notebook reads it; broken files give errors that name
the file; the CREPE normalisations keep the numbers of each caller.
"""
import io
import os

import golden
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp import crepe_frontend
from ddsp import framing
from ddsp import spectral_ops
from ddsp.colab import colab_utils
from ddsp.features import audio as audio_lib
from ddsp.features import f0_loudness
from ddsp.features import resampling

BAD_DIR = golden.path('audio/bad')
UNREADABLE = {'empty_0_bytes.wav': 'empty',
              'not_audio_text.wav': 'not a readable audio file',
              'truncated_header_4s_data_1p5s.wav': 'truncated'}


def _sine(hz, seconds, rate, amp=0.5):
  t = np.arange(int(seconds * rate)) / rate
  return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture(scope='module')
def wav_44k(tmp_path_factory):
  rng = np.random.default_rng(1)
  audio = np.stack([_sine(440, 2.7, 44100), _sine(660, 2.7, 44100)], axis=1)
  audio += 0.05 * rng.standard_normal(audio.shape).astype(np.float32)
  path = str(tmp_path_factory.mktemp('features') / 'a.wav')
  sf.write(path, audio, 44100, subtype='PCM_16')
  return path


# ---------------------------------------------------------- resampling ----
@pytest.mark.parametrize('rate_in,rate_out', [(44100, 16000), (48000, 16000),
                                              (22050, 16000), (16000, 48000),
                                              (8000, 44100)])
def test_resampling_keeps_the_passband_and_the_timing(rate_in, rate_out):
  hz = 1000.3
  out = resampling.resample(_sine(hz, 1.0, rate_in), rate_in, rate_out)
  assert out.dtype == np.float32
  assert out.size == rate_out
  expected = _sine(hz, 1.0, rate_out)
  inner = slice(rate_out // 10, -rate_out // 10)
  np.testing.assert_allclose(out[inner], expected[inner], atol=1e-5)


@pytest.mark.parametrize('rate_in', [44100, 48000, 22050])
def test_resampling_to_16k_removes_what_would_alias(rate_in):
  out = resampling.resample(_sine(9000.0, 1.0, rate_in), rate_in, 16000)
  peak_db = 20 * np.log10(np.max(np.abs(out[1600:-1600])) / 0.5)
  assert peak_db < -100


def test_resampled_length_is_floored():
  assert resampling.resampled_length(44101, 44100, 16000) == 16000
  assert resampling.resampled_length(44100, 44100, 16000) == 16000
  assert resampling.resampled_length(10, 3, 7) == 23


@pytest.mark.parametrize('rate_in,rate_out', [(44100, 16000), (16000, 44100),
                                              (44101, 16000)])
def test_any_range_equals_the_same_range_of_the_whole(rate_in, rate_out):
  rng = np.random.default_rng(0)
  signal = rng.uniform(-1, 1, size=int(6.2 * rate_in)).astype(np.float32)
  whole = resampling.resample(signal, rate_in, rate_out)

  def read(start, stop):
    out = np.zeros(stop - start, np.float32)
    lo, hi = max(start, 0), min(stop, signal.size)
    if hi > lo:
      out[lo - start:hi - start] = signal[lo:hi]
    return out

  resampler = resampling.Resampler(read, signal.size, rate_in, rate_out)
  padded = np.concatenate([whole, np.zeros(300000, np.float32)])
  for start in [0, 1, 65535, 65536, 100003, whole.size - 10]:
    for length in [1, 777, 70000, 140000]:
      got = resampler.range(start, start + length)
      np.testing.assert_array_equal(got, padded[start:start + length])


def test_multichannel_resampling_is_per_channel():
  stereo = np.stack([_sine(300, 0.5, 44100), _sine(500, 0.5, 44100)])
  out = resampling.resample(stereo, 44100, 16000)
  assert out.shape == (2, 8000)
  np.testing.assert_array_equal(out[1],
                                resampling.resample(stereo[1], 44100, 16000))


# ------------------------------------------------------------- decoder ----
def test_every_reader_gives_the_same_16k_samples(wav_44k):
  """Data preparation, transfer and the notebooks read the same numbers."""
  whole = audio_lib.decode_audio(wav_44k, 16000)
  assert whole.size == int(2.7 * 16000)
  stream = audio_lib.AudioStream(wav_44k, 16000, block_seconds=0.37)
  np.testing.assert_array_equal(np.concatenate(list(stream.blocks())), whole)
  with audio_lib.AudioSource(wav_44k) as source:  # A data preparation chunk.
    np.testing.assert_array_equal(source.resampled(16000, 20000, 30000),
                                  whole[20000:30000])
  np.testing.assert_array_equal(colab_utils.load_audio(wav_44k), whole)
  with open(wav_44k, 'rb') as f:
    from_bytes = colab_utils.audio_bytes_to_np(f.read(), normalize_db=None)
  np.testing.assert_array_equal(from_bytes, whole)


def test_multichannel_decoding(wav_44k):
  stereo = audio_lib.decode_audio(wav_44k, 16000, mono=False)
  assert stereo.shape == (2, int(2.7 * 16000))
  left = sf.read(wav_44k, dtype='int16')[0][:, 0] / np.float32(32767)
  np.testing.assert_array_equal(
      stereo[0], resampling.resample(left.astype(np.float32), 44100, 16000))


def test_file_objects_and_paths_decode_alike(tmp_path):
  path = str(tmp_path / 'a.flac')
  sf.write(path, _sine(440, 0.5, 22050), 22050)
  with open(path, 'rb') as f:
    from_object = audio_lib.decode_audio(io.BytesIO(f.read()), 16000)
  np.testing.assert_array_equal(from_object,
                                audio_lib.decode_audio(path, 16000))


@pytest.mark.parametrize('name,reason', sorted(UNREADABLE.items()))
def test_unreadable_files_name_the_file_at_every_entry_point(name, reason):
  path = os.path.join(BAD_DIR, name)
  entry_points = [
      lambda: audio_lib.AudioSource(path),
      lambda: audio_lib.decode_audio(path, 16000),
      lambda: list(audio_lib.AudioStream(path, 16000).blocks()),
      lambda: colab_utils.load_audio(path),
  ]
  for entry_point in entry_points:
    with pytest.raises(audio_lib.AudioFileError, match=reason) as error:
      entry_point()
    assert path in str(error.value)
    assert error.value.reason and reason in error.value.reason
  with open(path, 'rb') as f:
    data = f.read()
  with pytest.raises(ValueError, match='Cannot read audio'):
    colab_utils.audio_bytes_to_np(data)


def test_missing_file_is_a_clear_error(tmp_path):
  missing = str(tmp_path / 'none.wav')
  for entry_point in (lambda: audio_lib.decode_audio(missing, 16000),
                      lambda: audio_lib.AudioStream(missing, 16000)):
    with pytest.raises(FileNotFoundError, match='not found') as error:
      entry_point()
    assert missing in str(error.value)


def test_nan_samples_are_reported_by_scan_and_read_as_zero():
  path = os.path.join(BAD_DIR, 'nan_samples_float32.wav')
  with pytest.raises(audio_lib.AudioFileError, match='non-finite'):
    with audio_lib.AudioSource(path) as source:
      source.scan()
  audio = audio_lib.decode_audio(path, 16000)
  assert audio.size and np.all(np.isfinite(audio))
  blocks = list(audio_lib.AudioStream(path, 16000).blocks())
  assert all(np.all(np.isfinite(b)) for b in blocks)


@pytest.mark.parametrize('name', ['too_short_0p2s.wav', 'silence_10s.wav',
                                  'low_sr_8khz.wav'])
def test_odd_but_valid_files_decode(name):
  audio = audio_lib.decode_audio(os.path.join(BAD_DIR, name), 16000)
  assert audio.size > 0 and audio.dtype == np.float32


def test_a_file_without_samples_is_an_error(tmp_path):
  path = str(tmp_path / 'empty.wav')
  sf.write(path, np.zeros(0, np.float32), 16000)
  with pytest.raises(audio_lib.AudioFileError, match='no audio samples'):
    audio_lib.decode_audio(path, 16000)
  with pytest.raises(audio_lib.AudioFileError, match='no audio samples'):
    list(audio_lib.AudioStream(path, 16000).blocks())


# ------------------------------------------------------- CREPE front end --
def test_crepe_constants_are_defined_once():
  assert spectral_ops.CREPE_SAMPLE_RATE == crepe_frontend.SAMPLE_RATE == 16000
  assert spectral_ops.CREPE_FRAME_SIZE == crepe_frontend.FRAME_SIZE == 1024
  assert spectral_ops.pad is framing.pad
  assert spectral_ops.get_framed_lengths is framing.get_framed_lengths
  with pytest.raises(ValueError, match='model_capacity'):
    crepe_frontend.check_model_size('huge')
  assert [crepe_frontend.crepe_hop(r) for r in (50, 100, 250)] == [
      320, 160, 64]


def _frames_with_a_silent_one():
  rng = np.random.default_rng(3)
  frames = rng.standard_normal((4, 1024)).astype(np.float32)
  frames[1] = 0.25  # Constant: variance 0.
  frames[2] *= 1e-6
  return frames


def test_clip_std_is_the_crepe_package_arithmetic():
  frames = _frames_with_a_silent_one()
  expected = frames.copy()
  expected -= np.mean(expected, axis=1)[:, np.newaxis]
  expected /= np.clip(np.std(expected, axis=1)[:, np.newaxis], 1e-8, None)
  got = crepe_frontend.normalize_frames(frames, 'clip_std')
  np.testing.assert_array_equal(got, expected)
  assert np.all(got[1] == 0)


def test_tf_normalisations_keep_their_callers_numbers():
  frames = tf.constant(_frames_with_a_silent_one())
  mean, variance = tf.nn.moments(frames, axes=[-1], keepdims=True)
  nonzero = (frames - mean) / tf.where(tf.abs(variance) > 0,
                                       tf.sqrt(variance), 1e-8)
  plus_eps = (frames - mean) / (variance**0.5 + 1e-5)
  np.testing.assert_array_equal(
      crepe_frontend.normalize_frames(frames, 'nonzero_std'), nonzero)
  np.testing.assert_array_equal(
      crepe_frontend.normalize_frames(frames, 'std_plus_eps'), plus_eps)
  with pytest.raises(ValueError, match='normalization'):
    crepe_frontend.normalize_frames(frames, 'l2')


def test_numpy_and_tf_framing_agree():
  audio = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
  np_frames = crepe_frontend.crepe_frames(audio, 160, 'center', 'clip_std')
  tf_frames = crepe_frontend.crepe_frames(tf.constant(audio), 160, 'center',
                                          'clip_std')
  assert np_frames.shape == tuple(tf_frames.shape) == (32, 1024)
  np.testing.assert_allclose(np_frames, tf_frames.numpy(), atol=1e-4)


# -------------------------------------------------------- f0, loudness ----
def test_features_of_high_rate_audio_are_computed_at_16k():
  audio_48k = _sine(330, 1.0, 48000) * np.linspace(0.1, 1, 48000,
                                                   dtype=np.float32)
  audio_16k = resampling.resample(audio_48k, 48000, 16000)
  feats = f0_loudness.f0_and_loudness(audio_48k, 48000, 250, viterbi=False,
                                      model_capacity='tiny')
  np.testing.assert_array_equal(
      feats['loudness_db'], f0_loudness.loudness(audio_16k, 16000, 250))
  f0_hz, _ = f0_loudness.f0(audio_16k, 16000, 250, viterbi=False,
                            model_capacity='tiny')
  np.testing.assert_array_equal(feats['f0_hz'], f0_hz)
  assert {k: v.shape for k, v in feats.items()} == {
      k: (251,) for k in f0_loudness.FEATURE_KEYS}
  assert abs(np.median(feats['f0_hz'][20:-20]) - 330) < 5


def test_feature_extractor_refuses_fractional_hops():
  with pytest.raises(ValueError, match='Nearby valid frame rates'):
    f0_loudness.FeatureExtractor(frame_rate=300)
