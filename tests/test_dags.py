"""Specification tests of ddsp.dags: DAG node syntax and DAGLayer behaviour."""
from ddsp import dags
from ddsp import processors
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

Dense = tf_keras.layers.Dense


class _ReturnsDict(tf_keras.layers.Layer):
  """Network module returning a dict (its keys are used as is)."""

  def call(self, x, y=None, training=None):
    del training
    out = {'double': 2.0 * x}
    if y is not None:
      out['sum'] = x + y
    return out


class _ReturnsTuple(tf_keras.layers.Layer):
  """Network module returning two tensors (needs output keys)."""

  def call(self, x, training=None):
    del training
    return x + 1.0, x - 1.0


class _RecordsKwargs(tf_keras.layers.Layer):
  """Remembers the keyword arguments of its last call."""

  def call(self, x, **kwargs):
    self.last_kwargs = dict(kwargs)
    return x


class _Loss(tf_keras.layers.Layer):
  """Duck-typed loss: has get_losses_dict."""

  def call(self, a, b):
    return tf.reduce_mean(tf.abs(a - b))

  def get_losses_dict(self, a, b, **kwargs):
    del kwargs
    return {self.name: self(a, b)}


class _Processor(processors.Processor):

  def __init__(self, name='proc'):
    super().__init__(name=name)

  def get_controls(self, x):
    return {'x': x}

  def get_signal(self, x):
    return 3.0 * x


def _data(batch=2, dims=4):
  return {'test_data': tf.random.normal([batch, dims])}


# ------------------------------------------------------------------------------
# The original dags_test: an autoencoder of three Dense layers.
# ------------------------------------------------------------------------------
class _ConfigurableDAG(dags.DAGLayer):
  pass


def _string_named_dag():
  return [
      ['encoder', ['inputs/test_data'], ['z']],
      ['bottleneck', ['encoder/z'], ['z_bottleneck']],
      ['decoder', ['bottleneck/z_bottleneck'], ['reconstruction']],
  ]


def _check_autoencoder_outputs(dag_layer, inputs, outputs):
  np.testing.assert_array_equal(outputs['test_data'], inputs['test_data'])
  np.testing.assert_array_equal(outputs['inputs']['test_data'],
                                inputs['test_data'])
  assert outputs['bottleneck']['z_bottleneck'].shape == (2, 2)
  assert outputs['out']['reconstruction'].shape == (2, 4)
  assert len(dag_layer.trainable_variables) == 6


def test_modules_given_as_kwargs_with_string_names():
  inputs = _data()
  dag_layer = _ConfigurableDAG(
      dag=_string_named_dag(), encoder=Dense(8, name='encoder'),
      bottleneck=Dense(2, name='bottleneck'),
      decoder=Dense(4, name='decoder'))
  _check_autoencoder_outputs(dag_layer, inputs, dag_layer(inputs))


def test_modules_given_inline_in_the_dag():
  inputs = _data()
  dag = [
      (Dense(8, name='encoder'), ['inputs/test_data'], ['z']),
      (Dense(2, name='bottleneck'), ['encoder/z'], ['z_bottleneck']),
      (Dense(4, name='decoder'), ['bottleneck/z_bottleneck'],
       ['reconstruction']),
  ]
  dag_layer = _ConfigurableDAG(dag=dag)
  assert dag_layer.module_names == ['encoder', 'bottleneck', 'decoder']
  assert dag_layer.dag[0][0] == 'encoder'  # Modules replaced by names.
  _check_autoencoder_outputs(dag_layer, inputs, dag_layer(inputs))


# ------------------------------------------------------------------------------
# Node syntax.
# ------------------------------------------------------------------------------
def test_two_element_node_with_dict_result_uses_module_keys():
  layer = dags.DAGLayer(dag=[(_ReturnsDict(name='net'), ['x', 'y'])])
  out = layer({'x': tf.ones([1, 2]), 'y': tf.ones([1, 2])})
  assert set(out['net']) == {'double', 'sum'}
  np.testing.assert_allclose(out['out']['sum'], 2.0 * np.ones([1, 2]))


def test_three_element_node_names_non_dict_results():
  layer = dags.DAGLayer(dag=[(_ReturnsTuple(name='net'), ['x'],
                              ['plus', 'minus'])])
  out = layer({'x': tf.zeros([1, 2])})
  np.testing.assert_allclose(out['net']['plus'], np.ones([1, 2]))
  np.testing.assert_allclose(out['net']['minus'], -np.ones([1, 2]))


def test_single_tensor_result_is_wrapped_with_one_output_key():
  layer = dags.DAGLayer(dag=[(Dense(3, name='d'), ['x'], ['y'])])
  out = layer({'x': tf.zeros([1, 2])})
  assert out['d']['y'].shape == (1, 3)


def test_output_keys_ignored_for_dict_results():
  layer = dags.DAGLayer(dag=[(_ReturnsDict(name='net'), ['x'], ['unused'])])
  out = layer({'x': tf.ones([1, 2])})
  assert list(out['net']) == ['double']


def test_wrong_number_of_output_keys_raises():
  layer = dags.DAGLayer(dag=[(_ReturnsTuple(name='net'), ['x'], ['only'])])
  with pytest.raises(ValueError):
    layer({'x': tf.zeros([1, 2])})


def test_non_dict_result_without_output_keys_raises_clearly():
  layer = dags.DAGLayer(dag=[(Dense(3, name='d'), ['x'])])
  with pytest.raises(ValueError, match='output keys'):
    layer({'x': tf.zeros([1, 2])})


def test_nested_input_keys():
  layer = dags.DAGLayer(dag=[
      (_ReturnsDict(name='first'), ['a/b']),
      (_ReturnsDict(name='second'), ['first/double', 'inputs/a/b']),
  ])
  out = layer({'a': {'b': tf.ones([1, 2])}})
  np.testing.assert_allclose(out['second']['sum'], 3.0 * np.ones([1, 2]))


@pytest.mark.parametrize('container', [list, tuple])
def test_nodes_as_lists_or_tuples(container):
  node = container([_ReturnsTuple(name='net'), container(['x']),
                    container(['p', 'm'])])
  layer = dags.DAGLayer(dag=container([node]))
  assert layer.dag == [['net', ['x'], ['p', 'm']]] or (
      list(layer.dag[0][1]) == ['x'])
  out = layer({'x': tf.zeros([1, 1])})
  np.testing.assert_allclose(out['out']['p'], [[1.0]])


def test_input_key_order_is_argument_order():
  layer = dags.DAGLayer(dag=[(processors.Add(name='add'), ['a', 'b'])])
  out = layer({'a': tf.ones([1, 1]), 'b': 2.0 * tf.ones([1, 1])})
  np.testing.assert_allclose(out['add']['controls']['signal_one'], [[1.0]])
  np.testing.assert_allclose(out['add']['controls']['signal_two'], [[2.0]])


def test_missing_input_key_raises_key_error_listing_available_keys():
  layer = dags.DAGLayer(dag=[(_ReturnsDict(name='net'), ['nope'])])
  with pytest.raises(KeyError) as error:
    layer({'x': tf.ones([1, 2])})
  message = str(error.value)
  assert 'nope' in message
  assert 'x' in message and 'inputs/x' in message


def test_empty_dag_raises():
  layer = dags.DAGLayer(dag=[])
  with pytest.raises(ValueError, match='no nodes'):
    layer({'x': tf.ones([1, 2])})
  # Same error type as the original's unassigned final output.
  with pytest.raises(UnboundLocalError):
    layer({'x': tf.ones([1, 2])})


def test_get_module_returns_a_module_by_its_name():
  encoder = Dense(8, name='encoder')
  layer = dags.DAGLayer(dag=[('encoder', ['x'])], encoder=encoder)
  assert layer.get_module('encoder') is encoder
  with pytest.raises(KeyError, match="'decoder'.*Available modules"):
    layer.get_module('decoder')


def test_unknown_module_name_raises():
  layer = dags.DAGLayer(dag=[('missing', ['x'])])
  with pytest.raises(AttributeError, match='missing'):
    layer({'x': tf.ones([1, 2])})


@pytest.mark.parametrize('bad_node', ['encoder', ('only_name',),
                                      ('a', ['x'], ['y'], 'extra')])
def test_malformed_nodes_raise(bad_node):
  with pytest.raises(ValueError, match='node'):
    dags.DAGLayer(dag=[bad_node])


# ------------------------------------------------------------------------------
# Dispatch by module kind; keyword arguments.
# ------------------------------------------------------------------------------
def test_processor_nodes_return_signal_and_controls():
  layer = dags.DAGLayer(dag=[(_Processor(), ['x'])])
  out = layer({'x': tf.ones([1, 2])})
  assert set(out['proc']) == {'signal', 'controls'}
  np.testing.assert_allclose(out['out']['signal'], 3.0 * np.ones([1, 2]))


def test_loss_nodes_use_get_losses_dict():
  layer = dags.DAGLayer(dag=[(_Loss(name='l1'), ['a', 'b'])])
  out = layer({'a': tf.ones([2]), 'b': tf.zeros([2])})
  assert out['l1'] == {'l1': out['out']['l1']}
  np.testing.assert_allclose(out['out']['l1'], 1.0)


def test_call_kwargs_are_forwarded_to_every_module():
  recorder = _RecordsKwargs(name='rec')
  layer = dags.DAGLayer(dag=[(recorder, ['x'], ['y'])])
  layer({'x': tf.ones([1, 2])}, training=True)
  assert recorder.last_kwargs.get('training') is True


# ------------------------------------------------------------------------------
# Construction details.
# ------------------------------------------------------------------------------
def test_split_keras_kwargs():
  kwargs = {'name': 'n', 'training': None, 'mask': 1, 'other': 2}
  keras_kwargs, rest = dags.split_keras_kwargs(kwargs)
  assert keras_kwargs == {'name': 'n', 'mask': 1}
  assert rest == {'training': None, 'other': 2}
  assert rest is kwargs


def test_keras_name_and_non_module_kwargs():
  layer = dags.DAGLayer(dag=[('d', ['x'], ['y'])], name='my_dag',
                        d=Dense(2, name='d'), not_a_module=3)
  assert layer.name == 'my_dag'
  assert layer.module_names == ['d']
  assert not hasattr(layer, 'not_a_module')


def test_inline_module_replaces_same_named_kwarg_keeping_position():
  kwarg_first = Dense(2, name='first')
  kwarg_second = Dense(2, name='second')
  inline_first = Dense(3, name='first')
  layer = dags.DAGLayer(
      dag=[(inline_first, ['x'], ['y']), ('second', ['first/y'], ['z'])],
      first=kwarg_first, second=kwarg_second)
  assert layer.module_names == ['first', 'second']
  assert layer.first is inline_first
  assert layer.modules == [inline_first, kwarg_second]


def test_format_dag_is_static_and_returns_names_and_modules():
  dense = Dense(2, name='d')
  dag, modules = dags.DAGLayer.format_dag(((dense, ('x',)), ('e', ['d'])))
  assert dag == [['d', ('x',)], ['e', ['d']]]
  assert modules == {'d': dense}


def test_module_predicates():
  proc, loss = _Processor(), _Loss()
  assert dags.is_module(proc) and dags.is_module(loss)
  assert not dags.is_module(3)
  assert dags.is_processor(proc) and not dags.is_processor(loss)
  assert dags.is_loss(loss) and not dags.is_loss(proc)
  assert dags.filter_by_value({'a': 1, 'b': -1}, lambda v: v > 0) == {'a': 1}


def test_dag_layer_in_tf_function_matches_eager():
  layer = dags.DAGLayer(dag=[(Dense(3, name='d'), ['x'], ['y'])])
  inputs = {'x': tf.random.normal([2, 4])}
  eager = layer(inputs)['out']['y']
  graph = tf.function(layer)(inputs)['out']['y']
  np.testing.assert_allclose(graph, eager, rtol=1e-6)
