"""Stateful streaming synthesis: timbre transfer independent of block length.

A small autoencoder with random weights (the engine must reproduce whatever
the weights compute) at 32 kHz and 100 frames/s, with a reverb whose tail
spans block boundaries (`streaming_models`).
"""
import logging
import os
import re
import stat
import types

import gin
import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from ddsp import effects
from ddsp.training import decoders
from ddsp.training import nn
from ddsp.training import preprocessing
from ddsp.training.playback import blocks
from ddsp.training.playback import streaming
from ddsp.training.playback import transfer
import streaming_models

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_RATE = 32000
FRAME_RATE = 100
HOP = SAMPLE_RATE // FRAME_RATE
BLOCK_SECONDS = [1.0, 4.0, 100.0]
ONE_BLOCK = 100.0  # Longer than the 20 s input.
_stream_parts = streaming_models.stream_parts


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
  folder = str(tmp_path_factory.mktemp('streaming_model'))
  return streaming_models.write_random_model(
      folder, streaming_models.model_gin(SAMPLE_RATE, FRAME_RATE))


@pytest.fixture(scope='module')
def synth(model_dir):
  gin.clear_config()
  return blocks.BlockSynthesizer(model_dir, block_seconds=0.1,
                                          noise_seed=0)


def _glide(n_frames):
  """f0 gliding over two octaves and a loudness swell, [n_frames] each."""
  t = np.arange(n_frames) / FRAME_RATE
  f0 = 220.0 * 2.0**(1.0 + np.sin(2 * np.pi * 0.3 * t))
  db = -45.0 + 25.0 * np.sin(2 * np.pi * 0.7 * t)**2
  return f0.astype(np.float32), db.astype(np.float32)


# ------------------------------------------------------------------------------
# The engine is the model.
# ------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def keras_run(model_dir, synth):
  """The Keras model on 2 s at once, and the engine's one-block parts."""
  f0, db = _glide(2 * FRAME_RATE)
  return streaming_models.whole_and_streamed(model_dir, synth.engine, f0, db,
                                             len(f0), seed=3)


@pytest.mark.slow
def test_engine_harmonic_equals_the_models_harmonic_signal(keras_run):
  """Tolerance 1% of the peak. The engine sums phase in float64; the model
  in float32 (`angular_cumsum`, chunks of 1000 samples), whose rounding
  grows to ~1e-3 rad per harmonic within a chunk, times the summed harmonic
  amplitudes. A phase or frame misalignment of one sample errs by > 5%."""
  outputs, _, parts, _ = keras_run
  expected = outputs['harmonic']['signal'].numpy()[0]
  peak = np.abs(expected).max()
  assert peak > 0.01
  np.testing.assert_allclose(parts['harmonic'], expected, atol=0.01 * peak)


@pytest.mark.slow
def test_engine_noise_is_the_models_filter_on_seeded_noise(keras_run):
  """The model's filter (its magnitudes, window) on the engine's noise
  (drawn in sample order from the seed): float32 vs float64 FFTs, 1e-5."""
  _, controls, parts, model = keras_run
  expected = streaming_models.filtered_seeded_noise(
      model, controls, parts['noise'].size, seed=3)
  np.testing.assert_allclose(parts['noise'], expected, atol=1e-5)


@pytest.mark.slow
def test_engine_audio_is_the_models_reverb_of_the_sum(keras_run):
  _, _, parts, model = keras_run
  reverb = model.processor_group.reverb
  dry = parts['harmonic'] + parts['noise']
  ir = reverb.get_controls(dry[None])['ir']
  expected = effects.Reverb(add_dry=True).get_signal(dry[None], ir)
  np.testing.assert_allclose(parts['audio'], expected.numpy()[0], atol=1e-5)


def test_block_synthesizer_takes_its_rates_from_the_model(synth):
  assert (synth.sample_rate, synth.hop_size) == (SAMPLE_RATE, HOP)
  assert synth.frame_rate == FRAME_RATE
  assert synth.engine is not None


@pytest.mark.slow
def test_xla_compiled_decoder_gives_the_same_stream(synth):
  """Same controls up to float32 reordering by XLA: tolerance 1e-4."""
  f0, db = _glide(60)
  compiled = streaming.StreamingSynthesizer(synth, jit_compile=True)
  expected = _stream_parts(synth.engine, f0, db, 20)['audio']
  np.testing.assert_allclose(_stream_parts(compiled, f0, db, 20)['audio'],
                             expected, atol=1e-4)


@pytest.mark.parametrize('n_frames', [1, 9, 10, 11, 95])
def test_stream_length_is_n_frames_hops(synth, n_frames):
  f0, db = _glide(n_frames)
  audio = list(blocks.synthesize_stream(synth, f0, db))
  assert sum(b.size for b in audio) == n_frames * HOP


@pytest.mark.parametrize('f0,db,match', [
    ([220.0, np.nan, 220.0], [-30.0] * 3, 'f0_hz is not finite'),
    ([220.0, 220.0, 220.0], [-30.0, np.inf, -30.0],
     'loudness_db is not finite'),
    ([220.0, -5.0, 220.0], [-30.0] * 3, 'f0_hz is negative'),
    ([220.0, 220.0], [-30.0] * 3, 'frames'),
    ([220.0] * 25, [-30.0] * 24, 'frames'),
])
def test_bad_features_are_one_clear_error(synth, f0, db, match):
  with pytest.raises(ValueError, match=match):
    list(blocks.synthesize_stream(
        synth, np.array(f0, np.float32), np.array(db, np.float32)))


# ------------------------------------------------------------------------------
# Writing files.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('existing', [False, True])
def test_failed_synthesis_leaves_no_partial_file(synth, tmp_path, existing):
  """A NaN in the third 0.1 s block fails after two blocks are written."""
  out = tmp_path / 'out.wav'
  if existing:
    sf.write(str(out), np.zeros(100, np.float32), 8000)
  before = out.read_bytes() if existing else None
  f0, db = _glide(50)
  f0[25] = np.nan
  with pytest.raises(ValueError, match='not finite'):
    transfer.write_synthesis(synth, {'f0_hz': f0, 'loudness_db': db},
                             str(out))
  assert sorted(os.listdir(tmp_path)) == (['out.wav'] if existing else [])
  if existing:
    assert out.read_bytes() == before


def test_write_synthesis_writes_the_stream_at_the_model_rate(synth,
                                                             tmp_path):
  out = tmp_path / 'sub' / 'out.wav'
  f0, db = _glide(50)
  n = transfer.write_synthesis(synth, {'f0_hz': f0, 'loudness_db': db},
                               str(out))
  audio, rate = sf.read(str(out), dtype='float32')
  assert (rate, n, audio.size) == (SAMPLE_RATE, 50 * HOP, 50 * HOP)
  assert os.listdir(out.parent) == ['out.wav']
  umask = os.umask(0)
  os.umask(umask)
  assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~umask


# ------------------------------------------------------------------------------
# Models the engine does not understand.
# ------------------------------------------------------------------------------
HARMONIC_ONLY_DAG = """
ProcessorGroup.dag = [
  (@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),
]
"""


@pytest.mark.slow
def test_other_processor_groups_fall_back_to_crossfaded_blocks(
    tmp_path, caplog):
  folder = streaming_models.write_random_model(
      str(tmp_path / 'harmonic_only'),
      streaming_models.model_gin(SAMPLE_RATE, FRAME_RATE) +
      HARMONIC_ONLY_DAG)
  gin.clear_config()
  with caplog.at_level(logging.WARNING):
    fallback = blocks.BlockSynthesizer(folder, block_seconds=0.5,
                                                preroll_seconds=0.1)
  assert fallback.engine is None
  assert 'independent blocks' in caplog.text
  f0, db = _glide(120)
  audio = np.concatenate(list(blocks.synthesize_stream(fallback,
                                                                f0, db)))
  assert audio.size == 120 * HOP
  assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 0


@pytest.mark.parametrize('rnn_type, bidir, kind', [
    ('lstm', False, 'LSTM'), ('gru', True, 'bidirectional GRU')])
def test_models_the_engine_cannot_carry_raise_unsupported_model_error(
    rnn_type, bidir, kind):
  decoder = decoders.RnnFcDecoder(rnn_channels=4, rnn_type=rnn_type, ch=4,
                                  layers_per_stack=1)
  decoder.rnn = nn.Rnn(4, rnn_type, bidir=bidir)
  model = types.SimpleNamespace(
      encoder=None, preprocessor=preprocessing.F0LoudnessPreprocessor(),
      decoder=decoder)
  reason = f'decoder RNN {kind} (a single GRU is carried)'
  assert streaming.unsupported_reason(model) == reason
  with pytest.raises(streaming.UnsupportedModelError, match=re.escape(reason)):
    streaming.StreamingSynthesizer(model)
  assert issubclass(streaming.UnsupportedModelError, ValueError)
  assert streaming.UnsupportedModel is streaming.UnsupportedModelError


# ------------------------------------------------------------------------------
# ddsp_timbre_transfer on 20 s with blocks of 1, 4 and 100 s.
# ------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def transfers(model_dir, tmp_path_factory):
  """{block_seconds: (audio, adjusted features)}, fresh noise each run."""
  folder = tmp_path_factory.mktemp('transfers')
  clips = [sf.read(os.path.join(REPO, 'examples', 'audio', f'{name}.flac'),
                   dtype='float32') for name in ('violin_a', 'violin_b')]
  rate = clips[0][1]
  source = np.concatenate([clips[0][0], clips[1][0], clips[0][0]])
  src = str(folder / 'in.wav')
  sf.write(src, source[:20 * rate], rate)
  runs = {}
  for seconds in BLOCK_SECONDS:
    out = str(folder / f'out_{seconds:g}.wav')
    features = {}
    gin.clear_config()
    transfer.transfer_file(model_dir, src, out, crepe_model='tiny',
                           viterbi=False, block_seconds=seconds,
                           features_out=features, verbose=False)
    audio, out_rate = sf.read(out, dtype='float32')
    assert out_rate == SAMPLE_RATE
    runs[seconds] = (audio, features['adjusted'])
  return runs


def _spectral_distance(a, b, fft_sizes=(2048, 1024, 512, 256, 128, 64)):
  """Mean over FFT sizes of sum |S_a - S_b| / sum |S_b| (STFT magnitudes)."""
  def mag(x, n):
    return np.abs(signal.stft(x, nperseg=n, noverlap=3 * n // 4)[2])
  return np.mean([np.abs(mag(a, n) - mag(b, n)).sum() / mag(b, n).sum()
                  for n in fft_sizes])


@pytest.mark.slow
@pytest.mark.parametrize('seconds', BLOCK_SECONDS)
def test_transfer_harmonic_part_is_independent_of_block_length(
    transfers, synth, seconds):
  """Harmonic part of the 20 s transfer's features, blocks vs one block.

  Tolerance 1e-5 * peak: the phase is summed in float64 (after 20 s its
  rounding is ~1e-10 rad), so what differs between block lengths is the
  decoder's float32 matmuls on blocks of other shapes (~1e-7 relative).
  """
  features = transfers[ONE_BLOCK][1]
  f0, db = features['f0_hz'], features['loudness_db']
  whole = _stream_parts(synth.engine, f0, db, len(f0))['harmonic']
  blocked = _stream_parts(synth.engine, f0, db,
                          int(seconds * FRAME_RATE))['harmonic']
  assert whole.size == len(f0) * HOP == 20 * SAMPLE_RATE
  peak = np.abs(whole).max()
  assert peak > 0.01
  np.testing.assert_allclose(blocked, whole, atol=1e-5 * peak)


@pytest.mark.slow
@pytest.mark.parametrize('seconds', BLOCK_SECONDS[:2])
def test_transfer_features_do_not_depend_on_block_length(transfers, seconds):
  for key in ('f0_hz', 'loudness_db'):
    np.testing.assert_allclose(transfers[seconds][1][key],
                               transfers[ONE_BLOCK][1][key], atol=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize('seconds', BLOCK_SECONDS[:2])
def test_transfer_output_is_spectrally_the_one_block_output(
    transfers, synth, seconds):
  """Within 1.5x the distance two noise seeds make on one-block output.

  The runs draw fresh noise, so their outputs differ by the noise alone;
  the same distance between two seeds of the engine on the same features
  is the yardstick (a reset phase or GRU state would add to it).
  """
  audio, features = transfers[seconds]
  reference = transfers[ONE_BLOCK][0]
  assert audio.size == reference.size == 20 * SAMPLE_RATE
  f0, db = features['f0_hz'], features['loudness_db']
  seeds = [_stream_parts(synth.engine, f0, db, len(f0), seed)['audio']
           for seed in (1, 2)]
  noise_distance = _spectral_distance(seeds[0], seeds[1])
  assert 0 < _spectral_distance(audio, reference) < 1.5 * noise_distance
  # The yardstick itself stays small (about 0.11 for this model, whose
  # noise is loud), or the bound above would say little.
  assert noise_distance < 0.15


def _rms(x):
  return np.sqrt(np.mean(np.square(x)))


@pytest.mark.slow
@pytest.mark.parametrize('seconds', BLOCK_SECONDS[:2])
def test_transfer_has_no_level_dip_at_block_boundaries(transfers, seconds):
  """RMS of 10 ms at each boundary / RMS of the 400 ms around it, compared
  with the same ratio of the one-block output at the same place: within
  5% (noise differs between the runs). Boundaries where the neighbourhood
  is silent (< -50 dBFS RMS) have no level to dip and are not counted."""
  audio, _ = transfers[seconds]
  reference = transfers[ONE_BLOCK][0]
  near, around = int(0.005 * SAMPLE_RATE), int(0.2 * SAMPLE_RATE)
  ratios = []
  for boundary in np.arange(1, 20 / seconds) * seconds * SAMPLE_RATE:
    b = int(boundary)
    if _rms(reference[b - around:b + around]) < 10**(-50 / 20):
      continue
    def level(x, b=b):
      return _rms(x[b - near:b + near]) / _rms(x[b - around:b + around])
    ratios.append(level(audio) / level(reference))
  assert len(ratios) >= min(3, 20 / seconds - 1)
  np.testing.assert_allclose(ratios, 1.0, atol=0.05)
