"""Behaviours of ddsp.core pinned by the original tests and its behaviour.

Covers: agreement with librosa/scipy, resampling rules, oscillator accuracy,
filters and delay compensation, the original's bugs that are reproduced on
purpose (the 'valid' crop, the inclusive phase cumsum, the in-place cutoff
rescaling and the ignored use_angular_cumsum binding), gradients, input
validation, tf.function / XLA compatibility.
"""
import ddsp
from ddsp import core
import gin
import librosa
import numpy as np
import pytest
from scipy import signal
import tensorflow as tf


def _np(x):
  return np.asarray(x.numpy() if hasattr(x, 'numpy') else x)


# ------------------------------------------------------------------------------
# Unit conversions.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('midi', [[0.0, 21.0, 60.0, 69.0, 127.0],
                                  [12.5, 45.25, 99.0, 110.0, 3.0]])
def test_midi_to_hz_and_back_agree_with_librosa(midi):
  midi = np.array(midi, np.float32)
  hz = core.midi_to_hz(midi)
  np.testing.assert_allclose(hz, librosa.midi_to_hz(midi), rtol=1e-5)
  np.testing.assert_allclose(core.hz_to_midi(hz), librosa.hz_to_midi(_np(hz)),
                             rtol=1e-5, atol=1e-4)


def test_midi_zero_silence_maps_zero_to_zero_hz():
  hz = core.midi_to_hz([0.0, 69.0], midi_zero_silence=True)
  np.testing.assert_allclose(hz, [0.0, 440.0])


def test_hz_to_midi_of_non_positive_is_zero():
  np.testing.assert_array_equal(core.hz_to_midi([0.0, -5.0]), [0.0, 0.0])


@pytest.mark.parametrize('clip', [False, True])
def test_unit_midi_round_trip(clip):
  unit = np.linspace(0.0, 1.0, 11).astype(np.float32)
  midi = core.unit_to_midi(unit, clip=clip)
  np.testing.assert_allclose(core.midi_to_unit(midi, clip=clip), unit,
                             atol=1e-6)


@pytest.mark.parametrize('clip', [False, True])
def test_unit_hz_round_trip(clip):
  unit = np.linspace(0.0, 1.0, 11).astype(np.float32)
  hz = core.unit_to_hz(unit, hz_min=20.0, hz_max=8000.0, clip=clip)
  np.testing.assert_allclose(
      core.hz_to_unit(hz, hz_min=20.0, hz_max=8000.0, clip=clip), unit,
      atol=1e-5)


def test_clipping_limits_unit_range():
  unit = core.midi_to_unit(np.array([0.0, 200.0], np.float32), clip=True)
  np.testing.assert_allclose(unit, [0.0, 1.0])


@pytest.mark.parametrize('range_db', [100.0, 1.0])
def test_db_conversions_agree_with_librosa(range_db):
  rng = np.random.RandomState(3)
  amplitude = rng.uniform(0.0, 1.0, 100).astype(np.float32)
  amplitude[0] = 1.0  # librosa's top_db floor is relative to the maximum.
  power = amplitude**2
  np.testing.assert_allclose(
      core.amplitude_to_db(amplitude, range_db=range_db),
      librosa.amplitude_to_db(amplitude, top_db=range_db), atol=1e-5)
  np.testing.assert_allclose(
      core.power_to_db(power, range_db=range_db),
      librosa.power_to_db(power, top_db=range_db), atol=1e-5)
  np.testing.assert_allclose(
      core.amplitude_to_db(amplitude, range_db=range_db, use_tf=False),
      librosa.amplitude_to_db(amplitude, top_db=range_db), atol=1e-5)


def test_db_to_amplitude_inverts_amplitude_to_db():
  amplitude = np.array([1.0, 0.5, 0.01], np.float32)
  np.testing.assert_allclose(core.db_to_amplitude(core.amplitude_to_db(
      amplitude)), amplitude, rtol=1e-5)


def test_safe_log10_of_zero_is_minus_five():
  np.testing.assert_allclose(core.log10(0.0), -5.0, rtol=1e-6)


def test_exp_sigmoid_reference_values():
  np.testing.assert_allclose(core.exp_sigmoid([0.0, 10.0]),
                             [0.405399, 1.999791], rtol=1e-5)


@pytest.mark.parametrize('shape,axis', [((2, 6, 4), -1), ((2, 6, 4), 0),
                                        ((2, 6, 4), 1), ((5,), 0)])
def test_diff_shortens_axis_by_one(shape, axis):
  x = tf.random.normal(shape)
  expected = list(shape)
  expected[axis] -= 1
  assert core.diff(x, axis=axis).shape == tuple(expected)
  np.testing.assert_allclose(core.diff(x, axis=axis), np.diff(_np(x),
                                                              axis=axis),
                             atol=1e-6)


@pytest.mark.parametrize('axis', [-1, 0, 1])
def test_diff_with_unknown_dims_in_tf_function(axis):
  x = np.random.RandomState(3).randn(3, 7, 2).astype(np.float32)
  spec = tf.TensorSpec([None, None, 2], tf.float32)
  traced = tf.function(lambda t: core.diff(t, axis=axis),
                       input_signature=[spec])
  np.testing.assert_allclose(traced(x), np.diff(x, axis=axis), atol=1e-6)


def test_diff_bad_axis_raises():
  with pytest.raises(ValueError, match='axis'):
    core.diff(tf.zeros([2, 3]), axis=2)


# ------------------------------------------------------------------------------
# Resampling.
# ------------------------------------------------------------------------------
RAMP = np.array([0.0, 1.0, 4.0, 9.0], np.float32)
RESAMPLE_REFERENCE = {
    ('linear', True): [0, .5, 1, 2.5, 4, 6.5, 9, 9],
    ('linear', False): [0, .42857, .85714, 1.85714, 3.14286, 4.71429,
                        6.85714, 9],
    ('cubic', True): [0, .21875, 1, 2.125, 4, 6.78125, 9, 9.46875],
    ('nearest', True): [0, 0, 1, 1, 4, 4, 9, 9],
    ('nearest', False): [0, 0, 1, 1, 4, 4, 9, 9],
    ('window', True): [0, .5, 1, 2.5, 4, 6.5, 9, 9],
}


@pytest.mark.parametrize('method,add_endpoint', sorted(RESAMPLE_REFERENCE))
def test_resample_reference_values(method, add_endpoint):
  x = RAMP[np.newaxis, :, np.newaxis]
  out = core.resample(x, 8, method=method, add_endpoint=add_endpoint)
  np.testing.assert_allclose(out[0, :, 0], RESAMPLE_REFERENCE[
      (method, add_endpoint)], atol=1e-5)


@pytest.mark.parametrize('add_endpoint,expected', [
    (True, [0, 2.667, 5.333]), (False, [0, 3.5, 7])])
def test_resample_downsampling_linear(add_endpoint, expected):
  x = np.arange(8, dtype=np.float32)
  np.testing.assert_allclose(core.resample(x, 3, add_endpoint=add_endpoint),
                             expected, atol=1e-3)


@pytest.mark.parametrize('method', ['nearest', 'linear', 'cubic'])
@pytest.mark.parametrize('shape', [(10,), (2, 10), (2, 10, 3), (2, 10, 4, 3)])
def test_resample_keeps_rank(method, shape):
  out = core.resample(tf.random.normal(shape), 40, method=method)
  expected = list(shape)
  expected[1 if len(shape) > 1 else 0] = 40
  assert out.shape == tuple(expected)


@pytest.mark.parametrize('shape', [(10,), (2, 10), (2, 10, 3)])
def test_resample_window_accepts_up_to_3d(shape):
  out = core.resample(tf.random.normal(shape), 40, method='window')
  assert out.shape[-2 if len(shape) == 3 else -1] == 40


def test_resample_window_rejects_4d():
  with pytest.raises(ValueError, match='only supports 3 dimensions'):
    core.resample(tf.zeros([2, 10, 3, 2]), 40, method='window')


@pytest.mark.parametrize('method', ['', 'wiiinnndooww', 'foo'])
def test_resample_unknown_method_raises(method):
  with pytest.raises(ValueError, match='Must be one of'):
    core.resample(tf.zeros([1, 10, 1]), 40, method=method)


@pytest.mark.parametrize('n_frames,n_timesteps,add_endpoint', [
    (5, 20, True), (5, 16, False), (6, 20, False), (10, 100, True)])
def test_window_upsampling_allowed_ratios(n_frames, n_timesteps, add_endpoint):
  out = core.upsample_with_windows(tf.ones([1, n_frames, 2]), n_timesteps,
                                   add_endpoint=add_endpoint)
  np.testing.assert_allclose(out, np.ones([1, n_timesteps, 2]), atol=1e-6)


@pytest.mark.parametrize('n_frames,n_timesteps,add_endpoint,match', [
    (20, 10, True, 'downsampling'), (10, 10, False, 'downsampling'),
    (6, 20, True, 'divisible'), (5, 18, False, 'divisible')])
def test_window_upsampling_refuses_bad_ratios(n_frames, n_timesteps,
                                              add_endpoint, match):
  with pytest.raises(ValueError, match=match):
    core.upsample_with_windows(tf.ones([1, n_frames, 1]), n_timesteps,
                               add_endpoint=add_endpoint)


@pytest.mark.parametrize('method', ['linear', 'cubic', 'window'])
@pytest.mark.parametrize('add_endpoint', [True, False])
def test_upsampling_accuracy_on_smooth_signal(method, add_endpoint):
  n_frames = 50
  n_samples = 980 if (method == 'window' and not add_endpoint) else 1000
  x = np.sin(2 * np.pi * np.arange(n_frames) / n_frames)
  out = _np(core.resample(x[np.newaxis, :, np.newaxis].astype(np.float32),
                          n_samples, method=method,
                          add_endpoint=add_endpoint))[0, :, 0]
  # Source position (in frames) of each output sample.
  j = np.arange(n_samples)
  if add_endpoint:
    position = j * n_frames / n_samples
  elif method == 'window':
    position = j / (n_samples // (n_frames - 1))
  else:
    position = j * (n_frames - 1) / (n_samples - 1)
  expected = np.sin(2 * np.pi * position / n_frames)
  interior = slice(40, -60)
  np.testing.assert_allclose(out[interior], expected[interior], atol=2e-2)


# ------------------------------------------------------------------------------
# Harmonic conversions and oscillators.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('f0', [1000.0, 9000.0])
def test_harmonic_to_sinusoidal_removes_above_nyquist(f0):
  harm_dist = tf.ones([1, 1, 10]) / 10.0
  amps, freqs = core.harmonic_to_sinusoidal(tf.ones([1, 1, 1]), harm_dist,
                                            tf.fill([1, 1, 1], f0))
  above = _np(freqs) >= 8000.0
  assert above.any()
  np.testing.assert_array_equal(_np(amps)[above], 0.0)
  if not above.all():
    np.testing.assert_allclose(_np(amps).sum(), 1.0, rtol=1e-5)


def test_oscillator_bank_reference_and_inclusive_cumsum():
  """Kept from the original: sample 0 has phase omega_0 (inclusive cumsum)."""
  out = core.oscillator_bank(tf.fill([1, 4, 1], 4000.0),
                             tf.fill([1, 4, 1], 0.5))
  np.testing.assert_allclose(out[0], [0.5, 0.0, -0.5, 0.0], atol=1e-6)


@pytest.mark.parametrize('use_angular_cumsum', [False, True])
def test_oscillator_bank_matches_sine(use_angular_cumsum):
  sr, n, f, a = 16000, 2000, 440.0, 0.3
  out = core.oscillator_bank(tf.fill([1, n, 1], f), tf.fill([1, n, 1], a),
                             sample_rate=sr,
                             use_angular_cumsum=use_angular_cumsum)
  t = np.arange(1, n + 1) / sr  # inclusive cumsum grid
  # float32 phase accumulation drifts by ~1e-3 over 2000 samples.
  np.testing.assert_allclose(out[0], a * np.sin(2 * np.pi * f * t),
                             atol=5e-3)


@pytest.mark.parametrize('sum_sinusoids,shape', [(True, (2, 100)),
                                                 (False, (2, 100, 3))])
def test_oscillator_bank_shapes(sum_sinusoids, shape):
  out = core.oscillator_bank(tf.fill([2, 100, 3], 100.0), tf.ones([2, 100, 3]),
                             sum_sinusoids=sum_sinusoids)
  assert out.shape == shape


@pytest.mark.parametrize('sample_rate', [4000, 16000, 44100])
def test_oscillator_bank_silent_above_nyquist(sample_rate):
  freqs = tf.fill([1, 200, 2], sample_rate / 2.0) + tf.constant([0.0, 100.0])
  out = core.oscillator_bank(freqs, tf.ones([1, 200, 2]),
                             sample_rate=sample_rate)
  np.testing.assert_array_equal(out, np.zeros([1, 200]))


def test_fast_cumsum_is_bit_identical_to_tf_cumsum():
  x = tf.random.uniform([2, 2**16, 4], 0.0, 0.5)
  assert core._use_xla_scan(x) == (not tf.config.list_logical_devices('GPU'))
  np.testing.assert_array_equal(core._cumsum_time(x), tf.cumsum(x, axis=1))


@pytest.mark.parametrize('device, cpu_path', [('/CPU:0', True),
                                              ('/GPU:0', False)])
def test_cumsum_picks_its_cpu_path_by_placement(device, cpu_path):
  x = tf.zeros([1, 2**16, 8])
  with tf.device(device):
    assert core._is_large_cpu_tensor(x) is cpu_path
    assert core._use_xla_scan(x) is cpu_path


def test_xla_cumsum_gradient_is_reverse_cumsum():
  x = tf.random.uniform([3, 1500, 5], 0.0, 0.5)
  weights = tf.random.normal([1, 1500, 5])
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    mine = tf.reduce_sum(core._cumsum_time_xla(x) * weights)
    ref = tf.reduce_sum(tf.cumsum(x, axis=1) * weights)
  np.testing.assert_array_equal(core._cumsum_time_xla(x), tf.cumsum(x, axis=1))
  np.testing.assert_allclose(tape.gradient(mine, x), tape.gradient(ref, x),
                             rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('n_harmonics', [1, 20, 40])
def test_harmonic_synthesis_accuracy(n_harmonics):
  sr, n_samples, f0 = 16000, 1600, 110.0
  hd = np.ones([1, 10, n_harmonics], np.float32) / n_harmonics
  out = core.harmonic_synthesis(
      tf.fill([1, 10, 1], f0), tf.fill([1, 10, 1], 0.5),
      harmonic_distribution=hd if n_harmonics > 1 else None,
      n_samples=n_samples, sample_rate=sr)
  t = np.arange(1, n_samples + 1) / sr
  k = np.arange(1, n_harmonics + 1)[:, np.newaxis]
  expected = (0.5 / n_harmonics * np.sin(2 * np.pi * f0 * k * t)).sum(0)
  np.testing.assert_allclose(out[0], expected, atol=5e-3)


def test_harmonic_synthesis_ignores_angular_cumsum_binding():
  """Kept from the original: harmonic_synthesis passes use_angular_cumsum
  explicitly, so a gin binding of oscillator_bank cannot change it."""
  args = (tf.fill([1, 10, 1], 300.0), tf.fill([1, 10, 1], 0.5))
  kwargs = dict(harmonic_distribution=tf.ones([1, 10, 5]) / 5.0,
                n_samples=4000)
  default = core.harmonic_synthesis(*args, **kwargs)
  with gin.unlock_config():
    gin.bind_parameter('h1_bug19/oscillator_bank.use_angular_cumsum', True)
  with gin.config_scope('h1_bug19'):
    bound = core.harmonic_synthesis(*args, **kwargs)
    direct = core.oscillator_bank(tf.fill([1, 4000, 1], 300.0),
                                  tf.ones([1, 4000, 1]))
  np.testing.assert_array_equal(bound, default)
  # ... while a direct oscillator_bank call does see the binding.
  wrapped = core.oscillator_bank(tf.fill([1, 4000, 1], 300.0),
                                 tf.ones([1, 4000, 1]),
                                 use_angular_cumsum=True)
  np.testing.assert_array_equal(direct, wrapped)


def test_streaming_synthesis_continues_phase():
  f0 = tf.fill([1, 20, 1], 220.0)
  amps = tf.fill([1, 20, 1], 0.5)
  hd = tf.ones([1, 20, 4]) / 4.0
  whole, _ = core.streaming_harmonic_synthesis(
      tf.concat([f0, f0], 1), tf.concat([amps, amps], 1),
      tf.concat([hd, hd], 1), n_samples=2000)
  first, phase = core.streaming_harmonic_synthesis(f0, amps, hd,
                                                   n_samples=1000)
  second, _ = core.streaming_harmonic_synthesis(f0, amps, hd,
                                                initial_phase=phase,
                                                n_samples=1000)
  np.testing.assert_allclose(tf.concat([first, second], 1), whole, atol=1e-3)


# ------------------------------------------------------------------------------
# Wavetables and delays.
# ------------------------------------------------------------------------------
def test_linear_lookup_reference():
  table = tf.constant([[0.0, 1.0, 0.0, -1.0]])
  phase = tf.constant([[0.0, 0.25, 0.5, 0.99, 1.0]])
  np.testing.assert_allclose(core.linear_lookup(phase, table)[0],
                             [0.0, 1.0, 0.0, -0.04, 0.0], atol=1e-5)


def test_wavetable_synthesis_matches_sine():
  n_wavetable, sr, n_samples, f = 2048, 16000, 4000, 220.0
  table = np.sin(np.linspace(0, 2 * np.pi, n_wavetable, endpoint=False))
  out = core.wavetable_synthesis(
      tf.fill([1, 10, 1], f), tf.fill([1, 10, 1], 0.8),
      table[np.newaxis].astype(np.float32), n_samples=n_samples,
      sample_rate=sr)
  t = np.arange(n_samples) / sr  # exclusive cumsum grid
  np.testing.assert_allclose(out[0, :3000], 0.8 * np.sin(2 * np.pi * f * t)[
      :3000], atol=1e-2)


def test_harmonic_distribution_to_wavetable_is_sine_for_one_harmonic():
  hd = np.zeros([1, 1, 4], np.float32)
  hd[..., 0] = 0.7
  table = core.harmonic_distribution_to_wavetable(hd, n_wavetable=64)
  expected = 0.7 * np.cos(2 * np.pi * np.arange(64) / 64)
  np.testing.assert_allclose(table[0, 0], expected, atol=1e-5)


@pytest.mark.parametrize('phase,shift', [(0.0, 0), (0.5, 32), (1.0, 64)])
def test_variable_length_delay_shifts_periodic_signal(phase, shift):
  max_length, n = 64, 1000
  audio = np.sin(2 * np.pi * np.arange(n) / 64.0).astype(np.float32)
  out = core.variable_length_delay(tf.fill([1, n, 1], phase),
                                   audio[np.newaxis], max_length=max_length)
  # Phase 1 wraps around to the newest sample: a full period of this sine.
  expected = np.roll(audio, shift)
  np.testing.assert_allclose(out[0, 100:], expected[100:], atol=1e-5)


# ------------------------------------------------------------------------------
# Convolution and filters.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('audio_size,ir_size', [(1000, 10), (10, 100)])
def test_fft_convolve_valid_matches_scipy(audio_size, ir_size):
  rng = np.random.RandomState(1)
  audio = rng.normal(size=[1, audio_size]).astype(np.float32)
  ir = rng.normal(size=[1, ir_size]).astype(np.float32)
  out = core.fft_convolve(audio, ir, padding='valid', delay_compensation=0)
  np.testing.assert_allclose(out[0], signal.fftconvolve(audio[0], ir[0]),
                             atol=1e-4)


def test_fft_convolve_valid_crop_bug_returns_empty():
  """Kept from the original: `audio[:, start:-end]` is empty when end == 0."""
  out = core.fft_convolve(tf.zeros([1, 64000]), tf.zeros([1, 250, 257]),
                          padding='valid')
  assert out.shape == (1, 0)


def test_fft_convolve_broadcasts_single_ir():
  rng = np.random.RandomState(2)
  audio = rng.normal(size=[3, 500]).astype(np.float32)
  ir = rng.normal(size=[1, 33]).astype(np.float32)
  tiled = core.fft_convolve(audio, np.tile(ir, [3, 1]))
  np.testing.assert_array_equal(core.fft_convolve(audio, ir), tiled)


def test_fft_convolve_batch_mismatch_raises():
  with pytest.raises(ValueError, match='Batch size'):
    core.fft_convolve(tf.zeros([2, 1000]), tf.zeros([3, 10]))


@pytest.mark.parametrize('n_frames', [1010, 999])
def test_fft_convolve_frame_mismatch_raises(n_frames):
  with pytest.raises(ValueError, match='do not match'):
    core.fft_convolve(tf.zeros([1, 1000]), tf.zeros([1, n_frames, 10]))


@pytest.mark.parametrize('padding', ['', 'full', 'SAME'])
def test_fft_convolve_bad_padding_raises(padding):
  with pytest.raises(ValueError, match='Padding'):
    core.fft_convolve(tf.zeros([1, 100]), tf.zeros([1, 10]), padding=padding)


def test_flat_filter_with_window_is_zero_delay():
  audio = np.zeros([1, 1000], np.float32)
  audio[0, 500] = 1.0
  out = core.frequency_filter(audio, tf.ones([1, 1, 1025]), window_size=257)
  assert np.argmax(_np(out)[0]) == 500
  np.testing.assert_allclose(_np(out)[0, 500], 1.0, atol=1e-3)


@pytest.mark.parametrize('n_bins', [65, 129])
def test_unwindowed_even_ir_delays_two_samples(n_bins):
  """Contract delay note: the automatic compensation is 2 samples short."""
  audio = np.zeros([1, 1000], np.float32)
  audio[0, 500] = 1.0
  out = core.frequency_filter(audio, tf.ones([1, 1, n_bins]), window_size=0)
  assert np.argmax(_np(out)[0]) == 502


@pytest.mark.parametrize('n_bins,window_size,ir_size', [
    (1025, 0, 2048), (1025, 257, 257), (1025, 22, 21), (1025, 2048, 2048),
    (65, 0, 128), (65, 64, 63)])
def test_frequency_impulse_response_sizes(n_bins, window_size, ir_size):
  ir = core.frequency_impulse_response(tf.ones([2, 3, n_bins]),
                                       window_size=window_size)
  assert ir.shape == (2, 3, ir_size)


@pytest.mark.parametrize('n_frames', [0, 1, 13, 1000])
@pytest.mark.parametrize('n_bins', [513, 1025])
def test_frequency_filter_same_keeps_length(n_frames, n_bins):
  shape = [2, n_bins] if n_frames == 0 else [2, n_frames, n_bins]
  out = core.frequency_filter(tf.random.normal([2, 16000]),
                              tf.random.uniform(shape))
  assert out.shape == (2, 16000)


@pytest.mark.parametrize('window_size', [257, 256])
def test_sinc_filter_same_keeps_length(window_size):
  out = core.sinc_filter(tf.random.normal([2, 16000]),
                         tf.fill([2, 10, 1], 0.3), window_size=window_size)
  assert out.shape == (2, 16000)


def test_sinc_impulse_response_has_unity_dc_gain_and_odd_length():
  ir = core.sinc_impulse_response(tf.fill([1, 2, 1], 0.25), window_size=64)
  assert ir.shape == (1, 2, 65)
  np.testing.assert_allclose(tf.reduce_sum(ir, -1), 1.0, rtol=1e-5)
  hp = core.sinc_impulse_response(tf.fill([1, 2, 1], 0.25), window_size=64,
                                  high_pass=True)
  np.testing.assert_allclose(tf.reduce_sum(hp, -1), 0.0, atol=1e-5)


def test_sinc_impulse_response_mutates_numpy_cutoff():
  """Kept from the original: the cutoff is rescaled in place (sample_rate)."""
  cutoff = np.full([1, 1, 1], 4000.0, np.float32)
  core.sinc_impulse_response(cutoff, window_size=32, sample_rate=16000)
  np.testing.assert_allclose(cutoff, 0.5)


# ------------------------------------------------------------------------------
# Gradients.
# ------------------------------------------------------------------------------
def _assert_useful_gradients(fn, *controls):
  controls = [tf.constant(c, tf.float32) for c in controls]
  with tf.GradientTape() as tape:
    for c in controls:
      tape.watch(c)
    loss = tf.reduce_sum(fn(*controls)**2)
  for g in tape.gradient(loss, controls):
    assert g is not None
    g = _np(g)
    assert np.isfinite(g).all()
    assert np.abs(g).max() > 0.0


def test_gradients_oscillator_bank():
  n = 800
  _assert_useful_gradients(
      core.oscillator_bank,
      np.full([1, n, 3], 220.0) * np.arange(1, 4),
      np.full([1, n, 3], 0.3))


def test_gradients_harmonic_synthesis():
  _assert_useful_gradients(
      lambda f, a, hd: core.harmonic_synthesis(f, a, harmonic_distribution=hd,
                                               n_samples=1000),
      np.full([1, 10, 1], 200.0), np.full([1, 10, 1], 0.5),
      np.full([1, 10, 8], 0.125))


def test_gradients_fft_convolve():
  rng = np.random.RandomState(4)
  _assert_useful_gradients(core.fft_convolve, rng.normal(size=[2, 1000]),
                           rng.normal(size=[2, 10, 31]))


def test_gradients_frequency_filter():
  rng = np.random.RandomState(5)
  _assert_useful_gradients(
      lambda a, m: core.frequency_filter(a, m, window_size=33),
      rng.normal(size=[2, 1000]), rng.uniform(size=[2, 10, 33]))


def test_gradients_wavetable_synthesis():
  rng = np.random.RandomState(6)
  _assert_useful_gradients(
      lambda f, a, w: core.wavetable_synthesis(f, a, w, n_samples=1000),
      np.full([1, 10, 1], 300.0), np.full([1, 10, 1], 0.5),
      rng.normal(size=[1, 10, 64]))


# ------------------------------------------------------------------------------
# Input validation.
# ------------------------------------------------------------------------------
def test_harmonic_synthesis_wrong_rank_names_argument():
  with pytest.raises(ValueError, match='frequencies'):
    core.harmonic_synthesis(tf.ones([1, 10]), tf.ones([1, 10, 1]))
  with pytest.raises(ValueError, match='harmonic_distribution'):
    core.harmonic_synthesis(tf.ones([1, 10, 1]), tf.ones([1, 10, 1]),
                            harmonic_distribution=tf.ones([10, 4]))


@pytest.mark.parametrize('bad', [np.nan, -100.0])
def test_harmonic_synthesis_rejects_nan_or_negative_f0(bad):
  f0 = np.full([1, 10, 1], 200.0, np.float32)
  f0[0, 3, 0] = bad
  with pytest.raises(ValueError, match='frequencies'):
    core.harmonic_synthesis(f0, tf.ones([1, 10, 1]), n_samples=1000)


def test_wavetable_synthesis_rejects_nan_f0():
  f0 = np.full([1, 10, 1], np.nan, np.float32)
  with pytest.raises(ValueError, match='frequencies'):
    core.wavetable_synthesis(f0, tf.ones([1, 10, 1]), tf.ones([1, 8]),
                             n_samples=1000)


@pytest.mark.parametrize('public, body, args', [
    (core.harmonic_synthesis, core._harmonic_synthesis,
     (tf.ones([1, 10, 1]), None, None, 1000, 16000, 'window', False)),
    (core.wavetable_synthesis, core._wavetable_synthesis,
     (tf.ones([1, 10, 1]), tf.ones([1, 8]), 1000, 16000)),
], ids=['harmonic_synthesis', 'wavetable_synthesis'])
def test_frequency_values_are_read_by_the_public_function_only(
    public, body, args, monkeypatch):
  """Processors check f0 once themselves, then call the unchecked body."""
  reads = []
  monkeypatch.setattr(core, '_check_frequencies',
                      lambda *check_args: reads.append(check_args[1:]))
  f0 = np.full([1, 10, 1], -100.0, np.float32)
  assert body(f0, *args).shape == (1, 1000)
  assert not reads
  np.testing.assert_array_equal(public(f0, *args), body(f0, *args))
  assert len(reads) == 1


def test_oscillator_bank_wrong_rank_names_argument():
  with pytest.raises(ValueError, match='frequency_envelopes'):
    core.oscillator_bank(tf.ones([10, 2]), tf.ones([1, 10, 2]))


def test_fft_convolve_wrong_rank_names_argument():
  with pytest.raises(ValueError, match='audio'):
    core.fft_convolve(tf.ones([1, 100, 1]), tf.ones([1, 10]))
  with pytest.raises(ValueError, match='impulse_response'):
    core.fft_convolve(tf.ones([1, 100]), tf.ones([10]))


def test_window_resample_names_frames_and_timesteps():
  with pytest.raises(ValueError, match=r'timesteps:105, frames:11'):
    core.resample(tf.ones([1, 10, 1]), 105, method='window')


# ------------------------------------------------------------------------------
# tf.function and XLA.
# ------------------------------------------------------------------------------
def _synth_inputs():
  rng = np.random.RandomState(7)
  return (tf.constant(rng.uniform(100, 300, [2, 20, 1]), tf.float32),
          tf.constant(rng.uniform(0, 1, [2, 20, 1]), tf.float32),
          tf.constant(rng.uniform(0, 1, [2, 20, 10]), tf.float32))


def _synth(f0, amps, hd):
  return core.harmonic_synthesis(f0, amps, harmonic_distribution=hd,
                                 n_samples=2000)


@pytest.mark.parametrize('jit_compile', [False, True])
def test_harmonic_synthesis_in_tf_function(jit_compile):
  inputs = _synth_inputs()
  eager = _synth(*inputs)
  traced = tf.function(_synth, jit_compile=jit_compile)(*inputs)
  # Graph rewrites (omega = f * 2pi / sr folded) and XLA's own cumsum order
  # change float32 phase rounding, as they do for the original.
  np.testing.assert_allclose(traced, eager, atol=1e-2)


def test_harmonic_synthesis_with_unknown_batch():
  inputs = _synth_inputs()
  spec = [tf.TensorSpec([None, 20, 1]), tf.TensorSpec([None, 20, 1]),
          tf.TensorSpec([None, 20, 10])]
  traced = tf.function(_synth, input_signature=spec)(*inputs)
  np.testing.assert_allclose(traced, _synth(*inputs), atol=1e-3)


def test_fft_convolve_and_frequency_filter_compile_with_xla():
  rng = np.random.RandomState(8)
  audio = tf.constant(rng.normal(size=[2, 4000]), tf.float32)
  ir = tf.constant(rng.normal(size=[2, 40, 31]), tf.float32)
  mags = tf.constant(rng.uniform(size=[2, 40, 17]), tf.float32)
  conv = tf.function(core.fft_convolve, jit_compile=True)
  np.testing.assert_allclose(conv(audio, ir), core.fft_convolve(audio, ir),
                             atol=1e-4)
  filt = tf.function(core.frequency_filter, jit_compile=True)
  np.testing.assert_allclose(filt(audio, mags),
                             core.frequency_filter(audio, mags), atol=1e-4)


def test_core_is_importable_from_package():
  assert ddsp.core.DB_RANGE == 80.0


def test_unknown_batch_and_channels_in_tf_function():
  conv = tf.function(core.fft_convolve, input_signature=[
      tf.TensorSpec([None, 1000]), tf.TensorSpec([1, 100])])
  assert conv(tf.ones([3, 1000]), tf.ones([1, 100])).shape == (3, 1000)
  window = tf.function(lambda x: core.resample(x, 400, 'window'),
                       input_signature=[tf.TensorSpec([None, 50, None])])
  assert window(tf.ones([2, 50, 3])).shape == (2, 400, 3)
  phase = tf.function(core.angular_cumsum,
                      input_signature=[tf.TensorSpec([None, 2500, None])])
  assert phase(tf.ones([2, 2500, 3])).shape == (2, 2500, 3)


def test_traced_graphs_use_plain_cumsum():
  """The XLA scan is an eager-only speed-up; graphs keep tf.cumsum."""
  seen = []

  @tf.function
  def trace(x):
    seen.append(core._use_xla_scan(x))
    return core._cumsum_time(x)

  x = tf.random.uniform([1, 2**16, 8])
  np.testing.assert_array_equal(trace(x), tf.cumsum(x, axis=1))
  assert seen == [False]


_CAPTURED_CONSTANTS_SCRIPT = """
import numpy as np
import tensorflow as tf
from ddsp import core
rng = np.random.RandomState(0)
f0 = rng.uniform(100, 800, (2, 50, 1)).astype(np.float32)
amps = rng.uniform(0, 1, (2, 50, 1)).astype(np.float32)
hd = rng.uniform(0, 1, (2, 50, 30)).astype(np.float32)
synth = lambda: core.harmonic_synthesis(f0, amps, harmonic_distribution=hd,
                                        n_samples=16000)
graph = tf.function(synth)()
assert np.abs(graph.numpy() - synth().numpy()).max() < 0.1
print('OK')
"""


@pytest.mark.slow
def test_tf_function_with_captured_constant_inputs_does_not_crash():
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  result = subprocess.run([sys.executable, '-c', _CAPTURED_CONSTANTS_SCRIPT],
                          capture_output=True, text=True, timeout=600,
                          check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  assert 'OK' in result.stdout
