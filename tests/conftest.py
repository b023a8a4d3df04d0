"""Shared pytest set-up: quiet TensorFlow, reference data outside the repo.

The reference data the tests compare against is part of the repository
(tests/golden_data/, see golden.py). A few large items are not: the
original's trained checkpoint, its training TFRecord and the recordings.
Tests that use them are marked

  @pytest.mark.needs_shared('golden/solo_instrument/ckpt', ...)

(item names as in shared/, see golden.OUTSIDE). When an item is missing, the
test is skipped with a reason that names it and says how to provide it
(`-rs` shows the reasons); when all items are there the test runs.
"""
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gin  # pylint: disable=g-import-not-at-top,wrong-import-position
import golden  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position


def pytest_configure(config):
  config.addinivalue_line(
      'markers',
      'needs_shared(*items): the test uses items of shared/ that are not in '
      'the repository (e.g. golden/solo_instrument/ckpt); skipped with the '
      'reason when one is missing.')


@pytest.fixture
def clean_gin():
  """An empty (unlocked) gin config for the test, emptied again after it."""
  with gin.unlock_config():
    gin.clear_config()
  yield
  with gin.unlock_config():
    gin.clear_config()


def _needed_items(item):
  names = []
  for mark in item.iter_markers('needs_shared'):
    names.extend(mark.args)
  return names


# The most expensive test files (several minutes each on 2 cores), most
# expensive first. They are collected first, and scripts/test.sh runs
# `-n 2 --dist loadfile --no-loadscope-reorder` (which keeps the collection
# order instead of sorting files by their number of tests), so the workers
# start them early and end on short files (longest-first scheduling); the
# other files keep their order.
LONGEST_FIRST = (
    'test_configs_keep_harmonics.py', 'test_crepe_audio.py',
    'test_studio_browser.py', 'test_fast_instrument.py',
    'test_prepare_tfrecord.py', 'test_notebooks.py', 'test_midi_synthesis.py',
    'test_vst_export.py', 'test_health.py', 'test_live_jack.py',
    'test_gin_scope.py', 'test_high_rate_training.py',
    'test_transfer_power.py', 'test_bad_inputs.py', 'test_multiworker.py',
    'test_resume.py', 'test_export.py', 'test_time_budget.py',
    'test_ensemble.py')


def _cost_rank(item) -> int:
  name = os.path.basename(str(item.fspath))
  return (LONGEST_FIRST.index(name) if name in LONGEST_FIRST
          else len(LONGEST_FIRST))


def pytest_collection_modifyitems(config, items):
  del config
  items.sort(key=_cost_rank)  # Stable: a file's tests keep their order.
  for item in items:
    missing = golden.missing_items(_needed_items(item))
    if missing:
      item.add_marker(pytest.mark.skip(reason=golden.missing_reason(missing)))
