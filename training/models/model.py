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

"""Base class of DDSP models: loss bookkeeping and checkpoint restore."""

import time

from absl import logging
from ddsp import core
from ddsp import keras_compat
from ddsp.training import checkpoints
import tensorflow as tf
import tf_keras as tfk


class Model(tfk.Model):
  """Keras model that also collects a dict of named losses per call."""

  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    self._losses_dict = {}

  def __setattr__(self, name, value):
    for item in value if isinstance(value, (list, tuple)) else [value]:
      keras_compat.require_tf_keras(item, f'{type(self).__name__}.{name}')
    super().__setattr__(name, value)

  def compile(self, optimizer='rmsprop', *args, **kwargs):  # pylint: disable=keyword-arg-before-vararg
    keras_compat.require_tf_keras(optimizer,
                                  f'{type(self).__name__}.compile(optimizer)')
    super().compile(optimizer, *args, **kwargs)

  def __call__(self, *args, return_losses=False, **kwargs):
    """Runs the model; optionally also returns the losses dict.

    Args:
      *args: Model inputs (usually one features dict). Inside a tf.function
        dicts are shallow-copied so the caller's dict is left untouched.
      return_losses: Also return {loss_name: scalar, ..., 'total_loss': sum}.
      **kwargs: Keyword arguments for `call` (e.g. `training`).

    Returns:
      outputs, or (outputs, losses_dict) when `return_losses`.
    """
    args = [core.copy_if_tf_function(a) if isinstance(a, dict) else a
            for a in args]
    self._losses_dict = {}
    outputs = super().__call__(*args, **kwargs)
    if not return_losses:
      return outputs
    self._losses_dict['total_loss'] = self.sum_losses(self._losses_dict)
    return outputs, self._losses_dict

  def sum_losses(self, losses_dict):
    """Sum of all losses (0.0 when there are none)."""
    return tf.reduce_sum(list(losses_dict.values()))

  def _update_losses_dict(self, loss_objs, *args, **kwargs):
    """Adds the losses of every object with a `get_losses_dict` method."""
    for loss_obj in core.make_iterable(loss_objs):
      if hasattr(loss_obj, 'get_losses_dict'):
        losses_dict = loss_obj.get_losses_dict(*args, **kwargs)
        self._losses_dict.update(losses_dict)

  def restore(self, checkpoint_path, verbose=True, restore_keys=None):
    """Restores model weights from a checkpoint file or directory.

    Args:
      checkpoint_path: Checkpoint prefix (e.g. '.../ckpt-20') or a directory
        (the latest checkpoint in it is used).
      verbose: If False, silence warnings about values of the checkpoint that
        are not used (e.g. the optimizer state).
      restore_keys: Optional list of model attribute names to restore
        (e.g. ['decoder']); each must match the checkpoint.

    Raises:
      FileNotFoundError: No checkpoint found at `checkpoint_path`.
      checkpoints.CheckpointError: The checkpoint's files cannot be read.
    """
    start_time = time.time()
    latest_checkpoint = checkpoints.get_latest_checkpoint(checkpoint_path)
    with checkpoints.reading_checkpoint(latest_checkpoint):
      self._restore_from(latest_checkpoint, verbose, restore_keys)

    logging.info('Loaded checkpoint %s', latest_checkpoint)
    logging.info('Loading model took %.1f seconds', time.time() - start_time)

  def _restore_from(self, latest_checkpoint, verbose, restore_keys):
    """`restore` of one checkpoint prefix."""
    if restore_keys is None:
      checkpoint = tf.train.Checkpoint(model=self)
      status = checkpoint.restore(latest_checkpoint)
      if not verbose:
        status.expect_partial()
    else:
      for key in restore_keys:
        sub_model = tf.train.Checkpoint(**{key: getattr(self, key)})
        checkpoint = tf.train.Checkpoint(model=sub_model)
        status = checkpoint.restore(latest_checkpoint)
        status.assert_existing_objects_matched()

  def get_audio_from_outputs(self, outputs):
    """Extracts the synthesized audio from the outputs dict."""
    raise NotImplementedError('Must implement `get_audio_from_outputs()`.')

  def call(self, *args, training=False, **kwargs):
    raise NotImplementedError('Must implement a `call()` method.')
