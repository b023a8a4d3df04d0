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

"""Inverse synthesis (experimental): audio -> sinusoids -> harmonics."""

import functools

from ddsp import core
from ddsp import effects
from ddsp import losses
from ddsp import processors
from ddsp import synths
from ddsp.training.models.model import Model
import tensorflow as tf


class InverseSynthesis(Model):
  """Estimates sinusoidal (and harmonic) controls that resynthesize audio.

  Supports plain audio, self-supervised synthetic notes (a dict with
  'sin_amps'), and zipped (real, synthetic) batches.
  """

  def __init__(self,
               sinusoidal_encoder=None,
               harmonic_encoder=None,
               losses=None,  # pylint: disable=redefined-outer-name
               sinusoidal_consistency_losses=None,
               harmonic_consistency_losses=None,
               filtered_noise_consistency_loss=None,
               twm_loss=None,
               harmonic_distribution_prior=None,
               freq_scale_fn=None,
               reverb=True,
               n_samples=64000,
               sample_rate=16000,
               stop_gradient=True,
               **kwargs):
    super().__init__(**kwargs)
    # Network objects.
    self.sinusoidal_encoder = sinusoidal_encoder
    self.harmonic_encoder = harmonic_encoder

    # Losses.
    self.audio_loss_objs = core.make_iterable(losses)
    self.sinusoidal_consistency_losses = core.make_iterable(
        sinusoidal_consistency_losses)
    self.harmonic_consistency_losses = core.make_iterable(
        harmonic_consistency_losses)
    self.filtered_noise_consistency_loss = filtered_noise_consistency_loss
    self.twm_loss = twm_loss
    self.harmonic_distribution_prior = harmonic_distribution_prior

    # Settings.
    self.stop_gradient = stop_gradient
    self.n_samples = n_samples
    self.sample_rate = sample_rate

    # Scale functions applied to the encoder outputs.
    self.amps_scale_fn = core.exp_sigmoid
    self.freq_scale_fn = freq_scale_fn or functools.partial(
        core.frequencies_softmax, depth=64)

    # Synthesis (scale functions are applied beforehand, so none here).
    self.sinusoidal_synth = synths.Sinusoidal(
        n_samples=self.n_samples, sample_rate=self.sample_rate,
        amp_scale_fn=None, freq_scale_fn=None, name='sinusoidal')
    self.filtered_noise_synth = synths.FilteredNoise(
        n_samples=self.n_samples, window_size=0, scale_fn=None,
        name='filtered_noise')
    dag = [
        (self.sinusoidal_synth, ['amplitudes', 'frequencies']),
        (self.filtered_noise_synth, ['noise_magnitudes']),
        (processors.Add(), ['filtered_noise/signal', 'sinusoidal/signal']),
    ]
    if reverb:
      self.reverb = effects.FilteredNoiseReverb(
          reverb_length=int(self.sample_rate * 2), window_size=257,
          n_frames=500, n_filter_banks=16, trainable=True, name='reverb')
      dag.append((self.reverb, ['add/signal']))
    self.processor_group = processors.ProcessorGroup(dag=dag)

  # ----------------------------------------------------------------------------
  def generate_synthetic_audio(self, features):
    """Synthesizes audio [B, n_samples] from synthetic-note controls."""
    return self.processor_group({
        'amplitudes': features['sin_amps'],
        'frequencies': features['sin_freqs'],
        'noise_magnitudes': features['noise_magnitudes'],
    })

  def parse_zipped_features(self, features):
    """(dict, dict) -> (supervised, self_supervised) feature dicts."""
    if len(features) != 2:
      raise ValueError('Zipped features must contain exactly 2 dicts, got '
                       f'{len(features)}.')
    if 'sin_amps' in features[1]:
      return features[0], features[1]
    return features[1], features[0]

  def get_audio_from_outputs(self, outputs):
    if self.harmonic_encoder is None:
      return outputs['sin_audio']
    return outputs['harm_audio']

  def _maybe_stop_gradient(self, *tensors):
    if self.stop_gradient:
      return [tf.stop_gradient(t) for t in tensors]
    return list(tensors)

  # ----------------------------------------------------------------------------
  def forward(self, features, training=True):
    """Encodes audio to sinusoids (and harmonics) and resynthesizes."""
    pg_in = self.sinusoidal_encoder(features, training=training)
    pg_in['frequencies'] = self.freq_scale_fn(pg_in['frequencies'])
    pg_in['amplitudes'] = self.amps_scale_fn(pg_in['amplitudes'])
    pg_in['noise_magnitudes'] = self.amps_scale_fn(pg_in['noise_magnitudes'])

    controls = self.processor_group.get_controls(pg_in)
    sin_audio = self.processor_group.get_signal(controls)

    outputs = {
        'audio': features['audio'],
        'noise_magnitudes': pg_in['noise_magnitudes'],
        'sin_audio': sin_audio,
        'sin_amps': pg_in['amplitudes'],
        'sin_freqs': pg_in['frequencies'],
    }
    outputs.update(controls)

    if self.harmonic_encoder is not None:
      sin_freqs, sin_amps = self._maybe_stop_gradient(
          outputs['sin_freqs'], outputs['sin_amps'])
      harm = self.harmonic_encoder(sin_freqs, sin_amps)
      harm_amp, harm_dist, f0_hz = (harm['harm_amp'], harm['harm_dist'],
                                    harm['f0_hz'])
      n_harmonics = int(harm_dist.shape[-1])
      harm_freqs = core.get_harmonic_frequencies(f0_hz, n_harmonics)
      harm_amps = harm_amp * harm_dist

      harm_pg_in = dict(pg_in)
      harm_pg_in['frequencies'] = harm_freqs
      harm_pg_in['amplitudes'] = harm_amps
      harm_audio = self.processor_group(harm_pg_in)

      outputs.update({
          'harm_audio': harm_audio,
          'harm_amp': harm_amp,
          'harm_dist': harm_dist,
          'f0_hz': f0_hz,
          'harm_freqs': harm_freqs,
          'harm_amps': harm_amps,
      })
    return outputs

  def call(self, features, training=True):
    if isinstance(features, (tuple, list)):
      return self._call_zipped(features, training)
    if 'sin_amps' in features:
      return self._call_self_supervised(features, training)
    outputs = self.forward(features, training)
    self.append_losses(outputs)
    return outputs

  def _call_self_supervised(self, features, training):
    """Pre-training on synthetic notes with known controls."""
    features = dict(features)
    if 'audio' not in features:
      features['audio'] = self.generate_synthetic_audio(features)
    outputs = self.forward(features, training)
    self.append_losses(outputs)
    self.append_losses(outputs, features)
    return outputs

  def _call_zipped(self, features, training):
    """Fine-tuning on (real, synthetic) batches run as one batch."""
    supervised, self_supervised = self.parse_zipped_features(features)
    self_supervised = dict(self_supervised)
    self_supervised['audio'] = self.generate_synthetic_audio(self_supervised)
    batch_size = int(supervised['audio'].shape[0])
    audio = tf.concat([core.tf_float32(supervised['audio']),
                       self_supervised['audio']], axis=0)
    outputs = self.forward({'audio': audio}, training)

    def split(outs, start, stop):
      return {k: (v[start:stop] if isinstance(v, tf.Tensor) else v)
              for k, v in outs.items()}

    sup_outputs = split(outputs, 0, batch_size)
    ss_outputs = split(outputs, batch_size, None)
    self.append_losses(sup_outputs)
    self.append_losses(ss_outputs, self_supervised)
    return sup_outputs

  # ----------------------------------------------------------------------------
  def append_losses(self, outputs, self_supervised_features=None):
    """Adds unsupervised or (when features are given) self-supervised losses.
    """
    if self_supervised_features is None:
      self._append_unsupervised_losses(outputs)
    else:
      self._append_self_supervised_losses(outputs, self_supervised_features)

  def _append_unsupervised_losses(self, outputs):
    audio = outputs['audio']
    for loss_obj in self.audio_loss_objs:
      self._losses_dict['sin_' + loss_obj.name] = loss_obj(
          audio, outputs['sin_audio'])

    if self.harmonic_encoder is not None:
      if self.harmonic_distribution_prior is not None:
        self._update_losses_dict(self.harmonic_distribution_prior,
                                 outputs['harm_dist'])
      for loss_obj in self.audio_loss_objs:
        self._losses_dict['harm_' + loss_obj.name] = loss_obj(
            audio, outputs['harm_audio'])
      sin_amps, sin_freqs = self._maybe_stop_gradient(outputs['sin_amps'],
                                                      outputs['sin_freqs'])
      for loss_obj in self.sinusoidal_consistency_losses:
        self._losses_dict[loss_obj.name] = loss_obj(
            sin_amps, sin_freqs, outputs['harm_amps'], outputs['harm_freqs'])

    if self.twm_loss is not None:
      f0_candidates = (outputs['sin_freqs'] if self.harmonic_encoder is None
                       else outputs['f0_hz'])
      self._losses_dict[self.twm_loss.name] = self.twm_loss(
          f0_candidates, outputs['sin_freqs'], outputs['sin_amps'])

  def _append_self_supervised_losses(self, outputs, features):
    o, f = outputs, features
    for loss_obj in self.sinusoidal_consistency_losses:
      self._losses_dict['ss_' + loss_obj.name] = loss_obj(
          o['sin_amps'], o['sin_freqs'], f['sin_amps'], f['sin_freqs'])

    if self.filtered_noise_consistency_loss is not None:
      loss_obj = self.filtered_noise_consistency_loss
      self._losses_dict['ss_' + loss_obj.name] = loss_obj(
          o['noise_magnitudes'], f['noise_magnitudes'])

    if self.harmonic_encoder is not None:
      for loss_obj in self.harmonic_consistency_losses:
        if isinstance(loss_obj, losses.HarmonicConsistencyLoss):
          losses_dict = loss_obj(o['harm_amp'], f['harm_amp'],
                                 o['harm_dist'], f['harm_dist'],
                                 o['f0_hz'], f['f0_hz'])
          self._losses_dict.update(
              {'ss_' + k: v for k, v in losses_dict.items()})
        else:
          self._losses_dict['ss_harm_' + loss_obj.name] = loss_obj(
              o['harm_amp'], o['f0_hz'], f['harm_amp'], f['f0_hz'])
