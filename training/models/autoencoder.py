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

"""Autoencoder: preprocessor -> encoder -> decoder -> processor group."""

from ddsp import core
from ddsp.training.models.model import Model


class Autoencoder(Model):
  """Wraps the DDSP autoencoding pipeline.

  Sublayer attribute names (preprocessor, encoder, decoder, processor_group)
  are the checkpoint paths (`model/decoder/...`).
  """

  def __init__(self,
               preprocessor=None,
               encoder=None,
               decoder=None,
               processor_group=None,
               losses=None,
               **kwargs):
    super().__init__(**kwargs)
    self.preprocessor = preprocessor
    self.encoder = encoder
    self.decoder = decoder
    self.processor_group = processor_group
    self.loss_objs = core.make_iterable(losses)

  def encode(self, features, training=True):
    """Adds preprocessor and encoder outputs to `features` (in place)."""
    if self.preprocessor is not None:
      features.update(self.preprocessor(features, training=training))
    if self.encoder is not None:
      features.update(self.encoder(features))
    return features

  def decode(self, features, training=True):
    """Decodes features to controls and returns the synthesized signal."""
    features.update(self.decoder(features, training=training))
    return self.processor_group(features)

  def get_audio_from_outputs(self, outputs):
    return outputs['audio_synth']

  def call(self, features, training=True):
    """Runs the full autoencoder.

    Args:
      features: Dict with at least 'f0_hz', 'loudness_db' and 'audio'
        ([B, n_frames] / [B, n_samples]).
      training: Also compute the losses on `audio` vs the synthesized audio.

    Returns:
      The processor group's outputs dict (all features, every processor's
      signal and controls, 'out') plus 'audio_synth' [B, n_samples].
    """
    features = self.encode(features, training=training)
    features.update(self.decoder(features, training=training))

    # Run through processor group.
    pg_out = self.processor_group(features, return_outputs_dict=True)

    # Parse outputs.
    outputs = pg_out['controls']
    outputs['audio_synth'] = pg_out['signal']

    if training:
      self._update_losses_dict(
          self.loss_objs, features['audio'], outputs['audio_synth'])

    return outputs
