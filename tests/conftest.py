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


def pytest_collection_modifyitems(config, items):
  del config
  for item in items:
    missing = golden.missing_items(_needed_items(item))
    if missing:
      item.add_marker(pytest.mark.skip(reason=golden.missing_reason(missing)))
