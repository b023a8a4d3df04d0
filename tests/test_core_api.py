"""The public API of ddsp.core: names, signatures, defaults, gin registration.

Gin configs, pickles and user code call these functions by name and keyword,
so the table below (the API of the original DDSP 3.7.0) must match exactly.
"""
import inspect

import ddsp
from ddsp import core
import gin
from gin import config as gin_config
import numpy as np
import pytest
import tensorflow as tf

# name -> signature (parameters, defaults; annotations ignored).
SIGNATURES = {
    'tf_float32': '(x)',
    'make_iterable': '(x)',
    'to_dict': '(x, keys)',
    'copy_if_tf_function': '(x)',
    'nested_keys': "(nested_dict, delimiter='/', prefix='')",
    'nested_lookup': "(nested_key, nested_dict, delimiter='/')",
    'leaf_key': "(nested_key, delimiter='/')",
    'map_shape': '(x)',
    'pad_axis': '(x, padding=(0, 0), axis=0, **pad_kwargs)',
    'diff': '(x, axis=-1)',
    'nan_to_num': '(x, value=0.0)',
    'safe_divide': '(numerator, denominator, eps=1e-07)',
    'safe_log': '(x, eps=1e-05)',
    'logb': '(x, base=2.0, eps=1e-05)',
    'log10': '(x, eps=1e-05)',
    'log_scale': '(x, min_x, max_x)',
    'soft_limit': '(x, x_min=0.0, x_max=1.0)',
    'gradient_reversal': '(x)',
    'amplitude_to_db': '(amplitude, ref_db=0.0, range_db=80.0, use_tf=True)',
    'power_to_db': '(power, ref_db=0.0, range_db=80.0, use_tf=True)',
    'db_to_amplitude': '(db)',
    'db_to_power': '(db)',
    'midi_to_hz': '(notes, midi_zero_silence=False)',
    'hz_to_midi': '(frequencies)',
    'unit_to_midi': '(unit, midi_min=20.0, midi_max=90.0, clip=False)',
    'midi_to_unit': '(midi, midi_min=20.0, midi_max=90.0, clip=False)',
    'unit_to_hz': '(unit, hz_min, hz_max, clip=False)',
    'hz_to_unit': '(hz, hz_min, hz_max, clip=False)',
    'hz_to_bark': '(hz)',
    'bark_to_hz': '(bark)',
    'hz_to_mel': '(hz)',
    'mel_to_hz': '(mel)',
    'hz_to_erb': '(hz)',
    'exp_sigmoid': '(x, exponent=10.0, max_value=2.0, threshold=1e-07)',
    'sym_exp_sigmoid': '(x, width=8.0)',
    'frequencies_softmax': '(freqs, depth=1, hz_min=20.0, hz_max=8000.0)',
    'frequencies_sigmoid': '(freqs, depth=1, hz_min=0.0, hz_max=8000.0)',
    'frequencies_critical_bands': (
        "(freqs, depth=1, depth_scale=10.0, bandwidth_scale=1.0, hz_min=20.0, "
        "hz_max=8000.0, scale='bark')"),
    'resample': "(inputs, n_timesteps, method='linear', add_endpoint=True)",
    'upsample_with_windows': '(inputs, n_timesteps, add_endpoint=True)',
    'center_crop': '(audio, frame_size)',
    'sinusoidal_to_harmonic': (
        '(sin_amps, sin_freqs, f0_hz, harmonic_width=0.1, n_harmonics=100, '
        'sample_rate=16000, normalize=False)'),
    'harmonic_to_sinusoidal': (
        '(harm_amp, harm_dist, f0_hz, sample_rate=16000)'),
    'angular_cumsum': '(angular_frequency, chunk_size=1000)',
    'remove_above_nyquist': (
        '(frequency_envelopes, amplitude_envelopes, sample_rate=16000)'),
    'normalize_harmonics': (
        '(harmonic_distribution, f0_hz=None, sample_rate=None)'),
    'oscillator_bank': (
        '(frequency_envelopes, amplitude_envelopes, sample_rate=16000, '
        'sum_sinusoids=True, use_angular_cumsum=False)'),
    'harmonic_oscillator_bank': (
        '(frequency, amplitude_envelopes, initial_phase=None, '
        'sample_rate=16000, use_angular_cumsum=True)'),
    'get_harmonic_frequencies': '(frequencies, n_harmonics)',
    'harmonic_synthesis': (
        '(frequencies, amplitudes, harmonic_shifts=None, '
        'harmonic_distribution=None, n_samples=64000, sample_rate=16000, '
        "amp_resample_method='window', use_angular_cumsum=False)"),
    'streaming_harmonic_synthesis': (
        '(frequencies, amplitudes, harmonic_distribution=None, '
        'initial_phase=None, n_samples=64000, sample_rate=16000, '
        "amp_resample_method='linear')"),
    'linear_lookup': '(phase, wavetables)',
    'harmonic_distribution_to_wavetable': (
        '(harmonic_distribution, n_wavetable=2048)'),
    'wavetable_synthesis': (
        '(frequencies, amplitudes, wavetables, n_samples=64000, '
        'sample_rate=16000)'),
    'variable_length_delay': '(phase, audio, max_length=512)',
    'get_fft_size': '(frame_size, ir_size, power_of_2=True)',
    'crop_and_compensate_delay': (
        '(audio, audio_size, ir_size, padding, delay_compensation)'),
    'fft_convolve': (
        "(audio, impulse_response, padding='same', delay_compensation=-1)"),
    'apply_window_to_impulse_response': (
        '(impulse_response, window_size=0, causal=False)'),
    'frequency_impulse_response': '(magnitudes, window_size=0)',
    'sinc': '(x, threshold=1e-20)',
    'sinc_impulse_response': (
        '(cutoff_frequency, window_size=512, sample_rate=None, '
        'high_pass=False)'),
    'frequency_filter': "(audio, magnitudes, window_size=0, padding='same')",
    'sinc_filter': (
        '(audio, cutoff_frequency, window_size=512, sample_rate=None, '
        "padding='same', high_pass=False)"),
}

GIN_REGISTERED = ['exp_sigmoid', 'sym_exp_sigmoid', 'frequencies_softmax',
                  'frequencies_sigmoid', 'frequencies_critical_bands']
GIN_CONFIGURABLE = ['angular_cumsum', 'oscillator_bank',
                    'harmonic_oscillator_bank']


def _plain_signature(fn):
  """Signature string without annotations."""
  params = [p.replace(annotation=inspect.Parameter.empty)
            for p in inspect.signature(fn).parameters.values()]
  return str(inspect.Signature(params))


def _public_functions():
  return {name for name, obj in vars(core).items()
          if not name.startswith('_') and callable(obj)
          and getattr(obj, '__module__', None) == 'ddsp.core'
          and inspect.isfunction(inspect.unwrap(obj))}


def test_public_functions_are_exactly_those_of_the_original():
  assert _public_functions() == set(SIGNATURES)


@pytest.mark.parametrize('name', sorted(SIGNATURES))
def test_signature(name):
  assert _plain_signature(getattr(core, name)) == SIGNATURES[name]


def test_constants():
  assert core.DB_RANGE == 80.0
  assert isinstance(core.DB_RANGE, float)
  assert core.Number.__constraints__[:3] == (int, float, np.ndarray)
  assert core.Number.__constraints__[3] is tf.Tensor


def test_private_depth_axis_helper_exists():
  x = tf.zeros([2, 3, 8])
  assert core._add_depth_axis(x, 4).shape == (2, 3, 2, 4)


def test_import_ddsp_exposes_core():
  assert ddsp.core is core


@pytest.mark.parametrize('name', GIN_REGISTERED)
def test_gin_register_leaves_function_undecorated(name):
  entry = gin_config._REGISTRY.get_match(f'ddsp.core.{name}')
  assert entry is not None
  assert entry.name == name and entry.module == 'ddsp.core'
  assert entry.wrapped is getattr(core, name)


@pytest.mark.parametrize('name', GIN_CONFIGURABLE)
def test_gin_configurable_decorates_module_function(name):
  entry = gin_config._REGISTRY.get_match(f'ddsp.core.{name}')
  assert entry is not None
  assert entry.name == name and entry.module == 'ddsp.core'
  assert entry.wrapper is getattr(core, name)


def test_registered_binding_ignored_by_direct_calls():
  x = tf.constant([20.0])
  with gin.unlock_config():
    gin.bind_parameter('h1_api_scope/exp_sigmoid.max_value', 1.0)
  with gin.config_scope('h1_api_scope'):
    direct = core.exp_sigmoid(x)
    via_gin = gin.get_configurable('ddsp.core.exp_sigmoid')(x)
  np.testing.assert_allclose(direct, [2.0], rtol=1e-5)
  np.testing.assert_allclose(via_gin, [1.0], rtol=1e-5)


def test_configurable_binding_applies_to_direct_calls():
  freqs = tf.fill([1, 8, 3], 440.0)
  amps = tf.ones([1, 8, 3])
  with gin.unlock_config():
    gin.bind_parameter('h1_api_scope/oscillator_bank.sum_sinusoids', False)
  assert core.oscillator_bank(freqs, amps).shape == (1, 8)
  with gin.config_scope('h1_api_scope'):
    assert core.oscillator_bank(freqs, amps).shape == (1, 8, 3)
