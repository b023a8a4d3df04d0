"""Public API of ddsp.spectral_ops and ddsp.losses: names, signatures, gin.

Each row is (public name, signature of the original 3.7.0). Classes are
listed with their constructor signature; methods as `Class.method`.
"""

import inspect

from ddsp import losses
from ddsp import spectral_ops
import gin
import pytest

SPECTRAL_OPS_API = [
    ('stft', "(audio, frame_size=2048, overlap=0.75, pad_end=True)"),
    ('stft_np', "(audio, frame_size=2048, overlap=0.75, pad_end=True)"),
    ('compute_mag', "(audio, size=2048, overlap=0.75, pad_end=True)"),
    ('compute_mel',
     "(audio, lo_hz=0.0, hi_hz=8000.0, bins=64, fft_size=2048, overlap=0.75, "
     "pad_end=True, sample_rate=16000)"),
    ('compute_logmag', "(audio, size=2048, overlap=0.75, pad_end=True)"),
    ('compute_logmel',
     "(audio, lo_hz=80.0, hi_hz=7600.0, bins=64, fft_size=2048, "
     "overlap=0.75, pad_end=True, sample_rate=16000)"),
    ('compute_mfcc',
     "(audio, lo_hz=20.0, hi_hz=8000.0, fft_size=1024, mel_bins=128, "
     "mfcc_bins=13, overlap=0.75, pad_end=True, sample_rate=16000)"),
    ('get_framed_lengths',
     "(input_length, frame_size, hop_size, padding='center')"),
    ('pad',
     "(x, frame_size, hop_size, padding='center', axis=1, mode='CONSTANT', "
     "constant_values=0)"),
    ('compute_rms_energy',
     "(audio, sample_rate=16000, frame_rate=250, frame_size=512, "
     "padding='center')"),
    ('compute_power',
     "(audio, sample_rate=16000, frame_rate=250, frame_size=512, ref_db=0.0, "
     "range_db=80.0, padding='center')"),
    ('compute_loudness',
     "(audio, sample_rate=16000, frame_rate=250, n_fft=512, range_db=80.0, "
     "ref_db=0.0, use_tf=True, padding='center')"),
    ('pad_or_trim_to_expected_length',
     "(vector, expected_len, pad_value=0, len_tolerance=20, use_tf=False)"),
    ('safe_log', "(x, eps=1e-05)"),
    ('tf_float32', "(x)"),
]

# CREPE functions are re-exported from ddsp/crepe_model.py; they must accept
# the original parameters first (extra ones only with defaults).
SPECTRAL_OPS_CREPE_API = [
    ('compute_f0', "(audio, frame_rate, viterbi=True, padding='center')"),
    ('reset_crepe', "()"),
    ('PretrainedCREPE', "(model_size_or_path, hop_size=160, **kwargs)"),
]

SPECTRAL_OPS_CONSTANTS = {
    'CREPE_SAMPLE_RATE': 16000,
    'CREPE_FRAME_SIZE': 1024,
    'F0_RANGE': 127.0,
    'DB_RANGE': 80.0,
}

LOSSES_API = [
    ('LossGroup', "(dag, **kwarg_losses)"),
    ('LossGroup.call', "(self, outputs, **kwargs)"),
    ('LossGroup.get_losses_dict', "(self, outputs, **kwargs)"),
    ('Loss.get_losses_dict', "(self, *args, **kwargs)"),
    ('mean_difference', "(target, value, loss_type='L1', weights=None)"),
    ('SpectralLoss',
     "(fft_sizes=(2048, 1024, 512, 256, 128, 64), loss_type='L1', "
     "mag_weight=1.0, delta_time_weight=0.0, delta_freq_weight=0.0, "
     "cumsum_freq_weight=0.0, logmag_weight=0.0, loudness_weight=0.0, "
     "name='spectral_loss')"),
    ('SpectralLoss.call', "(self, target_audio, audio, weights=None)"),
    ('HmmTranscriber',
     "(avg_length=200, midi_std=0.5, amps_on_center=1.5, amps_on_scale=0.5, "
     "amps_off_center=0.0, amps_off_scale=0.1, n_timesteps=1000, "
     "n_pitches=128, weight=1.0, **kwargs)"),
    ('HmmTranscriber.__call__', "(self, pitch, amps)"),
    ('HmmTranscriber.straight_through', "(x, x_quant)"),
    ('HmmTranscriber.nll', "(self, pitch, amps, per_example_loss=False)"),
    ('HmmTranscriber.predict_midi',
     "(self, pitch, amps, channel_dim=True, dtype=tf.float32)"),
    ('EmbeddingLoss',
     "(weight=1.0, loss_type='L1', pretrained_model=None, "
     "name='embedding_loss')"),
    ('EmbeddingLoss.call', "(self, target_audio, audio)"),
    ('PretrainedCREPEEmbeddingLoss',
     "(weight=1.0, loss_type='L1', model_capacity='tiny', "
     "activation_layer='classifier', name='pretrained_crepe_embedding_loss')"),
    ('PretrainedCREPE',
     "(model_capacity='tiny', activation_layer='conv5-maxpool', "
     "name='pretrained_crepe', trainable=False)"),
    ('PretrainedCREPE.build', "(self, unused_x_shape)"),
    ('PretrainedCREPE.frame_audio',
     "(self, audio, hop_length=1024, center=True)"),
    ('PretrainedCREPE.call', "(self, audio)"),
    ('amp_loss',
     "(amp, amp_target, loss_type='L1', weights=None, log=False, amin=1e-05)"),
    ('freq_loss', "(f_hz, f_hz_target, loss_type='L1', weights=None)"),
    ('FilteredNoiseConsistencyLoss', "(weight=1.0, **kwargs)"),
    ('FilteredNoiseConsistencyLoss.call',
     "(self, noise_magnitudes, noise_magnitudes_target)"),
    ('HarmonicConsistencyLoss',
     "(amp_weight=1.0, dist_weight=1.0, f0_weight=1.0, amp_threshold=0.0001, "
     "**kwargs)"),
    ('HarmonicConsistencyLoss.call',
     "(self, harm_amp, harm_amp_target, harm_dist, harm_dist_target, f0_hz, "
     "f0_hz_target)"),
    ('wasserstein_distance',
     "(u_values, v_values, u_weights, v_weights, p=1.0)"),
    ('WassersteinConsistencyLoss', "(weight=1.0, midi=True, **kwargs)"),
    ('WassersteinConsistencyLoss.call',
     "(self, amps_a, freqs_a, amps_b, freqs_b)"),
    ('KDEConsistencyLoss',
     "(weight_a=1.0, weight_b=1.0, weight_mean_amp=1.0, scale_a=0.1, "
     "scale_b=0.1, **kwargs)"),
    ('KDEConsistencyLoss.call', "(self, amps_a, freqs_a, amps_b, freqs_b)"),
    ('KDEConsistencyLoss.kernel_density_estimate',
     "(self, amps, freqs, scale)"),
    ('KDEConsistencyLoss.nll',
     "(self, amps, freqs, amps_target, freqs_target, scale_target)"),
    ('TWMLoss',
     "(sinusoids_weight=1.0, harmonics_weight=1.0, sinusoids_scale=0.5, "
     "harmonics_scale=0.2, n_harmonic_points=10, n_harmonic_gaussians=30, "
     "softmin_temperature=1.0, sample_rate=16000, **kwargs)"),
    ('TWMLoss.get_p_sinusoids_given_harmonics', "(self)"),
    ('TWMLoss.get_p_harmonics_given_sinusoids', "(self, freqs, amps)"),
    ('TWMLoss.get_candidate_harmonics',
     "(self, f0_candidates, as_midi=True)"),
    ('TWMLoss.get_loss_tensors', "(self, f0_candidates, freqs, amps)"),
    ('TWMLoss.call', "(self, f0_candidates, freqs, amps)"),
    ('TWMLoss.predict_f0', "(self, f0_candidates, freqs, amps)"),
    ('ParamLoss', "(weight=1.0, loss_type='L1', **kwargs)"),
    ('ParamLoss.call', "(self, pred, target, weights=None)"),
]

GIN_REGISTERED = {
    'ddsp.spectral_ops': [
        'compute_mag', 'compute_mel', 'compute_logmag', 'compute_logmel',
        'compute_mfcc', 'compute_loudness', 'compute_f0'
    ],
    'ddsp.losses': [
        'LossGroup', 'SpectralLoss', 'HmmTranscriber', 'EmbeddingLoss',
        'PretrainedCREPEEmbeddingLoss', 'FilteredNoiseConsistencyLoss',
        'HarmonicConsistencyLoss', 'WassersteinConsistencyLoss',
        'KDEConsistencyLoss', 'TWMLoss', 'ParamLoss'
    ],
}

GIN_NOT_REGISTERED = {
    'ddsp.spectral_ops': [
        'stft', 'stft_np', 'pad', 'get_framed_lengths', 'compute_rms_energy',
        'compute_power', 'pad_or_trim_to_expected_length', 'reset_crepe',
        'PretrainedCREPE'
    ],
    'ddsp.losses': [
        'Loss', 'PretrainedCREPE', 'mean_difference', 'amp_loss', 'freq_loss',
        'wasserstein_distance'
    ],
}

MODULES = {'ddsp.spectral_ops': spectral_ops, 'ddsp.losses': losses}


def _lookup(module, dotted):
  obj = module
  for part in dotted.split('.'):
    obj = getattr(obj, part)
  return obj


def _signature(obj):
  return str(inspect.signature(obj)).replace("<dtype: 'float32'>",
                                             'tf.float32')


@pytest.mark.parametrize('name,signature', SPECTRAL_OPS_API,
                         ids=[n for n, _ in SPECTRAL_OPS_API])
def test_spectral_ops_signature(name, signature):
  assert _signature(_lookup(spectral_ops, name)) == signature


@pytest.mark.parametrize('name,signature', SPECTRAL_OPS_CREPE_API,
                         ids=[n for n, _ in SPECTRAL_OPS_CREPE_API])
def test_spectral_ops_crepe_signature_extends_original(name, signature):
  got = inspect.signature(_lookup(spectral_ops, name)).parameters
  want = list(
      inspect.signature(eval(f'lambda {signature[1:-1]}: 0')).parameters.values())  # pylint: disable=eval-used
  got_list = list(got.values())
  # Same leading parameters (name, kind, default).
  assert [(p.name, p.kind, p.default) for p in got_list[:len(want)]] == [
      (p.name, p.kind, p.default) for p in want
  ]
  # Anything added has a default (or is **kwargs).
  for p in got_list[len(want):]:
    assert (p.default is not inspect.Parameter.empty or
            p.kind == inspect.Parameter.VAR_KEYWORD), p


@pytest.mark.parametrize('name,value', sorted(SPECTRAL_OPS_CONSTANTS.items()))
def test_spectral_ops_constants(name, value):
  assert getattr(spectral_ops, name) == value


@pytest.mark.parametrize('name,signature', LOSSES_API,
                         ids=[n for n, _ in LOSSES_API])
def test_losses_signature(name, signature):
  assert _signature(_lookup(losses, name)) == signature


def test_loss_classes_are_keras_layers():
  import tf_keras as tfk  # pylint: disable=g-import-not-at-top
  for name in ['Loss', 'SpectralLoss', 'EmbeddingLoss', 'TWMLoss',
               'ParamLoss', 'PretrainedCREPE', 'LossGroup']:
    assert issubclass(getattr(losses, name), tfk.layers.Layer), name
  assert issubclass(losses.SpectralLoss, losses.Loss)
  assert issubclass(losses.PretrainedCREPEEmbeddingLoss, losses.EmbeddingLoss)


def _gin_match(selector):
  return gin.config._REGISTRY.get_match(selector)  # pylint: disable=protected-access


@pytest.mark.parametrize('module_name,name', [
    (m, n) for m, names in GIN_REGISTERED.items() for n in names
])
def test_gin_registered_undecorated(module_name, name):
  configurable = _gin_match(f'{module_name}.{name}')
  assert configurable is not None
  assert configurable.selector == f'{module_name}.{name}'
  # gin.register (not gin.configurable): the module attribute stays the
  # undecorated object, so bindings only apply through gin references.
  assert getattr(MODULES[module_name], name) is configurable.wrapped


@pytest.mark.parametrize('module_name,name', [
    (m, n) for m, names in GIN_NOT_REGISTERED.items() for n in names
])
def test_gin_not_registered(module_name, name):
  assert _gin_match(f'{module_name}.{name}') is None


@gin.configurable('spectral_losses_api_test_holder')
def _holder(loss=None, loudness_fn=None):
  return loss, loudness_fn


def test_gin_binding_applies_only_through_reference():
  with gin.unlock_config():
    gin.clear_config()
    try:
      gin.parse_config("""
          SpectralLoss.mag_weight = 5.0
          spectral_losses_api_test_holder.loss = @losses.SpectralLoss()
          spectral_losses_api_test_holder.loudness_fn = @compute_loudness
      """)
      assert losses.SpectralLoss().mag_weight == 1.0
      loss, loudness_fn = _holder()
      assert isinstance(loss, losses.SpectralLoss)
      assert loss.mag_weight == 5.0
      assert loudness_fn is not None
    finally:
      gin.clear_config()
