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

Every script reports a user error the same way, through `run`: a flag absl
refuses, an argument that is not a flag, a required flag left empty
(`require`) or an `errors.UserError` of the libraries ends the command with
`<program>: error: <what is wrong and what to do>` on stderr and exit
status 1, without a traceback.
"""

import os
import sys
from typing import Any, Callable, List, NoReturn, Tuple, Type

from absl import app
from absl import flags
from ddsp import errors
from ddsp import gin_errors


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


def parser(command_flags: flags.FlagValues,
           program: str = '') -> Callable[[List[str]], List[str]]:
  """A `flags_parser` for `absl.app.run` that parses the script's flags.

  A flag absl refuses (unknown, wrong type, out of its bounds) and an
  argument that is not a flag end the command through `fail`.

  Args:
    command_flags: The script's own flags.
    program: The command's name, for `fail` (default: argv[0]'s name).

  Returns:
    A function of argv returning the arguments left after the flags.
  """

  def parse(argv):
    name = program or os.path.basename(argv[0])
    join_global_flags(command_flags)
    try:
      remaining = flags.FLAGS(argv)
    except flags.Error as e:
      fail(name, f'{e}\nPass --helpshort or --helpfull to see the flags.')
    command_flags.mark_as_parsed()
    if len(remaining) > 1:
      fail(name, f'unexpected arguments {remaining[1:]}: give every option '
           'as --flag=value (--helpshort lists the flags).')
    return remaining

  return parse


def run(main: Callable[[List[str]], None],
        command_flags: flags.FlagValues,
        program: str = '',
        user_errors: Tuple[Type[Exception], ...] = ()) -> None:
  """Runs `main` as absl's `app.run` does, with the script's flags.

  A user error ends the command with `<program>: error: <message>` and exit
  status 1 instead of a traceback (`fail`): `errors.UserError` raised by
  the libraries, a flag absl refuses, an argument that is not a flag.

  Args:
    main: The command's main(argv).
    command_flags: The command's FlagValues.
    program: The command's name, for `fail` (default: argv[0]'s name).
    user_errors: Further exception types that are the user's to fix.
  """
  def main_reporting_user_errors(argv):
    try:
      main(argv)
    except (errors.UserError,) + tuple(user_errors) as e:
      fail(program or os.path.basename(argv[0]), e)

  app.run(main_reporting_user_errors,
          flags_parser=parser(command_flags, program))


def require(command_flags: flags.FlagValues, *names: str) -> None:
  """Raises a UserError for the first flag of `names` left empty."""
  for name in names:
    if not command_flags[name].value:
      raise errors.UserError(
          f'--{name} is required: {command_flags[name].help}')


def one_of(command_flags: flags.FlagValues, name: str, *aliases: str) -> str:
  """The value of the one flag given of `name` and its older `aliases`.

  Raises:
    errors.UserError: none of them, or more than one, is given.
  """
  given = [n for n in (name, *aliases) if command_flags[n].value]
  others = ' or '.join(f'--{n}' for n in aliases)
  if not given:
    raise errors.UserError(f'--{name} is required: {command_flags[name].help}'
                           + (f' ({others} is its older name.)' if others
                              else ''))
  if len(given) > 1:
    raise errors.BadValueError(
        f'{" and ".join("--" + n for n in given)} were both given: they '
        f'name the same thing, give one (--{name}).')
  return command_flags[given[0]].value


def fail(program: str, error: Any) -> NoReturn:
  """Ends a command on a user error with status 1.

  Prints `<program>: error: <first line of the message>` to stderr, the
  message's further lines indented by two spaces under it: the error is
  always the last paragraph of the command's output. An error that passed
  through a gin configurable is reported without gin's note of it ('In call
  to configurable ...').
  """
  if isinstance(error, BaseException):
    error = gin_errors.strip_gin_proxies(error)
  lines = str(error).strip().splitlines() or [type(error).__name__]
  print(f'{program}: error: {lines[0]}',
        *(f'  {line}' for line in lines[1:]), sep='\n', file=sys.stderr)
  sys.exit(1)
