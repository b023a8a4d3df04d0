"""The package's modules read from source: names, files and import statements.

Shared by the tests of the import graph, of the console scripts and of
their bad inputs. The repository folders map to package names as setup.py's
`package_dir` does; `console_scripts` reads setup.py's entry points.
"""
import ast
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Repository folder of each package.
PACKAGE_FOLDERS = {
    'ddsp': 'ddsp',
    'ddsp.training': 'training',
    'ddsp.training.data_preparation': 'data_preparation',
    'ddsp.colab': 'colab',
}


def package_modules():
  """{module name: source path} of every module of the package."""
  found = {}
  for package, folder in PACKAGE_FOLDERS.items():
    root = os.path.join(REPO, folder)
    for dirpath, dirnames, filenames in os.walk(root):
      dirnames[:] = [d for d in dirnames if not d.startswith(('.', '_'))]
      rel = os.path.relpath(dirpath, root)
      prefix = package if rel == '.' else (
          package + '.' + rel.replace(os.sep, '.'))
      for f in filenames:
        if f.endswith('.py'):
          name = prefix if f == '__init__.py' else f'{prefix}.{f[:-3]}'
          found[name] = os.path.join(dirpath, f)
  return found


def source_path(module):
  """File of a (non-package) module of the package."""
  package = max((p for p in PACKAGE_FOLDERS if module.startswith(p + '.')),
                key=len)
  rel = module[len(package) + 1:].replace('.', os.sep)
  return os.path.join(REPO, PACKAGE_FOLDERS[package], rel + '.py')


def parse(path):
  with open(path) as f:
    return ast.parse(f.read(), path)


def import_statements(module, path):
  """(imported module, imported name or None) of every import statement.

  Function-level imports count too. `from a.b import c` gives ('a.b', 'c');
  `import a.b` gives ('a.b', None); relative imports are resolved.
  """
  is_package = path.endswith('__init__.py')
  found = []
  for node in ast.walk(parse(path)):
    if isinstance(node, ast.Import):
      found += [(alias.name, None) for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ''
      if node.level:
        parts = module.split('.')
        parts = parts[:len(parts) - node.level + (1 if is_package else 0)]
        base = '.'.join(parts + ([base] if base else []))
      found += [(base, alias.name) for alias in node.names]
  return found


def console_scripts():
  """{script name: module} of setup.py's console_scripts entry points."""
  tree = ast.parse(open(os.path.join(REPO, 'setup.py')).read())
  for node in ast.walk(tree):
    if isinstance(node, ast.keyword) and node.arg == 'entry_points':
      entry_points = ast.literal_eval(node.value)
      break
  else:
    raise AssertionError('setup.py has no entry_points')
  scripts = {}
  for entry in entry_points['console_scripts']:
    name, target = (part.strip() for part in entry.split('='))
    scripts[name] = target.split(':')[0]
  return scripts
