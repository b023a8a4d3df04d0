"""ddsp_timbre_transfer: streaming features, adjustments, end to end."""
import os
import subprocess
import sys
import zipfile

import golden
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp.features import audio as audio_lib
from ddsp.features import f0_loudness
from ddsp.training import postprocessing
from ddsp.training.playback import adjustments
from ddsp.training.playback import loading
from ddsp.training.playback import transfer

CKPT = golden.path(golden.SOLO_CKPT)
STATISTICS = golden.path('golden/solo_instrument/ckpt/dataset_statistics.pkl')
VOICE_CLIP = 'audio/voice/voice_hum_alto_01.wav'
VOICE = golden.path(VOICE_CLIP)
needs_ckpt = pytest.mark.needs_shared(golden.SOLO_CKPT)


def _tone(seconds, sr=16000, hz=330.0, amp=0.4):
  t = np.arange(int(seconds * sr)) / sr
  return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


class _FakeExtractor(f0_loudness.FeatureExtractor):
  """Feature 'f0' = mean of the frame's samples, to check block alignment."""

  def analyse(self, segment, first, n):
    k = self.context // self.hop
    idx = (np.arange(n) + k) * self.hop
    values = segment[idx]
    return values, values, values


@pytest.mark.parametrize('block_frames', [7, 100, 1000])
@pytest.mark.parametrize('chunk', [100, 4096, 100000])
def test_streamed_frames_line_up_with_whole_file(block_frames, chunk):
  n = 64 * 333 + 17
  audio = np.arange(n, dtype=np.float32)
  ex = _FakeExtractor(frame_rate=250, block_frames=block_frames)
  blocks = (audio[i:i + chunk] for i in range(0, n, chunk))
  feats = ex.stream(blocks)
  assert feats['n_samples'] == n
  assert feats['f0_hz'].size == n // 64
  np.testing.assert_array_equal(feats['f0_hz'], np.arange(n // 64) * 64.0)


def test_stream_features_match_whole_file_features():
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  audio = _tone(2.3) * np.linspace(0.1, 1.0, int(2.3 * 16000),
                                   dtype=np.float32)
  ex = f0_loudness.FeatureExtractor(250, model_capacity='tiny', viterbi=False,
                                    block_frames=200)
  feats = ex.stream(audio[i:i + 5000] for i in range(0, audio.size, 5000))
  whole_ld = np.asarray(spectral_ops.compute_loudness(audio, 16000, 250))
  n = feats['loudness_db'].size
  np.testing.assert_allclose(feats['loudness_db'][:n - 8],
                             whole_ld[:n - 8], atol=1e-3)
  f0, _ = spectral_ops.compute_f0(audio, 250, False, padding='center',
                                  model_capacity='tiny')
  np.testing.assert_allclose(feats['f0_hz'][10:n - 10],
                             np.asarray(f0)[10:n - 10], rtol=1e-3)


@pytest.mark.parametrize('octaves', [-1.0, 0.0, 1.0, 2.5])
def test_shift_f0_octaves_and_clip(octaves):
  feats = {'f0_hz': np.array([0.0, 110.0, 440.0, 12000.0], np.float32)}
  out = adjustments.shift_f0(dict(feats), octaves)['f0_hz']
  expected = np.clip(feats['f0_hz'] * 2**octaves, 0, 440 * 2**((110 - 69) /
                                                              12))
  np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_shift_ld():
  out = adjustments.shift_ld(
      {'loudness_db': np.array([-30.0, -10.0])}, 6.0)
  np.testing.assert_allclose(out['loudness_db'], [-24.0, -4.0])


def _note_features(pitch_midi=52.0, n=1500):
  f0 = np.full([n], 440.0 * 2**((pitch_midi - 69) / 12), np.float32)
  ld = np.full([n], -70.0, np.float32)
  conf = np.full([n], 0.1, np.float32)
  ld[200:1300] = -25.0 + 5 * np.sin(np.arange(1100) / 50.0)
  conf[200:1300] = 0.95
  return {'f0_hz': f0, 'loudness_db': ld, 'f0_confidence': conf}


def test_auto_adjust_moves_register_and_loudness_to_the_dataset():
  stats = postprocessing.load_dataset_statistics(STATISTICS)
  # 1.44 octaves below the data's mean pitch (69.3): the Colab rounds up
  # (ceil) unless the difference exceeds 1.5 octaves, so +2 octaves.
  feats = _note_features(pitch_midi=52.0)
  out, mask, _ = adjustments.auto_adjust(feats, stats, verbose=False)
  assert mask[300:1200].all()
  np.testing.assert_allclose(out['f0_hz'], feats['f0_hz'] * 4.0, rtol=1e-5)
  on = out['loudness_db'][mask]
  qt = stats['quantile_transform']
  assert on.min() >= qt.quantiles_[0, 0] - 1e-4
  assert on.max() <= qt.quantiles_[-1, 0] + 1e-4
  off = ~mask
  assert np.all(out['loudness_db'][off] <= feats['loudness_db'][off])


@pytest.mark.parametrize('pitch,octaves', [(69.0, 0), (60.0, 1), (80.0, 0),
                                           (40.0, 2), (33.0, 3), (90.0, -1)])
def test_auto_adjust_octave_rounding(pitch, octaves):
  stats = {'mean_pitch': np.float32(69.0),
           'quantile_transform': postprocessing.QuantileTransformer().fit(
               np.linspace(-60, -10, 100)[:, None])}
  feats = _note_features(pitch_midi=pitch)
  out, _, _ = adjustments.auto_adjust(feats, stats, verbose=False)
  diff = (69.0 - pitch) / 12
  expected = np.floor(diff) if diff > 1.5 else np.ceil(diff)
  assert expected == octaves
  np.testing.assert_allclose(out['f0_hz'], feats['f0_hz'] * 2.0**octaves,
                             rtol=1e-5)


def test_auto_adjust_without_notes_is_identity(capsys):
  stats = postprocessing.load_dataset_statistics(STATISTICS)
  feats = _note_features()
  feats['f0_confidence'][:] = 0.0
  out, mask, _ = adjustments.auto_adjust(feats, stats)
  assert not mask.any()
  np.testing.assert_array_equal(out['f0_hz'], feats['f0_hz'])
  assert 'no notes detected' in capsys.readouterr().out


@needs_ckpt
def test_find_model_dir_in_zip(tmp_path):
  zpath = str(tmp_path / 'model.zip')
  with zipfile.ZipFile(zpath, 'w') as z:
    for name in os.listdir(CKPT):
      z.write(os.path.join(CKPT, name), os.path.join('solo', name))
  files = loading.find_model_dir(zpath, extract_dir=str(tmp_path / 'x'))
  assert files.model_dir.endswith('solo')
  assert files.ckpt.endswith('ckpt-20')
  assert files.statistics_file.endswith('dataset_statistics.pkl')


@pytest.mark.parametrize('name,expected', [('ckpt-100', 'ckpt-100'),
                                           ('ckpt-200', 'ckpt-200'),
                                           ('', 'ckpt-200')])
def test_find_model_dir_checkpoint_prefix_picks_that_checkpoint(
    tmp_path, name, expected):
  # A folder with two saved checkpoints: a prefix names one of them, the
  # folder itself stands for the newest.
  step = tf.Variable(0)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step),
                                       str(tmp_path), max_to_keep=5,
                                       checkpoint_name='ckpt')
  for n in (100, 200):
    step.assign(n)
    manager.save(checkpoint_number=n)
  (tmp_path / 'operative_config-0.gin').write_text('')
  files = loading.find_model_dir(str(tmp_path / name) if name
                                      else str(tmp_path))
  assert files.ckpt == str(tmp_path / expected)


def test_find_model_dir_missing(tmp_path):
  with pytest.raises(FileNotFoundError):
    loading.find_model_dir(str(tmp_path / 'nope'))


@pytest.mark.parametrize('fmt,rate,channels', [('WAV', 44100, 2),
                                               ('FLAC', 22050, 1),
                                               ('OGG', 16000, 1)])
def test_audio_stream_reads_any_format_as_16k_mono(tmp_path, fmt, rate,
                                                   channels):
  path = str(tmp_path / f'a.{fmt.lower()}')
  audio = _tone(1.5, rate)
  data = np.stack([audio] * channels, axis=1) if channels > 1 else audio
  sf.write(path, data, rate, format=fmt)
  stream = audio_lib.AudioStream(path, 16000, block_seconds=0.3)
  out = np.concatenate(list(stream.blocks()))
  assert abs(out.size - 24000) <= 64
  assert out.dtype == np.float32


def test_audio_stream_rejects_bad_files():
  bad = golden.path('audio/bad')
  with pytest.raises(ValueError):
    list(audio_lib.AudioStream(os.path.join(bad, 'empty_0_bytes.wav'),
                               16000).blocks())
  with pytest.raises(ValueError):
    list(audio_lib.AudioStream(os.path.join(bad, 'not_audio_text.wav'),
                               16000).blocks())


@pytest.mark.slow
@pytest.mark.needs_shared(golden.SOLO_CKPT, VOICE_CLIP)
@pytest.mark.parametrize('auto_adjust', [True, False])
def test_transfer_file_golden_checkpoint(tmp_path, auto_adjust):
  src = str(tmp_path / 'voice.wav')
  audio, sr = sf.read(VOICE, dtype='float32')
  sf.write(src, audio[:int(5.3 * sr)], sr)
  out = str(tmp_path / 'out.wav')
  feats = {}
  report = transfer.transfer_file(CKPT, src, out, pitch_shift=1.0,
                                  auto_adjust_on=auto_adjust,
                                  crepe_model='tiny', viterbi=False,
                                  block_seconds=2.0, features_out=feats)
  result, rate = sf.read(out)
  assert rate == 16000
  assert result.size == (int(5.3 * 16000) // 64) * 64
  assert np.all(np.isfinite(result))
  assert report.real_time_factor > 0
  if not auto_adjust:
    np.testing.assert_allclose(feats['adjusted']['f0_hz'],
                               np.clip(feats['original']['f0_hz'] * 2, 0,
                                       440 * 2**(41 / 12)), rtol=1e-5)


@pytest.mark.slow
@needs_ckpt
def test_command_line(tmp_path):
  src = str(tmp_path / 'in.flac')
  sf.write(src, _tone(1.2, 22050), 22050)
  out = str(tmp_path / 'out.wav')
  proc = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.playback.ddsp_timbre_transfer',
       f'--checkpoint_dir={CKPT}', f'--input={src}', f'--output={out}',
       '--crepe_model=tiny', '--pitch_shift=-1', '--loudness_shift=3',
       '--noauto_adjust', '--block_seconds=1'],
      capture_output=True, text=True, timeout=900)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert 'Real-time factor' in proc.stdout
  assert sf.info(out).frames == (int(1.2 * 16000) // 64) * 64

