"""ddsp.training.nn: DictLayer protocol, helpers, layers and gin registration."""
import gin
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as tfk

from ddsp.training import nn

tfkl = tfk.layers


# ----------------------------------------------------------------------------
# DictLayer.
# ----------------------------------------------------------------------------
class _AddLayer(nn.DictLayer):
  """a + b (+ c) with an optional input."""

  def call(self, a, b, c=None) -> ['sum', 'diff']:
    total = a + b if c is None else a + b + c
    return total, a - b


class _DefaultsLayer(nn.DictLayer):
  """Records which defaults were filled."""

  def call(self, x, y=1.0, z=2.0) -> ['out']:
    return x + 10.0 * y + 100.0 * z


class _OneOutput(nn.DictLayer):

  def call(self, a) -> ['x', 'y']:
    return a


def _ones(value=1.0):
  return tf.constant([[value]])


def test_dict_layer_infers_keys_from_call_signature():
  layer = _AddLayer()
  assert layer.input_keys == ['a', 'b']
  assert layer.default_input_keys == ['c']
  assert layer.default_input_values == [None]
  assert layer.output_keys == ['sum', 'diff']
  assert layer.all_input_keys == ['a', 'b', 'c']
  assert layer.n_inputs == 3


@pytest.mark.parametrize('how', ['positional', 'dict', 'kwargs', 'two_dicts',
                                 'mixed'])
def test_dict_layer_accepts_inputs_in_every_form(how):
  layer = _AddLayer()
  a, b = _ones(3.0), _ones(1.0)
  calls = {
      'positional': lambda: layer(a, b),
      'dict': lambda: layer({'a': a, 'b': b, 'unused': a}),
      'kwargs': lambda: layer(a=a, b=b),
      'two_dicts': lambda: layer({'a': a}, {'b': b, 'other': b}),
      'mixed': lambda: layer({'b': b}, a=a),
  }
  outputs = calls[how]()
  assert set(outputs) == {'sum', 'diff'}
  np.testing.assert_allclose(outputs['sum'], [[4.0]])


def test_dict_layer_positional_order_is_the_call_order():
  outputs = _AddLayer()(_ones(3.0), _ones(1.0))
  np.testing.assert_allclose(outputs['diff'], [[2.0]])


def test_dict_layer_reads_nested_keys():
  layer = _AddLayer(input_keys=['x/a', 'x/b'])
  outputs = layer({'x': {'a': _ones(2.0), 'b': _ones(5.0)}})
  np.testing.assert_allclose(outputs['sum'], [[7.0]])


def test_dict_layer_optional_input_from_dict():
  outputs = _AddLayer()({'a': _ones(), 'b': _ones(), 'c': _ones(5.0)})
  np.testing.assert_allclose(outputs['sum'], [[7.0]])


def test_dict_layer_fills_defaults_in_signature_order():
  layer = _DefaultsLayer()
  np.testing.assert_allclose(layer({'x': _ones(0.0)})['out'], [[210.0]])
  np.testing.assert_allclose(
      layer({'x': _ones(0.0), 'z': _ones(0.0)})['out'], [[10.0]])
  np.testing.assert_allclose(
      layer({'x': _ones(0.0), 'y': _ones(0.0)})['out'], [[200.0]])


def test_dict_layer_constructor_keys_override_inferred_keys():
  layer = _AddLayer(input_keys=['p', 'q'], output_keys=['s', 'd'])
  outputs = layer({'p': _ones(1.0), 'q': _ones(2.0)})
  assert set(outputs) == {'s', 'd'}
  assert layer.default_input_keys == []


@pytest.mark.parametrize('args, kwargs', [
    ((_ones(),), {}),                                  # Too few.
    (({'a': _ones()},), {}),                           # Missing key.
    (({'A': _ones(), 'b': _ones()},), {}),             # Renamed key.
    ((_ones(), {'a': _ones(), 'b': _ones()}), {}),     # Duplicate inputs.
], ids=['too_few', 'missing_key', 'renamed_key', 'duplicate'])
def test_dict_layer_wrong_inputs_raise_type_error(args, kwargs):
  layer = _AddLayer(input_keys=['a', 'b'])
  with pytest.raises(TypeError, match='inputs'):
    layer(*args, **kwargs)


def test_dict_layer_output_count_mismatch_raises_value_error():
  with pytest.raises(ValueError, match='output keys'):
    _OneOutput()(_ones())


def test_dict_layer_forwards_training_keyword():
  outputs = _AddLayer()(_ones(), _ones(), training=True)
  np.testing.assert_allclose(outputs['sum'], [[2.0]])


def test_output_splits_layer_splits_a_dense_output():

  class Splits(nn.OutputSplitsLayer):

    def compute_output(self, x):
      return x

  layer = Splits(output_splits=(('amps', 1), ('hd', 3)))
  assert layer.input_keys == ['x']
  outputs = layer({'x': tf.ones([2, 5, 7])})
  assert outputs['amps'].shape == (2, 5, 1)
  assert outputs['hd'].shape == (2, 5, 3)
  assert layer.dense_out.kernel.shape == (7, 4)


# ----------------------------------------------------------------------------
# Helper functions.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('shape, expected', [
    ((2, 3), (2, 1, 1, 3)),
    ((2, 5, 3), (2, 5, 1, 3)),
    ((2, 5, 4, 3), (2, 5, 4, 3)),
])
def test_ensure_4d_and_inverse(shape, expected):
  x = tf.random.normal(shape)
  y = nn.ensure_4d(x)
  assert y.shape == expected
  np.testing.assert_array_equal(nn.inv_ensure_4d(y, len(shape)), x)


def test_split_to_dict():
  x = tf.reshape(tf.range(12.0), [1, 2, 6])
  out = nn.split_to_dict(x, (('a', 2), ('b', 4)))
  np.testing.assert_array_equal(out['a'], [[[0, 1], [6, 7]]])
  assert out['b'].shape == (1, 2, 4)


def test_get_nonlinearity_leaky_relu_slope():
  f = nn.get_nonlinearity('leaky_relu')
  np.testing.assert_allclose(f(tf.constant([-1.0, 2.0])), [-0.2, 2.0])


def test_get_nonlinearity_falls_back_to_tf_nn():
  assert nn.get_nonlinearity('log_softmax') is not None
  np.testing.assert_allclose(
      nn.get_nonlinearity('relu6')(tf.constant([8.0])), [6.0])


def test_straight_through_int_quantization_value_and_gradient():
  x = tf.constant([0.4, 0.5, 1.5, 2.6, -0.5])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = nn.straight_through_int_quantization(x)
  np.testing.assert_array_equal(y, [0.0, 0.0, 2.0, 3.0, -0.0])  # Half-even.
  np.testing.assert_array_equal(tape.gradient(y, x), np.ones(5))


def test_straight_through_softmax_is_one_hot_with_gradients():
  logits = tf.constant([[2.0, 1.0, 0.1]])
  with tf.GradientTape() as tape:
    tape.watch(logits)
    sample, probs = nn.straight_through_softmax(logits)
    loss = tf.reduce_sum(sample * [1.0, 2.0, 3.0])
  np.testing.assert_allclose(tf.reduce_sum(sample), 1.0)
  assert set(np.round(sample.numpy().ravel(), 5)) <= {0.0, 1.0}
  np.testing.assert_allclose(probs, tf.nn.softmax(logits))
  grad = tape.gradient(loss, logits)
  assert np.all(np.isfinite(grad)) and np.any(grad != 0)


def test_straight_through_choice_picks_a_value():
  values = tf.constant([[10.0, 20.0, 30.0]])
  choice = nn.straight_through_choice(tf.constant([[0.0, 50.0, 0.0]]), values)
  np.testing.assert_allclose(choice, [[20.0]])


def test_get_note_mask_regions():
  q = tf.constant([[0.0, 60.0, 60.0, 62.0, 62.0, 62.0, 0.0, 64.0]])
  mask = nn.get_note_mask(q, max_regions=6, note_on_only=False)
  # Regions start at frames 0, 1, 3 and 6; the last frame never starts one.
  np.testing.assert_array_equal(np.argmax(mask[0], axis=-1),
                                [0, 1, 1, 2, 2, 2, 3, 3])
  assert mask.shape == (1, 8, 6)


def test_get_note_mask_note_on_only_drops_silent_regions():
  q = tf.constant([[0.0, 0.0, 60.0, 60.0, 0.0, 0.0]])[..., tf.newaxis]
  mask = nn.get_note_mask(q, max_regions=4, note_on_only=True)
  np.testing.assert_array_equal(tf.reduce_sum(mask, axis=-1),
                                [[0, 0, 1, 1, 0, 0]])


def test_get_note_mask_from_onset():
  q = tf.constant([[60.0, 60.0, 60.0, 0.0, 62.0]])
  onset = tf.constant([[1.0, 0.0, 1.0, 0.0, 1.0]])
  mask = nn.get_note_mask_from_onset(q, onset, max_regions=4)
  np.testing.assert_array_equal(mask[0].numpy(), [
      [1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]])


def test_note_moments_lengths_and_pooling():
  q = tf.constant([[60.0, 60.0, 62.0, 62.0, 62.0, 62.0]])
  x = tf.constant([[1.0, 3.0, 2.0, 2.0, 4.0, 4.0]])
  mask = nn.get_note_mask(q, max_regions=3)
  np.testing.assert_array_equal(nn.get_note_lengths(mask), [[2, 4, 0]])
  mean, std = nn.get_note_moments(x, mask)
  np.testing.assert_allclose(mean, [[2.0, 3.0, 0.0]], atol=1e-6)
  np.testing.assert_allclose(std, [[1.0, 1.0, 0.0]], atol=1e-6)
  pooled_mean, pooled_std = nn.pool_over_notes(x, mask)
  np.testing.assert_allclose(pooled_mean, [[2, 2, 3, 3, 3, 3]], atol=1e-6)
  np.testing.assert_allclose(pooled_std, [[1, 1, 1, 1, 1, 1]], atol=1e-6)
  pooled_3d = nn.pool_over_notes(x[..., tf.newaxis], mask, return_std=False)
  assert pooled_3d.shape == (1, 6, 1)


def test_short_note_loss_mask():
  q = tf.constant([[60.0] * 3 + [62.0] * 50 + [0.0] * 2])
  mask = nn.get_note_mask(q, max_regions=4, note_on_only=False)
  lengths = nn.get_note_lengths(mask)
  pitches = nn.get_note_moments(q, mask, return_std=False)
  loss_mask = nn.get_short_note_loss_mask(mask, lengths, pitches)
  np.testing.assert_array_equal(loss_mask[0], [1] * 3 + [0] * 52)


@pytest.mark.parametrize('norm_type, axes', [
    ('layer', (1, 2, 3)),
    ('instance', (1, 2)),
])
def test_normalize_op_moments(norm_type, axes):
  x = tf.random.normal([2, 10, 1, 4]) * 3.0 + 5.0
  y = nn.normalize_op(x, norm_type).numpy()
  np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=1e-5)
  np.testing.assert_allclose(y.var(axis=axes), 1.0, atol=1e-3)


def test_normalize_op_group_and_none():
  x = tf.random.normal([1, 4, 1, 64])
  y = nn.normalize_op(x, 'group').numpy().reshape(1, 4, 1, 32, 2)
  np.testing.assert_allclose(y.mean(axis=(1, 2, 4)), 0.0, atol=1e-5)
  assert nn.normalize_op(x, None) is x


def test_polyphase_resample_down_then_up_reconstructs():
  x = tf.random.normal([2, 9, 3])
  down = nn.polyphase_resample(x, stride=2, resample_type='down')
  assert down.shape == (2, 5, 6)
  up = nn.polyphase_resample(down, stride=2, resample_type='up')
  np.testing.assert_array_equal(up[:, :9], x)
  trimmed = nn.polyphase_resample(x, 2, 'down', trim_or_pad='trim')
  assert trimmed.shape == (2, 4, 6)
  x4 = x[:, :, tf.newaxis, :]
  assert nn.PolyphaseResample(3)(x4).shape == (2, 3, 1, 9)


def test_polyphase_resample_rejects_unknown_type():
  with pytest.raises(ValueError, match='resample_type'):
    nn.polyphase_resample(tf.ones([1, 4, 2]), resample_type='sideways')


def test_get_embedding():
  embedding = nn.get_embedding(vocab_size=10, n_dims=4)
  assert embedding(tf.constant([3, 7])).shape == (2, 4)


# ----------------------------------------------------------------------------
# Layers.
# ----------------------------------------------------------------------------
def _variable_names(layer):
  return [v.name.split('/')[-1] for v in layer.trainable_variables]


def test_normalize_weights():
  layer = nn.Normalize('layer')
  y = layer(tf.random.normal([2, 7, 5]))
  assert y.shape == (2, 7, 5)
  assert layer.scale.shape == (1, 1, 1, 5)
  assert layer.shift.shape == (1, 1, 1, 5)
  assert _variable_names(layer) == ['scale:0', 'shift:0']


def test_fc_structure():
  fc = nn.Fc(8)
  y = fc(tf.random.normal([2, 3, 4]))
  assert y.shape == (2, 3, 8)
  assert [type(l) for l in fc.layers] == [tfkl.Dense, tfkl.LayerNormalization,
                                          tfkl.Activation]
  assert fc.layers[1].epsilon == 1e-3


def test_fc_stack_and_fc_stack_out():
  stack = nn.FcStack(ch=6, layers=3)
  assert stack(tf.ones([1, 2, 3])).shape == (1, 2, 6)
  assert len(stack.layers) == 3
  out = nn.FcStackOut(ch=6, layers=2, n_out=5)
  assert out(tf.ones([1, 2, 3])).shape == (1, 2, 5)


@pytest.mark.parametrize('rnn_type, cls', [('gru', tfkl.GRU),
                                            ('lstm', tfkl.LSTM)])
def test_rnn(rnn_type, cls):
  rnn = nn.Rnn(7, rnn_type)
  assert isinstance(rnn.rnn, cls)
  assert rnn(tf.ones([2, 5, 3])).shape == (2, 5, 7)
  bidir = nn.Rnn(7, rnn_type, bidir=True)
  assert bidir(tf.ones([2, 5, 3])).shape == (2, 5, 14)


@pytest.mark.parametrize('rnn_type', ['gru', 'lstm'])
@pytest.mark.parametrize('bidir', [False, True])
def test_rnn_says_its_type_and_width(rnn_type, bidir):
  rnn = nn.Rnn(7, rnn_type, bidir=bidir)
  assert (rnn.rnn_type, rnn.bidir, rnn.units) == (rnn_type, bidir, 7)


def test_rnn_starts_from_a_given_state():
  rnn = nn.Rnn(5, 'gru')
  x = tf.random.normal([2, 4, 3], seed=1)
  state = tf.random.normal([2, 5], seed=2)
  from_zero = rnn(x)
  np.testing.assert_allclose(rnn(x, initial_state=tf.zeros([2, 5])),
                             from_zero, atol=1e-6)
  np.testing.assert_allclose(rnn(x, initial_state=state),
                             rnn.rnn(x, initial_state=state), atol=1e-6)
  assert not np.allclose(rnn(x, initial_state=state), from_zero)


def test_rnn_rejects_unknown_type():
  with pytest.raises(ValueError, match='rnn_type'):
    nn.Rnn(4, 'transformer')


def test_stateless_rnn_returns_its_state():
  rnn = nn.StatelessRnn(6, 'gru')
  y, state = rnn(tf.ones([2, 5, 3]), tf.zeros([2, 6]))
  assert y.shape == (2, 5, 6)
  np.testing.assert_allclose(state, y[:, -1])


def test_rnn_fc_reproduces_positional_bidir_quirk():
  # `bidir` lands in return_sequences: by default only the last step.
  assert nn.RnnFc(5, 3)(tf.ones([2, 4, 2])).shape == (2, 3)
  assert nn.RnnFc(5, 3, bidir=True)(tf.ones([2, 4, 2])).shape == (2, 4, 3)


def test_rnn_sandwich_and_single_gru():
  assert nn.RnnSandwich(4, 1, 6)(tf.ones([1, 3, 2])).shape == (1, 3, 4)
  assert nn.SingleGru(5)(tf.ones([1, 3, 2])).shape == (1, 3, 5)


def test_identity():
  x = tf.ones([2, 3])
  assert nn.Identity()(x) is x or np.array_equal(nn.Identity()(x), x)


@pytest.mark.slow
def test_resnet_small_output_and_variable_paths():
  resnet = nn.ResNet(size='small')
  y = resnet(tf.random.normal([1, 4, 32, 1]))
  # Frequency is halved 5 times; 8 · 32 filters · 4 (bottleneck expansion).
  assert y.shape == (1, 4, 1, 1024)
  first_conv = resnet.layers[0]
  assert first_conv.kernel.shape == (7, 7, 1, 64)
  stack = resnet.layers[2]
  assert len(stack.layers) == 2 + 3 + 4 + 2  # Residual layers, norm, act.
  assert isinstance(stack.layers[9], nn.Normalize)


def test_resnet_tiny_size_does_not_exist():
  with pytest.raises(KeyError):
    nn.ResNet(size='tiny')


def test_residual_layer_attributes():
  layer = nn.ResidualLayer(4, 2, True, 'layer', False, False)
  y = layer(tf.random.normal([1, 3, 8, 4]))
  assert y.shape == (1, 3, 4, 16)
  assert layer.conv_proj.name == 'conv_proj'
  assert layer.bottleneck.name == 'bottleneck'


def test_conditional_residual_stack():
  stack = nn.ResidualStack([4], [2], [1], 'instance', conditional=True)
  x = tf.random.normal([1, 3, 8, 16])
  z = tf.random.normal([1, 3, 1, 5])
  assert stack([x, z]).shape == (1, 3, 8, 16)


def test_conditional_norm():
  norm = nn.ConditionalNorm('layer')
  y = norm([tf.random.normal([2, 5, 1, 3]), tf.random.normal([2, 5, 1, 4])])
  assert y.shape == (2, 5, 1, 3)
  assert norm.conditional_scale_and_shift.dense.kernel.shape == (4, 6)
  shift = nn.ConditionalNorm('layer', shift_only=True)
  shift([tf.random.normal([2, 5, 1, 3]), tf.random.normal([2, 5, 1, 4])])
  assert shift.conditional_scale_and_shift.dense.kernel.shape == (4, 3)


def test_dilated_conv_stack_structure():
  stack = nn.DilatedConvStack(ch=8, layers_per_stack=3, stacks=2,
                              norm_type='layer')
  y = stack(tf.random.normal([2, 10, 5]))
  assert y.shape == (2, 10, 8)
  dilations = [l.layers[1].dilation_rate[0] for l in stack.layers]
  assert dilations == [1, 2, 4, 1, 2, 4]
  assert all(l.name.startswith('dilated_conv') for l in stack.layers)
  assert len(stack.norms) == 6 and stack.resample_layers == []
  assert stack.layers_per_resample == 0


def test_dilated_conv_stack_negative_dilation_reverses():
  stack = nn.DilatedConvStack(ch=4, layers_per_stack=3, stacks=1,
                              dilation=-2)
  assert [l.layers[1].dilation_rate[0] for l in stack.layers] == [4, 2, 1]


def test_dilated_conv_stack_upsample_and_conditioning():
  stack = nn.DilatedConvStack(ch=8, layers_per_stack=2, stacks=2,
                              resample_type='upsample', resample_stride=2,
                              conditional=True, norm_type='layer')
  x = tf.random.normal([1, 5, 3])
  z = tf.random.normal([1, 1, 4])
  assert stack([x, z]).shape == (1, 20, 8)
  assert len(stack.resample_layers) == 2 and stack.layers_per_resample == 2


def test_dilated_conv_stack_downsample_before_convolve():
  stack = nn.DilatedConvStack(ch=8, layers_per_stack=2, stacks=2,
                              resample_type='downsample', resample_stride=2,
                              resample_after_convolve=False)
  assert stack(tf.random.normal([1, 8, 3])).shape == (1, 2, 8)


def test_dilated_conv_stack_rejects_unknown_resample_type():
  with pytest.raises(ValueError, match='resample_type'):
    nn.DilatedConvStack(ch=4, resample_type='sideways', resample_stride=2)


def test_spectral_normalization_normalizes_the_kernel():
  layer = nn.SpectralNormalization(tfkl.Dense(4), power_iterations=20)
  x = tf.random.normal([3, 6])
  layer(x, training=True)
  sigma = np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0]
  np.testing.assert_allclose(sigma, 1.0, rtol=0.05)
  assert layer.u.shape == (1, 4)
  assert layer.non_trainable_variables[0].name.endswith('sn_u:0')


def test_spectral_normalization_rejects_bad_iterations():
  with pytest.raises(ValueError, match='power_iterations'):
    nn.SpectralNormalization(tfkl.Dense(4), power_iterations=0)


def test_spectral_normalization_needs_a_kernel():
  with pytest.raises(AttributeError, match='kernel'):
    nn.SpectralNormalization(tfkl.ReLU())(tf.ones([1, 2]))


def test_vector_quantization_codes_and_ema():
  vq = nn.VectorQuantization(k=4, num_heads=2, gamma=0.5)
  x = tf.random.normal([2, 3, 6])
  z, codes = vq(x, training=True)
  assert z.shape == x.shape
  assert codes.shape == (2, 3, 2)
  assert vq.sums.shape == (4, 3) and vq.counts.shape == (4,)
  np.testing.assert_allclose(tf.reduce_sum(vq.counts), 0.5 * 12, rtol=1e-6)
  assert vq.unquantize(codes).shape == (2, 3, 6)
  assert vq.trainable_variables == []
  losses = vq.get_losses_dict(x, z)
  assert list(losses) == [vq.name + '_commitment_loss']


def test_vector_quantization_straight_through_gradient():
  vq = nn.VectorQuantization(k=3)
  x = tf.random.normal([4, 2])
  with tf.GradientTape() as tape:
    tape.watch(x)
    z, _ = vq(x, training=False)
  np.testing.assert_allclose(tape.gradient(z, x), np.ones([4, 2]))


def test_vector_quantization_depth_must_divide_heads():
  with pytest.raises(ValueError, match='num_heads'):
    nn.VectorQuantization(k=2, num_heads=4)(tf.ones([1, 6]))


# ----------------------------------------------------------------------------
# Gin registration.
# ----------------------------------------------------------------------------
def _registered(name):
  """True if `name` is the complete selector of a gin registration."""
  return name in gin.config._REGISTRY  # pylint: disable=protected-access


def test_every_keras_layer_is_registered_with_gin():
  names = [n for n in dir(tfkl) if hasattr(getattr(tfkl, n), 'variables')]
  assert len(names) > 100
  for name in names:
    assert _registered(f'tf.keras.layers.{name}'), name
  assert _registered('tf.keras.Sequential')


@pytest.mark.parametrize('name', [
    'split_to_dict', 'Normalize', 'PolyphaseResample', 'NormReluConv',
    'ResidualLayer', 'ResidualStack', 'ResNet', 'Fc', 'FcStack', 'Rnn',
    'StatelessRnn', 'RnnFc', 'RnnSandwich', 'Identity', 'Dense',
    'ConditionalNorm', 'SingleGru', 'DilatedConvStack', 'FcStackOut',
    'VectorQuantization'])
def test_nn_names_are_registered(name):
  assert _registered(f'ddsp.training.nn.{name}')


def test_unregistered_helpers():
  for name in ('DictLayer', 'OutputSplitsLayer', 'SpectralNormalization',
               'ConditionalScaleAndShift'):
    assert not _registered(f'ddsp.training.nn.{name}')


def test_gin_builds_keras_layers_by_their_tf_keras_name():
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config("""
        import ddsp.training
        net/tf.keras.Sequential.layers = [@tf.keras.layers.Dense(),
                                          @nn.Dense()]
        tf.keras.layers.Dense.units = 3
        nn.Dense.units = 2
    """)
  try:
    reference = gin.query_parameter('net/tf.keras.Sequential.layers')
    layers = [r.scoped_configurable_fn() for r in reference]
    assert [l.units for l in layers] == [3, 2]
    assert all(isinstance(l, tfkl.Dense) for l in layers)
  finally:
    with gin.unlock_config():
      gin.clear_config()


def test_gin_register_leaves_python_calls_unconfigured():
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config('Fc.ch = 3')
  try:
    assert nn.Fc()(tf.ones([1, 2])).shape == (1, 128)
  finally:
    with gin.unlock_config():
      gin.clear_config()
