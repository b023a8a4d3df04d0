# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Neural network building blocks shared by encoders, decoders and models.

Importing this module registers every Keras layer class with gin as
`tf.keras.layers.<Name>` (plus `tf.keras.Sequential`), so gin files can build
small networks out of stock layers.

Attribute names of the layers below are part of the checkpoint format (object
based checkpoints key variables by the Python attribute path), so they follow
the original library exactly.
"""

import inspect

from absl import logging
from ddsp import core
from ddsp import losses
from ddsp.training import gru
import gin
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as tfk

tfkl = tfk.layers


# ------------------------------------------------------------------------------
# Gin registration of Keras layers.
# ------------------------------------------------------------------------------
def _gin_register_as(cls, name):
  """Registers `cls` with gin as `name`, taking the name over if needed.

  A program may have registered another class under the same name first,
  typically Keras 3's `tf.keras.layers.Dense` when tf.keras is Keras 3. gin
  names in ddsp configs must build tf_keras layers (they live inside tf_keras
  models), so ddsp's class replaces it; bindings made for the name are kept.

  Returns:
    True if `name` was taken over from another class.
  """
  try:
    gin.external_configurable(cls, name)
    return False
  except ValueError:
    with gin.config.interactive_mode():
      gin.external_configurable(cls, name)
    return True


def gin_register_keras_layers():
  """Registers `tf.keras.Sequential` and all Keras layers with gin.

  Every member of `tf_keras.layers` that has a `variables` attribute (i.e.
  every layer class) becomes `tf.keras.layers.<Name>`.
  """
  classes = {'tf.keras.Sequential': tfk.Sequential}
  for name in dir(tfkl):
    member = getattr(tfkl, name)
    if hasattr(member, 'variables'):
      classes[f'tf.keras.layers.{name}'] = member
  taken_over = [name for name, cls in classes.items()
                if _gin_register_as(cls, name)]
  if taken_over:
    logging.warning(
        'gin names %s were registered to other classes (Keras 3?) before '
        'ddsp.training was imported; they now build tf_keras (Keras 2) '
        'layers, which is what ddsp models hold.', ', '.join(taken_over))


gin_register_keras_layers()

# The original also exposes Dense under this module's name.
Dense = tfkl.Dense
gin.register(tfkl.Dense, module=__name__)


# ------------------------------------------------------------------------------
# Layers with dictionary inputs and outputs.
# ------------------------------------------------------------------------------
class DictLayer(tfkl.Layer):
  """Layer that reads its inputs from dicts and returns a dict.

  Input keys default to the argument names of `call` (arguments with defaults
  become optional keys); output keys default to the return annotation of
  `call`, e.g. `def call(self, a, b=None) -> ['x', 'y']:`.
  """

  def __init__(self, input_keys=None, output_keys=None, **kwargs):
    super().__init__(**kwargs)
    if not input_keys:
      input_keys = self.get_argument_names('call')
      self.default_input_keys = list(self.get_default_argument_names('call'))
      self.default_input_values = list(
          self.get_default_argument_values('call'))
    else:
      self.default_input_keys = []
      self.default_input_values = []
    output_keys = output_keys or self.get_return_annotations('call')
    self.input_keys = list(input_keys)
    self.output_keys = list(core.make_iterable(output_keys))

  @property
  def all_input_keys(self):
    """Required keys followed by optional (defaulted) keys."""
    return list(self.input_keys) + list(self.default_input_keys)

  @property
  def n_inputs(self):
    return len(self.all_input_keys)

  def __call__(self, *inputs, **kwargs):
    """Gathers the inputs by key, calls the layer, names the outputs.

    Args:
      *inputs: Tensors (taken positionally, in order) and/or dicts of tensors
        (looked up by key, nested keys like 'a/b' allowed).
      **kwargs: Inputs given by key name, or Keras keywords such as `training`.

    Returns:
      Dict of outputs keyed by `output_keys` (or the dict `call` returned).
    """
    input_dict = {}
    values = []
    for x in inputs:
      if isinstance(x, dict):
        input_dict.update(x)
      else:
        values.append(x)

    all_keys = self.all_input_keys
    for key in list(kwargs):
      if key in all_keys:
        input_dict[key] = kwargs.pop(key)

    for key in self.input_keys:
      try:
        values.append(core.nested_lookup(key, input_dict))
      except KeyError:
        pass

    for key, default in zip(self.default_input_keys,
                            self.default_input_values):
      try:
        values.append(core.nested_lookup(key, input_dict))
      except KeyError:
        if len(values) < self.n_inputs:
          values.append(default)

    if len(values) != self.n_inputs:
      raise TypeError(
          f'{self.__class__.__name__} ({self.name}) expects {self.n_inputs} '
          f'inputs (keys {all_keys}) but received {len(values)}: positional '
          f'and looked-up values {values}, dict keys {list(input_dict)}.')

    outputs = super().__call__(*values, **kwargs)

    if isinstance(outputs, dict):
      return outputs
    outputs = core.make_iterable(outputs)
    if len(self.output_keys) != len(outputs):
      raise ValueError(
          f'{self.__class__.__name__} ({self.name}) returned {len(outputs)} '
          f'outputs but has {len(self.output_keys)} output keys '
          f'{self.output_keys}.')
    return dict(zip(self.output_keys, outputs))

  # Introspection helpers -----------------------------------------------------
  def _argspec(self, method):
    return inspect.getfullargspec(getattr(self, method))

  def get_argument_names(self, method):
    """Names of the required (no default) arguments of `method`."""
    spec = self._argspec(method)
    args = [a for a in spec.args if a != 'self']
    n_defaults = len(spec.defaults) if spec.defaults else 0
    return args[:len(args) - n_defaults]

  def get_default_argument_names(self, method):
    """Names of the arguments of `method` that have default values."""
    spec = self._argspec(method)
    args = [a for a in spec.args if a != 'self']
    n_defaults = len(spec.defaults) if spec.defaults else 0
    return args[len(args) - n_defaults:]

  def get_default_argument_values(self, method):
    """Default values of the defaulted arguments of `method`."""
    spec = self._argspec(method)
    return list(spec.defaults) if spec.defaults else []

  def get_return_annotations(self, method):
    """Return annotation (list of output names) of `method`."""
    spec = self._argspec(method)
    return core.make_iterable(spec.annotations.get('return', []))


class OutputSplitsLayer(DictLayer):
  """DictLayer whose output is one Dense layer split into named pieces."""

  def __init__(self,
               input_keys=None,
               output_splits=(('amps', 1), ('harmonic_distribution', 40)),
               **kwargs):
    # Created before the parent constructor so `dense_out` is tracked first.
    self.output_splits = output_splits
    self.n_out = sum([v[1] for v in output_splits])
    self.dense_out = tfkl.Dense(self.n_out)
    input_keys = input_keys or self.get_argument_names('compute_output')
    output_keys = [v[0] for v in output_splits]
    super().__init__(input_keys=input_keys, output_keys=output_keys, **kwargs)

  def call(self, *inputs, **unused_kwargs):
    x = self.compute_output(*inputs)
    return split_to_dict(self.dense_out(x), self.output_splits)

  def compute_output(self, *inputs):
    raise NotImplementedError


# ------------------------------------------------------------------------------
# Utilities.
# ------------------------------------------------------------------------------
def ensure_4d(x):
  """[B, C] -> [B, 1, 1, C]; [B, T, C] -> [B, T, 1, C]; 4-D unchanged."""
  if len(x.shape) == 2:
    return x[:, tf.newaxis, tf.newaxis, :]
  elif len(x.shape) == 3:
    return x[:, :, tf.newaxis, :]
  return x


def inv_ensure_4d(x, n_dims):
  """Undoes `ensure_4d` for an original rank `n_dims`."""
  if n_dims == 2:
    return x[:, 0, 0, :]
  if n_dims == 3:
    return x[:, :, 0, :]
  return x


@gin.register
def split_to_dict(tensor, tensor_splits):
  """Splits the last axis into a dict {name: piece} of the given sizes."""
  labels = [v[0] for v in tensor_splits]
  sizes = [v[1] for v in tensor_splits]
  tensors = tf.split(tensor, sizes, axis=-1)
  return dict(zip(labels, tensors))


def get_nonlinearity(nonlinearity):
  """Keras activation by name, falling back to `tf.nn.<name>`."""
  try:
    return tfk.activations.get(nonlinearity)
  except ValueError:
    pass
  return getattr(tf.nn, nonlinearity)


def straight_through_softmax(logits):
  """One-hot sample with softmax gradients (straight-through estimator).

  Args:
    logits: [..., n_choices].

  Returns:
    sample: one-hot [..., n_choices], value of the sample, gradient of probs.
    probs: softmax(logits).
  """
  probs = tf.nn.softmax(logits)
  sample = tfp.distributions.OneHotCategorical(
      probs=probs, dtype=tf.float32).sample()
  p = probs * sample
  # Forward: sample - p + p = sample. Backward: d/dp only.
  return tf.stop_gradient(sample - p) + p, probs


def straight_through_choice(logits, values):
  """Picks one of `values` per position with a straight-through sample."""
  choice, _ = straight_through_softmax(logits)
  return tf.reduce_sum(choice * values, axis=-1, keepdims=True)


def straight_through_int_quantization(x):
  """Rounds to integers (half to even) with identity gradients."""
  return x + tf.stop_gradient(tf.math.round(x) - x)


def _squeeze_to_2d(x):
  """[B, T, 1] -> [B, T] (float32)."""
  x = core.tf_float32(x)
  if len(x.shape) == 3:
    x = x[:, :, 0]
  return x


def _regions_to_mask(starts, max_regions):
  """One-hot region index from boolean region starts [B, T]."""
  region_index = tf.cumsum(tf.cast(starts, tf.int32), axis=1) - 1
  return tf.one_hot(region_index, max_regions, dtype=tf.float32)


def get_note_mask(q_pitch, max_regions=100, note_on_only=True):
  """One-hot mask of constant-pitch regions.

  A region starts at frame 0 and wherever the pitch changes (the last frame
  never starts a region).

  Args:
    q_pitch: Quantized pitch, [B, T] or [B, T, 1].
    max_regions: Number of region channels.
    note_on_only: Zero regions whose mean pitch is <= 0.

  Returns:
    Mask [B, T, max_regions].
  """
  q_pitch = _squeeze_to_2d(q_pitch)
  changes = tf.not_equal(q_pitch[:, 1:], q_pitch[:, :-1])[:, :-1]
  batch = tf.shape(q_pitch)[0]
  first = tf.ones([batch, 1], dtype=tf.bool)
  last = tf.zeros([batch, 1], dtype=tf.bool)
  starts = tf.concat([first, changes, last], axis=1)
  note_mask = _regions_to_mask(starts, max_regions)
  if note_on_only:
    note_pitches = get_note_moments(q_pitch, note_mask, return_std=False)
    note_on = tf.cast(note_pitches > 0.0, tf.float32)
    note_mask *= note_on[:, tf.newaxis, :]
  return note_mask


def get_note_mask_from_onset(q_pitch, onset, max_regions=100,
                             note_on_only=True):
  """One-hot region mask where regions start at onsets (and frame 0).

  Args:
    q_pitch: [B, T] or [B, T, 1].
    onset: Onset indicators [B, T] or [B, T, 1].
    max_regions: Number of region channels.
    note_on_only: Multiply by (q_pitch > 0) frame-wise.

  Returns:
    Mask [B, T, max_regions].
  """
  q_pitch = _squeeze_to_2d(q_pitch)
  onset = _squeeze_to_2d(tf.cast(onset, tf.float32))
  batch = tf.shape(onset)[0]
  first = tf.ones([batch, 1], dtype=tf.bool)
  starts = tf.concat([first, onset[:, 1:] > 0], axis=1)
  note_mask = _regions_to_mask(starts, max_regions)
  if note_on_only:
    note_on = tf.cast(q_pitch > 0.0, tf.float32)
    note_mask *= note_on[:, :, tf.newaxis]
  return note_mask


def get_note_lengths(note_mask):
  """Number of frames of each region: [B, T, R] -> [B, R]."""
  return tf.reduce_sum(note_mask, axis=1)


def get_note_moments(x, note_mask, return_std=True):
  """Mean (and std) of `x` inside each region of `note_mask`.

  mean_r = sum_t(x·m_r) / sum_t(m_r),
  std_r = sqrt(sum_t(((x - mean_r)·m_r)^2) / sum_t(m_r)).

  Args:
    x: [B, T, D] or [B, T].
    note_mask: [B, T, R].
    return_std: Also return the standard deviation.

  Returns:
    mean [B, R, D] (or [B, R] for 2-D x), and std of the same shape.
  """
  x = core.tf_float32(x)
  is_2d = len(x.shape) == 2
  if is_2d:
    x = x[:, :, tf.newaxis]
  mask = note_mask[:, :, :, tf.newaxis]  # [B, T, R, 1]
  x = x[:, :, tf.newaxis, :]  # [B, T, 1, D]
  note_lengths = tf.reduce_sum(mask, axis=1)  # [B, R, 1]
  mean = core.safe_divide(tf.reduce_sum(x * mask, axis=1), note_lengths)
  if return_std:
    deviation = (x - mean[:, tf.newaxis, :, :]) * mask
    variance = core.safe_divide(tf.reduce_sum(deviation**2, axis=1),
                                note_lengths)
    std = variance**0.5
  if is_2d:
    mean = mean[:, :, 0]
    if return_std:
      std = std[:, :, 0]
  return (mean, std) if return_std else mean


def pool_over_notes(x, note_mask, return_std=True):
  """Broadcasts each region's mean (and std) back over its frames.

  Args:
    x: [B, T, D] or [B, T].
    note_mask: [B, T, R].
    return_std: Also return the pooled standard deviation.

  Returns:
    Pooled mean with the shape of x (and pooled std).
  """
  moments = get_note_moments(x, note_mask, return_std=return_std)
  moments = moments if return_std else (moments,)

  def spread(moment):
    if len(moment.shape) == 2:  # [B, R] -> [B, T].
      return tf.reduce_sum(moment[:, tf.newaxis, :] * note_mask, axis=2)
    # [B, 1, R, D] * [B, T, R, 1] summed over R -> [B, T, D].
    return tf.reduce_sum(
        moment[:, tf.newaxis, :, :] * note_mask[:, :, :, tf.newaxis], axis=2)

  pooled = [spread(m) for m in moments]
  return tuple(pooled) if return_std else pooled[0]


def get_short_note_loss_mask(note_mask, note_lengths, note_pitches,
                             min_length=40):
  """Frames [B, T] belonging to pitched notes shorter than `min_length`."""
  short = tf.logical_and(note_lengths < min_length, note_pitches > 0)
  short = tf.cast(short, tf.float32)
  return tf.reduce_sum(note_mask * short[:, tf.newaxis, :], axis=2)


def normalize_op(x, norm_type='layer', eps=1e-5):
  """Instance / layer / group normalization without parameters.

  For x [B, H, W, C] and G groups (instance: G = C, layer: G = 1,
  group: G = 32), moments are taken over H, W and the C/G channels of each
  group: y = (x - mean) / sqrt(var + eps).

  Args:
    x: 4-D tensor [B, H, W, C].
    norm_type: 'instance', 'layer', 'group' or None (identity).
    eps: Variance floor.

  Returns:
    Normalized tensor of the same shape.
  """
  if norm_type is None:
    return x
  n_ch = int(x.shape[-1])
  groups = {'instance': n_ch, 'layer': 1, 'group': 32}
  if norm_type not in groups:
    raise ValueError(f'norm_type must be one of {list(groups)} or None, '
                     f'got {norm_type!r}.')
  n_groups = groups[norm_type]
  shape = tf.shape(x)
  grouped = tf.reshape(
      x, [shape[0], shape[1], shape[2], n_groups, n_ch // n_groups])
  mean, variance = tf.nn.moments(grouped, [1, 2, 4], keepdims=True)
  grouped = (grouped - mean) / tf.sqrt(variance + eps)
  return tf.reshape(grouped, shape)


def get_norm(norm_type, conditional, shift_only):
  """ConditionalNorm when conditional, else Normalize."""
  if conditional:
    return ConditionalNorm(norm_type=norm_type, shift_only=shift_only)
  return Normalize(norm_type=norm_type)


def _pad_or_trim(x, axis, stride, trim_or_pad):
  """Makes the size of `axis` of a 3-D tensor divisible by `stride`."""
  size = x.shape[axis]
  if trim_or_pad == 'trim':
    trim = size % stride
    if trim:
      x = x[:, :size - trim, :] if axis == 1 else x[:, :, :size - trim]
    return x
  pad = (stride - size % stride) % stride
  if pad:
    x = core.pad_axis(x, (0, pad), axis=axis)
  return x


def polyphase_resample(x, stride=2, resample_type='down', trim_or_pad='pad'):
  """Resamples time by folding it into channels (and back).

  'down': [B, T, C] -> [B, T/stride, C·stride];
  'up':   [B, T, C] -> [B, T·stride, C/stride].

  Args:
    x: [B, T, C] or [B, T, 1, C].
    stride: Resampling factor.
    resample_type: 'down' or 'up'.
    trim_or_pad: Make the folded axis divisible by trimming or zero padding.

  Returns:
    Resampled tensor with the input's rank.
  """
  is_4d = len(x.shape) == 4
  if is_4d:
    x = x[:, :, 0, :]
  batch = tf.shape(x)[0]
  if resample_type == 'down':
    x = _pad_or_trim(x, 1, stride, trim_or_pad)
    x = tf.reshape(x, [batch, x.shape[1] // stride, x.shape[2] * stride])
  elif resample_type == 'up':
    x = _pad_or_trim(x, 2, stride, trim_or_pad)
    x = tf.reshape(x, [batch, x.shape[1] * stride, x.shape[2] // stride])
  else:
    raise ValueError(f'resample_type must be "down" or "up", got '
                     f'{resample_type!r}.')
  return x[:, :, tf.newaxis, :] if is_4d else x


def get_embedding(vocab_size=1024, n_dims=256):
  """Embedding layer for integer ids."""
  return tfkl.Embedding(input_dim=vocab_size, output_dim=n_dims,
                        input_length=1)


# ------------------------------------------------------------------------------
# Layers.
# ------------------------------------------------------------------------------
@gin.register
class Normalize(tfkl.Layer):
  """Normalization with a learned per-channel scale and shift."""

  def __init__(self, norm_type='layer'):
    super().__init__()
    self.norm_type = norm_type

  def build(self, x_shape):
    n_ch = x_shape[-1]
    self.scale = self.add_weight(
        name='scale', shape=[1, 1, 1, n_ch], dtype=tf.float32,
        initializer=tf.ones_initializer)
    self.shift = self.add_weight(
        name='shift', shape=[1, 1, 1, n_ch], dtype=tf.float32,
        initializer=tf.zeros_initializer)

  def call(self, x):
    n_dims = len(x.shape)
    x = ensure_4d(x)
    x = normalize_op(x, self.norm_type)
    x = x * self.scale + self.shift
    return inv_ensure_4d(x, n_dims)


@gin.register
class PolyphaseResample(tfkl.Layer):
  """Layer wrapper of `polyphase_resample`."""

  def __init__(self, stride=2, resample_type='down', trim_or_pad='pad',
               **kwargs):
    super().__init__(**kwargs)
    self.stride = stride
    self.resample_type = resample_type
    self.trim_or_pad = trim_or_pad

  def call(self, x):
    return polyphase_resample(x, self.stride, self.resample_type,
                              self.trim_or_pad)


@gin.register
class NormReluConv(tfk.Sequential):
  """Normalize -> ReLU -> Conv2D with kernel (k, k) and stride (1, s)."""

  def __init__(self, ch, k, s, norm_type, **kwargs):
    layers = [
        Normalize(norm_type),
        tfkl.Activation(tf.nn.relu),
        tfkl.Conv2D(ch, (k, k), (1, s), padding='same'),
    ]
    super().__init__(layers, **kwargs)


@gin.register
class ResidualLayer(tfkl.Layer):
  """Pre-activation bottleneck residual block (ResNet v2 style)."""

  def __init__(self, ch, stride, shortcut, norm_type, conditional, shift_only,
               **kwargs):
    super().__init__(**kwargs)
    self.shortcut = shortcut
    self.conditional = conditional
    self.norm_input = get_norm(norm_type, conditional, shift_only)
    if self.shortcut:
      self.conv_proj = tfkl.Conv2D(
          4 * ch, (1, 1), (1, stride), padding='same', name='conv_proj')
    layers = [
        tfkl.Conv2D(ch, (1, 1), (1, 1), padding='same'),
        NormReluConv(ch, 3, stride, norm_type),
        NormReluConv(4 * ch, 1, 1, norm_type),
    ]
    self.bottleneck = tfk.Sequential(layers, name='bottleneck')

  def call(self, inputs):
    if self.conditional:
      x, z = inputs
    else:
      x, z = inputs, None
    r = x
    if self.conditional:
      x = tf.nn.relu(self.norm_input((ensure_4d(x), ensure_4d(z))))
    else:
      x = tf.nn.relu(self.norm_input(x))
    if self.shortcut:
      r = self.conv_proj(x)
    return self.bottleneck(x) + r


def _apply_conditioned(layers, inputs, conditional, conditioned_type):
  """Runs `layers` in order; those of `conditioned_type` also get `z`.

  Args:
    layers: List of layers.
    inputs: `x`, or `[x, z]` when `conditional`.
    conditional: Whether `inputs` carries a conditioning tensor `z`.
    conditioned_type: Layer class that takes `[x, z]` when conditional.

  Returns:
    Output of the last layer.
  """
  x, z = inputs if conditional else (inputs, None)
  for layer in layers:
    if conditional and isinstance(layer, conditioned_type):
      x = layer([x, z])
    else:
      x = layer(x)
  return x


@gin.register
class ResidualStack(tfkl.Layer):
  """Stack of residual blocks followed by a norm and a nonlinearity."""

  def __init__(self, filters, block_sizes, strides, norm_type,
               conditional=False, shift_only=False, nonlinearity='relu',
               **kwargs):
    super().__init__(**kwargs)
    self.conditional = conditional
    layers = []
    for ch, n_layers, stride in zip(filters, block_sizes, strides):
      layers.append(ResidualLayer(ch, stride, True, norm_type, conditional,
                                  shift_only))
      for _ in range(1, n_layers):
        layers.append(ResidualLayer(ch, 1, False, norm_type, conditional,
                                    shift_only))
    layers.append(Normalize(norm_type))
    layers.append(tfkl.Activation(get_nonlinearity(nonlinearity)))
    self.layers = layers

  def __call__(self, inputs):
    return _apply_conditioned(self.layers, inputs, self.conditional,
                              ResidualLayer)


@gin.register
class ResNet(tfkl.Layer):
  """Residual network on spectrograms [B, T, F, 1]."""

  def __init__(self, size='large', norm_type='layer', conditional=False,
               shift_only=False, **kwargs):
    super().__init__(**kwargs)
    self.conditional = conditional
    size_dict = {
        'small': (32, [2, 3, 4]),
        'medium': (32, [3, 4, 6]),
        'large': (64, [3, 4, 6]),
    }
    ch, blocks = size_dict[size]
    self.layers = [
        tfkl.Conv2D(64, (7, 7), (1, 2), padding='same'),
        tfkl.MaxPool2D(pool_size=(1, 3), strides=(1, 2), padding='same'),
        ResidualStack([ch, 2 * ch, 4 * ch], blocks, [1, 2, 2], norm_type,
                      conditional, shift_only),
        ResidualStack([8 * ch], [3], [2], norm_type, conditional, shift_only),
    ]

  def __call__(self, inputs):
    return _apply_conditioned(self.layers, inputs, self.conditional,
                              ResidualStack)


@gin.register
class Fc(tfk.Sequential):
  """Dense -> LayerNormalization -> nonlinearity."""

  def __init__(self, ch=128, nonlinearity='leaky_relu', **kwargs):
    layers = [
        tfkl.Dense(ch),
        tfkl.LayerNormalization(),
        tfkl.Activation(get_nonlinearity(nonlinearity)),
    ]
    super().__init__(layers, **kwargs)


@gin.register
class FcStack(tfk.Sequential):
  """`layers` Fc blocks of width `ch`."""

  def __init__(self, ch=256, layers=2, nonlinearity='leaky_relu', **kwargs):
    layers = [Fc(ch, nonlinearity) for _ in range(layers)]
    super().__init__(layers, **kwargs)


def _rnn_class(rnn_type):
  rnn_classes = {'lstm': tfkl.LSTM, 'gru': gru.GRU}
  if rnn_type not in rnn_classes:
    raise ValueError(f'rnn_type must be one of {list(rnn_classes)}, got '
                     f'{rnn_type!r}.')
  return rnn_classes[rnn_type]


@gin.register
class Rnn(tfkl.Layer):
  """Single LSTM or GRU layer (optionally bidirectional)."""

  def __init__(self, dims, rnn_type, return_sequences=True, bidir=False,
               **kwargs):
    super().__init__(**kwargs)
    rnn = _rnn_class(rnn_type)(dims, return_sequences=return_sequences)
    self.rnn = tfkl.Bidirectional(rnn) if bidir else rnn
    self.rnn_type = rnn_type
    self.bidir = bidir

  @property
  def units(self):
    """Width of the state (of each direction when bidirectional)."""
    return (self.rnn.forward_layer if self.bidir else self.rnn).units

  def call(self, x, initial_state=None):
    """Outputs of the RNN over `x`, started from `initial_state` if given."""
    if initial_state is None:
      return self.rnn(x)
    return self.rnn(x, initial_state=initial_state)


@gin.register
class StatelessRnn(tfkl.Layer):
  """RNN that takes and returns its state explicitly (streaming)."""

  def __init__(self, dims, rnn_type, **kwargs):
    super().__init__(**kwargs)
    self.rnn = _rnn_class(rnn_type)(dims, return_sequences=True,
                                    return_state=True)

  def call(self, x, state):
    outputs = self.rnn(x, initial_state=state)
    y, states = outputs[0], outputs[1:]
    new_state = states[0] if len(states) == 1 else states
    return y, new_state


@gin.register
class RnnFc(tfk.Sequential):
  """RNN layers followed by an Fc block.

  Reproduces the original's positional quirk: `bidir` is passed into the
  `return_sequences` slot of `Rnn`, so the default returns the last step.
  """

  def __init__(self, rnn_feat, out_feat, rnn_type='lstm',
               nonlinearity='sigmoid', bidir=False, n_rnn=1, **kwargs):
    layers = [Rnn(rnn_feat, rnn_type, bidir) for _ in range(n_rnn)]
    layers.append(Fc(out_feat, nonlinearity))
    super().__init__(layers, **kwargs)


@gin.register
class RnnSandwich(tfk.Sequential):
  """FcStack -> Rnn -> FcStack."""

  def __init__(self, fc_stack_ch=256, fc_stack_layers=2, rnn_ch=512,
               rnn_type='gru', **kwargs):
    layers = [
        FcStack(fc_stack_ch, fc_stack_layers),
        Rnn(rnn_ch, rnn_type),
        FcStack(fc_stack_ch, fc_stack_layers),
    ]
    super().__init__(layers, **kwargs)


@gin.register
class Identity(tfkl.Layer):
  """Returns its input."""

  def call(self, x):
    return x


class SpectralNormalization(tfkl.Wrapper):
  """Divides the wrapped layer's kernel by its largest singular value.

  sigma is estimated by power iteration: v = l2n(u·W^T), u = l2n(v·W),
  sigma = v·W·u^T, with W reshaped to [-1, n_out].
  """

  def __init__(self, layer, power_iterations=1, **kwargs):
    super().__init__(layer, **kwargs)
    if power_iterations <= 0:
      raise ValueError('`power_iterations` should be greater than zero, got '
                       f'power_iterations={power_iterations}.')
    self.power_iterations = power_iterations

  def build(self, input_shape):
    super().build(input_shape)
    input_shape = tf.TensorShape(input_shape)
    self.input_spec = tfkl.InputSpec(shape=[None] + input_shape[1:])
    if hasattr(self.layer, 'kernel'):
      self.w = self.layer.kernel
    elif hasattr(self.layer, 'embeddings'):
      self.w = self.layer.embeddings
    else:
      raise AttributeError(
          f'{type(self.layer).__name__} object has no attribute "kernel" nor '
          '"embeddings".')
    self.w_shape = self.w.shape.as_list()
    self.u = self.add_weight(
        shape=(1, self.w_shape[-1]),
        initializer=tf.initializers.TruncatedNormal(stddev=0.02),
        trainable=False, name='sn_u', dtype=self.w.dtype)

  def call(self, inputs, training=None):
    if training is None:
      training = tfk.backend.learning_phase()
    if training:
      self.normalize_weights()
    return self.layer(inputs)

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(
        self.layer.compute_output_shape(input_shape).as_list())

  @tf.function
  def normalize_weights(self):
    """Power iteration step; assigns W / sigma to the kernel."""
    w = tf.reshape(self.w, [-1, self.w_shape[-1]])
    u = self.u
    with tf.name_scope('spectral_normalize'):
      for _ in range(self.power_iterations):
        v = tf.math.l2_normalize(tf.matmul(u, w, transpose_b=True))
        u = tf.math.l2_normalize(tf.matmul(v, w))
      sigma = tf.matmul(tf.matmul(v, w), u, transpose_b=True)
      self.w.assign(tf.reshape(w / sigma, self.w_shape))
      self.u.assign(u)

  def get_config(self):
    config = {'power_iterations': self.power_iterations}
    base_config = super().get_config()
    return {**base_config, **config}


class ConditionalScaleAndShift(tfkl.Layer):
  """x·scale(z) + shift(z) (or x + shift(z) when shift_only)."""

  def __init__(self, shift_only=False, **kwargs):
    super().__init__(**kwargs)
    self.shift_only = shift_only

  def build(self, inputs_shapes):
    x_shape, _ = inputs_shapes
    self.x_ch = int(x_shape[-1])
    n_out = self.x_ch if self.shift_only else 2 * self.x_ch
    self.dense = tfkl.Dense(n_out)

  def call(self, inputs):
    x, z = inputs
    if self.shift_only:
      return x + self.dense(z)
    scale_shift = self.dense(z)
    scale = scale_shift[..., :self.x_ch]
    shift = scale_shift[..., self.x_ch:]
    return x * scale + shift


@gin.register
class ConditionalNorm(tfkl.Layer):
  """Parameter-free normalization followed by a scale/shift from z."""

  def __init__(self, norm_type='instance', shift_only=False, **kwargs):
    super().__init__(**kwargs)
    self.norm_type = norm_type
    self.conditional_scale_and_shift = ConditionalScaleAndShift(
        shift_only=shift_only)

  def call(self, inputs):
    x, z = inputs
    x = normalize_op(x, self.norm_type)
    return self.conditional_scale_and_shift([x, z])


@gin.register
class SingleGru(tfk.Sequential):
  """GRU (returning sequences) -> LayerNormalization."""

  def __init__(self, gru_dim=128, **kwargs):
    layers = [
        gru.GRU(gru_dim, return_sequences=True),
        tfkl.LayerNormalization(),
    ]
    super().__init__(layers, **kwargs)


@gin.register
class DilatedConvStack(tfkl.Layer):
  """Stacks of dilated 1-D (as 2-D, width 1) residual convolutions."""

  def __init__(self,
               ch=256,
               layers_per_stack=5,
               stacks=2,
               kernel_size=3,
               dilation=2,
               norm_type=None,
               resample_type=None,
               resample_stride=1,
               stacks_per_resample=1,
               resample_after_convolve=True,
               spectral_norm=False,
               ortho_init=False,
               shift_only=False,
               conditional=False,
               **kwargs):
    super().__init__(**kwargs)
    self.conditional = conditional
    self.norm_type = norm_type
    self.resample_after_convolve = resample_after_convolve

    initializer = 'orthogonal' if ortho_init else 'glorot_uniform'

    def conv(ch, k, stride=1, dilation=1, transpose=False):
      """Conv2D over time only (kernel (k, 1))."""
      conv_class = tfkl.Conv2DTranspose if transpose else tfkl.Conv2D
      layer = conv_class(ch, (k, 1), (stride, 1), dilation_rate=(dilation, 1),
                         padding='same', kernel_initializer=initializer)
      return SpectralNormalization(layer) if spectral_norm else layer

    def get_dilation(j):
      if dilation > 0:
        return int(dilation**j)
      return int((-dilation)**(layers_per_stack - j - 1))

    def resample_layer():
      if resample_type == 'downsample':
        return conv(ch, resample_stride, resample_stride)
      elif resample_type == 'upsample':
        return conv(ch, resample_stride * 2, resample_stride, transpose=True)
      raise ValueError(f'resample_type {resample_type!r} is not supported; '
                       'use "downsample", "upsample" or None.')

    conv_in = conv(ch, kernel_size)
    layers, norms, resample_layers = [], [], []
    for i in range(stacks):
      if (resample_type and not resample_after_convolve and
          i % stacks_per_resample == 0):
        resample_layers.append(resample_layer())
      for j in range(layers_per_stack):
        layers.append(tfk.Sequential([
            tfkl.Activation(tf.nn.relu),
            conv(ch, kernel_size, 1, get_dilation(j)),
        ], name='dilated_conv'))
        if conditional:
          norms.append(ConditionalNorm(norm_type, shift_only))
        else:
          norms.append(Normalize(norm_type))
      if (resample_type and resample_after_convolve and
          (i + 1) % stacks_per_resample == 0):
        resample_layers.append(resample_layer())

    self.conv_in = conv_in
    self.layers = layers
    self.norms = norms
    self.resample_layers = resample_layers
    self.layers_per_resample = (len(layers) // len(resample_layers)
                                if resample_layers else 0)

  def call(self, inputs):
    """[B, T, C] (or ([B, T, C], z) when conditional) -> [B, T', ch]."""
    if self.conditional:
      x, z = inputs
      x = ensure_4d(x)
      z = ensure_4d(z)
    else:
      x = ensure_4d(inputs)
    x = self.conv_in(x)
    for i, (layer, norm) in enumerate(zip(self.layers, self.norms)):
      if (self.layers_per_resample and not self.resample_after_convolve and
          i % self.layers_per_resample == 0):
        x = self.resample_layers[i // self.layers_per_resample](x)
      if self.conditional:
        x += norm([layer(x), z])
      else:
        x += norm(layer(x))
      if (self.layers_per_resample and self.resample_after_convolve and
          (i + 1) % self.layers_per_resample == 0):
        x = self.resample_layers[i // self.layers_per_resample](x)
    return x[:, :, 0, :]


@gin.register
class FcStackOut(tfkl.Layer):
  """FcStack followed by a Dense projection to `n_out`."""

  def __init__(self, ch, layers, n_out, **kwargs):
    super().__init__(**kwargs)
    self.stack = FcStack(ch, layers)
    self.dense_out = tfkl.Dense(n_out)

  def call(self, x):
    return self.dense_out(self.stack(x))


@gin.register
class VectorQuantization(tfkl.Layer):
  """Vector quantization with EMA codebook updates (multi-head)."""

  def __init__(self, k, gamma=0.99, restart_threshold=0.0, num_heads=1,
               commitment_loss_weight=0.2, **kwargs):
    super().__init__(**kwargs)
    self.k = k
    self.gamma = gamma
    self.restart_threshold = restart_threshold
    self.num_heads = num_heads
    self.commitment_loss_weight = commitment_loss_weight

  def build(self, x_shape):
    self.depth = int(x_shape[-1])
    if self.depth % self.num_heads != 0:
      raise ValueError(f'Input depth {self.depth} must be a multiple of '
                       f'num_heads={self.num_heads}.')
    self.head_depth = self.depth // self.num_heads
    aggregation = tf.VariableAggregation.MEAN
    self.counts = tf.Variable(tf.zeros([self.k]), trainable=False,
                              name='counts', aggregation=aggregation)
    self.sums = tf.Variable(tf.zeros([self.k, self.head_depth]),
                            trainable=False, name='sums',
                            aggregation=aggregation)

  def _split_heads(self, x):
    """[..., depth] -> [N·heads, head_depth] (heads stacked on the batch)."""
    x = tf.reshape(x, [-1, self.depth])
    return tf.concat(tf.split(x, self.num_heads, axis=-1), axis=0)

  def _merge_heads(self, x):
    """[N·heads, ...] -> [N, heads, ...] split back by head."""
    return tf.stack(tf.split(x, self.num_heads, axis=0), axis=1)

  def _restart_centroids(self, x, centroids):
    """Replaces rarely used centroids by random batch vectors."""
    n = tf.shape(x)[0]
    dead = (self.counts * self.k <=
            self.restart_threshold * tf.cast(n, tf.float32))

    def from_batch():
      return tf.random.shuffle(x)[:self.k]

    def random_vectors():
      return tf.random.uniform([self.k, self.head_depth])

    replacements = tf.cond(n >= self.k, from_batch, random_vectors)
    return tf.where(dead[:, tf.newaxis], replacements, centroids)

  def call(self, x, training=False):
    x_shape = tf.shape(x)
    x_flat = self._split_heads(x)
    centroids = tf.math.divide_no_nan(self.sums, self.counts[:, tf.newaxis])
    if training:
      centroids = self._restart_centroids(x_flat, centroids)

    # |x - e|^2 = |x|^2 - 2 x·e + |e|^2.
    distances = (tf.reduce_sum(x_flat**2, axis=1, keepdims=True) -
                 2.0 * tf.matmul(x_flat, centroids, transpose_b=True) +
                 tf.reduce_sum(centroids**2, axis=1)[tf.newaxis, :])
    codes = tf.argmin(distances, axis=1)
    z_q = tf.gather(centroids, codes)
    z = x_flat + tf.stop_gradient(z_q - x_flat)

    if training:
      one_hot = tf.one_hot(codes, self.k, dtype=tf.float32)
      batch_counts = tf.reduce_sum(one_hot, axis=0)
      batch_sums = tf.matmul(one_hot, x_flat, transpose_a=True)
      self.counts.assign_sub((1 - self.gamma) * (self.counts - batch_counts))
      self.sums.assign_sub((1 - self.gamma) * (self.sums - batch_sums))

    z = tf.concat(tf.split(z, self.num_heads, axis=0), axis=-1)
    z = tf.reshape(z, x_shape)
    codes = self._merge_heads(codes)
    codes = tf.reshape(codes, tf.concat([x_shape[:-1], [self.num_heads]], 0))
    return z, codes

  def unquantize(self, codes):
    """Codes [..., heads] -> centroid vectors [..., depth]."""
    centroids = tf.math.divide_no_nan(self.sums, self.counts[:, tf.newaxis])
    vectors = tf.gather(centroids, codes)  # [..., heads, head_depth]
    shape = tf.concat([tf.shape(codes)[:-1], [self.depth]], 0)
    return tf.reshape(vectors, shape)

  def committment_loss(self, z, z_q):
    """Commitment loss (original spelling): w·L2(z, stop_gradient(z_q))."""
    return self.commitment_loss_weight * losses.mean_difference(
        z, tf.stop_gradient(z_q), 'L2')

  def get_losses_dict(self, z, z_q):
    return {self.name + '_commitment_loss': self.committment_loss(z, z_q)}
