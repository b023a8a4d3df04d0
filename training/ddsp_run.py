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

  ddsp_run \
    --mode=train \
    --save_dir=~/tmp/my_run \
    --gin_file=models/solo_instrument.gin \
    --gin_file=datasets/tfrecord.gin \
    --gin_param="TFRecordProvider.file_pattern='/data/train.tfrecord*'" \
    --gin_param="batch_size=16" \
    --alsologtostderr

Re-running the command resumes from the newest checkpoint. Evaluate or
sample (audio / spectrogram summaries) from a run folder:

  ddsp_run --mode=sample --save_dir=~/tmp/my_run --run_once \
    --gin_file=datasets/tfrecord.gin \
    --gin_param="TFRecordProvider.file_pattern='/data/train.tfrecord*'"

Gin configuration is layered (later wins): optimization/base.gin (or
base_tpu.gin), eval/basic.gin, the newest operative_config-*.gin of the
restore folder, then --gin_file files and --gin_param bindings. Files are
looked up in the package's gin folder and in every --gin_search_path.
"""

import os
import time

from absl import app
from absl import flags
from absl import logging
from ddsp.training import cloud
from ddsp.training import eval_util
from ddsp.training import models
from ddsp.training import train_util
from ddsp.training import trainers
import gin
import tensorflow as tf

FLAGS = flags.FLAGS

# Program flags.
flags.DEFINE_enum('mode', 'train', ['train', 'eval', 'sample'],
                  'Whether to train, evaluate, or sample from the model.')
flags.DEFINE_string('save_dir', '/tmp/ddsp',
                    'Path where checkpoints and summary events will be saved '
                    'during training and evaluation.')
flags.DEFINE_string('restore_dir', '',
                    'Path from which checkpoints will be restored before '
                    'training. Can be different than the save_dir.')
flags.DEFINE_string('tpu', '', 'Address of the TPU. No TPU if left blank.')
flags.DEFINE_string('cluster_config', '',
                    'Worker-specific JSON string for multiworker setup. '
                    'For more information see train_util.get_strategy().')
flags.DEFINE_boolean('allow_memory_growth', False,
                     'Whether to grow the GPU memory usage as is needed by '
                     'the process. Prevents crashes on GPUs with smaller '
                     'memory.')
flags.DEFINE_boolean('hypertune', False,
                     'Enable metric reporting for hyperparameter tuning, such '
                     'as on Google Cloud AI-Platform.')
flags.DEFINE_float('early_stop_loss_value', None,
                   'Stops training early when the `total_loss` reaches below '
                   'this value during training.')
flags.DEFINE_boolean('jit_compile', False,
                     'XLA-compile the training step (not in the original; '
                     'faster on CPU, same losses within float32 tolerance).')

# Gin config flags.
flags.DEFINE_multi_string('gin_search_path', [],
                          'Additional gin file search paths.')
flags.DEFINE_multi_string('gin_file', [],
                          'List of paths to the config files. If file in '
                          'gstorage bucket specify whole gstorage path: '
                          'gs://bucket-name/dir/in/bucket/file.gin.')
flags.DEFINE_multi_string('gin_param', [],
                          'Newline separated list of Gin parameter bindings.')

# Evaluation/sampling specific flags.
flags.DEFINE_boolean('run_once', False, 'Whether evaluation will run once.')
flags.DEFINE_integer('initial_delay_secs', None,
                     'Time to wait before evaluation starts')


def find_gin_path(module_file=__file__):
  """Folder holding the shipped gin configs.

  Installed, the configs are package data at <site>/ddsp/training/gin; in the
  editable source tree they live in the repository's gin/ folder next to
  training/. (No pkg_resources: it is deprecated.)

  Args:
    module_file: Path of this module (parameter for tests).

  Returns:
    The gin folder.
  """
  here = os.path.dirname(os.path.abspath(module_file))
  for candidate in (os.path.join(here, 'gin'),
                    os.path.join(os.path.dirname(here), 'gin')):
    if os.path.isdir(candidate):
      return candidate
  return os.path.join(here, 'gin')


GIN_PATH = find_gin_path()


def delay_start():
  """Optionally sleep before evaluation / sampling starts."""
  if FLAGS.initial_delay_secs:
    logging.info('Waiting for %i second(s)', FLAGS.initial_delay_secs)
    time.sleep(FLAGS.initial_delay_secs)


# ---------------------------------------------------------------------------
# Gin parsing.
# ---------------------------------------------------------------------------
def _unknown_selectors(config_text):
  """Configurable names bound in `config_text` that gin does not know."""
  try:
    from gin import config_parser  # pylint: disable=g-import-not-at-top
    registry = gin.config._REGISTRY  # pylint: disable=protected-access
    parser = config_parser.ConfigParser(
        config_text, gin.config.ParserDelegate(skip_unknown=True))
    unknown = []
    for statement in parser:
      if isinstance(statement, config_parser.BindingStatement):
        if statement.arg_name and not registry.matching_selectors(
            statement.selector):
          unknown.append(statement.selector)
    return unknown
  except Exception:  # pylint: disable=broad-except
    return []  # Checking is best effort; gin itself reports syntax errors.


def _is_shipped_config(path):
  """True for files of the package's gin folder (parsed leniently)."""
  return not os.path.isabs(path) and os.path.exists(
      os.path.join(GIN_PATH, path))


def check_gin_names(gin_files, gin_params):
  """Fails on misspelled configurable names in user bindings.

  gin's skip_unknown=True (kept for compatibility with old operative configs
  and shipped configs) silently ignores bindings of unknown configurables, so
  a typo such as `TFRecordProvidr.file_pattern` would be lost. Command-line
  bindings and user gin files (not the shipped ones) are checked here.

  Args:
    gin_files: Gin files given with --gin_file (already local).
    gin_params: Bindings given with --gin_param.

  Raises:
    ValueError: naming the unknown configurable and where it was found.
  """
  for param in gin_params:
    unknown = _unknown_selectors(param)
    if unknown:
      raise ValueError(
          f'Unknown gin configurable {unknown[0]!r} in --gin_param '
          f'{param!r} (misspelled name, or a module that is not imported?).')
  for path in gin_files:
    if _is_shipped_config(path):
      continue
    if not tf.io.gfile.exists(path):
      continue  # gin resolves search paths and raises if really missing.
    with tf.io.gfile.GFile(path) as f:
      unknown = _unknown_selectors(f.read())
    if unknown:
      raise ValueError(
          f'Unknown gin configurable {unknown[0]!r} in gin file {path!r} '
          '(misspelled name, or a module that is not imported?).')


def parse_gin(restore_dir):
  """Parses the layered gin configuration.

  Order (later bindings win): optimization/base.gin (base_tpu.gin with
  --tpu), eval/basic.gin, the restore folder's latest operative config, then
  --gin_file files and --gin_param bindings.

  Args:
    restore_dir: Folder (or checkpoint prefix) whose operative config is
      reused.
  """
  # Read gin files from GCS too.
  gin.config.register_file_reader(tf.io.gfile.GFile, tf.io.gfile.exists)

  gin.add_config_file_search_path(GIN_PATH)
  for gin_search_path in FLAGS.gin_search_path:
    gin.add_config_file_search_path(gin_search_path)

  with gin.unlock_config():
    if FLAGS.tpu:
      gin.parse_config_file(os.path.join('optimization', 'base_tpu.gin'))
    else:
      gin.parse_config_file(os.path.join('optimization', 'base.gin'))
    gin.parse_config_file(os.path.join('eval', 'basic.gin'))

    # Bindings of the run being restored.
    try:
      operative_config = train_util.get_latest_operative_config(restore_dir)
      if tf.io.gfile.exists(operative_config):
        operative_config = cloud.make_file_paths_local(operative_config,
                                                       GIN_PATH)
        logging.info('Using operative config: %s', operative_config)
        gin.parse_config_file(operative_config, skip_unknown=True)
    except FileNotFoundError:
      logging.info('Operative config not found in %s', restore_dir)

    # User gin files and bindings.
    gin_files = cloud.make_file_paths_local(FLAGS.gin_file, GIN_PATH)
    check_gin_names(gin_files, FLAGS.gin_param)
    gin.parse_config_files_and_bindings(
        gin_files, FLAGS.gin_param, skip_unknown=True)


def allow_memory_growth():
  """Grow GPU memory as needed instead of reserving it all."""
  gpus = tf.config.experimental.list_physical_devices('GPU')
  if gpus:
    try:
      for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as e:
      # Memory growth must be set before GPUs have been initialized.
      logging.error(e)


def main(unused_argv):
  """Parse gin config and run ddsp training, evaluation, or sampling."""
  restore_dir = os.path.expanduser(FLAGS.restore_dir)
  save_dir = os.path.expanduser(FLAGS.save_dir)
  # If no separate restore directory is given, use the save directory.
  restore_dir = save_dir if not restore_dir else restore_dir
  logging.info('Restore Dir: %s', restore_dir)
  logging.info('Save Dir: %s', save_dir)

  tf.io.gfile.makedirs(restore_dir)  # Only makes dirs if they don't exist.
  parse_gin(restore_dir)
  logging.info('Operative Gin Config:\n%s', gin.config.config_str())

  if FLAGS.allow_memory_growth:
    allow_memory_growth()

  if FLAGS.mode == 'train':
    strategy = train_util.get_strategy(tpu=FLAGS.tpu,
                                       cluster_config=FLAGS.cluster_config)
    with strategy.scope():
      model = models.get_model()
      trainer = trainers.get_trainer_class()(model, strategy)
      if FLAGS.jit_compile:
        trainer.jit_compile = True

    train_util.train(data_provider=gin.REQUIRED,
                     trainer=trainer,
                     save_dir=save_dir,
                     restore_dir=restore_dir,
                     early_stop_loss_value=FLAGS.early_stop_loss_value,
                     report_loss_to_hypertune=FLAGS.hypertune)

  elif FLAGS.mode == 'eval':
    model = models.get_model()
    delay_start()
    eval_util.evaluate(data_provider=gin.REQUIRED,
                       model=model,
                       save_dir=save_dir,
                       restore_dir=restore_dir,
                       run_once=FLAGS.run_once)

  elif FLAGS.mode == 'sample':
    model = models.get_model()
    delay_start()
    eval_util.sample(data_provider=gin.REQUIRED,
                     model=model,
                     save_dir=save_dir,
                     restore_dir=restore_dir,
                     run_once=FLAGS.run_once)


def console_entry_point():
  """From pip installed script."""
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
