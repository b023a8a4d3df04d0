"""Specification tests of ddsp.effects."""
from ddsp import core
from ddsp import effects
import golden
import numpy as np
import pytest
import tensorflow as tf
from test_processors import check_golden_case


# ------------------------------------------------------------------------------
# Golden cases.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('case_id', golden.case_ids('effects'))
def test_golden_case_eager(case_id):
  check_golden_case('effects', case_id)


@pytest.mark.slow
@pytest.mark.parametrize('case_id', golden.case_ids('effects'))
def test_golden_case_in_tf_function(case_id):
  check_golden_case('effects', case_id, mode='function')


# ------------------------------------------------------------------------------
# Helpers.
# ------------------------------------------------------------------------------
def _randn(*shape, seed=0):
  return tf.constant(np.random.RandomState(seed).randn(*shape).astype(
      np.float32))


def _assert_finite_nonzero(grads, names):
  for name, grad in zip(names, grads):
    assert grad is not None, f'no gradient for {name}'
    grad = tf.convert_to_tensor(grad).numpy()
    assert np.all(np.isfinite(grad)), f'non-finite gradient for {name}'
    assert np.any(grad != 0.0), f'zero gradient for {name}'


def _gradients(effect, inputs, extra_variables=()):
  inputs = [tf.constant(x) for x in inputs]
  with tf.GradientTape() as tape:
    tape.watch(inputs)
    loss = tf.reduce_mean(tf.square(effect(*inputs)))
  return tape.gradient(loss, inputs + list(extra_variables))


_REVERBS = [
    (effects.Reverb, {}, lambda b: [_randn(b, 100)]),
    (effects.ExpDecayReverb, {}, lambda b: [_randn(b, 1), _randn(b, 1)]),
    (effects.FilteredNoiseReverb, {'n_frames': 10, 'n_filter_banks': 20},
     lambda b: [_randn(b, 10, 20)]),
]


# ------------------------------------------------------------------------------
# Reverbs (behaviours pinned by the original tests).
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('reverb_class,kwargs,controls', _REVERBS)
def test_reverb_trainable_and_not_keep_audio_shape(reverb_class, kwargs,
                                                   controls):
  audio = _randn(2, 1600)
  trainable = reverb_class(trainable=True, reverb_length=100, **kwargs)
  assert trainable(audio).shape == (2, 1600)
  assert trainable.trainable_variables
  assert not trainable.non_trainable_variables
  fixed = reverb_class(trainable=False, reverb_length=100, **kwargs)
  assert fixed(audio, *controls(2)).shape == (2, 1600)
  assert not fixed.variables


@pytest.mark.parametrize('reverb_class,kwargs,controls', _REVERBS)
def test_non_trainable_reverb_without_controls_raises(reverb_class, kwargs,
                                                      controls):
  del controls
  with pytest.raises(ValueError, match='Must provide'):
    reverb_class(trainable=False, reverb_length=100, **kwargs)(
        _randn(2, 1600))


@pytest.mark.parametrize('reverb_class,kwargs,controls', _REVERBS)
def test_reverb_controls_key_order(reverb_class, kwargs, controls):
  reverb = reverb_class(trainable=False, reverb_length=100, **kwargs)
  out = reverb.get_controls(_randn(2, 1600), *controls(2))
  assert list(out) == ['audio', 'ir']


def test_reverb_variable_name_shape_and_checkpoint_key(tmp_path):
  reverb = effects.Reverb(trainable=True, reverb_length=300, name='reverb')
  reverb(_randn(1, 600))  # Built by __call__, inside the layer's name scope.
  assert [v.name for v in reverb.trainable_variables] == ['reverb/ir:0']
  assert reverb.trainable_variables[0].shape == (300,)
  assert np.abs(reverb.trainable_variables[0].numpy()).max() < 1e-4
  path = tf.train.Checkpoint(reverb=reverb).write(str(tmp_path / 'ckpt'))
  names = [n for n, _ in tf.train.list_variables(path)]
  assert 'reverb/ir/.ATTRIBUTES/VARIABLE_VALUE' in names


def test_exp_decay_reverb_variables_initial_values():
  reverb = effects.ExpDecayReverb(trainable=True, reverb_length=100)
  reverb.build(None)
  by_name = {v.name.split('/')[-1]: v.numpy() for v in reverb.weights}
  np.testing.assert_array_equal(by_name['gain:0'], [2.0])
  np.testing.assert_array_equal(by_name['decay:0'], [4.0])


def test_filtered_noise_reverb_variable_shape():
  reverb = effects.FilteredNoiseReverb(trainable=True, reverb_length=100,
                                       n_frames=10, n_filter_banks=7)
  reverb.build(None)
  assert [tuple(v.shape) for v in reverb.weights] == [(10, 7)]
  assert reverb.weights[0].name.endswith('magnitudes:0')


def test_reverb_dry_tap_is_masked_and_dry_added():
  """IR [1, 0, ...] contributes nothing: the first tap is the dry path."""
  audio = _randn(1, 64)
  ir = np.zeros([1, 16], np.float32)
  ir[0, 0] = 1.0
  ir[0, 3] = 0.5
  wet = effects.Reverb(add_dry=False).get_signal(audio, ir)
  expected = 0.5 * np.pad(audio.numpy(), [[0, 0], [3, 0]])[:, :64]
  np.testing.assert_allclose(wet, expected, atol=1e-6)
  both = effects.Reverb(add_dry=True).get_signal(audio, ir)
  np.testing.assert_allclose(both, expected + audio.numpy(), atol=1e-6)


@pytest.mark.parametrize('cls', [effects.Reverb, effects.ExpDecayReverb,
                                 effects.FilteredNoiseReverb])
def test_reverbs_say_whether_they_add_the_dry_audio(cls):
  assert cls().add_dry is True
  assert cls(add_dry=False).add_dry is False


def test_reverb_accepts_1d_and_3d_ir():
  audio = _randn(2, 256)
  ir = _randn(2, 32, seed=1)
  reverb = effects.Reverb()
  ref = reverb.get_signal(audio, ir)
  np.testing.assert_allclose(reverb.get_signal(audio, ir[:, :, None]), ref,
                             atol=1e-6)
  single = reverb.get_signal(audio, ir[0])
  np.testing.assert_allclose(single[0], ref[0], atol=1e-6)


def test_exp_decay_reverb_envelope():
  """With unit noise the IR is scale_fn(gain)·exp(−(2 + exp(decay))·t)."""
  reverb = effects.ExpDecayReverb(reverb_length=50)
  gain, decay = np.array([[0.3]], np.float32), np.array([[0.5]], np.float32)
  with golden.fixed_uniform_noise([np.ones([1, 50], np.float32)]):
    ir = reverb.get_controls(_randn(1, 100), gain, decay)['ir']
  t = np.linspace(0.0, 1.0, 50)
  expected = core.exp_sigmoid(gain).numpy() * np.exp(
      -(2.0 + np.exp(0.5)) * t)
  np.testing.assert_allclose(ir, expected, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------
# FIRFilter and ModDelay.
# ------------------------------------------------------------------------------
def test_fir_filter_keeps_shape():
  out = effects.FIRFilter()(_randn(3, 16000), _randn(3, 100, 30))
  assert out.shape == (3, 16000)


def test_mod_delay_keeps_shape():
  out = effects.ModDelay()(_randn(3, 16000), _randn(3, 16000, 1),
                           _randn(3, 16000, 1))
  assert out.shape == (3, 16000)


def test_mod_delay_wet_zero_phase_is_center_delay():
  """phase 0 after scaling -> delay of center_ms."""
  sr, center_ms, depth_ms = 16000, 1.0, 1.0
  delay = effects.ModDelay(center_ms=center_ms, depth_ms=depth_ms,
                           sample_rate=sr, add_dry=False)
  audio = _randn(1, 200)
  out = delay.get_signal(audio, tf.ones([1, 200, 1]), tf.zeros([1, 200, 1]))
  shift = int(sr * center_ms / 1000)
  np.testing.assert_allclose(out[0, shift:], audio[0, :-shift], atol=1e-5)


def test_mod_delay_is_not_gin_registered():
  import gin  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError):
    gin.parse_config('ModDelay.center_ms = 3.0')


# ------------------------------------------------------------------------------
# Gradients with respect to the controls (and the variables when trainable).
# ------------------------------------------------------------------------------
def test_reverb_gradients():
  grads = _gradients(effects.Reverb(), [_randn(2, 800), _randn(2, 100)])
  _assert_finite_nonzero(grads, ['audio', 'ir'])


def test_trainable_reverb_gradients():
  reverb = effects.Reverb(trainable=True, reverb_length=100)
  reverb.build(None)
  grads = _gradients(reverb, [_randn(2, 800)], reverb.trainable_variables)
  _assert_finite_nonzero(grads, ['audio', 'ir variable'])


def test_exp_decay_reverb_gradients():
  reverb = effects.ExpDecayReverb(reverb_length=100, add_dry=False)
  grads = _gradients(reverb, [_randn(2, 800), _randn(2, 1), _randn(2, 1)])
  _assert_finite_nonzero(grads, ['audio', 'gain', 'decay'])


def test_trainable_exp_decay_reverb_gradients():
  reverb = effects.ExpDecayReverb(trainable=True, reverb_length=100)
  reverb.build(None)
  grads = _gradients(reverb, [_randn(2, 800)], reverb.trainable_variables)
  _assert_finite_nonzero(grads, ['audio', 'gain', 'decay'])


def test_filtered_noise_reverb_gradients():
  reverb = effects.FilteredNoiseReverb(reverb_length=100, n_frames=10,
                                       add_dry=False)
  grads = _gradients(reverb, [_randn(2, 800), _randn(2, 10, 16)])
  _assert_finite_nonzero(grads, ['audio', 'magnitudes'])


def test_trainable_filtered_noise_reverb_gradients():
  reverb = effects.FilteredNoiseReverb(trainable=True, reverb_length=100,
                                       n_frames=10)
  reverb.build(None)
  grads = _gradients(reverb, [_randn(2, 800)], reverb.trainable_variables)
  _assert_finite_nonzero(grads, ['audio', 'magnitudes variable'])


def test_fir_filter_gradients():
  grads = _gradients(effects.FIRFilter(), [_randn(2, 800), _randn(2, 10, 33)])
  _assert_finite_nonzero(grads, ['audio', 'magnitudes'])


def test_mod_delay_gradients():
  grads = _gradients(effects.ModDelay(),
                     [_randn(2, 800), _randn(2, 800, 1), _randn(2, 800, 1)])
  _assert_finite_nonzero(grads, ['audio', 'gain', 'phase'])


# ------------------------------------------------------------------------------
# Bad input.
# ------------------------------------------------------------------------------
def test_reverb_bad_inputs():
  reverb = effects.Reverb()
  with pytest.raises(ValueError, match='audio must have rank 2'):
    reverb(_randn(2, 800, 1), _randn(2, 100))
  with pytest.raises(ValueError, match='batch'):
    reverb(_randn(2, 800), _randn(3, 100))
  with pytest.raises(ValueError, match='ir must have rank'):
    reverb(_randn(2, 800), _randn(2, 100, 1, 1))


def test_exp_decay_reverb_bad_inputs():
  reverb = effects.ExpDecayReverb(reverb_length=100)
  with pytest.raises(ValueError, match='gain must have rank 2'):
    reverb(_randn(2, 800), _randn(2), _randn(2, 1))
  with pytest.raises(ValueError, match='batch'):
    reverb(_randn(2, 800), _randn(3, 1), _randn(3, 1))


def test_fir_filter_bad_inputs():
  fir = effects.FIRFilter()
  with pytest.raises(ValueError, match='magnitudes has 999 frames'):
    fir(_randn(1, 16000), _randn(1, 999, 33))
  with pytest.raises(ValueError, match='batch'):
    fir(_randn(2, 16000), _randn(3, 100, 33))
  with pytest.raises(ValueError, match='audio must have rank 2'):
    fir(_randn(16000), _randn(1, 100, 33))


def test_mod_delay_bad_inputs():
  delay = effects.ModDelay()
  with pytest.raises(ValueError, match='audio must have rank 2'):
    delay(_randn(2, 800, 1), _randn(2, 800, 1), _randn(2, 800, 1))
  with pytest.raises(ValueError, match='batch'):
    delay(_randn(2, 800), _randn(3, 800, 1), _randn(2, 800, 1))


def test_trainable_reverb_tiles_to_dynamic_batch_in_tf_function():
  reverb = effects.Reverb(trainable=True, reverb_length=50)
  fn = tf.function(reverb, input_signature=[tf.TensorSpec([None, 400])])
  assert fn(_randn(3, 400)).shape == (3, 400)
