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

r"""Updates operative configs of old checkpoints to the current gin names.

Drops bindings of parameters that no longer exist, renames `ZRnnFcDecoder`
to `RnnFcDecoder`, and adds the `RnnFcDecoder.input_keys` binding that old
configs relied on as a default.

Usage:
  python update_gin_config.py --path=/path/to/operative_config-*.gin
  python update_gin_config.py /path/to/operative_config-0.gin --overwrite

Each matched file is written to `updated_<name>` next to it (or overwritten
with --overwrite).
"""

import os
import re

from absl import app
from absl import flags
import tensorflow as tf

FLAGS = flags.FLAGS

flags.DEFINE_string('path', '/tmp/operative_config-*.gin',
                    'Path (glob) of the operative config(s) to update.')
flags.DEFINE_boolean('overwrite', False,
                     'Overwrite the file(s) instead of writing updated_<name>.')

# Lines binding any of these are removed.
DEPRECATED_BINDINGS = [
    'SpectralLoss.delta_delta_freq_weight',
    'SpectralLoss.delta_delta_time_weight',
    'DilatedConvEncoder.resample',
    'DilatedConvDecoder.resample',
]

# Regex renames: (pattern, replacement).
RENAMES = [
    (r'ZRnnFcDecoder', 'RnnFcDecoder'),
]

# Binding appended when RnnFcDecoder is used without input_keys.
RNN_FC_INPUT_KEYS = 'RnnFcDecoder.input_keys = ("f0_scaled", "ld_scaled")'


def remove_deprecated_lines(lines):
  """Drops lines binding a removed parameter (prints each removal)."""
  kept = []
  for line in lines:
    if any(binding in line for binding in DEPRECATED_BINDINGS):
      print(f'Removing deprecated binding: {line.rstrip()}')
    else:
      kept.append(line)
  return kept


def rename_configurables(lines):
  """Applies the regex renames line by line (prints each change)."""
  renamed = []
  for line in lines:
    new_line = line
    for pattern, replacement in RENAMES:
      new_line = re.sub(pattern, replacement, new_line)
    if new_line != line:
      print(f'Renaming: {line.rstrip()} -> {new_line.rstrip()}')
    renamed.append(new_line)
  return renamed


def add_rnn_fc_input_keys(lines):
  """Adds RnnFcDecoder.input_keys if RnnFcDecoder is used without it."""
  text = ''.join(lines)
  if 'RnnFcDecoder' in text and 'RnnFcDecoder.input_keys' not in text:
    print(f'Adding binding: {RNN_FC_INPUT_KEYS}')
    if lines and not lines[-1].endswith('\n'):
      lines = lines[:-1] + [lines[-1] + '\n']
    lines = lines + [RNN_FC_INPUT_KEYS + '\n']
  return lines


def update_config(lines):
  """All updates, in order, on a list of lines (with line endings)."""
  lines = remove_deprecated_lines(lines)
  lines = rename_configurables(lines)
  return add_rnn_fc_input_keys(lines)


def update_file(path, overwrite=False):
  """Updates one operative config file; returns the path written."""
  print(f'Updating {path}')
  with tf.io.gfile.GFile(path, 'r') as f:
    lines = f.readlines()
  lines = update_config(lines)
  if overwrite:
    out_path = path
  else:
    dirname, basename = os.path.split(path)
    out_path = os.path.join(dirname, 'updated_' + basename)
  with tf.io.gfile.GFile(out_path, 'w') as f:
    f.write(''.join(lines))
  print(f'Wrote {out_path}')
  return out_path


def main(argv):
  if len(argv) > 2:
    raise app.UsageError('Too many command-line arguments.')
  path = argv[1] if len(argv) == 2 else FLAGS.path
  for file_path in tf.io.gfile.glob(path):
    update_file(file_path, overwrite=FLAGS.overwrite)


if __name__ == '__main__':
  app.run(main)
