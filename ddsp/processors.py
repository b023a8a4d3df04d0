"""Processors: Keras layers that turn network outputs into signals.

A `Processor` splits its work in two steps:

  controls = get_controls(*inputs)   # raw network outputs -> control dict
  signal = get_signal(**controls)    # controls -> audio (or other signal)

so the keys of the controls dict must be the parameter names of
`get_signal`. A `ProcessorGroup` runs a DAG of processors (see `ddsp.dags`)
and returns the signal of its last node.

Input checks follow one policy in processors, synths and effects:

* Static checks read only what is known when ops are built: ranks, sizes
  known at trace time, argument values (e.g. `Crop.crop_location`). They run
  in Python (once per trace inside a tf.function) and add nothing to the
  graph. `get_controls`, `get_signal` and the `ddsp.core` functions can each
  be called alone, so each makes the static checks it needs and names the
  bad argument in a ValueError, even when its caller checked the same shape.
  Processors, synths and effects share theirs in `ddsp.shape_checks`.
* Value checks read the data. A processor lists the controls that hold
  frequencies in Hz in `frequency_controls`; `Processor.call` checks that they
  are >= 0 and not NaN once per call, between `get_controls` and
  `get_signal`:
    - eager mode: on the host, one copy per checked control (ValueError);
    - graph placed on a CPU: one `tf.debugging` assertion per checked control
      (InvalidArgumentError when the graph runs);
    - graph placed on a GPU or TPU: no check, so that a training step copies
      nothing to the host (placement as in `ddsp.devices.placed_on_cpu`).
  `get_signal` then calls the `ddsp.core` bodies that make static checks
  only (`core._harmonic_synthesis`, `core._wavetable_synthesis`), so the
  values are not read twice. Called directly, `get_signal` makes no value
  checks, and the public core functions check frequencies in eager mode
  only.
"""

from typing import Dict, Sequence, Text

from ddsp import core
from ddsp import dags
from ddsp import devices
from ddsp import gin_errors
import gin
import numpy as np
import tensorflow as tf
import tf_keras as tfk

tfkl = tfk.layers

# Type alias.
TensorDict = Dict[Text, tf.Tensor]

_IGNORED_CALL_KWARGS = ('training', 'mask')


# ------------------------------------------------------------------------------
# Value check of frequency controls (the policy is in the module docstring;
# the static checks are in ddsp.shape_checks).
# ------------------------------------------------------------------------------
def _check_frequencies(frequencies, name):
  """Value check of a frequency control: >= 0 Hz and not NaN.

  Made once per call by `Processor.call`. Eager inputs are read on the host
  once (ValueError). Symbolic tensors placed on a CPU get one
  `tf.debugging` assertion (InvalidArgumentError when run); on a GPU or TPU
  the assertion would copy its verdict to the host in every training step,
  so graphs placed there are not checked.

  Args:
    frequencies: Frequencies in Hz, any shape.
    name: Name of the control, quoted in the error.

  Returns:
    `frequencies` (in graph mode on a CPU, with the assertion as a
    dependency).
  """
  if (isinstance(frequencies, (tf.Tensor, tf.Variable)) and
      not tf.executing_eagerly()):
    if not devices.placed_on_cpu():
      return frequencies
    check = tf.debugging.assert_greater_equal(
        tf.cast(frequencies, tf.float32), 0.0,
        message=f'{name} must be >= 0 Hz and not NaN.')
    with tf.control_dependencies([check]):
      return tf.identity(frequencies)
  values = np.asarray(frequencies)
  if np.issubdtype(values.dtype, np.number):
    if np.isnan(values).any():
      raise ValueError(f'{name} contains NaN; frequencies must be >= 0 Hz.')
    if (values < 0).any():
      raise ValueError(
          f'{name} contains negative values (min {values.min()}); '
          'frequencies must be >= 0 Hz.')
  return frequencies


# ------------------------------------------------------------------------------
# The Processor base class.
# ------------------------------------------------------------------------------
class Processor(tfkl.Layer):
  """Abstract base class of signal processors.

  Attributes:
    frequency_controls: Names of the controls (keys of the `get_controls`
      dict) that hold frequencies in Hz; `call` checks their values once.
  """

  frequency_controls: Sequence[Text] = ()

  def __init__(self, name: Text, trainable: bool = False):
    super().__init__(name=name, trainable=trainable, autocast=False)

  def call(self,
           *args: tf.Tensor,
           return_outputs_dict: bool = False,
           **kwargs) -> tf.Tensor:
    """Computes the controls, then the signal.

    Args:
      *args: Inputs of `get_controls`.
      return_outputs_dict: Return {'signal': signal, 'controls': controls}
        instead of only the signal.
      **kwargs: Keyword inputs of `get_controls`; Keras' `training` and
        `mask` arguments are ignored.

    Returns:
      The signal, or the outputs dict.
    """
    for key in _IGNORED_CALL_KWARGS:
      kwargs.pop(key, None)
    with gin_errors.original_errors():
      controls = self.get_controls(*args, **kwargs)
      signal = self.get_signal(**self._check_values(controls))
    if return_outputs_dict:
      return dict(signal=signal, controls=controls)
    return signal

  def _check_values(self, controls: TensorDict) -> TensorDict:
    """Checks the values of `frequency_controls` (the only value checks).

    Args:
      controls: Dict returned by `get_controls`.

    Returns:
      `controls`, or a copy whose checked entries carry their assertion
      (graphs placed on a CPU).
    """
    if not self.frequency_controls:
      return controls
    checked = dict(controls)
    for name in self.frequency_controls:
      checked[name] = _check_frequencies(controls[name], name)
    return checked

  def get_controls(self, *args: tf.Tensor, **kwargs: tf.Tensor) -> TensorDict:
    """Converts network outputs to a dict of controls for `get_signal`."""
    raise NotImplementedError

  def get_signal(self, *args: tf.Tensor, **kwargs: tf.Tensor) -> tf.Tensor:
    """Computes the signal from the controls (static checks only)."""
    raise NotImplementedError


# ------------------------------------------------------------------------------
# Processor group (a DAG of processors).
# ------------------------------------------------------------------------------
@gin.configurable(module='ddsp.processors')
class ProcessorGroup(dags.DAGLayer):
  """Runs a DAG of processors; its signal is the last node's signal."""

  def __init__(self, dag: dags.DAG, **kwarg_processors):
    """Builds the group.

    Args:
      dag: Nodes `(processor_or_name, input_keys[, output_keys])` (see
        `ddsp.dags`).
      **kwarg_processors: Processors referenced by name in the dag (and the
        Keras arguments `name`, `training`, `mask`).
    """
    super().__init__(dag, **kwarg_processors)
    self.processor_names = self.module_names

  @property
  def processors(self) -> Sequence[Processor]:
    """Processors of the group, in order."""
    return [getattr(self, name) for name in self.processor_names]

  def call(self,
           inputs: TensorDict,
           return_outputs_dict: bool = False,
           **kwargs) -> tf.Tensor:
    """Runs the DAG and returns the final signal (or the outputs dict)."""
    with gin_errors.original_errors():
      controls = self.get_controls(inputs, **kwargs)
    signal = self.get_signal(controls)
    if return_outputs_dict:
      return dict(signal=signal, controls=controls)
    return signal

  def get_controls(self, inputs: TensorDict, **kwargs) -> TensorDict:
    """Runs the DAG and returns every intermediate output.

    Args:
      inputs: Dict of tensors referenced by the dag's input keys.
      **kwargs: Passed to every processor.

    Returns:
      The complete outputs dict of `run_dag`: 'inputs', the top-level input
      aliases, {'signal', 'controls'} per processor name, and 'out'.
    """
    # Calling get_controls directly (not through __call__) also builds.
    self.built = True
    return self.run_dag(inputs, **kwargs)

  def get_signal(self, outputs: TensorDict) -> tf.Tensor:
    """Signal of the last processor of the dag."""
    return outputs['out']['signal']


# ------------------------------------------------------------------------------
# Routing processors.
# ------------------------------------------------------------------------------
def _static_length(x, name):
  """Static size of axis 1 of `x` (raises ValueError below rank 2)."""
  shape = tf.TensorShape(getattr(x, 'shape', None))
  if shape.rank is not None and shape.rank < 2:
    raise ValueError(
        f'{name} must have a time axis ([batch, n_time, ...]), got shape '
        f'{shape}.')
  return shape[1] if shape.rank is not None else None


@gin.register(module='ddsp.processors')
class Add(Processor):
  """Sums two signals."""

  def __init__(self, name: Text = 'add'):
    super().__init__(name=name)

  def get_controls(self, signal_one: tf.Tensor,
                   signal_two: tf.Tensor) -> TensorDict:
    """Passes both signals through as controls."""
    return {'signal_one': signal_one, 'signal_two': signal_two}

  def get_signal(self, signal_one: tf.Tensor,
                 signal_two: tf.Tensor) -> tf.Tensor:
    """signal_one + signal_two."""
    return signal_one + signal_two


@gin.register(module='ddsp.processors')
class Mix(Processor):
  """Constant-power-like crossfade between two signals."""

  def __init__(self, name: Text = 'mix'):
    super().__init__(name=name)

  def get_controls(self,
                   signal_one: tf.Tensor,
                   signal_two: tf.Tensor,
                   nn_out_mix_level: tf.Tensor) -> TensorDict:
    """Turns the network output into a mix level per sample.

    Args:
      signal_one: [batch, n_time, ...] signal.
      signal_two: [batch, n_time, ...] signal.
      nn_out_mix_level: [batch, n_frames, 1] logits of the mix level.

    Returns:
      Dict with both signals and `mix_level` = sigmoid(logits) linearly
      resampled to [batch, n_time, 1].

    Raises:
      ValueError: if the signals have different lengths.
    """
    n_one = _static_length(signal_one, 'signal_one')
    n_two = _static_length(signal_two, 'signal_two')
    if n_one != n_two:
      raise ValueError(
          'signal_one and signal_two must have the same number of time '
          f'steps (axis 1), got {n_one} and {n_two}.')
    mix_level = tf.nn.sigmoid(nn_out_mix_level)
    mix_level = core.resample(mix_level, n_one)
    return {
        'signal_one': signal_one,
        'signal_two': signal_two,
        'mix_level': mix_level,
    }

  def get_signal(self,
                 signal_one: tf.Tensor,
                 signal_two: tf.Tensor,
                 mix_level: tf.Tensor) -> tf.Tensor:
    """sqrt(|m|)·s1 + (1 − sqrt(|m − 1|))·s2 for mix level m in [0, 1]."""
    weight_one = tf.sqrt(tf.abs(mix_level))
    weight_two = 1.0 - tf.sqrt(tf.abs(mix_level - 1.0))
    return weight_one * signal_one + weight_two * signal_two


@gin.register(module='ddsp.processors')
class Crop(Processor):
  """Removes `2 * (frame_size // 2)` samples at the front, back or center."""

  def __init__(self,
               frame_size: int,
               crop_location: Text = 'back',
               name: Text = 'crop'):
    super().__init__(name=name)
    self.frame_size = frame_size
    self.crop_location = crop_location

  def get_controls(self, audio: tf.Tensor) -> TensorDict:
    """Passes the audio through."""
    return {'audio': audio}

  def get_signal(self, audio: tf.Tensor) -> tf.Tensor:
    """Crops axis 1 of audio [batch, n_samples, ...].

    With half = frame_size // 2: 'front' drops 2·half samples at the start,
    'back' 2·half at the end, 'center' half at each end.
    """
    half = self.frame_size // 2
    pad = 2 * half
    if self.crop_location == 'front':
      return audio[:, pad:]
    elif self.crop_location == 'center':
      return audio[:, half:-half]
    elif self.crop_location == 'back':
      return audio[:, :-pad]
    raise ValueError(
        f'crop_location must be "front", "center" or "back", got '
        f'{self.crop_location!r}.')

