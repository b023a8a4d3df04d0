"""Tests of the ddsp_prepare_tfrecord console script (run as a subprocess).

Bad inputs (missing or broken files, values out of range, an unwritable
output) are rows of the matrix in test_bad_inputs.py.
"""
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

