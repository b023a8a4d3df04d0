"""Every model loaded in a process keeps its own gin configuration.

Specification: building an inference model leaves the process's gin
configuration as it was; the model's functions trace in the model's own
configuration, whatever is bound globally when they trace (a training run,
another model); `gin_scope` swaps configurations without losing either.
"""
import os

import gin
import numpy as np
import pytest
import tensorflow as tf

import streaming_models
import training_toys
from ddsp.training import data
from ddsp.training import gin_scope
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import trainers
from ddsp.training.playback import streaming


# ---------------------------------------------------------------- gin_scope
def test_isolated_block_starts_empty_and_leaves_the_global_config(clean_gin):
  gin.bind_parameter('exp_sigmoid.max_value', 3.0)
  with gin_scope.isolated() as scope:
    with pytest.raises(ValueError):
      gin.query_parameter('exp_sigmoid.max_value')
    gin.bind_parameter('exp_sigmoid.exponent', 5.0)
  assert gin.query_parameter('exp_sigmoid.max_value') == 3.0
  with pytest.raises(ValueError):
    gin.query_parameter('exp_sigmoid.exponent')
  assert scope.config.query('exp_sigmoid.exponent') == 5.0


def test_isolated_block_starts_from_the_given_bindings(clean_gin):
  with gin_scope.isolated(['exp_sigmoid.exponent = 4.0']) as scope:
    assert gin.query_parameter('exp_sigmoid.exponent') == 4.0
  assert scope.config.query('exp_sigmoid.exponent') == 4.0


def test_active_config_is_current_inside_and_restored_after(clean_gin):
  with gin_scope.isolated() as scope:
    gin.bind_parameter('exp_sigmoid.exponent', 5.0)
  gin.bind_parameter('exp_sigmoid.exponent', 7.0)
  with scope.config.active():
    assert gin.query_parameter('exp_sigmoid.exponent') == 5.0
    gin.bind_parameter('exp_sigmoid.exponent', 9.0)  # Not kept.
  assert gin.query_parameter('exp_sigmoid.exponent') == 7.0
  assert scope.config.query('exp_sigmoid.exponent') == 5.0


def test_active_configs_nest(clean_gin):
  configs = []
  for value in (1.0, 2.0):
    with gin_scope.isolated() as scope:
      gin.bind_parameter('exp_sigmoid.exponent', value)
    configs.append(scope.config)
  with configs[0].active():
    with configs[1].active():
      assert gin.query_parameter('exp_sigmoid.exponent') == 2.0
    assert gin.query_parameter('exp_sigmoid.exponent') == 1.0
  with pytest.raises(ValueError):
    gin.query_parameter('exp_sigmoid.exponent')


def test_in_isolation_decorator_leaves_no_bindings(clean_gin):

  @gin_scope.in_isolation
  def parse():
    gin.bind_parameter('exp_sigmoid.exponent', 5.0)
    return gin.query_parameter('exp_sigmoid.exponent')

  assert parse() == 5.0
  with pytest.raises(ValueError):
    gin.query_parameter('exp_sigmoid.exponent')


# --------------------------------------------- models and training together
SECONDS = 0.2
RATES = {'low': 16000, 'high': 32000}


@pytest.fixture(scope='module')
def model_dirs(tmp_path_factory):
  root = tmp_path_factory.mktemp('two_rates')
  return {name: streaming_models.write_random_model(
      str(root / name), streaming_models.model_gin(sample_rate=rate),
      seed=i) for i, (name, rate) in enumerate(RATES.items())}


# Read when a model traces (core.angular_cumsum, which the inference models
# use): a binding leaking into their traces changes their harmonic signal.
FOREIGN_BINDING = ('angular_cumsum.chunk_size', 37)


def _features(model):
  n = model.n_frames
  f0 = np.linspace(200.0, 400.0, n).astype(np.float32)
  db = np.linspace(-50.0, -20.0, n).astype(np.float32)
  return {'f0_hz': f0, model.db_key: db}


def _train_one_step(tmp_dir):
  """Builds the tiny 16 kHz training config globally and takes one step.

  The config also binds FOREIGN_BINDING, and has no reverb, unlike the
  inference models.

  Returns:
    The trained model.
  """
  gin_path = training_toys.write_tiny_setup(tmp_dir)
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config_file(gin_path)
    gin.bind_parameter(*FOREIGN_BINDING)
  model = models.get_model()
  trainer = trainers.Trainer(model, tf.distribute.get_strategy())
  provider = data.TFRecordProvider(
      os.path.join(tmp_dir, 'tiny.tfrecord'),
      example_secs=training_toys.TINY_SECS)
  trainer.train_step(iter(provider.get_batch(2, shuffle=False)))
  return model


def _assert_training_config_intact(model):
  assert model.processor_group.harmonic.sample_rate == 16000
  assert gin.query_parameter(FOREIGN_BINDING[0]) == FOREIGN_BINDING[1]
  for leaked in ('Reverb.reverb_length', 'oscillator_bank.use_angular_cumsum'):
    with pytest.raises(ValueError):
      gin.query_parameter(leaked)


def test_two_models_and_training_each_keep_their_config(model_dirs, tmp_path,
                                                        clean_gin):
  loaded = {name: inference.AutoencoderInference(
      folder, length_seconds=SECONDS, verbose=False)
            for name, folder in model_dirs.items()}
  assert not gin.config_str().strip()  # Loading left nothing behind.
  for name, model in loaded.items():
    assert model.sample_rate == RATES[name]
    assert model.gin_config.query('Harmonic.sample_rate') == RATES[name]
  before = {name: np.asarray(model(_features(model))['harmonic']['signal'])
            for name, model in loaded.items()}

  trained = _train_one_step(str(tmp_path))
  _assert_training_config_intact(trained)

  # Alternate: each model traces anew (an export), training's config in
  # place; then training goes on in its own config.
  for name, model in loaded.items():
    export_dir = str(tmp_path / f'saved_{name}')
    model.save_model(export_dir)
    serving = tf.saved_model.load(export_dir).signatures['serving_default']
    feats = {k: tf.constant(v) for k, v in _features(model).items()}
    np.testing.assert_allclose(serving(**feats)['harmonic__signal'],
                               before[name], rtol=0, atol=1e-6)
    _assert_training_config_intact(trained)
    streaming.StreamingSynthesizer(model).process(*_features(model).values())
    _assert_training_config_intact(trained)


def test_a_leaked_binding_would_change_the_harmonic_signal(model_dirs,
                                                           clean_gin):
  """The comparison above can fail: the foreign binding, traced in."""
  model = inference.AutoencoderInference(model_dirs['high'],
                                         length_seconds=SECONDS,
                                         verbose=False)
  feats = _features(model)
  own = np.asarray(model(feats)['harmonic']['signal'])
  untraced = inference.AutoencoderInference.call.python_function
  with model.gin_config.active():
    gin.bind_parameter(*FOREIGN_BINDING)
    leaked = np.asarray(untraced(model, feats)['harmonic']['signal'])
  assert np.abs(own - leaked).max() > 1e-5


def test_vst_and_plain_models_load_side_by_side(model_dirs, tmp_path,
                                                clean_gin):
  vst_dir = streaming_models.write_random_vst_model(str(tmp_path / 'vst'))
  plain_before = inference.AutoencoderInference(
      model_dirs['high'], length_seconds=SECONDS, verbose=False)
  vst = inference.VSTStatelessPredictControls(vst_dir)
  plain_after = inference.AutoencoderInference(
      model_dirs['low'], length_seconds=SECONDS, verbose=False)
  assert not gin.config_str().strip()
  assert (vst.sample_rate, vst.frame_rate) == (16000, 50)
  assert vst.gin_config.query('RnnFcDecoder.stateless')
  assert vst.decoder.stateless
  for model, rate in ((plain_before, RATES['high']),
                      (plain_after, RATES['low'])):
    assert not model.decoder.stateless
    assert model.gin_config.query('Harmonic.sample_rate') == rate
    with pytest.raises(ValueError):
      model.gin_config.query('%frame_size')
  # The VST module still traces in its own configuration.
  out = vst.call(tf.constant([0.5]), tf.constant([0.5]),
                 tf.zeros([vst.state_size]))
  assert out[1].shape == [vst.n_harmonics]
