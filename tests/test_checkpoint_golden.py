"""Checkpoint compatibility with the original DDSP (golden area `checkpoint`).

* A freshly built solo_instrument model, saved the way the trainer saves it
  (`tf.train.Checkpoint(model=..., optimizer=...)`), has exactly the
  variable names and shapes of the original's checkpoint.
* The original's trained checkpoint restores into our Autoencoder through the
  Python API and reproduces every recorded output of `model_outputs`.
* The original's TFRecord reads back through TFRecordProvider with the
  features recorded in `tfrecord_features`.

The other cases of the area belong to other test files:
`tfrecord_features` (writing the TFRecord) -> tests/test_prepare_tfrecord.py,
`dataset_statistics` -> tests/test_dataset_statistics.py.
"""
import functools
import json
import os

import gin
import golden
import numpy as np
import pytest
import tensorflow as tf

import ddsp.training  # pylint: disable=unused-import
from ddsp.training import data
from ddsp.training import models
from ddsp.training import trainers

CKPT_DIR = golden.path(golden.SOLO_CKPT)
TFRECORD = golden.path(golden.SOLO_TFRECORD)
SOURCE_WAV = golden.path('golden/solo_instrument/source.wav')
REPO_GIN_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'gin')
AREA = 'checkpoint'
MODEL_CASE = 'model_outputs'
FEATURE_KEYS = ('audio', 'audio_16k', 'f0_hz', 'f0_confidence', 'loudness_db')


def _reference_variables():
  with open(golden.path('golden/checkpoint_variables.json')) as f:
    return {name: list(shape) for name, shape in json.load(f)}


# Variable shapes do not depend on the audio length: tests that only need
# the variables use 16 frames of 64 samples to stay fast.
SHORT_BINDINGS = [
    'F0LoudnessPreprocessor.time_steps = 16',
    'Harmonic.n_samples = 1024',
    'FilteredNoise.n_samples = 1024',
    'SpectralLoss.fft_sizes = (256, 128, 64)',
]


def _solo_batch(batch_size=1, n_frames=16, n_samples=1024):
  rng = np.random.RandomState(0)
  return {
      'audio': rng.uniform(-0.1, 0.1, [batch_size, n_samples]).astype(
          np.float32),
      'f0_hz': np.full([batch_size, n_frames], 220.0, np.float32),
      'f0_confidence': np.ones([batch_size, n_frames], np.float32),
      'loudness_db': np.full([batch_size, n_frames], -40.0, np.float32),
  }


# ----------------------------------------------------------------------------
# Variable names and shapes of a freshly saved model.
# ----------------------------------------------------------------------------
@pytest.fixture(scope='module')
def fresh_checkpoint_variables(tmp_path_factory):
  """Builds models/solo_instrument.gin, trains one step, saves via Trainer."""
  with gin.unlock_config():
    gin.clear_config()
    gin.add_config_file_search_path(REPO_GIN_DIR)
    gin.parse_config_file('models/solo_instrument.gin')
    gin.parse_config(SHORT_BINDINGS)
  try:
    model = models.get_model()
    strategy = tf.distribute.get_strategy()
    trainer = trainers.Trainer(model, strategy)
    # One eager Adam step (same variables as Trainer.train_step, no tracing).
    with tf.GradientTape() as tape:
      _, losses = model(_solo_batch(), return_losses=True, training=True)
    grads = tape.gradient(losses['total_loss'], model.trainable_variables)
    trainer.optimizer.apply_gradients(zip(grads, model.trainable_variables))
    save_dir = str(tmp_path_factory.mktemp('fresh_ckpt'))
    trainer.save(save_dir)
    path = tf.train.latest_checkpoint(save_dir)
    return {name: list(shape) for name, shape in tf.train.list_variables(path)}
  finally:
    with gin.unlock_config():
      gin.clear_config()


def _split(variables, prefix):
  return {k: v for k, v in variables.items() if k.startswith(prefix)}


def test_fresh_model_variables_equal_the_original(fresh_checkpoint_variables):
  mine = _split(fresh_checkpoint_variables, 'model/')
  ref = _split(_reference_variables(), 'model/')
  assert sorted(set(ref) - set(mine)) == []
  assert sorted(set(mine) - set(ref)) == []
  assert mine == ref


def test_fresh_optimizer_variables_equal_the_original(
    fresh_checkpoint_variables):
  # Slot order follows model.trainable_variables order: same shapes per index.
  mine = {k: v for k, v in fresh_checkpoint_variables.items()
          if not k.startswith('model/')}
  ref = {k: v for k, v in _reference_variables().items()
         if not k.startswith('model/')}
  assert mine == ref


def test_fresh_model_has_the_original_parameter_count(
    fresh_checkpoint_variables):
  n_params = sum(int(np.prod(s)) for k, s in fresh_checkpoint_variables.items()
                 if k.startswith('model/'))
  assert n_params == 4849150


# ----------------------------------------------------------------------------
# Restoring the original's trained checkpoint.
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _restored_run():
  """Restores the golden checkpoint and runs the recorded batch once."""
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config_file(
        os.path.join(CKPT_DIR, 'operative_config-0.gin'), skip_unknown=True)
  try:
    model = models.Autoencoder()
    model.restore(CKPT_DIR, verbose=False)
    case = golden.get_case(AREA, MODEL_CASE)
    arrays = golden.inputs(AREA, case)
    features = {k: arrays[k] for k in FEATURE_KEYS}
    with golden.fixed_uniform_noise(golden.noise_inputs(case, arrays)):
      outputs, losses = model(features, training=True, return_losses=True)
    return model, golden.flatten(outputs), losses
  finally:
    with gin.unlock_config():
      gin.clear_config()


def _output_specs():
  case = golden.get_case(AREA, MODEL_CASE)
  return golden.expected(AREA, case)


@pytest.mark.needs_shared(golden.SOLO_CKPT)
@pytest.mark.parametrize('spec, ref', _output_specs(),
                         ids=[s['name'] for s, _ in _output_specs()])
def test_restored_checkpoint_reproduces_the_original(spec, ref):
  model, outputs, losses = _restored_run()
  name = spec['name']
  if name.startswith('losses/'):
    mine = losses[name.split('/', 1)[1]]
  elif name == 'reverb_ir_variable':
    mine = model.processor_group.reverb.trainable_variables[0]
  else:
    mine = outputs[name]
  golden.assert_output_close(mine, spec, ref)


@pytest.mark.needs_shared(golden.SOLO_CKPT)
def test_restore_matches_every_model_variable_of_the_checkpoint():
  model, _, _ = _restored_run()
  reader = tf.train.load_checkpoint(CKPT_DIR)
  decoder_kernel = reader.get_tensor(
      'model/decoder/dense_out/kernel/.ATTRIBUTES/VARIABLE_VALUE')
  np.testing.assert_array_equal(model.decoder.dense_out.kernel.numpy(),
                                decoder_kernel)
  stored = {k for k in reader.get_variable_to_shape_map()
            if k.startswith('model/')}
  assert len(model.variables) == len(stored) == 42


def test_restore_from_a_missing_folder_raises(tmp_path):
  model = models.Autoencoder()
  with pytest.raises(FileNotFoundError):
    model.restore(str(tmp_path / 'nothing_here'))


@pytest.mark.needs_shared(golden.SOLO_CKPT)
def test_restore_keys_restores_only_the_decoder(clean_gin):
  gin.parse_config_file(
      os.path.join(CKPT_DIR, 'operative_config-0.gin'), skip_unknown=True)
  gin.parse_config(SHORT_BINDINGS)
  model = models.Autoencoder()
  model(_solo_batch(), training=False)  # Build all variables.
  reverb_before = model.processor_group.reverb.trainable_variables[0].numpy()
  model.restore(CKPT_DIR, restore_keys=['decoder'])
  reader = tf.train.load_checkpoint(CKPT_DIR)
  np.testing.assert_array_equal(
      model.decoder.dense_out.bias.numpy(),
      reader.get_tensor(
          'model/decoder/dense_out/bias/.ATTRIBUTES/VARIABLE_VALUE'))
  np.testing.assert_array_equal(
      model.processor_group.reverb.trainable_variables[0].numpy(),
      reverb_before)


# ----------------------------------------------------------------------------
# The original's TFRecord reads back through TFRecordProvider.
# (Writing it is tested against `tfrecord_features` in test_prepare_tfrecord.)
# ----------------------------------------------------------------------------
def _read_back_examples():
  provider = data.TFRecordProvider(TFRECORD, example_secs=4,
                                   sample_rate=16000, frame_rate=250,
                                   centered=False)
  return list(provider.get_dataset(shuffle=False).as_numpy_iterator())


def _offset_of(audio, source):
  """Start second of an example's audio inside the zero-padded source."""
  for k in range(len(source) // 16000):
    window = source[16000 * k:16000 * k + 64000]
    if len(window) == 64000 and np.allclose(window, audio, atol=1e-4):
      return k
  raise AssertionError('example audio not found in the source wav')


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_golden_tfrecord_reads_back_with_the_recorded_features():
  import soundfile  # pylint: disable=g-import-not-at-top
  case = golden.get_case(AREA, 'tfrecord_features')
  refs = {spec['name']: ref for spec, ref in golden.expected(AREA, case)}
  offsets = list(refs['offset_seconds'])
  source, _ = soundfile.read(SOURCE_WAV, dtype='int16')
  source = source.astype(np.float32) / 32767.0
  source = np.pad(source, (0, 20 * 16000 - len(source) % (20 * 16000)))

  examples = _read_back_examples()
  assert len(examples) == len(offsets) == 17
  for ex in examples:
    assert ex['audio'].shape == (64000,)
    assert ex['audio_16k'].shape == (64000,)
    row = offsets.index(_offset_of(ex['audio'], source))
    for key in ('f0_confidence', 'loudness_db', 'f0_hz'):
      spec = dict(next(s for s, _ in golden.expected(AREA, case)
                       if s['name'] == key))
      mask = (refs['f0_confidence'][row] > 0.5) if key == 'f0_hz' else None
      golden.assert_output_close(ex[key], spec, refs[key][row], mask=mask)


# ----------------------------------------------------------------------------
# Variable paths of other shipped models, as the original writes them.
# ----------------------------------------------------------------------------
def _model_variables(tmp_path, files, bindings, batch, skip_unknown=False):
  """{checkpoint key without suffix: shape} of a built gin model."""
  with gin.unlock_config():
    gin.clear_config()
    gin.add_config_file_search_path(REPO_GIN_DIR)
    for path in files:
      gin.parse_config_file(path, skip_unknown=skip_unknown)
    gin.parse_config(bindings)
  try:
    model = models.get_model()
    model(batch, training=False)
    prefix = tf.train.Checkpoint(model=model).save(str(tmp_path / 'ckpt'))
  finally:
    with gin.unlock_config():
      gin.clear_config()
  suffix = '/.ATTRIBUTES/VARIABLE_VALUE'
  return {k[:-len(suffix)]: list(s) for k, s in tf.train.list_variables(prefix)
          if k.startswith('model/')}


def test_ae_model_variable_paths(tmp_path):
  variables = _model_variables(tmp_path, ['models/ae.gin'], SHORT_BINDINGS,
                               _solo_batch())
  expected = {
      'model/encoder/z_norm/scale': [1, 1, 1, 30],
      'model/encoder/z_norm/shift': [1, 1, 1, 30],
      'model/encoder/rnn/rnn/cell/kernel': [30, 1536],
      'model/encoder/dense_out/kernel': [512, 16],
      'model/decoder/input_stacks/2/layer_with_weights-0/'
      'layer_with_weights-0/kernel': [16, 512],
      'model/decoder/dense_out/kernel': [512, 166],
  }
  assert {k: variables.get(k) for k in expected} == expected
  assert not any('reverb' in k for k in variables)


def test_vst_model_variable_paths(tmp_path):
  n_audio = 15 * 320
  batch = _solo_batch(n_frames=16, n_samples=n_audio)
  batch['audio_16k'] = batch['audio']
  variables = _model_variables(tmp_path, ['models/vst/vst.gin'],
                               [f'n_samples = {n_audio + 320}'], batch)
  expected = {
      'model/decoder/input_stacks/0/layer_with_weights-0/'
      'layer_with_weights-0/kernel': [1, 256],
      'model/decoder/rnn/rnn/cell/kernel': [512, 1536],
      'model/decoder/out_stack/layer_with_weights-0/'
      'layer_with_weights-0/kernel': [1024, 256],
      'model/decoder/dense_out/kernel': [256, 126],
      'model/processor_group/reverb/magnitudes': [500, 32],
  }
  assert {k: variables.get(k) for k in expected} == expected
  assert not any('layer_with_weights-1/layer_with_weights-0' in k and
                 'input_stacks' in k for k in variables)  # One Fc per stack.


def test_midiae_model_variable_paths(tmp_path):
  batch = _solo_batch(n_frames=16, n_samples=64000)
  batch['note_active_velocities'] = np.zeros([1, 16, 128], np.float32)
  variables = _model_variables(
      tmp_path, ['models/midiae/midiae.gin'],
      ['F0LoudnessPreprocessor.time_steps = 16',
       'F0LoudnessPreprocessor.compute_loudness = False'], batch)
  stack = 'model/synthcoder/dilated_conv_stack'
  expected = {
      'model/synthcoder/dense_out/kernel': [128, 126],
      f'{stack}/conv_in/kernel': [3, 1, 2, 128],
      f'{stack}/layers/17/layer_with_weights-0/kernel': [3, 1, 128, 128],
      f'{stack}/norms/17/scale': [1, 1, 1, 128],
      'model/midi_decoder/net/layers/19/layer_with_weights-0/kernel':
          [3, 1, 128, 128],
      'model/midi_decoder/norm/shift': [1, 1, 1, 128],
      'model/midi_decoder/dense_out/kernel': [128, 127],
      'model/processor_group/reverb/magnitudes': [500, 32],
  }
  assert {k: variables.get(k) for k in expected} == expected
  assert f'{stack}/layers/18/layer_with_weights-0/kernel' not in variables


@pytest.mark.slow
def test_pretrain_model_variable_paths(tmp_path):
  rng = np.random.RandomState(0)
  batch = {'audio': rng.uniform(-.1, .1, [1, 16000]).astype(np.float32)}
  variables = _model_variables(
      tmp_path, ['papers/icml2020/pretrain_model.gin'],
      ['InverseSynthesis.n_samples = 16000'], batch)
  resnet = 'model/sinusoidal_encoder/resnet/layers'
  expected = {
      f'{resnet}/0/kernel': [7, 7, 1, 64],
      f'{resnet}/2/layers/0/bottleneck/layer_with_weights-0/kernel':
          [1, 1, 64, 32],
      f'{resnet}/2/layers/0/bottleneck/layer_with_weights-1/'
      'layer_with_weights-0/scale': [1, 1, 1, 32],
      f'{resnet}/2/layers/0/bottleneck/layer_with_weights-1/'
      'layer_with_weights-1/kernel': [3, 3, 32, 32],
      f'{resnet}/2/layers/0/conv_proj/kernel': [1, 1, 64, 128],
      f'{resnet}/2/layers/0/norm_input/scale': [1, 1, 1, 64],
      f'{resnet}/2/layers/9/scale': [1, 1, 1, 512],
      'model/sinusoidal_encoder/dense_outs/0/kernel': [8192, 6400],
      'model/sinusoidal_encoder/dense_outs/1/kernel': [8192, 100],
      'model/sinusoidal_encoder/dense_outs/2/kernel': [8192, 65],
      'model/harmonic_encoder/amp_out/kernel': [256, 1],
      'model/harmonic_encoder/hd_out/kernel': [256, 100],
      'model/harmonic_encoder/f0_out/kernel': [256, 64],
  }
  assert {k: variables.get(k) for k in expected} == expected
  assert any(k.startswith('model/harmonic_encoder/net/layer_with_weights-2/')
             for k in variables)
