"""docs/architecture.md stays true to the tree.

Specification: the "Who owns what" table has one row per module of the
package (every `.py` file of ddsp/, training/, data_preparation/ and
colab/ but `__init__.py`), and names no file that does not exist.
"""
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, 'docs', 'architecture.md')
PACKAGE_FOLDERS = ('ddsp', 'training', 'data_preparation', 'colab')


def _modules():
  """Repository paths of the package's modules (no __init__.py)."""
  found = set()
  for folder in PACKAGE_FOLDERS:
    for root, _, files in os.walk(os.path.join(REPO, folder)):
      for name in files:
        if name.endswith('.py') and name != '__init__.py':
          found.add(os.path.relpath(os.path.join(root, name), REPO))
  return found


def _table_paths(text):
  """Paths in the first cell of the table rows of "Who owns what"."""
  section = text.split('## Who owns what', 1)[1].split('\n## ', 1)[0]
  paths = set()
  for line in section.splitlines():
    if line.startswith('| `'):
      first_cell = line.split('|')[1]
      paths.update(re.findall(r'`([\w/]+\.py)`', first_cell))
  return paths


def test_table_reader_reads_first_cells_only():
  text = ('## Who owns what\n| module | owns |\n|---|---|\n'
          '| `a/b.py` | uses `c/d.py` |\n\n## Next\n| `e/f.py` | x |\n')
  assert _table_paths(text) == {'a/b.py'}


@pytest.mark.parametrize('module', sorted(_modules()))
def test_every_module_has_a_row(module):
  with open(DOC) as f:
    assert module in _table_paths(f.read())


def test_every_row_names_a_module_of_the_tree():
  with open(DOC) as f:
    missing = sorted(_table_paths(f.read()) - _modules())
  assert not missing, f'rows for files that do not exist: {missing}'
