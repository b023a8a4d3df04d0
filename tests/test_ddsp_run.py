"""ddsp_run: gin layering, flags, fail-fast errors, train / eval / sample runs."""
import os
import shutil
import subprocess
import sys

from absl.testing import flagsaver
import gin
import pytest

import golden
from ddsp.training import ddsp_run
from ddsp.training import gin_setup
import training_toys

FLAGS = ddsp_run.FLAGS
GOLDEN_SOLO = golden.path('golden/solo_instrument')


@pytest.fixture(autouse=True)
def _parsed_flags():
  """Flags at their defaults; gin cleared before and after."""
  if not FLAGS.is_parsed():
    FLAGS.mark_as_parsed()
  gin.clear_config()
  saved = flagsaver.save_flag_values(FLAGS)
  try:
    yield
  finally:
    flagsaver.restore_flag_values(saved, FLAGS)
  gin.clear_config()


# ---------------------------------------------------------------------------
# GIN_PATH.
# ---------------------------------------------------------------------------
def test_gin_path_in_the_source_tree_is_the_repo_gin_folder():
  assert ddsp_run.GIN_PATH == os.path.join(training_toys.REPO, 'gin')
  for rel in ('optimization/base.gin', 'eval/basic.gin',
              'models/solo_instrument.gin', 'datasets/tfrecord.gin'):
    assert os.path.isfile(os.path.join(ddsp_run.GIN_PATH, rel)), rel


def test_gin_path_when_installed_is_package_data_next_to_the_module(
    tmp_path):
  package = tmp_path / 'site-packages' / 'ddsp' / 'training'
  (package / 'gin' / 'optimization').mkdir(parents=True)
  module = package / 'gin_setup.py'
  module.write_text('')
  assert gin_setup.find_gin_path(str(module)) == str(package / 'gin')


def test_gin_path_does_not_use_pkg_resources():
  source = open(gin_setup.__file__).read()
  assert 'pkg_resources' not in source.replace(
      '(No pkg_resources: it is deprecated.)', '')


_PRINT_OWN_DEFAULTS = """
import json
import ddsp.training.ddsp_run as ddsp_run
own = ddsp_run.FLAGS.flags_by_module_dict()[ddsp_run.__name__]
print(json.dumps({f.name: f.default for f in own}))
"""


def _own_flag_defaults():
  """Defaults of the flags ddsp_run defines, in a process of its own.

  A process that imported nothing else: the defaults are ddsp_run's own
  whatever else a test process imported (tests/test_cli_modules.py checks
  that importing every command keeps them).
  """
  import json  # pylint: disable=g-import-not-at-top
  result = subprocess.run([sys.executable, '-c', _PRINT_OWN_DEFAULTS],
                          capture_output=True, text=True, timeout=600,
                          check=True)
  return json.loads(result.stdout.strip().splitlines()[-1])


def test_flag_defaults():
  defaults = _own_flag_defaults()
  assert defaults['mode'] == 'train'
  assert defaults['save_dir'] == '/tmp/ddsp'
  assert defaults['restore_dir'] == ''
  assert defaults['tpu'] == '' and defaults['cluster_config'] == ''
  assert defaults['allow_memory_growth'] is False
  assert defaults['hypertune'] is False
  assert defaults['early_stop_loss_value'] is None
  assert defaults['gin_search_path'] == [] and defaults['gin_file'] == []
  assert defaults['gin_param'] == []
  assert defaults['run_once'] is False
  assert defaults['initial_delay_secs'] is None
  assert defaults['auto_restart'] is True


# ---------------------------------------------------------------------------
# Gin layering (in process).
# ---------------------------------------------------------------------------
def _write(path, text):
  with open(path, 'w') as f:
    f.write(text)
  return str(path)


def test_parse_gin_layers_base_eval_operative_files_and_params(tmp_path):
  restore_dir = tmp_path / 'run'
  restore_dir.mkdir()
  _write(restore_dir / 'operative_config-0.gin',
         'train.num_steps = 11\nTrainer.learning_rate = 0.1\n')
  _write(restore_dir / 'operative_config-5.gin',
         'train.num_steps = 77\nTrainer.learning_rate = 0.5\n'
         'train.steps_per_save = 9\nNotARealConfigurable.x = 1\n')
  user_gin = _write(tmp_path / 'user.gin', 'train.steps_per_save = 10\n')
  FLAGS.gin_file = [user_gin]
  FLAGS.gin_param = ['train.num_steps = 88']
  ddsp_run.parse_gin(str(restore_dir))
  # --gin_param beats the operative config.
  assert gin.query_parameter('train.num_steps') == 88
  # The newest operative config beats optimization/base.gin's macro.
  assert gin.query_parameter('Trainer.learning_rate') == 0.5
  # --gin_file beats the operative config.
  assert gin.query_parameter('train.steps_per_save') == 10
  # optimization/base.gin and eval/basic.gin are loaded first.
  assert gin.query_parameter('train.steps_per_summary') == 300
  assert gin.query_parameter('Trainer.grad_clip_norm') == 3.0
  assert gin.query_parameter('evaluate.evaluator_classes') is not None
  assert gin.query_parameter('sample.evaluator_classes') is not None


@pytest.mark.parametrize('auto_restart', [True, False])
def test_auto_restart_flag_sets_the_collapse_detector(tmp_path, auto_restart):
  FLAGS.auto_restart = auto_restart
  ddsp_run.parse_gin(str(tmp_path))
  from ddsp.training import health  # pylint: disable=g-import-not-at-top
  assert health.CollapseDetector().restart is auto_restart


def test_parse_gin_reads_the_operative_config_next_to_a_checkpoint_prefix(
    tmp_path):
  _write(tmp_path / 'operative_config-3.gin', 'train.num_steps = 33\n')
  ddsp_run.parse_gin(str(tmp_path / 'ckpt-3'))
  assert gin.query_parameter('train.num_steps') == 33


def test_parse_gin_without_operative_config_is_fine(tmp_path):
  ddsp_run.parse_gin(str(tmp_path))
  assert gin.query_parameter('train.num_steps') == 1000000


def test_gin_search_path_finds_user_files(tmp_path):
  extra = tmp_path / 'configs'
  (extra / 'mine').mkdir(parents=True)
  _write(extra / 'mine' / 'fast.gin', 'train.num_steps = 5\n')
  FLAGS.gin_search_path = [str(extra)]
  FLAGS.gin_file = ['mine/fast.gin']
  ddsp_run.parse_gin(str(tmp_path))
  assert gin.query_parameter('train.num_steps') == 5


def test_gin_typo_in_a_file_of_the_search_path_fails_naming_it(tmp_path):
  extra = tmp_path / 'configs'
  (extra / 'mine').mkdir(parents=True)
  _write(extra / 'mine' / 'typo.gin', 'TFRecordProvidr.file_pattern = 1\n')
  FLAGS.gin_search_path = [str(extra)]
  FLAGS.gin_file = ['mine/typo.gin']
  with pytest.raises(ValueError, match='TFRecordProvidr.*mine/typo.gin'):
    ddsp_run.parse_gin(str(tmp_path))


def test_gin_typo_in_a_param_fails_naming_it(tmp_path):
  FLAGS.gin_param = ["TFRecordProvidr.file_pattern = 'x*'"]
  with pytest.raises(ValueError, match='TFRecordProvidr'):
    ddsp_run.parse_gin(str(tmp_path))


def test_gin_typo_in_a_user_file_fails_naming_it(tmp_path):
  FLAGS.gin_file = [_write(tmp_path / 'typo.gin', 'Trainerr.learning_rate = 1\n')]
  with pytest.raises(ValueError, match='Trainerr'):
    ddsp_run.parse_gin(str(tmp_path))


def test_unknown_parameter_of_a_known_configurable_fails(tmp_path):
  FLAGS.gin_param = ['train.num_stepz = 3']
  with pytest.raises(ValueError, match='num_stepz'):
    ddsp_run.parse_gin(str(tmp_path))


def test_gin_syntax_error_in_a_param_fails_naming_it(tmp_path):
  """The name check does not pass text it cannot read: it says so."""
  FLAGS.gin_param = ["TFRecordProvider.file_pattern = "]
  with pytest.raises(ValueError, match=r'Cannot parse .*--gin_param'):
    ddsp_run.parse_gin(str(tmp_path))


def test_gin_syntax_error_in_a_user_file_fails_naming_it(tmp_path):
  FLAGS.gin_file = [_write(tmp_path / 'bad.gin', 'train.num_steps = [1,\n')]
  with pytest.raises(ValueError, match=r'Cannot parse .*bad\.gin'):
    ddsp_run.parse_gin(str(tmp_path))


def test_user_file_importing_a_module_binds_its_configurables(tmp_path):
  """A gin `import` registers configurables before their names are checked."""
  gin_setup.check_gin_names(
      [_write(tmp_path / 'imports.gin',
              'import ddsp.training.data_preparation.synthetic_data\n'
              'generate_notes_v2.n_timesteps = 20\n')], [])


def test_unknown_selectors_lists_every_unknown_name():
  text = ('train.num_steps = 3\nframe_rate = 250\n'
          'Trainerr.learning_rate = 1\nFoo.x = @Bar()\n')
  assert gin_setup.unknown_selectors(text, 'text') == ['Trainerr', 'Foo']


# ---------------------------------------------------------------------------
# Command line runs.
# ---------------------------------------------------------------------------
def test_console_script_is_installed_and_shows_flags():
  script = os.path.join(os.path.dirname(sys.executable), 'ddsp_run')
  assert os.path.exists(script), 'ddsp_run console script not installed'
  proc = subprocess.run([script, '--helpfull'], capture_output=True,
                        text=True, timeout=300)
  out = proc.stdout + proc.stderr  # absl exits with 1 after --helpfull.
  assert 'ddsp.training.ddsp_run' in out, out[-2000:]
  for flag in ('--mode', '--save_dir', '--restore_dir', '--gin_file',
               '--gin_param', '--gin_search_path', '--cluster_config',
               '--early_stop_loss_value', '--allow_memory_growth', '--tpu'):
    assert flag[2:] in out, flag


def _run_main(**flag_values):
  """ddsp_run.main in this process with the given flag values."""
  for name, value in flag_values.items():
    setattr(FLAGS, name, value)
  ddsp_run.main([])


def test_missing_tfrecord_pattern_fails_at_start_up(tmp_path):
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  with pytest.raises(FileNotFoundError, match=r'/no/such/dir/x\.tfrecord\*'):
    _run_main(mode='train', save_dir=str(tmp_path / 'run'),
              gin_file=[gin_file],
              gin_param=["TFRecordProvider.file_pattern="
                         "'/no/such/dir/x.tfrecord*'"])
  assert not os.path.exists(tmp_path / 'run')  # Nothing left behind.


@pytest.mark.slow  # Three model traces: ~40 s idle, minutes on a busy box.
def test_train_then_eval_and_sample_a_tiny_model(tmp_path):
  """Minimal end to end (in process): train 3 steps, eval / sample once."""
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  run_dir = str(tmp_path / 'run')
  _run_main(mode='train', save_dir=run_dir, gin_file=[gin_file],
            gin_param=['train.num_steps=3', 'train.steps_per_save=2',
                       'train.steps_per_summary=2'])
  files = sorted(os.listdir(run_dir))
  assert files == ['checkpoint', 'ckpt-2.data-00000-of-00001', 'ckpt-2.index',
                   'ckpt-3.data-00000-of-00001', 'ckpt-3.index',
                   'operative_config-0.gin', 'summaries']
  train_tags = training_toys.read_event_tags(
      os.path.join(run_dir, 'summaries', 'train'))
  assert train_tags['losses/total_loss'] == [2]
  assert train_tags['losses/spectral_loss'] == [2]
  operative = open(os.path.join(run_dir, 'operative_config-0.gin')).read()
  assert operative.startswith('import ddsp')
  assert 'RnnFcDecoder.rnn_channels = 16' in operative

  # The run's operative config holds the model; the data provider of
  # sample / evaluate comes from the dataset gin file (as in the original).
  for mode in ('sample', 'eval'):
    gin.clear_config()
    _run_main(mode=mode, save_dir=run_dir, run_once=True,
              gin_file=[gin_file], gin_param=[])
  tags = training_toys.read_event_tags(
      os.path.join(run_dir, 'summaries', 'eval'))
  for tag in ('audio_generated', 'audio_original', 'waveform/full_1',
              'waveform/125ms_1', 'spectrogram/1', 'spectrogram/2'):
    assert tags[tag] == [3], tag
  # training=False: no losses but total_loss (= 0), as in the original.
  assert tags['losses/total_loss'] == [3]


@pytest.mark.needs_shared(golden.SOLO_CKPT, golden.SOLO_TFRECORD)
def test_sample_from_the_original_checkpoint(tmp_path):
  """The original's solo_instrument checkpoint restores through ddsp_run."""
  save_dir = str(tmp_path / 'samples')
  proc = training_toys.run_ddsp(
      '--mode=sample', f'--restore_dir={GOLDEN_SOLO}/ckpt',
      f'--save_dir={save_dir}', '--run_once',
      '--gin_file=datasets/tfrecord.gin',
      f"--gin_param=TFRecordProvider.file_pattern="
      f"'{GOLDEN_SOLO}/train.tfrecord*'",
      '--gin_param=sample.batch_size=1')
  assert 'ckpt-20' in proc.stderr
  tags = training_toys.read_event_tags(os.path.join(save_dir, 'summaries',
                                                    'eval'))
  for tag in ('audio_generated', 'audio_original', 'waveform/full_1',
              'spectrogram/1'):
    assert tags[tag] == [20], tag
  # Model variables were all found (only optimizer values are unused).
  unrestored = [l for l in proc.stderr.splitlines()
                if 'could not be found in the restored object' in l
                and '.optimizer.' not in l and 'save_counter' not in l]
  assert not unrestored, unrestored[:5]
  shutil.rmtree(save_dir)
