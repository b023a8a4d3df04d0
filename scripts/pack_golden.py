"""Packs the original's reference data into tests/golden_data/ and checks it.

  python scripts/pack_golden.py                    # from $DDSP_GOLDEN_DIR or
                                                   # ../shared/golden
  python scripts/pack_golden.py --source DIR       # another golden folder
  python scripts/pack_golden.py --check            # only verify the copy

What is written (layout of shared/, see tests/golden.py):

* `golden/<area>.json`: verbatim copies.
* `golden/<area>.npz`: the distinct arrays of the area's npz, each stored
  once under the first key that holds it, byte-shuffled (multi-byte numbers)
  and deflated at level 9. The zip entries carry a fixed date, so packing
  the same data again gives the same bytes.
* `golden/index.json`: per area, every original key (in the original
  order) -> its stored array, and dtype/shape of the stored arrays.
* the small files of `golden.COPIED` (e.g. audio/bad/), byte for byte.

After writing, everything is read back through tests/golden.py and compared
with the source bit-exactly: same keys in the same order, same dtype, shape
and bytes of every array, same bytes of every JSON and copied file. Exits
non-zero on any difference.
"""
import argparse
import filecmp
import hashlib
import io
import json
import os
import shutil
import sys
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests'))
import golden  # pylint: disable=g-import-not-at-top,wrong-import-position

FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _digest(x):
  return (x.dtype.str, x.shape, hashlib.sha256(x.tobytes()).hexdigest())


def _stored_form(x):
  """(array to store, index entry) of a distinct array."""
  if not (x.flags.c_contiguous or x.ndim < 2):
    raise ValueError('only C-ordered arrays are supported')
  meta = {'dtype': x.dtype.str, 'shape': list(x.shape)}
  if x.dtype.kind in 'biufc' and x.dtype.itemsize > 1:
    meta['shuffle'] = True
    return golden.shuffle_bytes(x), meta
  return x, meta


def _write_npz(path, named_arrays):
  """np.savez_compressed-compatible file with fixed dates, level 9."""
  tmp = path + '.tmp'
  with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as zf:
    for name, arr in named_arrays:
      buf = io.BytesIO()
      np.lib.format.write_array(buf, np.ascontiguousarray(arr),
                                allow_pickle=False)
      info = zipfile.ZipInfo(name + '.npy', date_time=FIXED_DATE)
      info.compress_type = zipfile.ZIP_DEFLATED
      info.external_attr = 0o644 << 16
      zf.writestr(info, buf.getvalue(), compresslevel=9)
  os.replace(tmp, path)


def pack_area(area, source, dest_golden):
  """Writes `<area>.json` and `<area>.npz`; returns the area's index."""
  shutil.copyfile(os.path.join(source, area + '.json'),
                  os.path.join(dest_golden, area + '.json'))
  keys, stored, meta_by_name, seen = {}, [], {}, {}
  with np.load(os.path.join(source, area + '.npz'),
               allow_pickle=False) as npz:
    for key in npz.files:
      x = npz[key]
      digest = _digest(x)
      if digest not in seen:
        seen[digest] = key
        arr, meta = _stored_form(x)
        stored.append((key, arr))
        meta_by_name[key] = meta
      keys[key] = seen[digest]
  _write_npz(os.path.join(dest_golden, area + '.npz'), stored)
  return {'arrays': meta_by_name, 'keys': keys}


def _copy_item(name, source_shared, dest):
  """Copies item `name` of shared/ (file or folder); returns files copied."""
  src = os.path.join(source_shared, *name.split('/'))
  dst = os.path.join(dest, *name.split('/'))
  if os.path.isdir(src):
    copied = []
    for entry in sorted(os.listdir(src)):
      copied += _copy_item(f'{name}/{entry}', source_shared, dest)
    return copied
  os.makedirs(os.path.dirname(dst), exist_ok=True)
  shutil.copyfile(src, dst)
  os.chmod(dst, 0o644)
  return [name]


def _files_of(name, root):
  top = os.path.join(root, *name.split('/'))
  if not os.path.isdir(top):
    return [name]
  found = []
  for entry in sorted(os.listdir(top)):
    found += _files_of(f'{name}/{entry}', root)
  return found


def pack(source, dest):
  source_shared = os.path.dirname(source)
  dest_golden = os.path.join(dest, 'golden')
  os.makedirs(dest_golden, exist_ok=True)
  index = {
      'about': 'Maps every key of the original <area>.npz to the array '
               'stored for it in <area>.npz here (written by '
               'scripts/pack_golden.py; read by tests/golden.py).',
      'areas': {},
  }
  for area in golden.AREAS:
    index['areas'][area] = pack_area(area, source, dest_golden)
  with open(os.path.join(dest, *golden.INDEX.split('/')), 'w') as f:
    f.write(_dump(index) + '\n')
  for name in golden.COPIED:
    _copy_item(name, source_shared, dest)


def _dump(value, depth=0):
  """JSON with one line per entry of the index's innermost dicts."""
  if not isinstance(value, dict) or depth == 4:
    return json.dumps(value)
  pad = ' ' * (depth + 1)
  items = [f'{pad}{json.dumps(k)}: {_dump(v, depth + 1)}'
           for k, v in value.items()]
  return '{\n' + ',\n'.join(items) + '\n' + ' ' * depth + '}'


def _same_array(a, b):
  return (a.dtype == b.dtype and a.shape == b.shape and
          a.tobytes() == b.tobytes())


def check(source, dest):
  """Compares the packed copy with the source; returns a list of problems."""
  problems = []
  source_shared = os.path.dirname(source)
  golden.read_index.cache_clear()
  expected_files = {golden.INDEX, 'README.md'}
  raw_bytes = stored_bytes = n_keys = n_stored = 0
  for area in golden.AREAS:
    expected_files |= {f'golden/{area}.json', f'golden/{area}.npz'}
    json_src = os.path.join(source, area + '.json')
    json_dst = os.path.join(dest, 'golden', area + '.json')
    if not filecmp.cmp(json_src, json_dst, shallow=False):
      problems.append(f'{area}.json differs from the source')
    if not golden.load_area_json(area, dest).get('cases'):
      problems.append(f'{area}.json has no cases')
    packed = golden.load_area_arrays(area, dest)
    with np.load(os.path.join(source, area + '.npz'),
                 allow_pickle=False) as npz:
      if list(packed.files) != list(npz.files) or list(packed) != npz.files:
        problems.append(f'{area}: keys or key order differ')
      for key in npz.files:
        ref = npz[key]
        raw_bytes += ref.nbytes
        n_keys += 1
        if key not in packed:
          problems.append(f'{area}: {key} missing')
          continue
        mine = packed[key]
        if not _same_array(mine, ref):
          problems.append(f'{area}: {key} is not bit-identical')
    n_stored += packed.n_stored
    stored_bytes += os.path.getsize(
        os.path.join(dest, 'golden', area + '.npz'))
  for name in golden.COPIED:
    for rel in _files_of(name, source_shared):
      expected_files.add(rel)
      mine = os.path.join(dest, *rel.split('/'))
      if not os.path.isfile(mine) or not filecmp.cmp(
          os.path.join(source_shared, *rel.split('/')), mine, shallow=False):
        problems.append(f'{rel}: copy missing or different')
  present = set()
  for root, _, files in os.walk(dest):
    for name in files:
      present.add(os.path.relpath(os.path.join(root, name), dest).replace(
          os.sep, '/'))
  for stale in sorted(present - expected_files):
    problems.append(f'{stale}: not produced by this script (stale?)')
  print(f'{n_keys} keys, {raw_bytes / 1e6:.1f} MB of arrays in the source; '
        f'{n_stored} distinct arrays in {stored_bytes / 1e6:.1f} MB of npz.')
  return problems


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--source', default=golden.GOLDEN_DIR,
                      help='golden folder of the original (default: '
                      '%(default)s); its sibling audio/ is used too')
  parser.add_argument('--dest', default=golden.DATA_DIR,
                      help='output folder (default: %(default)s)')
  parser.add_argument('--check', action='store_true',
                      help='only compare an existing copy with the source')
  args = parser.parse_args()
  source = os.path.abspath(args.source)
  if not os.path.isdir(source):
    sys.exit(f'No golden folder at {source} (use --source).')
  if not args.check:
    pack(source, args.dest)
  problems = check(source, args.dest)
  for problem in problems:
    print('PROBLEM:', problem)
  if problems:
    sys.exit(1)
  print(f'{args.dest}: round trip bit-exact.')


if __name__ == '__main__':
  main()
