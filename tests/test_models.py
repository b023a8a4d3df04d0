"""ddsp.training.models: Model protocol, Autoencoder, experimental models."""
import os

import gin
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as tfk

import ddsp
from ddsp import effects
from ddsp import losses
from ddsp import processors
from ddsp import synths
from ddsp.training import decoders
from ddsp.training import encoders
from ddsp.training import models
from ddsp.training import nn
from ddsp.training import preprocessing

N_FRAMES, HOP = 16, 64
N_SAMPLES = N_FRAMES * HOP


pytestmark = pytest.mark.usefixtures('clean_gin')


def _batch(batch_size=2, n_frames=N_FRAMES, n_samples=N_SAMPLES):
  rng = np.random.RandomState(0)
  return {
      'audio': rng.uniform(-.1, .1, [batch_size, n_samples]).astype(
          np.float32),
      'f0_hz': np.full([batch_size, n_frames], 220.0, np.float32),
      'f0_confidence': np.ones([batch_size, n_frames], np.float32),
      'loudness_db': np.full([batch_size, n_frames], -30.0, np.float32),
  }


def _small_autoencoder(reverb=True):
  dag = [
      (synths.Harmonic(n_samples=N_SAMPLES, name='harmonic'),
       ['amps', 'harmonic_distribution', 'f0_hz']),
      (synths.FilteredNoise(n_samples=N_SAMPLES, window_size=0,
                            name='filtered_noise'), ['noise_magnitudes']),
      (processors.Add(name='add'),
       ['filtered_noise/signal', 'harmonic/signal']),
  ]
  if reverb:
    dag.append((effects.Reverb(trainable=True, reverb_length=100,
                               name='reverb'), ['add/signal']))
  return models.Autoencoder(
      preprocessor=preprocessing.F0LoudnessPreprocessor(
          time_steps=N_FRAMES, compute_loudness=False),
      decoder=decoders.RnnFcDecoder(
          rnn_channels=8, ch=8, layers_per_stack=1,
          input_keys=('ld_scaled', 'f0_scaled'),
          output_splits=(('amps', 1), ('harmonic_distribution', 4),
                         ('noise_magnitudes', 5))),
      processor_group=processors.ProcessorGroup(dag=dag),
      losses=[losses.SpectralLoss(fft_sizes=(256, 64))])


# ----------------------------------------------------------------------------
# Registration.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['Autoencoder', 'InverseSynthesis',
                                  'MidiAutoencoder', 'ZMidiAutoencoder',
                                  'get_model'])
def test_models_are_gin_configurable_in_the_package(name):
  assert f'ddsp.training.models.{name}' in gin.config._REGISTRY  # pylint: disable=protected-access


def test_submodule_classes_are_the_exported_classes():
  from ddsp.training.models import autoencoder  # pylint: disable=g-import-not-at-top
  assert autoencoder.Autoencoder is models.Autoencoder
  assert issubclass(models.ZMidiAutoencoder, models.MidiAutoencoder)
  assert issubclass(models.Autoencoder, models.Model)
  assert issubclass(models.Model, tfk.Model)


def test_autoencoder_bindings_apply_to_direct_python_calls():
  gin.parse_config("""
      import ddsp.training
      Autoencoder.decoder = @decoders.RnnFcDecoder()
      RnnFcDecoder.rnn_channels = 4
  """)
  model = models.Autoencoder()
  assert isinstance(model.decoder, decoders.RnnFcDecoder)
  assert model.encoder is None


def test_get_model_returns_the_bound_model():
  gin.parse_config("""
      import ddsp.training
      get_model.model = @models.Autoencoder()
  """)
  assert isinstance(models.get_model(), models.Autoencoder)


def test_get_model_requires_a_binding():
  with pytest.raises(RuntimeError, match='model'):
    models.get_model()


# ----------------------------------------------------------------------------
# Model protocol.
# ----------------------------------------------------------------------------
def test_autoencoder_attribute_order_and_losses_list():
  model = _small_autoencoder()
  assert [a for a in ('preprocessor', 'encoder', 'decoder', 'processor_group')
          if hasattr(model, a)] == ['preprocessor', 'encoder', 'decoder',
                                    'processor_group']
  assert isinstance(model.loss_objs, list) and len(model.loss_objs) == 1


def test_autoencoder_outputs_and_losses():
  model = _small_autoencoder()
  batch = _batch()
  outputs, losses_dict = model(batch, return_losses=True)
  assert {'add', 'amps', 'audio', 'audio_synth', 'f0_confidence', 'f0_hz',
          'f0_scaled', 'filtered_noise', 'harmonic', 'harmonic_distribution',
          'inputs', 'ld_scaled', 'loudness_db', 'noise_magnitudes', 'out',
          'reverb'} == set(outputs)
  assert outputs['audio_synth'].shape == (2, N_SAMPLES)
  assert list(losses_dict) == ['spectral_loss', 'total_loss']
  np.testing.assert_allclose(losses_dict['total_loss'],
                             losses_dict['spectral_loss'])
  np.testing.assert_array_equal(model.get_audio_from_outputs(outputs),
                                outputs['audio_synth'])


def test_training_false_computes_no_losses():
  model = _small_autoencoder()
  _, losses_dict = model(_batch(), training=False, return_losses=True)
  assert list(losses_dict) == ['total_loss']
  assert float(losses_dict['total_loss']) == 0.0


def test_without_return_losses_only_outputs_are_returned():
  outputs = _small_autoencoder()(_batch())
  assert isinstance(outputs, dict)


def test_encode_updates_the_features_dict_in_place():
  # Stages merge their outputs into the features dict with dict.update.
  model = _small_autoencoder()
  batch = {k: tf.constant(v) for k, v in _batch().items()}
  returned = model.encode(batch, training=False)
  assert returned is batch and 'f0_scaled' in batch


class _MutatingModel(models.Model):
  """Adds a key to its input dict (as the Autoencoder's stages do)."""

  def call(self, features, training=True):
    features['added'] = features['x'] + 1.0
    self._losses_dict['l'] = tf.reduce_sum(features['x'])
    return features


def test_tf_function_call_leaves_the_callers_dict_alone():
  model = _MutatingModel()
  batch = {'x': tf.ones([2, 3])}
  outputs, losses_dict = tf.function(
      lambda b: model(b, return_losses=True))(batch)
  assert set(batch) == {'x'}
  assert set(outputs) == {'x', 'added'}
  assert list(losses_dict) == ['l', 'total_loss']


def test_gradients_reach_the_decoder_and_reverb():
  model = _small_autoencoder()
  with tf.GradientTape() as tape:
    _, losses_dict = model(_batch(), return_losses=True)
  grads = tape.gradient(losses_dict['total_loss'], model.trainable_variables)
  for var, grad in zip(model.trainable_variables, grads):
    assert grad is not None, var.name
    assert np.all(np.isfinite(grad.numpy())), var.name
  assert np.any(grads[-1].numpy() != 0)  # Reverb IR.


def test_sum_losses_of_an_empty_dict_is_zero():
  assert float(models.Model().sum_losses({})) == 0.0


def test_base_model_call_is_abstract():
  with pytest.raises(NotImplementedError):
    models.Model().get_audio_from_outputs({})


def test_update_losses_dict_skips_objects_without_losses():
  model = _small_autoencoder()
  model._losses_dict = {}  # pylint: disable=protected-access
  a = tf.ones([1, 1024])
  model._update_losses_dict([object(), losses.SpectralLoss(name='x')], a, a)  # pylint: disable=protected-access
  assert list(model._losses_dict) == ['x']  # pylint: disable=protected-access


def test_encode_and_decode():
  model = _small_autoencoder(reverb=False)
  features = model.encode(_batch(), training=False)
  assert 'ld_scaled' in features
  audio = model.decode(features, training=False)
  assert audio.shape == (2, N_SAMPLES)


def test_autoencoder_with_encoder():
  model = _small_autoencoder()
  model.encoder = encoders.MfccTimeDistributedRnnEncoder(
      rnn_channels=4, z_dims=3, z_time_steps=63)
  outputs = model(_batch(), training=False)
  assert outputs['z'].shape == (2, N_FRAMES, 3)


# ----------------------------------------------------------------------------
# Save / restore.
# ----------------------------------------------------------------------------
def test_save_and_restore_roundtrip(tmp_path):
  model = _small_autoencoder()
  batch = _batch()
  model(batch, training=False)
  checkpoint = tf.train.Checkpoint(model=model)
  checkpoint.save(os.path.join(str(tmp_path), 'ckpt'))

  restored = _small_autoencoder()
  restored.restore(str(tmp_path))
  restored(batch, training=False)
  for a, b in zip(model.variables, restored.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_restore_with_restore_keys_checks_the_subset(tmp_path):
  model = _small_autoencoder()
  model(_batch(), training=False)
  tf.train.Checkpoint(model=model).save(os.path.join(str(tmp_path), 'ckpt'))
  other = _small_autoencoder()
  other(_batch(), training=False)
  other.restore(str(tmp_path), restore_keys=['decoder'])
  np.testing.assert_array_equal(other.decoder.dense_out.kernel.numpy(),
                                model.decoder.dense_out.kernel.numpy())


def test_restore_missing_checkpoint_raises(tmp_path):
  with pytest.raises(FileNotFoundError):
    _small_autoencoder().restore(str(tmp_path))


# ----------------------------------------------------------------------------
# InverseSynthesis (experimental).
# ----------------------------------------------------------------------------
class _TinySinusoidalEncoder(nn.DictLayer):
  """Dense heads on a framed audio input (stands in for the ResNet)."""

  def __init__(self, n_sines=3, depth=4, **kwargs):
    super().__init__(output_keys=['frequencies', 'amplitudes',
                                  'noise_magnitudes'], **kwargs)
    self.freq = tfk.layers.Dense(n_sines * depth)
    self.amp = tfk.layers.Dense(n_sines)
    self.noise = tfk.layers.Dense(5)

  def call(self, audio):
    x = tf.reshape(audio, [audio.shape[0], N_FRAMES, -1])
    return self.freq(x), self.amp(x), self.noise(x)


def _inverse_synthesis(harmonic=True):
  harmonic_encoder = None
  if harmonic:
    harmonic_encoder = encoders.SinusoidalToHarmonicEncoder(
        net=nn.FcStack(8, 1), n_harmonics=6, f0_depth=4,
        freq_scale_fn=lambda x: ddsp.core.frequencies_softmax(
            x, depth=4, hz_min=20.0, hz_max=1200.0))
  return models.InverseSynthesis(
      sinusoidal_encoder=_TinySinusoidalEncoder(),
      harmonic_encoder=harmonic_encoder,
      losses=[losses.SpectralLoss(fft_sizes=(256,))],
      sinusoidal_consistency_losses=losses.KDEConsistencyLoss(),
      harmonic_consistency_losses=losses.HarmonicConsistencyLoss(),
      filtered_noise_consistency_loss=losses.FilteredNoiseConsistencyLoss(),
      freq_scale_fn=lambda x: ddsp.core.frequencies_softmax(x, depth=4),
      reverb=False, n_samples=N_SAMPLES)


def test_inverse_synthesis_unsupervised_losses():
  model = _inverse_synthesis()
  outputs, losses_dict = model({'audio': _batch()['audio']},
                               return_losses=True)
  assert outputs['harm_audio'].shape == (2, N_SAMPLES)
  assert outputs['sin_freqs'].shape == (2, N_FRAMES, 3)
  assert outputs['harm_freqs'].shape == (2, N_FRAMES, 6)
  kde_name = model.sinusoidal_consistency_losses[0].name
  assert kde_name.startswith('kde_consistency_loss')
  assert set(losses_dict) == {'sin_spectral_loss', 'harm_spectral_loss',
                              kde_name, 'total_loss'}
  assert model.get_audio_from_outputs(outputs) is outputs['harm_audio']


def _synthetic_notes(seed):
  """Random synthesizer controls [2, N_FRAMES, ...] for InverseSynthesis."""
  rng = np.random.RandomState(seed)
  return {
      'sin_amps': rng.uniform(0, 1, [2, N_FRAMES, 3]).astype(np.float32),
      'sin_freqs': rng.uniform(100, 1000, [2, N_FRAMES, 3]).astype(
          np.float32),
      'noise_magnitudes': rng.uniform(0, 1, [2, N_FRAMES, 5]).astype(
          np.float32),
      'harm_amp': rng.uniform(0, 1, [2, N_FRAMES, 1]).astype(np.float32),
      'harm_dist': np.full([2, N_FRAMES, 6], 1 / 6, np.float32),
      'f0_hz': np.full([2, N_FRAMES, 1], 200.0, np.float32),
  }


def test_inverse_synthesis_self_supervised_losses():
  model = _inverse_synthesis()
  notes = _synthetic_notes(seed=0)
  _, losses_dict = model(notes, return_losses=True)
  kde = model.sinusoidal_consistency_losses[0]
  noise = model.filtered_noise_consistency_loss
  assert {'ss_' + kde.name, 'ss_' + noise.name, 'ss_harm_amp_loss',
          'ss_harm_dist_loss', 'ss_f0_hz_loss'} <= set(losses_dict)
  audio = model.generate_synthetic_audio(notes)
  assert audio.shape == (2, N_SAMPLES)


def test_inverse_synthesis_without_harmonic_encoder():
  model = _inverse_synthesis(harmonic=False)
  outputs, losses_dict = model({'audio': _batch()['audio']},
                               return_losses=True)
  assert 'harm_audio' not in outputs
  assert list(losses_dict) == ['sin_spectral_loss', 'total_loss']
  assert model.get_audio_from_outputs(outputs) is outputs['sin_audio']


def test_inverse_synthesis_reverb_attribute():
  model = models.InverseSynthesis(reverb=True)
  assert isinstance(model.reverb, effects.FilteredNoiseReverb)
  assert model.processor_group.module_names[-1] == 'reverb'


def test_inverse_synthesis_parse_zipped_features():
  model = models.InverseSynthesis(reverb=False)
  sup, ss = {'audio': 1}, {'sin_amps': 2}
  assert model.parse_zipped_features((ss, sup)) == (sup, ss)
  assert model.parse_zipped_features([sup, ss]) == (sup, ss)
  with pytest.raises(ValueError):
    model.parse_zipped_features((sup,))


# ----------------------------------------------------------------------------
# MIDI autoencoders (experimental).
# ----------------------------------------------------------------------------
def _midi_batch(midi_frames=N_FRAMES):
  batch = _batch(n_samples=64000)
  pitches = np.repeat([60, 62, 0, 64], midi_frames // 4)
  batch['note_active_velocities'] = np.tile(
      (np.eye(128, dtype=np.float32)[pitches] * 90.0)[np.newaxis], [2, 1, 1])
  return batch


class _MeanLoss(tfk.layers.Layer):
  """Closeness loss on one tensor (e.g. |pitch - f0|)."""

  def call(self, x):
    return tf.reduce_mean(x)


def _midi_autoencoder(midi_decoder=True, compute_loudness=False, **kwargs):
  decoder = decoders.DilatedConvDecoder(
      ch=8, layers_per_stack=1, stacks=1, conditioning_keys=None,
      output_splits=(('amplitudes', 1), ('harmonic_distribution', 4),
                     ('magnitudes', 5)))
  midi_dec = None
  if midi_decoder:
    midi_dec = decoders.MidiToHarmonicDecoder(
        net=nn.FcStack(8, 1),
        output_splits=(('f0_midi', 1), ('amplitudes', 1),
                       ('harmonic_distribution', 4), ('magnitudes', 5)))
  return models.MidiAutoencoder(
      synthcoder=decoder, midi_decoder=midi_dec, reverb=False,
      preprocessor=preprocessing.F0LoudnessPreprocessor(
          time_steps=N_FRAMES, compute_loudness=compute_loudness), **kwargs)


def test_midi_autoencoder_with_ground_truth_midi():
  model = _midi_autoencoder()
  outputs = model(_midi_batch(), training=False)
  assert outputs['synth_audio'].shape == (2, 64000)
  assert outputs['midi_audio'].shape == (2, 64000)
  np.testing.assert_array_equal(outputs['q_pitch'][0, :, 0],
                                np.repeat([60, 62, 0, 64], 4))
  np.testing.assert_array_equal(outputs['f0_loss_weights'][0, :, 0],
                                np.repeat([0, 0, 0, 0], 4))
  assert outputs['pianoroll'].shape == (2, N_FRAMES, 128)
  assert model.db_key == 'loudness_db'
  # Known quirk: with a MIDI decoder the "audio" is the synthcoder's.
  assert model.get_audio_from_outputs(outputs) is outputs['synth_audio']


MIDI_DECODER_OUTPUTS = ('midi_audio', 'midi_synth_params', 'f0_midi_pred',
                        'f0_hz_pred', 'amps_pred', 'hd_pred', 'noise_pred')


@pytest.mark.parametrize('training', [False, True])
def test_midi_autoencoder_without_midi_decoder_is_the_synthcoder(training):
  # The original raised UnboundLocalError on the MIDI decoder's outputs.
  model = _midi_autoencoder(midi_decoder=False)
  outputs = model(_midi_batch(), training=training)
  assert not set(MIDI_DECODER_OUTPUTS) & set(outputs)
  assert outputs['synth_audio'].shape == (2, 64000)
  assert outputs['pianoroll'].shape == (2, N_FRAMES, 128)


def test_midi_autoencoder_without_midi_decoder_returns_the_synth_audio():
  # The original asked for the missing 'midi_audio' (KeyError).
  model = _midi_autoencoder(midi_decoder=False)
  outputs = model(_midi_batch(), training=False)
  assert model.get_audio_from_outputs(outputs) is outputs['synth_audio']


@pytest.mark.parametrize('midi_decoder', [True, False])
def test_midi_autoencoder_uses_the_dataset_loudness(midi_decoder):
  # The preprocessor gets f0 and loudness only; with compute_loudness=True
  # (the default of the shipped midiae.gin) the original raised for lack of
  # audio.
  model = _midi_autoencoder(midi_decoder=midi_decoder, compute_loudness=True)
  batch = _midi_batch()
  outputs = model(batch, training=False)
  np.testing.assert_array_equal(outputs['loudness_db'][..., 0],
                                batch['loudness_db'])


def test_midi_autoencoder_with_learned_midi_and_losses():
  model = _midi_autoencoder(
      midi_encoder=encoders.HarmonicToMidiEncoder(net=nn.FcStack(8, 1)),
      pitch_qpitch_loss=_MeanLoss(name='pq'),
      reconstruction_losses=losses.LossGroup(
          dag=[['f0_loss', ['f0_midi', 'f0_midi_pred', 'f0_loss_weights']]],
          f0_loss=losses.ParamLoss(name='f0_reconstruction')))
  outputs, losses_dict = model(_midi_batch(), return_losses=True)
  assert outputs['z_vel'].numpy().max() == 0.0
  assert set(losses_dict) == {'pq', 'f0_reconstruction', 'total_loss'}


def test_midi_static_helpers():
  roll = tf.one_hot([[3, 30, 0]], 128) * 50.0
  pitch, velocity = models.MidiAutoencoder.pianoroll_to_midi(roll)
  np.testing.assert_array_equal(pitch[0, :, 0], [3, 30, 0])
  np.testing.assert_array_equal(velocity[0, :, 0], [50, 50, 50])
  back = models.MidiAutoencoder.midi_to_pianoroll(pitch, velocity)
  # Pitches at or below the threshold (20) become 0.
  np.testing.assert_array_equal(np.argmax(back[0], -1), [0, 30, 0])


def test_midi_autoencoder_power_db_key():
  model = models.MidiAutoencoder(
      preprocessor=preprocessing.F0PowerPreprocessor(), reverb=False)
  assert model.db_key == 'power_db'


def test_z_midi_autoencoder_runs_with_latents():
  model = models.ZMidiAutoencoder(
      z_synth_encoders=[encoders.AggregateFeaturesEncoder(ch=3)],
      z_global_encoders=[encoders.ExpressionEncoder(
          net=nn.FcStack(4, 1), z_dims=3,
          input_keys=('f0_scaled', 'amps_scaled', 'hd_scaled',
                      'noise_scaled'))],
      z_note_encoder=encoders.ExpressionEncoder(
          net=nn.FcStack(4, 1), z_dims=2, pool_time=False,
          input_keys=('f0_scaled', 'amps_scaled')),
      z_preconditioning_stack=nn.FcStackOut(4, 1, 6),
      synthcoder=decoders.DilatedConvDecoder(
          ch=8, layers_per_stack=1, stacks=1, conditioning_keys=('z',),
          output_splits=(('amplitudes', 1), ('harmonic_distribution', 4),
                         ('magnitudes', 5))),
      midi_decoder=decoders.MidiToHarmonicDecoder(
          net=nn.DilatedConvStack(ch=8, layers_per_stack=1, stacks=1,
                                  conditional=True, norm_type='layer'),
          output_splits=(('f0_midi', 1), ('amplitudes', 1),
                         ('harmonic_distribution', 4), ('magnitudes', 5))),
      reverb=False,
      preprocessor=preprocessing.F0LoudnessPreprocessor(
          time_steps=N_FRAMES, compute_loudness=False))
  outputs = model(_midi_batch(), training=False)
  assert outputs['z_global'].shape == (2, N_FRAMES, 3)
  assert outputs['z_notes'].shape == (2, N_FRAMES, 2)
  assert outputs['midi_audio'].shape == (2, 64000)
  assert 'amps_scaled' in outputs


def test_inverse_synthesis_zipped_real_and_synthetic_batches():
  model = _inverse_synthesis()
  notes = _synthetic_notes(seed=1)
  real = {'audio': _batch()['audio']}
  outputs, losses_dict = model((real, notes), return_losses=True)
  assert outputs['sin_audio'].shape == (2, N_SAMPLES)
  assert {'sin_spectral_loss', 'ss_harm_amp_loss'} <= set(losses_dict)
