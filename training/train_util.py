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

"""Training loop, distribution strategies and run-directory helpers.

Run directory written by `train` (the original's layout):

  <save_dir>/checkpoint                   CheckpointManager state file
  <save_dir>/ckpt-<step>.index / .data-00000-of-00001
  <save_dir>/operative_config-<step>.gin  at the start of every run
  <save_dir>/summaries/train/events.out.tfevents...
"""

import datetime
import json
import os
import random
import re
import time

from absl import logging
from ddsp import atomic_files
from ddsp import errors
from ddsp.training import checkpoints
from ddsp.training import cloud
from ddsp.training import data
from ddsp.training import health
from ddsp.training import summaries
import gin
import tensorflow as tf
import tf_keras as tfk


# ---------------------------------------------------------------------------
# Distribution strategies.
# ---------------------------------------------------------------------------
def _tf_config_is_multi_worker(tf_config):
  """True if a TF_CONFIG-style dict describes more than one task."""
  cluster = tf_config.get('cluster', {})
  n_tasks = sum(len(v) for v in cluster.values())
  return bool(tf_config.get('task')) and n_tasks > 1


def _cluster_config_dict(cluster_config):
  """The dict of a cluster_config (dict or JSON string), checked."""
  if isinstance(cluster_config, str):
    try:
      cluster_config = json.loads(cluster_config)
    except json.JSONDecodeError as e:
      raise errors.BadValueError(
          f'cluster_config is not JSON ({e}): give e.g. --cluster_config='
          '\'{"cluster": {"worker": ["host:port", ...]}, "task": {"type": '
          '"worker", "index": 0}}\'.') from None
  if not isinstance(cluster_config, dict) or not {
      'cluster', 'task'} <= set(cluster_config):
    keys = sorted(cluster_config) if isinstance(cluster_config, dict) else []
    raise errors.BadValueError(
        'cluster_config needs "cluster" and "task" entries, got keys '
        f'{keys}.')
  return cluster_config


def get_strategy(tpu='', cluster_config=''):
  """Picks a tf.distribute.Strategy.

  Args:
    tpu: Address of a TPU (e.g. 'grpc://10.0.0.2:8470'); selects TPUStrategy.
    cluster_config: TF_CONFIG-style dict or JSON string,
      {'cluster': {'worker': ['host:port', ...], ...},
       'task': {'type': 'worker', 'index': 0}};
      selects MultiWorkerMirroredStrategy. Without it, a multi-task TF_CONFIG
      environment variable does the same.

  Returns:
    TPUStrategy, MultiWorkerMirroredStrategy, or MirroredStrategy (all local
    devices; one CPU replica on a machine without GPUs).
  """
  if tpu:
    logging.info('Use TPU at %s', tpu)
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)

  if cluster_config:
    cluster_config = _cluster_config_dict(cluster_config)
    logging.info('Using MultiWorkerMirroredStrategy with cluster %s',
                 cluster_config)
    n_gpus = len(tf.config.list_physical_devices('GPU'))
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        cluster_spec=tf.train.ClusterSpec(cluster_config['cluster']),
        task_type=cluster_config['task']['type'],
        task_id=int(cluster_config['task']['index']),
        num_accelerators={'GPU': n_gpus},
        rpc_layer='grpc')
    return tf.distribute.MultiWorkerMirroredStrategy(
        cluster_resolver=resolver)

  tf_config = json.loads(os.environ.get('TF_CONFIG', '{}') or '{}')
  if _tf_config_is_multi_worker(tf_config):
    logging.info('Using MultiWorkerMirroredStrategy from TF_CONFIG')
    return tf.distribute.MultiWorkerMirroredStrategy()

  logging.info('Defaulting to MirroredStrategy')
  return tf.distribute.MirroredStrategy()


def is_chief(strategy):
  """Whether this task writes checkpoints and summaries.

  Single-machine strategies are always chief. In a multi-worker cluster the
  chief is the 'chief' task, or worker 0 when there is no 'chief' job.
  """
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not getattr(resolver, 'task_type', None):
    return True
  spec = resolver.cluster_spec().as_dict()
  if len(spec) == 0 or sum(len(v) for v in spec.values()) <= 1:  # pylint: disable=g-explicit-length-test
    return True
  task_type, task_id = resolver.task_type, resolver.task_id
  if task_type == 'chief':
    return True
  return 'chief' not in spec and task_type == 'worker' and task_id == 0


# ---------------------------------------------------------------------------
# Run-directory helpers (the original's names; they live in `checkpoints`).
# ---------------------------------------------------------------------------
expand_path = checkpoints.expand_path
get_latest_file = checkpoints.get_latest_file
get_latest_checkpoint = checkpoints.get_latest_checkpoint
CheckpointError = checkpoints.CheckpointError
reading_checkpoint = checkpoints.reading_checkpoint
get_latest_operative_config = checkpoints.get_latest_operative_config


def _markdown_line(line):
  """One operative-config line as markdown for the TensorBoard text tab."""
  if not line.startswith('#'):
    return '    ' + line
  line = line[2:]
  if line.startswith('===='):
    return ''
  if line.startswith('None'):
    return '    # None.'
  if line.endswith(':'):
    return '#### ' + line
  return line


def operative_config_markdown(config_str):
  """Markdown rendering of `gin.operative_config_str()`."""
  return '\n'.join(_markdown_line(l) for l in config_str.splitlines())


def write_gin_config(summary_writer, save_dir, step):
  """Writes `<save_dir>/operative_config-<step>.gin` and a text summary.

  Args:
    summary_writer: tf.summary writer for the markdown version.
    save_dir: Run folder.
    step: Training step (0 for a fresh run).
  """
  config_str = gin.operative_config_str()
  base_name = f'operative_config-{int(step)}'
  file_path = os.path.join(save_dir, base_name + '.gin')
  atomic_files.write_bytes(file_path, config_str.encode())
  with summary_writer.as_default():
    summaries.write_text('gin/' + base_name,
                         operative_config_markdown(config_str),
                         step=int(step))
    summary_writer.flush()


# ---------------------------------------------------------------------------
# Seeds.
# ---------------------------------------------------------------------------
@gin.configurable
def random_seed(seed=None):
  """The run's seed; a gin binding, so operative configs record it."""
  return seed


def pick_seed():
  """A fresh seed in [0, 2^31), from the operating system's entropy."""
  return random.SystemRandom().randrange(2**31)


def record_seed(seed):
  """Binds `random_seed.seed` and calls it (for the operative config)."""
  with gin.unlock_config():
    gin.bind_parameter('random_seed.seed', int(seed))
  return random_seed()


def resolve_seed(seed=None):
  """The seed of a run: given, else recorded in gin, else a fresh one.

  A resumed run reads `random_seed.seed` from its operative config. The
  result is bound in gin (`record_seed`) and logged.

  Args:
    seed: Seed asked for (e.g. `ddsp_run --seed`), or None.

  Returns:
    The seed, an int.
  """
  if seed is None:
    seed = random_seed()
  if seed is None:
    seed = pick_seed()
    logging.info('No seed given: picked seed %d.', seed)
  logging.info('Random seed: %d (rerun with --seed=%d).', seed, seed)
  return record_seed(seed)


def set_seed(seed):
  """Seeds python's, numpy's and TensorFlow's RNGs (before building)."""
  tfk.utils.set_random_seed(int(seed))


# ---------------------------------------------------------------------------
# Training loop.
# ---------------------------------------------------------------------------
class ProgressLogger(object):
  """Logs `steps/sec` and the ETA to `num_steps` every `interval_secs`.

  `health` holds the latest training-health values (floats, set at summary
  steps); the line shows them when there are any.
  """

  def __init__(self, start_step, num_steps, interval_secs=10.0,
               time_budget=None):
    self.num_steps = num_steps
    self.interval_secs = interval_secs
    self.time_budget = time_budget
    self.health = {}
    self._start_step = start_step
    self._start_time = time.time()
    self._last_log = 0.0

  def rate(self, step):
    """Average steps per second since the run started."""
    elapsed = max(time.time() - self._start_time, 1e-9)
    return (step - self._start_step) / elapsed

  def line(self, step):
    """'Progress: step 12/100 (12.0%) | 0.53 steps/sec | ETA 0:02:46'.

    With a time budget the ETA is the sooner of the two ends, and the line
    ends in '| time left 0:04:10'.
    """
    rate = self.rate(step)
    remaining = max(self.num_steps - step, 0)
    eta_secs = remaining / rate if rate > 0 else None
    if self.time_budget is not None:
      left = self.time_budget.remaining_secs()
      eta_secs = left if eta_secs is None else min(eta_secs, left)
    eta = ('unknown' if eta_secs is None
           else datetime.timedelta(seconds=int(eta_secs)))
    percent = 100.0 * step / max(self.num_steps, 1)
    line = (f'Progress: step {step}/{self.num_steps} ({percent:.1f}%) | '
            f'{rate:.3f} steps/sec | ETA {eta}')
    if self.time_budget is not None:
      line += ' | ' + self.time_budget.describe()
    if self.health:
      line += ' | ' + health.describe(self.health)
    return line

  def maybe_log(self, step, force=False):
    now = time.time()
    if force or now - self._last_log >= self.interval_secs:
      self._last_log = now
      logging.info(self.line(step))


def _running_means(values, means):
  """Adds one step's scalars to running means (created on first use)."""
  if not means:
    means.update({name: tfk.metrics.Mean(name=name, dtype=tf.float32)
                  for name in values})
  for name, value in values.items():
    means[name].update_state(value)


def _read_and_reset(means):
  """{name: float mean} of running means, which are then reset."""
  values = {name: float(metric.result()) for name, metric in means.items()}
  for metric in means.values():
    metric.reset_state()
  return values


def _health_check(avg_health, step, progress, detector, save_dir):
  """Writes the `health/...` scalars of a summary step and applies the rule.

  Args:
    avg_health: Running means of the health scalars since the last summary.
    step: Training step.
    progress: The ProgressLogger (shows the values).
    detector: A `health.CollapseDetector`.
    save_dir: Run folder ('' when nothing is written).

  Returns:
    True when the detector asks for a restart of the run.
  """
  values = _read_and_reset(avg_health)
  for name, value in values.items():
    summaries.write_scalar(name, value, step)
  progress.health = values
  logging.info('Health at step %d: %s', step, health.describe(values))
  fired = detector.update(step, values)
  return fired and detector.should_restart(step, save_dir)


@gin.configurable(denylist=['time_budget'])
def train(data_provider,
          trainer,
          batch_size=32,
          num_steps=1000000,
          steps_per_summary=300,
          steps_per_save=300,
          save_dir='/tmp/ddsp',
          restore_dir='/tmp/ddsp',
          early_stop_loss_value=None,
          report_loss_to_hypertune=False,
          time_budget=None):
  """Main training loop.

  The logged / saved step is the optimizer step *after* each update (the
  first logged step is 1, `ckpt-N` is written when N % steps_per_save == 0,
  and once more at the end; original behaviour).

  Models with a harmonic synthesiser get training-health scalars
  (`health/...`, see `ddsp.training.health`) at every summary step, in the
  summaries and the progress line, and a `health.CollapseDetector`
  (gin-configurable) watches them.

  Args:
    data_provider: A `DataProvider` giving training batches.
    trainer: A `trainers.Trainer` (model, optimizer, strategy).
    batch_size: Global batch size.
    num_steps: Train until the optimizer step reaches this value.
    steps_per_summary: Loss / speed / health summaries every this many
      steps.
    steps_per_save: Checkpoint every this many steps.
    save_dir: Run folder ('' disables checkpoints and summaries).
    restore_dir: Folder (or prefix) to resume from; missing is fine.
    early_stop_loss_value: Stop once total_loss <= this value.
    report_loss_to_hypertune: Report total_loss to cloud hypertune.
    time_budget: A `time_budget.TimeBudget`, or None. When it ends, the
      step in flight finishes, a checkpoint is saved and training stops
      (whichever comes first of it and `num_steps`); the progress line
      shows the time left. Not a gin parameter: `ddsp_run --train_minutes`.

  Raises:
    health.CollapseRestart: The detector fired early enough and
      `CollapseDetector.restart` is on (the caller restarts the run).
  """
  dataset = data.batches_for('Training', data_provider, batch_size)
  dataset = trainer.distribute_dataset(dataset)
  dataset_iter = iter(dataset)

  # Creates the model variables (consumes one batch).
  trainer.build(next(dataset_iter))

  try:
    trainer.restore(restore_dir)
  except FileNotFoundError:
    logging.info('No existing checkpoint found in %s, skipping checkpoint '
                 'loading.', restore_dir)

  # Only the chief of a multi-worker cluster writes files.
  if save_dir and not is_chief(trainer.strategy):
    logging.info('Not the chief worker: no checkpoints or summaries.')
    save_dir = ''

  # Built before the operative config is written, which then records it.
  detector = (health.CollapseDetector() if health.has_harmonic(trainer.model)
              else None)
  if detector is not None and detector.restart and trainer.num_workers() > 1:
    # Every worker would have to restart together; only the chief knows.
    logging.info('Automatic restart after a harmonic collapse is off with '
                 '%d workers.', trainer.num_workers())
    detector.restart = False

  if save_dir:
    summary_dir = os.path.join(save_dir, 'summaries', 'train')
    summary_writer = tf.summary.create_file_writer(summary_dir)
    write_gin_config(summary_writer, save_dir, trainer.step.numpy())
  else:
    summary_writer = tf.summary.create_noop_writer()

  start_step = int(trainer.step.numpy())
  progress = ProgressLogger(start_step, num_steps, time_budget=time_budget)
  avg_losses = {}
  avg_health = {}
  tick = time.time()
  step = start_step

  with summary_writer.as_default():
    while step < num_steps:
      losses, health_values = health.split(trainer.train_step(dataset_iter))
      # One optimizer update per train_step: count on the host instead of
      # reading the (device) step variable.
      step += 1

      # Running means of the losses (and health) between summaries.
      _running_means(losses, avg_losses)
      _running_means(health_values, avg_health)

      log_str = f'step: {step}\t'
      for name, value in losses.items():
        log_str += f'{name}: {float(value):.2f}\t'
      logging.info(log_str)
      progress.maybe_log(step)

      if step % steps_per_summary == 0 and save_dir:
        steps_per_sec = steps_per_summary / (time.time() - tick)
        summaries.write_scalar('steps_per_sec', steps_per_sec, step)
        tick = time.time()
        for name, metric in avg_losses.items():
          summaries.write_scalar(f'losses/{name}', metric.result(), step)
          metric.reset_state()

      if step % steps_per_summary == 0 and detector is not None:
        if _health_check(avg_health, step, progress, detector, save_dir):
          summary_writer.close()
          raise health.CollapseRestart(step)

      if step % steps_per_summary == 0 and save_dir:
        progress.maybe_log(step, force=True)

      if report_loss_to_hypertune:
        cloud.report_metric_to_hypertune(float(losses['total_loss']), step)

      if (early_stop_loss_value is not None and
          float(losses['total_loss']) <= early_stop_loss_value):
        logging.info('Total loss reached early stopping value of %s',
                     early_stop_loss_value)
        break

      if step % steps_per_save == 0 and save_dir:
        trainer.save(save_dir)
        summary_writer.flush()

      if time_budget is not None and time_budget.expired():
        logging.info('Time budget of %g minutes used up at step %d; saving '
                     'a checkpoint and stopping (re-run the command to '
                     'train on).', time_budget.minutes, step)
        break

  if save_dir:
    trainer.save(save_dir)
    summary_writer.flush()
  progress.maybe_log(step, force=True)
  logging.info('Training Finished!')
