r"""Create a TFRecord dataset from audio files.

Usage:
====================
ddsp_prepare_tfrecord \
--input_audio_filepatterns=/path/to/wavs/*wav,/path/to/mp3s/*mp3 \
--output_tfrecord_path=/path/to/output.tfrecord \
--num_shards=10 \
--alsologtostderr

Parallel on one machine (Beam DirectRunner, 2 processes):
--pipeline_options=--direct_num_workers=2,--direct_running_mode=multi_processing

Any other Beam runner (Dataflow, Flink, Spark) is chosen with
--pipeline_options (e.g. --runner=DataflowRunner,--project=...,...).

Exit status: 0 when at least one example was written; 1 when no input
produced an example or the output path cannot be written.
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging
from ddsp.training.data_preparation.prepare_tfrecord_lib import prepare_tfrecord
import tensorflow as tf

FLAGS = flags.FLAGS

# Flags are defined with allow_override=True: several ddsp command modules
# share flag names (save_dir, viterbi, gin_param, ...), and importing two of
# them in one process (tests, notebooks) must not raise DuplicateFlagError.
flags.DEFINE_list('input_audio_filepatterns', [],
                  'List of filepatterns to glob for input audio files.', allow_override=True)
flags.DEFINE_string(
    'output_tfrecord_path', None,
    'The prefix path to the output TFRecord. Shard numbers will be added to '
    'actual path(s).', allow_override=True)
flags.DEFINE_integer(
    'num_shards', None,
    'The number of shards to use for the TFRecord. If None, this number will '
    'be determined automatically.', allow_override=True)
flags.DEFINE_integer('sample_rate', 16000,
                     'The sample rate to use for the audio.', allow_override=True)
flags.DEFINE_integer(
    'frame_rate', 250,
    'The frame rate to use for f0 and loudness features. If set to 0, '
    'these features will not be computed.', allow_override=True)
flags.DEFINE_float(
    'example_secs', 4,
    'The length of each example in seconds. Input audio will be split to this '
    'length using a sliding window. If 0, each full piece of audio will be '
    'used as an example.', allow_override=True)
flags.DEFINE_float(
    'hop_secs', 1,
    'The hop size between example start points (in seconds), when splitting '
    'audio into constant-length examples.', allow_override=True)
flags.DEFINE_float(
    'eval_split_fraction', 0.0,
    'Fraction of the dataset to reserve for eval split. If set to 0, no eval '
    'split is created.', allow_override=True)
flags.DEFINE_float(
    'chunk_secs', 20.0,
    'Chunk size in seconds used to split the input audio files. These '
    'non-overlapping chunks are partitioned into train and eval sets if '
    'eval_split_fraction > 0. This is used to split large audio files into '
    'manageable chunks for better parallelization and to enable '
    'non-overlapping train/eval splits.', allow_override=True)
flags.DEFINE_boolean(
    'center', False,
    'Add padding to audio such that frame timestamps are centered. Increases '
    'number of frames by one.', allow_override=True)
flags.DEFINE_boolean('viterbi', True,
                     'Use viterbi decoding of pitch.', allow_override=True)
flags.DEFINE_list(
    'pipeline_options', '--runner=DirectRunner',
    'A comma-separated list of command line arguments to be used as options '
    'for the Beam Pipeline.', allow_override=True)
flags.DEFINE_enum(
    'crepe_model', None, ['tiny', 'small', 'medium', 'large', 'full'],
    'CREPE model size for f0 (default: full, like the original; tiny is '
    'about 30x faster but less accurate).', allow_override=True)


def _hidden_below_pattern(path, pattern):
  """True if a folder/file name starting with '.' came from a wildcard.

  E.g. pattern '/data/*/*.wav' must not pick up
  '/data/.ipynb_checkpoints/a.wav', but '/data/.cache/*.wav' is explicit.
  """
  path_parts = path.replace('\\', '/').split('/')
  pattern_parts = pattern.replace('\\', '/').split('/')
  if len(path_parts) != len(pattern_parts):
    return any(p.startswith('.') and p not in ('.', '..')
               for p in path_parts[len(pattern_parts) - 1:])
  return any(p.startswith('.') and p not in ('.', '..') and
             not q.startswith('.')
             for p, q in zip(path_parts, pattern_parts))


def expand_filepatterns(filepatterns):
  """Globs every pattern; drops hidden folders/files and directories."""
  paths = []
  seen = set()
  for pattern in filepatterns:
    matches = tf.io.gfile.glob(pattern)
    if not matches:
      logging.warning('No files match %s', pattern)
    for path in sorted(matches):
      if path in seen or _hidden_below_pattern(path, pattern):
        continue
      if tf.io.gfile.isdir(path):
        continue
      seen.add(path)
      paths.append(path)
  return paths


def run():
  input_audio_paths = expand_filepatterns(FLAGS.input_audio_filepatterns)
  logging.info('Found %d input audio files.', len(input_audio_paths))
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
      crepe_model=FLAGS.crepe_model)


def main(unused_argv):
  """From command line."""
  if not FLAGS.output_tfrecord_path:
    logging.error('--output_tfrecord_path is required.')
    sys.exit(1)
  try:
    summary = run()
  except OSError as e:
    logging.error('%s', e)
    sys.exit(1)
  examples = summary['examples']
  if examples is None:  # Runner without metrics: look at the files.
    pattern = FLAGS.output_tfrecord_path + '*'
    examples = sum(tf.io.gfile.stat(p).length for p in tf.io.gfile.glob(pattern))
  if not examples:
    logging.error('No examples were written: none of the %d input files '
                  'produced an example (see the log lines above).',
                  summary['files_ok'] + summary['files_skipped'])
    sys.exit(1)


def console_entry_point():
  """From pip installed script."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
