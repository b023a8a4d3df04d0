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

"""Inference-only models built from a training checkpoint.

`AutoencoderInference` re-reads a run's operative gin config, resizes the
synthesizers to a chosen length and restores the weights, ready to be
called or exported as a SavedModel. The `VST*` modules split a model into
the frame-by-frame pieces the DDSP VST plugin runs (feature extraction,
control prediction, synthesis of one hop).
"""

import inspect
from typing import NamedTuple

import ddsp
from ddsp import crepe_frontend
from ddsp import framing
from ddsp.features import frame_rates
from ddsp.training import checkpoints
from ddsp.training import gin_scope
from ddsp.training import models
from ddsp.training import preprocessing
from ddsp.training.playback import vst_contract
import gin
import tensorflow as tf
import tf_keras as tfk


def parse_operative_config(ckpt_dir):
  """Parses the latest operative config of a run (unknown names skipped).

  Returns:
    The path of the parsed gin file.
  """
  with gin.unlock_config():
    operative_config = checkpoints.get_latest_operative_config(ckpt_dir)
    print(f'Using operative config {operative_config}')
    gin.parse_config_file(operative_config, skip_unknown=True)
  return operative_config


# Preprocessors of the models inference feeds with f0 and a level in dB.
LOUDNESS_PREPROCESSORS = ('F0LoudnessPreprocessor',)
POWER_PREPROCESSORS = ('F0PowerPreprocessor', 'OnlineF0PowerPreprocessor')
# Those that do not resample: their frames are `frame_rate` apart.
_FRAME_RATE_PREPROCESSORS = ('OnlineF0PowerPreprocessor',)


def _preprocessor_type():
  """Last name of the `Autoencoder.preprocessor` reference (e.g. F0Loud...)."""
  ref = gin.query_parameter('Autoencoder.preprocessor')
  return ref.selector.split('.')[-1]


def db_key_of(preprocessor_type, gin_file=None):
  """The level feature a preprocessor takes: 'loudness_db' or 'power_db'.

  Args:
    preprocessor_type: Class name, e.g. 'F0LoudnessPreprocessor'.
    gin_file: Operative config it comes from (named in the error).

  Raises:
    ValueError: a preprocessor that takes neither loudness nor power.
  """
  if preprocessor_type in LOUDNESS_PREPROCESSORS:
    return 'loudness_db'
  if preprocessor_type in POWER_PREPROCESSORS:
    return 'power_db'
  source = f' in {gin_file}' if gin_file else ''
  raise ValueError(
      f'Autoencoder.preprocessor{source} is {preprocessor_type}, which takes '
      'neither loudness nor power: inference feeds a model f0 and loudness '
      f'({", ".join(LOUDNESS_PREPROCESSORS)}) or f0 and power '
      f'({", ".join(POWER_PREPROCESSORS)}). Train the model with one of '
      'those preprocessors (e.g. models/solo_instrument.gin or '
      'models/vst/vst.gin).')


class ModelRates(NamedTuple):
  """Rates of a trained autoencoder, read from its operative config."""
  preprocessor_type: str  # e.g. 'F0LoudnessPreprocessor'.
  sample_rate: int
  hop_size: int  # Audio samples per frame.

  @property
  def frame_rate(self) -> float:
    return frame_rates.frame_rate_of(self.sample_rate, self.hop_size)


def _query_value(name):
  """gin.query_parameter(name), with a `%macro` value resolved to its value."""
  value = gin.query_parameter(name)
  if isinstance(value, gin.config.ConfigurableReference):
    value = value.scoped_configurable_fn()
  return value


def _preprocessor_param(preprocessor_type, name):
  """A preprocessor's parameter: its binding, else the class's default."""
  try:
    return _query_value(f'{preprocessor_type}.{name}')
  except ValueError:
    cls = getattr(preprocessing, preprocessor_type)
    return inspect.signature(cls).parameters[name].default


def _hop_from_time_steps(preprocessor_type, gin_file):
  """Harmonic.n_samples // <preprocessor>.time_steps (resampling ones)."""
  n_samples = _query_value('Harmonic.n_samples')
  time_steps = _preprocessor_param(preprocessor_type, 'time_steps')
  if n_samples % time_steps:
    raise ValueError(
        f'Harmonic.n_samples ({n_samples}) is not a multiple of '
        f'{preprocessor_type}.time_steps ({time_steps}) in {gin_file}: the '
        'model\'s frames are not a whole number of samples apart. Train with '
        'a frame rate that divides the sample rate (e.g. 100 frames/s at '
        '44.1 kHz).')
  return n_samples // time_steps


def _hop_from_frame_rate(preprocessor_type, sample_rate, gin_file):
  """Harmonic.sample_rate / <preprocessor>.frame_rate (no resampling)."""
  frame_rate = _preprocessor_param(preprocessor_type, 'frame_rate')
  if sample_rate % frame_rate:
    raise ValueError(
        f'Harmonic.sample_rate ({sample_rate}) is not a multiple of '
        f'{preprocessor_type}.frame_rate ({frame_rate}) in {gin_file}: the '
        'model\'s frames are not a whole number of samples apart. Train with '
        'a frame rate that divides the sample rate (e.g. 50 frames/s).')
  return framing.floor_hop(sample_rate, frame_rate)


def model_rates(gin_file=None) -> ModelRates:
  """Rates of the parsed operative config (`parse_operative_config`).

  The hop is the training samples per frame: Harmonic.n_samples //
  <preprocessor>.time_steps for the preprocessors that resample to
  `time_steps` frames (F0Loudness, F0Power), Harmonic.sample_rate //
  <preprocessor>.frame_rate for OnlineF0PowerPreprocessor, whose frames
  are the audio's (models/vst/vst.gin).

  Args:
    gin_file: The parsed operative config (named in errors).

  Returns:
    ModelRates.

  Raises:
    ValueError: the preprocessor takes neither loudness nor power, or the
      training frames are not a whole number of samples apart (synthesis
      would drift against the audio).
  """
  gin_file = gin_file or 'the operative config'
  preprocessor_type = _preprocessor_type()
  db_key_of(preprocessor_type, gin_file)
  sample_rate = _query_value('Harmonic.sample_rate')
  if preprocessor_type in _FRAME_RATE_PREPROCESSORS:
    hop_size = _hop_from_frame_rate(preprocessor_type, sample_rate, gin_file)
  else:
    hop_size = _hop_from_time_steps(preprocessor_type, gin_file)
  return ModelRates(preprocessor_type, sample_rate, hop_size)


class PowerFeature(NamedTuple):
  """How a power model computed its power in training, on 16 kHz audio."""
  frame_size: int  # Samples at 16 kHz.
  padding: str  # 'center', 'same' or 'valid' (`ddsp.framing`).


def power_feature(preprocessor_type) -> PowerFeature:
  """PowerFeature of a power preprocessor in the parsed operative config.

  OnlineF0PowerPreprocessor computes power at 16 kHz with its frame_size and
  padding; F0PowerPreprocessor on the audio at its sample_rate, centred,
  here over the same duration of the 16 kHz audio.
  """
  param = lambda name: _preprocessor_param(preprocessor_type, name)
  if preprocessor_type in _FRAME_RATE_PREPROCESSORS:
    return PowerFeature(param('frame_size'), param('padding'))
  sample_rate = param('sample_rate')
  return PowerFeature(
      param('frame_size') * crepe_frontend.SAMPLE_RATE // sample_rate,
      'center')


def _no_reverb_dag():
  """Gin text of a ProcessorGroup dag without the reverb."""
  return ("ProcessorGroup.dag = ["
          "(@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),"
          "(@synths.FilteredNoise(), ['noise_magnitudes']),"
          "(@processors.Add(), ['filtered_noise/signal', 'harmonic/signal'])"
          "]")


def _flatten_outputs(outputs, prefix=''):
  """Nested dict of tensors -> flat dict, names joined with '__'."""
  flat = {}
  for key, value in outputs.items():
    name = f'{prefix}{key}'
    if isinstance(value, dict):
      if key == 'inputs':
        continue  # Echo of the top-level inputs.
      flat.update(_flatten_outputs(value, name + '__'))
    elif isinstance(value, tf.Tensor):
      flat[name] = value
  return flat


@gin.configurable
class AutoencoderInference(models.Autoencoder):
  """Autoencoder restored from a checkpoint, resized to `length_seconds`."""

  def __init__(self,
               ckpt,
               length_seconds=4,
               remove_reverb=True,
               verbose=True,
               gin_params=(),
               **kwargs):
    """Builds the model of a checkpoint in a gin configuration of its own.

    Args:
      ckpt: Checkpoint prefix or folder (with its operative config).
      length_seconds: Length the model synthesises.
      remove_reverb: Leave the reverb out of the processor group.
      verbose: Log what is restored.
      gin_params: Gin bindings parsed before the operative config.
      **kwargs: Autoencoder arguments.
    """
    self.length_seconds = length_seconds
    self.remove_reverb = remove_reverb
    with gin_scope.isolated(gin_params) as scope:
      self.configure_gin(ckpt)
      super().__init__(**kwargs)
      self.restore(ckpt, verbose=verbose)
    self._gin_config = scope.config
    self.build_network()

  @property
  def gin_config(self):
    """The model's own gin configuration (`gin_scope.GinConfig`).

    Entered around everything that traces the model, so that other models
    and training runs in the process neither see nor change it.
    """
    return self._gin_config

  def __call__(self, *args, **kwargs):
    with self.gin_config.active():
      return super().__call__(*args, **kwargs)

  def configure_gin(self, ckpt):
    """Binds lengths for `length_seconds` and the inference options.

    n_frames = int(length_seconds * sample_rate / hop), hop = the training
    samples per frame; n_samples = n_frames * hop.
    """
    self.gin_file = parse_operative_config(ckpt)
    rates = model_rates(self.gin_file)
    self.preprocessor_type = rates.preprocessor_type
    self.sample_rate = rates.sample_rate
    self.hop_size = rates.hop_size
    self.power_feature = (power_feature(self.preprocessor_type)
                          if self.db_key == 'power_db' else None)
    self.n_frames = self.length_in_frames()
    self.n_samples = self.n_frames * self.hop_size
    with gin.unlock_config():
      gin.bind_parameter('Harmonic.n_samples', self.n_samples)
      gin.bind_parameter('FilteredNoise.n_samples', self.n_samples)
      self._bind_preprocessor()
      gin.bind_parameter('oscillator_bank.use_angular_cumsum', True)
      if self.remove_reverb:
        gin.parse_config(_no_reverb_dag())

  def _bind_preprocessor(self):
    """A preprocessor that takes the features `n_frames` long, not audio."""
    if self.preprocessor_type == 'OnlineF0PowerPreprocessor':
      # It computes power from audio and has no weights: inference gives
      # f0 and power, which F0PowerPreprocessor scales the same way.
      gin.parse_config(
          'Autoencoder.preprocessor = @preprocessing.F0PowerPreprocessor()')
      gin.bind_parameter('F0PowerPreprocessor.time_steps', self.n_frames)
      return
    gin.bind_parameter(f'{self.preprocessor_type}.time_steps', self.n_frames)
    if self.preprocessor_type == 'F0LoudnessPreprocessor':
      # Inference receives loudness, not audio. The original leaves
      # compute_loudness=True from training and then crashes in
      # build_network (no audio); we use the given loudness (fixed crash).
      gin.bind_parameter('F0LoudnessPreprocessor.compute_loudness', False)

  def length_in_frames(self):
    """Frames the model synthesises: `length_seconds`, rounded down.

    Called once the operative config is parsed (`sample_rate` and
    `hop_size` set); subclasses choose their length here.
    """
    return int(self.length_seconds * self.sample_rate / self.hop_size)

  def save_model(self, save_dir):
    """Saves a SavedModel (Keras format) to `save_dir`.

    The `serving_default` signature takes `f0_hz` and the loudness (or
    power) `[n_frames]` and returns every output tensor, nested names joined
    with '__' (e.g. `harmonic__controls__amplitudes`, `audio_synth`). The
    `controls` signature takes the same inputs and returns only the decoder
    outputs and synthesizer controls (`synth_controls`): it needs no FFT, so
    its TFLite subgraph runs with builtin ops alone.
    """
    specs = {'f0_hz': tf.TensorSpec([self.n_frames], tf.float32, 'f0_hz'),
             self.db_key: tf.TensorSpec([self.n_frames], tf.float32,
                                        self.db_key)}

    @tf.function(input_signature=[specs])
    def serving(inputs):
      return _flatten_outputs(self(inputs))

    @tf.function(input_signature=[specs])
    def controls(inputs):
      return _flatten_outputs(self.synth_controls(inputs))

    with self.gin_config.active():
      self.save(save_dir, signatures={'serving_default': serving,
                                      'controls': controls})

  @property
  def db_key(self):
    """'loudness_db' or 'power_db': the level feature the model takes."""
    return db_key_of(self.preprocessor_type)

  def build_network(self):
    """Runs zero features through the model to create its variables."""
    self({self.db_key: tf.zeros([self.n_frames]),
          'f0_hz': tf.zeros([self.n_frames])})

  @tf.function
  def call(self, inputs, **unused_kwargs):
    """Synthesizes from {'f0_hz': [n_frames], db_key: [n_frames]}."""
    input_dict = dict(inputs)
    return super().call(input_dict, training=False)

  def synth_controls(self, inputs):
    """Controls without synthesis: {'f0_hz', db_key} -> dict.

    Holds the preprocessor and decoder outputs (e.g. 'amps',
    'harmonic_distribution', 'noise_magnitudes') and, for every dag node fed
    by those alone (the synthesizers), {node: {'controls': get_controls(...)}},
    the same values `call` returns under those keys.
    """
    with self.gin_config.active():
      return self._synth_controls(inputs)

  @tf.function
  def _synth_controls(self, inputs):
    """`synth_controls`, traced."""
    features = self.encode(dict(inputs), training=False)
    features.update(self.decoder(features, training=False))
    outputs = dict(features)
    group = self.processor_group
    for node in group.dag:
      module_key, input_keys = node[0], node[1]
      try:
        node_inputs = [ddsp.core.nested_lookup(k, features) for k in input_keys]
      except KeyError:
        continue  # Fed by another node's signal (e.g. Add, Reverb).
      module = group.get_module(module_key)
      outputs[module_key] = {'controls': module.get_controls(*node_inputs)}
    return outputs


class StreamingF0PwInference(AutoencoderInference):
  """One-frame-at-a-time autoencoder (`ddsp_export` default model).

  The original's `ddsp_export` names `streaming_f0_pw` as its default
  inference model but does not define it (KeyError). Here it
  is an AutoencoderInference whose length is a single frame, without reverb.
  """

  def __init__(self, ckpt, verbose=True, **kwargs):
    # The length is one frame (`length_in_frames`), not a duration.
    super().__init__(ckpt, length_seconds=None, remove_reverb=True,
                     verbose=verbose, **kwargs)

  def length_in_frames(self):
    return 1


# ------------------------------------------------------------------------------
# Modules for the DDSP VST plugin.
# ------------------------------------------------------------------------------
class VSTBaseModule(models.Autoencoder):
  """Base for the VST modules: reads the frame/sample rates from gin."""

  def __init__(self, ckpt, verbose=False, gin_params=(), **kwargs):
    with gin_scope.isolated(gin_params) as scope:
      self.parse_gin(ckpt)
      self.configure_gin()
      super().__init__(**kwargs)
      self.restore(ckpt, verbose=verbose, restore_keys=['decoder'])
    self._gin_config = scope.config
    with self.gin_config.active():
      self.build_network()

  gin_config = AutoencoderInference.gin_config

  def parse_gin(self, ckpt):
    """Reads sizes from the operative config (VST configs define macros)."""
    with gin.unlock_config():
      parse_operative_config(ckpt)
      vst_contract.require_vst_config(ckpt, type(self).__name__)
      self.frame_size = gin.query_parameter('%frame_size')
      self.frame_rate = gin.query_parameter('%frame_rate')
      self.sample_rate = gin.query_parameter('%sample_rate')
      self.hop_size = framing.floor_hop(self.sample_rate, self.frame_rate)
      splits = dict(gin.query_parameter('RnnFcDecoder.output_splits'))
      self.n_harmonics = splits['harmonic_distribution']
      self.n_noise = splits['noise_magnitudes']
      self.state_size = gin.query_parameter('RnnFcDecoder.rnn_channels')
      self.resample_method = gin.query_parameter(
          'Harmonic.amp_resample_method')

  def configure_gin(self):
    """Extra bindings of a subclass (none by default)."""

  def save_model(self, save_dir):
    with self.gin_config.active():
      tf.saved_model.save(self, save_dir, signatures=self._signatures)

  def input_specs(self):
    """TensorSpecs of `call`'s arguments (subclasses)."""
    return []

  @property
  def _signatures(self):
    """`call` (TFLite input names `call_<arg>:0`, as the DDSP-VST plugin
    looks them up) and the same function as `serving_default` (TF.js)."""
    fn = self.call.get_concrete_function(*self.input_specs())
    return {'call': fn, 'serving_default': fn}

  def build_network(self):
    """Traces the call once (subclasses)."""


class VSTExtractFeatures(VSTBaseModule):
  """One frame of audio -> f0 and power (scaled and unscaled)."""

  def __init__(self, ckpt, crepe_saved_model_path=None, **kwargs):
    self.crepe_saved_model_path = crepe_saved_model_path
    super().__init__(ckpt, **kwargs)

  def configure_gin(self):
    with gin.unlock_config():
      gin.bind_parameter('OnlineF0PowerPreprocessor.padding', 'valid')
      gin.bind_parameter('OnlineF0PowerPreprocessor.compute_f0', True)
      gin.bind_parameter('OnlineF0PowerPreprocessor.compute_power', True)
      gin.bind_parameter('OnlineF0PowerPreprocessor.viterbi', False)
      if self.crepe_saved_model_path is not None:
        gin.bind_parameter(
            'OnlineF0PowerPreprocessor.crepe_saved_model_path',
            self.crepe_saved_model_path)

  def input_specs(self):
    return [tf.TensorSpec([self.frame_size], tf.float32, name='audio')]

  def build_network(self):
    self.call(tf.zeros([self.frame_size]))

  @tf.function
  def call(self, audio):
    """audio [frame_size] -> (f0_hz, f0_scaled, pw_db, pw_scaled) scalars."""
    outputs = self.preprocessor({'audio': audio[tf.newaxis, :]})
    return (tf.reshape(outputs['f0_hz'], []),
            tf.reshape(outputs['f0_scaled'], []),
            tf.reshape(outputs['pw_db'], []),
            tf.reshape(outputs['pw_scaled'], []))


class VSTPredictControls(VSTBaseModule):
  """Scaled f0 and power of one frame -> synthesizer controls."""

  def input_specs(self):
    return [tf.TensorSpec([1], tf.float32, name='f0_scaled'),
            tf.TensorSpec([1], tf.float32, name='pw_scaled')]

  def build_network(self):
    self.call(tf.zeros([1]), tf.zeros([1]))

  def _controls(self, outputs, f0_hz):
    """Harmonic and noise controls from raw decoder outputs [1, 1, ch]."""
    pg = self.processor_group
    harm = pg.harmonic.get_controls(outputs['amps'],
                                    outputs['harmonic_distribution'], f0_hz)
    noise = pg.filtered_noise.get_controls(outputs['noise_magnitudes'])
    return (tf.reshape(harm['amplitudes'], [1]),
            tf.reshape(harm['harmonic_distribution'], [self.n_harmonics]),
            tf.reshape(noise['magnitudes'], [self.n_noise]))

  @tf.function
  def call(self, f0_scaled, pw_scaled):
    """[1], [1] -> (amps [1], hd [n_harmonics], noise [n_noise])."""
    f0_scaled = tf.reshape(f0_scaled, [1, 1, 1])
    pw_scaled = tf.reshape(pw_scaled, [1, 1, 1])
    f0_hz = preprocessing.inv_scale_f0_hz(f0_scaled)
    outputs = self.decoder({'f0_scaled': f0_scaled, 'pw_scaled': pw_scaled})
    return self._controls(outputs, f0_hz)


class VSTStatelessPredictControls(VSTPredictControls):
  """Like VSTPredictControls with the RNN state passed in and out."""

  def configure_gin(self):
    with gin.unlock_config():
      gin.bind_parameter('RnnFcDecoder.stateless', True)

  def input_specs(self):
    return super().input_specs() + [
        tf.TensorSpec([self.state_size], tf.float32, name='state')]

  def build_network(self):
    self.call(tf.zeros([1]), tf.zeros([1]), tf.zeros([self.state_size]))

  @tf.function
  def call(self, f0_scaled, pw_scaled, state):
    """-> (amps [1], hd [n_harmonics], noise [n_noise], state [size])."""
    f0_scaled = tf.reshape(f0_scaled, [1, 1, 1])
    pw_scaled = tf.reshape(pw_scaled, [1, 1, 1])
    f0_hz = preprocessing.inv_scale_f0_hz(f0_scaled)
    outputs = self.decoder({'f0_scaled': f0_scaled, 'pw_scaled': pw_scaled,
                            'state': state[tf.newaxis, :]})
    amps, hd, noise = self._controls(outputs, f0_hz)
    return amps, hd, noise, tf.reshape(outputs['state'], [self.state_size])


def _vst_parse_gin(module, ckpt):
  """Reads the VST sizes into `module` (shared by the synth modules)."""
  VSTBaseModule.parse_gin(module, ckpt)
  with gin.unlock_config():
    gin.bind_parameter('harmonic_oscillator_bank.use_angular_cumsum', True)


@gin.configurable
class VSTSynthesize(tfk.Model):
  """Synthesizes one hop from the previous and current frame controls."""

  def __init__(self, ckpt, new_hop_size=None, gin_params=(), **kwargs):
    super().__init__(**kwargs)
    with gin_scope.isolated(gin_params) as scope:
      _vst_parse_gin(self, ckpt)
      self.hop_size = new_hop_size if new_hop_size else self.hop_size
      self.filtered_noise = ddsp.synths.FilteredNoise(
          n_samples=self.hop_size,
          window_size=gin.query_parameter('FilteredNoise.window_size'))
    self._gin_config = scope.config
    with self.gin_config.active():
      self.build_network()

  gin_config = AutoencoderInference.gin_config

  def save_model(self, save_dir):
    with self.gin_config.active():
      fn = self.call.get_concrete_function(*self.input_specs())
      tf.saved_model.save(self, save_dir, signatures={'serving_default': fn})

  def input_specs(self):
    h, n = self.n_harmonics, self.n_noise
    names_shapes = [('amps', 1), ('prev_amps', 1), ('hd', h), ('prev_hd', h),
                    ('f0', 1), ('prev_f0', 1), ('noise', n),
                    ('prev_phase', 1)]
    return [tf.TensorSpec([k], tf.float32, name=name)
            for name, k in names_shapes]

  def build_network(self):
    self.call(*[tf.zeros(s.shape) for s in self.input_specs()])

  def _harmonic(self, amps, prev_amps, hd, prev_hd, f0, prev_f0, prev_phase):
    """Two-frame harmonic synthesis: ([1, hop], final phase [1, 1, 1])."""
    def two_frames(prev, cur):
      return tf.stack([prev, cur], axis=0)[tf.newaxis, ...]  # [1, 2, ch]
    return ddsp.core.streaming_harmonic_synthesis(
        frequencies=two_frames(prev_f0, f0),
        amplitudes=two_frames(prev_amps, amps),
        harmonic_distribution=two_frames(prev_hd, hd),
        initial_phase=tf.reshape(prev_phase, [1, 1, 1]),
        n_samples=self.hop_size,
        sample_rate=self.sample_rate,
        amp_resample_method=self.resample_method)

  def _noise(self, noise):
    """Filtered noise [1, hop] from two copies of the magnitudes."""
    mags = tf.stack([noise, noise], axis=0)[tf.newaxis, ...]
    return self.filtered_noise.get_signal(mags)

  @tf.function
  def call(self, amps, prev_amps, hd, prev_hd, f0, prev_f0, noise,
           prev_phase):
    """-> (audio [hop_size], final_phase scalar)."""
    harm, phase = self._harmonic(amps, prev_amps, hd, prev_hd, f0, prev_f0,
                                 prev_phase)
    audio = harm + self._noise(noise)
    return tf.reshape(audio, [self.hop_size]), tf.reshape(phase, [])


@gin.configurable
class VSTSynthesizeHarmonic(VSTSynthesize):
  """VSTSynthesize without the noise."""

  def input_specs(self):
    specs = super().input_specs()
    return specs[:6] + specs[7:]  # No noise.

  @tf.function
  def call(self, amps, prev_amps, hd, prev_hd, f0, prev_f0, prev_phase):
    harm, phase = self._harmonic(amps, prev_amps, hd, prev_hd, f0, prev_f0,
                                 prev_phase)
    return tf.reshape(harm, [self.hop_size]), tf.reshape(phase, [])


@gin.configurable
class VSTSynthesizeNoise(VSTSynthesize):
  """Filtered noise of one hop."""

  def input_specs(self):
    return [tf.TensorSpec([self.n_noise], tf.float32, name='noise')]

  @tf.function
  def call(self, noise):
    return tf.reshape(self._noise(noise), [self.hop_size])
