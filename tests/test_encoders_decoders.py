"""ddsp.training.encoders and ddsp.training.decoders."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp import core
from ddsp import spectral_ops
from ddsp.training import decoders
from ddsp.training import encoders
from ddsp.training import nn

B, T = 2, 12


def _features(n_samples=4096, n_frames=T):
  rng = np.random.RandomState(0)
  return {
      'audio': rng.uniform(-.5, .5, [B, n_samples]).astype(np.float32),
      'f0_scaled': rng.uniform(0.3, 0.6, [B, n_frames, 1]).astype(np.float32),
      'ld_scaled': rng.uniform(0.0, 1.0, [B, n_frames, 1]).astype(np.float32),
      'z': rng.normal(size=[B, n_frames, 4]).astype(np.float32),
  }


# ----------------------------------------------------------------------------
# Decoders.
# ----------------------------------------------------------------------------
def test_rnn_fc_decoder_outputs_and_structure():
  decoder = decoders.RnnFcDecoder(
      rnn_channels=16, ch=8, layers_per_stack=2,
      output_splits=(('amps', 1), ('harmonic_distribution', 5)))
  outputs = decoder(_features())
  assert outputs['amps'].shape == (B, T, 1)
  assert outputs['harmonic_distribution'].shape == (B, T, 5)
  assert len(decoder.input_stacks) == 3
  assert decoder.rnn.rnn.cell.kernel.shape == (3 * 8, 3 * 16)
  # Out stack sees the stacked inputs and the RNN output.
  assert decoder.out_stack.layers[0].layers[0].kernel.shape == (3 * 8 + 16, 8)
  assert decoder.dense_out.kernel.shape == (8, 6)


def test_rnn_fc_decoder_trainable_variable_order():
  decoder = decoders.RnnFcDecoder(rnn_channels=4, ch=3, layers_per_stack=1,
                                  input_keys=('ld_scaled', 'f0_scaled'),
                                  output_splits=(('amps', 2),))
  decoder(_features())
  shapes = [tuple(v.shape) for v in decoder.trainable_variables]
  assert shapes == [
      (1, 3), (3,), (3,), (3,),        # input_stacks[0]: Dense, LayerNorm.
      (1, 3), (3,), (3,), (3,),        # input_stacks[1].
      (6, 12), (4, 12), (2, 12),       # GRU kernel, recurrent, bias.
      (10, 3), (3,), (3,), (3,),       # out_stack.
      (3, 2), (2,)]                    # dense_out.


def test_rnn_fc_decoder_without_fc_layers():
  decoder = decoders.RnnFcDecoder(rnn_channels=6, layers_per_stack=0,
                                  input_keys=('ld_scaled', 'f0_scaled'))
  outputs = decoder(_features())
  assert outputs['harmonic_distribution'].shape == (B, T, 40)
  assert decoder.dense_out.kernel.shape == (1 + 1 + 6, 41)


def test_rnn_fc_decoder_stateless_streaming():
  decoder = decoders.RnnFcDecoder(rnn_channels=6, ch=4, layers_per_stack=1,
                                  stateless=True,
                                  input_keys=('ld_scaled', 'f0_scaled'))
  assert decoder.input_keys[-1] == 'state'
  assert decoder.output_keys[-1] == 'state'
  features = _features()
  features['state'] = tf.zeros([B, 6])
  outputs = decoder(features)
  assert outputs['state'].shape == (B, 6)
  # Two halves with the carried state equal one pass over the whole input.
  first = decoder({k: v[:, :6] if k != 'state' else v
                   for k, v in features.items()})
  second = decoder({**{k: v[:, 6:] for k, v in features.items()
                       if k != 'state'}, 'state': first['state']})
  np.testing.assert_allclose(
      tf.concat([first['amps'], second['amps']], axis=1), outputs['amps'],
      atol=1e-5)


def test_midi_decoder():
  decoder = decoders.MidiDecoder(net=nn.FcStack(8, 1))
  z_pitch = tf.fill([B, T, 1], 60.0)
  outputs = decoder(z_pitch)
  assert set(outputs) == {'f0_midi', 'loudness'}
  assert outputs['f0_midi'].shape == (B, T, 1)
  decoder_no_center = decoders.MidiDecoder(net=nn.FcStack(8, 1),
                                           center_loudness=False, norm=False)
  assert decoder_no_center.norm is None
  assert decoder_no_center({'z_pitch': z_pitch})['loudness'].shape == (B, T, 1)


def test_midi_to_harmonic_decoder_outputs_f0_hz():
  decoder = decoders.MidiToHarmonicDecoder(net=nn.FcStack(8, 1))
  z_pitch = tf.fill([B, T, 1], 60.0)
  outputs = decoder({'z_pitch': z_pitch})
  assert list(outputs) == ['f0_midi', 'amplitudes', 'harmonic_distribution',
                           'magnitudes', 'f0_hz']
  assert outputs['magnitudes'].shape == (B, T, 65)
  np.testing.assert_allclose(
      outputs['f0_hz'],
      core.midi_to_hz(outputs['f0_midi'], midi_zero_silence=True), rtol=1e-6)


def test_midi_to_harmonic_decoder_with_conditioning():
  net = nn.DilatedConvStack(ch=8, layers_per_stack=1, stacks=1,
                            conditional=True, norm_type='layer')
  decoder = decoders.MidiToHarmonicDecoder(net=net)
  outputs = decoder(tf.fill([B, T, 1], 60.0), None, tf.ones([B, T, 3]))
  assert outputs['f0_midi'].shape == (B, T, 1)


def test_dilated_conv_decoder_default_conditioning_is_z():
  decoder = decoders.DilatedConvDecoder(ch=8, layers_per_stack=2, stacks=1)
  assert decoder.conditioning_keys == ['z']
  assert decoder.input_keys == ['ld_scaled', 'f0_scaled', 'z']
  assert decoder.conditional
  outputs = decoder(_features())
  assert outputs['amps'].shape == (B, T, 1)
  assert outputs['harmonic_distribution'].shape == (B, T, 60)
  # dense_out is created first (it is the first trainable variable).
  assert decoder.trainable_variables[0].shape == (8, 61)


@pytest.mark.parametrize('conditioning_keys', ['z_notes', ('z_notes',),
                                               ['z_notes']])
def test_dilated_conv_decoder_reads_one_string_as_one_key(conditioning_keys):
  # The original split a string into characters ('z_notes' -> 'z', '_', ...).
  decoder = decoders.DilatedConvDecoder(ch=8, layers_per_stack=1, stacks=1,
                                        conditioning_keys=conditioning_keys)
  assert decoder.conditioning_keys == ['z_notes']
  features = _features()
  features['z_notes'] = features.pop('z')
  assert decoder(features)['amps'].shape == (B, T, 1)


def test_dilated_conv_decoder_unconditioned():
  decoder = decoders.DilatedConvDecoder(ch=8, layers_per_stack=2, stacks=1,
                                        conditioning_keys=None)
  assert not decoder.conditional
  assert decoder(_features())['amps'].shape == (B, T, 1)


def test_dilated_conv_decoder_precondition_stack():
  decoder = decoders.DilatedConvDecoder(
      ch=8, layers_per_stack=1, stacks=1, conditioning_keys=('z',),
      precondition_stack=nn.FcStack(5, 1))
  assert decoder(_features())['amps'].shape == (B, T, 1)


def test_dilated_conv_decoder_precondition_needs_conditioning():
  with pytest.raises(ValueError, match='conditioning_keys'):
    decoders.DilatedConvDecoder(conditioning_keys=None,
                                precondition_stack=nn.FcStack(5, 1))


def test_dilated_conv_decoder_upsamples():
  decoder = decoders.DilatedConvDecoder(ch=8, layers_per_stack=1, stacks=2,
                                        resample_stride=2,
                                        conditioning_keys=None)
  assert decoder(_features())['amps'].shape == (B, 4 * T, 1)


# ----------------------------------------------------------------------------
# Encoders.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('z_time_steps', [63, 125, 250])
def test_mfcc_time_distributed_rnn_encoder(z_time_steps):
  encoder = encoders.MfccTimeDistributedRnnEncoder(
      rnn_channels=8, z_dims=3, z_time_steps=z_time_steps)
  z = encoder(_features(n_samples=16000))['z']
  assert z.shape == (B, T, 3)
  assert encoder.input_keys == ['audio', 'f0_scaled']
  assert encoder.z_norm.scale.shape == (1, 1, 1, 30)


def test_mfcc_time_distributed_rnn_encoder_fft_settings():
  encoder = encoders.MfccTimeDistributedRnnEncoder(z_time_steps=1000)
  assert (encoder.fft_size, encoder.overlap) == (256, 0.75)


def test_mfcc_time_distributed_rnn_encoder_rejects_time_steps():
  with pytest.raises(ValueError, match='z_time_steps'):
    encoders.MfccTimeDistributedRnnEncoder(z_time_steps=100)


def test_one_hot_encoder():
  encoder = encoders.OneHotEncoder(one_hot_key='instrument_id', vocab_size=5,
                                   n_dims=4, skip_expand=False)
  features = _features()
  features['instrument_id'] = np.array([1, 3])
  z = encoder(features)['z']
  assert z.shape == (B, T, 4)
  np.testing.assert_allclose(z[0, 0], z[0, -1])
  skipped = encoders.OneHotEncoder(one_hot_key='instrument_id', vocab_size=5,
                                   n_dims=4)
  assert skipped(features)['z'].shape == (B, 4)


def test_aggregate_features_encoder():
  encoder = encoders.AggregateFeaturesEncoder(ch=6)
  z = encoder(_features())['z']
  assert z.shape == (B, T, 6)
  np.testing.assert_allclose(z[:, 0], z[:, -1], atol=1e-6)


def test_mfcc_rnn_encoder_mean_aggregate():
  encoder = encoders.MfccRnnEncoder(rnn_channels=8, z_dims=5,
                                    mean_aggregate=True)
  assert encoder(_features())['z'].shape == (B, T, 5)


@pytest.mark.parametrize('fft_sizes,mel_bins,mfcc_bins', [
    ((1024,), (128,), (30,)),
    ((1024, 512), (128, 64), (30, 20)),
])
def test_mfcc_encoder_concatenates_normalised_mfccs(fft_sizes, mel_bins,
                                                    mfcc_bins):
  encoder = encoders.MfccEncoder(fft_sizes=fft_sizes, mel_bins=mel_bins,
                                 mfcc_bins=mfcc_bins, time_steps=20)
  features = _features()
  z = encoder(features)['z']
  assert z.shape == (B, T, sum(mfcc_bins))
  mfccs = [core.resample(spectral_ops.compute_mfcc(
      features['audio'], fft_size=f, mel_bins=m, mfcc_bins=c), 20)
           for f, m, c in zip(fft_sizes, mel_bins, mfcc_bins)]
  expected = encoder.norm_out(tf.concat(mfccs, axis=-1))
  np.testing.assert_allclose(z, core.resample(expected, T), atol=1e-5)
  assert encoder.norm_out.scale.shape == (1, 1, 1, sum(mfcc_bins))


def test_expression_encoder_pools_over_time():
  encoder = encoders.ExpressionEncoder(net=nn.FcStack(8, 1), z_dims=5,
                                       input_keys=('f0_scaled', 'ld_scaled'))
  z = encoder(_features())['z']
  assert z.shape == (B, T, 5)
  np.testing.assert_allclose(z[:, 0], z[:, -1], atol=1e-6)
  per_frame = encoders.ExpressionEncoder(net=nn.FcStack(8, 1), z_dims=5,
                                         pool_time=False)
  assert per_frame(_features())['z'].shape == (B, T, 5)


@pytest.mark.parametrize('input_keys', [
    ('audio', 'f0_scaled'),
    ['f0_scaled', 'audio', 'ld_scaled'],
    ('audio',),
])
def test_expression_encoder_reads_audio_as_mfccs(input_keys):
  encoder = encoders.ExpressionEncoder(
      net=nn.FcStack(8, 1), z_dims=5, input_keys=input_keys, mfcc_bins=7,
      fft_size=512, mel_bins=32, pool_time=False)
  assert encoder.input_keys == list(input_keys) + ['f0_scaled']
  z = encoder(_features())['z']
  assert z.shape == (B, T, 5)
  assert encoder.norm_mfcc.scale.shape == (1, 1, 1, 7)
  # Every input but the audio has one channel; MFCCs add mfcc_bins.
  first_dense = encoder.net.layers[0].layers[0]
  assert first_dense.kernel.shape == (len(input_keys) - 1 + 7, 8)


def test_expression_encoder_mfccs_follow_the_frames_of_the_features():
  encoder = encoders.ExpressionEncoder(
      net=nn.FcStack(8, 1), input_keys=('audio', 'f0_scaled'), mfcc_bins=7)
  audio = _features()['audio']
  mfccs = encoder.compute_mfcc_features(audio, n_frames=T)
  native = spectral_ops.compute_mfcc(audio, fft_size=1024, mel_bins=128,
                                     mfcc_bins=7)
  assert mfccs.shape == (B, T, 7)
  np.testing.assert_allclose(
      mfccs, core.resample(encoder.norm_mfcc(native), T), atol=1e-5)


def test_expression_encoder_leaves_the_callers_keys_alone():
  input_keys = ['audio', 'f0_scaled']
  encoders.ExpressionEncoder(net=nn.FcStack(8, 1), input_keys=input_keys)
  assert input_keys == ['audio', 'f0_scaled']


def test_midi_encoders():
  f0_midi = tf.fill([B, T, 1], 60.0)
  midi = encoders.MidiEncoder(net=nn.FcStack(8, 1))
  out = midi(f0_midi, tf.zeros([B, T, 1]))
  assert set(out) == {'z_pitch', 'z_vel'}
  harm = encoders.HarmonicToMidiEncoder(net=nn.FcStack(8, 1))
  out = harm({'f0_midi': f0_midi, 'amps': tf.zeros([B, T, 1]),
              'hd': tf.zeros([B, T, 5]), 'noise': tf.zeros([B, T, 3])})
  assert out['z_pitch'].shape == (B, T, 1)
  no_residual = encoders.HarmonicToMidiEncoder(net=nn.FcStack(8, 1),
                                               f0_residual=False)
  assert not no_residual.f0_residual


@pytest.mark.parametrize('cls, inputs', [
    (encoders.MidiEncoder, {'loudness': [B, T, 1]}),
    (encoders.HarmonicToMidiEncoder,
     {'amps': [B, T, 1], 'hd': [B, T, 5], 'noise': [B, T, 3]})])
def test_midi_encoders_pitch_is_a_residual_on_f0_and_layout_is_kept(
    cls, inputs, tmp_path):
  f0_midi = tf.random.uniform([B, T, 1], 40.0, 80.0, seed=1)
  features = {'f0_midi': f0_midi}
  features.update({k: tf.random.normal(s, seed=2) for k, s in inputs.items()})
  residual = cls(net=nn.FcStack(8, 1))
  plain = cls(net=nn.FcStack(8, 1), f0_residual=False)
  with_f0 = residual(features)
  plain(features)
  plain.set_weights(residual.get_weights())
  without = plain(features)
  np.testing.assert_allclose(with_f0['z_pitch'] - without['z_pitch'], f0_midi,
                             rtol=1e-6)
  np.testing.assert_array_equal(with_f0['z_vel'], without['z_vel'])
  path = tf.train.Checkpoint(encoder=residual).write(str(tmp_path / 'ckpt'))
  layers = {name.split('/')[1] for name, _ in tf.train.list_variables(path)
            if name.startswith('encoder/')}
  assert layers == {'net', 'norm', 'dense_out'}


def test_sinusoidal_to_harmonic_encoder():
  encoder = encoders.SinusoidalToHarmonicEncoder(
      net=nn.FcStack(8, 1), n_harmonics=20, sample_rate=16000)
  rng = np.random.RandomState(0)
  sin_freqs = rng.uniform(100, 4000, [B, T, 10]).astype(np.float32)
  sin_amps = rng.uniform(0, 1, [B, T, 10]).astype(np.float32)
  out = encoder(sin_freqs, sin_amps)
  assert out['harm_amp'].shape == (B, T, 1)
  assert out['f0_hz'].shape == (B, T, 1)
  harm_dist = out['harm_dist'].numpy()
  np.testing.assert_allclose(harm_dist.sum(-1), 1.0, rtol=1e-4)
  above = out['f0_hz'].numpy() * np.arange(1, 21) >= 8000
  assert np.all(harm_dist[above] == 0)


def test_resnet_sinusoidal_encoder_default_size_is_small():
  encoder = encoders.ResnetSinusoidalEncoder()
  stack = encoder.resnet.layers[2]
  # 'small' has (2, 3, 4) residual layers of 32, 64 and 128 filters.
  assert len(stack.layers) == 2 + 3 + 4 + 2


@pytest.mark.slow
def test_resnet_sinusoidal_encoder_small():
  encoder = encoders.ResnetSinusoidalEncoder(
      output_splits=(('frequencies', 12), ('amplitudes', 3),
                     ('noise_magnitudes', 4)))
  out = encoder(_features(n_samples=8000))
  assert list(out) == ['frequencies', 'amplitudes', 'noise_magnitudes']
  assert out['amplitudes'].shape[-1] == 3
  assert len(encoder.dense_outs) == 3
