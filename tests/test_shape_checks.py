"""ddsp.shape_checks (static input checks) and ddsp.gin_errors."""
import gin
import numpy as np
import pytest
import tensorflow as tf

from ddsp import gin_errors
from ddsp import shape_checks


@pytest.mark.parametrize('x', [tf.zeros([2, 3]), np.zeros([2, 3]),
                               [[0.0] * 3] * 2, tf.Variable(tf.zeros([2, 3]))])
def test_shape_of_tensors_arrays_lists_and_variables(x):
  assert shape_checks.shape_of(x).as_list() == [2, 3]


def test_check_rank_returns_the_shape_or_names_the_input():
  shape = shape_checks.check_rank(np.zeros([2, 3, 1]), 'f0_hz', (3,))
  assert shape.as_list() == [2, 3, 1]
  with pytest.raises(ValueError, match=(
      r'^f0_hz must have rank 3 or 4 \[batch, n_frames, 1\], got shape '
      r'\[2, 3\] \(rank 2\)\.$')):
    shape_checks.check_rank(np.zeros([2, 3]), 'f0_hz', (3, 4),
                            '[batch, n_frames, 1]')


def test_check_batch_lets_one_broadcast_and_lists_the_sizes():
  shape_checks.check_batch(a=np.zeros([4, 2]), b=np.zeros([1, 2]), c=None)
  with pytest.raises(ValueError, match='a: 4, b: 3'):
    shape_checks.check_batch(a=np.zeros([4, 2]), b=np.zeros([3, 2]))


def test_check_window_upsampling_needs_a_multiple_of_the_frames():
  shape_checks.check_window_upsampling(10, 1000, 'amps')
  with pytest.raises(ValueError, match='amps has 7 frames.*multiple'):
    shape_checks.check_window_upsampling(7, 1000, 'amps')
  with pytest.raises(ValueError, match='downsampling'):
    shape_checks.check_window_upsampling(1000, 1000, 'amps')


def test_check_frames_fit_needs_frames_that_split_the_samples():
  shape_checks.check_frames_fit(10, 1000, 'magnitudes')
  shape_checks.check_frames_fit(None, 1000, 'magnitudes')
  with pytest.raises(ValueError, match='magnitudes has 300 frames'):
    shape_checks.check_frames_fit(300, 1000, 'magnitudes')


@gin.configurable
def _fails_inside_gin(error):
  raise error


def test_original_errors_strips_gin_s_proxy_of_an_error():
  error = KeyError('the original')
  with pytest.raises(KeyError) as proxied:
    _fails_inside_gin(error)
  assert type(proxied.value) is not KeyError  # Gin's proxy subclass.
  assert gin_errors.strip_gin_proxies(proxied.value) is error
  with pytest.raises(KeyError) as raised:
    with gin_errors.original_errors():
      _fails_inside_gin(error)
  assert raised.value is error


def test_original_errors_leaves_other_errors_alone():
  error = ValueError('no gin here')
  with pytest.raises(ValueError) as raised:
    with gin_errors.original_errors():
      raise error
  assert raised.value is error
