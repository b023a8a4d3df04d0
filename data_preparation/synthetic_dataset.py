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

"""A Beam pipeline writing TFRecords of random synthesizer controls.

Each example is drawn by a gin-configured generator of `synthetic_data`
(`generate_examples.generate_fn = @generate_notes_v2`) from a seed of its
own, so the dataset depends only on the random seed and the configuration,
not on how the pipeline splits the work. Records hold the flattened float32
controls (`harm_amp`, `harm_dist`, `f0_hz`, `sin_amps`, `sin_freqs`,
`noise_magnitudes`); `ddsp.training.data.SyntheticNotes` reads them.
"""

import os
from typing import Optional, Sequence

from absl import logging
import apache_beam as beam
from apache_beam.metrics import Metrics
from ddsp import errors
from ddsp.training import gin_setup
from ddsp.training import output_paths
from ddsp.training.data_preparation import prepare_tfrecord_lib
# Registers generate_notes / generate_notes_v2 with gin.
from ddsp.training.data_preparation import synthetic_data  # pylint: disable=unused-import
import gin
import numpy as np


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


def example_seeds(num_examples: int, random_seed: int = 42) -> Sequence[int]:
  """One seed per example, drawn from `random_seed` (0 .. 2**32 - 1)."""
  if not 0 <= random_seed < 2**32:
    raise errors.BadValueError(
        f'random_seed must be in [0, 2**32 - 1], got {random_seed}.')
  np.random.seed(random_seed)
  seeds = np.random.randint(2**32, size=num_examples, dtype=np.int64)
  return [int(s) for s in seeds]


def parse_gin(gin_files: Sequence[str] = (),
              gin_params: Sequence[str] = (),
              gin_search_paths: Sequence[str] = ()) -> None:
  """Parses the generator's configuration (`gin_setup.parse_user_config`)."""
  gin_setup.add_search_paths(gin_search_paths)
  with gin.unlock_config():
    gin_setup.parse_user_config(gin_files, gin_params, gin_search_paths)


def _check_arguments(output_tfrecord_path: str, num_examples: int,
                     num_shards: Optional[int]) -> None:
  """Refuses, before any work, what cannot give a dataset."""
  problems = [prepare_tfrecord_lib.num_shards_problem(num_shards)]
  if num_examples < 1:
    problems.append(f'num_examples must be >= 1, got {num_examples}')
  try:
    gin.query_parameter('generate_examples.generate_fn')
  except ValueError:
    problems.append('no generator is configured: set '
                    'generate_examples.generate_fn, e.g. --gin_param='
                    "'generate_examples.generate_fn = @generate_notes_v2'")
  problems = [p for p in problems if p]
  if problems:
    raise errors.BadValueError('; '.join(problems) + '.')
  output_paths.check_file(output_tfrecord_path, 'output_tfrecord_path')


def generate_synthetic_dataset(output_tfrecord_path: str,
                               num_examples: int,
                               num_shards: Optional[int] = None,
                               random_seed: int = 42,
                               pipeline_options: Sequence[str] = ()) -> None:
  """Runs the pipeline with the parsed gin configuration.

  Args:
    output_tfrecord_path: Output prefix; files are
      `<prefix>-SSSSS-of-NNNNN`.
    num_examples: Number of examples.
    num_shards: Number of output files (None: one per writer bundle).
    random_seed: Seed of the per-example seeds.
    pipeline_options: Beam pipeline options (flag strings).

  Raises:
    errors.BadValueError: fewer than one example or shard, a seed out of
      range, no generator configured or an unknown Beam runner.
    errors.UnwritablePathError: the output cannot be written.
  """
  _check_arguments(output_tfrecord_path, num_examples, num_shards)
  seeds = example_seeds(num_examples, random_seed)
  options = beam.options.pipeline_options.PipelineOptions(
      list(pipeline_options))
  folder = os.path.dirname(output_tfrecord_path) or '.'
  with output_paths.new_folders_removed(folder):
    with prepare_tfrecord_lib.make_pipeline(options) as pipeline:
      _ = (pipeline
           | beam.Create(seeds)
           | beam.ParDo(GenerateExampleFn(gin.config_str()))
           | beam.Reshuffle()
           # One FloatList feature per key, as the prepared datasets.
           | prepare_tfrecord_lib.WriteShardedTFRecords(
               output_tfrecord_path, num_shards=num_shards))
  logging.info('Wrote %d synthetic examples to %s*', num_examples,
               output_tfrecord_path)
