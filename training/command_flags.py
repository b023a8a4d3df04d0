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

"""Flags of one console script, kept apart from the other scripts' flags.

Every console script defines its flags on a `FlagValues` of its own rather
than on absl's global `flags.FLAGS`. Importing several scripts into one
process (tests, notebooks) therefore defines nothing globally: the scripts
share flag names (`--save_dir`, `--gin_param`, `--viterbi`, ...) with
different defaults, and each keeps its own.

Only when a script runs do its flags join the global `flags.FLAGS`, next to
absl's own (`--alsologtostderr`, `--helpfull`, `--flagfile`, ...), so that
one command line sets both. This is the only module besides the scripts
that imports absl flags; the libraries the scripts call take arguments.
"""

import sys
from typing import Callable, List, NoReturn, Tuple, Type

from absl import app
from absl import flags


def new_flag_values() -> flags.FlagValues:
  """An empty set of flags for one console script."""
  return flags.FlagValues()


def join_global_flags(command_flags: flags.FlagValues,
                      into: flags.FlagValues = flags.FLAGS) -> None:
  """Registers the flags of a script in `into`, under the script's module.

  The Flag objects are shared, so values parsed through `into` are the
  script's values. The module registration keeps `--helpfull` listing the
  flags under the script's name.

  Args:
    command_flags: The script's own flags.
    into: Flag set parsed at start-up (absl's global flags).
  """
  for module, module_flags in command_flags.flags_by_module_dict().items():
    for flag in module_flags:
      if flag.name not in into or into[flag.name] is not flag:
        into[flag.name] = flag
      into.register_flag_by_module(module, flag)


def parser(command_flags: flags.FlagValues) -> Callable[[List[str]], List[str]]:
  """A `flags_parser` for `absl.app.run` that parses the script's flags.

  Args:
    command_flags: The script's own flags.

  Returns:
    A function of argv returning the arguments left after the flags.
  """

  def parse(argv):
    join_global_flags(command_flags)
    remaining = app.parse_flags_with_usage(argv)
    command_flags.mark_as_parsed()
    return remaining

  return parse


def run(main: Callable[[List[str]], None],
        command_flags: flags.FlagValues,
        program: str = '',
        user_errors: Tuple[Type[Exception], ...] = ()) -> None:
  """Runs `main` as absl's `app.run` does, with the script's flags.

  Args:
    main: The command's main(argv).
    command_flags: The command's FlagValues.
    program: The command's name, for `fail`.
    user_errors: Exception types that are the user's to fix (bad data, a
      wrong path): they end the command with `<program>: error: <message>`
      and exit status 1 instead of a traceback.
  """
  def main_reporting_user_errors(argv):
    try:
      main(argv)
    except user_errors as e:
      fail(program, e)

  app.run(main_reporting_user_errors, flags_parser=parser(command_flags))


def fail(program: str, error: Exception) -> NoReturn:
  """Ends a command on a user error: `<program>: error: <error>`, exit 1."""
  print(f'{program}: error: {error}', file=sys.stderr)
  sys.exit(1)
