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

"""Decoders: conditioning features -> synthesizer controls."""

from ddsp import core
from ddsp.training import nn
import gin
import tensorflow as tf
import tf_keras as tfk

tfkl = tfk.layers


@gin.register
class RnnFcDecoder(nn.DictLayer):
  """One FcStack per input, an RNN over them, then an FcStack and Dense.

  Layout (checkpoint names): input_stacks[i] -> rnn -> out_stack -> dense_out.
  """

  def __init__(self,
               rnn_channels=512,
               rnn_type='gru',
               ch=512,
               layers_per_stack=3,
               stateless=False,
               input_keys=('ld_scaled', 'f0_scaled', 'z'),
               output_splits=(('amps', 1), ('harmonic_distribution', 40)),
               **kwargs):
    """Constructor.

    Args:
      rnn_channels: RNN width.
      rnn_type: 'gru' or 'lstm'.
      ch: Width of the Fc layers.
      layers_per_stack: Fc layers per stack (0 makes the stacks identities).
      stateless: Take the RNN state as the input 'state' and return the new
        state as output 'state' (for streaming).
      input_keys: Feature keys, each gets its own input stack.
      output_splits: ((name, size), ...) of the output Dense layer.
      **kwargs: Keras layer arguments.
    """
    self.stateless = stateless
    self.output_splits = output_splits
    input_keys = list(input_keys)
    output_keys = [v[0] for v in output_splits]
    if self.stateless:
      input_keys.append('state')
      output_keys.append('state')
    super().__init__(input_keys=input_keys, output_keys=output_keys,
                     **kwargs)

    def stack():
      return nn.FcStack(ch, layers_per_stack)

    n_stacks = len([k for k in input_keys if k != 'state'])
    self.input_stacks = [stack() for _ in range(n_stacks)]
    if self.stateless:
      self.rnn = nn.StatelessRnn(rnn_channels, rnn_type)
    else:
      self.rnn = nn.Rnn(rnn_channels, rnn_type)
    self.out_stack = stack()

    n_out = sum([v[1] for v in output_splits])
    self.dense_out = tfkl.Dense(n_out)

  def call(self, *inputs):
    """Inputs [B, T, C_i] (and state [B, rnn_channels]) -> split outputs."""
    if self.stateless:
      inputs, state = inputs[:-1], inputs[-1]
    inputs = [core.tf_float32(x) for x in inputs]

    # Initial processing of each input.
    inputs = [stack(x) for stack, x in zip(self.input_stacks, inputs)]

    # Run an RNN over the latents.
    x = tf.concat(inputs, axis=-1)
    if self.stateless:
      x, new_state = self.rnn(x, state)
    else:
      x = self.rnn(x)
    x = tf.concat(inputs + [x], axis=-1)

    # Final processing.
    x = self.out_stack(x)
    x = self.dense_out(x)
    outputs = nn.split_to_dict(x, self.output_splits)
    if self.stateless:
      outputs['state'] = new_state
    return outputs


@gin.register
class MidiDecoder(nn.DictLayer):
  """(z_pitch[, z]) -> (f0_midi, loudness)."""

  def __init__(self, net=None, f0_residual=True, center_loudness=True,
               norm=True, **kwargs):
    super().__init__(**kwargs)
    self.net = net
    self.f0_residual = f0_residual
    self.center_loudness = center_loudness
    self.dense_out = tfkl.Dense(2)
    self.norm = nn.Normalize('layer') if norm else None

  def call(self, z_pitch, z_vel=None, z=None) -> ['f0_midi', 'loudness']:
    del z_vel  # Unused, as in the original.
    x = self.net(z_pitch) if z is None else self.net([z_pitch, z])
    if self.norm is not None:
      x = self.norm(x)
    x = self.dense_out(x)
    f0_midi = x[..., 0:1]
    loudness = x[..., 1:2]
    if self.f0_residual:
      f0_midi += z_pitch
    if self.center_loudness:
      # Network output around 0 -> loudness around -70 dB.
      loudness = loudness * 30.0 - 70.0
    return f0_midi, loudness


@gin.register
class MidiToHarmonicDecoder(nn.DictLayer):
  """(z_pitch[, z_vel, z]) -> f0 and harmonic/noise synthesizer controls."""

  def __init__(self,
               net=None,
               f0_residual=True,
               norm=True,
               output_splits=(('f0_midi', 1),
                              ('amplitudes', 1),
                              ('harmonic_distribution', 60),
                              ('magnitudes', 65)),
               midi_zero_silence=True,
               **kwargs):
    self.output_splits = output_splits
    self.n_out = sum([v[1] for v in output_splits])
    output_keys = [v[0] for v in output_splits] + ['f0_hz']
    super().__init__(output_keys=output_keys, **kwargs)
    self.net = net
    self.f0_residual = f0_residual
    self.dense_out = tfkl.Dense(self.n_out)
    self.norm = nn.Normalize('layer') if norm else None
    self.midi_zero_silence = midi_zero_silence

  def call(self, z_pitch, z_vel=None, z=None):
    del z_vel  # Unused, as in the original.
    x = self.net(z_pitch) if z is None else self.net([z_pitch, z])
    if self.norm is not None:
      x = self.norm(x)
    x = self.dense_out(x)
    outputs = nn.split_to_dict(x, self.output_splits)
    if self.f0_residual:
      outputs['f0_midi'] += z_pitch
    outputs['f0_hz'] = core.midi_to_hz(outputs['f0_midi'],
                                       midi_zero_silence=self.midi_zero_silence)
    return outputs


@gin.register
class DilatedConvDecoder(nn.OutputSplitsLayer):
  """WaveNet-style dilated convolution stack, optionally conditioned on z."""

  def __init__(self,
               ch=256,
               kernel_size=3,
               layers_per_stack=5,
               stacks=2,
               dilation=2,
               norm_type='layer',
               resample_stride=1,
               stacks_per_resample=1,
               resample_after_convolve=True,
               input_keys=('ld_scaled', 'f0_scaled'),
               output_splits=(('amps', 1), ('harmonic_distribution', 60)),
               conditioning_keys=('z'),
               precondition_stack=None,
               spectral_norm=False,
               ortho_init=False,
               **kwargs):
    # The default ('z') is the string 'z': one string is one key. (The
    # original applied list() to it, which split a longer name such as
    # 'z_notes' into characters and then failed to find them.)
    if isinstance(conditioning_keys, str):
      conditioning_keys = [conditioning_keys]
    self.conditioning_keys = ([] if conditioning_keys is None else
                              list(conditioning_keys))
    input_keys = list(input_keys) + self.conditioning_keys
    self.n_conditioning = len(self.conditioning_keys)
    self.conditional = bool(self.conditioning_keys)
    if not self.conditional and precondition_stack is not None:
      raise ValueError('You must specify conditioning_keys to use a '
                       'precondition_stack.')

    super().__init__(input_keys=input_keys, output_splits=output_splits,
                     **kwargs)

    self.precondition_stack = precondition_stack
    self.dilated_conv_stack = nn.DilatedConvStack(
        ch=ch,
        kernel_size=kernel_size,
        layers_per_stack=layers_per_stack,
        stacks=stacks,
        dilation=dilation,
        norm_type=norm_type,
        resample_type='upsample' if resample_stride > 1 else None,
        resample_stride=resample_stride,
        stacks_per_resample=stacks_per_resample,
        resample_after_convolve=resample_after_convolve,
        conditional=self.conditional,
        spectral_norm=spectral_norm,
        ortho_init=ortho_init)

  def _parse_inputs(self, inputs):
    """Splits inputs into (x, z): non-conditioning and conditioning parts."""
    n_inputs = len(inputs)
    n_x = n_inputs - self.n_conditioning
    x = tf.concat(inputs[:n_x], axis=-1)
    z = tf.concat(inputs[n_x:], axis=-1)
    if self.precondition_stack is not None:
      z = self.precondition_stack(z)
    return [x, z]

  def compute_output(self, *inputs):
    stack_inputs = (self._parse_inputs(inputs) if self.conditional else
                    tf.concat(inputs, axis=-1))
    return self.dilated_conv_stack(stack_inputs)
