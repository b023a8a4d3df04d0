"""Golden tests of ddsp.core: every case of the `core` area of the reference.

Each case runs the call string of the original (`golden.evaluate_doc`) with
its stored inputs and compares every output within the case tolerance.
Cases whose call string is prose rather than code (a list comprehension, a
gradient, a numpy call) have a small adapter below that performs exactly the
call the string describes; "raises" cases must raise the same exception type
with the same message.
"""
import ast
import re

import ddsp
from ddsp import core
import golden
import numpy as np
import pytest
import tensorflow as tf

AREA = 'core'
NAMESPACE = {'ddsp': ddsp, 'np': np, 'tf': tf, 'tensorflow': tf}


def _is_raises(case):
  return bool(case.get('raises'))


def _is_json(case):
  return case.get('json_result') is not None and not _is_raises(case)


def _is_array(case):
  return not _is_raises(case) and not _is_json(case)


# ------------------------------------------------------------------------------
# Adapters for cases whose call string is not directly executable.
# ------------------------------------------------------------------------------
def _run_amplitude_to_db_numpy(case, arrays):
  # "ddsp.core.amplitude_to_db(amplitude=<in/amplitude> (numpy array), ...)":
  # the numpy path must accept and return numpy.
  kwargs = dict(case['params'])
  result = core.amplitude_to_db(amplitude=arrays['amplitude'], **kwargs)
  assert isinstance(result, np.ndarray)
  return [result]


def _run_gradient_reversal(case, arrays):
  # "y = gradient_reversal(x); dloss_dx = d(sum(y * w))/dx".
  del case
  x = tf.constant(arrays['x'])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = core.gradient_reversal(x=x)
    loss = tf.reduce_sum(y * arrays['w'])
  return [y, tape.gradient(loss, x)]


ARRAY_ADAPTERS = {
    'amplitude_to_db_numpy': _run_amplitude_to_db_numpy,
    'gradient_reversal': _run_gradient_reversal,
}


def _json_get_fft_size(case):
  spec = case['json_result']
  return {'args': spec['args'],
          'results': [core.get_fft_size(frame_size=f, ir_size=i, power_of_2=p)
                      for f, i, p in spec['args']]}


def _json_make_iterable(case):
  # "ddsp.core.make_iterable(x) for x in [None, 3, [1, 2], (4,)]".
  values = ast.literal_eval(case['doc'].split(' for x in ')[1].strip())
  return [list(core.make_iterable(x)) for x in values]


_TF_FLOAT32_EXAMPLES = {
    'np.float64 array': lambda: np.arange(3, dtype=np.float64),
    'int list': lambda: [1, 2, 3],
    'tf.int32 tensor': lambda: tf.constant([1, 2, 3], tf.int32),
}


def _json_tf_float32(case):
  # "ddsp.core.tf_float32(x).dtype for x in [np.float64 array, int list, ...]".
  names = case['doc'].split(' for x in ')[1].strip()[1:-1].split(', ')
  return [core.tf_float32(_TF_FLOAT32_EXAMPLES[n]()).dtype.name for n in names]


JSON_ADAPTERS = {
    'get_fft_size': _json_get_fft_size,
    'make_iterable': _json_make_iterable,
    'tf_float32': _json_tf_float32,
}


def _jsonable(value):
  """Nested lists/dicts of python scalars (numpy ints -> int)."""
  if isinstance(value, dict):
    return {k: _jsonable(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_jsonable(v) for v in value]
  if isinstance(value, np.generic):
    return value.item()
  return value


_PLACEHOLDER = re.compile(r'<float32 \[([0-9, ]*)\]>')


def _placeholder_doc(case):
  """Call string with `<float32 [shape]>` replaced by random arrays."""
  def array_code(match):
    shape = [int(s) for s in match.group(1).split(',') if s.strip()]
    return f'__rng__.uniform(-1.0, 1.0, {shape}).astype(np.float32)'
  return _PLACEHOLDER.sub(array_code, case['doc'])


# ------------------------------------------------------------------------------
# Tests.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('case_id', golden.case_ids(AREA, _is_array))
def test_array_case_matches_reference(case_id):
  case = golden.get_case(AREA, case_id)
  arrays = golden.inputs(AREA, case)
  if case_id in ARRAY_ADAPTERS:
    outputs = ARRAY_ADAPTERS[case_id](case, arrays)
  else:
    outputs = golden.evaluate_doc(case, arrays, NAMESPACE)
    if isinstance(outputs, dict):
      outputs = list(golden.flatten(outputs).values())
    elif not isinstance(outputs, (tuple, list)):
      outputs = [outputs]
  expected = golden.expected(AREA, case)
  assert len(outputs) == len(expected)
  for mine, (spec, ref) in zip(outputs, expected):
    golden.assert_output_close(mine, spec, ref)


@pytest.mark.parametrize('case_id', golden.case_ids(AREA, _is_json))
def test_json_case_matches_reference(case_id):
  case = golden.get_case(AREA, case_id)
  if case_id in JSON_ADAPTERS:
    result = JSON_ADAPTERS[case_id](case)
  else:
    result = golden.evaluate_doc(case, {}, NAMESPACE)
  assert _jsonable(result) == case['json_result']


@pytest.mark.parametrize('case_id', golden.case_ids(AREA, _is_raises))
def test_raises_case_matches_reference(case_id):
  case = golden.get_case(AREA, case_id)
  exc_name, message = case['raises'].split(': ', 1)
  exc_type = {'ValueError': ValueError, 'KeyError': KeyError}[exc_name]
  doc_case = dict(case, doc=_placeholder_doc(case))
  namespace = dict(NAMESPACE, __rng__=np.random.RandomState(0))
  with pytest.raises(exc_type) as info:
    golden.evaluate_doc(doc_case, {}, namespace)
  assert str(info.value) == message


def test_every_case_is_covered():
  """No golden case falls through the three parametrised tests."""
  n_cases = len(golden.case_ids(AREA))
  n_covered = sum(len(golden.case_ids(AREA, p))
                  for p in (_is_array, _is_json, _is_raises))
  assert n_covered == n_cases == len(golden.area(AREA)['cases'])
