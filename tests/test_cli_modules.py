"""The console scripts are thin: flags and main, the work in libraries.

* every console-script module (read from setup.py) is short and can be
  imported next to the others, each keeping its own flag defaults;
* no module of the package imports a console-script module or anything
  defined in one, and only the scripts (and `command_flags`, which joins a
  script's flags to absl's) import absl flags;
* the original's names under the scripts' import paths are the library's
  objects, re-exported.
"""
import ast
import json
import os
import subprocess
import sys

import package_tree
import pytest

REPO = package_tree.REPO
MAX_LINES = 150
FLAG_SUPPORT_MODULE = 'ddsp.training.command_flags'


CLI_MODULES = tuple(sorted(package_tree.console_scripts().values()))


def _defined_names(path):
  """Functions and classes a module defines at its top level."""
  return {node.name for node in package_tree.parse(path).body
          if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef))}


# ---------------------------------------------------------------------------
# Thin command lines.
# ---------------------------------------------------------------------------
def test_setup_lists_the_console_scripts():
  assert set(package_tree.console_scripts()) == {
      'ddsp_export', 'ddsp_run', 'ddsp_prepare_tfrecord',
      'ddsp_generate_synthetic_dataset', 'ddsp_timbre_transfer',
      'ddsp_synthesize_midi', 'ddsp_instruments', 'ddsp_studio', 'ddsp_play'}


@pytest.mark.parametrize('module', CLI_MODULES)
def test_console_script_module_is_short(module):
  with open(package_tree.source_path(module)) as f:
    n_lines = len(f.read().splitlines())
  assert n_lines < MAX_LINES, f'{module}: {n_lines} lines'


def test_no_module_imports_from_a_console_script_module():
  """The scripts' work lives in libraries that the scripts import."""
  defined = {m: _defined_names(package_tree.source_path(m)) for m in CLI_MODULES}
  offending = []
  for module, path in sorted(package_tree.package_modules().items()):
    for target, name in package_tree.import_statements(module, path):
      full = f'{target}.{name}' if name else target
      if full in defined and full != module:
        offending.append(f'{module} imports the script module {full}')
      elif target in defined and name in defined[target]:
        offending.append(f'{module} imports {name}, defined in {target}')
  assert not offending, '\n'.join(offending)


def _notebook_code(path):
  """Python source of a notebook's code cells (shell and magic lines out)."""
  with open(path) as f:
    cells = json.load(f)['cells']
  lines = []
  for cell in cells:
    if cell['cell_type'] == 'code':
      lines += [l for l in ''.join(cell['source']).splitlines()
                if not l.lstrip().startswith(('!', '%'))]
  return '\n'.join(lines)


def _tool_sources():
  """{name: source} of the benchmarks, scripts and notebooks."""
  sources = {}
  for folder in ('benchmarks', 'scripts', 'colab'):
    for dirpath, _, filenames in os.walk(os.path.join(REPO, folder)):
      for f in filenames:
        path = os.path.join(dirpath, f)
        if f.endswith('.py') and folder != 'colab':
          with open(path) as source:
            sources[path] = source.read()
        elif f.endswith('.ipynb'):
          sources[path] = _notebook_code(path)
  return sources


def test_tools_and_notebooks_use_the_libraries():
  """Benchmarks, scripts and notebooks import no console-script module."""
  offending = []
  for path, source in sorted(_tool_sources().items()):
    for node in ast.walk(ast.parse(source, path)):
      if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
      elif isinstance(node, ast.ImportFrom) and node.module:
        names = [node.module] + [f'{node.module}.{alias.name}'
                                 for alias in node.names]
      else:
        continue
      offending += [f'{os.path.relpath(path, REPO)} imports {n}'
                    for n in names if n in CLI_MODULES]
  assert not offending, '\n'.join(offending)


def test_only_console_scripts_import_absl_flags():
  """Libraries take arguments; flags are the command lines' business."""
  allowed = set(CLI_MODULES) | {FLAG_SUPPORT_MODULE}
  offending = []
  for module, path in sorted(package_tree.package_modules().items()):
    for target, name in package_tree.import_statements(module, path):
      uses_flags = (target.startswith('absl.flags') or
                    (target == 'absl' and name in ('flags', 'app')) or
                    target.startswith('absl.app'))
      if uses_flags and module not in allowed:
        offending.append(f'{module} imports {target}.{name or ""}')
  assert not offending, '\n'.join(offending)


def test_the_scanner_sees_function_level_and_relative_imports(tmp_path):
  path = tmp_path / 'mod.py'
  path.write_text('def f():\n  from ddsp.training.ddsp_export import main\n'
                  '  from . import ddsp_run\n')
  assert package_tree.import_statements('ddsp.training.mod', str(path)) == [
      ('ddsp.training.ddsp_export', 'main'), ('ddsp.training', 'ddsp_run')]
  assert 'main' in _defined_names(package_tree.source_path('ddsp.training.ddsp_export'))


# ---------------------------------------------------------------------------
# Flags: each script's own, whatever else is imported.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('order', [CLI_MODULES, CLI_MODULES[::-1]],
                         ids=['forward', 'reverse'])
def test_importing_every_cli_module_defines_no_duplicate_flag(order):
  code = ';'.join(f'import {m}' for m in order) + ";print('OK')"
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'OK' in result.stdout


@pytest.mark.parametrize('module', CLI_MODULES)
def test_cli_module_has_console_entry_point(module):
  imported = __import__(module, fromlist=['console_entry_point'])
  assert callable(imported.console_entry_point)
  assert callable(imported.main)


# Defaults of the flags the scripts share a name with another script (the
# original's, where the original has the script).
SHARED_FLAG_DEFAULTS = {
    'ddsp.training.ddsp_run': {
        'save_dir': '/tmp/ddsp', 'gin_param': [], 'gin_file': [],
        'gin_search_path': []},
    'ddsp.training.ddsp_export': {'save_dir': '', 'gin_param': []},
    'ddsp.training.data_preparation.ddsp_prepare_tfrecord': {
        'output_tfrecord_path': None, 'num_shards': None,
        'pipeline_options': ['--runner=DirectRunner'], 'viterbi': True,
        'crepe_model': None},
    'ddsp.training.data_preparation.ddsp_generate_synthetic_dataset': {
        'output_tfrecord_path': None, 'num_shards': None,
        'pipeline_options': ['--runner=DirectRunner'], 'gin_param': [],
        'gin_file': [], 'gin_search_path': []},
    'ddsp.training.playback.ddsp_timbre_transfer': {'viterbi': True, 'crepe_model': 'full'},
}

_PRINT_DEFAULTS = """
import importlib, json
from absl import flags
modules = {modules!r}
for m in modules:
  importlib.import_module(m)
def own_defaults(m):
  by_module = importlib.import_module(m).FLAGS.flags_by_module_dict()
  return {{f.name: f.default for f in by_module[m]}}
defaults = {{m: own_defaults(m) for m in modules}}
print(json.dumps({{'defaults': defaults,
                  'global': sorted(flags.FLAGS.flags_by_module_dict())}}))
"""


@pytest.mark.parametrize('order', [CLI_MODULES, CLI_MODULES[::-1]],
                         ids=['forward', 'reverse'])
def test_each_script_keeps_its_defaults_next_to_the_others(order):
  result = subprocess.run(
      [sys.executable, '-c', _PRINT_DEFAULTS.format(modules=list(order))],
      capture_output=True, text=True, timeout=600, check=True)
  report = json.loads(result.stdout.strip().splitlines()[-1])
  for module, expected in SHARED_FLAG_DEFAULTS.items():
    own = report['defaults'][module]
    assert {k: own[k] for k in expected} == expected, module
  # Importing a script defines nothing in absl's global flags.
  assert not set(report['global']) & set(CLI_MODULES)


def test_a_running_script_parses_its_flags_with_absls(tmp_path):
  """--flagfile and absl's logging flags work next to the script's own."""
  flagfile = tmp_path / 'flags.txt'
  flagfile.write_text('--mode=nonsense\n')
  result = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.ddsp_run', '--alsologtostderr',
       f'--flagfile={flagfile}'],
      capture_output=True, text=True, timeout=600, check=False)
  assert result.returncode == 1
  assert 'flag --mode=nonsense' in result.stderr


# ---------------------------------------------------------------------------
# The original's names under the scripts' paths.
# ---------------------------------------------------------------------------
def test_original_names_are_reexported_library_objects():
  # pylint: disable=g-import-not-at-top
  from ddsp.training import ddsp_export
  from ddsp.training import ddsp_run
  from ddsp.training import export
  from ddsp.training import gin_setup
  from ddsp.training.data_preparation import ddsp_generate_synthetic_dataset
  from ddsp.training.data_preparation import synthetic_dataset
  # pylint: enable=g-import-not-at-top
  assert ddsp_run.GIN_PATH == gin_setup.GIN_PATH
  for name in ('ckpt_to_saved_model', 'export_impulse_response',
               'get_data_provider', 'get_metadata_dict',
               'get_inference_model'):
    assert getattr(ddsp_export, name) is getattr(export, name), name
  script = ddsp_generate_synthetic_dataset
  assert script.GenerateExampleFn is synthetic_dataset.GenerateExampleFn
  assert script.GIN_PATH == gin_setup.GIN_PATH
