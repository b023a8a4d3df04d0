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

"""The exceptions raised inside gin configurables, without gin's proxies.

Gin re-raises errors of configurables (`DAGLayer.run_dag`, core's
`oscillator_bank`, ...) as a proxy subclass whose constructor takes no
arguments; Keras' `__call__` then cannot re-create it with its own message
and replaces it by an empty RuntimeError. Layers that call configurables
run them inside `original_errors()`.
"""

import contextlib


def strip_gin_proxies(error):
  """The exception a gin configurable was given, without gin's proxies.

  The proxy is raised while handling the original error, so the original is
  its `__context__`.
  """
  while True:
    context = error.__context__
    if (context is None or type(error).__bases__ != (type(context),) or
        type(error).__name__ != type(context).__name__):
      return error
    error = context


@contextlib.contextmanager
def original_errors():
  """Re-raises the original exception instead of a gin proxy of it."""
  try:
    yield
  except Exception as error:  # pylint: disable=broad-except
    original = strip_gin_proxies(error)
    if original is error:
      raise
    raise original.with_traceback(original.__traceback__) from None
