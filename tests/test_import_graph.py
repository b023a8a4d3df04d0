"""The modules of ddsp import each other one way: no cycles, layers respected.

The graph is read from the source (every `import` statement, including the
ones inside functions), with the repository folders mapped to their package
names as setup.py installs them. An edge `a -> b` means module `a` imports
module `b` (the most specific module named: `from ddsp.training import nn`
is an edge to `ddsp.training.nn`).
"""
import package_tree
import pytest

MODULES = package_tree.package_modules()


def _imported(module, path):
  """Names of the package's modules that `module` imports anywhere."""
  targets = set()
  for base, name in package_tree.import_statements(module, path):
    # The most specific module of the package that the statement names.
    for candidate in ([f'{base}.{name}'] if name else []) + [base]:
      while candidate and candidate not in MODULES:
        candidate = candidate.rpartition('.')[0]
      if candidate:
        break
    if candidate and candidate != module:
      targets.add(candidate)
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


# The training loop: what runs `ddsp_run`, not what builds or restores a
# model. Playing a trained model needs none of it.
TRAINING_LOOP = (
    'ddsp.training.cloud', 'ddsp.training.ddsp_run', 'ddsp.training.eval_util',
    'ddsp.training.evaluators', 'ddsp.training.gin_setup',
    'ddsp.training.harmonic_warmup', 'ddsp.training.health',
    'ddsp.training.run_modes', 'ddsp.training.summaries',
    'ddsp.training.time_budget', 'ddsp.training.train_util',
    'ddsp.training.trainers')
PLAYBACK = 'ddsp.training.playback'
# Live playing: the same layer as playback (it plays through it).
LIVE = 'ddsp.training.live'
# Apps built on playback (DDSP Studio): they may take anything from
# playback, and run training only as a subprocess (`python -m ...`).
APPS = ('ddsp.training.studio',)
# What the rest of ddsp.training may take from playback: the DDSP-VST
# contract, which the export checks against.
PLAYBACK_USED_BY_TRAINING = ('ddsp.training.playback.vst_contract',)


def _reachable(graph, module):
  """Every module `module` imports, directly or through others."""
  seen, todo = set(), [module]
  while todo:
    for target in graph.get(todo.pop(), ()):
      if target not in seen:
        seen.add(target)
        todo.append(target)
  return seen


def test_reachable_follows_imports_through_other_modules():
  graph = {'a': {'b'}, 'b': {'c'}, 'c': set(), 'd': {'a'}}
  assert _reachable(graph, 'a') == {'b', 'c'}
  assert _reachable(graph, 'c') == set()


def test_training_loop_modules_exist():
  assert set(TRAINING_LOOP) <= set(MODULES)


@pytest.mark.parametrize(
    'module', sorted(m for m in MODULES
                     if m.startswith((PLAYBACK, LIVE) + APPS)))
def test_playback_never_imports_the_training_loop(module):
  """Not directly, not through inference, models or checkpoints."""
  loop = sorted(_reachable(_graph(), module) & set(TRAINING_LOOP))
  assert not loop, f'{module} imports the training loop: {loop}'


@pytest.mark.parametrize(
    'module', sorted(m for m in MODULES if m.startswith('ddsp.training') and
                     not m.startswith((PLAYBACK, LIVE) + APPS)))
def test_training_takes_only_the_vst_contract_from_playback(module):
  taken = sorted(t for t in _imported(module, MODULES[module])
                 if t.startswith(PLAYBACK) and
                 t not in PLAYBACK_USED_BY_TRAINING)
  assert not taken, f'{module} imports playback modules: {taken}'


@pytest.mark.parametrize(
    'module', sorted(m for m in MODULES if not m.startswith(APPS)))
def test_nothing_imports_the_apps(module):
  taken = sorted(t for t in _imported(module, MODULES[module])
                 if t.startswith(APPS))
  assert not taken, f'{module} imports an app: {taken}'
