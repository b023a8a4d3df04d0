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

"""DDSP-VST contract pieces: metadata packing, config checks, the run loop.

The end-to-end export of a trained VST model is in test_vst_export.py; here
each piece on its own, without training:
* metadata packs into a ZIP the way the plugin (and `tflite-support`) lay it
  out, and nothing half-written is left when packing fails;
* the validator names wrong shapes and dtypes (on a small converted module);
* training configs that cannot give a plugin model are named with what is
  wrong and the recipe to follow;
* the plugin's scaling and the hop synthesiser: the phase carried across
  hops equals one oscillator over the whole signal.
"""
import io
import json
import os
import zipfile

import command_runner
import golden
import numpy as np
import pytest
import tensorflow as tf
import training_toys

from ddsp import atomic_files
from ddsp.training import export
from ddsp.training.playback import vst_contract
from ddsp.training.playback import vst_runloop
import gin

FAKE_MODEL = b'TFL3' + bytes(range(256)) * 4  # Bytes standing for a model.
META = {'mean_min_pitch_note_hz': 200.0, 'mean_max_pitch_note_hz': 800.0,
        'mean_min_power_note': -40.0, 'mean_max_power_note': -10.0,
        'version': '1', 'export_time': '2026-01-01T00:00:00'}


# ------------------------------------------------------------------------------
# Metadata in the .tflite.
# ------------------------------------------------------------------------------
def test_packed_metadata_is_read_back_by_a_zip_reader():
  packed = vst_contract.append_metadata(FAKE_MODEL, META)
  with zipfile.ZipFile(io.BytesIO(packed)) as archive:
    assert json.loads(archive.read('metadata.json')) == META


def test_packing_keeps_the_flatbuffer_bytes_in_front():
  packed = vst_contract.append_metadata(FAKE_MODEL, META)
  assert packed[:len(FAKE_MODEL)] == FAKE_MODEL


def test_zip_holds_one_stored_entry_right_after_the_model():
  """The layout of the original's exports (shared/spec/ddsp_vst.md): one
  `metadata.json`, stored (not compressed), its header right after the
  flatbuffer, read-write for the owner only (as tflite-support wrote)."""
  packed = vst_contract.append_metadata(FAKE_MODEL, META)
  with zipfile.ZipFile(io.BytesIO(packed)) as archive:
    entries = archive.infolist()
  assert [e.filename for e in entries] == ['metadata.json']
  assert entries[0].compress_type == zipfile.ZIP_STORED
  assert entries[0].header_offset == len(FAKE_MODEL)
  assert entries[0].external_attr >> 16 == 0o600


def test_packing_twice_is_an_error():
  packed = vst_contract.append_metadata(FAKE_MODEL, META)
  with pytest.raises(vst_contract.VSTExportError, match='already holds'):
    vst_contract.append_metadata(packed, META)


@pytest.mark.parametrize('change,expected', [
    ({'version': None}, "lacks the key 'version'"),
    ({'mean_min_power_note': 0.0}, 'is above mean_max_power_note'),
    ({'mean_max_pitch_note_hz': float('nan')}, 'are not finite numbers'),
    ({'export_time': 5}, 'export_time is not a string'),
])
def test_metadata_problem_is_named(change, expected):
  meta = dict(META)
  for key, value in change.items():
    if value is None:
      del meta[key]
    else:
      meta[key] = value
  problems = vst_contract.metadata_problems(meta)
  assert len(problems) == 1 and expected in problems[0], problems


def test_complete_metadata_has_no_problem():
  assert vst_contract.metadata_problems(META) == []


def test_file_without_zip_has_no_metadata():
  with pytest.raises(vst_contract.VSTExportError, match='no metadata'):
    vst_contract.read_metadata(FAKE_MODEL)


@pytest.mark.parametrize('content,expected', [
    (None, 'is not a file'),
    (b'not a model', 'TFLite cannot load the file'),
])
def test_validator_on_what_is_not_a_model(tmp_path, content, expected):
  path = tmp_path / 'model.tflite'
  if content is not None:
    path.write_bytes(content)
  problems = vst_contract.check_tflite(str(path))
  assert any(expected in p for p in problems), problems


def _module_tflite(tmp_path, state_size, pw_dtype):
  """A .tflite converted from the `call` signature of a small tf.Module with
  the plugin's argument names; `state_size` and the dtype of `pw_scaled`
  are the test's choice."""
  class Controls(tf.Module):
    """A variable makes TFLite name outputs StatefulPartitionedCall:i."""

    def __init__(self):
      super().__init__()
      self.gain = tf.Variable(1.0)

    @tf.function(input_signature=[
        tf.TensorSpec([1], tf.float32, name='f0_scaled'),
        tf.TensorSpec([1], pw_dtype, name='pw_scaled'),
        tf.TensorSpec([state_size], tf.float32, name='state')])
    def call(self, f0_scaled, pw_scaled, state):
      level = self.gain * (f0_scaled + tf.cast(pw_scaled, tf.float32))
      return (level, tf.tile(level, [60]), tf.tile(level, [65]), state * 0.5)

  module = Controls()
  saved = str(tmp_path / 'saved')
  tf.saved_model.save(module, saved, signatures={'call': module.call})
  path = export.saved_model_to_tflite(saved)
  with open(path, 'rb') as f:
    content = vst_contract.append_metadata(f.read(), META)
  atomic_files.write_bytes(path, content)
  return path


@pytest.mark.parametrize('state_size,pw_dtype,expected', [
    (512, 'float32', []),
    (16, 'float32', [
        'input call_state:0 (GRU state) has shape [16], expected [512]',
        'output StatefulPartitionedCall:3 (next GRU state) has shape [16], '
        'expected [512]']),
    (512, 'int32', [
        'input call_pw_scaled:0 (power scaled, dB / 80 + 1) has dtype int32, '
        'expected float32']),
])
def test_validator_checks_shapes_and_dtypes(tmp_path, state_size, pw_dtype,
                                            expected):
  path = _module_tflite(tmp_path, state_size, pw_dtype)
  assert vst_contract.check_tflite(path) == expected


# ------------------------------------------------------------------------------
# Training configs.
# ------------------------------------------------------------------------------
SOLO_LIKE = """
Autoencoder.preprocessor = @preprocessing.F0LoudnessPreprocessor()
Autoencoder.decoder = @decoders.RnnFcDecoder()
"""


def _vst_config(*bindings):
  path = os.path.join(training_toys.REPO, 'gin', 'models', 'vst', 'vst.gin')
  with open(path) as f:
    return f.read() + '\n' + '\n'.join(bindings)


def _parse(text):
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config(text, skip_unknown=True)


@pytest.mark.parametrize('bindings,control_model,expected', [
    ((), True, []),
    (('RnnFcDecoder.rnn_channels = 256',), True,
     ['RnnFcDecoder.rnn_channels is 256, the plugin needs 512']),
    (('RnnFcDecoder.rnn_channels = 256',), False, []),
    (("RnnFcDecoder.output_splits = (('amps', 1), "
      "('harmonic_distribution', 100), ('noise_magnitudes', 65))",), True,
     ['harmonic_distribution size is 100, the plugin needs 60']),
    (('TFRecordProvider.frame_rate = 250',), False,
     ['the data is at 250 frames/s, the model at 50']),
])
def test_vst_config_problems(clean_gin, bindings, control_model, expected):
  del clean_gin
  _parse(_vst_config(*bindings))
  assert vst_contract.config_problems(control_model) == expected


def test_solo_instrument_config_is_not_a_vst_config(clean_gin):
  del clean_gin
  _parse(SOLO_LIKE)
  problems = vst_contract.config_problems(control_model=True)
  assert any('macros' in p for p in problems), problems
  assert any('F0LoudnessPreprocessor' in p for p in problems), problems


@pytest.mark.slow
@pytest.mark.needs_shared(golden.SOLO_CKPT)
@pytest.mark.parametrize('inference_model', [
    m for m in export.INFERENCE_MODELS if m.startswith('vst_')])
def test_vst_export_of_another_run_says_which_config_to_train_with(
    tmp_path, inference_model):
  save_dir = str(tmp_path / 'export')
  with pytest.raises(vst_contract.VSTExportError,
                     match='not trained with a DDSP-VST config.*'
                     'models/vst/vst.gin'):
    export.export(golden.path(golden.SOLO_CKPT), save_dir=save_dir,
                  inference_model=inference_model, tfjs=False)
  assert not os.path.exists(save_dir)


@pytest.mark.needs_shared(golden.SOLO_CKPT)
def test_export_command_exits_with_the_message(tmp_path):
  outcome = command_runner.run_in_process('ddsp.training.ddsp_export', [
      'ddsp_export', f'--model_path={golden.path(golden.SOLO_CKPT)}',
      f'--save_dir={tmp_path / "export"}',
      '--inference_model=vst_stateless_predict_controls'])
  assert outcome.code == 1
  assert ('ddsp_export: error: Cannot make vst_stateless_predict_controls'
          in outcome.stderr)
  assert '--gin_file=models/vst/vst.gin' in outcome.stderr


# ------------------------------------------------------------------------------
# The plugin's scaling and synthesis.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('f0_hz,expected', [
    (440.0, 69.0 / 127.0),
    (0.0, 0.0),  # Clipped to MIDI 0 (8.18 Hz).
    (20000.0, 1.0),  # Clipped to MIDI 127.
])
def test_f0_scaling(f0_hz, expected):
  assert vst_runloop.scale_f0(np.array([f0_hz]))[0] == pytest.approx(
      expected, abs=1e-4)


@pytest.mark.parametrize('power_db,expected', [(0.0, 1.0), (-80.0, 0.0),
                                               (-40.0, 0.5)])
def test_power_scaling(power_db, expected):
  assert vst_runloop.scale_power(np.array([power_db]))[0] == pytest.approx(
      expected)


def test_ramp_reaches_the_new_value_at_half_the_hop():
  ramp = vst_runloop.hop_ramp(320)
  assert ramp[0] == 0.0 and ramp[160] == 1.0 and np.all(ramp[160:] == 1.0)
  assert np.all(np.diff(ramp[:161]) > 0)


def test_harmonics_at_or_above_nyquist_are_dropped_and_renormalised():
  amps = vst_runloop.harmonic_amplitudes(np.array([0.5]), np.ones(60),
                                         f0_hz=2000.0)
  assert np.count_nonzero(amps) == 3  # 2, 4, 6 kHz below 8 kHz.
  assert amps.sum() == pytest.approx(0.5)


@pytest.mark.parametrize('f0_hz', [110.0, 441.0, 1234.5])
def test_hops_join_into_one_oscillator(f0_hz):
  """Constant controls: the hops equal one sine bank over the whole signal."""
  synth = vst_runloop.HopSynthesizer(noise=False)
  amps = np.array([0.3, 0.2, 0.1])
  controls = vst_runloop.Controls(np.array([0.6]), amps, np.zeros(65))
  hops = np.concatenate([synth(f0_hz, controls) for _ in range(50)])
  n = np.arange(1, hops.size + 1)
  k = np.arange(1, 4)
  masked = np.where(k * f0_hz < 8000.0, amps, 0.0)
  expected = np.sum(0.6 * masked / masked.sum() *
                    np.sin(2 * np.pi * f0_hz * n[:, None] * k / 16000.0),
                    axis=1)
  # The first half hop fades in from silence; from then on the bank is on.
  np.testing.assert_allclose(hops[160:], expected[160:], atol=1e-9)


def test_filtered_noise_follows_its_magnitudes():
  """All-pass magnitudes give white noise; zeros give silence."""
  synth = vst_runloop.HopSynthesizer()
  loud = np.concatenate([synth.filtered_noise(np.ones(65))
                         for _ in range(20)])
  synth.reset()
  quiet = np.concatenate([synth.filtered_noise(np.zeros(65))
                          for _ in range(20)])
  assert np.std(loud) > 0.1
  assert np.abs(quiet).max() == 0.0
