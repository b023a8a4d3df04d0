"""Runs console commands in one process, case after case, as from a shell.

Starting Python and TensorFlow costs seconds per process, so tests that try
many command lines of one command run them here, in one process:

  python tests/command_runner.py CASES.json RESULTS.json

CASES.json is {"module": <the command's module>, "cases": [{"id": ...,
"argv": [...], "watch": [folders], "timeout": seconds}, ...]}. For each
case the command's `console_entry_point` runs with `sys.argv` set to the
case's argv, every flag back at its default and an empty gin config, as a
fresh process would have them. Everything written to the file descriptors 1
and 2 (Python, absl logging, TensorFlow's C++ logs) is captured; an
exception escaping the command is printed as the interpreter prints it (a
traceback) with exit status 1. RESULTS.json gets, per case id: the exit
status (None for a case still running after its timeout), stdout, stderr
and the paths that appeared under the watched folders.

`run_in_process` runs one case in the calling process (a test's); the
process is left as it was found (flags, gin), so commands whose flags share
names can run one after the other.
"""
import contextlib
import dataclasses
import importlib
import logging as std_logging
import json
import os
import signal
import sys
import tempfile
import traceback
from typing import Dict, List, Optional, Sequence


@dataclasses.dataclass
class Outcome:
  """What a command line did."""
  code: Optional[int]  # None: still running at the time limit.
  stdout: str
  stderr: str
  new_paths: List[str] = dataclasses.field(default_factory=list)


class _TimeLimit(BaseException):
  """Raised in the command by the alarm of its time limit."""


@contextlib.contextmanager
def _captured(fd: int, name: str):
  """Sends file descriptor `fd` and `sys.<name>` to a file; yields [text]."""
  saved_stream = getattr(sys, name)
  saved_stream.flush()
  saved_fd = os.dup(fd)
  text = []
  with tempfile.TemporaryFile() as f:
    os.dup2(f.fileno(), fd)
    stream = open(fd, 'w', buffering=1, encoding='utf-8', errors='replace',
                  closefd=False)
    setattr(sys, name, stream)
    try:
      yield text
    finally:
      stream.flush()
      setattr(sys, name, saved_stream)
      os.dup2(saved_fd, fd)
      os.close(saved_fd)
      f.seek(0)
      text.append(f.read().decode('utf-8', errors='replace'))


def _exit_code(exit_: SystemExit) -> int:
  """The status the interpreter exits with for `sys.exit(code)`."""
  if exit_.code is None:
    return 0
  if isinstance(exit_.code, int):
    return exit_.code
  print(exit_.code, file=sys.stderr)  # sys.exit('message') prints it.
  return 1


_GIN_AT_START = {}  # gin's search paths and file readers before any case.


def _fresh_state(module) -> None:
  """Every flag at its default, gin empty and unlocked: as in a new process.

  gin has no public way back to its start-up state: a finalized (locked)
  config, the added search paths and file readers are reset through its
  module globals (as they were before the first case).
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  import gin  # pylint: disable=g-import-not-at-top
  # pylint: disable=protected-access
  lists = {'_LOCATION_PREFIXES': gin.config._LOCATION_PREFIXES,
           '_FILE_READERS': gin.config._FILE_READERS}
  for name, values in lists.items():
    values[:] = _GIN_AT_START.setdefault(name, list(values))
  gin.config._set_config_is_locked(False)
  # pylint: enable=protected-access
  gin.clear_config()
  flags.FLAGS.unparse_flags()
  module.FLAGS.unparse_flags()


def _leave_global_flags(module) -> None:
  """Takes the command's flags out of absl's global flags again.

  A running command joins them (`command_flags.run`); another command with
  flags of the same names (`--save_dir`, ...) could not join next.
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  for name in list(module.FLAGS):
    if name in flags.FLAGS and flags.FLAGS[name] is module.FLAGS[name]:
      delattr(flags.FLAGS, name)


def _call(module, argv: Sequence[str], timeout: float) -> Optional[int]:
  """Runs the command; its exit status (None at the time limit)."""
  def alarm(signum, frame):
    del signum, frame
    raise _TimeLimit()

  previous = signal.signal(signal.SIGALRM, alarm)
  signal.setitimer(signal.ITIMER_REAL, timeout)
  saved_argv = sys.argv
  sys.argv = list(argv)
  try:
    module.console_entry_point()
    return 0
  except SystemExit as e:
    return _exit_code(e)
  except _TimeLimit:
    print(f'command_runner: still running after {timeout} s',
          file=sys.stderr)
    return None
  except BaseException:  # pylint: disable=broad-except
    traceback.print_exc()  # As the interpreter does.
    return 1
  finally:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
    sys.argv = saved_argv


def listing(folders: Sequence[str]) -> set:
  """Every path under the folders (the folders too, when they exist)."""
  paths = set()
  for folder in folders:
    if os.path.lexists(folder):
      paths.add(folder)
    for root, dirs, files in os.walk(folder):
      paths.update(os.path.join(root, name) for name in dirs + files)
  return paths


def run_in_process(module_name: str, argv: Sequence[str],
                   watch: Sequence[str] = (), timeout: float = 120.0
                   ) -> Outcome:
  """Runs one command line of a console-script module in this process.

  Args:
    module_name: The command's module (with `console_entry_point`, `FLAGS`).
    argv: The command line, program name first.
    watch: Folders where anything new counts as left behind.
    timeout: Seconds before the command is interrupted.

  Returns:
    Outcome.
  """
  module = importlib.import_module(module_name)
  _fresh_state(module)
  before = listing(watch)
  # Parsing flags sets absl's logger to --verbosity (WARNING): put back the
  # level the process had, so later tests still capture INFO logs.
  absl_level = std_logging.getLogger('absl').level
  with _captured(1, 'stdout') as out, _captured(2, 'stderr') as err:
    code = _call(module, argv, timeout)
  std_logging.getLogger('absl').setLevel(absl_level)
  _fresh_state(module)
  _leave_global_flags(module)
  new_paths = sorted(listing(watch) - before)
  return Outcome(code, out[0], err[0], new_paths)


def run_cases(module_name: str, cases: Sequence[Dict]) -> Dict[str, Dict]:
  """{case id: Outcome as a dict} of the cases, run one after the other."""
  results = {}
  for case in cases:
    outcome = run_in_process(module_name, case['argv'], case.get('watch', ()),
                             case.get('timeout', 120.0))
    results[case['id']] = dataclasses.asdict(outcome)
  return results


def main(cases_path: str, results_path: str) -> None:
  with open(cases_path) as f:
    spec = json.load(f)
  results = run_cases(spec['module'], spec['cases'])
  with open(results_path, 'w') as f:
    json.dump(results, f)


if __name__ == '__main__':
  main(*sys.argv[1:])
