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

r"""Magenta's trained instruments by name: list them, download one.

  ddsp_instruments                      # name, kind, size, licence, cache
  ddsp_instruments --download=violin    # fetch one into the cache

The cache is $DDSP_CACHE (default ~/.cache/ddsp); $DDSP_MODEL_BASE_URL
names a mirror of https://storage.googleapis.com. The catalogue is
`ddsp.training.playback.catalogue`, the downloads
`ddsp.training.playback.downloads`.
"""

from absl import flags
from ddsp.training import command_flags
from ddsp.training.playback import downloads
from ddsp.training.playback import instrument_cache
from ddsp.training.playback import instrument_table

FLAGS = command_flags.new_flag_values()

flags.DEFINE_string('download', '',
                    'Name of an instrument to download into the cache '
                    '(any letter case); prints its local path.',
                    flag_values=FLAGS)
flags.DEFINE_string('cache_dir', '',
                    'The cache (default: $DDSP_CACHE, else ~/.cache/ddsp).',
                    flag_values=FLAGS)
flags.DEFINE_boolean('progress', True, 'Show download progress on stderr.',
                     flag_values=FLAGS)


def main(unused_argv):
  cache_dir = FLAGS.cache_dir or None
  if FLAGS.download:
    print(downloads.fetch(FLAGS.download, cache_dir=cache_dir,
                          progress=FLAGS.progress))
  else:
    print('\n'.join(instrument_table.text_table(
        instrument_cache.listing(cache_dir))))


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_instruments')


if __name__ == '__main__':
  console_entry_point()
