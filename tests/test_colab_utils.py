"""colab_utils outside Colab: imports, players, audio helpers, tuning."""
import base64
import io
import os
import sys

import golden
import numpy as np
import pytest
import soundfile as sf
from scipy.io import wavfile

from ddsp.colab import colab_utils


def _tone(seconds=0.5, sr=16000, hz=440.0, amp=0.5):
  t = np.arange(int(seconds * sr)) / sr
  return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_imports_outside_colab_without_google_colab():
  assert 'google.colab' not in sys.modules
  assert not colab_utils.in_colab()
  assert colab_utils.DEFAULT_SAMPLE_RATE == 16000


def test_plotting_aliases():
  from ddsp.training import plotting  # pylint: disable=g-import-not-at-top
  assert colab_utils.specplot is plotting.specplot
  assert colab_utils.transfer_function is plotting.transfer_function
  assert colab_utils.plot_impulse_responses is plotting.plot_impulse_responses


@pytest.mark.parametrize('autoplay', [False, True])
def test_play_embeds_int16_wav_of_first_row(autoplay):
  audio = np.stack([_tone(), _tone(hz=220.0)])
  html = colab_utils.play(audio, autoplay=autoplay)
  assert ('autoplay' in html) == autoplay
  b64 = html.split('base64,')[1].split('"')[0]
  rate, data = wavfile.read(io.BytesIO(base64.b64decode(b64)))
  assert rate == 16000 and data.dtype == np.int16
  np.testing.assert_array_equal(data, (audio[0] * 32767).astype(np.int16))


@pytest.mark.parametrize('rate,subtype,fmt', [(16000, 'PCM_16', 'WAV'),
                                              (44100, 'PCM_24', 'WAV'),
                                              (22050, 'FLOAT', 'FLAC')])
def test_audio_bytes_to_np_resamples_and_downmixes(rate, subtype, fmt):
  if fmt == 'FLAC':
    subtype = 'PCM_16'
  stereo = np.stack([_tone(sr=rate), _tone(sr=rate)], axis=1)
  buf = io.BytesIO()
  sf.write(buf, stereo, rate, subtype=subtype, format=fmt)
  audio = colab_utils.audio_bytes_to_np(buf.getvalue(), normalize_db=None)
  assert audio.ndim == 1 and audio.dtype == np.float32
  assert abs(audio.size - 8000) <= 2
  np.testing.assert_allclose(np.max(np.abs(audio[100:-100])), 0.5, atol=0.02)


def test_audio_bytes_to_np_normalizes_peak():
  buf = io.BytesIO()
  sf.write(buf, _tone(amp=0.1), 16000, format='WAV')
  audio = colab_utils.audio_bytes_to_np(buf.getvalue(), normalize_db=0.1)
  np.testing.assert_allclose(np.max(np.abs(audio)), 10**(-0.1 / 20),
                             rtol=1e-4)


def test_audio_bytes_to_np_rejects_non_audio():
  with pytest.raises(ValueError, match='Cannot read audio'):
    colab_utils.audio_bytes_to_np(b'this is not audio' * 10)


def test_upload_reads_local_files_outside_colab(tmp_path):
  path = str(tmp_path / 'a.wav')
  sf.write(path, _tone(sr=32000), 32000)
  names, arrays = colab_utils.upload(file_paths=path)
  assert names == [path]
  assert abs(arrays[0].size - 8000) <= 2


def test_upload_without_files_outside_colab_is_a_clear_error(monkeypatch):
  monkeypatch.delenv('DDSP_UPLOAD_FILES', raising=False)
  with pytest.raises(ValueError, match='outside Colab pass `file_paths`'):
    colab_utils.upload()


def test_record_uses_a_local_file_outside_colab(tmp_path, monkeypatch):
  path = str(tmp_path / 'mic.wav')
  sf.write(path, _tone(seconds=2.0), 16000)
  monkeypatch.setenv('DDSP_RECORD_FILE', path)
  audio = colab_utils.record(seconds=1)
  assert audio.size == 16000


def test_record_without_browser_is_a_clear_error(monkeypatch):
  monkeypatch.delenv('DDSP_RECORD_FILE', raising=False)
  with pytest.raises(RuntimeError, match='only available inside Google Colab'):
    colab_utils.record(seconds=1)


def test_get_tuning_factor_finds_a_detuned_performance():
  rng = np.random.RandomState(0)
  notes = np.repeat(rng.randint(55, 75, 20), 30).astype(float)
  f0 = notes + 0.23 + rng.randn(notes.size) * 0.01
  conf = np.ones_like(f0)
  mask = np.ones_like(f0, dtype=bool)
  tuning = colab_utils.get_tuning_factor(f0, conf, mask)
  assert abs(tuning - 0.23) <= 0.03


def test_auto_tune_chromatic_snaps_fully_at_amount_one():
  f0 = np.array([60.2, 61.9, 64.4, 65.05])
  mask = np.ones(4, bool)
  out = colab_utils.auto_tune(f0, 0.0, mask, amount=1.0, chromatic=True)
  np.testing.assert_allclose(out, [60.0, 62.0, 64.0, 65.0], atol=1e-9)
  half = colab_utils.auto_tune(f0, 0.0, mask, amount=0.5, chromatic=True)
  np.testing.assert_allclose(half, (f0 + out) / 2)


def test_auto_tune_infers_the_key(capsys):
  d_major = np.array([62, 64, 66, 67, 69, 71, 73, 74], float)
  f0 = np.repeat(d_major, 10) + 0.3
  f0[:5] = 63.4  # An out-of-key frame is pulled to the nearest scale note.
  mask = np.ones(f0.size, bool)
  out = colab_utils.auto_tune(f0, 0.0, mask, amount=1.0)
  assert 'Inferred key: D' in capsys.readouterr().out
  np.testing.assert_allclose(out[5:], np.repeat(d_major, 10)[5:])
  assert out[0] in (62.0, 64.0)


def test_auto_tune_amount_zero_is_identity():
  f0 = np.linspace(50, 70, 40)
  out = colab_utils.auto_tune(f0, 0.1, np.ones(40, bool), amount=0.0)
  np.testing.assert_array_equal(out, f0)


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_save_dataset_statistics_writes_a_loadable_pickle(tmp_path):
  import test_dataset_statistics as tds  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / 'dataset_statistics.pkl')
  stats = colab_utils.save_dataset_statistics(
      tds.GoldenRecordsProvider(tds.TFRECORD), path, batch_size=8)
  loaded = colab_utils.load_dataset_statistics(path)
  assert list(loaded) == list(stats)
  assert os.path.getsize(path) > 1000
