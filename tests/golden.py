"""Access to the reference data of the original DDSP.

The data the tests compare against lives in the repository, in
`tests/golden_data/` (a compact copy of the original's `shared/` folder made
by `scripts/pack_golden.py`):

* `golden/<area>.json`: the cases of an area (core, synths, ...): call
  string, inputs, outputs, tolerances; verbatim copies.
* `golden/<area>.npz` + `golden/index.json`: the arrays of the area. Every
  original key (`<id>/in/<name>`, `<id>/out/<name>`) maps to a stored array;
  bit-identical arrays are stored once, byte-shuffled and deflated.
  `arrays(area)` gives them back under their original keys, bit-exact.
* a few small files used on their own (`COPIED`), e.g. the broken recordings
  of `audio/bad/`.

Items too large for the repository (`OUTSIDE`: the trained checkpoint, its
TFRecord, the recordings) stay in the folder named by `DDSP_GOLDEN_DIR`
(default `../shared/golden` beside the repository) and its sibling `audio/`.
Tests that need them carry `@pytest.mark.needs_shared(<item>)` (handled in
conftest.py) or call `require(<item>)`; without the item they skip and say
how to get it. Items are named by their path in `shared/`, for instance
`golden/solo_instrument/ckpt` or `audio/violin/violin_01_slow.wav`; `path()`
turns such a name into a file name.

Tests use this module to

* list the cases of an area (`cases(area)`) for parametrisation,
* get a case's input arrays (`inputs(area, case)`),
* evaluate simple call strings (`evaluate_doc(case, arrays)`),
* compare with the stored outputs within the case's tolerance
  (`assert_output_close`), with NaN/inf required at the same places,
* inject the fixed noise the original drew with `tf.random.uniform`
  (`fixed_uniform_noise`).
"""
import collections.abc
import contextlib
import functools
import json
import os
import re

import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The in-repository copy (mirrors the layout of shared/).
DATA_DIR = os.path.join(_REPO, 'tests', 'golden_data')
# The original's folders outside the repository.
GOLDEN_DIR = os.environ.get(
    'DDSP_GOLDEN_DIR',
    os.path.join(os.path.dirname(_REPO), 'shared', 'golden'))
SHARED_DIR = os.path.dirname(GOLDEN_DIR)
AUDIO_DIR = os.path.join(SHARED_DIR, 'audio')

AREAS = ('core', 'synths', 'effects', 'losses', 'processors', 'spectral_ops',
         'crepe', 'checkpoint')
INDEX = 'golden/index.json'

# Small files (or folders) of shared/ that the repository holds as they are.
COPIED = (
    'golden/checkpoint_variables.json',
    'golden/solo_instrument/source.wav',
    'golden/solo_instrument/ckpt/dataset_statistics.pkl',
    'audio/bad',
)

# Items only found outside the repository: what they are and their size.
SOLO_CKPT = 'golden/solo_instrument/ckpt'
SOLO_TFRECORD = 'golden/solo_instrument/train.tfrecord-00000-of-00001'
OUTSIDE = {
    SOLO_CKPT: ("the original's trained checkpoint", '58 MB'),
    SOLO_TFRECORD: ("the original's training TFRecord", '8.9 MB'),
    'audio/violin': ('the violin recordings', '14 MB'),
    'audio/flute': ('the flute recordings', '3.2 MB'),
    'audio/voice': ('the voice recording', '0.7 MB'),
    'audio/synth': ('the synthetic melodies', '0.7 MB'),
}


def _within(name, item):
  return name == item or name.startswith(item + '/')


def outside_path(name):
  """Where item `name` ('golden/...' or 'audio/...') is outside the repo."""
  top, _, rest = name.partition('/')
  base = {'golden': GOLDEN_DIR, 'audio': AUDIO_DIR}.get(top)
  if base is None:
    raise ValueError(f'{name!r}: items start with golden/ or audio/')
  return os.path.join(base, *rest.split('/')) if rest else base


def path(name):
  """File name of item `name`: the repository's copy, else the outside one.

  `name` is the item's path inside shared/, e.g.
  'golden/solo_instrument/ckpt/dataset_statistics.pkl' (in the repository)
  or 'golden/solo_instrument/ckpt' (outside).
  """
  if any(_within(name, item) for item in COPIED):
    return os.path.join(DATA_DIR, *name.split('/'))
  return outside_path(name)


def exists(name):
  return os.path.exists(path(name))


def missing_items(names):
  """The items of `names` that cannot be found (each once, in order)."""
  return [name for name in dict.fromkeys(names) if not exists(name)]


def missing_reason(names):
  """Why a test needing the missing items `names` cannot run, and the fix."""
  if isinstance(names, str):
    names = [names]
  parts, hows = [], []
  n_golden = sum(not name.startswith('audio/') for name in names)
  for name in names:
    what, size = 'the reference item', None
    for item, (description, item_size) in OUTSIDE.items():
      if _within(name, item):
        what, size = description, item_size
    detail = f'{size}, not in the repository' if size else (
        'not in the repository')
    parts.append(f'{what} {name} ({detail}; looked in {path(name)})')
    if name.startswith('audio/'):
      how = ('put the recordings in the audio/ folder beside '
             'DDSP_GOLDEN_DIR, or clone the repository next to shared/')
    else:
      how = ('set DDSP_GOLDEN_DIR to a folder holding '
             f"{'them' if n_golden > 1 else 'it'}, or clone the repository "
             'next to shared/')
    if how not in hows:
      hows.append(how)
  return f"needs {' and '.join(parts)}: {'; '.join(hows)}"


def require(*names):
  """Path of the (first) item; skips the calling test if any is missing."""
  missing = missing_items(names)
  if missing:
    import pytest  # pylint: disable=g-import-not-at-top
    pytest.skip(missing_reason(missing))
  return path(names[0])


def available():
  """True when the outside golden folder (checkpoint, TFRecord) exists."""
  return os.path.isdir(GOLDEN_DIR)


# ----------------------------------------------------------------------------
# Compact array storage (written by scripts/pack_golden.py).
# ----------------------------------------------------------------------------
def shuffle_bytes(x):
  """Stored form of an array: its bytes grouped by byte position.

  For multi-byte numbers, byte k of every element is stored before byte
  k + 1 of every element (as the shuffle filter of HDF5 does), which
  deflates much better than the plain layout. Returns a uint8 array
  [itemsize, size]; `unshuffle_bytes` restores the array bit-exactly.
  """
  x = np.ascontiguousarray(x)
  raw = np.frombuffer(x.tobytes(), np.uint8)
  return np.ascontiguousarray(raw.reshape(-1, x.dtype.itemsize).T)


def unshuffle_bytes(stored, dtype, shape):
  raw = np.ascontiguousarray(np.asarray(stored, np.uint8).T)
  return raw.view(np.dtype(dtype)).reshape(shape)


def decode_stored(stored, meta):
  """Array of a stored entry (`meta` from the index: dtype, shape, shuffle)."""
  shape = tuple(meta['shape'])
  if meta.get('shuffle'):
    return unshuffle_bytes(stored, meta['dtype'], shape)
  stored = np.asarray(stored)
  assert stored.dtype == np.dtype(meta['dtype']) and stored.shape == shape
  return stored


@functools.lru_cache(maxsize=None)
def read_index(data_dir):
  """The index of the packed golden data (cached; `read_index.cache_clear`)."""
  with open(os.path.join(data_dir, *INDEX.split('/'))) as f:
    return json.load(f)


class PackedArrays(collections.abc.Mapping):
  """The arrays of an area under their original keys (like an NpzFile).

  Keys iterate in the original order (`files` as for np.load). Every read
  returns a fresh copy, so a test may modify what it gets.
  """

  def __init__(self, npz_path, area_index):
    self._npz = np.load(npz_path, allow_pickle=False)
    self._stored = area_index['arrays']
    self._keys = area_index['keys']
    self._cache = {}

  @property
  def files(self):
    return list(self._keys)

  @property
  def n_stored(self):
    """Number of arrays stored (keys of equal arrays share one)."""
    return len(self._stored)

  def __getitem__(self, key):
    name = self._keys[key]
    if name not in self._cache:
      self._cache[name] = decode_stored(self._npz[name], self._stored[name])
    return self._cache[name].copy()

  def __iter__(self):
    return iter(self._keys)

  def __len__(self):
    return len(self._keys)

  def __contains__(self, key):
    return key in self._keys


def load_area_json(name, data_dir=DATA_DIR):
  with open(os.path.join(data_dir, 'golden', name + '.json')) as f:
    return json.load(f)


def load_area_arrays(name, data_dir=DATA_DIR):
  return PackedArrays(os.path.join(data_dir, 'golden', name + '.npz'),
                      read_index(data_dir)['areas'][name])


@functools.lru_cache(maxsize=None)
def area(name):
  """Parsed `<name>.json` of the golden data."""
  return load_area_json(name)


@functools.lru_cache(maxsize=None)
def arrays(name):
  """The arrays of area `name` by original key (lazy, cached)."""
  return load_area_arrays(name)


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
  statements = [substitute_inputs(s) for s in doc_statements(case)]
  env = dict(namespace)
  env['__in__'] = arrays_by_name
  for stmt in statements[:-1]:
    exec(stmt, env)  # pylint: disable=exec-used
  return eval(statements[-1], env)  # pylint: disable=eval-used


def substitute_inputs(code):
  """`<in/x>` -> `__in__['x']`, the input `x` in `evaluate_doc`'s namespace."""
  return _IN_REF.sub(lambda m: f'__in__[{m.group(1)!r}]', code)


def doc_statements(case):
  """The statements of a case's call string, without its comment."""
  doc = case['doc'].split('  #')[0].strip()
  return [s.strip() for s in split_statements(doc) if s.strip()]


def split_statements(code):
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
