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

"""A gin configuration of its own for every model loaded in one process.

Gin keeps one global configuration. A model built from a checkpoint parses
its run's operative config into it, and gin is read again later, whenever
TensorFlow traces one of the model's functions (configurable functions
such as `core.oscillator_bank` take their bindings at trace time). Two
models in one process, or a model and a training run, would therefore see
each other's bindings.

`isolated()` gives a block of code a configuration of its own, starting
empty (or from given bindings), and hands back what the block configured
as a `GinConfig`; the global configuration is as it was before the block.
`GinConfig.active()` makes that configuration current again for a while:
models enter it around everything that can trace (calls, exports).

Swapping is guarded by one re-entrant lock; a model that is already
current is entered without copying anything.
"""

import contextlib
import dataclasses
import functools
import threading
from typing import Callable, Dict, FrozenSet, Iterator, Sequence, TypeVar

import gin

_LOCK = threading.RLock()
_current = threading.local()  # .config: the GinConfig now installed, if any.


@dataclasses.dataclass(frozen=True)
class GinConfig:
  """A snapshot of gin's global state: bindings, singletons, imports.

  Attributes:
    bindings: {(scope, selector): {parameter: value}}.
    singletons: Instances made by `@singleton` references.
    imports: Modules the config imported.
    operative: The operative config recorded so far (parameters used).
    locked: Whether the config was locked.
  """
  bindings: Dict
  singletons: Dict
  imports: FrozenSet
  operative: Dict
  locked: bool

  @classmethod
  def capture(cls) -> 'GinConfig':
    """A copy of the global configuration as it is now."""
    cfg = gin.config
    return cls(bindings=_copy_nested(cfg._CONFIG),  # pylint: disable=protected-access
               singletons=dict(cfg._SINGLETONS),  # pylint: disable=protected-access
               imports=frozenset(cfg._IMPORTS),  # pylint: disable=protected-access
               operative=_copy_nested(cfg._OPERATIVE_CONFIG),  # pylint: disable=protected-access
               locked=gin.config_is_locked())

  @classmethod
  def empty(cls) -> 'GinConfig':
    """No bindings at all (what `gin.clear_config()` leaves)."""
    return cls(bindings={}, singletons={}, imports=frozenset(), operative={},
               locked=False)

  def install(self) -> None:
    """Replaces the global configuration with a copy of this one."""
    cfg = gin.config
    _replace(cfg._CONFIG, _copy_nested(self.bindings))  # pylint: disable=protected-access
    _replace(cfg._SINGLETONS, dict(self.singletons))  # pylint: disable=protected-access
    cfg._IMPORTS.clear()  # pylint: disable=protected-access
    cfg._IMPORTS.update(self.imports)  # pylint: disable=protected-access
    with cfg._OPERATIVE_CONFIG_LOCK:  # pylint: disable=protected-access
      _replace(cfg._OPERATIVE_CONFIG, _copy_nested(self.operative))  # pylint: disable=protected-access
    cfg._set_config_is_locked(self.locked)  # pylint: disable=protected-access

  def query(self, name: str):
    """`gin.query_parameter(name)` in this configuration."""
    with self.active():
      return gin.query_parameter(name)

  @contextlib.contextmanager
  def active(self) -> Iterator['GinConfig']:
    """Makes this the global configuration inside the block.

    The configuration in place before is put back on exit; changes made
    inside the block are not kept (use `isolated` to configure).
    """
    if getattr(_current, 'config', None) is self:
      yield self
      return
    with _LOCK:
      before = GinConfig.capture()
      previous = getattr(_current, 'config', None)
      self.install()
      _current.config = self
      try:
        yield self
      finally:
        before.install()
        _current.config = previous


class Isolated:
  """What an `isolated()` block configured: `.config`, set on exit."""

  def __init__(self):
    self.config = None


@contextlib.contextmanager
def isolated(bindings: Sequence[str] = ()) -> Iterator[Isolated]:
  """Runs a block in a configuration of its own, starting empty.

  Inside the block gin's global configuration holds only `bindings`
  (gin lines, parsed first, unknown names skipped); whatever the block
  parses or binds is captured into the returned `Isolated.config` on exit,
  and the configuration from before the block is back in place.

  Args:
    bindings: Gin bindings to start from (e.g. `--gin_param` values).

  Yields:
    An `Isolated` whose `config` is the block's configuration after it.
  """
  result = Isolated()
  with _LOCK:
    before = GinConfig.capture()
    previous = getattr(_current, 'config', None)
    GinConfig.empty().install()
    _current.config = None
    try:
      if bindings:
        gin.parse_config_files_and_bindings([], list(bindings),
                                            skip_unknown=True)
      yield result
      result.config = GinConfig.capture()
    finally:
      before.install()
      _current.config = previous


def entered(model) -> contextlib.AbstractContextManager:
  """`model.gin_config.active()`, or nothing for a model without one."""
  config = getattr(model, 'gin_config', None)
  return contextlib.nullcontext() if config is None else config.active()


_Fn = TypeVar('_Fn', bound=Callable)


def in_isolation(fn: _Fn) -> _Fn:
  """Decorator: every call of `fn` runs in an `isolated()` configuration."""

  @functools.wraps(fn)
  def wrapper(*args, **kwargs):
    with isolated():
      return fn(*args, **kwargs)

  return wrapper


def _copy_nested(mapping: Dict) -> Dict:
  """{key: {name: value}} copied two levels deep (values shared)."""
  return {key: dict(value) for key, value in mapping.items()}


def _replace(target: Dict, source: Dict) -> None:
  """Makes `target` (an object gin holds on to) equal to `source`."""
  target.clear()
  target.update(source)
