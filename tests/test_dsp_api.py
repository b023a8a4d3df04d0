"""Public API of ddsp.dags / processors / synths / effects.

A table of every public name with its exact signature (parameter names,
kinds and defaults, as `inspect.signature` shows them, annotations left
out), and the gin registration (name, module, register vs configurable).
Operative configs and user code depend on these names and defaults.
"""
import inspect
import re
import types

from ddsp import dags
from ddsp import effects
from ddsp import processors
from ddsp import synths
import gin
import pytest
import tensorflow as tf

MODULES = {
    'ddsp.dags': dags,
    'ddsp.processors': processors,
    'ddsp.synths': synths,
    'ddsp.effects': effects,
}

# 'module.Name[.method]': signature without annotations.
SIGNATURES = {
    # dags
    'ddsp.dags.filter_by_value': '(d, cond)',
    'ddsp.dags.is_module': '(v)',
    'ddsp.dags.is_loss': '(v)',
    'ddsp.dags.is_processor': '(v)',
    'ddsp.dags.split_keras_kwargs': '(kwargs)',
    'ddsp.dags.DAGLayer': '(dag, **kwarg_modules)',
    'ddsp.dags.DAGLayer.call': '(self, inputs, **kwargs)',
    'ddsp.dags.DAGLayer.run_dag': '(self, inputs, verbose=False, **kwargs)',
    'ddsp.dags.DAGLayer.format_dag': '(dag)',
    # processors
    'ddsp.processors.Processor': '(name, trainable=False)',
    'ddsp.processors.Processor.call':
        '(self, *args, return_outputs_dict=False, **kwargs)',
    'ddsp.processors.Processor.get_controls': '(self, *args, **kwargs)',
    'ddsp.processors.Processor.get_signal': '(self, *args, **kwargs)',
    'ddsp.processors.ProcessorGroup': '(dag, **kwarg_processors)',
    'ddsp.processors.ProcessorGroup.call':
        '(self, inputs, return_outputs_dict=False, **kwargs)',
    'ddsp.processors.ProcessorGroup.get_controls': '(self, inputs, **kwargs)',
    'ddsp.processors.ProcessorGroup.get_signal': '(self, outputs)',
    'ddsp.processors.Add': "(name='add')",
    'ddsp.processors.Add.get_controls': '(self, signal_one, signal_two)',
    'ddsp.processors.Add.get_signal': '(self, signal_one, signal_two)',
    'ddsp.processors.Mix': "(name='mix')",
    'ddsp.processors.Mix.get_controls':
        '(self, signal_one, signal_two, nn_out_mix_level)',
    'ddsp.processors.Mix.get_signal':
        '(self, signal_one, signal_two, mix_level)',
    'ddsp.processors.Crop': "(frame_size, crop_location='back', name='crop')",
    'ddsp.processors.Crop.get_controls': '(self, audio)',
    'ddsp.processors.Crop.get_signal': '(self, audio)',
    # synths
    'ddsp.synths.TensorToAudio': "(name='tensor_to_audio')",
    'ddsp.synths.TensorToAudio.get_controls': '(self, samples)',
    'ddsp.synths.TensorToAudio.get_signal': '(self, samples)',
    'ddsp.synths.Harmonic':
        '(n_samples=64000, sample_rate=16000, '
        'scale_fn=<function exp_sigmoid>, normalize_below_nyquist=True, '
        "amp_resample_method='window', use_angular_cumsum=False, "
        "name='harmonic')",
    'ddsp.synths.Harmonic.get_controls':
        '(self, amplitudes, harmonic_distribution, f0_hz)',
    'ddsp.synths.Harmonic.get_signal':
        '(self, amplitudes, harmonic_distribution, f0_hz)',
    'ddsp.synths.FilteredNoise':
        '(n_samples=64000, window_size=257, scale_fn=<function exp_sigmoid>, '
        "initial_bias=-5.0, name='filtered_noise')",
    'ddsp.synths.FilteredNoise.get_controls': '(self, magnitudes)',
    'ddsp.synths.FilteredNoise.get_signal': '(self, magnitudes)',
    'ddsp.synths.Wavetable':
        '(n_samples=64000, sample_rate=16000, '
        "scale_fn=<function exp_sigmoid>, name='wavetable')",
    'ddsp.synths.Wavetable.get_controls':
        '(self, amplitudes, wavetables, f0_hz)',
    'ddsp.synths.Wavetable.get_signal': '(self, amplitudes, wavetables, f0_hz)',
    'ddsp.synths.Sinusoidal':
        '(n_samples=64000, sample_rate=16000, '
        "amp_scale_fn=<function exp_sigmoid>, amp_resample_method='window', "
        "freq_scale_fn=<function frequencies_sigmoid>, name='sinusoidal')",
    'ddsp.synths.Sinusoidal.get_controls': '(self, amplitudes, frequencies)',
    'ddsp.synths.Sinusoidal.get_signal': '(self, amplitudes, frequencies)',
    # effects
    'ddsp.effects.tf_float32': '(x)',
    'ddsp.effects.Reverb':
        "(trainable=False, reverb_length=48000, add_dry=True, name='reverb')",
    'ddsp.effects.Reverb.build': '(self, unused_input_shape)',
    'ddsp.effects.Reverb.get_controls': '(self, audio, ir=None)',
    'ddsp.effects.Reverb.get_signal': '(self, audio, ir)',
    'ddsp.effects.ExpDecayReverb':
        '(trainable=False, reverb_length=48000, '
        "scale_fn=<function exp_sigmoid>, add_dry=True, "
        "name='exp_decay_reverb')",
    'ddsp.effects.ExpDecayReverb.build': '(self, unused_input_shape)',
    'ddsp.effects.ExpDecayReverb.get_controls':
        '(self, audio, gain=None, decay=None)',
    'ddsp.effects.ExpDecayReverb.get_signal': '(self, audio, ir)',
    'ddsp.effects.FilteredNoiseReverb':
        '(trainable=False, reverb_length=48000, window_size=257, '
        'n_frames=1000, n_filter_banks=16, scale_fn=<function exp_sigmoid>, '
        "initial_bias=-3.0, add_dry=True, name='filtered_noise_reverb')",
    'ddsp.effects.FilteredNoiseReverb.build': '(self, unused_input_shape)',
    'ddsp.effects.FilteredNoiseReverb.get_controls':
        '(self, audio, magnitudes=None)',
    'ddsp.effects.FIRFilter':
        "(window_size=257, scale_fn=<function exp_sigmoid>, "
        "name='fir_filter')",
    'ddsp.effects.FIRFilter.get_controls': '(self, audio, magnitudes)',
    'ddsp.effects.FIRFilter.get_signal': '(self, audio, magnitudes)',
    'ddsp.effects.ModDelay':
        '(center_ms=15.0, depth_ms=10.0, sample_rate=16000, '
        'gain_scale_fn=<function exp_sigmoid>, '
        'phase_scale_fn=<function sigmoid>, add_dry=True, '
        "name='mod_delay')",
    'ddsp.effects.ModDelay.get_controls': '(self, audio, gain, phase)',
    'ddsp.effects.ModDelay.get_signal': '(self, audio, gain, phase)',
}

# Public non-callable names (type aliases).
ALIASES = {
    'ddsp.dags': {'TensorDict', 'KeyOrModule', 'Node', 'DAG'},
    'ddsp.processors': {'TensorDict'},
    'ddsp.synths': set(),
    'ddsp.effects': set(),
}

# Gin registrations: name -> 'R' (gin.register) or 'C' (gin.configurable).
GIN_NAMES = {
    'ddsp.dags.DAGLayer': 'R',
    'ddsp.dags.run_dag': 'C',
    'ddsp.processors.ProcessorGroup': 'C',
    'ddsp.processors.Add': 'R',
    'ddsp.processors.Mix': 'R',
    'ddsp.processors.Crop': 'R',
    'ddsp.synths.TensorToAudio': 'R',
    'ddsp.synths.Harmonic': 'R',
    'ddsp.synths.FilteredNoise': 'R',
    'ddsp.synths.Wavetable': 'R',
    'ddsp.synths.Sinusoidal': 'R',
    'ddsp.effects.Reverb': 'R',
    'ddsp.effects.ExpDecayReverb': 'R',
    'ddsp.effects.FilteredNoiseReverb': 'R',
    'ddsp.effects.FIRFilter': 'R',
}


def _lookup(path):
  module_name = '.'.join(path.split('.')[:2])
  obj = MODULES[module_name]
  for part in path.split('.')[2:]:
    obj = getattr(obj, part)
  return obj


def _format_default(value):
  if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
    return f'<function {value.__name__}>'
  return repr(value)


def _signature_without_annotations(obj):
  """'(a, b=1, *args, **kwargs)' from inspect.signature, no annotations."""
  parts = []
  for param in inspect.signature(obj).parameters.values():
    if param.kind == param.VAR_POSITIONAL:
      text = f'*{param.name}'
    elif param.kind == param.VAR_KEYWORD:
      text = f'**{param.name}'
    else:
      text = param.name
      if param.default is not param.empty:
        text += f'={_format_default(param.default)}'
    parts.append(text)
  return f'({", ".join(parts)})'


@pytest.mark.parametrize('path', sorted(SIGNATURES))
def test_signature(path):
  assert _signature_without_annotations(_lookup(path)) == SIGNATURES[path]


def test_format_dag_is_a_static_method():
  assert isinstance(inspect.getattr_static(dags.DAGLayer, 'format_dag'),
                    staticmethod)


def test_modules_and_processors_are_properties():
  assert isinstance(inspect.getattr_static(dags.DAGLayer, 'modules'), property)
  assert isinstance(inspect.getattr_static(processors.ProcessorGroup,
                                           'processors'), property)


@pytest.mark.parametrize('module_name', sorted(MODULES))
def test_no_missing_or_extra_public_names(module_name):
  """Public classes/functions defined in the module are exactly the table's."""
  module = MODULES[module_name]
  defined = set()
  for name, value in vars(module).items():
    if name.startswith('_') or isinstance(value, types.ModuleType):
      continue
    if (inspect.isclass(value) or inspect.isfunction(value)):
      if getattr(value, '__module__', None) == module_name or (
          value.__name__ == '<lambda>'):
        defined.add(name)
  expected = {p.split('.')[2] for p in SIGNATURES
              if p.startswith(module_name + '.') and p.count('.') == 2}
  # tf_float32 is core's function re-exported by effects (alias).
  defined |= {n for n in expected if hasattr(module, n)}
  assert defined == expected
  for alias in ALIASES[module_name]:
    assert hasattr(module, alias), alias


def test_effects_tf_float32_is_core_alias():
  from ddsp import core  # pylint: disable=g-import-not-at-top
  assert effects.tf_float32 is core.tf_float32


def test_type_aliases():
  assert dags.TensorDict == processors.TensorDict
  assert dags.KeyOrModule.__constraints__ == (str, tf.Module)


def test_processor_subclasses():
  for name in ('Add', 'Mix', 'Crop'):
    assert issubclass(getattr(processors, name), processors.Processor)
  for name in ('TensorToAudio', 'Harmonic', 'FilteredNoise', 'Wavetable',
               'Sinusoidal'):
    assert issubclass(getattr(synths, name), processors.Processor)
  for name in ('Reverb', 'FIRFilter', 'ModDelay'):
    assert issubclass(getattr(effects, name), processors.Processor)
  for name in ('ExpDecayReverb', 'FilteredNoiseReverb'):
    assert issubclass(getattr(effects, name), effects.Reverb)
  assert issubclass(processors.ProcessorGroup, dags.DAGLayer)


# ------------------------------------------------------------------------------
# Gin registrations.
# ------------------------------------------------------------------------------
def _registered_names(module_names):
  # pylint: disable=protected-access
  return {selector for selector, _ in gin.config._REGISTRY.items()
          if '.'.join(selector.split('.')[:2]) in module_names}


def test_gin_registered_names_are_exactly_the_originals():
  assert _registered_names(set(MODULES)) == set(GIN_NAMES)


def test_mod_delay_is_not_registered():
  assert 'ddsp.effects.ModDelay' not in _registered_names({'ddsp.effects'})


@pytest.mark.parametrize('selector', sorted(
    s for s, kind in GIN_NAMES.items() if kind == 'R'))
def test_gin_register_kind(selector, clean_gin):
  """gin.register: bindings apply through @references only."""
  del clean_gin
  cls = _lookup(selector)
  default_name = inspect.signature(cls).parameters.get('name')
  gin.parse_config(f"{selector}.name = 'bound_by_gin'")
  if selector == 'ddsp.processors.Crop':
    direct = cls(frame_size=2)
  elif selector == 'ddsp.dags.DAGLayer':
    direct = cls(dag=[])
  else:
    direct = cls()
  assert direct.name != 'bound_by_gin'
  if default_name is not None:
    assert direct.name.startswith(default_name.default)
  gin.parse_config(f'obj = @{selector}()')  # Through a gin reference.
  extra = {'frame_size': 2} if selector.endswith('Crop') else {}
  extra = {'dag': []} if selector.endswith('DAGLayer') else extra
  via_gin = gin.get_configurable(selector)(**extra)
  assert via_gin.name == 'bound_by_gin'


def test_gin_configurable_processor_group(clean_gin):
  del clean_gin
  gin.parse_config("""
      ddsp.processors.ProcessorGroup.dag = [(@processors.Add(), ['a', 'b'])]
      ddsp.processors.ProcessorGroup.name = 'bound_group'
  """)
  group = processors.ProcessorGroup()
  assert group.name == 'bound_group'
  assert group.processor_names == ['add']


def test_gin_run_dag_allowlist_is_verbose_only(clean_gin):
  del clean_gin
  gin.parse_config('ddsp.dags.run_dag.verbose = True')
  with pytest.raises(ValueError, match=re.escape('inputs')):
    gin.parse_config('run_dag.inputs = 3')
