"""ddsp.training.preprocessing: feature scaling and the preprocessor layers."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp import core
from ddsp import spectral_ops
from ddsp.training import preprocessing

SR = 16000


def _sine(seconds=1.0, freq=440.0, amp=0.5, batch=2):
  t = np.arange(int(SR * seconds)) / SR
  audio = amp * np.sin(2 * np.pi * freq * t).astype(np.float32)
  return np.tile(audio[np.newaxis], [batch, 1])


# ----------------------------------------------------------------------------
# Helpers.
# ----------------------------------------------------------------------------
# Axes are added in turn (time, batch, channel) until the input is 3-D.
@pytest.mark.parametrize('shape, expected', [
    ((), (1, 1, 1)),
    ((5,), (1, 5, 1)),
    ((2, 5), (2, 5, 1)),
    ((2, 5, 3), (2, 5, 3)),
])
def test_at_least_3d(shape, expected):
  x = np.zeros(shape, np.float32) if shape else np.float32(0.0)
  assert tuple(preprocessing.at_least_3d(x).shape) == expected


def test_scale_db_maps_range_to_unit_interval():
  np.testing.assert_allclose(preprocessing.scale_db(np.array([-80.0, 0.0])),
                             [0.0, 1.0])
  db = np.array([-63.0, -12.5])
  np.testing.assert_allclose(
      preprocessing.inv_scale_db(preprocessing.scale_db(db)), db)


def test_scale_f0_hz_is_midi_over_127():
  f0 = tf.constant([440.0, 261.63])
  np.testing.assert_allclose(preprocessing.scale_f0_hz(f0),
                             core.hz_to_midi(f0) / 127.0)
  np.testing.assert_allclose(
      preprocessing.inv_scale_f0_hz(preprocessing.scale_f0_hz(f0)), f0,
      rtol=1e-5)


def test_constants():
  assert preprocessing.F0_RANGE == 127.0
  assert preprocessing.DB_RANGE == 80.0


# ----------------------------------------------------------------------------
# F0LoudnessPreprocessor.
# ----------------------------------------------------------------------------
def test_f0_loudness_preprocessor_keys():
  pp = preprocessing.F0LoudnessPreprocessor()
  assert pp.input_keys == ['loudness_db', 'f0_hz']
  assert pp.default_input_keys == ['audio']
  assert pp.output_keys == ['f0_hz', 'loudness_db', 'f0_scaled', 'ld_scaled']


def test_f0_loudness_preprocessor_resamples_and_scales():
  pp = preprocessing.F0LoudnessPreprocessor(time_steps=20,
                                            compute_loudness=False)
  f0 = np.linspace(100, 200, 10)[np.newaxis].astype(np.float32)
  ld = np.linspace(-60, -20, 10)[np.newaxis].astype(np.float32)
  out = pp({'f0_hz': f0, 'loudness_db': ld})
  assert out['f0_hz'].shape == (1, 20, 1)
  np.testing.assert_allclose(out['f0_hz'], core.resample(f0[..., None], 20))
  np.testing.assert_allclose(out['ld_scaled'], out['loudness_db'] / 80 + 1,
                             rtol=1e-6)
  f0_hz, loudness_db = pp.invert_scaling(out['f0_scaled'], out['ld_scaled'])
  np.testing.assert_allclose(f0_hz, out['f0_hz'], rtol=1e-4)
  np.testing.assert_allclose(loudness_db, out['loudness_db'], atol=1e-4)


def test_f0_loudness_preprocessor_recomputes_loudness_from_audio():
  # Known behaviour: with compute_loudness=True the given loudness is ignored.
  audio = _sine(seconds=1.0)
  pp = preprocessing.F0LoudnessPreprocessor(time_steps=250)
  given = np.zeros([2, 250], np.float32)
  out = pp({'f0_hz': np.full([2, 250], 440.0, np.float32),
            'loudness_db': given, 'audio': audio})
  expected = core.resample(
      spectral_ops.compute_loudness(audio, sample_rate=SR,
                                    frame_rate=250)[..., None], 250)
  np.testing.assert_allclose(out['loudness_db'], expected, rtol=1e-5)
  assert not np.allclose(out['loudness_db'][..., 0], given)


@pytest.mark.parametrize('compute_loudness', [True, False])
def test_f0_loudness_preprocessor_without_audio_uses_the_given_loudness(
    compute_loudness):
  # The original raised here with compute_loudness=True (no audio).
  pp = preprocessing.F0LoudnessPreprocessor(
      time_steps=20, compute_loudness=compute_loudness)
  ld = np.linspace(-60, -20, 10)[np.newaxis].astype(np.float32)
  out = pp({'f0_hz': np.full([1, 10], 440.0, np.float32), 'loudness_db': ld})
  np.testing.assert_allclose(out['loudness_db'],
                             core.resample(ld[..., None], 20), rtol=1e-6)


# ----------------------------------------------------------------------------
# F0PowerPreprocessor (the original's test).
# ----------------------------------------------------------------------------
@pytest.fixture(scope='module')
def power_case():
  audio = _sine(seconds=1.0, batch=1)
  f0_hz = np.full([1, 250], 440.0, np.float32)
  power = spectral_ops.compute_power(audio, sample_rate=SR, frame_rate=250,
                                     frame_size=256)
  expected = core.resample(preprocessing.at_least_3d(power), 250)
  return audio, f0_hz, power, expected


@pytest.mark.parametrize('inputs', ['audio', 'power', 'both'])
def test_f0_power_preprocessor_matches_precomputed_power(power_case, inputs):
  audio, f0_hz, power, expected = power_case
  pp = preprocessing.F0PowerPreprocessor(time_steps=250, frame_rate=250,
                                         sample_rate=SR)
  features = {'f0_hz': f0_hz}
  if inputs in ('audio', 'both'):
    features['audio'] = audio
  if inputs in ('power', 'both'):
    features['power_db'] = power
  out = pp(features)
  assert set(out) == {'f0_hz', 'pw_db', 'f0_scaled', 'pw_scaled'}
  np.testing.assert_allclose(out['pw_db'], expected, rtol=0.5, atol=30)
  np.testing.assert_allclose(out['pw_scaled'],
                             preprocessing.scale_db(out['pw_db']), rtol=1e-6)


def test_f0_power_preprocessor_without_power_or_audio_raises():
  pp = preprocessing.F0PowerPreprocessor(time_steps=10)
  with pytest.raises(ValueError, match='power_db'):
    pp({'f0_hz': np.ones([1, 10], np.float32)})


def test_f0_power_preprocessor_attributes():
  pp = preprocessing.F0PowerPreprocessor(time_steps=5, frame_rate=50,
                                         sample_rate=32000, frame_size=128)
  assert (pp.time_steps, pp.frame_rate, pp.sample_rate, pp.frame_size) == (
      5, 50, 32000, 128)
  assert pp.input_keys == ['f0_hz']
  assert pp.default_input_keys == ['power_db', 'audio']


# ----------------------------------------------------------------------------
# OnlineF0PowerPreprocessor.
# ----------------------------------------------------------------------------
def _online(**kwargs):
  return preprocessing.OnlineF0PowerPreprocessor(
      frame_rate=50, crepe_saved_model_path=None, compute_f0=False, **kwargs)


def test_online_preprocessor_computes_power_without_resampling():
  pp = _online()
  audio = _sine(seconds=1.0, batch=1)  # 1 s, hop 320, centered: 51 frames.
  out = pp({'audio': audio, 'f0_hz': np.full([1, 51], 440.0, np.float32),
            'f0_confidence': np.ones([1, 51], np.float32)})
  assert out['pw_db'].shape == (1, 51, 1)
  expected = spectral_ops.compute_power(audio, sample_rate=SR, frame_rate=50,
                                        frame_size=1024, padding='center')
  np.testing.assert_allclose(out['pw_db'][..., 0], expected, rtol=1e-5)
  assert pp.hop_size == 320 and pp.sample_rate == 16000


def test_online_preprocessor_prefers_audio_16k():
  pp = _online()
  out = pp({'audio': np.zeros([1, 32000], np.float32),
            'audio_16k': _sine(seconds=1.0, batch=1),
            'f0_hz': np.full([1, 51], 440.0, np.float32),
            'f0_confidence': np.ones([1, 51], np.float32)})
  assert out['pw_db'].shape == (1, 51, 1)


def test_online_preprocessor_needs_f0_when_not_computing_it():
  with pytest.raises(ValueError, match='f0_hz'):
    _online()({'audio': _sine(seconds=1.0, batch=1)})


def test_online_preprocessor_checks_frame_counts():
  with pytest.raises(ValueError, match='frames'):
    _online()({'audio': _sine(seconds=1.0, batch=1),
               'f0_hz': np.full([1, 50], 440.0, np.float32),
               'f0_confidence': np.ones([1, 50], np.float32)})


def test_online_preprocessor_uses_given_power():
  pp = _online(compute_power=False)
  pw = np.full([1, 51], -30.0, np.float32)
  out = pp({'audio': _sine(seconds=1.0, batch=1), 'pw_db': pw,
            'f0_hz': np.full([1, 51], 440.0, np.float32),
            'f0_confidence': np.ones([1, 51], np.float32)})
  np.testing.assert_allclose(out['pw_scaled'], 1.0 - 30.0 / 80.0)


@pytest.mark.slow
def test_online_preprocessor_with_crepe_tiny():
  pp = preprocessing.OnlineF0PowerPreprocessor(
      frame_rate=50, crepe_saved_model_path='tiny', compute_f0=True)
  assert pp.crepe_model.hop_size == 320
  out = pp({'audio': _sine(seconds=1.0, batch=1)})
  assert out['f0_hz'].shape == (1, 51, 1)
  # A 440 Hz sine is tracked within a semitone in the middle frames.
  midi = core.hz_to_midi(out['f0_hz'][0, 10:40, 0]).numpy()
  np.testing.assert_allclose(midi, 69.0, atol=1.0)
  assert pp.crepe_model.trainable_variables
