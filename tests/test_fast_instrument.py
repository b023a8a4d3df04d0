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

"""models/solo_instrument_fast.gin: a solo instrument trained in minutes.

* It reads its data at 50 frames/s on centered frames, in whole hops of
  the audio (synthesising one hop more and cropping it), and starts its
  harmonic part quieter than its noise.
* A tiny version of it (narrow layers, 1 s examples) trains a few steps
  with `ddsp_run`, restores for inference with the same quiet scaling,
  transfers a voice with the streaming engine of `ddsp_timbre_transfer`,
  and exports with `ddsp_export`.
"""
import os

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp.features import tfrecord_layout
from ddsp.training import gin_scope
from ddsp.training import gin_setup
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import train_util
from ddsp.training.playback import transfer
from ddsp.training.playback import vst_contract
import gin
import training_toys

CONFIG = 'models/solo_instrument_fast.gin'
REPO = training_toys.REPO
VOICE = os.path.join(REPO, 'examples', 'audio', 'voice.flac')
SAMPLE_RATE = 16000
FRAME_RATE = 50
EXAMPLE_SECS = 1
HOP = SAMPLE_RATE // FRAME_RATE
STEPS = 3
# Centered frames: one per hop, both ends included.
TINY_FRAMES = EXAMPLE_SECS * FRAME_RATE + 1
TINY_PARAMS = (
    f'F0LoudnessPreprocessor.time_steps = {TINY_FRAMES}',
    f'Harmonic.n_samples = {TINY_FRAMES * HOP}',
    f'FilteredNoise.n_samples = {TINY_FRAMES * HOP}',
    'RnnFcDecoder.rnn_channels = 16',
    'RnnFcDecoder.ch = 8',
    'Reverb.reverb_length = 4000',
    'batch_size = 2',
    f'train.num_steps = {STEPS}',
    f'TFRecordProvider.example_secs = {EXAMPLE_SECS}',
)


def _parsed(config, folder):
  """Parses `config` as `ddsp_run` does; yields, then clears gin."""
  gin_setup.parse_gin(folder, gin_files=[
      config, 'datasets/tfrecord.gin'], gin_params=[
          "TFRecordProvider.file_pattern='unused*'"])
  yield
  with gin.unlock_config():
    gin.clear_config()


@pytest.fixture
def parsed_config(tmp_path):
  """The fast config, parsed."""
  yield from _parsed(CONFIG, str(tmp_path))


@pytest.mark.parametrize('name, value', [
    ('TFRecordProvider.frame_rate', FRAME_RATE),
    ('TFRecordProvider.centered', True),
    ('F0LoudnessPreprocessor.frame_rate', FRAME_RATE),
    ('Harmonic.sample_rate', SAMPLE_RATE),
])
def test_config_works_at_50_frames_per_second(parsed_config, name, value):
  del parsed_config
  assert gin.query_parameter(name) == value


def test_model_frames_are_whole_hops_of_the_audio(parsed_config):
  del parsed_config
  rates = inference.model_rates()
  assert rates.hop_size == HOP
  assert rates.frame_rate == FRAME_RATE


def test_model_reads_the_centered_layout_and_outputs_the_example(
    parsed_config):
  del parsed_config
  layout = tfrecord_layout.TFRecordLayout(
      sample_rate=SAMPLE_RATE, frame_rate=FRAME_RATE,
      example_secs=4, centered=True)  # TFRecordProvider's default length.
  frames = gin.query_parameter('F0LoudnessPreprocessor.time_steps')
  assert frames == layout.n_frames
  # One hop more is synthesised and cropped at the back.
  n_samples = gin.query_parameter('Harmonic.n_samples')
  assert n_samples == frames * HOP
  assert n_samples - 2 * (gin.query_parameter('Crop.frame_size') // 2) == (
      layout.audio_length)


def _start_amplitudes(model):
  """(harmonic, noise) amplitude of a zero decoder output, per the config.

  The scale functions are gin references, read in the model's own
  configuration when it has one (a model loaded from a checkpoint).
  """
  group = model.processor_group
  zero = tf.zeros([])
  with gin_scope.entered(model):
    return (float(group.harmonic.scale_fn(zero)),
            float(group.filtered_noise.scale_fn(zero)))


def test_harmonic_part_starts_quieter_than_the_noise(parsed_config):
  del parsed_config
  harmonic, noise = _start_amplitudes(models.get_model())
  # exp_sigmoid(0) = max_value * 0.5^ln(10): 0.5 * 0.2 and 2 * 0.2.
  assert harmonic == pytest.approx(0.5 * 0.5**np.log(10.0), rel=1e-4)
  assert noise == pytest.approx(2.0 * 0.5**np.log(10.0), rel=1e-4)


# ------------------------------------------------------------------------------
# A tiny version, trained, restored, used and exported.
# ------------------------------------------------------------------------------
def _run(module, *args):
  """Runs a console script's module; fails showing its error output."""
  return training_toys.run_module(module, *args, timeout=900,
                                  env={'TF_CPP_MIN_LOG_LEVEL': '3'})


def _train_tiny(folder, config, params):
  """Trains `config` with `params` on tones (centered, 50 frames/s) with
  ddsp_run in `folder`; returns the run folder."""
  record = training_toys.write_tones_tfrecord(
      os.path.join(folder, 'tones.tfrecord'), tfrecord_layout.TFRecordLayout(
          sample_rate=SAMPLE_RATE, frame_rate=FRAME_RATE,
          example_secs=EXAMPLE_SECS, centered=True))
  run = os.path.join(folder, 'run')
  _run('ddsp.training.ddsp_run', '--mode=train', f'--save_dir={run}',
       f'--gin_file={config}', '--gin_file=datasets/tfrecord.gin',
       f"--gin_param=TFRecordProvider.file_pattern='{record}'",
       *[f'--gin_param={p}' for p in params])
  return run


def _assert_voice_transfers(run, out, **kwargs):
  """The voice through `run` with the streaming engine: a finite, non-silent
  wav at the model's rate, as long as the voice."""
  transfer.transfer_file(run, VOICE, out, auto_adjust_on=False,
                         crepe_model='tiny', verbose=False, noise_seed=0,
                         **kwargs)
  audio, rate = sf.read(out, dtype='float32')
  assert rate == SAMPLE_RATE
  assert abs(len(audio) / rate - sf.info(VOICE).duration) < 0.05
  assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 0.0


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
  """Run folder of the tiny fast config trained STEPS steps with ddsp_run."""
  return _train_tiny(str(tmp_path_factory.mktemp('fast')), CONFIG,
                     TINY_PARAMS)


@pytest.mark.slow
def test_tiny_fast_config_trains_with_ddsp_run(tiny_run):
  ckpt = train_util.get_latest_checkpoint(tiny_run)
  assert ckpt.endswith(f'ckpt-{STEPS}')


@pytest.mark.slow
def test_restored_model_keeps_the_quiet_harmonic_start(tiny_run):
  model = inference.AutoencoderInference(
      train_util.get_latest_checkpoint(tiny_run), verbose=False)
  try:
    harmonic, noise = _start_amplitudes(model)
  finally:
    with gin.unlock_config():
      gin.clear_config()
  assert harmonic < noise / 3.0


@pytest.mark.slow
def test_voice_transfers_through_the_tiny_model(tiny_run, tmp_path):
  _assert_voice_transfers(tiny_run, str(tmp_path / 'voice.wav'),
                          pitch_shift=1.0)


@pytest.mark.slow
def test_tiny_fast_model_exports_a_saved_model(tiny_run):
  _run('ddsp.training.ddsp_export', f'--model_path={tiny_run}',
       '--inference_model=autoencoder', '--notflite', '--notfjs',
       '--nometadata')
  export_dir = os.path.join(tiny_run, 'export')
  assert tf.saved_model.contains_saved_model(export_dir)


# ------------------------------------------------------------------------------
# models/vst/vst_fast.gin: the same optimization on the DDSP-VST model.
# ------------------------------------------------------------------------------
VST_CONFIG = 'models/vst/vst_fast.gin'


@pytest.fixture
def parsed_vst_config(tmp_path):
  """The VST fast config, parsed."""
  yield from _parsed(VST_CONFIG, str(tmp_path))


@pytest.mark.parametrize('name, value', [
    # The plugin's model (models/vst/vst.gin) ...
    ('RnnFcDecoder.input_keys', ('pw_scaled', 'f0_scaled')),
    ('RnnFcDecoder.rnn_channels', vst_contract.STATE_SIZE),
    ('%frame_rate', vst_contract.FRAME_RATE),
    # ... on the data layout it trains on ...
    ('TFRecordProvider.frame_rate', vst_contract.FRAME_RATE),
    ('TFRecordProvider.centered', True),
    # ... with the fast optimization.
    ('%batch_size', 4),
    ('%learning_rate', 0.001),
    ('Trainer.lr_decay_steps', 300),
])
def test_vst_fast_config_is_the_plugins_model_with_fast_optimization(
    parsed_vst_config, name, value):
  del parsed_vst_config
  assert gin.query_parameter(name) == value


def test_vst_fast_harmonic_part_starts_quieter_than_the_noise(
    parsed_vst_config):
  del parsed_vst_config
  harmonic, noise = _start_amplitudes(models.get_model())
  assert harmonic == pytest.approx(noise / 4.0, rel=1e-4)


@pytest.mark.slow
def test_tiny_vst_fast_model_exports_for_the_plugin_and_transfers(
    tmp_path):
  run = _train_tiny(str(tmp_path), VST_CONFIG,
                    training_toys.tiny_vst_params(EXAMPLE_SECS))
  _run('ddsp.training.ddsp_export', f'--model_path={run}',
       '--inference_model=vst_stateless_predict_controls', '--tflite',
       '--notfjs', '--noreverb')
  tflite = os.path.join(run, 'export', 'tflite', 'model.tflite')
  assert vst_contract.check_tflite(tflite) == []
  _assert_voice_transfers(run, str(tmp_path / 'voice.wav'))
