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

"""DDSP-VST: a trained VST model exports to a .tflite the plugin accepts.

One tiny model is trained a few steps on a bundled violin clip with the
original's recipe (ddsp_prepare_tfrecord --frame_rate=50 --center=True,
ddsp_run with models/vst/vst.gin, ddsp_export
--inference_model=vst_stateless_predict_controls) and then:
* its .tflite meets the plugin's contract: tensor names, shapes, dtypes,
  and metadata.json readable as a ZIP with the dataset's statistics;
* `ddsp_export --check` names each violation of broken files;
* the plugin's run loop (`vst_runloop`), one .tflite call per frame with
  the state fed back, gives the controls of the Keras model run on the
  whole sequence, and the same harmonic audio.
"""
import json
import os
import zipfile

import command_runner
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf
import training_toys

import ddsp
from ddsp.training import data
from ddsp.training import export
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import postprocessing
from ddsp.training import preprocessing
from ddsp.training.playback import vst_contract
from ddsp.training.playback import vst_runloop
import gin

pytestmark = pytest.mark.slow

REPO = training_toys.REPO
CLIP = os.path.join(REPO, 'examples', 'audio', 'violin_a.flac')
EXAMPLE_SECS = 1
TINY_VST_PARAMS = training_toys.tiny_vst_params(EXAMPLE_SECS)


def _run(module, *args):
  """Runs a console script's module in a subprocess; fails on an error."""
  training_toys.run_module(module, *args, timeout=900,
                           env={'TF_CPP_MIN_LOG_LEVEL': '3'})


def _export_outcome(*args):
  """Runs ddsp_export in this process: its `command_runner.Outcome`."""
  return command_runner.run_in_process('ddsp.training.ddsp_export',
                                       ['ddsp_export', *args], timeout=900)


def _export_main(*args):
  """Runs ddsp_export in this process: (exit status, stdout)."""
  outcome = _export_outcome(*args)
  return outcome.code, outcome.stdout


@pytest.fixture(scope='module')
def vst_run(tmp_path_factory):
  """{'data': TFRecord pattern, 'run': run folder, 'tflite': exported file}."""
  folder = tmp_path_factory.mktemp('vst')
  pattern = str(folder / 'data' / 'train.tfrecord*')
  _run('ddsp.training.data_preparation.ddsp_prepare_tfrecord',
       f'--input_audio_filepatterns={CLIP}',
       f'--output_tfrecord_path={folder / "data" / "train.tfrecord"}',
       '--frame_rate=50', '--center=True', '--crepe_model=tiny',
       f'--example_secs={EXAMPLE_SECS}', '--hop_secs=1', '--num_shards=1')
  run = str(folder / 'run')
  _run('ddsp.training.ddsp_run', '--mode=train', f'--save_dir={run}',
       '--gin_file=models/vst/vst.gin', '--gin_file=datasets/tfrecord.gin',
       f"--gin_param=TFRecordProvider.file_pattern='{pattern}'",
       *[f'--gin_param={p}' for p in TINY_VST_PARAMS])
  code, out = _export_main(
      f'--model_path={run}', '--inference_model=vst_stateless_predict_controls',
      '--tflite', '--notfjs', '--noreverb')
  tflite = os.path.join(run, 'export', 'tflite', 'model.tflite')
  assert code == 0 and 'meets the DDSP-VST contract' in out, out
  return {'data': pattern, 'run': run, 'tflite': tflite}


# ------------------------------------------------------------------------------
# The contract.
# ------------------------------------------------------------------------------
def test_export_meets_the_contract(vst_run):
  assert vst_contract.check_tflite(vst_run['tflite']) == []


def test_export_that_breaks_the_contract_fails_the_command(vst_run, tmp_path,
                                                          monkeypatch):
  monkeypatch.setattr(vst_contract, 'check_tflite',
                      lambda path: ['a forced violation'])
  outcome = _export_outcome(
      f'--model_path={vst_run["run"]}', f'--save_dir={tmp_path / "export"}',
      '--inference_model=vst_stateless_predict_controls', '--tflite',
      '--notfjs', '--noreverb')
  assert '  - a forced violation' in outcome.stdout
  assert outcome.code == 1
  assert 'ddsp_export: error: ' in outcome.stderr
  assert 'breaks the DDSP-VST contract' in outcome.stderr
  assert 'Traceback' not in outcome.stderr


def test_metadata_records_the_violins_note_range(vst_run):
  """violin_a.flac plays at about 415-465 Hz; silent padding examples
  (CREPE guesses ~1 kHz there) used to pull the range to ~1057-1086 Hz."""
  with open(os.path.join(vst_run['run'], 'export', 'metadata.json')) as f:
    meta = json.load(f)
  assert 380.0 < meta['mean_min_pitch_note_hz'] < 480.0, meta
  assert 400.0 < meta['mean_max_pitch_note_hz'] < 520.0, meta
  assert meta['mean_min_pitch_note_hz'] <= meta['mean_max_pitch_note_hz']


@pytest.mark.parametrize('kind,tensor', [
    *[('input', t) for t in vst_contract.INPUTS],
    *[('output', t) for t in vst_contract.OUTPUTS]])
def test_tensor_has_the_plugin_name_shape_and_dtype(vst_run, kind, tensor):
  interpreter = tf.lite.Interpreter(model_path=vst_run['tflite'])
  details = (interpreter.get_input_details() if kind == 'input' else
             interpreter.get_output_details())
  by_name = {d['name']: d for d in details}
  assert set(by_name) == {t.name for t in (
      vst_contract.INPUTS if kind == 'input' else vst_contract.OUTPUTS)}
  assert list(by_name[tensor.name]['shape']) == [tensor.size]
  assert by_name[tensor.name]['dtype'] == np.float32


def test_outputs_come_in_the_plugins_order(vst_run):
  """:0 amplitude, :1 harmonics, :2 noise, :3 state: the module's returns."""
  model = vst_runloop.PluginControlModel(vst_run['tflite'])
  keras = inference.VSTStatelessPredictControls(vst_run['run'])
  f0_s, pw_s = np.float32(0.55), np.float32(0.6)
  state = np.random.RandomState(0).uniform(-0.5, 0.5, 512).astype(np.float32)
  model.state = state
  controls = model(f0_s, pw_s)
  expected = keras.call(tf.fill([1], f0_s), tf.fill([1], pw_s),
                        tf.constant(state))
  for mine, theirs in zip(list(controls) + [model.state], expected):
    np.testing.assert_allclose(mine, np.asarray(theirs), atol=1e-5)


def _dataset_statistics(pattern):
  provider = data.TFRecordProvider(pattern, example_secs=EXAMPLE_SECS,
                                   frame_rate=50, centered=True)
  return postprocessing.compute_dataset_statistics(
      provider, power_frame_size=vst_contract.FRAME_SIZE,
      power_frame_rate=vst_contract.FRAME_RATE)


@pytest.mark.parametrize('key,statistic,to_hz', [
    ('mean_min_pitch_note_hz', 'mean_min_pitch_note', True),
    ('mean_max_pitch_note_hz', 'mean_max_pitch_note', True),
    ('mean_min_power_note', 'mean_min_power_note', False),
    ('mean_max_power_note', 'mean_max_power_note', False),
])
def test_packed_metadata_holds_the_dataset_statistics(vst_run, key,
                                                      statistic, to_hz):
  with zipfile.ZipFile(vst_run['tflite']) as archive:  # As the plugin reads.
    assert archive.namelist() == ['metadata.json']
    meta = vst_contract.read_metadata(open(vst_run['tflite'], 'rb').read())
  expected = float(_dataset_statistics(vst_run['data'])[statistic])
  if to_hz:
    expected = float(ddsp.core.midi_to_hz(expected))
  assert meta[key] == pytest.approx(expected, rel=1e-5)
  assert set(vst_contract.METADATA_KEYS) <= set(meta)


# ------------------------------------------------------------------------------
# The validator on broken files.
# ------------------------------------------------------------------------------
def _flatbuffer(path):
  """The model bytes without the packed ZIP."""
  content = open(path, 'rb').read()
  with zipfile.ZipFile(path) as archive:
    return content[:archive.infolist()[0].header_offset]


def _without_metadata(path, run):
  del run
  return _flatbuffer(path)


def _metadata_without_version(path, run):
  del run
  meta = vst_contract.read_metadata(open(path, 'rb').read())
  del meta['version']
  return vst_contract.append_metadata(_flatbuffer(path), meta)


def _pitch_range_reversed(path, run):
  del run
  meta = vst_contract.read_metadata(open(path, 'rb').read())
  meta['mean_min_pitch_note_hz'] = meta['mean_max_pitch_note_hz'] + 1.0
  return vst_contract.append_metadata(_flatbuffer(path), meta)


def _serving_default_names(path, run):
  """What the original's recipe writes today (`serving_default_*` names)."""
  del path
  converter = tf.lite.TFLiteConverter.from_saved_model(
      os.path.join(run, 'export'), signature_keys=['serving_default'])
  return converter.convert()


@pytest.mark.parametrize('breaks,expected', [
    (_without_metadata, 'no metadata'),
    (_metadata_without_version, "metadata lacks the key 'version'"),
    (_pitch_range_reversed, 'mean_min_pitch_note_hz'),
    (_serving_default_names,
     'input serving_default_f0_scaled:0 is not a name the plugin knows'),
])
def test_validator_names_the_violation(vst_run, tmp_path, breaks, expected):
  bad = str(tmp_path / 'bad.tflite')
  with open(bad, 'wb') as f:
    f.write(breaks(vst_run['tflite'], vst_run['run']))
  problems = vst_contract.check_tflite(bad)
  assert any(expected in p for p in problems), problems


def test_validator_names_every_missing_input_of_the_recipe_names(vst_run,
                                                                 tmp_path):
  bad = str(tmp_path / 'bad.tflite')
  with open(bad, 'wb') as f:
    f.write(_serving_default_names(vst_run['tflite'], vst_run['run']))
  problems = vst_contract.check_tflite(bad)
  for tensor in vst_contract.INPUTS:
    assert any(f'input {tensor.name}' in p and 'missing' in p
               for p in problems), tensor.name


@pytest.mark.parametrize('good', [True, False])
def test_check_command_exit_status_and_report(vst_run, tmp_path, good):
  path = vst_run['tflite']
  if not good:
    path = str(tmp_path / 'bad.tflite')
    with open(path, 'wb') as f:
      f.write(_without_metadata(vst_run['tflite'], None))
  code, out = _export_main(f'--check={path}')
  assert code == (0 if good else 1), out
  if good:
    assert 'meets the DDSP-VST contract' in out
  else:
    assert 'breaks the DDSP-VST contract' in out
    assert '- no metadata' in out


# ------------------------------------------------------------------------------
# The plugin's run loop against the Keras model.
# ------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def clip_features():
  """f0 (CREPE tiny) and power of the clip at 50 frames/s, centered."""
  audio, sample_rate = sf.read(CLIP, dtype='float32')
  assert sample_rate == vst_contract.SAMPLE_RATE
  power_db = np.asarray(ddsp.spectral_ops.compute_power(
      audio[np.newaxis], sample_rate=sample_rate,
      frame_rate=vst_contract.FRAME_RATE,
      frame_size=vst_contract.FRAME_SIZE, padding='center'))[0]
  f0_hz, _ = ddsp.spectral_ops.compute_f0(
      audio, vst_contract.FRAME_RATE, viterbi=False, padding='center',
      model_capacity='tiny')
  n_frames = min(len(f0_hz), len(power_db))
  assert n_frames >= 200
  return np.asarray(f0_hz[:n_frames]), np.asarray(power_db[:n_frames])


def _keras_controls(run, f0_scaled, pw_scaled):
  """The trained Autoencoder's decoder and synth controls on the whole
  sequence at once (GRU state from zeros): {name: [n_frames, ch]}."""
  with gin.unlock_config():
    gin.clear_config()
  inference.parse_operative_config(run)
  model = models.Autoencoder()
  model.restore(run, verbose=False)
  f0_scaled = tf.constant(f0_scaled[np.newaxis, :, np.newaxis])
  pw_scaled = tf.constant(pw_scaled[np.newaxis, :, np.newaxis])
  outputs = model.decoder({'f0_scaled': f0_scaled, 'pw_scaled': pw_scaled},
                          training=False)
  group = model.processor_group
  harm = group.harmonic.get_controls(
      outputs['amps'], outputs['harmonic_distribution'],
      preprocessing.inv_scale_f0_hz(f0_scaled))
  noise = group.filtered_noise.get_controls(outputs['noise_magnitudes'])
  return {'amplitude': np.asarray(harm['amplitudes'])[0],
          'harmonic_distribution': np.asarray(
              harm['harmonic_distribution'])[0],
          'noise_magnitudes': np.asarray(noise['magnitudes'])[0]}


@pytest.fixture(scope='module')
def loop_and_keras(vst_run, clip_features):
  f0_hz, power_db = clip_features
  synth = vst_runloop.HopSynthesizer(noise=False)
  loop = vst_runloop.run_loop(
      vst_runloop.PluginControlModel(vst_run['tflite']), f0_hz, power_db,
      synth)
  keras = _keras_controls(vst_run['run'], vst_runloop.scale_f0(f0_hz),
                          vst_runloop.scale_power(power_db))
  return loop, keras


@pytest.mark.parametrize('key', ['amplitude', 'harmonic_distribution',
                                 'noise_magnitudes'])
def test_frame_loop_equals_whole_sequence_keras_controls(loop_and_keras, key):
  loop, keras = loop_and_keras
  assert loop[key].shape == keras[key].shape
  assert loop[key].shape[0] >= 200
  assert np.abs(keras[key]).max() > 0
  np.testing.assert_allclose(loop[key], keras[key], atol=1e-4, rtol=0)


def _whole_sequence_harmonics(f0_hz, amplitude, distribution):
  """Harmonic audio of the whole sequence at once, one float64 phase.

  Envelopes follow the plugin's per-hop rule (`vst_runloop.hop_ramp`), from
  the first f0 and zero amplitudes; then over all samples n
  phi[n] = sum_{m <= n} 2 pi f0[m] / 16000 and
  audio[n] = sum_k a_k[n] sin(k phi[n]), with a_k = amplitude * d_k / sum_j d_j
  over the harmonics k f0 < 8 kHz.
  """
  hop = vst_contract.HOP_SIZE
  ramp = vst_runloop.hop_ramp(hop)[np.newaxis, :, np.newaxis]
  k = np.arange(1, distribution.shape[1] + 1)
  masked = np.where(k * f0_hz[:, np.newaxis] < 8000.0, distribution, 0.0)
  amps = amplitude * masked / masked.sum(axis=1, keepdims=True)

  def envelope(frames, first):
    prev = np.concatenate([first[np.newaxis], frames[:-1]])
    out = prev[:, np.newaxis] + (frames - prev)[:, np.newaxis] * ramp
    return out.reshape(-1, frames.shape[-1])

  f0_env = envelope(f0_hz[:, np.newaxis], f0_hz[:1])[:, 0]
  amp_env = envelope(amps, np.zeros_like(amps[0]))
  phase = np.cumsum(2.0 * np.pi * f0_env / vst_contract.SAMPLE_RATE)
  return np.sum(amp_env * np.sin(phase[:, np.newaxis] * k), axis=1)


def test_frame_loop_harmonic_audio_equals_whole_sequence_synthesis(
    loop_and_keras, clip_features):
  """Same phase: the hops, each from its .tflite call, join into one
  oscillator run over the Keras controls of the whole sequence.

  Tolerance 1e-5 (-100 dB of full scale): a sample is sum_k a_k sin(k phi),
  so its error is at most sum_k |delta a_k|; the .tflite and Keras controls
  differ by float32 rounding (~1e-7) and both phases are float64 sums.
  (ddsp's float32 oscillator bank over the same 8 s would drift by ~1e-2.)
  """
  loop, keras = loop_and_keras
  f0_hz = vst_runloop.unscale_f0(vst_runloop.scale_f0(clip_features[0]))
  reference = _whole_sequence_harmonics(
      f0_hz, keras['amplitude'], keras['harmonic_distribution'])
  assert loop['audio'].shape == reference.shape
  assert np.abs(reference).max() > 1e-2
  np.testing.assert_allclose(loop['audio'], reference, atol=1e-5, rtol=0)


# ------------------------------------------------------------------------------
# Clear errors.
# ------------------------------------------------------------------------------
def test_metadata_from_data_at_another_frame_rate_says_how_to_prepare(
    vst_run, tmp_path):
  wrong = training_toys.write_tiny_tfrecord(str(tmp_path / 'wrong.tfrecord'))
  with pytest.raises(vst_contract.VSTExportError,
                     match='ddsp_prepare_tfrecord --frame_rate=50 '
                     '--center=True'):
    export.get_metadata_dict(export.get_data_provider(wrong, vst_run['run']),
                             vst_run['run'])
