"""Directed acyclic graphs (DAGs) of Keras layers / tf.Modules.

A DAG is a sequence of nodes run in order. Each node names a module and the
keys of its inputs in a running dictionary of outputs:

  (module_or_name, ['input/key', ...])
  (module_or_name, ['input/key', ...], ['output_key', ...])

* `module_or_name` is a `tf.Module` (Keras layers are modules) or the name of
  a module that was given to the constructor as a keyword argument.
* Input keys are looked up in the outputs dict with `core.nested_lookup`, so
  'harmonic/controls/f0_hz' addresses nested dicts. Their order is the order
  of the positional arguments of the call.
* Output keys are only used when a module returns something that is not a
  dict; the returned value(s) are zipped with them (`core.to_dict`).

The result of node `name` is stored at `outputs[name]`, and the result of
the last node is also stored at `outputs['out']`.
"""

from typing import Dict, Sequence, Text, Tuple, TypeVar

from absl import logging
from ddsp import core
from ddsp import gin_errors
from ddsp import keras_compat
import gin
import tensorflow as tf
import tf_keras as tfk


# Type aliases (same names as the original).
TensorDict = Dict[Text, tf.Tensor]
KeyOrModule = TypeVar('KeyOrModule', Text, tf.Module)
Node = Tuple[KeyOrModule, Sequence[Text], Sequence[Text]]
DAG = Sequence[Node]


# Small predicates used to dispatch on node modules (duck typing).
filter_by_value = lambda d, cond: dict(  # pylint: disable=g-long-lambda
    (k, v) for k, v in d.items() if cond(v))
is_module = lambda v: isinstance(v, tf.Module)
is_loss = lambda v: hasattr(v, 'get_losses_dict')
is_processor = lambda v: (hasattr(v, 'get_signal') and  # pylint: disable=g-long-lambda
                          hasattr(v, 'get_controls'))

_KERAS_KWARGS = ('training', 'mask', 'name')


class _EmptyDagError(ValueError, UnboundLocalError):
  """Raised when a DAG without nodes is run.

  The original failed with an UnboundLocalError (its final output was never
  assigned); this error is both a ValueError (clear message) and an
  UnboundLocalError (same type as before).
  """


def split_keras_kwargs(kwargs):
  """Moves the Keras constructor arguments out of `kwargs`.

  Args:
    kwargs: Dict of keyword arguments. Mutated: the keys 'training', 'mask'
      and 'name' are removed when present and not None.

  Returns:
    (keras_kwargs, kwargs): the removed arguments, and the remaining ones.
  """
  keras_kwargs = {}
  for key in _KERAS_KWARGS:
    if key in kwargs and kwargs[key] is not None:
      keras_kwargs[key] = kwargs.pop(key)
  return keras_kwargs, kwargs


class _MissingModuleError(KeyError, AttributeError):
  """A dag node names a module that the DAGLayer does not hold.

  An AttributeError (like the original's failing `getattr`) and a KeyError.
  """


@gin.register(module='ddsp.dags')
class DAGLayer(tfk.layers.Layer):
  """A Keras layer that runs a DAG of modules on a dict of inputs."""

  def __init__(self, dag: DAG, **kwarg_modules):
    """Builds the layer.

    Args:
      dag: Sequence of nodes, each a list/tuple `(module_or_name, input_keys)`
        or `(module_or_name, input_keys, output_keys)`.
      **kwarg_modules: Modules referenced by name in the dag. The Keras
        arguments `name`, `training` and `mask` (when not None) are passed to
        the Keras constructor; values that are not `tf.Module`s are ignored.
    """
    keras_kwargs, kwarg_modules = split_keras_kwargs(kwarg_modules)
    super().__init__(**keras_kwargs)
    for key, value in kwarg_modules.items():
      keras_compat.require_tf_keras(value, f'{type(self).__name__}({key}=...)')

    # Modules given as constructor arguments, in argument order.
    modules = filter_by_value(kwarg_modules, is_module)

    # Modules given inline in the dag replace same-named kwarg modules (the
    # kwarg's position in the ordering is kept by dict.update).
    dag, dag_modules = self.format_dag(dag)
    modules.update(dag_modules)

    # Checkpoint paths use these attribute names (the modules' names).
    self.dag = dag
    self.module_names = list(modules.keys())
    for module_name, module in modules.items():
      setattr(self, module_name, module)

  @property
  def modules(self):
    """Modules of the DAG, in the order of `module_names`."""
    return [getattr(self, name) for name in self.module_names]

  @staticmethod
  def format_dag(dag: DAG):
    """Normalises a dag to lists of strings and collects inline modules.

    Args:
      dag: Sequence of nodes (lists or tuples) whose first element is a
        module or a module name.

    Returns:
      dag: List of lists; each first element replaced by a module name.
      modules: Dict {module.name: module} of the modules found in the dag.
    """
    if dag is None:
      raise ValueError('The dag must be a sequence of nodes, got None.')
    formatted, modules = [], {}
    for node in dag:
      if isinstance(node, (str, bytes)) or not isinstance(node,
                                                          (list, tuple)):
        raise ValueError(
            'Every dag node must be a list or tuple (module_or_name, '
            f'input_keys[, output_keys]), got {node!r}.')
      node = list(node)
      if node:
        keras_compat.require_tf_keras(node[0], 'A dag node')
      if len(node) not in (2, 3):
        raise ValueError(
            'A dag node has 2 or 3 elements (module_or_name, input_keys'
            f'[, output_keys]), got {len(node)}: {node!r}.')
      if is_module(node[0]):
        modules[node[0].name] = node[0]
        node[0] = node[0].name
      formatted.append(node)
    return formatted, modules

  def call(self, inputs: TensorDict, **kwargs) -> TensorDict:
    """Runs the dag on `inputs` (see `run_dag`)."""
    with gin_errors.original_errors():
      return self.run_dag(inputs, **kwargs)

  def get_module(self, module_key):
    """Module stored under `module_key`, with a clear error if missing."""
    module = getattr(self, module_key, None) if isinstance(module_key,
                                                           str) else None
    if module is None:
      raise _MissingModuleError(
          f'DAG node refers to module {module_key!r}, which was neither '
          'given inline in the dag nor as a keyword argument. Available '
          f'modules: {list(self.module_names)}')
    return module

  @gin.configurable(allowlist=['verbose'])
  def run_dag(self,
              inputs: TensorDict,
              verbose: bool = False,
              **kwargs) -> TensorDict:
    """Runs every node of the dag in order.

    Args:
      inputs: Dict of input tensors (may be nested).
      verbose: Log the input and output shapes of every node.
      **kwargs: Passed to every module call (e.g. `training`).

    Returns:
      Dict with 'inputs' (the inputs dict), the input keys at top level
      (kept for backwards compatibility), one entry per node under the
      module's name, and 'out' (the result of the last node).

    Raises:
      _EmptyDagError: if the dag has no nodes.
      KeyError: if an input key is not found (lists the available keys).
    """
    if not self.dag:
      raise _EmptyDagError(
          f'The dag of {self.name!r} has no nodes, so it has no output.')
    outputs = {'inputs': inputs}
    outputs.update(inputs)

    for node in self.dag:
      module_key, input_keys = node[0], node[1]
      output_keys = node[2] if len(node) > 2 else None
      module = self.get_module(module_key)

      node_inputs = [core.nested_lookup(key, outputs) for key in input_keys]
      if verbose:
        logging.info('Input to Module: %s\nKeys: %s\nIn: %s\n', module_key,
                     input_keys, _shapes(node_inputs))

      if is_processor(module):
        node_outputs = module(*node_inputs, return_outputs_dict=True, **kwargs)
      elif is_loss(module):
        node_outputs = module.get_losses_dict(*node_inputs, **kwargs)
      else:
        node_outputs = module(*node_inputs, **kwargs)

      if not isinstance(node_outputs, dict):
        if output_keys is None:
          raise ValueError(
              f'Module {module_key!r} returned a {type(node_outputs).__name__}'
              ', not a dict, so its dag node needs output keys as a third '
              f'element: {list(node)!r}.')
        node_outputs = core.to_dict(node_outputs, output_keys)

      if verbose:
        logging.info('Output from Module: %s\nOut: %s\n', module_key,
                     _shapes(node_outputs))
      outputs[module_key] = node_outputs

    # 'out' is reserved for the output of the final node.
    outputs['out'] = node_outputs
    return outputs


def _shapes(structure):
  """Nested structure of shapes (lists) for logging."""
  return tf.nest.map_structure(
      lambda x: list(x.shape) if hasattr(x, 'shape') else x, structure)
