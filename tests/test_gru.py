"""training/gru.py: the fast GRU path equals tf_keras' GRU.

Same weights, same outputs (float32 round-off), same gradients, same
variables (so checkpoints do not notice), and Keras' own path whenever the
fast one does not apply.
"""
import ddsp  # noqa: F401  (Keras 2 set-up)
from ddsp import devices
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


# ------------------------------------------------------------------------------
# Where the scan path runs: decided by placement, per call.
# ------------------------------------------------------------------------------
def _count_scan_calls(monkeypatch):
  """Counts calls of the scan implementation from now on."""
  calls = []
  scan = gru.gru_sequence

  def counting(*args):
    calls.append(1)
    return scan(*args)

  monkeypatch.setattr(gru, 'gru_sequence', counting)
  return calls


def _visible_gpu(monkeypatch):
  """Pretends a GPU is visible to the placement logic (ddsp/devices.py)."""
  real = tf.config.list_logical_devices

  def fake(device_type=None):
    if device_type == 'GPU':
      return [tf.config.LogicalDevice('/device:GPU:0', 'GPU')]
    return real(device_type)

  monkeypatch.setattr(tf.config, 'list_logical_devices', fake)


def _placed(device, graph):
  """placement_device_type() under `tf.device(device)` (None: no scope)."""
  def probe():
    if device is None:
      return devices.placement_device_type()
    with tf.device(device):
      return devices.placement_device_type()
  if not graph:
    return probe()
  found = []
  tf.function(lambda: found.append(probe()) or tf.constant(0.0))()
  return found[0]


@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'tf.function'])
@pytest.mark.parametrize('device, expected', [
    (None, 'CPU'), ('/CPU:0', 'CPU'), ('/GPU:0', 'GPU'),
    ('/job:localhost/replica:0/task:0/device:GPU:1', 'GPU')])
def test_placement_follows_device_scope(device, expected, graph):
  assert _placed(device, graph) == expected


@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'tf.function'])
def test_placement_defaults_to_a_visible_gpu(monkeypatch, graph):
  _visible_gpu(monkeypatch)
  assert _placed(None, graph) == 'GPU'
  assert _placed('/CPU:0', graph) == 'CPU'


def test_placement_of_a_distribution_replica():
  strategy = tf.distribute.MirroredStrategy(['/cpu:0'])
  found = []
  tf.function(lambda: strategy.run(
      lambda: found.append(devices.placement_device_type()) or tf.constant(0.)))()
  assert found == ['CPU']


def _run_placed(layer, x, device, graph):
  def call():
    with tf.device(device):
      return layer(x)
  return (tf.function(call) if graph else call)()


def test_gpu_placement_takes_keras_path_with_same_outputs(monkeypatch):
  reference, layer = _pair(return_sequences=True)
  x = _inputs()
  on_cpu = _run_placed(layer, x, '/CPU:0', graph=True)
  calls = _count_scan_calls(monkeypatch)
  # No GPU here: in a tf.function, soft placement runs the GPU-scoped ops on
  # the CPU (Keras' backend selection then picks its CPU kernel), while the
  # path is chosen from the requested placement. (Eagerly, Keras would call
  # the cuDNN op directly, which this machine cannot run.)
  on_gpu = _run_placed(layer, x, '/GPU:0', graph=True)
  assert not calls
  np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(on_gpu, reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'tf.function'])
def test_cpu_placement_takes_scan_path(monkeypatch, graph):
  layer = gru.GRU(UNITS, return_sequences=True)
  calls = _count_scan_calls(monkeypatch)
  _run_placed(layer, _inputs(), '/CPU:0', graph)
  assert calls


def test_cpu_placement_in_a_gpu_process_takes_scan_path(monkeypatch):
  _visible_gpu(monkeypatch)
  layer = gru.GRU(UNITS)
  with tf.device('/CPU:0'):
    assert layer.uses_scan_path(_inputs())
  assert not layer.uses_scan_path(_inputs())


@pytest.mark.parametrize('path, device, expected', [
    ('auto', '/CPU:0', True), ('auto', '/GPU:0', False),
    ('scan', '/GPU:0', True), ('keras', '/CPU:0', False)])
def test_path_override(path, device, expected):
  layer = gru.GRU(UNITS, path=path)
  with tf.device(device):
    assert layer.uses_scan_path(_inputs()) is expected


def test_path_override_by_gin_reaches_ddsp_layers(clean_gin):
  import gin  # pylint: disable=g-import-not-at-top
  gin.parse_config("gru.GRU.path = 'keras'")
  rnn = nn.Rnn(UNITS, 'gru')
  layers = [l for l in rnn._flatten_layers() if isinstance(l, gru.GRU)]
  assert layers and all(l.path == 'keras' for l in layers)


def test_unknown_path_is_refused():
  with pytest.raises(ValueError, match='auto'):
    gru.GRU(UNITS, path='cudnn')


def test_config_round_trip_keeps_path():
  layer = gru.GRU(UNITS, path='keras', return_sequences=True)
  again = gru.GRU.from_config(layer.get_config())
  assert again.path == 'keras' and again.return_sequences


def test_both_paths_write_the_same_checkpoint_keys():
  x = _inputs()
  keys = []
  for path in ('scan', 'keras'):
    layer = gru.GRU(UNITS, path=path, return_sequences=True)
    layer(x)
    prefix = tf.train.Checkpoint(rnn=layer).write(f'/tmp/_gru_{path}')
    keys.append(sorted(k for k, _ in tf.train.list_variables(prefix)))
  assert keys[0] == keys[1]
