"""Specification tests of ddsp.synths."""
import functools

from ddsp import core
from ddsp import synths
import gin
import golden
import numpy as np
import pytest
import tensorflow as tf
from test_processors import check_golden_case


# ------------------------------------------------------------------------------
# Golden cases.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('case_id', golden.case_ids('synths'))
def test_golden_case_eager(case_id):
  check_golden_case('synths', case_id)


@pytest.mark.slow
@pytest.mark.parametrize('case_id', golden.case_ids('synths'))
def test_golden_case_in_tf_function(case_id):
  check_golden_case('synths', case_id, mode='function')


# ------------------------------------------------------------------------------
# Helpers.
# ------------------------------------------------------------------------------
def _randn(*shape, seed=0):
  return tf.constant(np.random.RandomState(seed).randn(*shape).astype(
      np.float32))


def _f0(batch, n_frames, low=100.0, high=800.0, seed=1):
  values = np.random.RandomState(seed).uniform(low, high, (batch, n_frames, 1))
  return tf.constant(values.astype(np.float32))


def _assert_finite_nonzero_gradients(grads, names):
  for name, grad in zip(names, grads):
    assert grad is not None, f'no gradient for {name}'
    grad = tf.convert_to_tensor(grad).numpy()
    assert np.all(np.isfinite(grad)), f'non-finite gradient for {name}'
    assert np.any(grad != 0.0), f'zero gradient for {name}'


# ------------------------------------------------------------------------------
# Shapes and behaviours pinned by the original tests.
# ------------------------------------------------------------------------------
def test_harmonic_output_shape_even_above_nyquist():
  synth = synths.Harmonic(n_samples=64000)
  amps = tf.ones([3, 1000, 1])
  dist = tf.ones([3, 1000, 10])
  f0 = 16000.0 * tf.ones([3, 1000, 1])
  audio = synth(amps, dist, f0)
  assert audio.shape == (3, 64000)
  assert np.all(np.isfinite(audio))


def test_harmonic_attributes():
  synth = synths.Harmonic(n_samples=100, sample_rate=8000, scale_fn=None,
                          normalize_below_nyquist=False,
                          amp_resample_method='linear',
                          use_angular_cumsum=True, name='h')
  assert (synth.n_samples, synth.sample_rate, synth.scale_fn,
          synth.normalize_below_nyquist, synth.amp_resample_method,
          synth.use_angular_cumsum, synth.name) == (
              100, 8000, None, False, 'linear', True, 'h')
  assert not synth.trainable


def test_harmonic_distribution_is_normalized():
  controls = synths.Harmonic().get_controls(
      _randn(2, 10, 1), _randn(2, 10, 12), _f0(2, 10))
  sums = tf.reduce_sum(controls['harmonic_distribution'], axis=-1)
  np.testing.assert_allclose(sums, np.ones([2, 10]), rtol=1e-5)


def test_harmonic_single_sinusoid_matches_formula():
  """1 harmonic at 1 kHz, amplitude 1: sin(2π·f·(t+1)/sr) (inclusive)."""
  n_samples, sr, f = 1000, 16000, 1000.0
  synth = synths.Harmonic(n_samples=n_samples, sample_rate=sr, scale_fn=None,
                          amp_resample_method='linear')
  audio = synth(tf.ones([1, 10, 1]), tf.ones([1, 10, 1]),
                f * tf.ones([1, 10, 1]))
  t = np.arange(1, n_samples + 1)
  np.testing.assert_allclose(audio[0], np.sin(2 * np.pi * f * t / sr),
                             atol=1e-3)


def test_oscillator_bank_angular_cumsum_binding_has_no_effect_on_harmonic():
  """Kept from the original: harmonic_synthesis passes use_angular_cumsum
  explicitly, so a gin binding of oscillator_bank cannot change it."""
  synth = synths.Harmonic(n_samples=16000)
  inputs = (_randn(1, 100, 1), _randn(1, 100, 8), _f0(1, 100))
  plain = synth(*inputs)
  try:
    gin.parse_config('oscillator_bank.use_angular_cumsum = True')
    bound = synth(*inputs)
  finally:
    gin.clear_config()
  np.testing.assert_array_equal(bound, plain)


def test_filtered_noise_output_shape_many_frames():
  synth = synths.FilteredNoise(n_samples=16000)
  audio = synth(_randn(2, 16000, 100))
  assert audio.shape == (2, 16000)


def test_filtered_noise_bias_only_with_scale_fn():
  mags = _randn(1, 4, 5)
  raw = synths.FilteredNoise(scale_fn=None, initial_bias=-5.0)
  np.testing.assert_array_equal(raw.get_controls(mags)['magnitudes'], mags)
  scaled = synths.FilteredNoise(initial_bias=-2.0).get_controls(mags)
  np.testing.assert_allclose(scaled['magnitudes'],
                             core.exp_sigmoid(mags - 2.0), rtol=1e-6)


def test_filtered_noise_is_random_each_call():
  synth = synths.FilteredNoise(n_samples=1600)
  mags = _randn(1, 10, 33)
  assert not np.allclose(synth(mags), synth(mags))


@pytest.mark.slow
def test_wavetable_output_shape():
  synth = synths.Wavetable(n_samples=64000)
  audio = synth(_randn(2, 1000, 1), _randn(2, 1000, 1024), _f0(2, 1000))
  assert audio.shape == (2, 64000)


def test_sinusoidal_output_shape():
  synth = synths.Sinusoidal(n_samples=32000)
  audio = synth(_randn(2, 1000, 8), _randn(2, 1000, 8))
  assert audio.shape == (2, 32000)


def test_sinusoidal_depth_frequencies_stay_in_range():
  freq_scale_fn = functools.partial(core.frequencies_sigmoid, depth=10,
                                    hz_min=0.0, hz_max=8000.0)
  synth = synths.Sinusoidal(n_samples=32000, freq_scale_fn=freq_scale_fn)
  controls = synth.get_controls(_randn(2, 100, 8),
                                10.0 * _randn(2, 100, 80, seed=3))
  freqs = controls['frequencies'].numpy()
  assert freqs.shape == (2, 100, 8)
  assert freqs.min() >= 0.0 and freqs.max() <= 8000.0


def test_sinusoidal_without_freq_scale_fn_keeps_amplitudes():
  synth = synths.Sinusoidal(amp_scale_fn=None, freq_scale_fn=None)
  amps, freqs = _randn(1, 5, 3), 9000.0 * tf.ones([1, 5, 3])
  controls = synth.get_controls(amps, freqs)
  np.testing.assert_array_equal(controls['amplitudes'], amps)


def test_sinusoidal_zeroes_amplitudes_above_nyquist_after_scaling():
  synth = synths.Sinusoidal(sample_rate=8000, amp_scale_fn=None)
  # frequencies_sigmoid maps large logits close to 8000 Hz >= 4000 Hz Nyquist.
  controls = synth.get_controls(tf.ones([1, 5, 3]), 10.0 * tf.ones([1, 5, 3]))
  np.testing.assert_array_equal(controls['amplitudes'], np.zeros([1, 5, 3]))


def test_tensor_to_audio_squeezes_channel():
  samples = _randn(2, 100, 1)
  np.testing.assert_array_equal(synths.TensorToAudio()(samples),
                                samples[:, :, 0])


def test_synths_have_no_variables():
  synth = synths.Harmonic(n_samples=640)
  synth(_randn(1, 10, 1), _randn(1, 10, 4), _f0(1, 10))
  assert not synth.variables


# ------------------------------------------------------------------------------
# Gradients with respect to the controls.
# ------------------------------------------------------------------------------
def _gradients(synth, inputs):
  inputs = [tf.constant(x) for x in inputs]
  with tf.GradientTape() as tape:
    tape.watch(inputs)
    audio = synth(*inputs)
    loss = tf.reduce_mean(tf.square(audio))
  return tape.gradient(loss, inputs)


def test_harmonic_gradients():
  grads = _gradients(synths.Harmonic(n_samples=1600),
                     [_randn(2, 25, 1), _randn(2, 25, 10), _f0(2, 25)])
  _assert_finite_nonzero_gradients(grads, ['amplitudes',
                                           'harmonic_distribution', 'f0_hz'])


def test_filtered_noise_gradients():
  grads = _gradients(synths.FilteredNoise(n_samples=1600),
                     [_randn(2, 25, 33)])
  _assert_finite_nonzero_gradients(grads, ['magnitudes'])


def test_wavetable_gradients():
  grads = _gradients(synths.Wavetable(n_samples=1600),
                     [_randn(2, 25, 1), _randn(2, 25, 64), _f0(2, 25)])
  _assert_finite_nonzero_gradients(grads, ['amplitudes', 'wavetables',
                                           'f0_hz'])


def test_sinusoidal_gradients():
  grads = _gradients(synths.Sinusoidal(n_samples=1600),
                     [_randn(2, 25, 8), _randn(2, 25, 8, seed=4)])
  _assert_finite_nonzero_gradients(grads, ['amplitudes', 'frequencies'])


def test_tensor_to_audio_gradients():
  grads = _gradients(synths.TensorToAudio(), [_randn(2, 50, 1)])
  _assert_finite_nonzero_gradients(grads, ['samples'])


# ------------------------------------------------------------------------------
# Bad input: clear ValueErrors naming the argument.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('bad,match', [
    ({'amplitudes': tf.ones([2, 10])}, 'amplitudes must have rank 3'),
    ({'harmonic_distribution': tf.ones([2, 10, 4, 1])},
     'harmonic_distribution must have rank 3'),
    ({'f0_hz': tf.ones([2, 10])}, 'f0_hz must have rank 3'),
    ({'f0_hz': 100.0 * tf.ones([3, 10, 1])}, 'batch'),
])
def test_harmonic_bad_shapes(bad, match):
  inputs = {'amplitudes': tf.ones([2, 10, 1]),
            'harmonic_distribution': tf.ones([2, 10, 4]),
            'f0_hz': 100.0 * tf.ones([2, 10, 1])}
  inputs.update(bad)
  with pytest.raises(ValueError, match=match):
    synths.Harmonic(n_samples=1000)(inputs['amplitudes'],
                                    inputs['harmonic_distribution'],
                                    inputs['f0_hz'])


def test_harmonic_window_resampling_needs_divisible_n_samples():
  with pytest.raises(ValueError, match=r'n_samples \(1001\).*multiple'):
    synths.Harmonic(n_samples=1001)(tf.ones([1, 10, 1]), tf.ones([1, 10, 4]),
                                    100.0 * tf.ones([1, 10, 1]))


def test_harmonic_linear_resampling_accepts_any_n_samples():
  synth = synths.Harmonic(n_samples=1001, amp_resample_method='linear')
  audio = synth(tf.ones([1, 10, 1]), tf.ones([1, 10, 4]),
                100.0 * tf.ones([1, 10, 1]))
  assert audio.shape == (1, 1001)


@pytest.mark.parametrize('bad_value', [-100.0, np.nan])
def test_harmonic_rejects_negative_or_nan_f0(bad_value):
  f0 = np.full([1, 10, 1], 200.0, np.float32)
  f0[0, 3, 0] = bad_value
  with pytest.raises(ValueError, match='f0_hz'):
    synths.Harmonic(n_samples=1000)(tf.ones([1, 10, 1]), tf.ones([1, 10, 4]),
                                    f0)


def test_harmonic_negative_f0_in_graph_mode_fails_at_run_time():
  synth = synths.Harmonic(n_samples=1000)
  fn = tf.function(synth)
  with pytest.raises(tf.errors.InvalidArgumentError, match='f0_hz'):
    fn(tf.ones([1, 10, 1]), tf.ones([1, 10, 4]), -tf.ones([1, 10, 1]))


def _op_types(fn, *args):
  graph = tf.function(fn).get_concrete_function(*args).graph
  types = [op.type for op in graph.get_operations()]
  for function in graph.as_graph_def().library.function:
    types += [node.op for node in function.node_def]
  return types


@pytest.mark.parametrize('device, asserts', [('/CPU:0', True),
                                             ('/GPU:0', False)])
def test_harmonic_checks_f0_in_graphs_only_where_placed_on_cpu(device,
                                                                 asserts):
  synth = synths.Harmonic(n_samples=1000)

  def placed(amps, dist, f0):
    with tf.device(device):
      return synth(amps, dist, f0)

  spec = tf.TensorSpec([1, 10, 1], tf.float32)
  types = _op_types(placed, spec, tf.TensorSpec([1, 10, 4]), spec)
  assert ('Assert' in types) is asserts


# ------------------------------------------------------------------------------
# Value checks: once per call, on the host only in eager mode, and as one
# assertion per checked control in graphs placed on a CPU (ddsp.processors).
# ------------------------------------------------------------------------------
def _synth_cases():
  """(synth, inputs, names of the controls whose values are checked)."""
  f0 = tf.fill([2, 10, 1], 200.0)
  return {
      'harmonic': (synths.Harmonic(n_samples=1000),
                   [tf.ones([2, 10, 1]), tf.ones([2, 10, 4]), f0], ['f0_hz']),
      'wavetable': (synths.Wavetable(n_samples=1000),
                    [tf.ones([2, 10, 1]), tf.ones([2, 10, 64]), f0],
                    ['f0_hz']),
      'sinusoidal': (synths.Sinusoidal(n_samples=1000, freq_scale_fn=None),
                     [tf.ones([2, 10, 3]), 200.0 * tf.ones([2, 10, 3])],
                     ['frequencies']),
      'filtered_noise': (synths.FilteredNoise(n_samples=1000),
                         [tf.ones([2, 10, 33])], []),
  }


@pytest.fixture(name='host_reads')
def fixture_host_reads(monkeypatch):
  """Records every copy of an eager tensor of rank >= 2 to a NumPy array.

  Such tensors are the synthesizers' inputs and controls; TensorFlow itself
  reads small shape vectors on the host, which are not counted.
  """
  # pylint: disable=g-import-not-at-top,protected-access
  from tensorflow.python.framework import ops
  reads = []

  def is_control(x):
    return isinstance(x, ops._EagerTensorBase) and (x.shape.rank or 0) >= 2

  def counted(read):
    def wrapper(x, *args, **kwargs):
      if is_control(x):
        reads.append(tuple(x.shape))
      return read(x, *args, **kwargs)
    return wrapper

  monkeypatch.setattr(ops._EagerTensorBase, '_numpy',
                      counted(ops._EagerTensorBase._numpy))
  monkeypatch.setattr(np, 'asarray', counted(np.asarray))
  monkeypatch.setattr(np, 'array', counted(np.array))
  return reads


@pytest.mark.parametrize('case', ['harmonic', 'wavetable', 'sinusoidal',
                                  'filtered_noise'])
def test_eager_call_copies_each_checked_control_to_host_once(case,
                                                             host_reads):
  synth, inputs, checked = _synth_cases()[case]
  synth(*inputs)
  assert len(host_reads) == len(checked), host_reads


def test_eager_processor_group_copies_f0_to_host_once(host_reads):
  from ddsp import processors  # pylint: disable=g-import-not-at-top
  group = processors.ProcessorGroup(dag=[
      (synths.Harmonic(n_samples=1000), ['amps', 'dist', 'f0']),
      (synths.FilteredNoise(n_samples=1000), ['noise']),
      (processors.Add(), ['harmonic/signal', 'filtered_noise/signal'])])
  group({'amps': tf.ones([2, 10, 1]), 'dist': tf.ones([2, 10, 4]),
         'f0': tf.fill([2, 10, 1], 200.0), 'noise': tf.ones([2, 10, 33])})
  assert host_reads == [(2, 10, 1)]


@pytest.mark.parametrize('device', ['/CPU:0', '/GPU:0'])
@pytest.mark.parametrize('case', ['harmonic', 'wavetable', 'sinusoidal',
                                  'filtered_noise'])
def test_graph_asserts_once_per_checked_control_only_on_cpu(case, device):
  synth, inputs, checked = _synth_cases()[case]

  def placed(*args):
    with tf.device(device):
      return synth(*args)

  specs = [tf.TensorSpec(x.shape, tf.float32) for x in inputs]
  n_asserts = _op_types(placed, *specs).count('Assert')
  assert n_asserts == (len(checked) if device == '/CPU:0' else 0)


@pytest.mark.parametrize('bad', [np.nan, -100.0])
@pytest.mark.parametrize('case, index, name', [
    ('harmonic', 2, 'f0_hz'),
    ('wavetable', 2, 'f0_hz'),
    ('sinusoidal', 1, 'frequencies'),
])
def test_bad_frequency_values_name_the_control(case, index, name, bad):
  synth, inputs, _ = _synth_cases()[case]
  values = inputs[index].numpy()
  values[0, 3, 0] = bad
  inputs[index] = tf.constant(values)
  problem = 'NaN' if np.isnan(bad) else r'negative values \(min -100.0\)'
  with pytest.raises(ValueError, match=f'{name} contains {problem}; '
                     'frequencies must be >= 0 Hz'):
    synth(*inputs)

  @tf.function
  def on_cpu(*args):
    with tf.device('/CPU:0'):
      return synth(*args)

  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=f'{name} must be >= 0 Hz and not NaN'):
    on_cpu(*inputs)


def test_filtered_noise_frames_must_split_n_samples():
  with pytest.raises(ValueError, match='magnitudes has 999 frames'):
    synths.FilteredNoise(n_samples=16000)(tf.ones([1, 999, 33]))


def test_filtered_noise_bad_rank():
  with pytest.raises(ValueError, match='magnitudes must have rank 2 or 3'):
    synths.FilteredNoise(n_samples=16000)(tf.ones([1, 10, 33, 1]))


def test_wavetable_bad_inputs():
  synth = synths.Wavetable(n_samples=1000)
  with pytest.raises(ValueError, match='wavetables must have rank 3'):
    synth(tf.ones([1, 10, 1]), tf.ones([1, 64]), tf.ones([1, 10, 1]))
  with pytest.raises(ValueError, match='f0_hz'):
    synth(tf.ones([1, 10, 1]), tf.ones([1, 10, 64]), -tf.ones([1, 10, 1]))


def test_sinusoidal_bad_inputs():
  synth = synths.Sinusoidal(n_samples=1000, freq_scale_fn=None)
  with pytest.raises(ValueError, match='batch'):
    synth(tf.ones([2, 10, 3]), tf.ones([3, 10, 3]))
  with pytest.raises(ValueError, match='frequencies'):
    synth(tf.ones([1, 10, 3]), -tf.ones([1, 10, 3]))
  with pytest.raises(ValueError, match='n_samples'):
    synths.Sinusoidal(n_samples=1005)(tf.ones([1, 10, 3]),
                                      tf.ones([1, 10, 3]))


def test_tensor_to_audio_bad_rank():
  with pytest.raises(ValueError, match='samples must have rank 3'):
    synths.TensorToAudio()(tf.ones([2, 100]))


def test_errors_inside_processor_group_keep_type_and_message():
  from ddsp import processors  # pylint: disable=g-import-not-at-top
  group = processors.ProcessorGroup(dag=[
      (synths.Harmonic(n_samples=1000), ['amps', 'dist', 'f0'])])
  with pytest.raises(ValueError, match='amplitudes must have rank 3'):
    group({'amps': tf.ones([1, 10]), 'dist': tf.ones([1, 10, 4]),
           'f0': tf.ones([1, 10, 1])})


# ------------------------------------------------------------------------------
# tf.function with captured constant inputs (run in a subprocess: a crash
# must not take the test session down).
# ------------------------------------------------------------------------------
_CAPTURED_CONSTANTS_SCRIPT = """
import os
os.environ['TF_USE_LEGACY_KERAS'] = '1'
import numpy as np
import tensorflow as tf
from ddsp import synths
rng = np.random.RandomState(0)
amps = rng.randn(2, 50, 1).astype(np.float32)
dist = rng.randn(2, 50, 30).astype(np.float32)
f0 = rng.uniform(100, 800, (2, 50, 1)).astype(np.float32)
synth = synths.Harmonic(n_samples=16000)
graph = tf.function(lambda: synth(amps, dist, f0))()
eager = synth(amps, dist, f0)
assert graph.shape == (2, 16000), graph.shape
assert np.abs(graph.numpy() - eager.numpy()).max() < 0.1
print('OK')
"""


@pytest.mark.slow
def test_harmonic_in_tf_function_with_captured_constant_inputs():
  """Regression: core's XLA cumsum once crashed (segfault) in this setting."""
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  result = subprocess.run([sys.executable, '-c', _CAPTURED_CONSTANTS_SCRIPT],
                          capture_output=True, text=True, timeout=600,
                          check=False)
  assert result.returncode == 0, (
      f'exit code {result.returncode}: {result.stderr[-2000:]}')
  assert 'OK' in result.stdout
