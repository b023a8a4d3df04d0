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

"""Encoders: audio and feature dicts -> latent / synthesis parameters."""

import functools

from ddsp import core
from ddsp import spectral_ops
from ddsp.training import nn
import gin
import tensorflow as tf
import tf_keras as tfk

tfkl = tfk.layers


# ------------------------------------------------------------------------------
# Base class.
# ------------------------------------------------------------------------------
class ZEncoder(nn.DictLayer):
  """Computes a latent z, expanded in time to the number of f0 frames.

  `f0_scaled` is appended to the input keys; only its length (axis 1) is used.
  """

  def __init__(self, input_keys=None, **kwargs):
    input_keys = input_keys or self.get_argument_names('compute_z')
    input_keys = list(input_keys)
    super().__init__(input_keys, output_keys=['z'], **kwargs)
    # Read last, only to know the target number of frames.
    self.input_keys.append('f0_scaled')

  def call(self, *args, **unused_kwargs):
    """Computes z from all inputs but the last; matches f0's frame count."""
    time_steps = int(args[-1].shape[1])
    inputs = args[:-1]
    z = self.compute_z(*inputs)
    return self.expand_z(z, time_steps)

  def expand_z(self, z, time_steps):
    """[B, C] or [B, T_z, C] -> [B, time_steps, C] (linear resampling)."""
    if len(z.shape) == 2:
      z = z[:, tf.newaxis, :]
    if int(z.shape[1]) != time_steps:
      z = core.resample(z, time_steps)
    return z

  def compute_z(self, *inputs):
    raise NotImplementedError


# ------------------------------------------------------------------------------
# Z encoders.
# ------------------------------------------------------------------------------
@gin.register
class MfccTimeDistributedRnnEncoder(ZEncoder):
  """MFCC -> instance norm -> RNN -> Dense: a time-varying z."""

  def __init__(self,
               rnn_channels=512,
               rnn_type='gru',
               z_dims=32,
               z_time_steps=250,
               **kwargs):
    super().__init__(**kwargs)
    if z_time_steps not in [63, 125, 250, 500, 1000]:
      raise ValueError(
          '`z_time_steps` currently limited to 63, 125, 250, 500 and 1000, '
          f'got {z_time_steps}.')
    self.z_audio_spec = {
        '63': {'fft_size': 2048, 'overlap': 0.5},
        '125': {'fft_size': 1024, 'overlap': 0.5},
        '250': {'fft_size': 1024, 'overlap': 0.75},
        '500': {'fft_size': 512, 'overlap': 0.75},
        '1000': {'fft_size': 256, 'overlap': 0.75},
    }
    self.fft_size = self.z_audio_spec[str(z_time_steps)]['fft_size']
    self.overlap = self.z_audio_spec[str(z_time_steps)]['overlap']

    # Layers.
    self.z_norm = nn.Normalize('instance')
    self.rnn = nn.Rnn(rnn_channels, rnn_type)
    self.dense_out = tfkl.Dense(z_dims)

  def compute_z(self, audio):
    mfccs = spectral_ops.compute_mfcc(
        audio,
        lo_hz=20.0,
        hi_hz=8000.0,
        fft_size=self.fft_size,
        mel_bins=128,
        mfcc_bins=30,
        overlap=self.overlap,
        pad_end=True)

    # [B, T, 30] -> [B, T, 1, 30] for the normalization, then back.
    z = self.z_norm(mfccs[:, :, tf.newaxis, :])[:, :, 0, :]
    z = self.rnn(z)
    return self.dense_out(z)


@gin.register
class OneHotEncoder(ZEncoder):
  """Embeds an integer id (e.g. instrument) as z."""

  def __init__(self, one_hot_key='instrument', vocab_size=1024, n_dims=256,
               skip_expand=True, **kwargs):
    super().__init__(input_keys=[one_hot_key], **kwargs)
    self.vocab_size = vocab_size
    self.n_dims = n_dims
    self.skip_expand = skip_expand

  def build(self, unused_input_shape):
    self.embedding = nn.get_embedding(self.vocab_size, self.n_dims)

  def compute_z(self, one_hot):
    return self.embedding(one_hot)

  def expand_z(self, z, time_steps):
    if self.skip_expand:
      return z
    return super().expand_z(z, time_steps)


@gin.register
class AggregateFeaturesEncoder(ZEncoder):
  """Time average of a Dense projection of (f0_scaled, ld_scaled)."""

  def __init__(self, ch=512, **kwargs):
    super().__init__(**kwargs)
    self.fc = tfkl.Dense(ch)

  def compute_z(self, f0_scaled, ld_scaled):
    x = tf.concat([f0_scaled, ld_scaled], axis=-1)
    return tf.reduce_mean(self.fc(x), axis=1, keepdims=True)


@gin.register
class MfccEncoder(ZEncoder):
  """Instance-normalised MFCCs of several resolutions as z.

  For each (fft_size, mel_bins, mfcc_bins) triple the MFCCs of `audio` are
  resampled (linearly) to `time_steps` frames; the concatenation
  `[batch, time_steps, sum(mfcc_bins)]` goes through `norm_out` and is then
  resampled to the number of f0 frames. (The original called a misspelled
  `self.nom_out` and raised AttributeError.)
  """

  def __init__(self, fft_sizes=(1024,), mel_bins=(128,), mfcc_bins=(30,),
               time_steps=250, **kwargs):
    super().__init__(**kwargs)
    self.fft_sizes = core.make_iterable(fft_sizes)
    self.mel_bins = core.make_iterable(mel_bins)
    self.mfcc_bins = core.make_iterable(mfcc_bins)
    self.time_steps = time_steps
    self.norm_out = nn.Normalize('instance')

  def compute_z(self, audio):
    """audio `[batch, n_samples]` -> z `[batch, time_steps, sum(mfcc_bins)]`."""
    zs = []
    for fft_size, n_mels, n_mfcc in zip(self.fft_sizes, self.mel_bins,
                                        self.mfcc_bins):
      mfcc = spectral_ops.compute_mfcc(audio, fft_size=fft_size,
                                       mel_bins=n_mels, mfcc_bins=n_mfcc)
      zs.append(core.resample(mfcc, self.time_steps))
    z = tf.concat(zs, axis=-1)
    return self.norm_out(z[:, :, tf.newaxis, :])[:, :, 0, :]


@gin.register
class MfccRnnEncoder(ZEncoder):
  """MFCC -> norm -> RNN -> (mean over time) -> Dense."""

  def __init__(self, rnn_channels=512, rnn_type='gru', z_dims=512,
               mean_aggregate=False, **kwargs):
    super().__init__(**kwargs)
    self.mean_aggregate = mean_aggregate
    self.norm_in = nn.Normalize('instance')
    self.rnn = nn.Rnn(rnn_channels, rnn_type)
    self.dense_z = tfkl.Dense(z_dims)

  def compute_z(self, audio):
    mfccs = spectral_ops.compute_mfcc(audio, lo_hz=20.0, hi_hz=8000.0,
                                      fft_size=1024, mel_bins=128,
                                      mfcc_bins=30)
    z = self.norm_in(mfccs[:, :, tf.newaxis, :])[:, :, 0, :]
    z = self.rnn(z)
    if self.mean_aggregate:
      z = tf.reduce_mean(z, axis=1, keepdims=True)
    else:
      # Adds an axis to the whole sequence: [B, T, C] -> [B, 1, T, C].
      z = tf.concat([z], axis=-1)[:, tf.newaxis, :]
    return self.dense_z(z)


@gin.register
class ExpressionEncoder(ZEncoder):
  """Network over expression features (optionally pooled over time).

  z = dense_out(norm(net(concat(inputs)))), averaged over time when
  `pool_time`. With 'audio' among `input_keys`, the audio `[batch,
  n_samples]` enters the concatenation, at its place in `input_keys`, as
  its MFCCs (`fft_size`, `mel_bins`, `mfcc_bins`) normalised by `norm_mfcc`
  (instance norm) and resampled linearly to the frames of the other inputs.
  (The original popped 'audio' from the keys: a tuple of keys raised
  AttributeError, a list silently dropped the audio.)
  """

  def __init__(self, net=None, z_dims=128,
               input_keys=('f0_scaled', 'ld_scaled'), mfcc_bins=60,
               fft_size=1024, mel_bins=128, pool_time=True, **kwargs):
    input_keys = list(input_keys)
    self.compute_mfccs = 'audio' in input_keys
    super().__init__(input_keys=input_keys, **kwargs)
    self.net = net
    self.norm = nn.Normalize('layer')
    self.dense_out = tfkl.Dense(z_dims)
    self.pool_time = pool_time
    self.mfcc_bins = mfcc_bins
    self.fft_size = fft_size
    self.mel_bins = mel_bins
    if self.compute_mfccs:
      self.audio_index = input_keys.index('audio')
      self.norm_mfcc = nn.Normalize('instance')

  def compute_mfcc_features(self, audio, n_frames=None):
    """audio `[batch, n_samples]` -> normalised MFCCs `[batch, n_frames, C]`.

    C = `mfcc_bins`; without `n_frames` the MFCC frames are kept.
    """
    mfccs = spectral_ops.compute_mfcc(audio, fft_size=self.fft_size,
                                      mel_bins=self.mel_bins,
                                      mfcc_bins=self.mfcc_bins)
    mfccs = self.norm_mfcc(mfccs[:, :, tf.newaxis, :])[:, :, 0, :]
    if n_frames is not None and int(mfccs.shape[1]) != n_frames:
      mfccs = core.resample(mfccs, n_frames)
    return mfccs

  def compute_z(self, *inputs):
    """Inputs in `input_keys` order, frame-wise `[batch, n_frames, ch]`."""
    inputs = list(inputs)
    if self.compute_mfccs:
      frame_wise = [x for i, x in enumerate(inputs) if i != self.audio_index]
      n_frames = int(frame_wise[0].shape[1]) if frame_wise else None
      inputs[self.audio_index] = self.compute_mfcc_features(
          inputs[self.audio_index], n_frames)
    x = tf.concat(inputs, axis=-1)
    x = self.net(x)
    x = self.norm(x)
    z = self.dense_out(x)
    if self.pool_time:
      z = tf.reduce_mean(z, axis=1, keepdims=True)
    return z


# ------------------------------------------------------------------------------
# Other encoders.
# ------------------------------------------------------------------------------
@gin.register
class ResnetSinusoidalEncoder(nn.DictLayer):
  """ResNet on a spectrogram predicting sinusoid/noise parameters.

  `size` is an `nn.ResNet` size: 'small', 'medium' or 'large'. The default
  is 'small', the size of the shipped paper config; the original's default
  'tiny' is no ResNet size and raised KeyError.
  """

  def __init__(self,
               output_splits=(('frequencies', 100 * 64),
                              ('amplitudes', 100),
                              ('noise_magnitudes', 60)),
               spectral_fn=spectral_ops.compute_logmel,
               size='small',
               **kwargs):
    super().__init__(output_keys=[v[0] for v in output_splits], **kwargs)
    self.output_splits = output_splits
    self.spectral_fn = spectral_fn
    self.resnet = nn.ResNet(size=size)
    self.dense_outs = [tfkl.Dense(v[1]) for v in output_splits]

  def call(self, audio):
    """audio [B, n_samples] -> {name: [B, T, size]}."""
    x = self.spectral_fn(audio)[:, :, :, tf.newaxis]
    x = self.resnet(x)
    batch = tf.shape(x)[0]
    n_frames = x.shape[1]
    x = tf.reshape(x, [batch, n_frames, x.shape[2] * x.shape[3]])
    outputs = {}
    for dense, (key, _) in zip(self.dense_outs, self.output_splits):
      outputs[key] = dense(x)
    return outputs


@gin.register
class SinusoidalToHarmonicEncoder(nn.DictLayer):
  """Predicts harmonic controls (amp, distribution, f0) from sinusoids."""

  def __init__(self,
               net=None,
               n_harmonics=100,
               f0_depth=64,
               amp_scale_fn=core.exp_sigmoid,
               freq_scale_fn=functools.partial(core.frequencies_softmax,
                                               depth=64,
                                               hz_min=20.0,
                                               hz_max=1200.0),
               sample_rate=16000,
               **kwargs):
    super().__init__(**kwargs)
    self.n_harmonics = n_harmonics
    self.amp_scale_fn = amp_scale_fn
    self.freq_scale_fn = freq_scale_fn
    self.sample_rate = sample_rate

    # Layers.
    self.net = net
    self.amp_out = tfkl.Dense(1)
    self.hd_out = tfkl.Dense(n_harmonics)
    self.f0_out = tfkl.Dense(f0_depth)

  def call(self, sin_freqs, sin_amps) -> ['harm_amp', 'harm_dist', 'f0_hz']:
    """Sinusoid frequencies/amplitudes [B, T, N] -> harmonic controls."""
    # Frequencies in [0, 1] relative to Nyquist.
    sin_freqs_unit = core.hz_to_unit(sin_freqs, hz_min=0.0,
                                     hz_max=self.sample_rate / 2.0)
    x = tf.concat([sin_freqs_unit, sin_amps], axis=-1)
    x = self.net(x)
    x = x['out'] if isinstance(x, dict) else x

    harm_amp = self.amp_scale_fn(self.amp_out(x))
    harm_dist = self.amp_scale_fn(self.hd_out(x))
    f0_hz = self.freq_scale_fn(self.f0_out(x))

    # Zero harmonics at or above Nyquist, then renormalize.
    harm_freqs = core.get_harmonic_frequencies(f0_hz, self.n_harmonics)
    harm_dist = core.remove_above_nyquist(harm_freqs, harm_dist,
                                          self.sample_rate)
    harm_dist = core.safe_divide(
        harm_dist, tf.reduce_sum(harm_dist, axis=-1, keepdims=True))
    return (harm_amp, harm_dist, f0_hz)


# ------------------------------------------------------------------------------
# MIDI encoders.
# ------------------------------------------------------------------------------
class _ZMidiEncoder(nn.DictLayer):
  """Features -> net -> layer norm -> Dense(2) -> (z_pitch, z_vel).

  z_pitch is a residual on f0_midi when `f0_residual`. Subclasses define
  `call` (their input keys) on top of `z_from_features`.
  """

  def __init__(self, net=None, f0_residual=True, **kwargs):
    super().__init__(**kwargs)
    self.net = net
    self.f0_residual = f0_residual
    self.dense_out = tfkl.Dense(2)
    self.norm = nn.Normalize('layer')

  def z_from_features(self, features, f0_midi):
    """(z_pitch, z_vel) [..., 1] each from the concatenated features."""
    x = self.dense_out(self.norm(self.net(tf.concat(features, axis=-1))))
    z_pitch = x[..., 0:1]
    z_vel = x[..., 1:2]
    if self.f0_residual:
      z_pitch += f0_midi
    return z_pitch, z_vel


@gin.register
class MidiEncoder(_ZMidiEncoder):
  """(f0_midi, loudness) -> (z_pitch, z_vel)."""

  def call(self, f0_midi, loudness) -> ['z_pitch', 'z_vel']:
    return self.z_from_features([f0_midi, loudness], f0_midi)


@gin.register
class HarmonicToMidiEncoder(_ZMidiEncoder):
  """(f0_midi, amps, hd, noise) -> (z_pitch, z_vel)."""

  def call(self, f0_midi, amps, hd, noise) -> ['z_pitch', 'z_vel']:
    return self.z_from_features([f0_midi, amps, hd, noise], f0_midi)
