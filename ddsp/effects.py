"""Effects: processors that transform audio [batch, n_samples].

Reverbs convolve the audio with an impulse response (IR) that is either
given as a control, learned as a variable (`trainable=True`), or generated
from a few parameters. FIRFilter applies a time-varying filter and ModDelay a
modulated delay (chorus / flanger).
"""

from ddsp import core
from ddsp import processors
from ddsp import shape_checks
from ddsp import synths
import gin
import tensorflow as tf

tf_float32 = core.tf_float32


def _batch_size(x):
  """Static batch size of `x`, or a scalar tensor when unknown."""
  size = shape_checks.shape_of(x)[0]
  return size if size is not None else tf.shape(x)[0]


#------------------ Reverbs ----------------------------------------------------
@gin.register(module='ddsp.effects')
class Reverb(processors.Processor):
  """Convolutional (FIR) reverb."""

  def __init__(self,
               trainable=False,
               reverb_length=48000,
               add_dry=True,
               name='reverb'):
    """Constructor.

    Args:
      trainable: Learn the impulse response as a variable `ir`
        [reverb_length]; otherwise it must be passed to the call.
      reverb_length: Length of the learned impulse response.
      add_dry: Add the dry audio to the reverberated (wet) audio.
      name: Layer name (and DAG output prefix).
    """
    super().__init__(name=name, trainable=trainable)
    self._reverb_length = reverb_length
    self._add_dry = add_dry

  @property
  def add_dry(self):
    """Whether the dry audio is added to the reverberated (wet) audio."""
    return self._add_dry

  def build(self, unused_input_shape):
    """Creates the impulse response variable when trainable."""
    if self.trainable:
      self._ir = self.add_weight(
          name='ir',
          shape=[self._reverb_length],
          dtype=tf.float32,
          initializer=tf.random_normal_initializer(mean=0, stddev=1e-6))
    self.built = True

  def _mask_dry_ir(self, ir):
    """Makes the IR [batch, ir_size] and zeroes its first tap (the dry path).

    Args:
      ir: [ir_size], [batch, ir_size] or [batch, ir_size, 1].

    Returns:
      [batch, ir_size] with ir[:, 0] = 0.
    """
    if len(ir.shape) == 1:
      ir = ir[tf.newaxis, :]
    if len(ir.shape) == 3:
      ir = ir[:, :, 0]
    dry_mask = tf.zeros_like(ir[:, :1])
    return tf.concat([dry_mask, ir[:, 1:]], axis=1)

  def _match_dimensions(self, audio, ir):
    """Tiles an IR [ir_size] or [1, ir_size] to [batch, ir_size] of audio."""
    if len(ir.shape) == 1:
      ir = ir[tf.newaxis, :]
    return tf.tile(ir, [_batch_size(audio), 1])

  def _check_audio_and_ir(self, audio, ir):
    shape_checks.check_rank(audio, 'audio', (2,), '[batch, n_samples]')
    shape_checks.check_rank(ir, 'ir', (1, 2, 3), '[batch, ir_size(, 1)]')
    ir_shape = shape_checks.shape_of(ir)
    if ir_shape.rank == 3 and ir_shape[2] not in (None, 1):
      raise ValueError(
          f'A 3-D ir must be [batch, ir_size, 1], got shape {ir_shape}.')
    if ir_shape.rank > 1:
      shape_checks.check_batch(audio=audio, ir=ir)

  def get_controls(self, audio, ir=None):
    """Collects the audio and the impulse response.

    Args:
      audio: Dry audio [batch, n_samples].
      ir: Impulse response [batch, ir_size] (or [batch, ir_size, 1]);
        required when not trainable, ignored when trainable.

    Returns:
      {'audio': audio, 'ir': ir}.

    Raises:
      ValueError: if not trainable and `ir` is None.
    """
    if self.trainable:
      ir = self._match_dimensions(audio, self._ir)
    elif ir is None:
      raise ValueError('Must provide "ir" tensor if Reverb trainable=False.')
    return {'audio': audio, 'ir': ir}

  def get_signal(self, audio, ir):
    """Convolves audio with the IR (first tap masked); adds dry if set.

    Returns:
      [batch, n_samples]: (audio * ir) [+ audio].
    """
    audio, ir = tf_float32(audio), tf_float32(ir)
    self._check_audio_and_ir(audio, ir)
    ir = self._mask_dry_ir(ir)
    wet = core.fft_convolve(audio, ir, padding='same', delay_compensation=0)
    return (wet + audio) if self._add_dry else wet


@gin.register(module='ddsp.effects')
class ExpDecayReverb(Reverb):
  """Reverb with an exponentially decaying noise impulse response."""

  def __init__(self,
               trainable=False,
               reverb_length=48000,
               scale_fn=core.exp_sigmoid,
               add_dry=True,
               name='exp_decay_reverb'):
    """Constructor.

    Args:
      trainable: Learn `gain` and `decay` as variables.
      reverb_length: Length of the impulse response in samples.
      scale_fn: Applied to the gain.
      add_dry: Add the dry audio to the wet audio.
      name: Layer name.
    """
    super().__init__(name=name, add_dry=add_dry, trainable=trainable)
    self._reverb_length = reverb_length
    self._scale_fn = scale_fn

  def _get_ir(self, gain, decay):
    """IR = g·exp(−(2 + exp(decay))·t)·noise, t in [0, 1].

    Args:
      gain: [batch, 1] (before scale_fn).
      decay: [batch, 1]; the decay rate is 2 + exp(decay).

    Returns:
      [batch, reverb_length] impulse response.
    """
    if self._scale_fn is not None:
      gain = self._scale_fn(gain)
    decay_exponent = 2.0 + tf.exp(decay)
    time = tf.linspace(0.0, 1.0, self._reverb_length)[tf.newaxis, :]
    noise = tf.random.uniform([1, self._reverb_length],
                              minval=-1.0, maxval=1.0)
    return gain * tf.exp(-decay_exponent * time) * noise

  def build(self, unused_input_shape):
    """Creates `gain` and `decay` variables when trainable."""
    if self.trainable:
      self._gain = self.add_weight(
          name='gain',
          shape=[1],
          dtype=tf.float32,
          initializer=tf.constant_initializer(2.0))
      self._decay = self.add_weight(
          name='decay',
          shape=[1],
          dtype=tf.float32,
          initializer=tf.constant_initializer(4.0))
    self.built = True

  def get_controls(self, audio, gain=None, decay=None):
    """Builds the IR from gain and decay.

    Args:
      audio: Dry audio [batch, n_samples].
      gain: [batch, 1] gain (pre scale_fn); required if not trainable.
      decay: [batch, 1] decay parameter; required if not trainable.

    Returns:
      {'audio': audio, 'ir': [batch, reverb_length]}.
    """
    if self.trainable:
      gain = self._gain[tf.newaxis, :]
      decay = self._decay[tf.newaxis, :]
    elif gain is None or decay is None:
      raise ValueError('Must provide "gain" and "decay" tensors if '
                       'ExpDecayReverb trainable=False.')
    else:
      shape_checks.check_rank(gain, 'gain', (2,), '[batch, 1]')
      shape_checks.check_rank(decay, 'decay', (2,), '[batch, 1]')
      shape_checks.check_batch(audio=audio, gain=gain, decay=decay)

    ir = self._get_ir(gain, decay)
    if self.trainable:
      ir = self._match_dimensions(audio, ir)
    return {'audio': audio, 'ir': ir}


@gin.register(module='ddsp.effects')
class FilteredNoiseReverb(Reverb):
  """Reverb whose impulse response is time-varying filtered noise."""

  def __init__(self,
               trainable=False,
               reverb_length=48000,
               window_size=257,
               n_frames=1000,
               n_filter_banks=16,
               scale_fn=core.exp_sigmoid,
               initial_bias=-3.0,
               add_dry=True,
               name='filtered_noise_reverb'):
    """Constructor.

    Args:
      trainable: Learn the filter magnitudes [n_frames, n_filter_banks].
      reverb_length: Length of the impulse response in samples.
      window_size: Window size of the noise filter.
      n_frames: Frames of the learned magnitudes.
      n_filter_banks: Frequency bands of the learned magnitudes.
      scale_fn: Applied to `magnitudes + initial_bias`.
      initial_bias: Bias before scale_fn (negative = quiet start).
      add_dry: Add the dry audio to the wet audio.
      name: Layer name.
    """
    super().__init__(name=name, add_dry=add_dry, trainable=trainable)
    self._n_frames = n_frames
    self._n_filter_banks = n_filter_banks
    self._synth = synths.FilteredNoise(n_samples=reverb_length,
                                       window_size=window_size,
                                       scale_fn=scale_fn,
                                       initial_bias=initial_bias)

  def build(self, unused_input_shape):
    """Creates the `magnitudes` variable when trainable."""
    if self.trainable:
      initializer = tf.random_normal_initializer(mean=0, stddev=1e-2)
      self._magnitudes = self.add_weight(
          name='magnitudes',
          shape=[self._n_frames, self._n_filter_banks],
          dtype=tf.float32,
          initializer=initializer)
    self.built = True

  def get_controls(self, audio, magnitudes=None):
    """Synthesizes the IR as filtered noise.

    Args:
      audio: Dry audio [batch, n_samples].
      magnitudes: [batch, n_frames, n_filter_banks] filter magnitudes (pre
        scale_fn); required if not trainable.

    Returns:
      {'audio': audio, 'ir': [batch, reverb_length]}.
    """
    if self.trainable:
      magnitudes = self._magnitudes[tf.newaxis, :, :]
    elif magnitudes is None:
      raise ValueError('Must provide "magnitudes" tensor if '
                       'FilteredNoiseReverb trainable=False.')
    else:
      shape_checks.check_batch(audio=audio, magnitudes=magnitudes)

    ir = self._synth(magnitudes)
    if self.trainable:
      ir = self._match_dimensions(audio, ir)
    return {'audio': audio, 'ir': ir}


#------------------ Filters ----------------------------------------------------
@gin.register(module='ddsp.effects')
class FIRFilter(processors.Processor):
  """Time-varying linear-phase FIR filter given by frequency magnitudes."""

  def __init__(self, window_size=257, scale_fn=core.exp_sigmoid,
               name='fir_filter'):
    super().__init__(name=name)
    self.window_size = window_size
    self.scale_fn = scale_fn

  def get_controls(self, audio, magnitudes):
    """Scales magnitudes [batch, n_frames, n_bands] with scale_fn.

    Returns:
      {'audio': [batch, n_samples], 'magnitudes': [batch, n_frames, n_bands]}.
    """
    if self.scale_fn is not None:
      magnitudes = self.scale_fn(magnitudes)
    return {'audio': audio, 'magnitudes': magnitudes}

  def get_signal(self, audio, magnitudes):
    """Filters audio [batch, n_samples] -> [batch, n_samples]."""
    shape_checks.check_rank(audio, 'audio', (2,), '[batch, n_samples]')
    shape = shape_checks.check_rank(magnitudes, 'magnitudes', (2, 3),
                                    '[batch, n_frames, n_bands]')
    shape_checks.check_batch(audio=audio, magnitudes=magnitudes)
    if shape.rank == 3:
      shape_checks.check_frames_fit(shape[1], shape_checks.shape_of(audio)[1],
                                    'magnitudes')
    return core.frequency_filter(audio, magnitudes,
                                 window_size=self.window_size)


#------------------ Modulation -------------------------------------------------
class ModDelay(processors.Processor):
  """Modulated delay line (chorus, flanger, vibrato)."""

  def __init__(self,
               center_ms=15.0,
               depth_ms=10.0,
               sample_rate=16000,
               gain_scale_fn=core.exp_sigmoid,
               phase_scale_fn=tf.nn.sigmoid,
               add_dry=True,
               name='mod_delay'):
    """Constructor.

    Args:
      center_ms: Delay at phase 0.5 in milliseconds.
      depth_ms: Maximum deviation from center_ms in milliseconds.
      sample_rate: Audio sample rate.
      gain_scale_fn: Applied to the wet gain.
      phase_scale_fn: Applied to the phase (maps logits to [0, 1]).
      add_dry: Add the dry audio to the delayed audio.
      name: Layer name.
    """
    super().__init__(name=name)
    self.center_ms = center_ms
    self.depth_ms = depth_ms
    self.sample_rate = sample_rate
    self.gain_scale_fn = gain_scale_fn
    self.phase_scale_fn = phase_scale_fn
    self.add_dry = add_dry

  def get_controls(self, audio, gain, phase):
    """Scales gain and phase ([batch, n_samples, 1]) with the scale fns."""
    if self.gain_scale_fn is not None:
      gain = self.gain_scale_fn(gain)
    if self.phase_scale_fn is not None:
      phase = self.phase_scale_fn(phase)
    return {'audio': audio, 'gain': gain, 'phase': phase}

  def get_signal(self, audio, gain, phase):
    """Delays audio by a time-varying amount.

    With max_ms = center_ms + depth_ms, phase p in [0, 1] is remapped to
    p·depth_ms/max_ms + center_ms/max_ms, i.e. a delay of
    center_ms + p·depth_ms (as a fraction of the max_ms delay line).

    Args:
      audio: [batch, n_samples].
      gain: [batch, n_samples, 1] or [batch, n_samples] wet gain.
      phase: [batch, n_samples, 1] delay phase in [0, 1].

    Returns:
      [batch, n_samples] wet (+ dry) audio.
    """
    shape_checks.check_rank(audio, 'audio', (2,), '[batch, n_samples]')
    shape_checks.check_rank(gain, 'gain', (2, 3), '[batch, n_samples(, 1)]')
    shape_checks.check_rank(phase, 'phase', (2, 3), '[batch, n_samples(, 1)]')
    shape_checks.check_batch(audio=audio, gain=gain, phase=phase)
    max_delay_ms = self.center_ms + self.depth_ms
    max_length_samples = int(self.sample_rate / 1000.0 * max_delay_ms)

    depth_phase = self.depth_ms / max_delay_ms
    center_phase = self.center_ms / max_delay_ms
    phase = phase * depth_phase + center_phase
    wet_audio = core.variable_length_delay(audio=audio,
                                           phase=phase,
                                           max_length=max_length_samples)
    if len(gain.shape) == 3:
      gain = gain[..., 0]
    wet_audio *= gain
    return (wet_audio + audio) if self.add_dry else wet_audio
