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

"""Where a run's checkpoints and operative configs are, and reading them.

Used by training (resuming a run) and by everything that plays a trained
model, without importing the training loop. `train_util` keeps the
original's names for these functions.
"""

import contextlib
import os
from typing import Iterator

from ddsp import errors
import tensorflow as tf


def expand_path(file_path):
  """Expands `~` and environment variables."""
  return os.path.expanduser(os.path.expandvars(file_path))


def get_latest_file(dir_path, prefix='operative_config-', suffix='.gin'):
  """Newest `<prefix><int><suffix>` file of a folder.

  Args:
    dir_path: Folder to search.
    prefix: File name start.
    suffix: File name end.

  Returns:
    Path of the file with the largest integer between prefix and suffix.

  Raises:
    FileNotFoundError: No matching file, or a non-integer middle part.
  """
  dir_path = expand_path(dir_path)
  dir_prefix = os.path.join(dir_path, prefix)
  search_pattern = dir_prefix + '*' + suffix
  file_paths = tf.io.gfile.glob(search_pattern)
  if not file_paths:
    raise errors.MissingPathError(
        f'No files found matching the pattern \'{search_pattern}\'.')
  try:
    # "<dir>/<prefix>123<suffix>" -> 123.
    get_number = lambda p: abs(int(p[len(dir_prefix):len(p) - len(suffix)]))
    return max(file_paths, key=get_number)
  except ValueError as e:
    raise errors.MissingPathError(
        f'Files found with pattern \'{search_pattern}\' do not have an '
        f'integer between prefix \'{prefix}\' and suffix \'{suffix}\'.') from e


def get_latest_checkpoint(checkpoint_path):
  """Checkpoint prefix (`.../ckpt-N`) to restore from.

  Args:
    checkpoint_path: A checkpoint prefix (`<dir>/ckpt-N`, returned as is when
      `<prefix>.index` exists) or a folder (its `checkpoint` state file is
      used, else the highest `ckpt-N.index` found in it).

  Returns:
    The checkpoint prefix.

  Raises:
    FileNotFoundError: Nothing to restore at `checkpoint_path`.
  """
  checkpoint_path = expand_path(checkpoint_path)
  if tf.io.gfile.exists(checkpoint_path + '.index'):
    return checkpoint_path
  latest = tf.train.latest_checkpoint(checkpoint_path)
  if latest is None:
    try:
      latest = get_latest_file(checkpoint_path, 'ckpt-', '.index')
      latest = latest[:-len('.index')]
    except FileNotFoundError:
      latest = None
  if latest is None:
    raise errors.MissingPathError(
        f'No checkpoint found in \'{checkpoint_path}\': expected '
        '\'<dir>/checkpoint\' or \'<dir>/ckpt-<step>.index\'.')
  return latest


class CheckpointError(errors.UserError, ValueError):
  """Checkpoint files that TensorFlow cannot read."""


@contextlib.contextmanager
def reading_checkpoint(checkpoint: str) -> Iterator[None]:
  """Turns TensorFlow's errors reading `checkpoint` into CheckpointError."""
  try:
    yield
  except tf.errors.OpError as e:
    raise CheckpointError(
        f'Cannot read the checkpoint {checkpoint} ({e.message.strip()}): '
        'give the folder of a trained run (ckpt-<N>.index and '
        'ckpt-<N>.data-* as ddsp_run writes them).') from None


def get_latest_operative_config(restore_dir):
  """Newest operative_config-*.gin of a folder or of its parent folder."""
  try:
    return get_latest_file(
        restore_dir, prefix='operative_config-', suffix='.gin')
  except FileNotFoundError:
    return get_latest_file(
        os.path.dirname(restore_dir.rstrip('/')),
        prefix='operative_config-', suffix='.gin')
