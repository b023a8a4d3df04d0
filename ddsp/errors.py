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

"""Errors that are the user's to fix.

`UserError` marks a problem with what the user gave: a flag value out of
range, a path that does not exist or cannot be written, a file of the wrong
kind. Its message says what is wrong and what to do. The console commands
end on one with `<program>: error: <message>` and exit status 1, no
traceback (`ddsp.training.command_flags.run`); any other exception is a bug
and keeps its traceback.

A library error meant for users subclasses `UserError` and the built-in
error its callers catch (`ValueError`, `FileNotFoundError`, ...), so code
catching the built-in one keeps working. The three below cover the common
cases; errors with more to say (an unreadable audio file, a MIDI file, a gin
configuration) have classes of their own next to the code raising them.
"""


class UserError(Exception):
  """A problem with the user's input; the message says what to do."""


class BadValueError(UserError, ValueError):
  """A value the user gave is out of its range or of the wrong kind."""


class MissingPathError(UserError, FileNotFoundError):
  """A path the user gave does not exist or holds nothing usable."""


class UnwritablePathError(UserError, OSError):
  """An output path the user gave cannot be written."""


class MissingPackageError(UserError, ImportError):
  """An optional package (or model data) a feature needs is not installed."""
