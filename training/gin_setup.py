# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Gin configuration of a run: where the configs are, layering, typo checks.

A run's configuration is layered, later bindings winning:
optimization/base.gin (base_tpu.gin on a TPU), eval/basic.gin, the newest
operative_config-*.gin of the folder being restored, then the user's gin
files and bindings. Files are found in the package's gin folder
(`GIN_PATH`) and in any extra search path.

User bindings are parsed with `skip_unknown=True`, as the original does (old
operative configs name configurables that no longer exist), which would also
drop a misspelled name without a word. `check_gin_names` reads them first
and fails on names gin does not know.
"""

import importlib
import os
import tokenize
from typing import List, Optional, Sequence

from absl import logging
from ddsp import errors
from ddsp.training import cloud
from ddsp.training import train_util
import gin
from gin import config_parser
import tensorflow as tf


class GinConfigError(errors.UserError, ValueError):
  """A run's gin configuration cannot be used: the user's to fix."""


def find_gin_path(module_file: str = __file__) -> str:
  """Folder holding the shipped gin configs.

  Installed, the configs are package data at <site>/ddsp/training/gin; in the
  source tree they live in the repository's gin/ folder next to training/.
  (No pkg_resources: it is deprecated.)

  Args:
    module_file: Path of a module of ddsp.training (parameter for tests).

  Returns:
    The gin folder.
  """
  here = os.path.dirname(os.path.abspath(module_file))
  for candidate in (os.path.join(here, 'gin'),
                    os.path.join(os.path.dirname(here), 'gin')):
    if os.path.isdir(candidate):
      return candidate
  return os.path.join(here, 'gin')


GIN_PATH = find_gin_path()


# ---------------------------------------------------------------------------
# Checking the names of user bindings.
# ---------------------------------------------------------------------------
def _statements(config_text: str, where: str):
  """Parsed statements of gin text; a clear error if it does not parse."""
  delegate = gin.config.ParserDelegate(skip_unknown=True)
  try:
    return list(config_parser.ConfigParser(config_text, delegate))
  except (SyntaxError, tokenize.TokenError) as e:
    raise GinConfigError(
        f'Cannot parse the gin bindings of {where}: {e}') from e


def _import_for_gin(module_name: str) -> None:
  """Imports a module a gin text imports (its configurables register)."""
  try:
    importlib.import_module(module_name)
  except ImportError:
    # Bindings of its configurables are then reported as unknown.
    logging.warning('Cannot import %s named in a gin file.', module_name)


def unknown_selectors(config_text: str, where: str) -> List[str]:
  """Configurable names bound in `config_text` that gin does not know.

  Macro definitions (`name = value`) are not configurables and are not
  checked; a known configurable with an unknown parameter is left to gin,
  which raises for it.

  Args:
    config_text: Gin bindings.
    where: Where the text comes from, for error messages.

  Returns:
    The unknown selectors, in order of appearance.

  Raises:
    GinConfigError: the text is not valid gin syntax.
  """
  registry = gin.config._REGISTRY  # pylint: disable=protected-access
  unknown = []
  for statement in _statements(config_text, where):
    if isinstance(statement, config_parser.ImportStatement):
      _import_for_gin(statement.module)
    elif isinstance(statement, config_parser.BindingStatement):
      if statement.arg_name and not registry.matching_selectors(
          statement.selector):
        unknown.append(statement.selector)
  return unknown


def is_shipped_config(path: str, gin_path: str = GIN_PATH) -> bool:
  """True for files of the package's gin folder (parsed leniently)."""
  return not os.path.isabs(path) and os.path.exists(
      os.path.join(gin_path, path))


def _fail_on_unknown(unknown: Sequence[str], where: str) -> None:
  if unknown:
    raise GinConfigError(
        f'Unknown gin configurable {unknown[0]!r} in {where} (misspelled '
        'name, or a module that is not imported?).')


def _user_file(path: str, gin_search_paths: Sequence[str]) -> Optional[str]:
  """Where a user gin file is, or None for a shipped config.

  None too for a file found nowhere: gin raises for it when parsing.
  """
  if is_shipped_config(path):
    return None
  for candidate in [path] + [os.path.join(d, path) for d in gin_search_paths]:
    if tf.io.gfile.exists(candidate):
      return candidate
  return None


def check_gin_names(gin_files: Sequence[str],
                    gin_params: Sequence[str],
                    gin_search_paths: Sequence[str] = ()) -> None:
  """Fails on misspelled configurable names in user bindings.

  Bindings given on the command line and user gin files are checked; the
  shipped configs are not (they are parsed leniently on purpose).

  Args:
    gin_files: User gin files (paths, or paths relative to a search path).
    gin_params: User bindings.
    gin_search_paths: Extra folders gin looks files up in.

  Raises:
    GinConfigError: naming the unknown configurable and where it was found,
      or the text that does not parse.
  """
  for param in gin_params:
    where = f'--gin_param {param!r}'
    _fail_on_unknown(unknown_selectors(param, where), where)
  for given in gin_files:
    path = _user_file(given, gin_search_paths)
    if path is None:
      continue
    where = f'gin file {given!r}'
    _fail_on_unknown(unknown_selectors(_read_text(path, where), where), where)


def _read_text(path: str, where: str) -> str:
  """The text of a gin file; GinConfigError if it is not a text file."""
  try:
    with tf.io.gfile.GFile(path) as f:
      return f.read()
  except (UnicodeDecodeError, tf.errors.OpError) as e:
    reason = 'not text' if isinstance(e, UnicodeDecodeError) else e.message
    raise GinConfigError(
        f'Cannot read {where} ({reason}): give a text file of gin '
        'bindings (.gin).') from None


# ---------------------------------------------------------------------------
# Layered parsing.
# ---------------------------------------------------------------------------
def add_search_paths(gin_search_paths: Sequence[str] = ()) -> None:
  """Looks files up in the package's gin folder, then in the given ones.

  Raises:
    GinConfigError: a given search path is not a folder.
  """
  for path in gin_search_paths:
    if not tf.io.gfile.isdir(path):
      raise GinConfigError(
          f'--gin_search_path {path} is not a folder: give a folder of .gin '
          'files.')
  gin.add_config_file_search_path(GIN_PATH)
  for path in gin_search_paths:
    gin.add_config_file_search_path(path)


def _parse_base_configs(tpu: bool) -> None:
  """optimization/base.gin (or base_tpu.gin) and eval/basic.gin.

  Named by their full paths: gin's lookup of a relative name logs an error
  for each place the file is not.
  """
  base = 'base_tpu.gin' if tpu else 'base.gin'
  gin.parse_config_file(os.path.join(GIN_PATH, 'optimization', base))
  gin.parse_config_file(os.path.join(GIN_PATH, 'eval', 'basic.gin'))


def _parse_operative_config(restore_dir: str) -> None:
  """The newest operative config of a run folder, if there is one."""
  try:
    operative_config = train_util.get_latest_operative_config(restore_dir)
  except FileNotFoundError:
    logging.info('Operative config not found in %s', restore_dir)
    return
  if tf.io.gfile.exists(operative_config):
    operative_config = cloud.make_file_paths_local(operative_config, GIN_PATH)
    logging.info('Using operative config: %s', operative_config)
    gin.parse_config_file(operative_config, skip_unknown=True)


def parse_gin(restore_dir: str,
              gin_files: Sequence[str] = (),
              gin_params: Sequence[str] = (),
              gin_search_paths: Sequence[str] = (),
              tpu: bool = False) -> None:
  """Parses the layered configuration of a run (see the module docstring).

  Args:
    restore_dir: Folder (or checkpoint prefix) whose operative config is
      reused.
    gin_files: User gin files (gs:// files are downloaded to GIN_PATH).
    gin_params: User bindings.
    gin_search_paths: Extra folders to look gin files up in.
    tpu: Use optimization/base_tpu.gin.
  """
  # Read gin files from GCS too.
  gin.config.register_file_reader(tf.io.gfile.GFile, tf.io.gfile.exists)
  add_search_paths(gin_search_paths)
  with gin.unlock_config():
    _parse_base_configs(tpu)
    _parse_operative_config(restore_dir)
    parse_user_config(gin_files, gin_params, gin_search_paths)


def parse_user_config(gin_files: Sequence[str] = (),
                      gin_params: Sequence[str] = (),
                      gin_search_paths: Sequence[str] = ()) -> None:
  """Parses the user's gin files, then bindings, checked first.

  Unknown names in user files and bindings, files that do not exist or
  are not gin text are refused (`check_gin_names`); the shipped configs
  are parsed leniently. Call with the search paths added and the config
  unlocked.

  Args:
    gin_files: User gin files (gs:// files are downloaded to GIN_PATH).
    gin_params: User bindings.
    gin_search_paths: Extra folders to look gin files up in.

  Raises:
    GinConfigError: what is wrong and where.
  """
  local_files = cloud.make_file_paths_local(list(gin_files), GIN_PATH)
  found_files = _found_files(local_files, gin_search_paths)
  # A gs:// file is checked in its downloaded copy (in GIN_PATH).
  check_gin_names([os.path.join(GIN_PATH, local) if local != given else given
                   for given, local in zip(gin_files, local_files)],
                  gin_params, gin_search_paths)
  try:
    gin.parse_config_files_and_bindings(
        found_files, list(gin_params), skip_unknown=True)
  except ValueError as e:  # e.g. an unknown parameter of a configurable.
    raise GinConfigError(f'Gin configuration: {e}') from e


def _found_files(gin_files: Sequence[str],
                 gin_search_paths: Sequence[str]) -> List[str]:
  """Where the gin files are: as given, else in the first search path.

  Raises:
    GinConfigError: a file found neither as given nor in a search path, an
      empty name or a folder.
  """
  folders = [GIN_PATH] + list(gin_search_paths)
  found = []
  for path in gin_files:
    candidates = [path] + [os.path.join(d, path) for d in folders]
    existing = [c for c in candidates if path and tf.io.gfile.exists(c)]
    if not existing:
      raise GinConfigError(
          f'Gin file {path!r} not found (looked as given and in '
          f'{", ".join(folders)}): give a path to a .gin file or a shipped '
          "config such as 'models/solo_instrument.gin' (--gin_file).")
    if tf.io.gfile.isdir(existing[0]):
      raise GinConfigError(f'Gin file {path!r} is a folder: give a path to '
                           'a .gin file (--gin_file).')
    found.append(existing[0])
  return found


def require_model() -> None:
  """Fails clearly when the parsed configuration names no model."""
  try:
    gin.query_parameter('get_model.model')
  except ValueError:
    raise GinConfigError(
        'No model is configured: add a model config, e.g. '
        '--gin_file=models/solo_instrument.gin (the configs are in '
        f'{os.path.join(GIN_PATH, "models")}), or --restore_dir of a trained '
        'run.') from None
