"""Tests of ddsp.spectral_ops (CREPE parts are tested with crepe_model)."""

import re

import ddsp
from ddsp import spectral_ops
from ddsp import test_util
import golden
import numpy as np
import pytest
import tensorflow as tf

AREA = 'spectral_ops'


# ------------------------------------------------------------ golden data --
def run_golden_case(area, case, namespace):
  """Evaluates a golden case's call string; returns {output name: value}."""
  case = dict(case)
  case['doc'] = re.sub(r'\s*\(numpy array\)', '', case['doc'])
  arrays = golden.inputs(area, case)
  result = golden.evaluate_doc(case, arrays, namespace)
  names = [o['name'] for o in case['outputs']]
  if isinstance(result, dict):
    return golden.flatten(result)
  if isinstance(result, (tuple, list)):
    assert len(result) == len(names)
    return dict(zip(names, result))
  assert len(names) == 1
  return {names[0]: result}


def check_golden_outputs(area, case, namespace):
  outputs = run_golden_case(area, case, namespace)
  for spec, ref in golden.expected(area, case):
    golden.assert_output_close(outputs[spec['name']], spec, ref)


def check_golden_raises(case, call):
  """`call()` must raise the golden exception type with its message lines."""
  type_name, _, message = case['raises'].partition(':')
  with pytest.raises(Exception) as info:
    call()
  assert type(info.value).__name__ == type_name, repr(info.value)
  lines = [l.strip() for l in message.split('\n') if l.strip()]
  if len(lines) > 1:
    lines = lines[:-1]  # The last line of a long message may be truncated.
  for line in lines:
    assert line in str(info.value)


def _value_cases(area):
  return golden.case_ids(
      area, lambda c: 'raises' not in c and 'json_result' not in c)


@pytest.mark.parametrize('case_id', _value_cases(AREA))
def test_golden_values(case_id):
  case = golden.get_case(AREA, case_id)
  check_golden_outputs(AREA, case, {'ddsp': ddsp, 'np': np})


def _raising_call(case):
  """A callable reproducing a golden "raises" case of spectral_ops."""
  doc = case['doc']
  namespace = {'ddsp': ddsp, 'np': np}
  if '<audio of the matching _tf case>' in doc:
    tf_id = re.sub(r'_np_raises$', '_tf', case['id'])
    namespace['__audio__'] = golden.inputs(
        AREA, golden.get_case(AREA, tf_id))['audio']
    doc = doc.replace('<audio of the matching _tf case>', '__audio__')
  return lambda: eval(doc, namespace)  # pylint: disable=eval-used


# Calls that raised in the original and work here: the numpy loudness path
# refused hops that make frame_size * overlap odd (e.g. 44.1 kHz at 100
# frames/s, hop 441). It now equals the TensorFlow path's golden output.
FIXED_CRASHES = ('compute_loudness_44100_100_1024_center_np_raises',)


@pytest.mark.parametrize(
    'case_id',
    golden.case_ids(AREA,
                    lambda c: 'raises' in c and c['id'] not in FIXED_CRASHES))
def test_golden_raises(case_id):
  case = golden.get_case(AREA, case_id)
  check_golden_raises(case, _raising_call(case))


@pytest.mark.parametrize('case_id', FIXED_CRASHES)
def test_numpy_loudness_with_odd_overlap_equals_the_tf_golden_output(case_id):
  case = golden.get_case(AREA, case_id)
  tf_case = golden.get_case(AREA, re.sub(r'_np_raises$', '_tf', case_id))
  (spec, ref), = golden.expected(AREA, tf_case)
  mine = _raising_call(case)()
  np.testing.assert_allclose(mine, ref, atol=1e-3)


@pytest.mark.parametrize(
    'case_id', golden.case_ids(AREA, lambda c: 'json_result' in c))
def test_golden_json_results(case_id):
  case = golden.get_case(AREA, case_id)
  assert case['func'] == 'ddsp.spectral_ops.get_framed_lengths'
  for (length, frame, hop, padding), expected in case['json_result']:
    got = spectral_ops.get_framed_lengths(length, frame, hop, padding)
    assert list(got) == expected


# ------------------------------------------------------------------- STFT --
def _noise(shape, seed=0):
  return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize('frame_size,overlap', [(512, 0.75), (256, 0.5),
                                                (1024, 0.75)])
def test_stft_same_padding_equals_pad_end(frame_size, overlap):
  audio = _noise([2, 4000])
  hop = int(frame_size * (1 - overlap))
  padded = spectral_ops.pad(audio, frame_size, hop, padding='same')
  a = spectral_ops.stft(padded, frame_size, overlap, pad_end=False)
  b = spectral_ops.stft(audio, frame_size, overlap, pad_end=True)
  np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)


def test_stft_fft_length_is_next_power_of_two():
  s = spectral_ops.stft(_noise([1, 4000]), frame_size=768, overlap=0.75)
  assert s.shape[-1] == 513
  assert s.dtype == tf.complex64


@pytest.mark.parametrize('shape', [[2, 3, 4000], [1, 2, 3, 400], []])
def test_stft_bad_rank_raises_value_error(shape):
  with pytest.raises(ValueError, match='audio'):
    spectral_ops.stft(np.zeros(shape, np.float32), frame_size=64)


def test_stft_np_matches_tf_stft():
  audio = _noise([2, 4000])
  s_tf = spectral_ops.stft(audio, 512, 0.75, pad_end=True).numpy()
  s_np = spectral_ops.stft_np(audio, 512, 0.75, pad_end=True)
  np.testing.assert_allclose(s_np, s_tf, atol=2e-4)


def test_mel_mfcc_shapes():
  audio = _noise([3, 8000])
  assert spectral_ops.compute_mel(audio, bins=40).shape == (3, 16, 40)
  assert spectral_ops.compute_logmel(audio, bins=40).shape == (3, 16, 40)
  assert spectral_ops.compute_mfcc(audio, mfcc_bins=20).shape == (3, 32, 20)


# ---------------------------------------------------------------- framing --
@pytest.mark.parametrize('padding', ['center', 'same', 'valid'])
@pytest.mark.parametrize('hop_size', [180, 200])
@pytest.mark.parametrize('length', [1000, 16000, 1234])
def test_framed_lengths_match_tf_frame(padding, hop_size, length):
  frame_size = 200
  x = np.ones([1, length], np.float32)
  padded = spectral_ops.pad(x, frame_size, hop_size, padding=padding)
  frames = tf.signal.frame(padded, frame_size, hop_size, pad_end=False)
  n_frames, padded_length = spectral_ops.get_framed_lengths(
      length, frame_size, hop_size, padding)
  assert frames.shape[1] == n_frames
  if padding != 'center':
    assert padded.shape[1] == padded_length


def test_framed_lengths_spec_examples():
  assert spectral_ops.get_framed_lengths(64000, 1024, 64, 'same') == (1000,
                                                                     64960)
  assert spectral_ops.get_framed_lengths(64000, 1024, 64, 'center') == (1001,
                                                                       65024)
  assert spectral_ops.get_framed_lengths(64000, 1024, 64, 'valid') == (985,
                                                                      64000)
  assert spectral_ops.get_framed_lengths(64000, 1024, 320, 'center')[0] == 201


def test_framed_lengths_float_hop_gives_float_padded_length():
  n, padded = spectral_ops.get_framed_lengths(16000, 1024, 16000 / 250,
                                              'same')
  assert n == 250
  assert isinstance(padded, float)


def test_unknown_padding_raises_value_error():
  # The original raised UnboundLocalError (crash); fixed to a ValueError.
  with pytest.raises(ValueError, match='padding'):
    spectral_ops.get_framed_lengths(100, 10, 5, 'causal')
  with pytest.raises(ValueError, match='padding'):
    spectral_ops.pad(np.zeros([1, 100]), 10, 5, 'causal')


def test_pad_hop_larger_than_frame_raises():
  with pytest.raises(ValueError, match='hop_size'):
    spectral_ops.pad(np.zeros([1, 1000]), 256, 320, 'center')


def test_pad_returns_tensor_for_numpy_input():
  y = spectral_ops.pad(np.zeros([100]), 16, 4, 'center')
  assert isinstance(y, tf.Tensor)
  assert y.shape == (116,)


# ------------------------------------------------------- power / loudness --
def _sine_1s():
  return test_util.gen_np_sinusoid(440, 0.5, 16000, 1.0).astype(np.float32)


def test_compute_power_reference_values():
  power = spectral_ops.compute_power(_sine_1s()[None, :])
  assert power.shape == (1, 251)
  np.testing.assert_allclose(power[0, :4],
                             [-12.0657, -11.0615, -10.3041, -9.5974],
                             atol=1e-3)


@pytest.mark.parametrize('padding', ['center', 'same', 'valid'])
@pytest.mark.parametrize('frame_rate,frame_size', [(250, 512), (50, 320)])
def test_compute_power_np_matches_compute_power(padding, frame_rate,
                                                frame_size):
  """The numpy twin gives the TensorFlow path's dB, frame for frame."""
  audio = _sine_1s()[None, :] * np.linspace(0.0, 1.0, 16000, dtype=np.float32)
  want = spectral_ops.compute_power(audio, frame_rate=frame_rate,
                                    frame_size=frame_size, padding=padding)
  got = spectral_ops.compute_power_np(audio, frame_rate=frame_rate,
                                      frame_size=frame_size, padding=padding)
  assert got.shape == tuple(want.shape)
  np.testing.assert_allclose(got, want.numpy(), atol=1e-4)


def test_compute_loudness_reference_values():
  loudness = spectral_ops.compute_loudness(_sine_1s())
  assert loudness.shape == (251,)
  np.testing.assert_allclose(loudness[:5],
                             [6.5598, 8.6745, 9.5069, 9.6826, 9.6904],
                             atol=1e-3)


@pytest.mark.parametrize('padding,n_frames', [('center', 1001), ('same', 1000),
                                              ('valid', 993)])
def test_compute_loudness_frame_counts(padding, n_frames):
  audio = np.zeros([1, 64000], np.float32)
  loudness = spectral_ops.compute_loudness(audio, padding=padding)
  assert loudness.shape == (1, n_frames)


@pytest.mark.parametrize('n_fft,atol', [(2048, 1e-3), (512, 1.0)])
def test_compute_loudness_tf_and_numpy_agree(n_fft, atol):
  audio = test_util.gen_np_batched_sinusoids(440, 0.5, 16000, 1.0, 2)
  ld_tf = spectral_ops.compute_loudness(audio, n_fft=n_fft, use_tf=True)
  ld_np = spectral_ops.compute_loudness(audio, n_fft=n_fft, use_tf=False)
  assert ld_tf.dtype == tf.float32
  assert ld_np.dtype == np.float64
  np.testing.assert_allclose(ld_tf.numpy(), ld_np, atol=atol)


def test_a_weighting_matches_librosa():
  import librosa  # pylint: disable=g-import-not-at-top
  freqs = librosa.fft_frequencies(sr=22050, n_fft=1024)
  with np.errstate(divide='ignore'):
    expected = librosa.A_weighting(freqs)
  np.testing.assert_allclose(spectral_ops.a_weighting_db(freqs), expected,
                             rtol=1e-12, atol=1e-9)


def test_compute_loudness_bad_rank_raises():
  with pytest.raises(ValueError, match='audio'):
    spectral_ops.compute_loudness(np.zeros([2, 2, 2, 4000], np.float32))


def test_compute_loudness_gradient_finite_and_nonzero():
  audio = tf.constant(_noise([2, 4000]))
  with tf.GradientTape() as tape:
    tape.watch(audio)
    loudness = spectral_ops.compute_loudness(audio)
  grad = tape.gradient(loudness, audio).numpy()
  assert np.all(np.isfinite(grad))
  assert np.any(grad != 0)


def test_compute_loudness_gradient_finite_on_silence():
  # |S|^2 is computed as Re^2 + Im^2, so zero STFT bins have finite gradient.
  audio = tf.constant(np.concatenate(
      [np.zeros([1, 2000]), _noise([1, 2000])], axis=1).astype(np.float32))
  with tf.GradientTape() as tape:
    tape.watch(audio)
    loudness = spectral_ops.compute_loudness(audio)
  assert np.all(np.isfinite(tape.gradient(loudness, audio).numpy()))


def test_compute_loudness_xla_matches_eager():
  audio = tf.constant(_noise([2, 8000]))
  eager = spectral_ops.compute_loudness(audio, n_fft=2048)
  xla = tf.function(
      lambda x: spectral_ops.compute_loudness(x, n_fft=2048),
      jit_compile=True)(audio)
  np.testing.assert_allclose(xla.numpy(), eager.numpy(), atol=1e-4)


# ----------------------------------------------------------- pad_or_trim --
def test_pad_or_trim_tf_tensor_1d():
  v = tf.ones([95])
  out = spectral_ops.pad_or_trim_to_expected_length(v, 100, pad_value=3,
                                                    use_tf=True)
  assert out.shape == (100,)
  np.testing.assert_array_equal(out.numpy()[95:], 3.0)


# -------------------------------------------------------------- constants --
def test_constants():
  assert spectral_ops.CREPE_SAMPLE_RATE == 16000
  assert spectral_ops.CREPE_FRAME_SIZE == 1024
  assert spectral_ops.F0_RANGE == 127.0
  assert spectral_ops.DB_RANGE == 80.0
  assert spectral_ops.safe_log is ddsp.core.safe_log
  assert spectral_ops.tf_float32 is ddsp.core.tf_float32


# -------------------------------------------------------------- test_util --
def test_gen_np_sinusoid():
  x = test_util.gen_np_sinusoid(2.0, 0.5, 100, 1.0)
  t = np.linspace(0, 1.0, 100)
  assert x.dtype == np.float64
  np.testing.assert_allclose(x, 0.5 * np.sin(2 * np.pi * 2.0 * t))


def test_gen_np_batched_sinusoids():
  x = test_util.gen_np_batched_sinusoids(3.0, 1.0, 50, 0.5, 4)
  assert x.shape == (4, 25)
  np.testing.assert_array_equal(x[0], x[3])
