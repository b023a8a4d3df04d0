"""training/gru.py: the fast GRU path equals tf_keras' GRU.

Same weights, same outputs (float32 round-off), same gradients, same
variables (so checkpoints do not notice), and Keras' own path whenever the
fast one does not apply. In graphs, the scan and the cuDNN kernel are two
implementations of one function, chosen by the device the call runs on
(the last section says what a machine without a GPU can show of that).
"""
import collections

import ddsp  # noqa: F401  (Keras 2 set-up)
from ddsp import devices
from ddsp.training import gru
from ddsp.training import nn
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2
from tensorflow.core.protobuf import rewriter_config_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.grappler import tf_optimizer
import tf_keras as tfk
from tf_keras.src.layers.rnn import gru as keras_gru

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


def _implementation(layer, device, graph):
  """layer.implementation(inputs) under `tf.device(device)`."""
  def probe():
    with tf.device(device):
      return layer.implementation(_inputs())
  if not graph:
    return probe()
  found = []
  tf.function(lambda: found.append(probe()) or tf.constant(0.0))()
  return found[0]


def test_graph_placed_on_a_missing_gpu_runs_the_scan(monkeypatch):
  reference, layer = _pair(return_sequences=True)
  x = _inputs()
  calls = _count_scan_calls(monkeypatch)
  # No GPU here: soft placement runs the GPU-scoped call on the CPU, and the
  # selector, which runs after placement, keeps the scan. (Had it chosen
  # cuDNN, the call would fail: CudnnRNNV3 has no CPU kernel.)
  on_gpu = _run_placed(layer, x, '/GPU:0', graph=True)
  assert calls
  np.testing.assert_allclose(on_gpu, reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'tf.function'])
def test_cpu_placement_takes_scan_path(monkeypatch, graph):
  layer = gru.GRU(UNITS, return_sequences=True)
  calls = _count_scan_calls(monkeypatch)
  _run_placed(layer, _inputs(), '/CPU:0', graph)
  assert calls


def test_eager_cpu_placement_in_a_gpu_process_takes_scan_path(monkeypatch):
  _visible_gpu(monkeypatch)
  layer = gru.GRU(UNITS)
  with tf.device('/CPU:0'):
    assert layer.implementation(_inputs()) == 'scan'
  assert layer.implementation(_inputs()) == 'keras'


@pytest.mark.parametrize('path, device, graph, expected', [
    ('auto', '/CPU:0', False, 'scan'), ('auto', '/GPU:0', False, 'keras'),
    ('auto', '/CPU:0', True, 'selected'), ('auto', '/GPU:0', True, 'selected'),
    ('auto', '/TPU:0', True, 'keras'),
    ('scan', '/GPU:0', False, 'scan'), ('scan', '/GPU:0', True, 'scan'),
    ('keras', '/CPU:0', False, 'keras'), ('keras', '/CPU:0', True, 'keras')])
def test_path_override(path, device, graph, expected):
  layer = gru.GRU(UNITS, path=path)
  assert _implementation(layer, device, graph) == expected


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


def test_all_paths_write_the_same_checkpoint_keys(tmp_path):
  x = _inputs()
  keys = {}
  for path in ('auto', 'scan', 'keras'):
    layer = gru.GRU(UNITS, path=path, return_sequences=True)
    tf.function(layer)(x)
    prefix = tf.train.Checkpoint(rnn=layer).write(str(tmp_path / path))
    keys[path] = sorted(k for k, _ in tf.train.list_variables(prefix))
  reference = tfk.layers.GRU(UNITS, return_sequences=True)
  reference(x)
  prefix = tf.train.Checkpoint(rnn=reference).write(str(tmp_path / 'ref'))
  expected = sorted(k for k, _ in tf.train.list_variables(prefix))
  assert keys == {'auto': expected, 'scan': expected, 'keras': expected}


# ------------------------------------------------------------------------------
# The implementation selector: scan or cuDNN, chosen where a graph runs.
#
# This machine has no GPU, so nothing here runs the cuDNN kernel. What it can
# show: graphs (traced with or without a device scope, or saved) hold both
# implementations under one `api_implements` name and call the selectable
# function; Grappler, which only reads the device names of the nodes, turns a
# graph placed on a GPU into calls of the cuDNN implementation and a graph
# placed on a CPU into calls of the scan; on the CPU the selected graph gives
# the scan's numbers; and the cuDNN implementation feeds CudnnRNNV3 exactly
# what Keras' own cuDNN GRU feeds it.
# ------------------------------------------------------------------------------
def _api_attr(function, key):
  value = function.attr[key].s.decode() if key in function.attr else ''
  return value


def _implementations(library):
  """{api name: {preferred device: [function names]}} of the GRU functions.

  Args:
    library: A FunctionDefLibrary proto.
  """
  found = collections.defaultdict(lambda: collections.defaultdict(list))
  for function in library.function:
    api_name = _api_attr(function, gru.API_IMPLEMENTS)
    if api_name.startswith(gru.API_PREFIX):
      device = _api_attr(function, gru.API_PREFERRED_DEVICE)
      found[api_name][device].append(function.signature.name)
  return found


def _called_functions(nodes):
  """Names of the functions that call nodes (PartitionedCall, ...) call."""
  return [node.attr['f'].func.name for node in nodes if 'f' in node.attr]


def _preferred_devices(library, names):
  """The `api_preferred_device` of each GRU implementation among `names`."""
  functions = {f.signature.name: f for f in library.function}
  return [_api_attr(functions[name], gru.API_PREFERRED_DEVICE)
          for name in names
          if _api_attr(functions[name], gru.API_IMPLEMENTS).startswith(
              gru.API_PREFIX)]


def _op_types(library, name):
  functions = {f.signature.name: f for f in library.function}
  return {node.op for node in functions[name].node_def}


def _weights(n_in=5, seed=4):
  """kernel, recurrent kernel and bias of a GRU of UNITS units."""
  rng = np.random.RandomState(seed)
  return [tf.constant(rng.normal(scale=0.5, size=shape).astype(np.float32))
          for shape in ((n_in, 3 * UNITS), (UNITS, 3 * UNITS),
                        (2, 3 * UNITS))]


def _sequence_and_gradients(sequence, x, h0, weights):
  """hs and d(weighted sum of squares of hs)/d(each argument)."""
  args = [x, h0] + weights
  with tf.GradientTape() as tape:
    tape.watch(args)
    hs = sequence(*args)
    scale = tf.reshape(tf.range(x.shape[1], dtype=tf.float32), [-1, 1, 1])
    loss = tf.reduce_sum(scale * hs * hs)
  return [hs] + tape.gradient(loss, args)


def _gradient_graph(layer, x, h0, device=None):
  """Concrete function of `_gradients` of the layer, traced under `device`."""
  def traced():
    if device is None:
      return _gradients(layer, x, h0)
    with tf.device(device):
      return _gradients(layer, x, h0)
  return tf.function(traced).get_concrete_function()


def test_selected_sequence_equals_the_scan_on_cpu():
  x = _inputs()
  h0 = tf.constant(np.random.RandomState(5).normal(
      size=(3, UNITS)).astype(np.float32))
  weights = _weights()
  selected = tf.function(lambda: _sequence_and_gradients(
      gru.selected_gru_sequence, x, h0, weights))()
  scan = tf.function(lambda: _sequence_and_gradients(
      gru.gru_sequence, x, h0, weights))()
  # The same ops on the same device: the same numbers, not just close ones.
  for got, expected in zip(selected, scan):
    assert np.abs(expected).max() > 0
    np.testing.assert_array_equal(got, expected)


def test_auto_path_equals_scan_path_on_cpu():
  x = _inputs()
  h0 = tf.constant(np.random.RandomState(6).normal(
      size=(3, UNITS)).astype(np.float32))
  reference, auto = _pair(return_sequences=True)
  scan = gru.GRU(UNITS, path='scan', return_sequences=True)
  scan(x)
  scan.set_weights(reference.get_weights())
  graph = _gradient_graph(auto, x, h0).graph.as_graph_def()
  assert _preferred_devices(graph.library, _called_functions(graph.node))
  got = tf.function(_gradients)(auto, x, h0)
  expected = tf.function(_gradients)(scan, x, h0)
  for g_auto, g_scan in zip(got, expected):
    np.testing.assert_array_equal(g_auto, g_scan)


@pytest.mark.parametrize('device', [None, '/CPU:0', '/GPU:0'])
def test_traced_graph_calls_the_selectable_function(device):
  _, layer = _pair(return_sequences=True)
  x = _inputs()
  h0 = tf.zeros([3, UNITS])
  graph = _gradient_graph(layer, x, h0, device).graph.as_graph_def()
  implementations = _implementations(graph.library)
  assert len(implementations) == 1
  (by_device,) = implementations.values()
  assert set(by_device) == {'CPU', 'GPU'}
  # The forward and the gradient call: the scan's, until Grappler swaps them.
  called = _called_functions(graph.node)
  assert _preferred_devices(graph.library, called) == ['CPU', 'CPU']


def _optimized(concrete, device_type):
  """Grappler's output for the function's graph placed on `device_type`:0.

  Function specialisation is off so that calls keep the names of the
  functions they call; the implementation selector is on, as by default.
  """
  graph = concrete.graph
  meta = tf.compat.v1.train.export_meta_graph(graph_def=graph.as_graph_def(),
                                              graph=graph)
  fetch = meta.collection_def['train_op'].node_list.value
  fetch.extend(t.name for t in graph.outputs)
  for node in meta.graph_def.node:
    node.device = f'/job:localhost/replica:0/task:0/device:{device_type}:0'
  config = config_pb2.ConfigProto()
  rewrite = config.graph_options.rewrite_options
  rewrite.min_graph_nodes = -1
  rewrite.function_optimization = rewriter_config_pb2.RewriterConfig.OFF
  rewrite.implementation_selector = rewriter_config_pb2.RewriterConfig.ON
  return tf_optimizer.OptimizeGraph(config, meta)


@pytest.mark.parametrize('device_type', ['CPU', 'GPU'])
def test_grappler_selects_the_implementation_of_the_device(device_type):
  _, layer = _pair(return_sequences=True)
  x = _inputs()
  concrete = _gradient_graph(layer, x, tf.zeros([3, UNITS]))
  optimized = _optimized(concrete, device_type)
  called = _called_functions(optimized.node)
  assert _preferred_devices(optimized.library, called) == [device_type] * 2
  kernels = set().union(*(_op_types(optimized.library, name)
                          for name in called))
  assert ('CudnnRNNV3' in kernels) == (device_type == 'GPU')


def test_saved_model_holds_both_implementations(tmp_path):
  _, layer = _pair(return_sequences=True)
  module = tf.Module()
  module.layer = layer
  module.call = tf.function(
      lambda x: layer(x),  # pylint: disable=unnecessary-lambda
      input_signature=[tf.TensorSpec([None, None, 5], tf.float32)])
  tf.saved_model.save(module, str(tmp_path))
  proto = saved_model_pb2.SavedModel()
  proto.ParseFromString((tmp_path / 'saved_model.pb').read_bytes())
  library = proto.meta_graphs[0].graph_def.library
  implementations = _implementations(library)
  assert implementations
  called = set(_called_functions(
      node for function in library.function for node in function.node_def))
  for by_device in implementations.values():
    assert set(by_device) == {'CPU', 'GPU'}
    assert all('CudnnRNNV3' not in _op_types(library, name)
               for name in by_device['CPU'])
    assert any('CudnnRNNV3' in _op_types(library, name)
               for name in by_device['GPU'])
    assert called & set(by_device['CPU'])  # Called: the selector swaps it.
    assert not called & set(by_device['GPU'])  # Registered only.
  loaded = tf.saved_model.load(str(tmp_path))
  x = _inputs()
  np.testing.assert_allclose(loaded.call(x), layer(x), rtol=1e-6, atol=1e-7)


def _kernel_inputs(build):
  """Inputs and attributes of the CudnnRNNV3 op that `build` adds to a graph.

  The op cannot run here (no GPU); its inputs are computed on the CPU from
  the part of the graph that feeds them.
  """
  graph = tf.Graph()
  with graph.as_default():
    build()
  (op,) = [op for op in graph.get_operations() if op.type == 'CudnnRNNV3']
  feeding = tf.compat.v1.graph_util.extract_sub_graph(
      graph.as_graph_def(), [t.op.name for t in op.inputs])
  pruned = tf.Graph()
  with pruned.as_default():
    tf.graph_util.import_graph_def(feeding, name='')
  with tf.compat.v1.Session(graph=pruned) as session:
    values = session.run([t.name for t in op.inputs])
  attrs = {name: op.get_attr(name) for name in
           ('rnn_mode', 'time_major', 'is_training', 'direction',
            'input_mode', 'dropout', 'num_proj')}
  return values, attrs


def test_cudnn_implementation_feeds_the_kernel_as_keras_does():
  x = _inputs().numpy()
  h0 = np.random.RandomState(7).normal(size=(3, UNITS)).astype(np.float32)
  weights = [w.numpy() for w in _weights()]
  ours = _kernel_inputs(lambda: gru.cudnn_gru_sequence(x, h0, *weights))
  theirs = _kernel_inputs(lambda: keras_gru.gpu_gru(
      np.transpose(x, [1, 0, 2]), h0, *weights, mask=None, time_major=True,
      go_backwards=False, sequence_lengths=None, return_sequences=True))
  assert ours[1] == theirs[1]
  assert len(ours[0]) == len(theirs[0]) == 5
  for got, expected in zip(ours[0], theirs[0]):
    np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(tf.sysconfig.get_build_info().get('is_rocm_build'),
                    reason="MIOpen keeps Keras' gate order")
def test_cudnn_params_put_each_weight_in_its_place():
  kernel, recurrent_kernel, bias = _weights(n_in=2)
  params = gru.cudnn_params(kernel, recurrent_kernel, bias).numpy()
  n_in, units = 2, UNITS
  assert params.shape == (3 * units * (n_in + units + 2),)
  # cuDNN's first matrix is the reset gate's input weights, [units, n_in].
  first = params[:units * n_in].reshape(units, n_in)
  np.testing.assert_array_equal(first, kernel[:, units:2 * units].numpy().T)
  # Its last vector is the candidate's recurrent bias.
  np.testing.assert_array_equal(params[-units:], bias[1, 2 * units:])


def test_xla_compiles_the_selectable_function():
  x = _inputs()
  h0 = tf.zeros([3, UNITS])
  _, layer = _pair(return_sequences=True)
  compiled = tf.function(_gradients, jit_compile=True)(layer, x, h0)
  expected = tf.function(_gradients)(layer, x, h0)
  for got, want in zip(compiled, expected):
    np.testing.assert_allclose(got, want, rtol=1e-5,
                               atol=1e-5 * np.abs(want).max())
