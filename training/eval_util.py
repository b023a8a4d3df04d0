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

"""Evaluation and sampling loops over the checkpoints of a run folder.

Both loops wait for checkpoints in `restore_dir`, restore each one, run the
model on a few batches and hand the results to evaluator objects, which
write TensorBoard summaries to `<save_dir>/summaries/eval`.
"""

import os
import time

from absl import logging
from ddsp import spectral_ops
from ddsp.training import data
from ddsp.training import health
from ddsp.training import summaries
import gin
import tensorflow as tf


def _add_synthetic_audio(model, batch):
  """SyntheticNotes batches hold controls only: render their audio."""
  batch['audio'] = model.generate_synthetic_audio(batch)
  batch['f0_confidence'] = tf.ones_like(batch['f0_hz'])[:, :, 0]
  batch['loudness_db'] = spectral_ops.compute_loudness(batch['audio'])
  return batch


def _is_synthetic(data_provider):
  synthetic_cls = getattr(data, 'SyntheticNotes', None)
  return synthetic_cls is not None and isinstance(data_provider,
                                                  synthetic_cls)


class HealthMeter(object):
  """Means of a model's `health/...` scalars over the batches of a checkpoint.

  Written at `flush`; the one-step collapse condition of a
  `health.CollapseDetector` (its gin thresholds) adds a warning.
  """

  def __init__(self, model):
    self._model = model
    self._sums = {}
    self._count = 0

  def update(self, batch, outputs):
    """Adds the health scalars of one evaluated batch."""
    for name, value in health.signals(self._model, batch, outputs).items():
      self._sums[name] = self._sums.get(name, 0.0) + float(value)
    self._count += 1

  def flush(self, step):
    """Writes the means as `health/...` scalars and resets them."""
    if not self._sums:
      return
    values = {k: v / self._count for k, v in self._sums.items()}
    for name, value in values.items():
      summaries.write_scalar(name, value, step)
    logging.info('Health at step %s: %s', step, health.describe(values))
    if health.CollapseDetector().is_collapsed(values):
      logging.warning('Checkpoint %s: the harmonic synthesiser looks '
                      'collapsed (%s); the model plays mostly noise.', step,
                      health.describe(values))
    self._sums, self._count = {}, 0


def evaluate_or_sample(data_provider,
                       model,
                       evaluator_classes,
                       mode='eval',
                       save_dir='/tmp/ddsp/training',
                       restore_dir='',
                       batch_size=32,
                       num_batches=50,
                       repeats=-1,
                       ckpt_delay_secs=0,
                       run_once=False,
                       run_until_step=0,
                       evaluate_and_sample=False):
  """Runs evaluators on every new checkpoint of `restore_dir`.

  Args:
    data_provider: DataProvider of evaluation batches.
    model: Model to restore and run.
    evaluator_classes: Classes built as `cls(sample_rate, frame_rate)`.
    mode: 'eval' (evaluators' evaluate + flush) or 'sample' (their sample).
    save_dir: Summaries go to `<save_dir>/summaries/eval`.
    restore_dir: Folder watched for checkpoints (defaults to save_dir).
    batch_size: Examples per batch.
    num_batches: Batches per checkpoint (< 1 means the whole dataset).
    repeats: Dataset repeats (-1 = forever).
    ckpt_delay_secs: Minimum seconds between two checkpoint checks.
    run_once: Stop after the first checkpoint.
    run_until_step: Stop after a checkpoint with step >= this (if > 0).
    evaluate_and_sample: Do both in one pass.

  Returns:
    None (as the original; its `latest_losses` is never set).
  """
  restore_dir = restore_dir or save_dir
  summary_dir = os.path.join(save_dir, 'summaries', 'eval')
  summary_writer = tf.summary.create_file_writer(summary_dir)

  dataset = data.batches_for('Evaluation', data_provider, batch_size,
                             shuffle=False, repeats=repeats)
  num_batches = int(1e12) if num_batches < 1 else num_batches

  evaluators = [cls(data_provider.sample_rate, data_provider.frame_rate)
                for cls in evaluator_classes]
  is_synthetic = _is_synthetic(data_provider)
  do_eval = mode == 'eval' or evaluate_and_sample
  meter = HealthMeter(model) if do_eval and health.has_harmonic(model) \
      else None

  with summary_writer.as_default():
    for checkpoint_path in tf.train.checkpoints_iterator(
        restore_dir, min_interval_secs=ckpt_delay_secs):
      step = int(checkpoint_path.split('-')[-1])
      dataset_iter = iter(dataset)

      try:
        model.restore(checkpoint_path)
      except FileNotFoundError:
        logging.warning('No existing checkpoint found in %s, skipping '
                        'checkpoint loading.', restore_dir)

      checkpoint_start = time.time()
      batches_done = 0
      for batch_idx in range(1, num_batches + 1):
        try:
          start_time = time.time()
          logging.info('Predicting batch %d of size %d', batch_idx,
                       batch_size)
          batch = next(dataset_iter)
          if is_synthetic:
            batch = _add_synthetic_audio(model, batch)

          outputs, losses = model(batch, return_losses=True, training=False)
          outputs['audio_gen'] = model.get_audio_from_outputs(outputs)
          if meter is not None:
            meter.update(batch, outputs)
          for evaluator in evaluators:
            if mode == 'eval' or evaluate_and_sample:
              evaluator.evaluate(batch, outputs, losses)
            if mode == 'sample' or evaluate_and_sample:
              evaluator.sample(batch, outputs, step)
          logging.info('Metrics for batch %i with size %i took %.1f seconds',
                       batch_idx, batch_size, time.time() - start_time)
          batches_done = batch_idx
        except StopIteration:
          logging.info('End of dataset.')
          break

      logging.info('All %d batches in checkpoint took %.1f seconds',
                   batches_done, time.time() - checkpoint_start)

      if do_eval:
        for evaluator in evaluators:
          evaluator.flush(step)
        if meter is not None:
          meter.flush(step)

      summary_writer.flush()

      if run_once:
        break
      if 0 < run_until_step <= step:
        logging.info('Saw checkpoint with step %d, which is greater or equal'
                     ' to `run_until_step` of %d. Exiting.', step,
                     run_until_step)
        break
  return None


@gin.configurable
def evaluate(data_provider,
             model,
             evaluator_classes,
             save_dir='/tmp/ddsp/training',
             restore_dir='',
             batch_size=32,
             num_batches=50,
             repeats=-1,
             ckpt_delay_secs=0,
             run_once=False,
             run_until_step=0,
             evaluate_and_sample=False):
  """Evaluation loop (gin configurable); see `evaluate_or_sample`."""
  return evaluate_or_sample(
      data_provider=data_provider,
      model=model,
      evaluator_classes=evaluator_classes,
      mode='eval',
      save_dir=save_dir,
      restore_dir=restore_dir,
      batch_size=batch_size,
      num_batches=num_batches,
      repeats=repeats,
      ckpt_delay_secs=ckpt_delay_secs,
      run_once=run_once,
      run_until_step=run_until_step,
      evaluate_and_sample=evaluate_and_sample)


@gin.configurable
def sample(data_provider,
           model,
           evaluator_classes,
           save_dir='/tmp/ddsp/training',
           restore_dir='',
           batch_size=16,
           num_batches=1,
           ckpt_delay_secs=0,
           run_once=False,
           run_until_step=0,
           evaluate_and_sample=False):
  """Sampling loop (gin configurable); see `evaluate_or_sample`."""
  return evaluate_or_sample(
      data_provider=data_provider,
      model=model,
      evaluator_classes=evaluator_classes,
      mode='sample',
      save_dir=save_dir,
      restore_dir=restore_dir,
      batch_size=batch_size,
      num_batches=num_batches,
      ckpt_delay_secs=ckpt_delay_secs,
      run_once=run_once,
      run_until_step=run_until_step,
      evaluate_and_sample=evaluate_and_sample)
