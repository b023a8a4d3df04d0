"""Specification tests of ddsp.processors (Processor, ProcessorGroup, Add,
Mix, Crop) and the golden-case runner shared with test_synths/test_effects.
"""
import re

import ddsp
from ddsp import core
from ddsp import effects
from ddsp import processors
from ddsp import synths
import gin
import golden
import numpy as np
import pytest
import tensorflow as tf
import tf_keras


# ------------------------------------------------------------------------------
# Golden-case runner (also imported by test_synths.py and test_effects.py).
# ------------------------------------------------------------------------------
_VARIABLE_STATEMENT = re.compile(r"^(?:(\w+) )?variables? '")
_VARIABLE_VALUE = re.compile(r"'(\w+)'(?: \([^)]*\))? := <in/(\w+)>")
_ASSIGNMENT = re.compile(r'^(\w+) = ')


def _assign_variables(statement, env, arrays_by_name, used):
  """Runs a prose statement like "obj variable 'ir' := <in/_var_ir>".

  The named Keras layer's weight whose name is 'ir' gets the input array.
  """
  # "obj variable 'ir' := ..." or, for the case's only object, "variables
  # 'gain' := ..., 'decay' := ...".
  layer = env[_VARIABLE_STATEMENT.match(statement).group(1) or 'obj']
  pairs = _VARIABLE_VALUE.findall(statement)
  assert pairs, f'Cannot parse variable assignment: {statement!r}'
  by_name = {v.name.split('/')[-1].split(':')[0]: v for v in layer.weights}
  for var_name, input_name in pairs:
    by_name[var_name].assign(arrays_by_name[input_name])
    used.add(input_name)


def _is_setup(statement):
  """Object construction, build and variable assignment statements."""
  return (_VARIABLE_STATEMENT.match(statement) is not None or
          statement.endswith('.build(None)') or
          re.match(r'^\w+ = ddsp\.(synths|effects|processors)\.\w+\(',
                   statement) is not None)


def _run_compute(statements, env):
  """Runs the non-setup statements; returns the value(s) of the case."""
  for statement in statements[:-1]:
    exec(golden.substitute_inputs(statement), env)  # pylint: disable=exec-used
  last = golden.substitute_inputs(statements[-1])
  if _ASSIGNMENT.match(last) and '==' not in last:
    # ProcessorGroup cases: `outputs = pg.get_controls(...)` then
    # `signal = pg.get_signal(outputs)`.
    exec(last, env)  # pylint: disable=exec-used
    result = dict(env['outputs'])
    result['signal'] = env['signal']
    return result
  return eval(last, env)  # pylint: disable=eval-used


def run_golden_case(area, case, mode='eager'):
  """Runs a golden case; returns {output name: value}.

  Args:
    area: 'synths', 'effects' or 'processors'.
    case: The case dict from golden.cases(area).
    mode: 'eager', or 'function' to run the computation (not the layer
      construction) inside a tf.function.
  """
  arrays_by_name = golden.inputs(area, case)
  env = {'ddsp': ddsp, '__in__': arrays_by_name}
  statements = golden.doc_statements(case)
  setup = [s for s in statements if _is_setup(s)]
  compute = [s for s in statements if not _is_setup(s)]
  used = set()
  for statement in setup:
    if _VARIABLE_STATEMENT.match(statement):
      _assign_variables(statement, env, arrays_by_name, used)
    else:
      code = golden.substitute_inputs(statement)
      exec(code, env)  # pylint: disable=exec-used
  unused_vars = {n for n in arrays_by_name if n.startswith('_var_')} - used
  assert not unused_vars, f'variable inputs not assigned: {unused_vars}'

  def compute_fn(case_inputs):
    return _run_compute(compute, dict(env, __in__=case_inputs))

  noise = golden.noise_inputs(case, arrays_by_name)
  with golden.fixed_uniform_noise(noise):
    if mode == 'function':
      # Inputs are arguments of the traced function (as in a training step).
      tensors = {k: tf.constant(v) for k, v in arrays_by_name.items()}
      value = tf.function(compute_fn)(tensors)
    else:
      value = compute_fn(arrays_by_name)
  return _name_outputs(case, value)


def _name_outputs(case, value):
  if isinstance(value, dict):
    return golden.flatten(value)
  names = [o['name'] for o in case['outputs']]
  assert len(names) == 1, f'{case["id"]}: one value for outputs {names}'
  return {names[0]: value}


def _graph_tolerance(spec):
  """Tolerance for a traced (tf.function) run of an eager golden case.

  Graph mode may pick other kernels / fusions (as XLA did for the stored
  tolerances); cases whose variants could not run keep the 1e-6 floor,
  which is too tight for phase accumulation over thousands of samples, so
  allow 5e-3 of the output scale.
  """
  spec = dict(spec)
  spec['atol'] = max(spec.get('atol', 1e-6),
                     5e-3 * max(1.0, spec.get('max_abs', 1.0)))
  return spec


def check_golden_case(area, case_id, mode='eager'):
  """Runs a case and compares every stored output within tolerance."""
  case = golden.get_case(area, case_id)
  mine = run_golden_case(area, case, mode)
  for spec, ref in golden.expected(area, case):
    assert spec['name'] in mine, (
        f'{case_id}: missing output {spec["name"]!r}; have {sorted(mine)}')
    if mode == 'function':
      spec = _graph_tolerance(spec)
    golden.assert_output_close(mine[spec['name']], spec, ref)
  # No extra outputs beyond the reference (same dict structure).
  assert set(mine) == {spec['name'] for spec in case['outputs']}


# ------------------------------------------------------------------------------
# Golden cases of this area.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('case_id', golden.case_ids('processors'))
def test_golden_case_eager(case_id):
  check_golden_case('processors', case_id)


@pytest.mark.parametrize('case_id', golden.case_ids('processors'))
def test_golden_case_in_tf_function(case_id):
  check_golden_case('processors', case_id, mode='function')


# ------------------------------------------------------------------------------
# Processor base class.
# ------------------------------------------------------------------------------
class _Scale(processors.Processor):
  """Multiplies a signal by a gain (test processor)."""

  def __init__(self, name='scale'):
    super().__init__(name=name)

  def get_controls(self, signal, gain=2.0):
    return {'signal': signal, 'gain': gain}

  def get_signal(self, signal, gain):
    return signal * gain


def test_processor_base_methods_are_abstract():
  p = processors.Processor(name='abstract')
  with pytest.raises(NotImplementedError):
    p.get_controls(tf.ones([1, 2]))
  with pytest.raises(NotImplementedError):
    p.get_signal(tf.ones([1, 2]))


def test_processor_is_keras_layer_without_autocast_or_variables():
  p = _Scale()
  assert isinstance(p, tf_keras.layers.Layer)
  assert p.name == 'scale'
  assert not p.trainable
  assert p._autocast is False  # pylint: disable=protected-access
  p(tf.ones([1, 3]))
  assert not p.variables


def test_processor_call_returns_signal_or_outputs_dict():
  p = _Scale()
  x = tf.ones([2, 3])
  np.testing.assert_allclose(p(x), 2.0 * np.ones([2, 3]))
  outputs = p(x, gain=3.0, return_outputs_dict=True)
  assert set(outputs) == {'signal', 'controls'}
  assert list(outputs['controls']) == ['signal', 'gain']
  np.testing.assert_allclose(outputs['signal'], 3.0 * np.ones([2, 3]))


def test_processor_call_ignores_training_and_mask():
  p = _Scale()
  x = tf.ones([2, 3])
  np.testing.assert_allclose(p(x, training=True, mask=None), 2.0 * x)


class _Tone(processors.Processor):
  """Sine at a frame-wise frequency; 'hz' is checked by `call`."""

  frequency_controls = ('hz',)

  def __init__(self, name='tone'):
    super().__init__(name=name)

  def get_controls(self, hz):
    return {'hz': hz, 'phase': tf.zeros_like(hz)}

  def get_signal(self, hz, phase):
    return tf.sin(hz / 1000.0 + phase)


@pytest.fixture(name='value_checks')
def fixture_value_checks(monkeypatch):
  """Names passed to `processors._check_frequencies`, in call order."""
  names = []
  check = processors._check_frequencies  # pylint: disable=protected-access

  def counted(frequencies, name):
    names.append(name)
    return check(frequencies, name)

  monkeypatch.setattr(processors, '_check_frequencies', counted)
  return names


def test_call_checks_each_frequency_control_once(value_checks):
  p = _Tone()
  p(tf.fill([1, 4, 1], 100.0))
  assert value_checks == ['hz']
  value_checks.clear()
  _Scale()(tf.ones([1, 3]))
  assert not value_checks


def test_call_rejects_bad_frequency_control_in_eager_and_cpu_graph():
  p = _Tone()
  bad = tf.constant([[[100.0], [-1.0]]])
  with pytest.raises(ValueError, match='hz contains negative values'):
    p(bad)

  @tf.function
  def on_cpu(hz):
    with tf.device('/CPU:0'):
      return p(hz)

  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='hz must be >= 0 Hz and not NaN'):
    on_cpu(bad)


def test_get_signal_alone_makes_no_value_checks(value_checks):
  """Value checks belong to `call`; get_signal is the unchecked half."""
  p = _Tone()
  out = p.get_signal(tf.constant([[[-1.0]]]), tf.zeros([1, 1, 1]))
  np.testing.assert_allclose(out, np.sin([[[-1e-3]]]), rtol=1e-6)
  assert not value_checks


def test_outputs_dict_holds_the_controls_of_get_controls():
  p = _Tone()
  hz = tf.fill([1, 4, 1], 100.0)
  outputs = p(hz, return_outputs_dict=True)
  assert outputs['controls']['hz'] is hz
  np.testing.assert_allclose(outputs['signal'], np.full([1, 4, 1], np.sin(0.1)),
                             rtol=1e-6)


# ------------------------------------------------------------------------------
# Add / Mix / Crop.
# ------------------------------------------------------------------------------
def test_add_sums_signals():
  out = processors.Add()(tf.ones([2, 5]), 2.0 * tf.ones([2, 5]))
  np.testing.assert_allclose(out, 3.0 * np.ones([2, 5]))


def test_mix_keeps_shape():
  one = tf.random.normal([2, 100, 3])
  two = tf.random.normal([2, 100, 3])
  level = tf.random.normal([2, 10, 1])
  assert processors.Mix()(one, two, level).shape == (2, 100, 3)


def test_mix_rejects_different_lengths():
  with pytest.raises(ValueError, match='signal_one and signal_two'):
    processors.Mix()(tf.ones([2, 100, 1]), tf.ones([2, 90, 1]),
                     tf.ones([2, 10, 1]))


def test_mix_signal_formula():
  """sqrt(|m|)·s1 + (1 − sqrt(|m − 1|))·s2 (the original's mix law)."""
  one, two = tf.ones([1, 4, 1]), 2.0 * tf.ones([1, 4, 1])
  level = tf.constant([0.0, 0.25, 1.0, 4.0])[None, :, None]
  expected = (np.sqrt([0.0, 0.25, 1.0, 4.0]) * 1.0 +
              (1.0 - np.sqrt([1.0, 0.75, 0.0, 3.0])) * 2.0)
  out = processors.Mix().get_signal(one, two, level)
  np.testing.assert_allclose(out[0, :, 0], expected, rtol=1e-6)


@pytest.mark.parametrize('location,expected', [
    ('front', np.arange(6, 20)),
    ('center', np.arange(3, 17)),
    ('back', np.arange(0, 14)),
])
def test_crop_locations(location, expected):
  audio = np.arange(20, dtype=np.float32)[None, :]
  crop = processors.Crop(frame_size=7, crop_location=location)
  assert crop.frame_size == 7 and crop.crop_location == location
  np.testing.assert_array_equal(crop(audio)[0], expected)


def test_crop_unknown_location_raises():
  with pytest.raises(ValueError, match='crop_location'):
    processors.Crop(frame_size=4, crop_location='middle')(tf.ones([1, 10]))


# ------------------------------------------------------------------------------
# ProcessorGroup.
# ------------------------------------------------------------------------------
def _solo_inputs(batch=2, n_frames=50, n_harmonics=20, n_bands=65, seed=0):
  rng = np.random.RandomState(seed)
  return {
      'amps': rng.randn(batch, n_frames, 1).astype(np.float32),
      'harmonic_distribution': rng.randn(batch, n_frames,
                                         n_harmonics).astype(np.float32),
      'f0_hz': rng.uniform(100, 500, (batch, n_frames, 1)).astype(np.float32),
      'noise_magnitudes': rng.randn(batch, n_frames,
                                    n_bands).astype(np.float32),
  }


def _solo_group(n_samples=8000, reverb_length=1000, noise_name='noise'):
  dag = [
      (synths.Harmonic(n_samples=n_samples, name='harmonic'),
       ['amps', 'harmonic_distribution', 'f0_hz']),
      (synths.FilteredNoise(n_samples=n_samples, name=noise_name),
       ['noise_magnitudes']),
      (processors.Add(name='add'), [f'{noise_name}/signal', 'harmonic/signal']),
      (effects.Reverb(trainable=True, reverb_length=reverb_length,
                      name='reverb'), ['add/signal']),
  ]
  return processors.ProcessorGroup(dag=dag, name='processor_group')


def test_processor_group_output_keys():
  group = _solo_group()
  outputs = group.get_controls(_solo_inputs())
  keys = set(core.nested_keys(outputs))
  expected = {
      'harmonic/signal', 'harmonic/controls/amplitudes',
      'harmonic/controls/harmonic_distribution', 'harmonic/controls/f0_hz',
      'noise/signal', 'noise/controls/magnitudes', 'add/signal',
      'add/controls/signal_one', 'add/controls/signal_two', 'reverb/signal',
      'reverb/controls/ir', 'reverb/controls/audio', 'out/signal',
      'out/controls/ir', 'out/controls/audio',
      'amps', 'inputs/amps', 'f0_hz', 'inputs/f0_hz',
  }
  assert expected <= keys
  assert group.get_signal(outputs).shape == (2, 8000)


def test_processor_group_call_returns_signal_and_dict():
  group = _solo_group()
  inputs = _solo_inputs()
  signal = group(inputs)
  assert signal.shape == (2, 8000)
  outputs = group(inputs, return_outputs_dict=True)
  assert set(outputs) == {'signal', 'controls'}
  assert outputs['signal'].shape == (2, 8000)
  assert 'reverb' in outputs['controls']


def test_processor_group_default_name_and_processors():
  tf_keras.backend.clear_session()  # Reset Keras' unique-name counters.
  group = processors.ProcessorGroup(dag=[(processors.Add(), ['a', 'b'])])
  assert group.name == 'processor_group'
  assert group.processor_names == ['add']
  assert [p.name for p in group.processors] == ['add']


def test_processor_group_variables_and_checkpoint_paths():
  group = _solo_group()
  group(_solo_inputs())
  assert [v.name for v in group.trainable_variables] == [
      'processor_group/reverb/ir:0']
  checkpoint = tf.train.Checkpoint(processor_group=group)
  names = [n for n, _ in tf.train.list_variables(
      checkpoint.write(_tmp_prefix()))]
  assert 'processor_group/reverb/ir/.ATTRIBUTES/VARIABLE_VALUE' in names


def _tmp_prefix():
  import tempfile  # pylint: disable=g-import-not-at-top
  return tempfile.mkdtemp() + '/ckpt'


def test_processor_group_gradients_reach_controls_and_reverb():
  group = _solo_group(reverb_length=500)
  inputs = {k: tf.constant(v) for k, v in _solo_inputs().items()}
  with tf.GradientTape() as tape:
    tape.watch(list(inputs.values()))
    loss = tf.reduce_mean(tf.square(group(inputs)))
  grads = tape.gradient(loss, list(inputs.values()) +
                        group.trainable_variables)
  for name, grad in zip(list(inputs) + ['reverb/ir'], grads):
    if name == 'f0_hz':
      continue  # Frequencies get gradients too, but they are not required.
    assert grad is not None, name
    assert np.all(np.isfinite(grad)), name
    assert np.any(grad != 0.0), name


# ------------------------------------------------------------------------------
# Gin: the solo-instrument processor group from a gin string.
# ------------------------------------------------------------------------------
_SOLO_INSTRUMENT_GIN = """
import ddsp

ProcessorGroup.dag = [
    (@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),
    (@synths.FilteredNoise(), ['noise_magnitudes']),
    (@processors.Add(), ['filtered_noise/signal', 'harmonic/signal']),
    (@effects.Reverb(), ['add/signal']),
]
Harmonic.name = 'harmonic'
Harmonic.n_samples = 8000
Harmonic.sample_rate = 16000
Harmonic.normalize_below_nyquist = True
Harmonic.scale_fn = @core.exp_sigmoid
FilteredNoise.name = 'filtered_noise'
FilteredNoise.n_samples = 8000
FilteredNoise.window_size = 0
FilteredNoise.scale_fn = @core.exp_sigmoid
processors.Add.name = 'add'
Reverb.name = 'reverb'
Reverb.reverb_length = 2000
Reverb.trainable = True
"""


def test_gin_string_builds_solo_instrument_group(clean_gin):
  """The solo_instrument.gin DAG, built from gin, equals the golden DAG."""
  del clean_gin
  gin.parse_config(_SOLO_INSTRUMENT_GIN)
  group = processors.ProcessorGroup()  # gin.configurable: picks up the dag.
  case = golden.get_case('processors', 'processor_group_solo_instrument_dag')
  arrays_by_name = golden.inputs('processors', case)
  inputs = {k: arrays_by_name[k] for k in
            ('amps', 'harmonic_distribution', 'f0_hz', 'noise_magnitudes')}
  group.get_controls(inputs)  # Builds the reverb variable.
  group.reverb.trainable_variables[0].assign(arrays_by_name['_var_reverb_ir'])
  assert group.processor_names == ['harmonic', 'filtered_noise', 'add',
                                   'reverb']
  assert group.harmonic.n_samples == 8000
  assert group.filtered_noise.window_size == 0
  with golden.fixed_uniform_noise(golden.noise_inputs(case, arrays_by_name)):
    outputs = group.get_controls(inputs)
  mine = golden.flatten(outputs)
  mine['signal'] = group.get_signal(outputs)
  for spec, ref in golden.expected('processors', case):
    golden.assert_output_close(mine[spec['name']], spec, ref)


def test_gin_operative_config_lists_parameters_with_original_names(clean_gin):
  """Operative configs (written by ddsp_run) record every parameter."""
  del clean_gin
  gin.parse_config(_SOLO_INSTRUMENT_GIN)
  group = processors.ProcessorGroup()
  inputs = {k: v[:, :10] for k, v in _solo_inputs(n_frames=10).items()}
  group(inputs)
  operative = gin.operative_config_str()
  for line in ['Harmonic.amp_resample_method = \'window\'',
               'Harmonic.use_angular_cumsum = False',
               'FilteredNoise.initial_bias = -5.0',
               'Reverb.add_dry = True',
               'run_dag.verbose = False']:
    assert line in operative, line


def test_gin_register_bindings_do_not_apply_to_direct_calls(clean_gin):
  del clean_gin
  gin.parse_config('Harmonic.n_samples = 123\nReverb.reverb_length = 7')
  assert synths.Harmonic().n_samples == 64000
  assert effects.Reverb()._reverb_length == 48000  # pylint: disable=protected-access


def test_gin_configurable_processor_group_binding_applies(clean_gin):
  del clean_gin
  gin.parse_config("""
      ProcessorGroup.dag = [(@processors.Add(), ['a', 'b'])]
  """)
  group = processors.ProcessorGroup()
  out = group({'a': tf.ones([1, 3]), 'b': tf.ones([1, 3])})
  np.testing.assert_allclose(out, 2.0 * np.ones([1, 3]))


def test_gin_run_dag_verbose_binding_logs_shapes(clean_gin, caplog):
  del clean_gin
  gin.parse_config('run_dag.verbose = True')
  group = processors.ProcessorGroup(dag=[(processors.Add(), ['a', 'b'])])
  import logging  # pylint: disable=g-import-not-at-top
  # The absl logger's own level too: absl sets it when a command parses
  # its flags (--verbosity), which other tests in the process may do.
  with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO,
                                                      logger='absl'):
    group({'a': tf.ones([1, 3]), 'b': tf.ones([1, 3])})
  assert 'Input to Module: add' in caplog.text
  assert '[1, 3]' in caplog.text


# ------------------------------------------------------------------------------
# tf.function and tf.distribute.
# ------------------------------------------------------------------------------
def test_processor_group_in_tf_function_matches_eager():
  group = _solo_group(reverb_length=500)
  inputs = _solo_inputs()
  group(inputs)  # Build eagerly.
  noise = [np.random.RandomState(1).uniform(-1, 1, (2, 8000)).astype(
      np.float32)]
  with golden.fixed_uniform_noise(noise):
    eager = group(inputs)
  with golden.fixed_uniform_noise(noise):
    graph = tf.function(group)(inputs)
  np.testing.assert_allclose(graph, eager, atol=2e-3)


def test_processor_group_under_distribution_strategy():
  strategy = tf.distribute.OneDeviceStrategy('/cpu:0')
  with strategy.scope():
    group = _solo_group(reverb_length=500)
  inputs = {k: tf.constant(v) for k, v in _solo_inputs().items()}

  @tf.function
  def step(features):
    return group(features)

  out = strategy.run(step, args=(inputs,))
  assert out.shape == (2, 8000)
  assert np.all(np.isfinite(out))
  assert group.reverb.trainable_variables[0].shape == (500,)


def test_processor_group_with_unknown_batch_size():
  """Datasets without drop_remainder give a None batch dimension."""
  group = _solo_group(reverb_length=500)
  specs = {
      'amps': tf.TensorSpec([None, 50, 1]),
      'harmonic_distribution': tf.TensorSpec([None, 50, 20]),
      'f0_hz': tf.TensorSpec([None, 50, 1]),
      'noise_magnitudes': tf.TensorSpec([None, 50, 65]),
  }
  fn = tf.function(group, input_signature=[specs])
  out = fn({k: tf.constant(v) for k, v in _solo_inputs(batch=3).items()})
  assert out.shape == (3, 8000)
  assert np.all(np.isfinite(out))
