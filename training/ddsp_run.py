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

r"""Train, evaluate or sample a DDSP model configured with gin.

Train (checkpoints, summaries and the operative config go to --save_dir):

  ddsp_run --mode=train --save_dir=~/tmp/my_run \
    --gin_file=models/solo_instrument.gin --gin_file=datasets/tfrecord.gin \
    --gin_param="TFRecordProvider.file_pattern='/data/train.tfrecord*'" \
    --gin_param="batch_size=16" --alsologtostderr

Re-running the command resumes from the newest checkpoint. Evaluate or
sample from a run folder: --mode=sample --run_once (same data flags).

Gin layering and checks: `ddsp.training.gin_setup`; modes: `run_modes`.
"""

from absl import flags
from absl import logging
from ddsp.training import command_flags
from ddsp.training import gin_setup
from ddsp.training import run_modes
import gin

FLAGS = command_flags.new_flag_values()

# The original's name for the gin folder (re-exported, see `gin_setup`).
GIN_PATH = gin_setup.GIN_PATH

# Program flags.
flags.DEFINE_enum('mode', 'train', list(run_modes.MODES),
                  'Whether to train, evaluate, or sample from the model.',
                  flag_values=FLAGS)
flags.DEFINE_string('save_dir', '/tmp/ddsp',
                    'Path where checkpoints and summary events will be saved '
                    'during training and evaluation.', flag_values=FLAGS)
flags.DEFINE_string('restore_dir', '',
                    'Path from which checkpoints will be restored before '
                    'training. Can be different than the save_dir.',
                    flag_values=FLAGS)
flags.DEFINE_string('tpu', '', 'Address of the TPU. No TPU if left blank.',
                    flag_values=FLAGS)
flags.DEFINE_string('cluster_config', '',
                    'Worker-specific JSON string for multiworker setup. '
                    'For more information see train_util.get_strategy().',
                    flag_values=FLAGS)
flags.DEFINE_boolean('allow_memory_growth', False,
                     'Whether to grow the GPU memory usage as is needed by '
                     'the process. Prevents crashes on GPUs with smaller '
                     'memory.', flag_values=FLAGS)
flags.DEFINE_boolean('hypertune', False,
                     'Enable metric reporting for hyperparameter tuning, such '
                     'as on Google Cloud AI-Platform.', flag_values=FLAGS)
flags.DEFINE_float('early_stop_loss_value', None,
                   'Stops training early when the `total_loss` reaches below '
                   'this value during training.', flag_values=FLAGS)
flags.DEFINE_boolean('jit_compile', False,
                     'XLA-compile the training step (not in the original; '
                     'faster on CPU, same losses within float32 tolerance).',
                     flag_values=FLAGS)
flags.DEFINE_float('train_minutes', None, 'Wall-clock training budget in '
                   'minutes; then a checkpoint is saved and training stops.',
                   lower_bound=0.0, flag_values=FLAGS)
flags.DEFINE_integer('seed', None, 'Seed of the RNGs (picked and logged if '
                     'unset); recorded in the operative config.',
                     lower_bound=0, upper_bound=2**32 - 1, flag_values=FLAGS)
flags.DEFINE_boolean('auto_restart', True, 'Restart from a fresh '
                     'initialisation (new seed, old files kept aside) when '
                     'the harmonic part collapses early in training.',
                     flag_values=FLAGS)

# Gin config flags.
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

# Evaluation/sampling flags.
flags.DEFINE_boolean('run_once', False, 'Whether evaluation will run once.',
                     flag_values=FLAGS)
flags.DEFINE_integer('initial_delay_secs', None,
                     'Time to wait before evaluation starts', lower_bound=0,
                     flag_values=FLAGS)


def parse_gin(restore_dir):
  """Parses the layered gin configuration of the flags (gin_setup)."""
  restart = [] if FLAGS.auto_restart else ['CollapseDetector.restart=False']
  gin_setup.parse_gin(restore_dir,
                      gin_files=FLAGS.gin_file,
                      gin_params=FLAGS.gin_param + restart,
                      gin_search_paths=FLAGS.gin_search_path,
                      tpu=bool(FLAGS.tpu))


def main(unused_argv):
  """Parses the gin config, then trains, evaluates or samples."""
  save_dir, restore_dir = run_modes.run_dirs(
      FLAGS.save_dir, FLAGS.restore_dir, FLAGS.mode, FLAGS.run_once)
  logging.info('Restore Dir: %s', restore_dir)
  logging.info('Save Dir: %s', save_dir)
  parse_gin(restore_dir)
  gin_setup.require_model()
  logging.info('Operative Gin Config:\n%s', gin.config.config_str())
  if FLAGS.allow_memory_growth:
    run_modes.allow_memory_growth()
  with run_modes.removed_on_failure(save_dir):  # Nothing new left on failure.
    if FLAGS.mode == 'train':
      run_modes.train(save_dir, restore_dir, tpu=FLAGS.tpu,
                      cluster_config=FLAGS.cluster_config,
                      early_stop_loss_value=FLAGS.early_stop_loss_value,
                      report_loss_to_hypertune=FLAGS.hypertune,
                      jit_compile=FLAGS.jit_compile, seed=FLAGS.seed,
                      train_minutes=FLAGS.train_minutes)
    else:
      run_modes.evaluate_or_sample(FLAGS.mode, save_dir, restore_dir,
                                   run_once=FLAGS.run_once,
                                   initial_delay_secs=FLAGS.initial_delay_secs)


def console_entry_point():
  """From pip installed script."""
  command_flags.run(main, FLAGS, 'ddsp_run')


if __name__ == '__main__':
  console_entry_point()
