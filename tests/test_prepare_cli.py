"""Tests of the ddsp_prepare_tfrecord console script (run as a subprocess)."""
import glob
import os
import subprocess
import sys

import golden
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

BAD_DIR = golden.path('audio/bad')
BROKEN = ('empty_0_bytes.wav', 'not_audio_text.wav',
          'truncated_header_4s_data_1p5s.wav', 'nan_samples_float32.wav')
MODULE = 'ddsp.training.data_preparation.ddsp_prepare_tfrecord'
FAST_FLAGS = ['--crepe_model=tiny', '--frame_rate=50', '--example_secs=1',
              '--hop_secs=0.5', '--chunk_secs=4']


def run_cli(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  return subprocess.run([sys.executable, '-m', MODULE, *args], env=env,
                        capture_output=True, text=True, timeout=900,
                        check=False)


def run_main(*args):
  """Runs the script's main() in this process; returns the exit code."""
  from ddsp.training.data_preparation import ddsp_prepare_tfrecord  # pylint: disable=g-import-not-at-top
  script_flags = ddsp_prepare_tfrecord.FLAGS
  script_flags.unparse_flags()
  script_flags(['ddsp_prepare_tfrecord', *args])
  try:
    ddsp_prepare_tfrecord.main([])
  except SystemExit as e:
    return e.code
  finally:
    script_flags.unparse_flags()
  return 0


def count_records(pattern):
  return sum(1 for p in glob.glob(pattern)
             for _ in tf.data.TFRecordDataset(p))


@pytest.fixture(scope='module')
def good_dir(tmp_path_factory):
  """Two short good clips: 16 kHz mono 16-bit and 44.1 kHz stereo 24-bit."""
  folder = tmp_path_factory.mktemp('good')
  t = np.arange(int(1.5 * 16000)) / 16000
  sf.write(str(folder / 'mono16k.wav'), 0.5 * np.sin(2 * np.pi * 440 * t),
           16000)
  t = np.arange(44100) / 44100
  stereo = np.stack([0.4 * np.sin(2 * np.pi * 330 * t),
                     0.3 * np.sin(2 * np.pi * 331 * t)], axis=1)
  sf.write(str(folder / 'stereo44k.wav'), stereo, 44100, subtype='PCM_24')
  hidden = folder / '.ipynb_checkpoints'
  hidden.mkdir()
  sf.write(str(hidden / 'mono16k-checkpoint.wav'), np.zeros(16000), 16000)
  return str(folder)


def test_bad_files_logged_once_and_good_files_written(good_dir, tmp_path):
  out = str(tmp_path / 'out' / 'data.tfrecord')
  bad = [os.path.join(BAD_DIR, name) for name in BROKEN]
  result = run_cli(f'--input_audio_filepatterns={good_dir}/*.wav,'
                   f'{",".join(bad)},{BAD_DIR}/too_short_0p2s.wav',
                   f'--output_tfrecord_path={out}', *FAST_FLAGS)
  assert result.returncode == 0, result.stderr[-3000:]
  for name in BROKEN:
    lines = [l for l in result.stderr.splitlines() if name in l]
    assert len(lines) == 1, (name, lines)
    assert 'Skipped' in lines[0]
  # 1.5 s and 1 s clips and the 0.2 s clip, each padded to one 4 s chunk;
  # windows of 1 s every 0.5 s holding at least 0.5 s of audio (the first
  # window always): 3 + 2 + 1.
  assert count_records(out + '*') == 6
  assert '3 files ok, 4 files skipped, 6 examples' in result.stderr


def test_exit_status_nonzero_when_no_example(tmp_path, caplog):
  bad = [os.path.join(BAD_DIR, name) for name in BROKEN]
  code = run_main(f'--input_audio_filepatterns={",".join(bad)}',
                  f'--output_tfrecord_path={tmp_path}/data.tfrecord',
                  *FAST_FLAGS)
  assert code not in (0, None)
  assert 'No examples were written' in caplog.text
  assert not glob.glob(f'{tmp_path}/data.tfrecord*')  # No empty shard left.


@pytest.mark.parametrize('flags, says', [
    (['--input_audio_filepatterns={tmp}/missing.wav'],
     "No audio file matches --input_audio_filepatterns='{tmp}/missing.wav'"),
    (['--input_audio_filepatterns={tmp}/empty/*'],
     "No audio file matches --input_audio_filepatterns='{tmp}/empty/*'"),
    (['--input_audio_filepatterns={good}/*.wav', '--example_secs=-1'],
     'example_secs must be >= 0'),
    (['--input_audio_filepatterns={good}/*.wav', '--hop_secs=0'],
     'hop_secs must be > 0'),
    (['--input_audio_filepatterns={good}/*.wav', '--eval_split_fraction=1'],
     'eval_split_fraction must be in [0, 1)'),
])
def test_bad_input_ends_with_a_message_and_writes_nothing(
    good_dir, tmp_path, caplog, flags, says):
  (tmp_path / 'empty').mkdir()
  out = tmp_path / 'out'
  fmt = {'tmp': tmp_path, 'good': good_dir}
  code = run_main(*FAST_FLAGS, f'--output_tfrecord_path={out}/train.tfrecord',
                  *[f.format(**fmt) for f in flags])
  assert code not in (0, None)
  assert says.format(**fmt) in caplog.text
  assert not out.exists() or not os.listdir(out)


def test_exit_status_nonzero_when_output_unwritable(good_dir, tmp_path,
                                                    caplog):
  blocker = tmp_path / 'a_file'
  blocker.write_text('x')
  code = run_main(f'--input_audio_filepatterns={good_dir}/*.wav',
                  f'--output_tfrecord_path={blocker}/sub/data.tfrecord',
                  *FAST_FLAGS)
  assert code not in (0, None)
  assert 'Cannot write output_tfrecord_path' in caplog.text


def test_glob_skips_hidden_folders(good_dir):
  from ddsp.training.data_preparation import file_patterns  # pylint: disable=g-import-not-at-top
  paths = file_patterns.expand_filepatterns(
      [f'{good_dir}/*.wav', f'{good_dir}/*/*.wav'])
  assert sorted(os.path.basename(p) for p in paths) == ['mono16k.wav',
                                                        'stereo44k.wav']
  explicit = file_patterns.expand_filepatterns(
      [f'{good_dir}/.ipynb_checkpoints/*.wav'])
  assert len(explicit) == 1


@pytest.mark.slow
def test_two_worker_multiprocessing_run(good_dir, tmp_path):
  out = str(tmp_path / 'data.tfrecord')
  result = run_cli(
      f'--input_audio_filepatterns={good_dir}/*.wav',
      f'--output_tfrecord_path={out}', '--num_shards=3', *FAST_FLAGS,
      '--pipeline_options=--direct_num_workers=2,'
      '--direct_running_mode=multi_processing')
  assert result.returncode == 0, result.stderr[-3000:]
  assert len(glob.glob(out + '-*-of-00003')) == 3
  # The 1.5 s and 1 s clips: 3 + 2 windows of 1 s holding >= 0.5 s of audio.
  assert count_records(out + '*') == 3 + 2


@pytest.mark.parametrize('sample_rate, frame_rate', [(44100, 300),
                                                     (16000, 3)])
def test_fractional_hop_is_refused_at_start_up(good_dir, tmp_path, caplog,
                                               sample_rate, frame_rate):
  out = str(tmp_path / 'data' / 'train.tfrecord')
  code = run_main(f'--input_audio_filepatterns={good_dir}/*.wav',
                  f'--output_tfrecord_path={out}',
                  f'--sample_rate={sample_rate}',
                  f'--frame_rate={frame_rate}', '--crepe_model=tiny')
  assert code == 1
  assert 'Nearby valid frame rates' in caplog.text
  assert not glob.glob(out + '*')
