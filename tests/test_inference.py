"""Inference models: AutoencoderInference and the VST modules."""
import os

import gin
import golden
import numpy as np
import pytest
import tensorflow as tf

from ddsp.training import ddsp_run
from ddsp.training import inference
from ddsp.training import models

CKPT = golden.path(golden.SOLO_CKPT)
needs_ckpt = pytest.mark.needs_shared(golden.SOLO_CKPT)
CONTROLS = ('amps', 'harmonic_distribution', 'noise_magnitudes')


def _features(n):
  t = np.linspace(0.0, 1.0, n, dtype=np.float32)
  return {'f0_hz': 220.0 + 200.0 * t, 'loudness_db': -70.0 + 60.0 * t}


@pytest.fixture(scope='module')
def ae_inference():
  gin.clear_config()
  return inference.AutoencoderInference(CKPT, length_seconds=1.0,
                                        verbose=False)


@needs_ckpt
def test_autoencoder_inference_sizes(ae_inference):
  assert ae_inference.sample_rate == 16000
  assert ae_inference.hop_size == 64
  assert (ae_inference.n_frames, ae_inference.n_samples) == (250, 16000)
  assert ae_inference.preprocessor_type == 'F0LoudnessPreprocessor'


@needs_ckpt
def test_autoencoder_inference_builds_without_audio(ae_inference):
  """The original's build_network crashed here (no audio); fixed."""
  out = ae_inference(_features(250))
  assert out['audio_synth'].shape == (1, 16000)
  assert np.all(np.isfinite(out['audio_synth']))


@needs_ckpt
def test_autoencoder_inference_removes_reverb(ae_inference):
  names = ae_inference.processor_group.processor_names
  assert 'reverb' not in names
  assert names == ['harmonic', 'filtered_noise', 'add']


@needs_ckpt
def test_autoencoder_inference_controls_match_the_training_model(
    ae_inference):
  feats = _features(250)
  out = ae_inference(dict(feats))
  # The restored Keras training model, same length, same loudness input,
  # built in the inference model's own gin configuration.
  with ae_inference.gin_config.active():
    gin.bind_parameter('F0LoudnessPreprocessor.compute_loudness', False)
    model = models.Autoencoder()
    model.restore(CKPT, verbose=False)
    ref = model({k: v[np.newaxis] for k, v in feats.items()}, training=False)
  for key in CONTROLS:
    np.testing.assert_allclose(out[key], ref[key], atol=1e-5, err_msg=key)


@needs_ckpt
@pytest.mark.parametrize('key', [
    'amps', 'harmonic_distribution', 'noise_magnitudes',
    'harmonic/controls/amplitudes', 'harmonic/controls/harmonic_distribution',
    'harmonic/controls/f0_hz', 'filtered_noise/controls/magnitudes'])
def test_synth_controls_equal_the_full_call(ae_inference, key):
  feats = _features(250)
  full = ae_inference(dict(feats))
  controls = ae_inference.synth_controls(dict(feats))
  mine, ref = controls, full
  for part in key.split('/'):
    mine, ref = mine[part], ref[part]
  np.testing.assert_allclose(mine, ref, atol=1e-6, err_msg=key)


@needs_ckpt
def test_synth_controls_skip_synthesis(ae_inference):
  controls = ae_inference.synth_controls(_features(250))
  assert 'audio_synth' not in controls
  assert 'add' not in controls  # fed by signals, not controls
  assert 'signal' not in controls['harmonic']


@needs_ckpt
def test_autoencoder_inference_is_gin_configurable():
  gin.clear_config()
  with gin.unlock_config():
    gin.parse_config('AutoencoderInference.length_seconds = 0.5\n'
                     'AutoencoderInference.remove_reverb = False')
  model = inference.AutoencoderInference(CKPT, verbose=False)
  assert model.n_frames == 125
  assert 'reverb' in model.processor_group.processor_names
  gin.clear_config()


@needs_ckpt
def test_streaming_inference_is_one_frame():
  gin.clear_config()
  model = inference.StreamingF0PwInference(CKPT, verbose=False)
  assert (model.n_frames, model.n_samples) == (1, 64)


# ------------------------------------------------------------------------------
# VST modules on a randomly initialised vst.gin run.
# ------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def vst_run(tmp_path_factory):
  run = str(tmp_path_factory.mktemp('vst_run'))
  gin.clear_config()
  with gin.unlock_config():
    gin.parse_config_file(os.path.join(ddsp_run.GIN_PATH, 'models', 'vst',
                                       'vst.gin'))
  model = models.get_model()
  batch = {'audio': tf.zeros([1, 64000]), 'f0_hz': tf.zeros([1, 201]),
           'f0_confidence': tf.zeros([1, 201]),
           'audio_16k': tf.zeros([1, 64000])}
  model(batch, training=False)
  with open(os.path.join(run, 'operative_config-0.gin'), 'w') as f:
    f.write(gin.operative_config_str())
  tf.train.Checkpoint(model=model).save(os.path.join(run, 'ckpt'))
  gin.clear_config()
  return run


def test_vst_predict_controls(vst_run):
  gin.clear_config()
  m = inference.VSTPredictControls(vst_run)
  assert (m.frame_rate, m.sample_rate, m.hop_size) == (50, 16000, 320)
  amps, hd, noise = m.call(tf.constant([0.5]), tf.constant([0.7]))
  assert amps.shape == (1,) and hd.shape == (60,) and noise.shape == (65,)
  np.testing.assert_allclose(np.sum(hd), 1.0, atol=1e-4)


def test_vst_stateless_predict_controls_carries_state(vst_run, tmp_path):
  gin.clear_config()
  m = inference.VSTStatelessPredictControls(vst_run)
  state = tf.zeros([m.state_size])
  amps, _, _, state2 = m.call(tf.constant([0.5]), tf.constant([0.7]), state)
  assert state2.shape == (512,)
  assert not np.allclose(state2, 0.0)
  m.save_model(str(tmp_path))
  loaded = tf.saved_model.load(str(tmp_path))
  out = loaded.signatures['serving_default'](
      f0_scaled=tf.constant([0.5]), pw_scaled=tf.constant([0.7]),
      state=state)
  values = sorted(out.values(), key=lambda v: -v.shape[0])
  np.testing.assert_allclose(values[0], state2, atol=1e-5)
  assert any(np.allclose(v, amps, atol=1e-6) for v in out.values()
             if v.shape == (1,))


@pytest.mark.parametrize('hop', [None, 128])
def test_vst_synthesize_hop(vst_run, hop):
  gin.clear_config()
  m = inference.VSTSynthesize(vst_run, new_hop_size=hop)
  hop = hop or 320
  hd = tf.one_hot(0, 60)
  audio, phase = m.call(tf.constant([0.5]), tf.constant([0.5]), hd, hd,
                        tf.constant([440.0]), tf.constant([440.0]),
                        tf.fill([65], 1e-6), tf.constant([0.0]))
  assert audio.shape == (hop,) and phase.shape == ()
  t = np.arange(1, hop + 1) / 16000
  np.testing.assert_allclose(audio, 0.5 * np.sin(2 * np.pi * 440 * t),
                             atol=2e-3)


def test_vst_synthesize_harmonic_and_noise(vst_run):
  gin.clear_config()
  h = inference.VSTSynthesizeHarmonic(vst_run)
  hd = tf.one_hot(1, 60)
  audio, _ = h.call(tf.constant([0.3]), tf.constant([0.3]), hd, hd,
                    tf.constant([200.0]), tf.constant([200.0]),
                    tf.constant([0.0]))
  assert audio.shape == (320,)
  gin.clear_config()
  n = inference.VSTSynthesizeNoise(vst_run)
  noise = n.call(tf.fill([65], 0.1))
  assert noise.shape == (320,) and np.std(noise) > 0


def test_vst_extract_features(vst_run):
  gin.clear_config()
  m = inference.VSTExtractFeatures(vst_run, crepe_saved_model_path='tiny')
  t = np.arange(1024) / 16000
  f0_hz, f0_scaled, pw_db, pw_scaled = m.call(
      tf.constant(0.5 * np.sin(2 * np.pi * 440 * t), tf.float32))
  assert all(x.shape == () for x in (f0_hz, f0_scaled, pw_db, pw_scaled))
  assert abs(float(f0_hz) - 440.0) < 15.0
