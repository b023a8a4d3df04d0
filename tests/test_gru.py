"""training/gru.py: the fast GRU path equals tf_keras' GRU.

Same weights, same outputs (float32 round-off), same gradients, same
variables (so checkpoints do not notice), and Keras' own path whenever the
fast one does not apply.
"""
import ddsp  # noqa: F401  (Keras 2 set-up)
from ddsp.training import gru
from ddsp.training import nn
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as tfk

UNITS = 8


def _pair(**kwargs):
  """A Keras GRU and a fast GRU with the same (non-trivial) weights."""
  x = _inputs()
  reference = tfk.layers.GRU(UNITS, **kwargs)
  fast = gru.GRU(UNITS, **kwargs)
  reference(x)
  fast(x)
  rng = np.random.RandomState(1)
  weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32)
             for w in reference.get_weights()]
  reference.set_weights(weights)
  fast.set_weights(weights)
  return reference, fast


def _inputs(batch=3, n_time=17, n_in=5, seed=0):
  return tf.constant(np.random.RandomState(seed).normal(
      size=(batch, n_time, n_in)).astype(np.float32))


@pytest.mark.parametrize('return_sequences', [True, False])
def test_outputs_equal_keras(return_sequences):
  reference, fast = _pair(return_sequences=return_sequences)
  x = _inputs()
  np.testing.assert_allclose(fast(x), reference(x), rtol=1e-5, atol=1e-6)


def test_return_state_and_initial_state_equal_keras():
  reference, fast = _pair(return_sequences=True, return_state=True)
  x = _inputs()
  h0 = tf.constant(np.random.RandomState(2).normal(
      size=(3, UNITS)).astype(np.float32))
  out_ref, state_ref = reference(x, initial_state=h0)
  out_fast, state_fast = fast(x, initial_state=h0)
  np.testing.assert_allclose(out_fast, out_ref, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(state_fast, state_ref, rtol=1e-5, atol=1e-6)


def _gradients(layer, x, h0):
  """d(weighted sum of squares)/d(inputs, initial state, weights)."""
  weights = tf.reshape(tf.range(x.shape[1], dtype=tf.float32), [1, -1, 1])
  with tf.GradientTape() as tape:
    tape.watch([x, h0])
    y = layer(x, initial_state=h0)
    loss = tf.reduce_sum(weights * y * y)
  return tape.gradient(loss, [x, h0] + layer.trainable_variables)


@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'tf.function'])
def test_gradients_equal_keras(graph):
  reference, fast = _pair(return_sequences=True)
  x = _inputs()
  h0 = tf.constant(np.random.RandomState(3).normal(
      size=(3, UNITS)).astype(np.float32))
  grad = tf.function(_gradients) if graph else _gradients
  for g_fast, g_ref in zip(grad(fast, x, h0), grad(reference, x, h0)):
    scale = np.abs(g_ref).max()
    assert scale > 0
    np.testing.assert_allclose(g_fast, g_ref, atol=1e-5 * scale)


def test_variables_and_names_match_keras():
  reference, fast = _pair(return_sequences=True)
  assert [v.shape for v in fast.weights] == [v.shape for v in reference.weights]
  assert ([v.name.split('/', 1)[1] for v in fast.weights] ==
          [v.name.split('/', 1)[1] for v in reference.weights])
  ref_ckpt = tf.train.Checkpoint(rnn=reference)
  fast_ckpt = tf.train.Checkpoint(rnn=fast)
  ref_keys = sorted(k for k, _ in
                    tf.train.list_variables(ref_ckpt.write('/tmp/_ref_gru')))
  fast_keys = sorted(k for k, _ in
                     tf.train.list_variables(fast_ckpt.write('/tmp/_fst_gru')))
  assert ref_keys == fast_keys


@pytest.mark.parametrize('kwargs', [
    dict(dropout=0.5), dict(go_backwards=True), dict(reset_after=False),
    dict(activation='relu')])
def test_other_configurations_use_keras_path(kwargs):
  fast = gru.GRU(UNITS, return_sequences=True, **kwargs)
  assert not fast._fast_path_applies(_inputs(), None)
  reference = tfk.layers.GRU(UNITS, return_sequences=True, **kwargs)
  x = _inputs()
  fast(x)
  reference(x)
  reference.set_weights(fast.get_weights())
  np.testing.assert_allclose(fast(x), reference(x), rtol=1e-5, atol=1e-6)


def test_masked_inputs_use_keras_path():
  fast = gru.GRU(UNITS, return_sequences=True)
  mask = tf.ones([3, 17], tf.bool)
  assert not fast._fast_path_applies(_inputs(), mask)
  assert fast._fast_path_applies(_inputs(), None)


def test_default_configuration_uses_fast_path():
  assert gru.GRU(UNITS)._fast_path_applies(_inputs(), None)


@pytest.mark.parametrize('layer', [
    lambda: nn.Rnn(UNITS, 'gru'),
    lambda: nn.StatelessRnn(UNITS, 'gru'),
    lambda: nn.SingleGru(UNITS)])
def test_ddsp_gru_layers_are_fast(layer):
  built = layer()
  rnns = [l for l in built._flatten_layers() if isinstance(l, tfk.layers.GRU)]
  assert rnns and all(isinstance(l, gru.GRU) for l in rnns)
