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

Records hold the flattened float32 controls of `synthetic_data`
(`harm_amp`, `harm_dist`, `f0_hz`, `sin_amps`, `sin_freqs`,
`noise_magnitudes`); read them with `ddsp.training.data.SyntheticNotes`.
"""

import os

from absl import app
from absl import flags
from absl import logging
import apache_beam as beam
from apache_beam.metrics import Metrics
from ddsp.training.data_preparation import prepare_tfrecord_lib
# Registers generate_notes / generate_notes_v2 with gin.
from ddsp.training.data_preparation import synthetic_data  # pylint: disable=unused-import
import gin
import numpy as np
import tensorflow as tf

FLAGS = flags.FLAGS

# Flags are defined with allow_override=True: several ddsp command modules
# share flag names (save_dir, viterbi, gin_param, ...), and importing two of
# them in one process (tests, notebooks) must not raise DuplicateFlagError.
flags.DEFINE_string('output_tfrecord_path', None,
                    'The prefix path to the output TFRecord. Shard numbers '
                    'will be added to actual path(s).', allow_override=True)
flags.DEFINE_integer('num_shards', None,
                     'The number of shards to use for the TFRecord. If None, '
                     'this number will be determined automatically.', allow_override=True)
flags.DEFINE_integer('num_examples', 1000000,
                     'The total number of synthetic examples to generate.', allow_override=True)
flags.DEFINE_integer('random_seed', 42,
                     'Random seed to use for deterministic generation.', allow_override=True)
flags.DEFINE_list('pipeline_options', '--runner=DirectRunner',
                  'A comma-separated list of command line arguments to be '
                  'used as options for the Beam Pipeline.', allow_override=True)
flags.DEFINE_multi_string('gin_search_path', [],
                          'Additional gin file search paths.', allow_override=True)
flags.DEFINE_multi_string('gin_file', [],
                          'List of paths to the config files. If file in '
                          'gstorage bucket specify whole gstorage path: '
                          'gs://bucket-name/dir/in/bucket/file.gin.', allow_override=True)
flags.DEFINE_multi_string('gin_param', [],
                          'Newline separated list of Gin parameter bindings.', allow_override=True)


def _gin_path():
  """The gin config folder of ddsp.training ('../gin' from this package)."""
  here = os.path.dirname(os.path.abspath(__file__))
  return os.path.join(os.path.dirname(here), 'gin')


GIN_PATH = _gin_path()


class GenerateExampleFn(beam.DoFn):
  """Generates one synthetic example per random seed."""

  def __init__(self, gin_str, **kwargs):
    super().__init__(**kwargs)
    self._gin_str = gin_str

  def start_bundle(self):
    # Workers are separate processes: re-create the gin config.
    with gin.unlock_config():
      gin.parse_config(self._gin_str, skip_unknown=True)

  @gin.configurable('generate_examples')
  def process(self, seed, generate_fn=gin.REQUIRED):
    np.random.seed(seed)
    batch = generate_fn(n_batch=1)
    Metrics.counter('GenerateExampleFn', 'generated').inc()
    yield {k: v[0].numpy() for k, v in batch.items()}


def _float_dict_to_tfexample(float_dict):
  """{key: array} -> tf.train.Example, each value flattened to a FloatList."""
  return tf.train.Example(features=tf.train.Features(feature={
      k: tf.train.Feature(float_list=tf.train.FloatList(
          value=np.asarray(v, np.float32).ravel()))
      for k, v in float_dict.items()}))


def run():
  """Builds and runs the generation pipeline."""
  for path in [GIN_PATH] + list(FLAGS.gin_search_path):
    gin.add_config_file_search_path(path)
  gin.parse_config_files_and_bindings(
      FLAGS.gin_file, FLAGS.gin_param, skip_unknown=True)

  np.random.seed(FLAGS.random_seed)
  seeds = np.random.randint(2**32, size=FLAGS.num_examples, dtype=np.int64)
  seeds = [int(s) for s in seeds]
  pipeline_options = beam.options.pipeline_options.PipelineOptions(
      FLAGS.pipeline_options)
  with prepare_tfrecord_lib.make_pipeline(pipeline_options) as pipeline:
    _ = (pipeline
         | beam.Create(seeds)
         | beam.ParDo(GenerateExampleFn(gin.config_str()))
         | beam.Reshuffle()
         # Same records as Beam's WriteToTFRecord of _float_dict_to_tfexample
         # (no crc32c package needed, memory flat with num_shards).
         | prepare_tfrecord_lib.WriteShardedTFRecords(
             FLAGS.output_tfrecord_path, num_shards=FLAGS.num_shards))
  logging.info('Wrote %d synthetic examples to %s*', FLAGS.num_examples,
               FLAGS.output_tfrecord_path)


def main(unused_argv):
  """From command line."""
  run()


def console_entry_point():
  """From pip installed script."""
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
