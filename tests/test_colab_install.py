"""The notebooks install this project in Colab, never the original ddsp.

The repository URL lives in setup.py (`url=`); each notebook's first code
cell repeats it as the default of a Colab form field (`REPO_URL`), installs
from it, and sets TF_USE_LEGACY_KERAS before TensorFlow is imported.
"""
import ast
import glob
import os
import re
import shlex

import nbformat
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(REPO, 'colab', '**', '*.ipynb'),
                             recursive=True))

# A line that runs pip's install command (`!pip`, `%pip`, `pip3`,
# `python -m pip`, or inside a subprocess call).
_PIP_INSTALL = re.compile(r'\bpip3?\b.*\binstall\b')
# The original's distribution name as a requirement: ddsp, ddsp==3.7.0,
# ddsp[data_preparation], ddsp>=3 (but not ddsp-modern or a path).
_BARE_DDSP = re.compile(r'^ddsp\s*(\[[^\]]*\])?\s*([=<>!~].*)?$', re.I)
_FORM_FIELD = re.compile(
    r'''^REPO_URL\s*=\s*(['"])(?P<url>[^'"]+)\1\s*'''
    r'''#@param\s*\{type:\s*["']string["']\}\s*$''', re.M)
_SET_LEGACY = re.compile(
    r'''^os\.environ\[(['"])TF_USE_LEGACY_KERAS\1\]\s*=\s*(['"])1\2''')
_TF_OR_DDSP_IMPORT = re.compile(
    r'^\s*(import|from)\s+(tensorflow|ddsp)(\.|\s|$)')


def _setup_keywords():
  """The literal keyword arguments of setup() in setup.py."""
  with open(os.path.join(REPO, 'setup.py')) as f:
    tree = ast.parse(f.read())
  for node in ast.walk(tree):
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == 'setup'):
      return {k.arg: k.value.value for k in node.keywords
              if isinstance(k.value, ast.Constant)}
  raise AssertionError('no setuptools.setup(...) call in setup.py')


def _code_cells(path):
  nb = nbformat.read(path, as_version=4)
  return [c.source for c in nb.cells if c.cell_type == 'code']


def _install_problems(source):
  """Lines of `source` installing the original ddsp, with the reason."""
  problems = []
  for line in source.splitlines():
    if not _PIP_INSTALL.search(line):
      continue
    if 'magenta/ddsp' in line:
      problems.append((line, 'installs magenta/ddsp'))
      continue
    try:
      words = shlex.split(line.split('#', 1)[0].lstrip('!%'))
    except ValueError:
      words = line.split()
    for word in words:
      if _BARE_DDSP.match(word.strip('\'",')):
        problems.append((line, f'installs {word!r} from the package index'))
  return problems


def test_all_notebooks_found():
  assert len(NOTEBOOKS) == 7, NOTEBOOKS


def test_setup_names_this_project():
  kwargs = _setup_keywords()
  assert kwargs['name'] == 'ddsp-modern'
  assert kwargs['url'].startswith('https://')
  assert 'magenta/ddsp' not in kwargs['url']


@pytest.mark.parametrize('line', [
    '!pip install ddsp',
    '!pip install -q ddsp',
    '%pip install -q ddsp==3.7.0',
    'pip install "ddsp[data_preparation]"',
    '!pip install -q git+https://github.com/magenta/ddsp',
    "subprocess.run(['pip', 'install', 'ddsp>=3'])",
])
def test_checker_flags_the_original(line):
  assert _install_problems(line)


@pytest.mark.parametrize('line', [
    '!pip install -q "git+{REPO_URL}"',
    '!pip install -e .',
    '!pip install ddsp-modern',
    'import ddsp',
])
def test_checker_accepts_this_project(line):
  assert not _install_problems(line)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_notebook_does_not_install_the_original(path):
  problems = [p for src in _code_cells(path) for p in _install_problems(src)]
  assert not problems, problems


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_install_cell_defaults_to_setup_url(path):
  first = _code_cells(path)[0]
  fields = list(_FORM_FIELD.finditer(first))
  assert len(fields) == 1, 'first code cell needs one REPO_URL form field'
  assert fields[0].group('url') == _setup_keywords()['url']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_install_cell_installs_repo_url_in_colab(path):
  first = _code_cells(path)[0]
  assert "if 'google.colab' in sys.modules:" in first
  installs = [l for l in first.splitlines() if _PIP_INSTALL.search(l)]
  assert len(installs) == 1, installs
  assert re.search(r'''["']?git\+\{REPO_URL\}["']?''', installs[0])
  # Only in Colab: the install is indented under the Colab check.
  assert installs[0].startswith((' ', '\t'))


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_legacy_keras_set_before_tensorflow_import(path):
  set_at = import_at = None
  for i, src in enumerate(_code_cells(path)):
    for j, line in enumerate(src.splitlines()):
      if set_at is None and _SET_LEGACY.match(line):
        set_at = (i, j)
      if import_at is None and _TF_OR_DDSP_IMPORT.match(line):
        import_at = (i, j)
  assert set_at is not None, 'TF_USE_LEGACY_KERAS=1 is never set (top level)'
  assert import_at is not None, 'no tensorflow/ddsp import found'
  assert set_at < import_at, (set_at, import_at)
