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

The scan path is a CPU optimisation. On a GPU, Keras' own GRU runs the fused
cuDNN kernel, while a scan launches a few small kernels per time step, so the
layer decides by placement (`ddsp.devices.placement_device_type`): the scan path where its
ops will run on a CPU, Keras' path on GPUs, TPUs and anything else. The gin
parameter `gru.GRU.path` ('auto', 'scan' or 'keras') overrides this, e.g. for
benchmarks.
"""

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


@gin.configurable(module='ddsp.training.gru')
class GRU(tfk.layers.GRU):
  """`tf_keras.layers.GRU` with a faster CPU training path (same weights)."""

  def __init__(self, units, path='auto', **kwargs):
    """Creates the layer.

    Args:
      units: Size of the state.
      path: 'auto' (the scan path on CPU, Keras' path elsewhere), 'scan' (the
        scan path wherever the configuration allows it) or 'keras' (always
        Keras' own implementation, cuDNN on a GPU when eligible).
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

  def uses_scan_path(self, inputs, mask=None):
    """Whether a call with these inputs, here, takes the scan path."""
    if self.path == 'keras' or not self._fast_path_applies(inputs, mask):
      return False
    return self.path == 'scan' or devices.placed_on_cpu()

  def call(self, inputs, mask=None, training=None, initial_state=None):
    if not self.uses_scan_path(inputs, mask):
      return super().call(inputs, mask=mask, training=training,
                          initial_state=initial_state)
    if initial_state is None:
      h0 = tf.zeros([tf.shape(inputs)[0], self.units], inputs.dtype)
    else:
      h0 = tf.nest.flatten(initial_state)[0]
    cell = self.cell
    hs = gru_sequence(inputs, h0, tf.convert_to_tensor(cell.kernel),
                      tf.convert_to_tensor(cell.recurrent_kernel),
                      tf.convert_to_tensor(cell.bias))
    last = hs[-1]
    output = tf.transpose(hs, [1, 0, 2]) if self.return_sequences else last
    if self.return_state:
      return [output, last]
    return output
