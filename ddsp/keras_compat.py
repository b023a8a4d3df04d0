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

"""Living next to Keras 3: ddsp's layers and models are Keras 2 (`tf_keras`).

TensorFlow >= 2.16 resolves `tf.keras` once, on first use: to `tf_keras`
(Keras 2) when `TF_USE_LEGACY_KERAS=1` is set at that moment, to Keras 3
otherwise. `import ddsp` sets the variable (if unset) so that a later first
use of `tf.keras` gets Keras 2, but a program that touched `tf.keras` before
importing ddsp keeps Keras 3. ddsp works either way (it uses `tf_keras`
directly); only objects handed to ddsp must be Keras 2 ones. This module
tells which world the process is in and turns a Keras 3 object given to ddsp
into one clear error.
"""

from absl import logging

FIX_HINT = (
    'ddsp builds Keras 2 (tf_keras) layers and models. Build objects you give '
    'to ddsp with `import tf_keras` (e.g. tf_keras.layers.Dense, '
    'tf_keras.optimizers.Adam), or set os.environ["TF_USE_LEGACY_KERAS"] = '
    '"1" before TensorFlow is first imported so that tf.keras is Keras 2.')


def tf_keras_flavour():
  """Which Keras `tf.keras` resolved to in this process.

  Returns:
    'keras_3', 'tf_keras' or 'keras_2' once `tf.keras` has been used, None
    while it is still unresolved (then ddsp's `TF_USE_LEGACY_KERAS=1` default
    decides it). Reading this never resolves `tf.keras` itself.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  loader = tf.__dict__.get('keras')
  if loader is None:
    return None
  state = getattr(loader, '__dict__', {})
  if '_tfll_initialized' in state and not state['_tfll_initialized']:
    return None
  if '_tfll_keras_version' in state:
    return state['_tfll_keras_version']
  name = getattr(loader, '__name__', '')
  return 'tf_keras' if name.startswith('tf_keras') else 'keras_3'


def is_keras3_object(obj):
  """True for instances and classes defined by Keras 3 (package `keras`)."""
  cls = obj if isinstance(obj, type) else type(obj)
  for klass in cls.__mro__:
    module = getattr(klass, '__module__', '') or ''
    if module == 'keras' or module.startswith('keras.'):
      return True
  return False


def require_tf_keras(obj, where):
  """Raises a TypeError naming `where` if `obj` is a Keras 3 object.

  Args:
    obj: Anything handed to ddsp (a layer, an optimizer, a model...).
    where: What it was given as, e.g. 'Autoencoder.decoder'.

  Raises:
    TypeError: `obj` comes from Keras 3, which cannot live inside a Keras 2
      model or train one.
  """
  if is_keras3_object(obj):
    raise TypeError(
        f'{where} got a Keras 3 object ({type(obj).__module__}.'
        f'{type(obj).__name__}): tf.keras is Keras 3 in this process because '
        f'TensorFlow was used before ddsp without TF_USE_LEGACY_KERAS=1. '
        f'{FIX_HINT}')


_NOTED = []


def note_keras_flavour():
  """Logs once that tf.keras is Keras 3 here while ddsp objects are Keras 2."""
  if _NOTED or tf_keras_flavour() != 'keras_3':
    return
  _NOTED.append(True)
  logging.warning(
      'tf.keras is Keras 3 in this process (TensorFlow was used before ddsp '
      'without TF_USE_LEGACY_KERAS=1); ddsp works as usual. %s', FIX_HINT)
