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

"""MIDI autoencoders (experimental).

A "synthcoder" predicts synthesis controls from (f0, loudness); the controls
are encoded to a quantized MIDI pitch and decoded back to controls, so the
model learns a transcription it can resynthesize.
"""

from ddsp import core
from ddsp import effects
from ddsp import processors
from ddsp import synths
from ddsp.training import nn
from ddsp.training import preprocessing
from ddsp.training.models.model import Model
import tensorflow as tf


class MidiAutoencoder(Model):
  """Synthcoder branch + MIDI encoder/decoder branch.

  The preprocessor receives only 'f0_hz' and the loudness (or power) key,
  so an `F0LoudnessPreprocessor` scales the dataset loudness whatever its
  `compute_loudness`. Without `midi_decoder` the model runs the synthcoder
  and the MIDI encoding only, and its outputs have no MIDI reconstruction
  ('midi_audio', 'midi_synth_params', 'f0_midi_pred', ...).
  """

  def __init__(self,
               synthcoder=None,
               midi_encoder=None,
               midi_decoder=None,
               sg_before_midiae=True,
               reverb=True,
               preprocessor=None,
               reconstruction_losses=None,
               qpitch_f0rec_loss=None,
               pitch_f0rec_loss=None,
               pitch_qpitch_loss=None,
               midi_slowness_loss=None,
               mask_f0_loss=True,
               **kwargs):
    super().__init__(**kwargs)
    self.synthcoder = synthcoder
    self.midi_encoder = midi_encoder
    self.midi_decoder = midi_decoder
    self.reconstruction_losses = reconstruction_losses
    self.mask_f0_loss = mask_f0_loss
    self.qpitch_f0rec_loss = qpitch_f0rec_loss
    self.pitch_f0rec_loss = pitch_f0rec_loss
    self.pitch_qpitch_loss = pitch_qpitch_loss
    self.slowness_loss = midi_slowness_loss
    self.sg_before_midiae = sg_before_midiae
    self.preprocessor = preprocessor
    self.db_key = ('power_db' if isinstance(
        preprocessor, preprocessing.F0PowerPreprocessor) else 'loudness_db')

    # Synths are built with their Python defaults (gin bindings don't apply).
    dag = [
        (synths.Harmonic(),
         ['amplitudes', 'harmonic_distribution', 'f0_hz']),
        (synths.FilteredNoise(), ['magnitudes']),
        (processors.Add(), ['filtered_noise/signal', 'harmonic/signal']),
    ]
    if reverb:
      dag.append((effects.FilteredNoiseReverb(
          trainable=True, reverb_length=24000, n_frames=500,
          n_filter_banks=32, name='reverb'), ['add/signal']))
    self.processor_group = processors.ProcessorGroup(dag=dag)

  # ---------------------------------------------------------------------------
  # MIDI conversions.
  # ---------------------------------------------------------------------------
  def encode_to_midi(self, *args):
    """Controls -> (z_pitch, q_pitch, z_vel, q_vel); velocities are zeroed."""
    if self.sg_before_midiae:
      args = [tf.stop_gradient(a) for a in args]
    z_pitch, z_vel = self.midi_encoder(*args).values()
    q_pitch = nn.straight_through_int_quantization(z_pitch)
    z_vel = z_vel * 0.0
    q_vel = z_vel
    return z_pitch, q_pitch, z_vel, q_vel

  @staticmethod
  def pianoroll_to_midi(pianoroll):
    """Pianoroll [B, T, 128] -> (pitch [B, T, 1] float, velocity [B, T, 1])."""
    pitch = tf.cast(tf.argmax(pianoroll, axis=-1), tf.float32)[..., None]
    velocity = tf.reduce_max(pianoroll, axis=-1)[..., None]
    return pitch, velocity

  @staticmethod
  def midi_to_pianoroll(q_pitch, q_vel, piano_keys=128, thresh=20.0):
    """Quantized pitch [B, T, 1] -> one-hot pianoroll [B, T, piano_keys]."""
    del q_vel  # Unused, as in the original.
    pitch = q_pitch[..., 0] if len(q_pitch.shape) == 3 else q_pitch
    if thresh > 0:
      pitch = tf.where(pitch <= thresh, tf.zeros_like(pitch), pitch)
    return tf.one_hot(tf.cast(pitch, tf.int32), piano_keys)

  @staticmethod
  def extract_harm_controls(synth_params, log_scale=True,
                            stop_gradient=False):
    """(amplitudes, harmonic distribution, noise magnitudes) of the synths."""
    amps = synth_params['harmonic']['controls']['amplitudes']
    hd = synth_params['harmonic']['controls']['harmonic_distribution']
    noise = synth_params['filtered_noise']['controls']['magnitudes']
    if log_scale:
      amps = core.amplitude_to_db(amps, use_tf=True)
      noise = core.amplitude_to_db(noise, use_tf=True)
    if stop_gradient:
      amps, hd, noise = [tf.stop_gradient(x) for x in (amps, hd, noise)]
    return amps, hd, noise

  # ---------------------------------------------------------------------------
  # Losses.
  # ---------------------------------------------------------------------------
  def add_closeness_loss(self, loss_obj, f0, pitch, tag=''):
    """Loss on |pitch - f0|."""
    self._losses_dict[loss_obj.name + tag] = loss_obj(tf.abs(pitch - f0))

  def add_slowness_loss(self, loss_obj, z_pitch, q_pitch, tag=''):
    """Penalizes pitch movement inside notes shorter than 40 frames."""
    note_mask = nn.get_note_mask(q_pitch)
    note_lengths = nn.get_note_lengths(note_mask)
    note_pitches = nn.get_note_moments(q_pitch, note_mask, return_std=False)
    mask = nn.get_short_note_loss_mask(note_mask, note_lengths, note_pitches,
                                       min_length=40)
    self._losses_dict[loss_obj.name + tag] = loss_obj(z_pitch, mask)

  def add_zpitch_losses(self, z_pitch, q_pitch, f0_midi_pred):
    if self.qpitch_f0rec_loss is not None:
      self.add_closeness_loss(self.qpitch_f0rec_loss, f0_midi_pred, q_pitch)
    if self.pitch_f0rec_loss is not None:
      self.add_closeness_loss(self.pitch_f0rec_loss, f0_midi_pred, z_pitch)
    if self.pitch_qpitch_loss is not None:
      self.add_closeness_loss(self.pitch_qpitch_loss, q_pitch, z_pitch)
    if self.slowness_loss is not None:
      self.add_slowness_loss(self.slowness_loss, z_pitch, q_pitch)

  # ---------------------------------------------------------------------------
  # Synthesis.
  # ---------------------------------------------------------------------------
  def run_processor_group(self, controls):
    """Controls dict -> (processor group outputs dict, audio)."""
    pg_out = self.processor_group(controls, return_outputs_dict=True)
    return pg_out['controls'], pg_out['signal']

  def synthesize_audio(self, f0_hz, db, z=None, training=False,
                       return_params=False):
    """(f0, loudness or power) -> preprocessor -> synthcoder -> audio."""
    features = {'f0_hz': f0_hz, self.db_key: db}
    if z is not None:
      features['z'] = z
    features.update(self.preprocessor(features, training=training))
    synth_params, audio = self.synthcoder_branch(features, training=training)
    return (audio, synth_params) if return_params else audio

  def synthcoder_branch(self, features, training=True, z=None):
    """Synthcoder controls -> processor group -> (synth_params, audio)."""
    if z is not None:
      features['z'] = z
    controls = self.synthcoder(features, training=training)
    controls['f0_hz'] = features['f0_hz']
    return self.run_processor_group(controls)

  def midi_to_audio(self, q_pitch, q_vel, z=None, return_synth_params=False):
    """Quantized MIDI -> decoder -> audio (and its synthesis params)."""
    midi_params = self.midi_decoder(q_pitch, q_vel, z)
    if 'loudness' in midi_params:
      # MidiDecoder: (f0_midi, loudness) resynthesized by the synthcoder.
      f0_hz = core.midi_to_hz(midi_params['f0_midi'], midi_zero_silence=True)
      audio, synth_params = self.synthesize_audio(
          f0_hz, midi_params['loudness'], return_params=True)
      synth_params['f0_midi'] = midi_params['f0_midi']
      synth_params['loudness'] = midi_params['loudness']
    else:
      synth_params, audio = self.run_processor_group(midi_params)
    return (audio, synth_params) if return_synth_params else audio

  # ---------------------------------------------------------------------------
  # Forward pass.
  # ---------------------------------------------------------------------------
  def get_audio_from_outputs(self, outputs):
    """The synthcoder's audio `[batch, n_samples]`, with or without decoder.

    The original tests `midi_decoder is None` the wrong way round: with a
    MIDI decoder it returns the synthcoder's audio (kept: evaluation and
    summaries of trained models use it), and without one it asks for the
    missing 'midi_audio' and raises KeyError (here: the synthcoder's audio,
    the only audio there is).
    """
    return outputs['synth_audio']

  def preprocess(self, features, training=True):
    """Runs the preprocessor on (f0_hz, db); adds f0_midi."""
    pp_in = {'f0_hz': features['f0_hz'],
             self.db_key: features[self.db_key]}
    features.update(self.preprocessor(pp_in, training=training))
    features['f0_midi'] = core.hz_to_midi(features['f0_hz'])
    return features

  def get_gt_midi(self, features):
    """Ground truth (q_pitch, q_vel, f0 loss weights) from the dataset."""
    q_pitch, q_vel = self.pianoroll_to_midi(
        features['note_active_velocities'])
    q_vel *= 0.0
    f0_loss_weights = None
    if self.mask_f0_loss:
      f0_loss_weights = tf.cast(
          tf.abs(features['f0_midi'] - q_pitch) < 2.0, tf.float32)
    return q_pitch, q_vel, f0_loss_weights

  def _synth_conditioning(self, features, training=True):
    """Hook for latent conditioning of the synthcoder (None here)."""
    del features, training
    return None

  def _midi_conditioning(self, features, q_pitch, training=True):
    """Hook: (latent z for the MIDI decoder, extra outputs); none here."""
    del features, q_pitch, training
    return None, {}

  def call(self, features, training=True):
    features = self.preprocess(features, training=training)
    f0_midi = features['f0_midi']
    extra_outputs = {}

    # Synthcoder branch.
    z_synth = self._synth_conditioning(features, training=training)
    synth_params, synth_audio = self.synthcoder_branch(
        features, training=training, z=z_synth)
    amps, hd, noise = self.extract_harm_controls(synth_params)
    self._add_scaled_controls(features, amps, hd, noise)

    # MIDI encoding (learned or ground truth).
    z_pitch = None
    if self.midi_encoder is not None:
      z_pitch, q_pitch, z_vel, q_vel = self.encode_to_midi(
          f0_midi, amps, hd, noise)
      extra_outputs['z_vel'] = z_vel
      f0_loss_weights = tf.ones_like(f0_midi)
    else:
      q_pitch, q_vel, f0_loss_weights = self.get_gt_midi(features)
    pianoroll = self.midi_to_pianoroll(q_pitch, q_vel)

    # MIDI decoding. Without a decoder the MIDI outputs are left out (the
    # original raised UnboundLocalError on them).
    midi_audio = midi_synth_params = f0_midi_pred = f0_hz_pred = None
    amps_pred = hd_pred = noise_pred = db_pred = None
    if self.midi_decoder is not None:
      z_midi, z_outputs = self._midi_conditioning(
          features, q_pitch, training=training)
      extra_outputs.update(z_outputs)
      midi_audio, midi_synth_params = self.midi_to_audio(
          q_pitch, q_vel, z=z_midi, return_synth_params=True)
      f0_midi_pred = midi_synth_params['f0_midi']
      f0_hz_pred = midi_synth_params['f0_hz']
      amps_pred, hd_pred, noise_pred = self.extract_harm_controls(
          midi_synth_params)
      if 'loudness' in midi_synth_params:
        db_pred = midi_synth_params['loudness']

    if training and z_pitch is not None and f0_midi_pred is not None:
      self.add_zpitch_losses(z_pitch, q_pitch, f0_midi_pred)

    outputs = {
        'synth_params': synth_params,
        'synth_audio': synth_audio,
        'midi_synth_params': midi_synth_params,
        'midi_audio': midi_audio,
        'q_pitch': q_pitch,
        'q_vel': q_vel,
        'z_pitch': z_pitch,
        'pianoroll': pianoroll,
        'f0_midi_pred': f0_midi_pred,
        'f0_hz_pred': f0_hz_pred,
        'amps': amps,
        'hd': hd,
        'noise': noise,
        'amps_pred': amps_pred,
        'hd_pred': hd_pred,
        'noise_pred': noise_pred,
        'f0_loss_weights': f0_loss_weights,
        self.db_key + '_pred': db_pred,
    }
    outputs.update(extra_outputs)
    outputs = {k: v for k, v in outputs.items() if v is not None}
    for k, v in features.items():
      if k not in outputs:
        outputs[k] = v
    outputs.update(synth_params)

    if training and self.reconstruction_losses is not None:
      self._update_losses_dict(self.reconstruction_losses, outputs)
    return outputs

  # Subclass hooks ------------------------------------------------------------
  def _add_scaled_controls(self, features, amps, hd, noise):
    """Hook: ZMidiAutoencoder adds scaled controls for its encoders."""
    del features, amps, hd, noise


class ZMidiAutoencoder(MidiAutoencoder):
  """MidiAutoencoder with latent (global / per-note) conditioning."""

  def __init__(self,
               z_synth_encoders=None,
               z_global_encoders=None,
               z_note_encoder=None,
               z_preconditioning_stack=None,
               z_global_prior=None,
               z_note_prior=None,
               **kwargs):
    super().__init__(**kwargs)
    self.z_synth_encoders = core.make_iterable(z_synth_encoders)
    self.z_global_encoders = core.make_iterable(z_global_encoders)
    self.z_note_encoder = z_note_encoder
    self.z_preconditioning_stack = z_preconditioning_stack
    self.z_global_prior = z_global_prior
    self.z_note_prior = z_note_prior

  @staticmethod
  def _concat_z(encoders, features, training=True):
    zs = [encoder(features, training=training)['z'] for encoder in encoders]
    return tf.concat(zs, axis=-1) if zs else None

  def z_synth_encode(self, features, training=True):
    """Latent z [B, T, C] for the synthcoder."""
    return self._concat_z(self.z_synth_encoders, features, training)

  def z_global_encode(self, features, training=True):
    """Latent z [B, T, C] summarizing the whole example."""
    z_global = self._concat_z(self.z_global_encoders, features, training)
    if z_global is not None and self.z_global_prior is not None:
      self._update_losses_dict(self.z_global_prior, z_global)
    return z_global

  def z_note_encode(self, features, q_pitch, training=True):
    """Latent z [B, T, C] averaged over each note of q_pitch."""
    if self.z_note_encoder is None:
      return None
    z_notes = self.z_note_encoder(features, training=training)['z']
    note_mask = nn.get_note_mask(q_pitch)
    z_notes = nn.pool_over_notes(z_notes, note_mask, return_std=False)
    if self.z_note_prior is not None:
      self._update_losses_dict(self.z_note_prior, z_notes)
    return z_notes

  def _add_scaled_controls(self, features, amps, hd, noise):
    features['amps_scaled'] = preprocessing.scale_db(amps)
    features['hd_scaled'] = hd
    features['noise_scaled'] = preprocessing.scale_db(noise)

  def _synth_conditioning(self, features, training=True):
    return self.z_synth_encode(features, training=training)

  def _midi_conditioning(self, features, q_pitch, training=True):
    z_global = self.z_global_encode(features, training=training)
    z_notes = self.z_note_encode(features, q_pitch, training=training)
    z_outputs = {'z_global': z_global, 'z_notes': z_notes}
    zs = [z for z in (z_global, z_notes) if z is not None]
    if not zs:
      return None, z_outputs
    z = tf.concat(zs, axis=-1)
    if self.z_preconditioning_stack is not None:
      z = self.z_preconditioning_stack(z)
    return z, z_outputs
