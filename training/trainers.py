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

"""Trainer: optimizer, distributed train step, checkpoint save / restore.

A `Trainer` owns the Adam optimizer of a model and knows how to run one
gradient step under a `tf.distribute.Strategy`. Checkpoints hold
`tf.train.Checkpoint(model=..., optimizer=...)`, so their variable paths are
`model/...` and `optimizer/...`, the same paths as the original's
checkpoints (tests/test_checkpoint_golden.py checks them).
"""

import os
import time

from absl import logging
from ddsp.training import harmonic_warmup
from ddsp.training import health
from ddsp.training import train_util
import gin
import tensorflow as tf
import tf_keras as tfk


def _has_next(inputs):
  """True for (distributed) iterators, False for a batch of tensors."""
  return hasattr(inputs, '__next__') or isinstance(
      inputs, tf.distribute.DistributedIterator)


@gin.configurable
class Trainer(object):
  """Runs distributed training steps and saves / restores checkpoints."""

  def __init__(self,
               model,
               strategy,
               checkpoints_to_keep=100,
               learning_rate=0.001,
               lr_decay_steps=10000,
               lr_decay_rate=0.98,
               grad_clip_norm=3.0,
               restore_keys=None):
    """Constructor.

    Args:
      model: A `ddsp.training.models.Model` to train.
      strategy: A `tf.distribute.Strategy` (variables are created in its
        scope).
      checkpoints_to_keep: Newest checkpoints kept by the CheckpointManager.
      learning_rate: Initial learning rate of the exponential decay.
      lr_decay_steps: Steps per decay period,
        lr = learning_rate * lr_decay_rate ** (step / lr_decay_steps).
      lr_decay_rate: Multiplicative decay per `lr_decay_steps` steps.
      grad_clip_norm: Gradients are clipped to this global norm.
      restore_keys: Optional list of model attribute names to restore alone
        (e.g. ['encoder'] to warm-start part of a model).
    """
    self.model = model
    self.strategy = strategy
    self.checkpoints_to_keep = checkpoints_to_keep
    self.grad_clip_norm = grad_clip_norm
    self.restore_keys = restore_keys
    self.harmonic_warmup = harmonic_warmup.HarmonicWarmup()
    # Not a gin parameter (operative configs must stay readable by the
    # original): XLA-compile the per-replica step when DDSP_JIT_COMPILE=1 or
    # when set by `ddsp_run --jit_compile` / benchmarks before training.
    self.jit_compile = os.environ.get('DDSP_JIT_COMPILE', '0') == '1'

    with self.strategy.scope():
      schedule = tfk.optimizers.schedules.ExponentialDecay(
          initial_learning_rate=learning_rate,
          decay_steps=lr_decay_steps,
          decay_rate=lr_decay_rate)
      self.optimizer = tfk.optimizers.Adam(schedule)

    # XLA variant of the forward / backward pass, traced lazily. (The
    # optimizer update stays outside: it synchronises replicas.)
    self._grads_and_losses_xla = tf.function(self._grads_and_losses,
                                             jit_compile=True)

  # ---------------------------------------------------------------------------
  # Checkpoints.
  # ---------------------------------------------------------------------------
  def get_checkpoint(self, model=None):
    """Checkpoint object holding the model (or a subset) and the optimizer."""
    model = model or self.model
    return tf.train.Checkpoint(model=model, optimizer=self.optimizer)

  def save(self, save_dir):
    """Writes `<save_dir>/ckpt-<step>.*` and updates the `checkpoint` file."""
    start_time = time.time()
    manager = tf.train.CheckpointManager(
        self.get_checkpoint(),
        directory=save_dir,
        max_to_keep=self.checkpoints_to_keep)
    step = int(self.step.numpy())
    manager.save(checkpoint_number=step)
    logging.info('Saved checkpoint to %s at step %s', save_dir, step)
    logging.info('Saving model took %.1f seconds', time.time() - start_time)

  def restore(self, checkpoint_path, restore_keys=None):
    """Restores the latest checkpoint of a folder (or a checkpoint prefix).

    Args:
      checkpoint_path: Checkpoint folder or `.../ckpt-N` prefix.
      restore_keys: Optional model attribute names to restore alone; falls
        back to `self.restore_keys`.

    Raises:
      FileNotFoundError: No checkpoint found at `checkpoint_path`.
    """
    start_time = time.time()
    restore_keys = restore_keys or self.restore_keys
    latest_checkpoint = train_util.get_latest_checkpoint(checkpoint_path)

    if restore_keys is None:
      checkpoint = self.get_checkpoint()
      logging.info('Trainer restoring the full model')
    else:
      subset = {k: getattr(self.model, k) for k in restore_keys}
      checkpoint = self.get_checkpoint(tf.train.Checkpoint(**subset))
      logging.info('Trainer restoring model subcomponents: %s', restore_keys)

    with self.strategy.scope():
      status = checkpoint.restore(latest_checkpoint)
      if restore_keys is not None:
        status.expect_partial()
    logging.info('Loaded checkpoint %s', latest_checkpoint)
    logging.info('Loading model took %.1f seconds', time.time() - start_time)

  @property
  def step(self):
    """Optimizer iteration count (a scalar int64 variable)."""
    return self.optimizer.iterations

  # ---------------------------------------------------------------------------
  # Distribution helpers.
  # ---------------------------------------------------------------------------
  def psum(self, x, axis=None):
    """Sum across replicas (and `axis` of each per-replica value)."""
    return self.strategy.reduce(tf.distribute.ReduceOp.SUM, x, axis=axis)

  def run(self, fn, *args, **kwargs):
    """Runs `fn` on every replica."""
    return self.strategy.run(fn, args=args, kwargs=kwargs)

  def build(self, batch):
    """Creates the model variables by calling it once on a batch."""
    self.run(tf.function(self.model.__call__), batch)
    self.model.summary()

  def distribute_dataset(self, dataset):
    """Splits a `tf.data.Dataset` across replicas (other inputs unchanged)."""
    if isinstance(dataset, tf.data.Dataset):
      if self.num_workers() > 1:
        # Shard by examples: file sharding fails when there are fewer
        # TFRecord files than workers (e.g. a single train.tfrecord).
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA)
        dataset = dataset.with_options(options)
      return self.strategy.experimental_distribute_dataset(dataset)
    return dataset

  def num_workers(self):
    """Number of worker tasks of a multi-worker strategy (else 1)."""
    extended = getattr(self.strategy, 'extended', None)
    workers = getattr(extended, '_num_workers', None)
    return int(workers) if workers else 1

  # ---------------------------------------------------------------------------
  # Training step.
  # ---------------------------------------------------------------------------
  @tf.function
  def train_step(self, inputs):
    """One distributed step; returns the replica-mean of every loss.

    Models with a harmonic synthesiser also return `health/...` scalars
    (`ddsp.training.health.signals`), reduced the same way; they play no
    part in the loss or the gradients (`health.split` separates them).
    """
    batch = next(inputs) if _has_next(inputs) else inputs
    losses = self.run(self.step_fn, batch)
    n_replicas = self.strategy.num_replicas_in_sync
    return {k: self.psum(v, axis=None) / n_replicas
            for k, v in losses.items()}

  @tf.function
  def step_fn(self, batch):
    """Per-replica step: forward, gradients, clip, apply."""
    if self.jit_compile:
      grads, losses = self._grads_and_losses_xla(batch)
    else:
      grads, losses = self._grads_and_losses(batch)
    grads, _ = tf.clip_by_global_norm(grads, self.grad_clip_norm)
    self.optimizer.apply_gradients(
        zip(grads, self.model.trainable_variables))
    return losses

  def _grads_and_losses(self, batch):
    """d(total_loss + harmonic warm-up loss)/d(variables); losses + health.

    The warm-up loss (`harmonic_warmup`, early steps only) is reported
    apart: `total_loss` stays the model's own loss.
    """
    with tf.GradientTape() as tape:
      outputs, losses = self.model(batch, return_losses=True, training=True)
      objective = losses['total_loss']
      if self.harmonic_warmup.applies_to(self.model):
        losses = dict(losses)
        losses[harmonic_warmup.LOSS_NAME] = self.harmonic_warmup.loss(
            self.model, batch, outputs, self.step)
        objective += losses[harmonic_warmup.LOSS_NAME]
    grads = tape.gradient(objective, self.model.trainable_variables)
    # Read off the outputs after the tape: no effect on the gradients.
    return grads, dict(losses, **health.signals(self.model, batch, outputs))


@gin.configurable
def get_trainer_class(trainer_class=Trainer):
  """Returns the trainer class (a gin hook to swap in another trainer)."""
  return trainer_class
