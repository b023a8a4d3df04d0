"""Tests of data_preparation.synthetic_data and its dataset generator."""
import glob
import os
import subprocess
import sys
import warnings

import gin
import numpy as np
import pytest
import tensorflow as tf

with warnings.catch_warnings():
  warnings.simplefilter('ignore', UserWarning)
  from ddsp.training.data_preparation import synthetic_data  # pylint: disable=g-import-not-at-top

KEYS = ('harm_amp', 'harm_dist', 'f0_hz', 'sin_amps', 'sin_freqs',
        'noise_magnitudes')


def test_import_warns_experimental():
  # A fresh interpreter: re-importing here would re-register gin names.
  result = subprocess.run(
      [sys.executable, '-W', 'error::UserWarning', '-c',
       'import ddsp.training.data_preparation.synthetic_data'],
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'), capture_output=True,
      text=True, timeout=300, check=False)
  assert result.returncode != 0
  assert 'UserWarning: EXPERIMENTAL' in result.stderr


@pytest.mark.parametrize('name', ['generate_notes', 'generate_notes_v2'])
def test_generators_are_gin_configurable(name):
  configurable = getattr(synthetic_data, name)
  with gin.unlock_config():
    gin.parse_config(f'{name}.n_harmonics = 7')
  try:
    np.random.seed(0)
    out = configurable(n_batch=1, n_timesteps=30)
    assert out['harm_dist'].shape == (1, 30, 7)
  finally:
    gin.clear_config()


@pytest.mark.parametrize('fn', ['generate_notes', 'generate_notes_v2'])
def test_generator_shapes_and_ranges(fn):
  np.random.seed(3)
  out = getattr(synthetic_data, fn)(n_batch=2, n_timesteps=40,
                                    n_harmonics=12, n_mags=9)
  shapes = {k: tuple(out[k].shape) for k in KEYS}
  assert shapes == {'harm_amp': (2, 40, 1), 'harm_dist': (2, 40, 12),
                    'f0_hz': (2, 40, 1), 'sin_amps': (2, 40, 12),
                    'sin_freqs': (2, 40, 12), 'noise_magnitudes': (2, 40, 9)}
  for k in KEYS:
    assert out[k].dtype == tf.float32
    assert np.all(np.isfinite(out[k].numpy()))
  f0 = out['f0_hz'].numpy()
  assert np.all((f0 >= 32.0) & (f0 <= 1050.0))  # MIDI 24..84.
  assert np.all(out['harm_amp'].numpy() >= 0)
  np.testing.assert_allclose(np.sum(out['harm_dist'].numpy(), -1), 1.0,
                             atol=1e-4)
  np.testing.assert_allclose(out['sin_freqs'].numpy()[..., 1], 2 * f0[..., 0],
                             rtol=1e-5)


def test_generator_is_deterministic_given_numpy_seed():
  np.random.seed(11)
  a = synthetic_data.generate_notes_v2(n_batch=1, n_timesteps=50)
  np.random.seed(11)
  b = synthetic_data.generate_notes_v2(n_batch=1, n_timesteps=50)
  for k in KEYS:
    np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())


def test_uniform_int_is_inclusive():
  np.random.seed(0)
  draws = {synthetic_data.uniform_int(0, 2) for _ in range(200)}
  assert draws == {0, 1, 2}


def test_random_blend_endpoints():
  np.random.seed(0)
  blend = synthetic_data.random_blend(10, env_start=3.0, env_end=-1.0)
  assert blend[0] == pytest.approx(3.0)
  assert blend[-1] == pytest.approx(-1.0)


def test_generate_dataset_cli_matches_synthetic_notes_schema(tmp_path):
  out = str(tmp_path / 'synth.tfrecord')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  result = subprocess.run(
      [sys.executable, '-m',
       'ddsp.training.data_preparation.ddsp_generate_synthetic_dataset',
       f'--output_tfrecord_path={out}', '--num_shards=2',
       '--num_examples=3',
       '--gin_param=generate_examples.generate_fn = @generate_notes_v2',
       '--gin_param=generate_notes_v2.n_timesteps = 20',
       '--gin_param=generate_notes_v2.n_harmonics = 8',
       '--gin_param=generate_notes_v2.n_mags = 5'],
      env=env, capture_output=True, text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  files = sorted(glob.glob(out + '*'))
  assert [os.path.basename(f) for f in files] == [
      'synth.tfrecord-00000-of-00002', 'synth.tfrecord-00001-of-00002']
  lengths = {'harm_amp': 20, 'harm_dist': 160, 'f0_hz': 20,
             'sin_amps': 160, 'sin_freqs': 160, 'noise_magnitudes': 100}
  n = 0
  for f in files:
    for record in tf.data.TFRecordDataset(f):
      ex = tf.train.Example.FromString(record.numpy()).features.feature
      assert {k: len(v.float_list.value) for k, v in ex.items()} == lengths
      n += 1
  assert n == 3
