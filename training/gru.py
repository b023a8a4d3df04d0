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

"""A Keras GRU whose CPU training step does less work per time step.

`GRU` is `tf_keras.layers.GRU` (same variables, same object graph, so
checkpoints are interchangeable) with a faster path for the common case
(`reset_after=True`, tanh / sigmoid, no mask, no dropout). Keras' CPU GRU
projects the inputs inside its time loop and lets autodiff record every
intermediate of every step; on CPU the backward loop then costs ~10x the
forward one. Here:

  forward:   m = x K + b_x                     (one matmul for all steps)
             per step: u = h U + b_h;  z, r = sigmoid(m_z + u_z, m_r + u_r)
                       c = tanh(m_c + r u_c);  h' = z h + (1 - z) c
  backward:  per step only  dh_prev = dh z + (dh * g) U^T
             (g = d(pre-activations)/dh, computed for all steps at once),
             then dU = sum_t h_{t-1}^T du_t and dK = x^T dm as single matmuls.

Results equal Keras' to float32 round-off (tests/test_gru.py).

The scan is a CPU optimisation: on a GPU, NVIDIA's fused cuDNN kernel runs
the whole sequence, while a scan launches a few small kernels per time step.
Which of the two runs is decided where the layer runs, not where it is
traced. In a graph (tf.function, SavedModel) the layer calls one function
that has two implementations under one `api_implements` name, the scan
preferred on a CPU and the cuDNN kernel on a GPU; whenever TensorFlow
optimises the graph for the devices it was placed on, Grappler's
implementation selector keeps the one for the call's device. A function
traced on a CPU, or a SavedModel exported on a machine without a GPU, still
runs cuDNN on a GPU (`selected_gru_sequence`; tests/test_gru.py checks the
graphs and the selector's choice, the cuDNN kernel itself needs a GPU to
run). Eagerly, the placement of the
call decides at once (`ddsp.devices.placement_device_type`): the scan on a
CPU, Keras' own GRU (cuDNN when eligible) elsewhere. On a TPU, and wherever
the scan does not apply (masks, dropout, go_backwards, ...), the layer is
Keras' GRU, which has its own run-time choice of cuDNN. The gin parameter
`gru.GRU.path` ('auto', 'scan' or 'keras') overrides this, e.g. for
benchmarks.
"""

import uuid

from ddsp import devices
import gin
import tensorflow as tf
import tf_keras as tfk

PATHS = ('auto', 'scan', 'keras')


def _gru_step_inputs(x_tm, kernel, input_bias):
  """Input projections of every step.

  Args:
    x_tm: Inputs, time major [n_time, batch, n_in].
    kernel: [n_in, 3 * units].
    input_bias: [3 * units].

  Returns:
    m: [n_time, batch, 3 * units], m_t = x_t K + b_x.
  """
  return tf.einsum('tbi,ik->tbk', x_tm, kernel) + input_bias


@tf.custom_gradient
def gru_sequence(x, h0, kernel, recurrent_kernel, bias):
  """Runs a reset-after GRU over a sequence.

  Args:
    x: Inputs [batch, n_time, n_in].
    h0: Initial state [batch, units].
    kernel: Input weights [n_in, 3 * units] (gate order z, r, candidate).
    recurrent_kernel: Recurrent weights [units, 3 * units].
    bias: [2, 3 * units]: input bias and recurrent bias.

  Returns:
    States of every step, time major [n_time, batch, units].
  """
  x_tm = tf.transpose(x, [1, 0, 2])
  m = _gru_step_inputs(x_tm, kernel, bias[0])

  def step(carry, m_t):
    h, _ = carry
    u = tf.matmul(h, recurrent_kernel) + bias[1]
    m_z, m_r, m_c = tf.split(m_t, 3, axis=-1)
    u_z, u_r, u_c = tf.split(u, 3, axis=-1)
    z = tf.sigmoid(m_z + u_z)
    r = tf.sigmoid(m_r + u_r)
    c = tf.tanh(m_c + r * u_c)
    return z * h + (1 - z) * c, u

  u0 = tf.zeros([tf.shape(h0)[0], tf.shape(recurrent_kernel)[1]], h0.dtype)
  hs, us = tf.scan(step, m, initializer=(h0, u0))

  def grad(dhs):
    """dL/dhs [n_time, batch, units] -> gradients of the five inputs.

    Derivation. Step t of the reset-after GRU, with a_* the pre-activations
    (m_t = x_t K + b_x and u_t = h_{t-1} U + b_h split into z, r, c thirds):

      a_z = m_z + u_z            z = sigmoid(a_z)
      a_r = m_r + u_r            r = sigmoid(a_r)
      a_c = m_c + r * u_c        c = tanh(a_c)
      h_t = z * h_{t-1} + (1 - z) * c

    Let d_t = dL/dh_t, in total: dL/dhs_t plus what flows back from step
    t + 1 through h_t as its h_{t-1}. With sigmoid' = s (1 - s) and
    tanh' = 1 - c^2, the chain rule gives, elementwise:

      dL/da_c = d_t * (1 - z) * (1 - c^2)          = d_t * g_c
      dL/da_z = d_t * (h_{t-1} - c) * z (1 - z)    = d_t * g_z
      dL/da_r = dL/da_c * u_c * r (1 - r)          = d_t * g_r
      dL/dm_t = (dL/da_z, dL/da_r, dL/da_c)        = d_t * g_m
      dL/du_t = (dL/da_z, dL/da_r, dL/da_c * r)    = d_t * g_u
      dL/dh_{t-1} through step t = d_t * z + dL/du_t U^T

    The factors g_* depend on the forward pass only (m, u, h_{t-1}), so they
    are computed for all steps at once before the backward loop, whose serial
    part is the last line alone: one [batch, 3 units] x [3 units, units]
    matmul per step. The weights' gradients are then sums over all steps,
    each a single matmul or reduction:

      dK = sum_t x_t^T dL/dm_t        db_x = sum_t dL/dm_t
      dU = sum_t h_{t-1}^T dL/du_t    db_h = sum_t dL/du_t
      dL/dx_t = dL/dm_t K^T           dL/dh0 = dL/dh_{t-1} through step 0
    """
    h_prev = tf.concat([h0[tf.newaxis], hs[:-1]], axis=0)
    m_z, m_r, m_c = tf.split(m, 3, axis=-1)
    u_z, u_r, u_c = tf.split(us, 3, axis=-1)
    z = tf.sigmoid(m_z + u_z)
    r = tf.sigmoid(m_r + u_r)
    c = tf.tanh(m_c + r * u_c)
    # dL/da_* = d_t * g_* (see the derivation above).
    g_c = (1 - z) * (1 - c * c)
    g_z = (h_prev - c) * z * (1 - z)
    g_r = g_c * u_c * r * (1 - r)
    g_m = tf.concat([g_z, g_r, g_c], axis=-1)
    g_u = tf.concat([g_z, g_r, g_c * r], axis=-1)

    def back(dh_prev_next, elems):
      """dL/dh_{t-1} through step t, given dL/dh_t from later steps."""
      dh_out, g_u_t, z_t = elems
      dh = dh_prev_next + dh_out  # d_t
      du = tf.tile(dh, [1, 3]) * g_u_t  # dL/du_t
      return dh * z_t + tf.matmul(du, recurrent_kernel, transpose_b=True)

    dh_prev = tf.scan(back, (dhs, g_u, z), initializer=tf.zeros_like(h0),
                      reverse=True)
    # d_t = dL/dhs_t + dL/dh_t through step t + 1.
    dh = dhs + tf.concat([dh_prev[1:], tf.zeros_like(h0)[tf.newaxis]], 0)
    dh3 = tf.tile(dh, [1, 1, 3])
    dm = dh3 * g_m
    du = dh3 * g_u

    units3 = tf.shape(m)[-1]
    n_in = tf.shape(x)[-1]
    du_flat = tf.reshape(du, [-1, units3])
    d_recurrent_kernel = tf.matmul(
        tf.reshape(h_prev, [-1, tf.shape(h0)[-1]]), du_flat, transpose_a=True)
    dm_flat = tf.reshape(dm, [-1, units3])
    d_kernel = tf.matmul(tf.reshape(x_tm, [-1, n_in]), dm_flat,
                         transpose_a=True)
    dx = tf.transpose(tf.einsum('tbk,ik->tbi', dm, kernel), [1, 0, 2])
    d_bias = tf.stack([tf.reduce_sum(dm_flat, 0), tf.reduce_sum(du_flat, 0)])
    return dx, dh_prev[0], d_kernel, d_recurrent_kernel, d_bias

  return hs, grad


def _cudnn_gate_order(parts):
  """Keras' gate order (z, r, candidate) -> the fused kernel's.

  cuDNN orders a GRU's gates r, z, candidate; ROCm's MIOpen (TensorFlow's
  GPU kernel on AMD builds) keeps Keras' order, as Keras assumes.

  Args:
    parts: [z, r, candidate], one tensor per gate.

  Returns:
    The three tensors in the kernel's order.
  """
  if tf.sysconfig.get_build_info().get('is_rocm_build'):
    return list(parts)
  z, r, c = parts
  return [r, z, c]


def cudnn_params(kernel, recurrent_kernel, bias):
  """The layer's weights as the flat parameter vector of the fused GRU.

  Args:
    kernel: [n_in, 3 * units], gates z, r, candidate.
    recurrent_kernel: [units, 3 * units].
    bias: [2, 3 * units]: input bias and recurrent bias.

  Returns:
    [3 * units * (n_in + units + 2)]: the three input and the three
    recurrent weight matrices, each transposed to [units, n_in or units] and
    flattened, then the three input and the three recurrent biases, gates in
    the kernel's order (`_cudnn_gate_order`).
  """
  weights = (_cudnn_gate_order(tf.split(kernel, 3, axis=1)) +
             _cudnn_gate_order(tf.split(recurrent_kernel, 3, axis=1)))
  biases = (_cudnn_gate_order(tf.split(bias[0], 3)) +
            _cudnn_gate_order(tf.split(bias[1], 3)))
  flat_weights = [tf.reshape(tf.transpose(w), [-1]) for w in weights]
  return tf.concat(flat_weights + biases, axis=0)


def cudnn_gru_sequence(x, h0, kernel, recurrent_kernel, bias):
  """`gru_sequence` by the fused cuDNN kernel (GPU only: no CPU kernel).

  Args:
    x: Inputs [batch, n_time, n_in].
    h0: Initial state [batch, units].
    kernel: Input weights [n_in, 3 * units] (gate order z, r, candidate).
    recurrent_kernel: Recurrent weights [units, 3 * units].
    bias: [2, 3 * units]: input bias and recurrent bias.

  Returns:
    States of every step, time major [n_time, batch, units].
  """
  x_tm = tf.transpose(x, [1, 0, 2])
  n_time, batch = tf.shape(x_tm)[0], tf.shape(x_tm)[1]
  hs, _, _, _, _ = tf.raw_ops.CudnnRNNV3(
      input=x_tm, input_h=h0[tf.newaxis], input_c=0,
      params=cudnn_params(kernel, recurrent_kernel, bias),
      sequence_lengths=tf.fill([batch], n_time), rnn_mode='gru',
      is_training=True, time_major=True)
  return hs


# Function attributes read by Grappler's implementation selector.
API_IMPLEMENTS = 'api_implements'
API_PREFERRED_DEVICE = 'api_preferred_device'
API_PREFIX = 'ddsp_gru_'


def _implementation(function, api_name, device_type):
  """`function` as a tf.function that the selector may swap for its peers.

  Args:
    function: A GRU over a sequence, with the arguments of `gru_sequence`.
    api_name: The name shared by the interchangeable implementations.
    device_type: 'CPU' or 'GPU', where this implementation is preferred.

  Returns:
    The tf.function.
  """
  return tf.function(function, autograph=False, experimental_attributes={
      API_IMPLEMENTS: api_name, API_PREFERRED_DEVICE: device_type})


def selected_gru_sequence(x, h0, kernel, recurrent_kernel, bias):
  """`gru_sequence` on a CPU, `cudnn_gru_sequence` on a GPU, chosen there.

  In a graph only. Calls the scan (the CPU implementation, also the one that
  runs on any other device) and registers the cuDNN implementation and its
  gradient functions in the graph's function library under the same
  `api_implements` name. When the graph is optimised for the devices it
  was placed on, Grappler's implementation selector replaces the call (and
  the call of its gradient) by the implementation whose
  `api_preferred_device` is the device type of the call.

  The name is new for every call, so that several GRUs in one graph or one
  SavedModel each pair with their own peer (the selector matches names and
  dtypes, not shapes).

  Args:
    x: Inputs [batch, n_time, n_in].
    h0: Initial state [batch, units].
    kernel: Input weights [n_in, 3 * units] (gate order z, r, candidate).
    recurrent_kernel: Recurrent weights [units, 3 * units].
    bias: [2, 3 * units]: input bias and recurrent bias.

  Returns:
    States of every step, time major [n_time, batch, units].
  """
  api_name = API_PREFIX + uuid.uuid4().hex
  args = (x, h0, kernel, recurrent_kernel, bias)
  on_gpu = _implementation(cudnn_gru_sequence, api_name, 'GPU')
  registered = on_gpu.get_concrete_function(*args)
  registered.add_to_graph()
  registered.add_gradient_functions_to_graph()
  return _implementation(gru_sequence, api_name, 'CPU')(*args)


@gin.configurable(module='ddsp.training.gru')
class GRU(tfk.layers.GRU):
  """`tf_keras.layers.GRU` with a faster CPU training path (same weights)."""

  def __init__(self, units, path='auto', **kwargs):
    """Creates the layer.

    Args:
      units: Size of the state.
      path: 'auto' (the scan on a CPU, the cuDNN kernel on a GPU, chosen
        where a graph runs; Keras' path where the scan does not apply),
        'scan' (the scan path wherever the configuration allows it) or
        'keras' (always Keras' own implementation, cuDNN on a GPU when
        eligible).
      **kwargs: Arguments of `tf_keras.layers.GRU`.
    """
    if path not in PATHS:
      raise ValueError(f'GRU path must be one of {PATHS}, got {path!r}.')
    super().__init__(units, **kwargs)
    self.path = path

  def get_config(self):
    return dict(super().get_config(), path=self.path)

  def _fast_path_applies(self, inputs, mask):
    cell = self.cell
    return (mask is None and isinstance(inputs, tf.Tensor) and
            cell.reset_after and cell.use_bias and
            cell.activation is tfk.activations.tanh and
            cell.recurrent_activation is tfk.activations.sigmoid and
            not cell.dropout and not cell.recurrent_dropout and
            not (self.stateful or self.go_backwards or self.time_major or
                 self.unroll or self._return_runtime))

  def implementation(self, inputs, mask=None):
    """What a call with these inputs, here, builds.

    Args:
      inputs: The call's inputs.
      mask: The call's mask.

    Returns:
      'keras': Keras' own GRU (`path='keras'`, a configuration or mask the
        scan does not cover, an eager call off the CPU, a graph placed on a
        TPU or another device that is neither CPU nor GPU);
      'scan': `gru_sequence` (`path='scan'`, an eager call on a CPU);
      'selected': `selected_gru_sequence` (a graph placed on a CPU or GPU,
        where the device the call runs on picks the scan or cuDNN).
    """
    if self.path == 'keras' or not self._fast_path_applies(inputs, mask):
      return 'keras'
    if self.path == 'scan':
      return 'scan'
    device_type = devices.placement_device_type()
    if tf.executing_eagerly():
      return 'scan' if device_type == 'CPU' else 'keras'
    return 'selected' if device_type in ('CPU', 'GPU') else 'keras'

  def call(self, inputs, mask=None, training=None, initial_state=None):
    implementation = self.implementation(inputs, mask)
    if implementation == 'keras':
      return super().call(inputs, mask=mask, training=training,
                          initial_state=initial_state)
    if initial_state is None:
      h0 = tf.zeros([tf.shape(inputs)[0], self.units], inputs.dtype)
    else:
      h0 = tf.nest.flatten(initial_state)[0]
    cell = self.cell
    sequence = (gru_sequence if implementation == 'scan'
                else selected_gru_sequence)
    hs = sequence(inputs, h0, tf.convert_to_tensor(cell.kernel),
                  tf.convert_to_tensor(cell.recurrent_kernel),
                  tf.convert_to_tensor(cell.bias))
    last = hs[-1]
    output = tf.transpose(hs, [1, 0, 2]) if self.return_sequences else last
    if self.return_state:
      return [output, last]
    return output
