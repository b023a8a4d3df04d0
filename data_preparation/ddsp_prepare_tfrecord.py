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

r"""Create a TFRecord dataset from audio files:

  ddsp_prepare_tfrecord \
    --input_audio_filepatterns=/path/to/wavs/*wav,/path/to/mp3s/*mp3 \
    --output_tfrecord_path=/path/to/output.tfrecord \
    --num_shards=10 --alsologtostderr

In parallel: --pipeline_options=--direct_num_workers=2,--direct_running_mode=
multi_processing; other Beam runners (Dataflow, Flink, Spark) likewise, e.g.
--pipeline_options=--runner=DataflowRunner,--project=...,...

Exit status: 0 when at least one example was written; 1 when no input
produced an example or the output path cannot be written.
"""

import os

from absl import flags
from absl import logging
from ddsp import errors
from ddsp.training import command_flags
from ddsp.training.data_preparation import file_patterns
from ddsp.training.data_preparation import prepare_tfrecord_lib

FLAGS = command_flags.new_flag_values()

# The original's name in this module (defined in the library).
prepare_tfrecord = prepare_tfrecord_lib.prepare_tfrecord

flags.DEFINE_list('input_audio_filepatterns', [],
                  'List of filepatterns to glob for input audio files.',
                  flag_values=FLAGS)
flags.DEFINE_string('output_tfrecord_path', None, 'Prefix of the output '
                    'TFRecords (shard numbers are appended).',
                    flag_values=FLAGS)
flags.DEFINE_integer('num_shards', None, 'Number of output shards (None: '
                     'chosen automatically).', flag_values=FLAGS)
flags.DEFINE_integer('sample_rate', 16000, 'Sample rate of the audio.',
                     flag_values=FLAGS)
flags.DEFINE_integer(
    'frame_rate', 250,
    'The frame rate to use for f0 and loudness features. If set to 0, '
    'these features will not be computed.', flag_values=FLAGS)
flags.DEFINE_float(
    'example_secs', 4, 'Length of each example in seconds (a sliding window '
    'over the audio); 0: each whole chunk is an example.', flag_values=FLAGS)
flags.DEFINE_float('hop_secs', 1, 'Hop between example starts in seconds.',
                   flag_values=FLAGS)
flags.DEFINE_float(
    'eval_split_fraction', 0.0,
    'Fraction of the dataset to reserve for eval split. If set to 0, no eval '
    'split is created.', flag_values=FLAGS)
flags.DEFINE_float(
    'chunk_secs', 20.0,
    'Input files are split into non-overlapping chunks of this length (the '
    'train/eval split is by chunk; chunks are processed in parallel).',
    flag_values=FLAGS)
flags.DEFINE_boolean(
    'center', False,
    'Add padding to audio such that frame timestamps are centered. Increases '
    'number of frames by one.', flag_values=FLAGS)
flags.DEFINE_boolean('viterbi', True, 'Use viterbi decoding of pitch.',
                     flag_values=FLAGS)
flags.DEFINE_boolean(
    'padded_examples', False,
    'Also cut examples out of the zero padding of each file\'s last chunk '
    '(the original\'s behaviour: silent examples).', flag_values=FLAGS)
flags.DEFINE_list(
    'pipeline_options', '--runner=DirectRunner',
    'A comma-separated list of command line arguments to be used as options '
    'for the Beam Pipeline.', flag_values=FLAGS)
flags.DEFINE_enum(
    'crepe_model', None, ['tiny', 'small', 'medium', 'large', 'full'],
    'CREPE model size for f0 (default: full, like the original; tiny is '
    'about 30x faster but less accurate).', flag_values=FLAGS)


def run():
  """Prepares the TFRecords the flags describe; returns the summary."""
  input_audio_paths = file_patterns.expand_filepatterns(
      FLAGS.input_audio_filepatterns)
  logging.info('Found %d input audio files.', len(input_audio_paths))
  if not input_audio_paths:
    raise errors.MissingPathError(
        'No audio file matches --input_audio_filepatterns='
        f'{",".join(FLAGS.input_audio_filepatterns)!r}: give existing files '
        "or glob patterns, e.g. --input_audio_filepatterns='recordings/*.wav'.")
  return prepare_tfrecord(
      input_audio_paths,
      FLAGS.output_tfrecord_path,
      num_shards=FLAGS.num_shards,
      sample_rate=FLAGS.sample_rate,
      frame_rate=FLAGS.frame_rate,
      example_secs=FLAGS.example_secs,
      hop_secs=FLAGS.hop_secs,
      eval_split_fraction=FLAGS.eval_split_fraction,
      chunk_secs=FLAGS.chunk_secs,
      center=FLAGS.center,
      viterbi=FLAGS.viterbi,
      pipeline_options=FLAGS.pipeline_options,
      crepe_model=FLAGS.crepe_model,
      padded_examples=FLAGS.padded_examples)


def main(unused_argv):
  """From command line."""
  command_flags.require(FLAGS, 'output_tfrecord_path')
  prepare_tfrecord_lib.require_examples(run(), FLAGS.output_tfrecord_path)


def console_entry_point():
  """From pip installed script."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  command_flags.run(main, FLAGS, 'ddsp_prepare_tfrecord')


if __name__ == '__main__':
  console_entry_point()
