"""The modules of ddsp import each other one way: no cycles, layers respected.

The graph is read from the source (every `import` statement, including the
ones inside functions), with the repository folders mapped to their package
names as setup.py installs them. An edge `a -> b` means module `a` imports
module `b` (the most specific module named: `from ddsp.training import nn`
is an edge to `ddsp.training.nn`).
"""
import ast
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Repository folder -> package name (as in setup.py).
FOLDERS = {
    'ddsp': 'ddsp',
    'training': 'ddsp.training',
    'data_preparation': 'ddsp.training.data_preparation',
    'colab': 'ddsp.colab',
}


def _modules():
  """{module name: source path} of every module of the package."""
  found = {}
  for folder, package in FOLDERS.items():
    root = os.path.join(REPO, folder)
    for dirpath, dirnames, filenames in os.walk(root):
      dirnames[:] = [d for d in dirnames if not d.startswith(('.', '_'))]
      rel = os.path.relpath(dirpath, root)
      prefix = package if rel == '.' else (
          package + '.' + rel.replace(os.sep, '.'))
      for f in filenames:
        if not f.endswith('.py'):
          continue
        name = prefix if f == '__init__.py' else f'{prefix}.{f[:-3]}'
        found[name] = os.path.join(dirpath, f)
  return found


MODULES = _modules()


def _package_of(module, path):
  return module if path.endswith('__init__.py') else module.rpartition('.')[0]


def _imported(module, path):
  """Names of the package's modules that `module` imports anywhere."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  targets = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ''
      if node.level:
        parts = _package_of(module, path).split('.')
        parts = parts[:len(parts) - node.level + 1]
        base = '.'.join(parts + ([base] if base else []))
      names = [f'{base}.{alias.name}' for alias in node.names] + [base]
    else:
      continue
    for name in names:
      # The most specific module of the package that the name denotes.
      while name and name not in MODULES:
        name = name.rpartition('.')[0]
      if name and name != module:
        targets.add(name)
        break
  return targets


def _graph():
  return {m: _imported(m, p) for m, p in MODULES.items()}


def _cycles(graph):
  """Strongly connected components with more than one module (Tarjan)."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []
  counter = [0]

  def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on_stack.add(v)
    for w in sorted(graph.get(v, ())):
      if w not in index:
        visit(w)
        low[v] = min(low[v], low[w])
      elif w in on_stack:
        low[v] = min(low[v], index[w])
    if low[v] == index[v]:
      component = []
      while True:
        w = stack.pop()
        on_stack.discard(w)
        component.append(w)
        if w == v:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for v in sorted(graph):
    if v not in index:
      visit(v)
  return found


def test_the_graph_covers_the_package():
  graph = _graph()
  assert len(graph) > 50
  assert 'ddsp.spectral_ops' in graph['ddsp.training.nn'] or (
      'ddsp.core' in graph['ddsp.training.nn'])


def test_cycle_finder_finds_a_cycle():
  assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [
      ['a', 'b', 'c']]
  assert not _cycles({'a': {'b'}, 'b': {'c'}, 'c': set()})


def test_no_import_cycles():
  cycles = _cycles(_graph())
  assert not cycles, 'import cycles: ' + '; '.join(
      ' <-> '.join(c) for c in cycles)


def _layer(module):
  """0 core DSP and spectral ops, 1 features, 2 training and data
  preparation, 3 colab."""
  if module.startswith('ddsp.colab'):
    return 3
  if module.startswith('ddsp.training'):
    return 2
  if module.startswith('ddsp.features'):
    return 1
  return 0


@pytest.mark.parametrize('module', sorted(MODULES))
def test_imports_point_one_way(module):
  """core -> spectral ops -> features -> training, data preparation, colab."""
  upward = [target for target in _imported(module, MODULES[module])
            if _layer(target) > _layer(module)]
  assert not upward, f'{module} imports higher layers: {upward}'
