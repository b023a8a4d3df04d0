"""postprocessing: smoothing, note detection, quantile transforms."""
import numpy as np
import pytest
from sklearn import preprocessing as skp
import tensorflow as tf

from ddsp import spectral_ops
from ddsp.training import postprocessing


def _features(n=600, seed=0):
  rng = np.random.RandomState(seed)
  loudness = rng.uniform(-80.0, 0.0, n).astype(np.float32)
  conf = rng.uniform(0.0, 1.0, n).astype(np.float32)
  return loudness, conf


@pytest.mark.parametrize('shape', [(50,), (3, 50)])
@pytest.mark.parametrize('filter_size', [1, 3, 7])
def test_smooth_is_a_box_filter_with_zero_padding(shape, filter_size):
  x = np.random.RandomState(1).randn(*shape).astype(np.float32)
  y = postprocessing.smooth(x, filter_size)
  assert y.shape == x.shape
  kernel = np.ones(filter_size) / filter_size
  rows = np.atleast_2d(x)
  left = (filter_size - 1) // 2
  expected = []
  for row in rows:
    padded = np.pad(row, (left, filter_size - 1 - left))
    expected.append(np.convolve(padded, kernel, mode='valid'))
  np.testing.assert_allclose(np.atleast_2d(y), expected, atol=1e-5)


def test_smooth_rejects_3d():
  with pytest.raises(ValueError, match='1-D or 2-D'):
    postprocessing.smooth(np.zeros([1, 2, 3]))


@pytest.mark.parametrize('kwargs', [
    {}, {'note_threshold': 0.5}, {'exponent': 1.0, 'smoothing': 5},
    {'f0_confidence_threshold': 0.9, 'min_db': -100.0}])
def test_detect_notes_formula(kwargs):
  loudness, conf = _features()
  mask, ratio = postprocessing.detect_notes(loudness, conf, **kwargs)
  p = dict(note_threshold=1.0, exponent=2.0, smoothing=40,
           f0_confidence_threshold=0.7, min_db=-80.0)
  p.update(kwargs)
  smoothed = postprocessing.smooth(conf**p['exponent'], p['smoothing'])
  expected = (smoothed * (loudness - p['min_db']) /
              ((loudness.mean() - p['min_db']) *
               p['f0_confidence_threshold']**p['exponent']))
  np.testing.assert_allclose(ratio, expected, rtol=1e-5)
  np.testing.assert_array_equal(mask, ratio >= p['note_threshold'])


def test_detect_notes_finds_a_loud_confident_note():
  loudness = np.full([500], -70.0, np.float32)
  conf = np.full([500], 0.1, np.float32)
  loudness[200:300] = -10.0
  conf[200:300] = 0.95
  mask, _ = postprocessing.detect_notes(loudness, conf)
  assert mask[230:270].all()
  assert not mask[:150].any() and not mask[350:].any()


def test_detect_notes_shape_mismatch():
  with pytest.raises(ValueError, match='same shape'):
    postprocessing.detect_notes(np.zeros(5), np.zeros(6))


@pytest.mark.parametrize('n_samples,n_quantiles', [(50, 1000), (5000, 100),
                                                   (3000, 1000)])
@pytest.mark.parametrize('dist', ['uniform', 'normal'])
def test_quantile_transformer_matches_scikit_learn(n_samples, n_quantiles,
                                                   dist):
  rng = np.random.RandomState(3)
  x = np.concatenate([rng.randn(n_samples, 1) * 10 - 30,
                      rng.gamma(2.0, size=(n_samples, 1))], axis=1)
  x[:5, 0] = x[0, 0]  # Repeated values exercise the two-sided interpolation.
  ours = postprocessing.QuantileTransformer(n_quantiles, dist).fit(x)
  ref = skp.QuantileTransformer(n_quantiles=n_quantiles,
                                output_distribution=dist,
                                subsample=int(1e9)).fit(x)
  np.testing.assert_allclose(ours.quantiles_, ref.quantiles_, rtol=1e-12)
  np.testing.assert_allclose(ours.references_, ref.references_)
  probe = np.concatenate([x, rng.randn(100, 2) * 50], axis=0)
  np.testing.assert_allclose(ours.transform(probe), ref.transform(probe),
                             atol=1e-9)
  y = ref.transform(probe)
  np.testing.assert_allclose(ours.inverse_transform(y),
                             ref.inverse_transform(y), atol=1e-9)


def test_quantile_transformer_subsamples_with_its_random_state():
  x = np.random.RandomState(0).randn(500, 1)
  qt = postprocessing.QuantileTransformer(n_quantiles=10, subsample=100)
  qt.random_state = np.random.RandomState(7)
  qt.fit(x)
  idx = np.random.RandomState(7).choice(500, size=100, replace=False)
  np.testing.assert_allclose(
      qt.quantiles_[:, 0],
      np.maximum.accumulate(np.nanpercentile(x[idx, 0],
                                             qt.references_ * 100)))


def test_quantile_transformer_default_attributes():
  qt = postprocessing.QuantileTransformer()
  assert (qt.n_quantiles, qt.output_distribution, qt.subsample) == (
      1000, 'uniform', 100000)
  assert qt.random_state is np.random.mtrand._rand  # pylint: disable=protected-access


def test_quantile_transformer_rejects_no_quantiles():
  with pytest.raises(ValueError, match="Invalid value for 'n_quantiles'"):
    postprocessing.QuantileTransformer(n_quantiles=0).fit(np.zeros([3, 1]))


def test_transform_works_on_a_copy():
  x = np.random.RandomState(0).randn(100, 1)
  before = x.copy()
  postprocessing.QuantileTransformer(50).fit_transform(x)
  np.testing.assert_array_equal(x, before)


def test_fit_quantile_transform_without_inverse():
  loudness, conf = _features()
  mask, _ = postprocessing.detect_notes(loudness, conf)
  qt = postprocessing.fit_quantile_transform(loudness, mask)
  assert isinstance(qt, postprocessing.QuantileTransformer)
  assert qt.quantiles_.shape == (min(1000, mask.sum()), 1)


def test_fit_quantile_transform_histogram_matches_note_frames():
  rng = np.random.RandomState(5)
  target = postprocessing.QuantileTransformer().fit(
      rng.uniform(-40.0, -10.0, (2000, 1)))
  loudness = rng.uniform(-80.0, 0.0, (2, 300)).astype(np.float32)
  mask = loudness > -60.0
  qt, norm = postprocessing.fit_quantile_transform(loudness, mask,
                                                   inv_quantile=target)
  assert norm.shape == (600, 1)
  flat_mask = mask.ravel()
  np.testing.assert_array_equal(norm[~flat_mask, 0],
                                loudness.ravel()[~flat_mask])
  on = norm[flat_mask, 0]
  assert on.min() >= -40.0 - 1e-6 and on.max() <= -10.0 + 1e-6
  expected = target.inverse_transform(
      qt.transform(loudness.ravel()[flat_mask][:, None]))
  np.testing.assert_allclose(on, expected[:, 0])


class _RampProvider(object):
  """Examples of a rising tone at any rate, without 'audio_16k'."""

  def __init__(self, sample_rate, frame_rate, seconds=2, rates=True):
    if rates:
      self.sample_rate, self.frame_rate = sample_rate, frame_rate
    t = np.arange(seconds * sample_rate) / sample_rate
    audio = np.exp(2.0 * t - 4.0) * np.sin(2 * np.pi * 440.0 * t)
    n_frames = seconds * frame_rate
    self.audio = np.stack([audio, 0.5 * audio]).astype(np.float32)
    self.example = {
        'audio': self.audio,
        'loudness_db': np.tile(np.linspace(-60.0, -10.0, n_frames,
                                           dtype=np.float32), [2, 1]),
        'f0_hz': np.full([2, n_frames], 440.0, np.float32),
        'f0_confidence': np.ones([2, n_frames], np.float32)}

  def get_batch(self, batch_size, shuffle=True, repeats=1):
    del shuffle
    ds = tf.data.Dataset.from_tensor_slices(self.example)
    return ds.repeat(repeats).batch(batch_size)


def _power_stats(audio, sample_rate, frame_rate, n_frames):
  power = np.asarray(spectral_ops.compute_power(
      audio, sample_rate=sample_rate, frame_rate=frame_rate,
      frame_size=1024))[:, :n_frames - 20]
  return power.mean(), power.max(), power.min()


@pytest.mark.parametrize('frame_rate', [50, 250])
def test_statistics_take_the_rates_of_the_provider(frame_rate):
  provider = _RampProvider(48000, frame_rate)
  stats = postprocessing.compute_dataset_statistics(
      provider, batch_size=2, power_frame_rate=frame_rate)
  expected = _power_stats(provider.audio, 48000, frame_rate, 2 * frame_rate)
  np.testing.assert_allclose(
      [stats['mean_power'], stats['max_power'], stats['min_power']],
      expected, rtol=1e-5)


def test_statistics_take_the_rates_from_the_caller():
  # A provider of the original's kind, which does not say its rates.
  provider = _RampProvider(48000, 250, rates=False)
  stats = postprocessing.compute_dataset_statistics(
      provider, 2, 1024, 50, sample_rate=48000, frame_rate=250)
  expected = _power_stats(provider.audio, 48000, 250, 500)
  assert stats['mean_power'] == pytest.approx(expected[0], rel=1e-5)
