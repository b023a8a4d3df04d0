"""Access to the reference data of the original DDSP (../shared/golden).

Each area (core, synths, ...) has `<area>.json` (cases: call string, inputs,
outputs, tolerances) and `<area>.npz` (arrays under `<id>/in/<name>` and
`<id>/out/<name>`). Tests use this module to

* list the cases of an area (`cases(area)`) for parametrisation,
* get a case's input arrays (`inputs(area, case)`),
* evaluate simple call strings (`evaluate_doc(case, arrays)`),
* compare with the stored outputs within the case's tolerance
  (`assert_output_close`), with NaN/inf required at the same places,
* inject the fixed noise the original drew with `tf.random.uniform`
  (`fixed_uniform_noise`).
"""
import contextlib
import functools
import json
import os
import re

import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN_DIR = os.environ.get(
    'DDSP_GOLDEN_DIR',
    os.path.join(os.path.dirname(_REPO), 'shared', 'golden'))
SHARED_DIR = os.path.dirname(GOLDEN_DIR)
AUDIO_DIR = os.path.join(SHARED_DIR, 'audio')


def available():
  return os.path.isdir(GOLDEN_DIR)


@functools.lru_cache(maxsize=None)
def area(name):
  """Parsed `<name>.json` of the golden folder."""
  with open(os.path.join(GOLDEN_DIR, name + '.json')) as f:
    return json.load(f)


@functools.lru_cache(maxsize=None)
def arrays(name):
  """Loaded `<name>.npz` (lazy NpzFile, cached)."""
  return np.load(os.path.join(GOLDEN_DIR, name + '.npz'), allow_pickle=False)


def cases(name, predicate=None):
  """All cases of an area, optionally filtered by `predicate(case)`."""
  found = area(name)['cases']
  return [c for c in found if predicate is None or predicate(c)]


def case_ids(name, predicate=None):
  return [c['id'] for c in cases(name, predicate)]


def get_case(name, case_id):
  for c in area(name)['cases']:
    if c['id'] == case_id:
      return c
  raise KeyError(f'No golden case {case_id!r} in {name}.json')


def inputs(name, case):
  """{input name: np.ndarray} for a case (noise inputs included)."""
  npz = arrays(name)
  return {i['name']: npz[i['key']] for i in case['inputs']}


def noise_inputs(case, arrays_by_name):
  """Fixed-noise arrays of a case, in the order they were drawn."""
  return [arrays_by_name[i['name']] for i in case['inputs']
          if i.get('role') == 'fixed noise']


def expected(name, case):
  """[(output spec, reference array)] of a case."""
  npz = arrays(name)
  return [(o, npz[o['key']]) for o in case['outputs']]


def flatten(value, prefix=''):
  """Flattens nested dicts with '/' like the golden output names."""
  if isinstance(value, dict):
    flat = {}
    for k, v in value.items():
      flat.update(flatten(v, f'{prefix}{k}/'))
    return flat
  return {prefix[:-1]: value}


def to_numpy(x):
  if hasattr(x, 'numpy'):
    x = x.numpy()
  return np.asarray(x)


def assert_output_close(mine, spec, ref, mask=None):
  """Checks `mine` against a stored output within the case tolerance.

  |mine - ref| <= atol + rtol * |ref| elementwise, shapes equal, NaN and inf
  at the same positions. `mask` (bool, broadcastable) limits the comparison.
  """
  mine = to_numpy(mine)
  ref = np.asarray(ref)
  key = spec['key']
  assert mine.shape == ref.shape, (
      f'{key}: shape {mine.shape} != reference {ref.shape}')
  if np.iscomplexobj(ref):
    mine_parts = [mine.real, mine.imag]
    ref_parts = [ref.real, ref.imag]
  else:
    mine_parts, ref_parts = [mine], [ref]
  for m, r in zip(mine_parts, ref_parts):
    m = m.astype(np.float64)
    r = r.astype(np.float64)
    if mask is not None:
      m = m[np.broadcast_to(mask, m.shape)]
      r = r[np.broadcast_to(mask, r.shape)]
    np.testing.assert_array_equal(np.isnan(m), np.isnan(r),
                                  err_msg=f'{key}: NaN positions differ')
    np.testing.assert_array_equal(np.isposinf(m), np.isposinf(r),
                                  err_msg=f'{key}: +inf positions differ')
    np.testing.assert_array_equal(np.isneginf(m), np.isneginf(r),
                                  err_msg=f'{key}: -inf positions differ')
    finite = np.isfinite(r)
    np.testing.assert_allclose(
        m[finite], r[finite], rtol=spec.get('rtol', 1e-5),
        atol=spec.get('atol', 1e-6), err_msg=f'{key} (case tolerance)')


_IN_REF = re.compile(r'<in/([A-Za-z0-9_]+)>')


def evaluate_doc(case, arrays_by_name, namespace):
  """Runs a case's call string and returns the value of its last statement.

  Handles the two machine-readable forms of the manifests:
    `pkg.fn(a=<in/a>, b=3)` and
    `obj = pkg.Cls(...); obj.method(<in/x>, ...)  # comment`.
  `<in/x>` becomes the input array `x` (as float32/np array). The namespace
  must provide the top-level package names used (e.g. {'ddsp': ddsp}).
  """
  doc = case['doc'].split('  #')[0].strip()
  code = _IN_REF.sub(lambda m: f'__in__[{m.group(1)!r}]', doc)
  env = dict(namespace)
  env['__in__'] = arrays_by_name
  statements = [s.strip() for s in _split_statements(code) if s.strip()]
  for stmt in statements[:-1]:
    exec(stmt, env)  # pylint: disable=exec-used
  return eval(statements[-1], env)  # pylint: disable=eval-used


def _split_statements(code):
  """Splits on ';' outside brackets and quotes."""
  parts, depth, quote, start = [], 0, None, 0
  for i, ch in enumerate(code):
    if quote:
      if ch == quote:
        quote = None
    elif ch in '\'"':
      quote = ch
    elif ch in '([{':
      depth += 1
    elif ch in ')]}':
      depth -= 1
    elif ch == ';' and depth == 0:
      parts.append(code[start:i])
      start = i + 1
  parts.append(code[start:])
  return parts


@contextlib.contextmanager
def fixed_uniform_noise(noises):
  """Makes `tf.random.uniform` return the given arrays, in call order.

  The original drew noise with `tf.random.uniform(shape, minval, maxval)`;
  the golden data stores what each draw returned. Shapes must match the
  requested shape, so a wrong draw order fails loudly.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  original = tf.random.uniform
  queue = list(noises)

  def fake_uniform(shape, *args, **kwargs):
    del args, kwargs
    if not queue:
      raise AssertionError('More tf.random.uniform draws than golden noise.')
    value = np.asarray(queue.pop(0), np.float32)
    want = [int(s) for s in (shape.numpy() if hasattr(shape, 'numpy')
                             else shape)]
    assert list(value.shape) == want, (
        f'noise draw shape {want} != golden noise {list(value.shape)}')
    return tf.constant(value)

  tf.random.uniform = fake_uniform
  try:
    yield
  finally:
    tf.random.uniform = original
