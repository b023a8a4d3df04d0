"""Loss functions and loss layers.

Every loss is a Keras layer whose `name` is its key in loss dictionaries
(`get_losses_dict`). Audio losses take `(target_audio, audio)` of shape
`[batch, n_samples]`; control losses take frame-wise tensors
`[batch, n_frames, channels]`. Values are float32 scalars.
"""

import functools

from ddsp import core
from ddsp import crepe_frontend
from ddsp import crepe_model
from ddsp import dags
from ddsp import spectral_ops
from ddsp.core import hz_to_midi
from ddsp.core import safe_divide
from ddsp.core import tf_float32
import gin
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as tfk

tfd = tfp.distributions
tfkl = tfk.layers


# ---------------------------------------------------------- base classes --
class Loss(tfkl.Layer):
  """Base class: a layer whose output is a loss value.

  Duck typing: anything with `get_losses_dict` is treated as a loss by DAGs.
  """

  def get_losses_dict(self, *args, **kwargs):
    """Calls the loss and returns `{self.name: loss}`."""
    return {self.name: self(*args, **kwargs)}


@gin.register
class LossGroup(dags.DAGLayer):
  """A DAG of losses whose outputs are collected in one flat dict.

  Nodes are `(loss_or_name, [input_keys...])`; each loss receives the values
  at its input keys of the outputs dict given to `call`.
  """

  def __init__(self, dag, **kwarg_losses):
    super().__init__(dag, **kwarg_losses)
    self.loss_names = self.module_names

  @property
  def losses(self):
    """The loss layers, in DAG order."""
    return [getattr(self, name) for name in self.loss_names]

  def call(self, outputs, **kwargs):
    """Runs every loss; returns `{loss_name: value, ...}`.

    Args:
      outputs: dict of model outputs (nested keys allowed in the DAG).
      **kwargs: passed to each loss.

    Returns:
      Flat dict merging each loss's `get_losses_dict` result.
    """
    dag_outputs = self.run_dag(outputs, **kwargs)
    loss_outputs = {}
    for name in self.loss_names:
      loss_outputs.update(dag_outputs[name])
    return loss_outputs

  def get_losses_dict(self, outputs, **kwargs):
    """Same as calling the layer."""
    return self(outputs, **kwargs)


# -------------------------------------------------------- simple distances --
def _check_broadcastable(target, value):
  """ValueError naming both arguments if their static shapes cannot match."""
  target_shape = getattr(target, 'shape', None)
  value_shape = getattr(value, 'shape', None)
  if target_shape is None or value_shape is None:
    return
  try:
    tf.broadcast_static_shape(tf.TensorShape(target_shape),
                              tf.TensorShape(value_shape))
  except ValueError:
    raise ValueError(f'`target` (shape {target_shape}) and `value` (shape '
                     f'{value_shape}) must have broadcastable shapes.'
                    ) from None


def mean_difference(target, value, loss_type='L1', weights=None):
  """Mean (weighted) distance between two tensors.

  With d = target - value and w = weights (1 when None):
    L1:     mean(|d w|)
    L2:     mean(d^2 w)
    COSINE: mean((1 - <t, v> / (max(|t|, 1e-6) max(|v|, 1e-6))) w), where
            the inner product and the norms run along the last axis, so
            there is one distance per vector, shape `[..., 1]`.
  A zero vector counts as orthogonal to everything (cosine distance 1). On
  unit-norm inputs COSINE equals `tf.compat.v1.losses.cosine_distance(
  target, value, axis=-1)`, the TF1 function the original called (TF2 has no
  `tf.losses.cosine_distance`, so the original raised AttributeError).

  Args:
    target: tensor `[..., n]`.
    value: tensor broadcastable with `target`.
    loss_type: 'L1', 'L2' or 'COSINE' (case-insensitive).
    weights: optional tensor broadcastable with the distances (`d` for L1
      and L2, `[..., 1]` for COSINE).

  Returns:
    Scalar loss.

  Raises:
    ValueError: for an unknown `loss_type` or shapes that do not broadcast.
  """
  _check_broadcastable(target, value)
  weights = 1.0 if weights is None else weights
  loss_type = loss_type.upper()
  if loss_type == 'L1':
    return tf.reduce_mean(tf.abs((target - value) * weights))
  if loss_type == 'L2':
    return tf.reduce_mean((target - value)**2 * weights)
  if loss_type == 'COSINE':
    return tf.reduce_mean(_cosine_distance(target, value) * weights)
  raise ValueError(f'Loss type ({loss_type}), must be "L1", "L2", or '
                   '"COSINE".')


def _cosine_distance(target, value):
  """1 - cosine similarity along the last axis, `[..., 1]`."""
  target = tf.math.l2_normalize(target, axis=-1, epsilon=1e-12)
  value = tf.math.l2_normalize(value, axis=-1, epsilon=1e-12)
  return 1.0 - tf.reduce_sum(target * value, axis=-1, keepdims=True)


# --------------------------------------------------------- spectral loss --
def _static_audio_shape(audio, name):
  """Shape of `[batch, n]` / `[n]` / `[batch, n, 1]` audio without channel."""
  shape = audio.shape
  if shape.rank is None:
    return shape
  if shape.rank == 3 and shape[-1] in (1, None):
    return shape[:-1]
  if shape.rank not in (1, 2):
    raise ValueError(
        f'`{name}` must be audio of shape [batch, n_samples] (or '
        f'[n_samples], [batch, n_samples, 1]); got shape {shape}.')
  return shape


@gin.register
class SpectralLoss(Loss):
  """Multi-scale spectrogram loss.

  For each FFT size s (hop s/4): weighted distances between the target and
  predicted magnitude spectrograms, their time/frequency differences,
  frequency cumulative sums and logs; plus an optional A-weighted loudness
  term. Each term is only computed when its weight is > 0.
  """

  def __init__(self,
               fft_sizes=(2048, 1024, 512, 256, 128, 64),
               loss_type='L1',
               mag_weight=1.0,
               delta_time_weight=0.0,
               delta_freq_weight=0.0,
               cumsum_freq_weight=0.0,
               logmag_weight=0.0,
               loudness_weight=0.0,
               name='spectral_loss'):
    super().__init__(name=name)
    self.fft_sizes = fft_sizes
    self.loss_type = loss_type
    self.mag_weight = mag_weight
    self.delta_time_weight = delta_time_weight
    self.delta_freq_weight = delta_freq_weight
    self.cumsum_freq_weight = cumsum_freq_weight
    self.logmag_weight = logmag_weight
    self.loudness_weight = loudness_weight

    self.spectrogram_ops = [
        functools.partial(spectral_ops.compute_mag, size=size)
        for size in self.fft_sizes
    ]

  def _check_inputs(self, target_audio, audio):
    target_shape = _static_audio_shape(target_audio, 'target_audio')
    audio_shape = _static_audio_shape(audio, 'audio')
    if not target_shape.is_compatible_with(audio_shape):
      raise ValueError(
          f'`target_audio` and `audio` must have the same shape; got '
          f'{target_audio.shape} and {audio.shape}.')

  def call(self, target_audio, audio, weights=None):
    """Scalar loss between `target_audio` and `audio` `[batch, n_samples]`."""
    target_audio = tf_float32(target_audio)
    audio = tf_float32(audio)
    self._check_inputs(target_audio, audio)

    def distance(target, value):
      return mean_difference(target, value, self.loss_type, weights=weights)

    loss = 0.0
    for spectrogram_op in self.spectrogram_ops:
      target_mag = spectrogram_op(target_audio)
      value_mag = spectrogram_op(audio)

      if self.mag_weight > 0:
        loss += self.mag_weight * distance(target_mag, value_mag)

      if self.delta_time_weight > 0:
        loss += self.delta_time_weight * distance(
            core.diff(target_mag, axis=1), core.diff(value_mag, axis=1))

      if self.delta_freq_weight > 0:
        loss += self.delta_freq_weight * distance(
            core.diff(target_mag, axis=2), core.diff(value_mag, axis=2))

      if self.cumsum_freq_weight > 0:
        loss += self.cumsum_freq_weight * distance(
            tf.math.cumsum(target_mag, axis=2),
            tf.math.cumsum(value_mag, axis=2))

      if self.logmag_weight > 0:
        loss += self.logmag_weight * distance(
            spectral_ops.safe_log(target_mag), spectral_ops.safe_log(value_mag))

    if self.loudness_weight > 0:
      target_loudness = spectral_ops.compute_loudness(
          target_audio, n_fft=2048, use_tf=True)
      value_loudness = spectral_ops.compute_loudness(
          audio, n_fft=2048, use_tf=True)
      loss += self.loudness_weight * distance(target_loudness, value_loudness)

    return loss


# ------------------------------------------------------- HMM transcriber --
@gin.register
class HmmTranscriber(tfd.HiddenMarkovModel):
  """HMM over MIDI pitch states (0 = note off) for note transcription.

  Observations are `[pitch, amplitude]` pairs per frame. A note holds for
  `avg_length` frames on average; state k >= 1 emits pitch ~ N(k, midi_std)
  and amplitude ~ N(amps_on_center, amps_on_scale); the off state emits a
  broad pitch N(n_pitches/2, n_pitches) and amplitude
  N(amps_off_center, amps_off_scale).
  """

  def __init__(self,
               avg_length=200,
               midi_std=0.5,
               amps_on_center=1.5,
               amps_on_scale=0.5,
               amps_off_center=0.0,
               amps_off_scale=0.1,
               n_timesteps=1000,
               n_pitches=128,
               weight=1.0,
               **kwargs):
    self.avg_length = avg_length
    self.midi_std = midi_std
    self.n_timesteps = n_timesteps
    self.n_pitches = n_pitches
    self.weight = weight

    initial = tfd.Categorical(probs=tf.ones([n_pitches]) / n_pitches)
    transition = tfd.Categorical(
        probs=self._transition_matrix(avg_length, n_pitches))
    observation = self._observation_distribution(
        n_pitches, midi_std, amps_on_center, amps_on_scale, amps_off_center,
        amps_off_scale)
    super().__init__(
        initial_distribution=initial,
        transition_distribution=transition,
        observation_distribution=observation,
        num_steps=n_timesteps,
        **kwargs)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    # The stored parameters are HiddenMarkovModel's (the three distributions
    # built in __init__), so its annotations apply unchanged.
    return tfd.HiddenMarkovModel._parameter_properties(  # pylint: disable=protected-access
        dtype, num_classes=num_classes)

  @staticmethod
  def _transition_matrix(avg_length, n_pitches):
    """Row-stochastic `[n_pitches, n_pitches]`: stay with p = 1 - 1/avg."""
    hold = 1.0 - 1.0 / avg_length
    other = (1.0 - hold) / (n_pitches - 1)
    matrix = ((hold - other) * tf.eye(n_pitches) +
              other * tf.ones([n_pitches, n_pitches]))
    return matrix / tf.reduce_sum(matrix, axis=-1, keepdims=True)

  @staticmethod
  def _observation_distribution(n_pitches, midi_std, amps_on_center,
                                amps_on_scale, amps_off_center,
                                amps_off_scale):
    """Diagonal Gaussians over [pitch, amp] for each of the n_pitches states."""
    pitches = np.arange(n_pitches, dtype=np.float32)
    loc = np.stack([pitches, np.full_like(pitches, amps_on_center)], axis=-1)
    scale = np.stack([np.full_like(pitches, midi_std),
                      np.full_like(pitches, amps_on_scale)], axis=-1)
    loc[0] = [n_pitches / 2, amps_off_center]
    scale[0] = [n_pitches, amps_off_scale]
    return tfd.MultivariateNormalDiag(
        loc=tf.constant(loc, tf.float32), scale_diag=tf.constant(scale,
                                                                 tf.float32))

  def __call__(self, pitch, amps):
    return self.nll(pitch, amps)

  @staticmethod
  def straight_through(x, x_quant):
    """Value of `x_quant`, gradient of `x` (straight-through estimator)."""
    return x - tf.stop_gradient(x - x_quant)

  def nll(self, pitch, amps, per_example_loss=False):
    """Mean negative log-likelihood per frame.

    Args:
      pitch: MIDI pitch `[batch, n_frames, 1]`.
      amps: amplitudes `[batch, n_frames, 1]`.
      per_example_loss: return `[batch]` instead of the batch mean.

    Returns:
      weight * -log p(pitch, amps) / n_frames (scalar or `[batch]`).
    """
    pitch_amps = tf.concat([pitch, amps], axis=-1)
    avg_nll = -self.log_prob(pitch_amps) / int(pitch.shape[1])
    if not per_example_loss:
      avg_nll = tf.reduce_mean(avg_nll)
    return self.weight * avg_nll

  def predict_midi(self, pitch, amps, channel_dim=True, dtype=tf.float32):
    """Most likely state sequence (Viterbi) `[batch, n_frames(, 1)]`."""
    pitch_amps = tf.concat([pitch, amps], axis=-1)
    midi = tf.cast(self.posterior_mode(pitch_amps), dtype)
    return midi[..., tf.newaxis] if channel_dim else midi


# ----------------------------------------------------- perceptual losses --
@gin.register
class EmbeddingLoss(Loss):
  """Distance between embeddings of a pretrained network.

  loss = weight * mean_difference(model(target_audio), model(audio)).
  """

  def __init__(self,
               weight=1.0,
               loss_type='L1',
               pretrained_model=None,
               name='embedding_loss'):
    super().__init__(name=name)
    self.weight = weight
    self.loss_type = loss_type
    self.pretrained_model = pretrained_model

  def call(self, target_audio, audio):
    loss = 0.0
    if self.weight > 0.0:
      audio, target_audio = tf_float32(audio), tf_float32(target_audio)
      target_emb = self.pretrained_model(target_audio)
      synth_emb = self.pretrained_model(audio)
      loss = self.weight * mean_difference(target_emb, synth_emb,
                                           self.loss_type)
    return loss


# Per-layer loss multipliers that bring CREPE activations to similar scales.
_CREPE_LAYER_SCALES = {
    'conv1-BN': 1.3,
    'conv1-maxpool': 1.0,
    'conv2-BN': 1.4,
    'conv2-maxpool': 1.1,
    'conv3-BN': 1.9,
    'conv3-maxpool': 1.6,
    'conv4-BN': 1.5,
    'conv4-maxpool': 1.4,
    'conv5-BN': 1.9,
    'conv5-maxpool': 1.7,
    'conv6-BN': 30,
    'conv6-maxpool': 25,
    'classifier': 130,
}


@gin.register
class PretrainedCREPEEmbeddingLoss(EmbeddingLoss):
  """Embedding loss on activations of a layer of the pretrained CREPE model.

  The effective weight is 20 * layer_scale * weight.
  """

  def __init__(self,
               weight=1.0,
               loss_type='L1',
               model_capacity='tiny',
               activation_layer='classifier',
               name='pretrained_crepe_embedding_loss'):
    if activation_layer not in _CREPE_LAYER_SCALES:
      raise KeyError(
          f'activation_layer {activation_layer!r} has no loss scale; choose '
          f'one of {sorted(_CREPE_LAYER_SCALES)}.')
    scale = _CREPE_LAYER_SCALES[activation_layer]
    super().__init__(
        weight=20.0 * scale * weight,
        loss_type=loss_type,
        name=name,
        pretrained_model=PretrainedCREPE(
            model_capacity=model_capacity,
            activation_layer=activation_layer))


class PretrainedCREPE(tfkl.Layer):
  """Activations of one layer of the pretrained CREPE network.

  Audio (16 kHz) is cut into 1024-sample frames, each standardised, and run
  through CREPE up to `activation_layer`.
  """

  def __init__(self,
               model_capacity='tiny',
               activation_layer='conv5-maxpool',
               name='pretrained_crepe',
               trainable=False):
    super().__init__(name=name, trainable=trainable)
    self._model_capacity = model_capacity
    self._activation_layer = activation_layer
    # A fresh CREPE of its own: `build` freezes it, which must not reach the
    # per-process cache other CREPE users (e.g. PretrainedCREPE in
    # spectral_ops, whose network is trainable) draw from.
    spectral_ops.reset_crepe()
    self._model = _build_and_load_crepe(self._model_capacity)
    spectral_ops.reset_crepe()
    self.frame_length = crepe_frontend.FRAME_SIZE

  def build(self, unused_x_shape):
    self.layer_names = [layer.name for layer in self._model.layers]
    if self._activation_layer not in self.layer_names:
      raise ValueError(
          f'activation_layer {self._activation_layer!r} is not a layer of '
          f'CREPE; choose one of {self.layer_names}.')
    self._activation_model = tfk.Model(
        inputs=self._model.input,
        outputs=self._model.get_layer(self._activation_layer).output)
    self._model.trainable = self.trainable
    self._activation_model.trainable = self.trainable
    super().build(unused_x_shape)

  def frame_audio(self, audio, hop_length=1024, center=True):
    """Standardised frames `[batch, n_frames, 1024]` of `[batch, n]` audio.

    Each frame becomes (x - mean) / (std + 1e-5) (the 'std_plus_eps'
    normalisation of `crepe_frontend`: finite gradients on silent frames);
    with `center`, 512 zeros are added at both ends first.
    """
    return crepe_frontend.crepe_frames(
        audio, hop_length, padding='center' if center else 'valid',
        normalization='std_plus_eps')

  def call(self, audio):
    """Activations `[batch, n_frames, n_features]` for `[batch, n]` audio."""
    audio = tf_float32(audio)
    if audio.shape.rank != 2:
      raise ValueError('`audio` must have shape [batch, n_samples]; got '
                       f'{audio.shape}.')
    frames = self.frame_audio(audio)
    batch_size = tf.shape(frames)[0]
    n_frames = tf.shape(frames)[1]
    activations = self._activation_model(
        tf.reshape(frames, [-1, self.frame_length]))
    n_features = int(np.prod(activations.shape[1:]))
    activations = tf.reshape(activations, [batch_size, n_frames, n_features])
    return activations


def _build_and_load_crepe(model_capacity):
  """The pretrained CREPE Keras model of a size (see ddsp/crepe_model.py)."""
  return crepe_model.build_and_load_model(model_capacity)


# --------------------------------------------------- consistency losses --
def amp_loss(amp,
             amp_target,
             loss_type='L1',
             weights=None,
             log=False,
             amin=1e-5):
  """Distance between amplitudes, optionally of log10(max(amin, amp))."""
  if log:
    amp_target = core.log10(tf.maximum(amin, amp_target))
    amp = core.log10(tf.maximum(amin, amp))
  return mean_difference(amp, amp_target, loss_type, weights)


def freq_loss(f_hz, f_hz_target, loss_type='L1', weights=None):
  """Distance between frequencies measured in MIDI semitones."""
  return mean_difference(hz_to_midi(f_hz), hz_to_midi(f_hz_target),
                         loss_type, weights)


@gin.register
class FilteredNoiseConsistencyLoss(Loss):
  """Amplitude loss between two sets of noise filter magnitudes."""

  def __init__(self, weight=1.0, **kwargs):
    super().__init__(**kwargs)
    self.weight = weight

  def call(self, noise_magnitudes, noise_magnitudes_target):
    self.built = True
    return self.weight * amp_loss(noise_magnitudes, noise_magnitudes_target)


@gin.register
class HarmonicConsistencyLoss(Loss):
  """Losses between two harmonic parameterisations.

  Returns a dict: overall amplitude loss, harmonic distribution loss and
  f0 loss (the latter two only where the target amplitude is audible,
  `harm_amp_target >= amp_threshold`).
  """

  def __init__(self,
               amp_weight=1.0,
               dist_weight=1.0,
               f0_weight=1.0,
               amp_threshold=1e-4,
               **kwargs):
    super().__init__(**kwargs)
    self.amp_weight = amp_weight
    self.dist_weight = dist_weight
    self.f0_weight = f0_weight
    self.amp_threshold = amp_threshold

  def call(self, harm_amp, harm_amp_target, harm_dist, harm_dist_target,
           f0_hz, f0_hz_target):
    harm_amp_loss = self.amp_weight * amp_loss(harm_amp, harm_amp_target)
    mask = tf.cast(harm_amp_target >= self.amp_threshold, tf.float32)
    harm_dist_loss = self.dist_weight * amp_loss(
        harm_dist, harm_dist_target, weights=mask)
    f0_hz_loss = self.f0_weight * freq_loss(f0_hz, f0_hz_target, weights=mask)
    return {
        'harm_amp_loss': harm_amp_loss,
        'harm_dist_loss': harm_dist_loss,
        'f0_hz_loss': f0_hz_loss,
    }


def _gather_last(params, indices):
  """params[..., indices[...]] along the last axis (batched gather)."""
  return tf.gather(params, indices, axis=-1, batch_dims=params.shape.rank - 1)


def wasserstein_distance(u_values, v_values, u_weights, v_weights, p=1.0):
  """p-Wasserstein distance between weighted 1-D samples (last axis).

  W_p = (sum_i delta_i |U(x_i) - V(x_i)|^p)^(1/p) over the sorted union of
  samples x_i with gaps delta_i, where U and V are cumulative weights.
  Without weights, U(x) = #{u_j <= x} / n_u (the empirical CDF). With
  weights, U(x) = sum of the weights of the u_j <= x: the original computes
  the normalisation by the total weight but drops its result, and this is
  kept, so weighted CDFs end at the total weight instead of 1. (The
  original raised TypeError without weights: it divided int32 counts by a
  float.)

  Args:
    u_values: `[..., n_u]` sample positions.
    v_values: `[..., n_v]` sample positions.
    u_weights: `[..., n_u]` weights (or None).
    v_weights: `[..., n_v]` weights (or None).
    p: order of the distance.

  Returns:
    Distances of shape `[...]`.
  """
  u_values = tf_float32(u_values)
  v_values = tf_float32(v_values)
  u_sorter = tf.argsort(u_values, axis=-1)
  v_sorter = tf.argsort(v_values, axis=-1)

  all_values = tf.sort(tf.concat([u_values, v_values], axis=-1), axis=-1)
  deltas = core.diff(all_values, axis=-1)
  query = all_values[..., :-1]

  def cdf(values, sorter, weights):
    sorted_values = _gather_last(values, sorter)
    indices = tf.searchsorted(sorted_values, query, side='right')
    if weights is None:
      n = tf.cast(tf.shape(values)[-1], tf.float32)
      return tf.cast(indices, tf.float32) / n
    weights = tf_float32(weights)
    cumulative = tf.math.cumsum(_gather_last(weights, sorter), axis=-1)
    zeros = tf.zeros_like(cumulative[..., :1])
    cumulative = tf.concat([zeros, cumulative], axis=-1)
    # The original computes safe_divide(cdf, total weight) and drops it.
    return _gather_last(cumulative, indices)

  u_cdf = cdf(u_values, u_sorter, u_weights)
  v_cdf = cdf(v_values, v_sorter, v_weights)
  total = tf.reduce_sum(deltas * tf.abs(u_cdf - v_cdf)**p, axis=-1)
  return total**(1.0 / p)


@gin.register
class WassersteinConsistencyLoss(Loss):
  """Wasserstein distance between two weighted sets of sinusoids (in MIDI).

  Known bug of the original, kept: with `midi=False` the loss is always 0.
  """

  def __init__(self, weight=1.0, midi=True, **kwargs):
    super().__init__(**kwargs)
    self.weight = weight
    self.midi = midi

  def call(self, amps_a, freqs_a, amps_b, freqs_b):
    loss = 0.0
    if self.weight > 0.0 and self.midi:
      freqs_a = hz_to_midi(freqs_a)
      freqs_b = hz_to_midi(freqs_b)
      distance = wasserstein_distance(freqs_a, freqs_b, amps_a, amps_b, p=1.0)
      loss = tf.reduce_mean(self.weight * distance)
    return loss


def _normalized_amps(amps):
  """Amplitudes with zeros replaced by 1e-7, divided by their sum (last axis)."""
  amps = tf.where(tf.equal(amps, 0.0), 1e-7 * tf.ones_like(amps), amps)
  return safe_divide(amps, tf.reduce_sum(amps, axis=-1, keepdims=True))


def _sinusoid_mixture(amps, freqs, scale):
  """Gaussian mixture over MIDI pitch, one component per sinusoid."""
  return tfd.MixtureSameFamily(
      mixture_distribution=tfd.Categorical(probs=_normalized_amps(amps)),
      components_distribution=tfd.Normal(loc=hz_to_midi(freqs), scale=scale))


@gin.register
class KDEConsistencyLoss(Loss):
  """Cross-likelihood of two sets of sinusoids under kernel density estimates.

  loss = weight_a * mean(nll(a | KDE_b)) + weight_b * mean(nll(b | KDE_a))
         + weight_mean_amp * mean(|mean_k amps_a - mean_k amps_b|).
  """

  def __init__(self,
               weight_a=1.0,
               weight_b=1.0,
               weight_mean_amp=1.0,
               scale_a=0.1,
               scale_b=0.1,
               **kwargs):
    super().__init__(**kwargs)
    self.weight_a = weight_a
    self.weight_b = weight_b
    self.weight_mean_amp = weight_mean_amp
    self.scale_a = scale_a
    self.scale_b = scale_b

  def call(self, amps_a, freqs_a, amps_b, freqs_b):
    """Scalar loss; inputs `[batch, n_frames, n_sinusoids]`."""
    loss = 0.0
    if self.weight_a > 0:
      loss_a = self.nll(amps_a, freqs_a, amps_b, freqs_b, self.scale_b)
      loss += tf.reduce_mean(self.weight_a * loss_a)
    if self.weight_b > 0:
      loss_b = self.nll(amps_b, freqs_b, amps_a, freqs_a, self.scale_a)
      loss += tf.reduce_mean(self.weight_b * loss_b)
    if self.weight_mean_amp > 0:
      mean_amp_a = tf.reduce_mean(amps_a, axis=-1)
      mean_amp_b = tf.reduce_mean(amps_b, axis=-1)
      loss += self.weight_mean_amp * tf.reduce_mean(
          tf.abs(mean_amp_a - mean_amp_b))
    return loss

  def kernel_density_estimate(self, amps, freqs, scale):
    """Mixture of Normals at MIDI(freqs), weights amps, batch `[B, T]`."""
    return _sinusoid_mixture(amps, freqs, scale)

  def nll(self, amps, freqs, amps_target, freqs_target, scale_target):
    """Amplitude-weighted -log p of `freqs` under the target KDE, `[B, T]`.

    -log p is evaluated per sinusoid k, weighted by amps_k / sum(amps) and
    averaged (mean, not sum) over k.
    """
    p_given_target = self.kernel_density_estimate(amps_target, freqs_target,
                                                  scale_target)
    freqs_midi = tf.transpose(hz_to_midi(freqs), [2, 0, 1])  # [K, B, T]
    nll = -p_given_target.log_prob(freqs_midi)
    nll = tf.transpose(nll, [1, 2, 0])  # [B, T, K]
    amps_norm = safe_divide(amps, tf.reduce_sum(amps, axis=-1, keepdims=True))
    return tf.reduce_mean(nll * amps_norm, axis=-1)


# --------------------------------------------------------- two-way mismatch --
@gin.register
class TWMLoss(Loss):
  """Differentiable two-way mismatch loss for f0 estimation.

  Scores f0 candidates `[batch, n_frames, n_candidates]` against sinusoids
  (`freqs`, `amps` `[batch, n_frames, n_sinusoids]`):
  * sinusoids term: how close freqs / f0 are to integer harmonic numbers;
  * harmonics term: how well the candidate's harmonics are explained by the
    sinusoids (in MIDI), with a prior favouring lower harmonics and harmonics
    at/above Nyquist masked out.
  The loss is a softmin-weighted mean over candidates.
  """

  def __init__(self,
               sinusoids_weight=1.0,
               harmonics_weight=1.0,
               sinusoids_scale=0.5,
               harmonics_scale=0.2,
               n_harmonic_points=10,
               n_harmonic_gaussians=30,
               softmin_temperature=1.0,
               sample_rate=16000,
               **kwargs):
    super().__init__(**kwargs)
    self.sinusoids_weight = sinusoids_weight
    self.harmonics_weight = harmonics_weight
    self.sinusoids_scale = sinusoids_scale
    self.harmonics_scale = harmonics_scale
    self.n_harmonic_points = n_harmonic_points
    self.n_harmonic_gaussians = n_harmonic_gaussians
    self.softmin_temperature = softmin_temperature
    self.sample_rate = sample_rate

  def get_p_sinusoids_given_harmonics(self):
    """Equal mixture of Normals at harmonic numbers 1..n_harmonic_gaussians."""
    n = self.n_harmonic_gaussians
    harmonic_numbers = tf.range(1, n + 1, dtype=tf.float32)
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(probs=tf.ones([n]) / n),
        components_distribution=tfd.Normal(
            loc=harmonic_numbers, scale=self.harmonics_scale))

  def get_p_harmonics_given_sinusoids(self, freqs, amps):
    """Amplitude-weighted mixture of Normals at MIDI(freqs), batch `[B, T]`."""
    return _sinusoid_mixture(amps, freqs, self.sinusoids_scale)

  def get_candidate_harmonics(self, f0_candidates, as_midi=True):
    """Harmonics f0 * [1..n_harmonic_points] `[B, T, C, H]` (MIDI or Hz)."""
    n = self.n_harmonic_points
    harmonic_numbers = tf.range(1, n + 1, dtype=tf.float32)
    harmonics = f0_candidates[..., tf.newaxis] * harmonic_numbers
    return hz_to_midi(harmonics) if as_midi else harmonics

  def get_loss_tensors(self, f0_candidates, freqs, amps):
    """(sinusoids_loss, harmonics_loss), each `[B, T, C]`."""
    f0_candidates = tf_float32(f0_candidates)
    freqs = tf_float32(freqs)
    amps = tf_float32(amps)

    # Sinusoids -> harmonics: ratios freq / f0 near integers are likely.
    p_sh = self.get_p_sinusoids_given_harmonics()
    ratios = safe_divide(freqs[:, :, tf.newaxis, :],
                         f0_candidates[:, :, :, tf.newaxis])  # [B, T, C, K]
    nll_sinusoids = -p_sh.log_prob(ratios)
    amps_c = amps[:, :, tf.newaxis, :]
    sinusoids_loss = safe_divide(
        tf.reduce_sum(nll_sinusoids * amps_c, axis=-1),
        tf.reduce_sum(amps_c, axis=-1))

    # Harmonics -> sinusoids: each candidate harmonic under the sinusoid KDE.
    p_hs = self.get_p_harmonics_given_sinusoids(freqs, amps)
    harmonics = self.get_candidate_harmonics(f0_candidates, as_midi=True)
    harmonics_t = tf.transpose(harmonics, [2, 3, 0, 1])  # [C, H, B, T]
    nll_harmonics = tf.transpose(-p_hs.log_prob(harmonics_t), [2, 3, 0, 1])

    n = self.n_harmonic_points
    prior = tf.linspace(1.0, 1.0 / n, n)
    nll_harmonics = nll_harmonics * prior

    nyquist_midi = hz_to_midi(self.sample_rate / 2.0)
    mask = tf.cast(harmonics < nyquist_midi, tf.float32)
    mask_weights = safe_divide(mask,
                               tf.reduce_mean(mask, axis=-1, keepdims=True))
    harmonics_loss = tf.reduce_mean(nll_harmonics * mask_weights, axis=-1)
    return sinusoids_loss, harmonics_loss

  def _combined(self, f0_candidates, freqs, amps):
    sinusoids_loss, harmonics_loss = self.get_loss_tensors(
        f0_candidates, freqs, amps)
    return (self.sinusoids_weight * sinusoids_loss +
            self.harmonics_weight * harmonics_loss)

  def call(self, f0_candidates, freqs, amps):
    """Scalar: mean over candidates of loss * softmin(loss / temperature)."""
    combined = self._combined(f0_candidates, freqs, amps)
    softmin = tf.nn.softmax(-combined / self.softmin_temperature, axis=-1)
    return tf.reduce_mean(combined * softmin)

  def predict_f0(self, f0_candidates, freqs, amps):
    """Best candidate per frame (numpy) `[batch, n_frames, 1]`."""
    combined = np.asarray(self._combined(f0_candidates, freqs, amps))
    best = np.nanargmin(combined, axis=-1)[..., np.newaxis]
    return np.take_along_axis(np.asarray(f0_candidates), best, axis=-1)


# ---------------------------------------------------------- parameter loss --
@gin.register
class ParamLoss(Loss):
  """Weighted distance between predicted and target parameters."""

  def __init__(self, weight=1.0, loss_type='L1', **kwargs):
    super().__init__(**kwargs)
    self.weight = weight
    self.loss_type = loss_type

  def call(self, pred, target, weights=None):
    return self.weight * mean_difference(pred, target, self.loss_type,
                                         weights)
