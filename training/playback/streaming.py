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

"""Stateful streaming synthesis with a trained autoencoder.

`StreamingSynthesizer` runs a restored `inference.AutoencoderInference` on
blocks of frames of any length and carries, from one block to the next:

* the decoder's GRU state (the GRU runs each block from the state the
  previous block ended in);
* the oscillator phase and the last frame of controls (`ddsp.streaming_dsp`
  renders the samples between two frames once both are known: one frame of
  latency, made up by `flush` at the end);
* the filtered-noise overlap-add tail, the reverb tail and the samples a
  Crop at the end of the stream will drop.

So the concatenated output of a stream is the model's whole-sequence output
whatever the block lengths, up to float32 round-off in the decoder and the
noise generator (seed it to make the noise repeat too).

Voices: an engine of `n_voices` plays that many streams of one model at
once (the notes of a polyphonic part), as one batch through the decoder:
the GRU state is [n_voices, units], each voice has its own oscillator and
noise; the dry voices are summed, then reverberated and cropped once (both
are linear, so this is the sum of the voices' outputs).

The engine understands the processor group of the DDSP autoencoders:
Harmonic + FilteredNoise -> Add [-> Reverb (trainable IR, also the
FilteredNoiseReverb of models/vst/vst.gin, its IR drawn once)] [-> Crop],
an RnnFcDecoder with a GRU, no encoder, and an F0Loudness / F0Power
preprocessor (`inference` gives models trained with OnlineF0Power one that
takes the power instead of audio). `unsupported_reason` says why another
model is not.

From a checkpoint: `blocks.BlockSynthesizer(ckpt).engine`, or
`StreamingSynthesizer(model)` around any restored AutoencoderInference.
"""

from typing import Dict, List, NamedTuple, Optional

from ddsp import core
from ddsp import effects
from ddsp import processors
from ddsp import streaming_dsp
from ddsp import synths
from ddsp.features import frame_rates
from ddsp.training import decoders
from ddsp.training import gin_scope
from ddsp.training import nn
from ddsp.training import preprocessing
import numpy as np
import tensorflow as tf

# Parts of the output of `process` and `flush`.
PARTS = ('harmonic', 'noise', 'audio')


class UnsupportedModelError(ValueError):
  """The model's layers are not ones the streaming engine can carry."""


# Deprecated name of UnsupportedModelError.
UnsupportedModel = UnsupportedModelError


def _dag_modules(group):
  """[(module, input_keys)] of a ProcessorGroup's dag."""
  return [(group.get_module(node[0]), list(node[1])) for node in group.dag]


class _Layout(NamedTuple):
  """The nodes of a processor group the engine runs."""
  harmonic: synths.Harmonic
  harmonic_keys: List[str]
  noise: synths.FilteredNoise
  noise_keys: List[str]
  reverb: Optional[effects.Reverb]
  crop: Optional[processors.Crop]


def _synth_layout(group) -> _Layout:
  """Harmonic, FilteredNoise, optional Reverb and Crop of a group, checked.

  Raises:
    UnsupportedModelError: the dag is not Harmonic, FilteredNoise, Add of their
      signals [, Reverb of the sum with a trainable IR] [, Crop of the last
      signal].
  """
  nodes = _dag_modules(group)
  kinds = [type(m) for m, _ in nodes]
  if not 3 <= len(nodes) <= 5:
    raise UnsupportedModelError(
        f'processor group of {len(nodes)} nodes {kinds}')
  by_type = {}
  for module, keys in nodes[:2]:
    by_type[type(module)] = (module, keys)
  harmonic = by_type.get(synths.Harmonic)
  noise = by_type.get(synths.FilteredNoise)
  add_module, add_keys = nodes[2]
  if harmonic is None or noise is None or type(add_module) is not (
      processors.Add):
    raise UnsupportedModelError(f'processor group {kinds}, not Harmonic, '
                                'FilteredNoise, Add[, Reverb][, Crop]')
  signals = {f'{harmonic[0].name}/signal', f'{noise[0].name}/signal'}
  if set(add_keys) != signals:
    raise UnsupportedModelError(
        f'Add of {add_keys}, not of {sorted(signals)}')
  tail = nodes[3:]
  reverb = _tail_reverb(tail, add_module)
  if reverb is None:
    crop = _tail_crop(tail, add_module)
  else:
    crop = _tail_crop(tail[1:], reverb)
  return _Layout(harmonic[0], harmonic[1], noise[0], noise[1], reverb, crop)


def _tail_reverb(tail, add_module):
  """The Reverb first after the Add (None if there is none)."""
  if not tail or type(tail[0][0]) is processors.Crop:
    return None
  reverb, reverb_keys = tail[0]
  if not (isinstance(reverb, effects.Reverb) and reverb.trainable and
          reverb_keys == [f'{add_module.name}/signal']):
    raise UnsupportedModelError(f'node {type(reverb).__name__} on '
                                f'{reverb_keys}, not a Reverb with a '
                                'trainable impulse response on the sum')
  return reverb


def _tail_crop(tail, previous):
  """The last node, a Crop of `previous`'s signal (None if none is left)."""
  if not tail:
    return None
  crop, crop_keys = tail[0]
  if len(tail) > 1 or type(crop) is not processors.Crop or crop_keys != [
      f'{previous.name}/signal']:
    raise UnsupportedModelError(
        f'nodes {[type(m).__name__ for m, _ in tail]} after '
        f'{type(previous).__name__}, not one Crop of {previous.name}/signal')
  _crop_amounts(crop)
  return crop


def _crop_amounts(crop):
  """(samples dropped at the start, at the end) by a processors.Crop.

  'front' crops 2 * (frame_size // 2) samples at the start, 'back' as many
  at the end, 'center' half of them at each end.
  """
  half = crop.frame_size // 2
  amounts = {'front': (2 * half, 0), 'back': (0, 2 * half),
             'center': (half, half)}
  if crop.crop_location not in amounts:
    raise UnsupportedModelError(f'Crop location {crop.crop_location!r}')
  return amounts[crop.crop_location]


def unsupported_reason(model) -> Optional[str]:
  """Why the engine cannot stream `model` (None when it can)."""
  try:
    _check_supported(model)
  except UnsupportedModelError as e:
    return str(e)
  return None


def _check_supported(model):
  """Raises UnsupportedModelError unless the engine knows every layer."""
  if getattr(model, 'encoder', None) is not None:
    raise UnsupportedModelError(f'encoder {type(model.encoder).__name__}')
  if type(model.preprocessor) not in (preprocessing.F0LoudnessPreprocessor,
                                      preprocessing.F0PowerPreprocessor):
    raise UnsupportedModelError(
        f'preprocessor {type(model.preprocessor).__name__}')
  decoder = model.decoder
  if type(decoder) is not decoders.RnnFcDecoder or decoder.stateless:
    raise UnsupportedModelError(f'decoder {type(decoder).__name__}')
  if decoder.rnn.rnn_type != 'gru' or decoder.rnn.bidir:
    kind = ('bidirectional ' if decoder.rnn.bidir else '') + (
        decoder.rnn.rnn_type.upper())
    raise UnsupportedModelError(
        f'decoder RNN {kind} (a single GRU is carried)')
  harmonic = _synth_layout(model.processor_group).harmonic
  if harmonic.amp_resample_method not in (
      streaming_dsp.HarmonicOscillator.METHODS):
    raise UnsupportedModelError(
        f'Harmonic.amp_resample_method {harmonic.amp_resample_method!r}')


def _scaled_features(preprocessor, f0_hz, db):
  """Preprocessor outputs of [voices, n] inputs, without resampling.

  The preprocessors resample to their fixed `time_steps`; a block has its
  own length, and resampling a length to itself is the identity, so only
  their scalings are applied here.
  """
  f0_hz, db = f0_hz[:, :, tf.newaxis], db[:, :, tf.newaxis]
  db_name = ('pw' if isinstance(preprocessor,
                                preprocessing.F0PowerPreprocessor) else 'ld')
  db_key = 'pw_db' if db_name == 'pw' else 'loudness_db'
  return {'f0_hz': f0_hz, db_key: db,
          'f0_scaled': preprocessing.scale_f0_hz(f0_hz),
          f'{db_name}_scaled': preprocessing.scale_db(db)}


def decode_with_state(decoder, features, state):
  """RnnFcDecoder outputs of a block, its GRU started from `state`.

  The layers of `RnnFcDecoder.call`, with the GRU called with an initial
  state; the GRU's output at the last frame is its final state.

  Args:
    decoder: decoders.RnnFcDecoder (not stateless) with a GRU.
    features: Dict holding the decoder's input keys, [batch, n_frames, 1]
      each (batch = voices).
    state: [batch, rnn_channels] GRU state before the first frame.

  Returns:
    (outputs dict of [batch, n_frames, size] by output split,
     final state [batch, rnn_channels]).
  """
  inputs = [core.tf_float32(features[k]) for k in decoder.input_keys]
  stacked = [stack(x) for stack, x in zip(decoder.input_stacks, inputs)]
  states = decoder.rnn(tf.concat(stacked, axis=-1), initial_state=state)
  x = tf.concat(stacked + [states], axis=-1)
  x = decoder.dense_out(decoder.out_stack(x))
  return nn.split_to_dict(x, decoder.output_splits), states[:, -1, :]


class StreamingSynthesizer:
  """Synthesises a stream of (f0, loudness) frames block by block.

  Usage: `process` blocks of frames in order, then `flush` once; `reset`
  starts a new stream. The outputs' concatenation is n_frames * hop_size
  samples at the model's rate.
  """

  def __init__(self, model, noise_seed: Optional[int] = None,
               jit_compile: bool = False, n_voices: int = 1):
    """Wraps a restored model.

    Args:
      model: inference.AutoencoderInference (built and restored), any
        length.
      noise_seed: Seed of the noise generator (None: fresh noise).
      jit_compile: Compile the decoder with XLA: 2-3x faster per block on
        CPU, but each new block length compiles for seconds, so it pays
        off for a stream of many blocks of one length (live use).
      n_voices: Streams played at once as one batch (voice v's noise is
        seeded noise_seed + v).

    Raises:
      UnsupportedModelError: the model has layers the engine cannot carry.
    """
    _check_supported(model)
    self.model = model
    self.sample_rate = int(model.sample_rate)
    self.hop_size = int(model.hop_size)
    self.db_key = model.db_key
    layout = _synth_layout(model.processor_group)
    self._harmonic, self._harmonic_keys = layout.harmonic, layout.harmonic_keys
    self._noise, self._noise_keys = layout.noise, layout.noise_keys
    self.n_voices = int(n_voices)
    if self.n_voices < 1:
      raise ValueError(f'n_voices must be >= 1, got {n_voices}.')
    self._state_size = int(model.decoder.rnn.units)
    self._state = tf.zeros([self.n_voices, self._state_size])
    self._block_controls = tf.function(self._block_controls_fn,
                                       reduce_retracing=True,
                                       autograph=False,
                                       jit_compile=jit_compile)
    self.oscillators = [streaming_dsp.HarmonicOscillator(
        self.sample_rate, self.hop_size, self._harmonic.amp_resample_method)
                        for _ in range(self.n_voices)]
    one_frame = tf.zeros([1, 1])
    with gin_scope.entered(model):
      ir_size = int(self._block_controls_fn(
          one_frame, one_frame, self._state[:1])[2].shape[-1])  # Eager.
    self.noises = [streaming_dsp.FilteredNoiseStream(
        self.hop_size, ir_size,
        None if noise_seed is None else noise_seed + v)
                   for v in range(self.n_voices)]
    # Voice 0 (the only one of a one-voice engine).
    self.oscillator, self.noise = self.oscillators[0], self.noises[0]
    self.reverb = None
    if layout.reverb is not None:
      ir = layout.reverb.get_controls(tf.zeros([1, self.hop_size]))['ir']
      self.reverb = streaming_dsp.ConvolutionReverb(
          np.asarray(ir).reshape([-1]), layout.reverb.add_dry)
    self.crop = None if layout.crop is None else CropStream(layout.crop)
    self.reset()

  @property
  def frame_rate(self) -> float:
    return frame_rates.frame_rate_of(self.sample_rate, self.hop_size)

  @property
  def crop_samples(self) -> int:
    """Samples the model's Crop removes: 'audio' of a stream of n frames
    is n * hop_size - crop_samples long."""
    return 0 if self.crop is None else self.crop.n_samples

  def reset(self):
    """Zero GRU state, zero phase, empty tails: a new stream."""
    self._state = tf.zeros([self.n_voices, self._state_size])
    for stage in self.oscillators + self.noises:
      stage.reset()
    for stage in (self.reverb, self.crop):
      if stage is not None:
        stage.reset()
    self._pending = {'harmonic': np.zeros([0], np.float32),
                     'noise': np.zeros([0], np.float32)}

  def _block_controls_fn(self, f0_hz, db, state):
    """[V, n] features -> harmonic amplitudes, f0, noise IRs, next state."""
    features = _scaled_features(self.model.preprocessor, f0_hz, db)
    outputs, next_state = decode_with_state(self.model.decoder, features,
                                            state)
    features.update(outputs)
    harm = self._harmonic.get_controls(
        *[core.nested_lookup(k, features) for k in self._harmonic_keys])
    noise = self._noise.get_controls(
        *[core.nested_lookup(k, features) for k in self._noise_keys])
    irs = core.frequency_impulse_response(noise['magnitudes'],
                                          self._noise.window_size)
    amps = harm['amplitudes'] * harm['harmonic_distribution']
    return amps, harm['f0_hz'][:, :, 0], irs, next_state

  def _controls(self, f0_hz, db):
    """[V, n] -> numpy (amplitudes [V, n, k], f0 [V, n], IRs [V, n, ir]),
    and the next state."""
    with gin_scope.entered(self.model):  # A new block length traces.
      amps, f0, irs, state = self._block_controls(
          tf.constant(f0_hz), tf.constant(db), self._state)
    return amps.numpy(), f0.numpy(), irs.numpy(), state

  def process(self, f0_hz: np.ndarray,
              db: np.ndarray) -> Dict[str, np.ndarray]:
    """Synthesises the next block of frames.

    Args:
      f0_hz: [n_frames] fundamental frequency (Hz), >= 0; [n_voices,
        n_frames] for an engine of several voices.
      db: Same shape: loudness (or power for a power preprocessor) in dB.

    Returns:
      {'harmonic', 'noise', 'audio'}: float32 [n], the samples now final
      (n is about n_frames * hop_size; the stream lags one frame behind),
      summed over the voices. 'audio' is the model's output (with its
      reverb and crop); the other two are the dry synthesizer signals.

    Raises:
      ValueError: features of different lengths, not finite, f0 < 0, or
        not one row per voice.
    """
    f0_hz = np.asarray(f0_hz, np.float32)
    db = np.asarray(db, np.float32)
    _check_features(f0_hz.reshape([-1]), db.reshape([-1]), self.db_key)
    if f0_hz.size % self.n_voices or (self.n_voices > 1 and
                                      f0_hz.shape[0] != self.n_voices):
      raise ValueError(f'Features of shape {f0_hz.shape} for an engine of '
                       f'{self.n_voices} voices: give [n_voices, n_frames].')
    f0_hz = f0_hz.reshape([self.n_voices, -1])
    db = db.reshape([self.n_voices, -1])
    if not f0_hz.size:
      return self._mix(np.zeros([0], np.float32), np.zeros([0], np.float32))
    amps, f0, irs, self._state = self._controls(f0_hz, db)
    return self._mix(
        _sum([osc.process(f0[v], amps[v])
              for v, osc in enumerate(self.oscillators)]),
        _sum([noise.process(irs[v]) for v, noise in enumerate(self.noises)]))

  def flush(self) -> Dict[str, np.ndarray]:
    """The rest of the stream; then the engine is ready for a new one."""
    parts = self._mix(_sum([osc.flush() for osc in self.oscillators]),
                      _sum([noise.flush() for noise in self.noises]))
    self.reset()
    return parts

  def _mix(self, harmonic, noise):
    """Aligned parts: the samples both synthesizers have given so far."""
    pending = self._pending
    pending['harmonic'] = np.concatenate([pending['harmonic'], harmonic])
    pending['noise'] = np.concatenate([pending['noise'], noise])
    n = min(pending['harmonic'].size, pending['noise'].size)
    parts = {k: v[:n] for k, v in pending.items()}
    self._pending = {k: v[n:] for k, v in pending.items()}
    dry = parts['harmonic'] + parts['noise']
    parts['audio'] = dry if self.reverb is None else self.reverb.process(dry)
    if self.crop is not None:
      parts['audio'] = self.crop.process(parts['audio'])
    return parts


def _sum(signals: List[np.ndarray]) -> np.ndarray:
  """Sum of the voices' signals (the one signal itself for one voice)."""
  return signals[0] if len(signals) == 1 else np.sum(signals, axis=0)


class CropStream:
  """`processors.Crop` of a stream.

  Drops `front` samples at the start of the stream and holds back the last
  `back` samples seen, which are dropped when the stream ends (`reset`).
  """

  def __init__(self, crop: processors.Crop):
    self.front, self.back = _crop_amounts(crop)
    self.reset()

  @property
  def n_samples(self) -> int:
    """Samples removed from a whole stream."""
    return self.front + self.back

  def reset(self):
    """A new stream: nothing dropped yet, nothing held."""
    self._to_drop = self.front
    self._held = np.zeros([0], np.float32)

  def process(self, audio: np.ndarray) -> np.ndarray:
    """float32 [n] -> the samples now known to be kept."""
    dropped = min(self._to_drop, audio.size)
    self._to_drop -= dropped
    kept = np.concatenate([self._held, audio[dropped:]])
    n = max(0, kept.size - self.back)
    self._held = kept[n:]
    return kept[:n]


def _check_features(f0_hz, db, db_key):
  """One clear error for features the model cannot synthesise."""
  if f0_hz.shape != db.shape:
    raise ValueError(f'f0_hz has {f0_hz.size} frames but {db_key} has '
                     f'{db.size}: give one value of each per frame.')
  for name, x in (('f0_hz', f0_hz), (db_key, db)):
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
      raise ValueError(f'{name} is not finite at {bad.size} frames (first '
                       f'frame {bad[0]} of the block): replace NaN/inf '
                       'before synthesis.')
  negative = np.flatnonzero(f0_hz < 0)
  if negative.size:
    raise ValueError(f'f0_hz is negative at {negative.size} frames (first '
                     f'frame {negative[0]} of the block, '
                     f'{f0_hz[negative[0]]} Hz): f0 must be >= 0 Hz.')
