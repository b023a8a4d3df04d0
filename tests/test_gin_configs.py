"""The shipped gin configs (gin/): presence, parsing, and the models they build.

Every model config is built and run on a short batch (a few frames; the
variable shapes do not depend on the audio length). The original's
autoencoder test (full 4 s examples, output audio as long as the input) runs
under the `slow` mark.
"""
import functools
import glob
import os

import gin
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as tfk

import ddsp.training  # pylint: disable=unused-import
from ddsp.training import data
from ddsp.training import models

GIN_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'gin')

ALL_CONFIGS = [
    'datasets/base.gin',
    'datasets/nsynth.gin',
    'datasets/tfrecord.gin',
    'datasets/urmp/all.gin',
    'datasets/urmp/all_midi.gin',
    'datasets/urmp/base.gin',
    'datasets/urmp/midi_base.gin',
    'eval/basic.gin',
    'eval/basic_f0_ld.gin',
    'eval/basic_f0_ld_twm.gin',
    'eval/heuristic.gin',
    'eval/heuristic_power.gin',
    'eval/midi_ae.gin',
    'models/ae.gin',
    'models/midiae/midiae.gin',
    'models/midiae/mixins/_.gin',
    'models/midiae/mixins/hmm_prior.gin',
    'models/midiae/mixins/midi_encoder.gin',
    'models/midiae/mixins/recon_lossgroup.gin',
    'models/midiae/z_midiae.gin',
    'models/solo_instrument.gin',
    'models/solo_instrument_44k.gin',
    'models/solo_instrument_48k.gin',
    'models/solo_instrument_fast.gin',
    'models/vst/vst.gin',
    'models/vst/vst_32k.gin',
    'models/vst/vst_48k.gin',
    'models/vst/vst_fast.gin',
    'optimization/base.gin',
    'optimization/base_tpu.gin',
    'optimization/fast.gin',
    'papers/iclr2020/nsynth_ae.gin',
    'papers/iclr2020/solo_instrument.gin',
    'papers/iclr2020/tiny_instrument.gin',
    'papers/icml2020/finetune_dataset.gin',
    'papers/icml2020/finetune_model.gin',
    'papers/icml2020/pretrain_dataset.gin',
    'papers/icml2020/pretrain_model.gin',
]

# These reference configurables that do not exist in DDSP 3.7.0.
NEEDS_SKIP_UNKNOWN = {
    'datasets/urmp/all_midi.gin': 'eval_discrete',
    'datasets/urmp/midi_base.gin': 'eval_discrete',
    'models/midiae/mixins/hmm_prior.gin': 'HmmPrior',
    'models/midiae/mixins/midi_encoder.gin': 'HmmMidiAutoencoder',
}


@pytest.fixture(autouse=True)
def gin_search_path(clean_gin):
  del clean_gin
  gin.add_config_file_search_path(GIN_DIR)


def _parse(files, bindings=(), skip_unknown=False):
  """Parses files then bindings (no finalize hooks run)."""
  with gin.unlock_config():
    for path in files:
      gin.parse_config_file(path, skip_unknown=skip_unknown)
    gin.parse_config(list(bindings), skip_unknown=skip_unknown)


def _skip_unknown(path):
  return path in NEEDS_SKIP_UNKNOWN


# ----------------------------------------------------------------------------
# Presence and parsing.
# ----------------------------------------------------------------------------
def test_every_config_of_the_original_exists_and_nothing_else():
  found = sorted(os.path.relpath(p, GIN_DIR) for p in
                 glob.glob(os.path.join(GIN_DIR, '**', '*.gin'),
                           recursive=True))
  assert found == sorted(ALL_CONFIGS)


def test_gin_folder_has_no_python_package_files():
  # A `gin` package at the repo root would shadow gin-config.
  assert glob.glob(os.path.join(GIN_DIR, '**', '*.py'), recursive=True) == []


@pytest.mark.parametrize('path', ALL_CONFIGS)
def test_config_parses(path):
  _parse([path], skip_unknown=_skip_unknown(path))


@pytest.mark.parametrize('path', sorted(NEEDS_SKIP_UNKNOWN))
def test_config_with_unknown_names_fails_strict_parsing(path):
  with pytest.raises(ValueError, match=NEEDS_SKIP_UNKNOWN[path]):
    _parse([path], skip_unknown=False)


def test_configs_resolve_from_the_installed_package_folder():
  # ddsp_run and the tests locate the configs next to ddsp/training.
  package_gin = os.path.join(os.path.dirname(ddsp.training.__file__), 'gin')
  location = package_gin if os.path.isdir(package_gin) else GIN_DIR
  assert os.path.isfile(os.path.join(location, 'models', 'ae.gin'))


def test_paper_config_reproduces_the_model_bindings():
  _parse(['papers/iclr2020/tiny_instrument.gin'])
  assert gin.query_parameter('RnnFcDecoder.layers_per_stack') == 0
  assert gin.query_parameter('RnnFcDecoder.rnn_channels') == 256
  assert gin.query_parameter('RnnFcDecoder.input_keys') == ('ld_scaled',
                                                            'f0_scaled')
  assert gin.query_parameter('Reverb.reverb_length') == 48000


def test_optimization_macros():
  _parse(['optimization/base_tpu.gin'])
  assert gin.query_parameter('%batch_size') == 64
  assert gin.query_parameter('%learning_rate') == 3e-4
  assert gin.query_parameter('Trainer.lr_decay_steps') == 10000


def test_vst_48k_bindings():
  _parse(['models/vst/vst_48k.gin'])
  assert gin.query_parameter('%n_samples') == 192960
  assert gin.query_parameter('SpectralLoss.fft_sizes') == [
      6144, 3072, 1536, 768, 384, 192]
  assert gin.query_parameter('FilteredNoiseReverb.initial_bias') == -4.0
  assert gin.query_parameter('Harmonic.use_angular_cumsum')
  assert gin.query_parameter('Crop.frame_size') == 960


# ----------------------------------------------------------------------------
# Data provider configs build their providers.
# ----------------------------------------------------------------------------
def _build_reference(parameter):
  reference = gin.query_parameter(parameter)
  return reference.scoped_configurable_fn()


@pytest.mark.parametrize('path, expected', [
    ('datasets/tfrecord.gin', {'train': data.TFRecordProvider}),
    ('datasets/urmp/all.gin', {'train': data.Urmp, 'evaluate': data.Urmp}),
    ('datasets/urmp/all_midi.gin', {'train': data.UrmpMidi}),
    ('papers/icml2020/pretrain_dataset.gin', {'train': data.SyntheticNotes}),
    ('papers/icml2020/finetune_dataset.gin',
     {'train': data.ZippedProvider, 'evaluate': data.TFRecordProvider}),
])
def test_dataset_config_builds_its_providers(path, expected):
  bindings = ['TFRecordProvider.file_pattern = "x.tfrecord*"',
              'Urmp.base_dir = "/data/urmp"', 'UrmpMidi.base_dir = "/data"']
  _parse([path], bindings, skip_unknown=True)
  for fn_name, cls in expected.items():
    provider = _build_reference(f'{fn_name}.data_provider')
    assert isinstance(provider, cls)


def test_urmp_scopes_select_the_split():
  _parse(['datasets/urmp/all.gin'], ['Urmp.base_dir = "/d"'])
  train = _build_reference('train.data_provider')
  test = _build_reference('evaluate.data_provider')
  assert train.default_file_pattern == '/d/all_instruments_train.tfrecord*'
  assert test.default_file_pattern == '/d/all_instruments_test.tfrecord*'


def test_nsynth_scopes_select_the_split():
  _parse(['datasets/nsynth.gin'])
  splits = [_build_reference(f'{fn}.data_provider')._split  # pylint: disable=protected-access
            for fn in ('train', 'evaluate', 'sample')]
  assert splits == ['train', 'valid', 'test']
  assert gin.query_parameter('evaluate.num_batches') == 50


def test_pretrain_dataset_shapes():
  _parse(['papers/icml2020/pretrain_dataset.gin'])
  provider = _build_reference('train.data_provider')
  assert provider.features_dict['harm_dist'].shape == [125, 100]
  assert provider.features_dict['noise_magnitudes'].shape == [125, 65]


# ----------------------------------------------------------------------------
# Model configs build and run (short batches).
# ----------------------------------------------------------------------------
# 16 frames of 64 samples at 16 kHz (250 frames/s).
N_FRAMES, HOP = 16, 64
SHORT_AE = [
    f'F0LoudnessPreprocessor.time_steps = {N_FRAMES}',
    f'Harmonic.n_samples = {N_FRAMES * HOP}',
    f'FilteredNoise.n_samples = {N_FRAMES * HOP}',
    'SpectralLoss.fft_sizes = (256, 128, 64)',
]


def _ae_batch(n_frames=N_FRAMES, n_samples=N_FRAMES * HOP,
              n_samples_16k=None, batch=1):
  rng = np.random.RandomState(1)
  n_samples_16k = n_samples_16k or n_samples
  return {
      'audio': rng.uniform(-.1, .1, [batch, n_samples]).astype(np.float32),
      'audio_16k': rng.uniform(-.1, .1, [batch, n_samples_16k]).astype(
          np.float32),
      'f0_hz': np.full([batch, n_frames], 220.0, np.float32),
      'f0_confidence': np.ones([batch, n_frames], np.float32),
      'loudness_db': np.full([batch, n_frames], -30.0, np.float32),
  }


def _run(model, batch):
  outputs, losses = model(batch, training=True, return_losses=True)
  audio = model.get_audio_from_outputs(outputs)
  assert np.all(np.isfinite(audio.numpy()))
  for value in losses.values():
    assert np.isfinite(np.asarray(value))
  return outputs, losses, audio


@pytest.mark.parametrize('path', [
    'models/ae.gin',
    'models/solo_instrument.gin',
    'papers/iclr2020/nsynth_ae.gin',
    'papers/iclr2020/solo_instrument.gin',
    'papers/iclr2020/tiny_instrument.gin',
])
def test_autoencoder_config_builds_and_runs(path):
  _parse([path], SHORT_AE)
  model = models.get_model()
  assert isinstance(model, models.Autoencoder)
  batch = _ae_batch()
  _, losses, audio = _run(model, batch)
  assert audio.shape == batch['audio'].shape
  assert list(losses) == ['spectral_loss', 'total_loss']


# Short VST batches: 16 centered frames at 50 Hz from 15 hops of 320 samples.
@pytest.mark.parametrize('path, sample_rate', [
    ('models/vst/vst.gin', 16000),
    ('models/vst/vst_32k.gin', 32000),
    ('models/vst/vst_48k.gin', 48000),
])
def test_vst_config_builds_and_runs(path, sample_rate):
  n_16k = 15 * 320
  n_audio = n_16k * sample_rate // 16000
  hop = sample_rate // 50
  _parse([path], [f'n_samples = {n_audio + hop}',
                  'SpectralLoss.fft_sizes = (512, 256, 128)'])
  model = models.get_model()
  batch = _ae_batch(n_frames=16, n_samples=n_audio, n_samples_16k=n_16k)
  outputs, _, audio = _run(model, batch)
  assert audio.shape == batch['audio'].shape
  assert outputs['pw_scaled'].shape == (1, 16, 1)


def _midi_batch(n_frames=N_FRAMES, n_samples=64000):
  batch = _ae_batch(n_frames=n_frames, n_samples=n_samples)
  pitches = np.repeat([60, 62, 0, 64], n_frames // 4)
  batch['note_active_velocities'] = np.eye(128, dtype=np.float32)[
      pitches][np.newaxis] * 100.0
  batch['instrument_id'] = np.array([3])
  return batch


# MIDI autoencoders synthesize with the Python defaults (64000 samples).
# Their preprocessor keeps the shipped compute_loudness=True, which runs on
# the dataset loudness (the original raised for lack of audio).
SHORT_MIDI = [
    'F0LoudnessPreprocessor.time_steps = 16',
    'SpectralLoss.fft_sizes = (256, 128)',
    'MfccTimeDistributedRnnEncoder.z_time_steps = 63',
]


@pytest.mark.parametrize('paths', [
    ['models/midiae/midiae.gin'],
    pytest.param(['models/midiae/midiae.gin', 'models/midiae/mixins/_.gin'],
                 marks=pytest.mark.slow),
    pytest.param(['models/midiae/midiae.gin',
                  'models/midiae/mixins/midi_encoder.gin'],
                 marks=pytest.mark.slow),
    ['models/midiae/z_midiae.gin'],
], ids=['midiae', 'midiae+_', 'midiae+midi_encoder', 'z_midiae'])
def test_midi_autoencoder_config_builds_and_runs(paths):
  _parse(paths, SHORT_MIDI, skip_unknown=True)
  model = models.get_model()
  assert isinstance(model, models.MidiAutoencoder)
  outputs, losses, audio = _run(model, _midi_batch())
  assert audio.shape == (1, 64000)
  assert outputs['pianoroll'].shape == (1, N_FRAMES, 128)
  assert {'amplitude_reconstruction', 'f0_reconstruction',
          'harmonic_distribution_reconstruction', 'noise_reconstruction',
          'spectral_loss_synth', 'total_loss'} <= set(losses)


def test_hmm_prior_mixin_fails_the_finalize_check_of_ddsp_run():
  # ddsp_run parses with parse_config_files_and_bindings(skip_unknown=True),
  # whose finalize hook rejects the unknown @losses.HmmPrior() reference.
  with pytest.raises(ValueError, match='HmmPrior'):
    with gin.unlock_config():
      gin.parse_config_files_and_bindings(
          ['models/midiae/midiae.gin', 'models/midiae/mixins/hmm_prior.gin'],
          [], skip_unknown=True)


def test_hmm_prior_mixin_fails_when_building_the_model():
  # The unknown reference survives lenient parsing and fails on use.
  _parse(['models/midiae/midiae.gin', 'models/midiae/mixins/hmm_prior.gin'],
         SHORT_MIDI, skip_unknown=True)
  with pytest.raises(ValueError, match='HmmPrior'):
    models.get_model()


@pytest.mark.slow
@pytest.mark.parametrize('path', ['papers/icml2020/pretrain_model.gin',
                                  'papers/icml2020/finetune_model.gin'])
def test_inverse_synthesis_config_builds_and_runs(path):
  tfk.backend.clear_session()  # Default layer names as in a fresh process.
  _parse([path], ['InverseSynthesis.n_samples = 16000',
                  'SpectralLoss.fft_sizes = (512, 256)'])
  model = models.get_model()
  assert isinstance(model, models.InverseSynthesis)
  rng = np.random.RandomState(0)
  batch = {'audio': rng.uniform(-.1, .1, [1, 16000]).astype(np.float32)}
  _, losses, audio = _run(model, batch)
  assert audio.shape == (1, 16000)
  assert list(losses) == ['sin_spectral_loss', 'harm_spectral_loss',
                          'kde_consistency_loss', 'total_loss']


# ----------------------------------------------------------------------------
# The original's autoencoder test: full-size examples.
# ----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize('path, sample_rate, frame_rate, extra_frame', [
    ('papers/iclr2020/nsynth_ae.gin', 16000, 250, 0),
    ('papers/iclr2020/solo_instrument.gin', 16000, 250, 0),
    ('models/vst/vst.gin', 16000, 50, 1),
    ('models/vst/vst_32k.gin', 32000, 50, 1),
    ('models/vst/vst_48k.gin', 48000, 50, 1),
])
def test_full_size_autoencoder_output_matches_input_length(
    path, sample_rate, frame_rate, extra_frame):
  _parse([path])
  model = models.get_model()
  n_frames = frame_rate * 4 + extra_frame
  batch = {
      'loudness_db': np.zeros([1, n_frames], np.float32),
      'f0_hz': np.zeros([1, n_frames], np.float32),
      'f0_confidence': np.zeros([1, n_frames], np.float32),
      'audio': np.zeros([1, sample_rate * 4], np.float32),
      'audio_16k': np.zeros([1, 16000 * 4], np.float32),
  }
  outputs = model(batch, training=False)
  audio = model.get_audio_from_outputs(outputs)
  assert audio.shape == batch['audio'].shape
  assert isinstance(audio, tf.Tensor)


# ----------------------------------------------------------------------------
# update_gin_config.py (repo root): migrating old operative configs.
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _load_update_script():
  """Imports the script once (it defines absl flags)."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  path = os.path.join(os.path.dirname(GIN_DIR), 'update_gin_config.py')
  spec = importlib.util.spec_from_file_location('update_gin_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


OLD_CONFIG = """\
SpectralLoss.delta_delta_freq_weight = 0.0
SpectralLoss.delta_delta_time_weight = 0.0
SpectralLoss.mag_weight = 1.0
DilatedConvDecoder.resample = False
Autoencoder.decoder = @decoders.ZRnnFcDecoder()
ZRnnFcDecoder.rnn_channels = 512
"""


def test_update_gin_config_writes_an_updated_copy(tmp_path, capsys):
  script = _load_update_script()
  path = tmp_path / 'operative_config-0.gin'
  path.write_text(OLD_CONFIG)
  script.update_file(str(path))
  updated = (tmp_path / 'updated_operative_config-0.gin').read_text()
  assert path.read_text() == OLD_CONFIG
  assert updated.splitlines() == [
      'SpectralLoss.mag_weight = 1.0',
      'Autoencoder.decoder = @decoders.RnnFcDecoder()',
      'RnnFcDecoder.rnn_channels = 512',
      'RnnFcDecoder.input_keys = ("f0_scaled", "ld_scaled")',
  ]
  assert 'delta_delta_freq_weight' in capsys.readouterr().out


def test_update_gin_config_keeps_existing_input_keys(tmp_path):
  script = _load_update_script()
  path = tmp_path / 'operative_config-3.gin'
  text = "RnnFcDecoder.input_keys = ('ld_scaled', 'f0_scaled')\n"
  path.write_text(text)
  script.update_file(str(path), overwrite=True)
  assert path.read_text() == text


def test_update_gin_config_cli_glob_and_overwrite(tmp_path):
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  (tmp_path / 'operative_config-1.gin').write_text(OLD_CONFIG)
  (tmp_path / 'operative_config-2.gin').write_text(OLD_CONFIG)
  script = os.path.join(os.path.dirname(GIN_DIR), 'update_gin_config.py')
  pattern = str(tmp_path / 'operative_config-*.gin')
  subprocess.run([sys.executable, script, pattern, '--overwrite'], check=True,
                 capture_output=True)
  for n in (1, 2):
    assert 'ZRnnFcDecoder' not in (
        tmp_path / f'operative_config-{n}.gin').read_text()


def test_update_gin_config_rejects_extra_arguments():
  from absl import app  # pylint: disable=g-import-not-at-top
  with pytest.raises(app.UsageError, match='Too many'):
    _load_update_script().main(['update_gin_config.py', 'a', 'b'])
