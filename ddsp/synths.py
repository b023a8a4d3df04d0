"""Synthesizers: processors that generate audio from frame-wise controls.

Every synthesizer is a `processors.Processor` without variables. Controls
are frame-wise tensors `[batch, n_frames, channels]`; the audio signal is
`[batch, n_samples]`.
"""

from ddsp import core
from ddsp import processors
from ddsp import shape_checks
import gin
import tensorflow as tf


def _n_frames(x):
  """Static size of axis 1 (None when unknown)."""
  shape = shape_checks.shape_of(x)
  return shape[1] if shape.rank and shape.rank > 1 else None


def _check_amp_resampling(amplitudes, n_samples, method, name='amplitudes'):
  """'window' resampling needs n_samples to be a multiple of the frames."""
  if method == 'window':
    shape_checks.check_window_upsampling(_n_frames(amplitudes), n_samples,
                                         name, method)


@gin.register(module='ddsp.synths')
class TensorToAudio(processors.Processor):
  """Identity synthesizer: [batch, n_samples, 1] samples -> audio."""

  def __init__(self, name='tensor_to_audio'):
    super().__init__(name=name)

  def get_controls(self, samples):
    """samples: [batch, n_samples, 1]."""
    return {'samples': samples}

  def get_signal(self, samples):
    """Drops the channel axis: [batch, n_samples, 1] -> [batch, n_samples]."""
    shape_checks.check_rank(samples, 'samples', (3,), '[batch, n_samples, 1]')
    return tf.squeeze(samples, 2)


@gin.register(module='ddsp.synths')
class Harmonic(processors.Processor):
  """Bank of harmonic sinusoids over a fundamental frequency."""

  frequency_controls = ('f0_hz',)

  def __init__(self,
               n_samples=64000,
               sample_rate=16000,
               scale_fn=core.exp_sigmoid,
               normalize_below_nyquist=True,
               amp_resample_method='window',
               use_angular_cumsum=False,
               name='harmonic'):
    """Constructor.

    Args:
      n_samples: Number of audio samples to generate.
      sample_rate: Audio sample rate in Hz.
      scale_fn: Applied to amplitudes and harmonic distribution in
        `get_controls` (None for no scaling).
      normalize_below_nyquist: Zero harmonics at or above Nyquist before
        normalising the distribution.
      amp_resample_method: 'window', 'linear', 'cubic' or 'nearest'
        (frame rate -> audio rate for amplitudes).
      use_angular_cumsum: Accumulate phase in chunks (less float32 error on
        long signals).
      name: Layer name (and DAG output prefix).
    """
    super().__init__(name=name)
    self.n_samples = n_samples
    self.sample_rate = sample_rate
    self.scale_fn = scale_fn
    self.normalize_below_nyquist = normalize_below_nyquist
    self.amp_resample_method = amp_resample_method
    self.use_angular_cumsum = use_angular_cumsum

  def _check_inputs(self, amplitudes, harmonic_distribution, f0_hz):
    shape_checks.check_rank(amplitudes, 'amplitudes', (3,),
                            '[batch, n_frames, 1]')
    shape_checks.check_rank(harmonic_distribution, 'harmonic_distribution',
                            (3,), '[batch, n_frames, n_harmonics]')
    shape_checks.check_rank(f0_hz, 'f0_hz', (3,), '[batch, n_frames, 1]')
    shape_checks.check_batch(amplitudes=amplitudes,
                             harmonic_distribution=harmonic_distribution,
                             f0_hz=f0_hz)

  def get_controls(self, amplitudes, harmonic_distribution, f0_hz):
    """Scales the network outputs and normalises the distribution.

    Args:
      amplitudes: [batch, n_frames, 1] overall amplitude (pre-scale_fn).
      harmonic_distribution: [batch, n_frames, n_harmonics] relative
        harmonic amplitudes (pre-scale_fn).
      f0_hz: [batch, n_frames, 1] fundamental frequency in Hz.

    Returns:
      Dict of 'amplitudes', 'harmonic_distribution' (sums to 1 over
      harmonics) and 'f0_hz' (unchanged).
    """
    self._check_inputs(amplitudes, harmonic_distribution, f0_hz)
    if self.scale_fn is not None:
      amplitudes = self.scale_fn(amplitudes)
      harmonic_distribution = self.scale_fn(harmonic_distribution)

    nyquist_sample_rate = (
        self.sample_rate if self.normalize_below_nyquist else None)
    harmonic_distribution = core.normalize_harmonics(
        harmonic_distribution, f0_hz, nyquist_sample_rate)
    return {
        'amplitudes': amplitudes,
        'harmonic_distribution': harmonic_distribution,
        'f0_hz': f0_hz,
    }

  def get_signal(self, amplitudes, harmonic_distribution, f0_hz):
    """Synthesizes audio [batch, n_samples] from the (scaled) controls."""
    self._check_inputs(amplitudes, harmonic_distribution, f0_hz)
    _check_amp_resampling(amplitudes, self.n_samples, self.amp_resample_method)
    # `call` has checked the values of f0_hz (frequency_controls).
    return core._harmonic_synthesis(  # pylint: disable=protected-access
        frequencies=f0_hz,
        amplitudes=amplitudes,
        harmonic_shifts=None,
        harmonic_distribution=harmonic_distribution,
        n_samples=self.n_samples,
        sample_rate=self.sample_rate,
        amp_resample_method=self.amp_resample_method,
        use_angular_cumsum=self.use_angular_cumsum)


@gin.register(module='ddsp.synths')
class FilteredNoise(processors.Processor):
  """White noise filtered by a time-varying FIR filter."""

  def __init__(self,
               n_samples=64000,
               window_size=257,
               scale_fn=core.exp_sigmoid,
               initial_bias=-5.0,
               name='filtered_noise'):
    """Constructor.

    Args:
      n_samples: Number of audio samples to generate.
      window_size: Size of the Hann window applied to the filter impulse
        responses (0 = no windowing, full length).
      scale_fn: Applied to `magnitudes + initial_bias` (None for neither).
      initial_bias: Added before `scale_fn`; negative values start quiet.
      name: Layer name (and DAG output prefix).
    """
    super().__init__(name=name)
    self.n_samples = n_samples
    self.window_size = window_size
    self.scale_fn = scale_fn
    self.initial_bias = initial_bias

  def get_controls(self, magnitudes):
    """magnitudes: [batch, n_frames, n_bands] -> {'magnitudes'} scaled.

    Bands are linearly spaced from 0 Hz to Nyquist.
    """
    shape_checks.check_rank(magnitudes, 'magnitudes', (2, 3),
                            '[batch, n_frames, n_bands]')
    if self.scale_fn is not None:
      magnitudes = self.scale_fn(magnitudes + self.initial_bias)
    return {'magnitudes': magnitudes}

  def get_signal(self, magnitudes):
    """Filters uniform noise in [-1, 1) -> audio [batch, n_samples]."""
    shape = shape_checks.check_rank(magnitudes, 'magnitudes', (2, 3),
                                    '[batch, n_frames, n_bands]')
    if shape.rank == 3:
      shape_checks.check_frames_fit(shape[1], self.n_samples, 'magnitudes')
    batch_size = shape[0] if shape[0] is not None else tf.shape(magnitudes)[0]
    noise = tf.random.uniform([batch_size, self.n_samples],
                              minval=-1.0, maxval=1.0)
    return core.frequency_filter(noise, magnitudes,
                                 window_size=self.window_size)


@gin.register(module='ddsp.synths')
class Wavetable(processors.Processor):
  """Oscillator reading a (time-varying) wavetable at frequency f0."""

  frequency_controls = ('f0_hz',)

  def __init__(self,
               n_samples=64000,
               sample_rate=16000,
               scale_fn=core.exp_sigmoid,
               name='wavetable'):
    super().__init__(name=name)
    self.n_samples = n_samples
    self.sample_rate = sample_rate
    self.scale_fn = scale_fn

  def _check_inputs(self, amplitudes, wavetables, f0_hz):
    shape_checks.check_rank(amplitudes, 'amplitudes', (3,),
                            '[batch, n_frames, 1]')
    shape_checks.check_rank(wavetables, 'wavetables', (3,),
                            '[batch, n_frames, n_wavetable]')
    shape_checks.check_rank(f0_hz, 'f0_hz', (3,), '[batch, n_frames, 1]')
    shape_checks.check_batch(amplitudes=amplitudes, wavetables=wavetables,
                             f0_hz=f0_hz)

  def get_controls(self, amplitudes, wavetables, f0_hz):
    """Scales amplitudes [B, T, 1] and wavetables [B, T, W] with scale_fn."""
    self._check_inputs(amplitudes, wavetables, f0_hz)
    if self.scale_fn is not None:
      amplitudes = self.scale_fn(amplitudes)
      wavetables = self.scale_fn(wavetables)
    return {'amplitudes': amplitudes, 'wavetables': wavetables, 'f0_hz': f0_hz}

  def get_signal(self, amplitudes, wavetables, f0_hz):
    """Synthesizes audio [batch, n_samples]."""
    self._check_inputs(amplitudes, wavetables, f0_hz)
    _check_amp_resampling(amplitudes, self.n_samples, 'window')
    wavetables = core.resample(wavetables, self.n_samples)
    # `call` has checked the values of f0_hz (frequency_controls).
    return core._wavetable_synthesis(  # pylint: disable=protected-access
        amplitudes=amplitudes,
        wavetables=wavetables,
        frequencies=f0_hz,
        n_samples=self.n_samples,
        sample_rate=self.sample_rate)


@gin.register(module='ddsp.synths')
class Sinusoidal(processors.Processor):
  """Bank of freely moving sinusoids."""

  frequency_controls = ('frequencies',)

  def __init__(self,
               n_samples=64000,
               sample_rate=16000,
               amp_scale_fn=core.exp_sigmoid,
               amp_resample_method='window',
               freq_scale_fn=core.frequencies_sigmoid,
               name='sinusoidal'):
    super().__init__(name=name)
    self.n_samples = n_samples
    self.sample_rate = sample_rate
    self.amp_scale_fn = amp_scale_fn
    self.amp_resample_method = amp_resample_method
    self.freq_scale_fn = freq_scale_fn

  def _check_inputs(self, amplitudes, frequencies):
    shape_checks.check_rank(amplitudes, 'amplitudes', (3,),
                            '[batch, n_frames, n_sinusoids]')
    shape_checks.check_rank(frequencies, 'frequencies', (3, 4),
                            '[batch, n_frames, n_sinusoids(, depth)]')
    shape_checks.check_batch(amplitudes=amplitudes, frequencies=frequencies)

  def get_controls(self, amplitudes, frequencies):
    """Scales amplitudes and frequencies.

    Args:
      amplitudes: [batch, n_frames, n_sinusoids] (pre-amp_scale_fn).
      frequencies: [batch, n_frames, n_sinusoids] (or with a trailing depth
        axis) pre-freq_scale_fn; in Hz when freq_scale_fn is None.

    Returns:
      Dict of 'amplitudes' and 'frequencies' [batch, n_frames, n_sinusoids].
      With a freq_scale_fn, amplitudes at or above Nyquist are zeroed.
    """
    self._check_inputs(amplitudes, frequencies)
    if self.amp_scale_fn is not None:
      amplitudes = self.amp_scale_fn(amplitudes)
    if self.freq_scale_fn is not None:
      frequencies = self.freq_scale_fn(frequencies)
      amplitudes = core.remove_above_nyquist(frequencies, amplitudes,
                                             self.sample_rate)
    return {'amplitudes': amplitudes, 'frequencies': frequencies}

  def get_signal(self, amplitudes, frequencies):
    """Synthesizes audio [batch, n_samples]."""
    shape_checks.check_rank(amplitudes, 'amplitudes', (3,),
                            '[batch, n_frames, n_sinusoids]')
    shape_checks.check_rank(frequencies, 'frequencies', (3,),
                            '[batch, n_frames, n_sinusoids]')
    shape_checks.check_batch(amplitudes=amplitudes, frequencies=frequencies)
    _check_amp_resampling(amplitudes, self.n_samples, self.amp_resample_method)
    amplitude_envelopes = core.resample(amplitudes, self.n_samples,
                                        method=self.amp_resample_method)
    frequency_envelopes = core.resample(frequencies, self.n_samples)
    return core.oscillator_bank(frequency_envelopes=frequency_envelopes,
                                amplitude_envelopes=amplitude_envelopes,
                                sample_rate=self.sample_rate)
