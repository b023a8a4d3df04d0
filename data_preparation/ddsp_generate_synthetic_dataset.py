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

r"""Generate a synthetic dataset of random synthesizer controls.

Usage:
====================
ddsp_generate_synthetic_dataset \
--output_tfrecord_path=/tmp/synthetic_data.tfrecord \
--num_shards=2 \
--gin_param="generate_examples.generate_fn = @generate_notes_v2" \
--gin_param="generate_notes_v2.n_timesteps = 125" \
--num_examples=100 \
--alsologtostderr

The pipeline and the records it writes are described in the
`synthetic_dataset` module of this package.
"""

from absl import flags
from ddsp.training import command_flags
from ddsp.training import gin_setup
from ddsp.training.data_preparation import synthetic_dataset

FLAGS = command_flags.new_flag_values()

# The original's names in this module (re-exported, defined in the library).
GenerateExampleFn = synthetic_dataset.GenerateExampleFn
GIN_PATH = gin_setup.GIN_PATH

flags.DEFINE_string('output_tfrecord_path', None,
                    'The prefix path to the output TFRecord. Shard numbers '
                    'will be added to actual path(s).', flag_values=FLAGS)
flags.DEFINE_integer('num_shards', None,
                     'The number of shards to use for the TFRecord. If None, '
                     'this number will be determined automatically.',
                     flag_values=FLAGS)
flags.DEFINE_integer('num_examples', 1000000,
                     'The total number of synthetic examples to generate.',
                     flag_values=FLAGS)
flags.DEFINE_integer('random_seed', 42,
                     'Random seed to use for deterministic generation.',
                     flag_values=FLAGS)
flags.DEFINE_list('pipeline_options', '--runner=DirectRunner',
                  'A comma-separated list of command line arguments to be '
                  'used as options for the Beam Pipeline.', flag_values=FLAGS)
flags.DEFINE_multi_string('gin_search_path', [],
                          'Additional gin file search paths.',
                          flag_values=FLAGS)
flags.DEFINE_multi_string('gin_file', [],
                          'List of paths to the config files. If file in '
                          'gstorage bucket specify whole gstorage path: '
                          'gs://bucket-name/dir/in/bucket/file.gin.',
                          flag_values=FLAGS)
flags.DEFINE_multi_string('gin_param', [],
                          'Newline separated list of Gin parameter bindings.',
                          flag_values=FLAGS)


def main(unused_argv):
  """From command line."""
  command_flags.require(FLAGS, 'output_tfrecord_path')
  synthetic_dataset.parse_gin(FLAGS.gin_file, FLAGS.gin_param,
                              FLAGS.gin_search_path)
  synthetic_dataset.generate_synthetic_dataset(
      FLAGS.output_tfrecord_path,
      FLAGS.num_examples,
      num_shards=FLAGS.num_shards,
      random_seed=FLAGS.random_seed,
      pipeline_options=FLAGS.pipeline_options)


def console_entry_point():
  """From pip installed script."""
  command_flags.run(main, FLAGS, 'ddsp_generate_synthetic_dataset')


if __name__ == '__main__':
  console_entry_point()
