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

"""The three modes of a gin-configured run: train, evaluate and sample.

Each mode builds the model of the parsed gin configuration
(`models.get_model()`); the data provider, batch sizes, step counts and
evaluators come from gin bindings (`train.data_provider`, ...).
"""

import os
import time
from typing import ContextManager, Optional, Tuple

from absl import logging
from ddsp import errors
from ddsp.training import eval_util
from ddsp.training import health
from ddsp.training import models
from ddsp.training import output_paths
from ddsp.training import time_budget
from ddsp.training import train_util
from ddsp.training import trainers
import gin
import tensorflow as tf

MODES = ('train', 'eval', 'sample')


def run_dirs(save_dir: str, restore_dir: str = '', mode: str = 'train',
             run_once: bool = False) -> Tuple[str, str]:
  """(save_dir, restore_dir), user-expanded; restore defaults to save.

  Checked before any work: the run folder can be written, and a checkpoint
  is there where one is needed: in a `restore_dir` given for training, and
  for a single evaluation or sampling (`run_once`), which would otherwise
  wait for one forever.

  Raises:
    errors.BadValueError: no save_dir.
    errors.UnwritablePathError: a save_dir that cannot be written.
    errors.MissingPathError: no checkpoint where one is needed.
  """
  if not save_dir:
    raise errors.BadValueError('--save_dir is empty: give the folder of the '
                               'run (checkpoints and summaries go there).')
  save_dir = os.path.expanduser(save_dir)
  output_paths.check_folder(save_dir, 'save_dir')
  given = os.path.expanduser(restore_dir)
  if (mode == 'train' and given) or (mode != 'train' and run_once):
    _require_checkpoint(given or save_dir,
                        'restore_dir' if given else 'save_dir')
  return save_dir, given or save_dir


def _require_checkpoint(folder: str, flag: str) -> None:
  try:
    train_util.get_latest_checkpoint(folder)
  except FileNotFoundError:
    raise errors.MissingPathError(
        f'--{flag}={folder} holds no checkpoint to restore: give the folder '
        'of a trained run (or a checkpoint prefix .../ckpt-<N>).') from None


def _holds_checkpoint(folder: str) -> bool:
  """Whether a checkpoint was written anywhere below `folder`."""
  for _, _, files in tf.io.gfile.walk(folder):
    if any(f == 'checkpoint' or f.endswith('.index') for f in files):
      return True
  return False


def removed_on_failure(save_dir: str) -> ContextManager[None]:
  """Removes the run folder a failed call made, unless it holds a checkpoint.

  A command that fails (bad data, a wrong config) leaves nothing new behind;
  a folder that existed before the call is never touched
  (`output_paths.new_folders_removed`).
  """
  return output_paths.new_folders_removed(save_dir, keep=_holds_checkpoint)


def allow_memory_growth() -> None:
  """Grow GPU memory as needed instead of reserving it all."""
  gpus = tf.config.experimental.list_physical_devices('GPU')
  try:
    for gpu in gpus:
      tf.config.experimental.set_memory_growth(gpu, True)
  except RuntimeError as e:
    # Memory growth must be set before GPUs have been initialized.
    logging.error(e)


def _build_trainer(strategy, seed: int, jit_compile: bool):
  """Seeds every RNG, then builds the gin-configured model and trainer."""
  train_util.set_seed(seed)
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.get_trainer_class()(model, strategy)
    if jit_compile:
      trainer.jit_compile = True
  return trainer


def train(save_dir: str,
          restore_dir: str,
          tpu: str = '',
          cluster_config: str = '',
          early_stop_loss_value: Optional[float] = None,
          report_loss_to_hypertune: bool = False,
          jit_compile: bool = False,
          seed: Optional[int] = None,
          train_minutes: Optional[float] = None) -> None:
  """Trains the gin-configured model under a distribution strategy.

  The seed (given, recorded in a resumed run's operative config, or picked)
  is bound as `random_seed.seed`, so the new operative config records it.
  When the loop reports an early harmonic collapse (`health.CollapseRestart`;
  on by default, off with `CollapseDetector.restart=False`), the run's files
  move to `<save_dir>/collapsed-<seed>/` and training starts again from a
  fresh initialisation with a new seed (not from `restore_dir`).

  `train_minutes` is a wall-clock budget for this call (`time_budget`): it
  starts here, a restart after a collapse spends what is left of it, and
  when it ends the loop saves a checkpoint and returns.
  """
  budget = time_budget.from_minutes(train_minutes)
  strategy = train_util.get_strategy(tpu=tpu, cluster_config=cluster_config)
  seed = train_util.resolve_seed(seed)
  while True:
    trainer = _build_trainer(strategy, seed, jit_compile)
    try:
      train_util.train(data_provider=gin.REQUIRED,
                       trainer=trainer,
                       save_dir=save_dir,
                       restore_dir=restore_dir,
                       early_stop_loss_value=early_stop_loss_value,
                       report_loss_to_hypertune=report_loss_to_hypertune,
                       time_budget=budget)
      return
    except health.CollapseRestart as restart:
      moved_to = health.move_run_aside(save_dir, seed)
      seed = train_util.record_seed(train_util.pick_seed())
      # A fresh start: not the weights of another --restore_dir again.
      restore_dir = save_dir
      logging.warning('Restarting after the collapse at step %d with seed %d;'
                      ' the collapsed run is in %s.', restart.step, seed,
                      moved_to)


def evaluate_or_sample(mode: str,
                       save_dir: str,
                       restore_dir: str,
                       run_once: bool = False,
                       initial_delay_secs: Optional[int] = None) -> None:
  """Evaluates (`mode='eval'`) or writes samples (`'sample'`) of a run."""
  model = models.get_model()
  if initial_delay_secs:
    logging.info('Waiting for %i second(s)', initial_delay_secs)
    time.sleep(initial_delay_secs)
  run = eval_util.evaluate if mode == 'eval' else eval_util.sample
  run(data_provider=gin.REQUIRED,
      model=model,
      save_dir=save_dir,
      restore_dir=restore_dir,
      run_once=run_once)
