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

"""A wall-clock budget for training (`ddsp_run --train_minutes`).

* The budget counts down on its clock and refuses a non-positive length.
* The training loop stops when it ends, with a checkpoint of the last step
  that a new trainer restores; the progress line shows the time left.
* It composes with resuming: re-running trains on from that checkpoint.
* `ddsp_run --train_minutes` wires it end to end.
"""
import logging

import numpy as np
import pytest

from ddsp.training import time_budget
from ddsp.training import train_util
import training_toys

TINY_MINUTES = 0.05  # 3 s.
NEVER = 10**9  # A step count the budget always ends first.


class FakeClock(object):
  """Seconds that move only when the test says so."""

  def __init__(self):
    self.now = 1000.0

  def __call__(self):
    return self.now


@pytest.fixture
def log_lines(caplog):
  """absl INFO messages logged during the test."""
  caplog.set_level(logging.INFO, logger='absl')
  return lambda: [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize('elapsed, left, expired', [
    (0.0, 120.0, False),
    (90.5, 29.5, False),
    (120.0, 0.0, True),
    (500.0, 0.0, True),
])
def test_budget_counts_down_on_its_clock(elapsed, left, expired):
  clock = FakeClock()
  budget = time_budget.TimeBudget(2.0, clock=clock)
  clock.now += elapsed
  assert budget.remaining_secs() == pytest.approx(left)
  assert budget.expired() is expired


@pytest.mark.parametrize('elapsed, text', [
    (0.0, 'time left 0:02:00'),
    (90.5, 'time left 0:00:30'),  # Whole seconds, rounded up.
    (200.0, 'time left 0:00:00'),
])
def test_budget_describes_the_time_left(elapsed, text):
  clock = FakeClock()
  budget = time_budget.TimeBudget(2.0, clock=clock)
  clock.now += elapsed
  assert budget.describe() == text


@pytest.mark.parametrize('minutes', [0, -1.0, float('nan')])
def test_budget_rejects_a_non_positive_length_saying_what_to_pass(minutes):
  with pytest.raises(ValueError, match='--train_minutes=10'):
    time_budget.TimeBudget(minutes)


@pytest.mark.parametrize('minutes, is_none', [(None, True), (1.5, False)])
def test_from_minutes_makes_a_budget_only_when_given(minutes, is_none):
  assert (time_budget.from_minutes(minutes) is None) is is_none


@pytest.mark.parametrize('steps_left_secs, budget_secs, eta', [
    (1000.0, 60.0, 'ETA 0:01:00'),  # The budget ends first.
    (30.0, 600.0, 'ETA 0:00:30'),  # The steps end first.
])
def test_progress_line_shows_time_left_and_the_sooner_end(
    monkeypatch, steps_left_secs, budget_secs, eta):
  clock = FakeClock()
  budget = time_budget.TimeBudget(budget_secs / 60.0, clock=clock)
  progress = train_util.ProgressLogger(0, 11, time_budget=budget)
  # One step per second so far: 10 steps done at the rate that leaves
  # `steps_left_secs` for the rest.
  monkeypatch.setattr(progress, 'rate', lambda step: 1.0 / steps_left_secs)
  line = progress.line(10)
  assert eta in line
  assert line.endswith(budget.describe())


def _train(save_dir, trainer, minutes, num_steps=NEVER):
  train_util.train(training_toys.ToyProvider(), trainer, batch_size=4,
                   num_steps=num_steps, steps_per_summary=NEVER,
                   steps_per_save=NEVER, save_dir=save_dir,
                   restore_dir=save_dir,
                   time_budget=time_budget.TimeBudget(minutes))


def _restored(save_dir):
  """A fresh toy trainer restored from the newest checkpoint."""
  trainer = training_toys.toy_trainer()
  trainer.build(next(iter(training_toys.ToyProvider().get_batch(4))))
  trainer.restore(save_dir)
  return trainer


def test_budget_stops_training_with_a_restorable_checkpoint(tmp_path,
                                                           log_lines):
  save_dir = str(tmp_path)
  trainer = training_toys.toy_trainer()
  _train(save_dir, trainer, TINY_MINUTES)
  step = int(trainer.step.numpy())
  assert 0 < step < NEVER
  assert train_util.get_latest_checkpoint(save_dir).endswith(f'ckpt-{step}')
  restored = _restored(save_dir)
  assert int(restored.step.numpy()) == step
  np.testing.assert_array_equal(restored.model.dense.kernel.numpy(),
                                trainer.model.dense.kernel.numpy())
  assert any(l.startswith('Time budget of 0.05 minutes used up at step '
                          f'{step}') for l in log_lines())


def test_budget_leaves_num_steps_in_charge_when_it_comes_first(tmp_path):
  trainer = training_toys.toy_trainer()
  _train(str(tmp_path), trainer, minutes=60.0, num_steps=3)
  assert int(trainer.step.numpy()) == 3


def test_progress_line_of_a_budgeted_run_shows_the_time_left(tmp_path,
                                                             log_lines):
  _train(str(tmp_path), training_toys.toy_trainer(), TINY_MINUTES)
  progress = [l for l in log_lines() if l.startswith('Progress: ')]
  assert progress and progress[-1].endswith('| time left 0:00:00')


def test_rerunning_a_budgeted_run_resumes_from_its_checkpoint(tmp_path,
                                                              log_lines):
  save_dir = str(tmp_path)
  first = training_toys.toy_trainer()
  _train(save_dir, first, TINY_MINUTES)
  first_step = int(first.step.numpy())
  second = training_toys.toy_trainer()
  _train(save_dir, second, TINY_MINUTES)
  second_step = int(second.step.numpy())
  assert second_step > first_step
  assert f'step: {first_step + 1}' in [
      l.split('\t')[0] for l in log_lines() if l.startswith('step: ')]
  assert train_util.get_latest_checkpoint(save_dir).endswith(
      f'ckpt-{second_step}')


@pytest.mark.slow
def test_ddsp_run_train_minutes_stops_with_a_checkpoint(tmp_path):
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  run_dir = str(tmp_path / 'run')
  proc = training_toys.run_ddsp(
      '--mode=train', f'--save_dir={run_dir}', f'--gin_file={gin_file}',
      f'--train_minutes={TINY_MINUTES}',
      f'--gin_param=train.num_steps={NEVER}',
      f'--gin_param=train.steps_per_save={NEVER}', timeout=900)
  assert 'Time budget of 0.05 minutes used up' in proc.stderr
  assert '| time left ' in proc.stderr
  step = int(train_util.get_latest_checkpoint(run_dir).split('-')[-1])
  assert 0 < step < NEVER
