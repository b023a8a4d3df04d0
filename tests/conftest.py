"""Shared pytest set-up: quiet TensorFlow, golden data location."""
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gin  # pylint: disable=g-import-not-at-top,wrong-import-position
import golden  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture
def clean_gin():
  """An empty (unlocked) gin config for the test, emptied again after it."""
  with gin.unlock_config():
    gin.clear_config()
  yield
  with gin.unlock_config():
    gin.clear_config()


def pytest_collection_modifyitems(config, items):
  del config
  if golden.available():
    return
  # Golden data is part of the contract: never skip it silently.
  raise pytest.UsageError(
      f'Golden data not found at {golden.GOLDEN_DIR}. Clone the project next '
      'to shared/ or set DDSP_GOLDEN_DIR.')
