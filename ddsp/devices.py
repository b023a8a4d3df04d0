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

"""Where ops run: the device placement that CPU-only choices dispatch on.

A few code paths are faster only on a CPU (the GRU's scan in eager calls, a
transposed cumsum, eager input checks that read values on the host). They ask
`placement_device_type()` at the point where they build ops, so that the same
model takes them on a CPU and Keras' / TensorFlow's own ops on a GPU or TPU,
including a model placed on the CPU of a GPU machine. (In a graph, the GRU
asks only whether it is placed on a TPU and otherwise leaves the choice
between its scan and cuDNN to the device the graph runs on: training/gru.py.)
"""

import tensorflow as tf
from tensorflow.python.eager import context as tf_context


def placement_device_type():
  """Device type ('CPU', 'GPU', 'TPU', ...) that ops created here run on.

  In order: the device scope of the graph being built (a `tf.device` inside a
  tf.function, or a tf.distribute replica's device), then the eager device
  scope (in eager mode, or around the call that traces a tf.function), then
  TensorFlow's default placement: the first GPU if one is visible, else the
  first TPU, else the CPU.

  Returns:
    The upper-case device type.
  """
  name = ''
  if not tf.executing_eagerly():
    name = tf.no_op().device
  if not name:
    name = tf_context.context().device_name or ''
  device_type = tf.DeviceSpec.from_string(name).device_type if name else None
  if device_type:
    return device_type.upper()
  for default in ('GPU', 'TPU'):
    if tf.config.list_logical_devices(default):
      return default
  return 'CPU'


def placed_on_cpu():
  """True where `placement_device_type()` is 'CPU'."""
  return placement_device_type() == 'CPU'
