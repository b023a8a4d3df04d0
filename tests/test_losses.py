"""Tests of ddsp.losses."""

import ddsp
from ddsp import losses
import golden
import numpy as np
import pytest
from scipy import stats
import tensorflow as tf
import tf_keras as tfk
from test_spectral_ops import check_golden_outputs

AREA = 'losses'


def _rand(shape, seed=0, low=-1.0, high=1.0):
  rng = np.random.RandomState(seed)
  return rng.uniform(low, high, shape).astype(np.float32)


def _sines(batch=2, n=8000, f0=440.0, seed=0):
  """Slightly different sinusoids plus noise `[batch, n]` at 16 kHz."""
  t = np.arange(n) / 16000.0
  rng = np.random.RandomState(seed)
  f = f0 * (1 + 0.1 * rng.uniform(size=[batch, 1]))
  audio = 0.5 * np.sin(2 * np.pi * f * t) + 0.01 * rng.normal(size=[batch, n])
  return audio.astype(np.float32)


# ------------------------------------------------------------ golden data --
@pytest.mark.parametrize(
    'case_id',
    golden.case_ids(AREA, lambda c: 'raises' not in c and 'json_result' not in
                    c))
def test_golden_values(case_id):
  case = golden.get_case(AREA, case_id)
  check_golden_outputs(AREA, case, {'ddsp': ddsp, 'np': np})


def _raising_call(case):
  """A callable reproducing a golden "raises" case of losses."""
  doc = case['doc']
  namespace = {
      'ddsp': ddsp,
      'np': np,
      'u_values': _rand([2, 10, 8], 1),
      'v_values': _rand([2, 10, 8], 2),
  }
  doc = doc.replace('<target>', 'np.asarray(__target__)').replace(
      '<audio>', 'np.asarray(__audio__)')
  namespace['__target__'] = _sines(seed=1)
  namespace['__audio__'] = _sines(seed=2)
  return lambda: eval(doc, namespace)  # pylint: disable=eval-used


# Golden calls that raised in the original and work in this project (what
# they compute is asserted by the COSINE and unweighted Wasserstein tests).
FIXED_CRASHES = ('spectral_loss_cosine_raises',
                 'wasserstein_distance_unweighted_raises')


def test_every_golden_call_that_raised_in_the_original_works_here():
  assert set(golden.case_ids(AREA, lambda c: 'raises' in c)) == set(
      FIXED_CRASHES)


@pytest.mark.parametrize('case_id', FIXED_CRASHES)
def test_golden_calls_that_raised_in_the_original_now_return_finite_values(
    case_id):
  value = _raising_call(golden.get_case(AREA, case_id))()
  assert np.all(np.isfinite(np.asarray(value)))


# --------------------------------------------------------- mean_difference --
def test_mean_difference_unknown_type_raises_value_error():
  with pytest.raises(ValueError, match='L3'):
    losses.mean_difference(_rand([2, 3]), _rand([2, 3], 1), 'L3')


def test_mean_difference_mismatched_shapes_raise_value_error():
  with pytest.raises(ValueError, match='`target`.*`value`'):
    losses.mean_difference(_rand([2, 5, 3]), _rand([2, 4, 3], 1))
  with pytest.raises(ValueError, match='`target`'):
    losses.ParamLoss()(_rand([2, 5, 3]), _rand([2, 5, 2], 1))


@pytest.mark.parametrize('loss_type', ['L1', 'L2', 'COSINE', 'cosine'])
def test_mean_difference_zero_for_equal_inputs(loss_type):
  x = _rand([2, 5, 3])
  assert float(losses.mean_difference(x, x, loss_type)) == pytest.approx(
      0.0, abs=1e-6)


def _cosine_distances(target, value):
  """1 - cos(target, value) along the last axis, in numpy, `[...]`."""
  dot = np.sum(target * value, axis=-1)
  norms = np.linalg.norm(target, axis=-1) * np.linalg.norm(value, axis=-1)
  return 1.0 - dot / norms


@pytest.mark.parametrize('shape', [[7], [2, 3], [2, 5, 4]])
def test_mean_difference_cosine_is_the_mean_cosine_distance_of_last_axes(
    shape):
  target, value = _rand(shape, 0), _rand(shape, 1)
  np.testing.assert_allclose(
      losses.mean_difference(target, value, 'COSINE'),
      np.mean(_cosine_distances(target, value)), rtol=1e-5)


@pytest.mark.parametrize('value_fn,expected', [
    (lambda x: 3.0 * x, 0.0),          # Same direction, other length.
    (lambda x: -x, 2.0),               # Opposite direction.
    (np.zeros_like, 1.0),              # A zero vector is orthogonal to all.
])
def test_mean_difference_cosine_depends_on_direction_only(value_fn,
                                                          expected):
  target = _rand([4, 6], 2)
  loss = losses.mean_difference(target, value_fn(target), 'COSINE')
  assert float(loss) == pytest.approx(expected, abs=1e-6)


def test_mean_difference_cosine_matches_tf1_on_unit_vectors():
  target = tf.math.l2_normalize(_rand([3, 4, 5], 0), axis=-1)
  value = tf.math.l2_normalize(_rand([3, 4, 5], 1), axis=-1)
  expected = tf.compat.v1.losses.cosine_distance(target, value, axis=-1)
  np.testing.assert_allclose(
      losses.mean_difference(target, value, 'COSINE'), expected, rtol=1e-5)


def test_mean_difference_cosine_weights_each_vector():
  target, value = _rand([2, 3, 4], 0), _rand([2, 3, 4], 1)
  weights = _rand([2, 3, 1], 2, 0.0, 1.0)
  np.testing.assert_allclose(
      losses.mean_difference(target, value, 'COSINE', weights),
      np.mean(_cosine_distances(target, value) * weights[..., 0]), rtol=1e-5)


def test_mean_difference_cosine_gradient_is_finite_at_zero_vectors():
  target = tf.constant(_rand([2, 4], 0))
  value = tf.zeros([2, 4])
  with tf.GradientTape() as tape:
    tape.watch(value)
    loss = losses.mean_difference(target, value, 'COSINE')
  assert np.all(np.isfinite(tape.gradient(loss, value)))


# ----------------------------------------------------------- SpectralLoss --
ALL_TERMS = dict(
    mag_weight=1.0,
    delta_time_weight=1.0,
    delta_freq_weight=1.0,
    cumsum_freq_weight=1.0,
    logmag_weight=1.0,
    loudness_weight=1.0)


def test_spectral_loss_all_terms_on_ones_is_finite_scalar():
  loss = losses.SpectralLoss(**ALL_TERMS)(np.ones([3, 8000], np.float32),
                                          np.ones([3, 8000], np.float32))
  assert loss.shape == ()
  assert loss.dtype == tf.float32
  assert np.isfinite(loss.numpy())


def test_spectral_loss_zero_for_identical_audio():
  audio = _sines()
  assert float(losses.SpectralLoss(**ALL_TERMS)(audio, audio)) == 0.0


@pytest.mark.parametrize('fft_size', [256, 1024])
def test_spectral_loss_cosine_is_the_cosine_distance_of_magnitude_frames(
    fft_size):
  a, b = _sines(seed=1), _sines(seed=2)
  loss = losses.SpectralLoss(fft_sizes=(fft_size,), loss_type='COSINE')
  expected = losses.mean_difference(
      ddsp.spectral_ops.compute_mag(a, size=fft_size),
      ddsp.spectral_ops.compute_mag(b, size=fft_size), 'COSINE')
  np.testing.assert_allclose(loss(a, b), expected, rtol=1e-6)
  assert float(expected) > 0.01


@pytest.mark.parametrize('gain', [1.0, 0.25, 4.0])
def test_spectral_loss_cosine_ignores_the_gain_of_the_audio(gain):
  audio = _sines()
  loss = losses.SpectralLoss(loss_type='COSINE')(audio, gain * audio)
  assert float(loss) == pytest.approx(0.0, abs=1e-5)


def test_spectral_loss_name_default_is_not_uniquified():
  assert losses.SpectralLoss().name == 'spectral_loss'
  assert losses.SpectralLoss().name == 'spectral_loss'


def test_spectral_loss_mismatched_shapes_raise_value_error():
  with pytest.raises(ValueError, match='target_audio'):
    losses.SpectralLoss()(_sines(n=8000), _sines(n=7000))


@pytest.mark.parametrize('shape', [[2, 2, 2, 1000], [2, 1000, 3]])
def test_spectral_loss_bad_rank_raises_value_error(shape):
  audio = np.zeros(shape, np.float32)
  with pytest.raises(ValueError, match='audio'):
    losses.SpectralLoss()(audio, audio)


def test_spectral_loss_accepts_channel_axis():
  a, b = _sines(seed=1), _sines(seed=2)
  loss = losses.SpectralLoss()
  np.testing.assert_allclose(
      loss(a[..., None], b[..., None]).numpy(), loss(a, b).numpy(), rtol=1e-6)


@pytest.mark.parametrize('loss_type,fft_sizes,loudness_weight', [
    ('L1', (64,), 0.0),
    pytest.param('L2', (2048, 1024, 512, 256, 128, 64), 1.0,
                 marks=pytest.mark.slow),
])
def test_spectral_loss_xla_matches_eager(loss_type, fft_sizes,
                                         loudness_weight):
  terms = dict(ALL_TERMS, loudness_weight=loudness_weight)
  loss = losses.SpectralLoss(loss_type=loss_type, fft_sizes=fft_sizes,
                             **terms)
  a, b = tf.constant(_sines(seed=1)), tf.constant(_sines(seed=2))
  eager = loss(a, b)
  xla = tf.function(loss, jit_compile=True)(a, b)
  np.testing.assert_allclose(xla.numpy(), eager.numpy(), rtol=1e-4)


# ------------------------------------------------------------- gradients --
def _assert_good_gradient(grad):
  grad = np.asarray(grad)
  assert np.all(np.isfinite(grad)), 'gradient has NaN/inf'
  assert np.any(grad != 0.0), 'gradient is all zero'


def _gradients(fn, *inputs):
  """Gradients of scalar fn(*inputs) wrt every input."""
  inputs = [tf.constant(x) for x in inputs]
  with tf.GradientTape() as tape:
    for x in inputs:
      tape.watch(x)
    value = fn(*inputs)
  return value, tape.gradient(value, inputs)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(loss_type='L2', **ALL_TERMS),
    dict(loss_type='COSINE', **ALL_TERMS),
    dict(mag_weight=0.0, logmag_weight=1.0),
    dict(fft_sizes=(), mag_weight=0.0, loudness_weight=1.0),
])
def test_spectral_loss_gradient(kwargs):
  loss = losses.SpectralLoss(**kwargs)
  _, (_, grad) = _gradients(loss, _sines(seed=1), _sines(seed=2))
  _assert_good_gradient(grad)


def test_param_loss_gradient():
  _, grads = _gradients(losses.ParamLoss(loss_type='L2'), _rand([2, 10, 3]),
                        _rand([2, 10, 3], 1))
  _assert_good_gradient(grads[0])


def test_mean_difference_amp_freq_loss_gradients():
  a, b = _rand([2, 10, 3], 0, 0.1, 1.0), _rand([2, 10, 3], 1, 0.1, 1.0)
  for fn in [
      losses.mean_difference,
      lambda x, y: losses.amp_loss(x, y, loss_type='L2', log=True),
      lambda x, y: losses.freq_loss(1000 * x, 1000 * y),
  ]:
    _, grads = _gradients(fn, a, b)
    _assert_good_gradient(grads[0])


def test_filtered_noise_consistency_gradient():
  _, grads = _gradients(losses.FilteredNoiseConsistencyLoss(),
                        _rand([2, 10, 5], 0, 0, 1), _rand([2, 10, 5], 1, 0, 1))
  _assert_good_gradient(grads[0])


@pytest.mark.parametrize('key,arg', [('harm_amp_loss', 0),
                                     ('harm_dist_loss', 2),
                                     ('f0_hz_loss', 4)])
def test_harmonic_consistency_gradient(key, arg):
  loss = losses.HarmonicConsistencyLoss()
  inputs = [
      _rand([2, 10, 1], 0, 0.1, 1), _rand([2, 10, 1], 1, 0.1, 1),
      _rand([2, 10, 5], 2, 0, 1), _rand([2, 10, 5], 3, 0, 1),
      _rand([2, 10, 1], 4, 100, 1000), _rand([2, 10, 1], 5, 100, 1000)
  ]
  _, grads = _gradients(lambda *x: loss(*x)[key], *inputs)
  _assert_good_gradient(grads[arg])


def _sinusoids(seed):
  amps = _rand([2, 6, 8], seed, 0.05, 1.0)
  freqs = _rand([2, 6, 8], seed + 10, 100.0, 4000.0)
  return amps, freqs


def test_wasserstein_consistency_gradient():
  amps_a, freqs_a = _sinusoids(0)
  amps_b, freqs_b = _sinusoids(1)
  _, grads = _gradients(losses.WassersteinConsistencyLoss(), amps_a, freqs_a,
                        amps_b, freqs_b)
  _assert_good_gradient(grads[0])
  _assert_good_gradient(grads[1])


def test_wasserstein_consistency_midi_false_is_zero_known_bug():
  # Kept from the original: with midi=False the loss is always 0.
  amps_a, freqs_a = _sinusoids(0)
  amps_b, freqs_b = _sinusoids(1)
  loss = losses.WassersteinConsistencyLoss(midi=False)
  assert float(loss(amps_a, freqs_a, amps_b, freqs_b)) == 0.0


def test_wasserstein_distance_is_unnormalised_known_bug():
  # Kept from the original: weighted CDFs are cumulative weights, not
  # divided by their total.
  u = np.array([[0.0, 1.0]], np.float32)
  v = np.array([[0.0, 2.0]], np.float32)
  w = np.array([[1.0, 1.0]], np.float32)
  d1 = losses.wasserstein_distance(u, v, w, w).numpy()
  d2 = losses.wasserstein_distance(u, v, 2 * w, 2 * w).numpy()
  np.testing.assert_allclose(d2, 2 * d1)
  np.testing.assert_allclose(d1, [1.0])


@pytest.mark.parametrize('p', [1.0, 2.0])
@pytest.mark.parametrize('n_u,n_v', [(8, 8), (5, 9)])
def test_wasserstein_distance_unweighted_uses_empirical_cdfs(p, n_u, n_v):
  # W_p = (sum_i delta_i |U(x_i) - V(x_i)|^p)^(1/p), U(x) = #{u <= x} / n_u.
  u_values = _rand([2, 3, n_u], 1)
  v_values = _rand([2, 3, n_v], 2)
  distances = losses.wasserstein_distance(u_values, v_values, None, None, p)
  assert distances.shape == (2, 3)
  for index in np.ndindex(2, 3):
    u, v = u_values[index], v_values[index]
    points = np.sort(np.concatenate([u, v]))
    u_cdf = np.searchsorted(np.sort(u), points[:-1], 'right') / n_u
    v_cdf = np.searchsorted(np.sort(v), points[:-1], 'right') / n_v
    expected = np.sum(np.diff(points) * np.abs(u_cdf - v_cdf)**p)**(1 / p)
    np.testing.assert_allclose(distances[index], expected, rtol=1e-5)


def test_wasserstein_distance_unweighted_p1_matches_scipy():
  u_values, v_values = _rand([4, 6], 3), _rand([4, 10], 4)
  expected = [stats.wasserstein_distance(u, v)
              for u, v in zip(u_values, v_values)]
  np.testing.assert_allclose(
      losses.wasserstein_distance(u_values, v_values, None, None),
      expected, rtol=1e-5)


def test_kde_consistency_gradient():
  amps_a, freqs_a = _sinusoids(0)
  amps_b, freqs_b = _sinusoids(1)
  loss = losses.KDEConsistencyLoss(scale_a=1.0, scale_b=1.0)
  _, grads = _gradients(loss, amps_a, freqs_a, amps_b, freqs_b)
  for g in grads:
    _assert_good_gradient(g)


def test_twm_loss_gradient_wrt_f0_candidates():
  f0 = _rand([2, 6, 4], 0, 100.0, 400.0)
  _, freqs = _sinusoids(1)
  amps, _ = _sinusoids(2)
  _, grads = _gradients(losses.TWMLoss(), f0, freqs, amps)
  _assert_good_gradient(grads[0])


def test_twm_predict_f0_finds_harmonic_fundamental():
  f0_true = 220.0
  freqs = np.tile(f0_true * np.arange(1, 9, dtype=np.float32), [1, 3, 1])
  amps = np.ones_like(freqs)
  candidates = np.tile(np.array([110.0, 220.0, 330.0, 440.0], np.float32),
                       [1, 3, 1])
  f0 = losses.TWMLoss().predict_f0(candidates, freqs, amps)
  assert f0.shape == (1, 3, 1)
  np.testing.assert_array_equal(f0, f0_true)


def test_hmm_transcriber_nll_gradient():
  hmm = losses.HmmTranscriber(n_timesteps=20)
  pitch = _rand([2, 20, 1], 0, 40, 80)
  amps = _rand([2, 20, 1], 1, 0, 2)
  _, grads = _gradients(hmm, pitch, amps)
  _assert_good_gradient(grads[0])
  _assert_good_gradient(grads[1])


def test_hmm_transcriber_attributes_and_straight_through():
  hmm = losses.HmmTranscriber(avg_length=100, midi_std=0.3, n_timesteps=10,
                              n_pitches=64, weight=2.0)
  assert (hmm.avg_length, hmm.midi_std, hmm.n_timesteps, hmm.n_pitches,
          hmm.weight) == (100, 0.3, 10, 64, 2.0)
  probs = hmm.transition_distribution.probs_parameter().numpy()
  assert probs.shape == (64, 64)
  np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
  np.testing.assert_allclose(probs[3, 3], 1 - 1 / 100, rtol=1e-6)
  x = tf.constant([0.3, 1.7])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = losses.HmmTranscriber.straight_through(x, tf.round(x))
  np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])
  np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 1.0])


def test_hmm_predict_midi_channel_dim():
  hmm = losses.HmmTranscriber(n_timesteps=12)
  pitch = np.full([1, 12, 1], 60.0, np.float32)
  amps = np.full([1, 12, 1], 1.5, np.float32)
  midi = hmm.predict_midi(pitch, amps)
  assert midi.shape == (1, 12, 1)
  np.testing.assert_array_equal(midi.numpy(), 60.0)
  assert hmm.predict_midi(pitch, amps, channel_dim=False).shape == (1, 12)


class _TinyEmbedding(tfk.layers.Layer):

  def call(self, audio):
    return tf.signal.frame(audio, 100, 100)**2


def test_embedding_loss_gradient_and_zero_weight():
  a, b = _sines(seed=1, n=1000), _sines(seed=2, n=1000)
  loss = losses.EmbeddingLoss(pretrained_model=_TinyEmbedding())
  _, grads = _gradients(loss, a, b)
  _assert_good_gradient(grads[1])
  off = losses.EmbeddingLoss(weight=0.0, pretrained_model=_TinyEmbedding())
  assert float(off(a, b)) == 0.0


# ------------------------------------------------------------------ CREPE --
def test_pretrained_crepe_embedding_loss_on_ones_is_finite():
  loss = losses.PretrainedCREPEEmbeddingLoss()
  value = loss(np.ones([3, 16000], np.float32), np.ones([3, 16000],
                                                        np.float32))
  assert value.shape == ()
  assert np.isfinite(value.numpy())


def test_pretrained_crepe_embedding_loss_gradient():
  loss = losses.PretrainedCREPEEmbeddingLoss(activation_layer='conv5-maxpool')
  _, grads = _gradients(loss, _sines(seed=1, n=4096), _sines(seed=2, n=4096))
  _assert_good_gradient(grads[1])


def test_pretrained_crepe_unknown_layer():
  with pytest.raises(KeyError, match='choose one of'):
    losses.PretrainedCREPEEmbeddingLoss(activation_layer='conv7-BN')
  layer = losses.PretrainedCREPE(activation_layer='conv7-BN')
  with pytest.raises(ValueError, match='conv7-BN'):
    layer(np.zeros([1, 2048], np.float32))


def test_pretrained_crepe_is_not_trainable():
  layer = losses.PretrainedCREPE()
  layer(np.zeros([1, 2048], np.float32))
  assert not layer.trainable_variables
  assert layer.non_trainable_variables


def test_frozen_crepe_of_a_loss_does_not_freeze_other_crepe_users():
  layer = losses.PretrainedCREPE(model_capacity='tiny')
  layer(np.zeros([1, 2048], np.float32))
  f0_model = ddsp.spectral_ops.PretrainedCREPE('tiny')
  assert f0_model.trainable_variables


def test_loss_group_with_spectral_and_crepe_losses():
  group = losses.LossGroup(dag=[
      (losses.SpectralLoss(), ['audio', 'audio_synth']),
      (losses.PretrainedCREPEEmbeddingLoss(name='crepe_loss'),
       ['audio', 'audio_synth']),
  ])
  outputs = {'audio': _sines(seed=1, n=4096),
             'audio_synth': _sines(seed=2, n=4096)}
  result = group(outputs)
  assert set(result) == {'spectral_loss', 'crepe_loss'}
  assert group.loss_names == ['spectral_loss', 'crepe_loss']
  assert [l.name for l in group.losses] == ['spectral_loss', 'crepe_loss']
  assert set(group.get_losses_dict(outputs)) == set(result)


def test_loss_group_with_kwarg_losses_like_gin():
  # As in midi_ae gin configs: dag nodes name losses given as kwargs.
  group = losses.LossGroup(
      dag=[['f0_loss', ['f0_pred', 'f0']], ['amps_loss', ['amps_pred', 'amps']]],
      f0_loss=losses.ParamLoss(weight=2.0, name='f0_loss'),
      amps_loss=losses.ParamLoss(loss_type='L2', name='amps_loss'))
  inputs = {'f0_pred': _rand([2, 10, 1]), 'f0': _rand([2, 10, 1], 1),
            'amps_pred': _rand([2, 10, 1], 2), 'amps': _rand([2, 10, 1], 3)}
  result = group(inputs)
  np.testing.assert_allclose(
      result['f0_loss'].numpy(),
      2.0 * np.mean(np.abs(inputs['f0_pred'] - inputs['f0'])), rtol=1e-6)
  np.testing.assert_allclose(
      result['amps_loss'].numpy(),
      np.mean((inputs['amps_pred'] - inputs['amps'])**2), rtol=1e-6)


# ------------------------------------------------------------------ names --
def test_auto_generated_loss_names():
  tfk.backend.clear_session()
  assert losses.TWMLoss().name == 'twm_loss'
  assert losses.KDEConsistencyLoss().name == 'kde_consistency_loss'
  assert losses.KDEConsistencyLoss().name == 'kde_consistency_loss_1'
  assert losses.HarmonicConsistencyLoss().name == 'harmonic_consistency_loss'
  assert (losses.FilteredNoiseConsistencyLoss().name ==
          'filtered_noise_consistency_loss')
  assert (losses.WassersteinConsistencyLoss().name ==
          'wasserstein_consistency_loss')
  assert losses.ParamLoss().name == 'param_loss'
  assert losses.ParamLoss().name == 'param_loss_1'
  assert losses.EmbeddingLoss().name == 'embedding_loss'


def test_get_losses_dict_uses_layer_name():
  loss = losses.ParamLoss(name='f0_loss')
  out = loss.get_losses_dict(_rand([2, 3]), _rand([2, 3], 1))
  assert list(out) == ['f0_loss']


def test_harmonic_consistency_returns_dict():
  loss = losses.HarmonicConsistencyLoss()
  out = loss(
      _rand([2, 10, 1], 0, 0, 1), _rand([2, 10, 1], 1, 0, 1),
      _rand([2, 10, 5], 2, 0, 1), _rand([2, 10, 5], 3, 0, 1),
      _rand([2, 10, 1], 4, 100, 1000), _rand([2, 10, 1], 5, 100, 1000))
  assert set(out) == {'harm_amp_loss', 'harm_dist_loss', 'f0_hz_loss'}
