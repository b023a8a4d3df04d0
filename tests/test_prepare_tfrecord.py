"""Tests of ddsp.training.data_preparation.prepare_tfrecord_lib.

Fast tests use CREPE 'tiny' and short clips; the golden comparison with
CREPE 'full' (what the reference used) is marked slow.
"""
import glob
import os
import re
import warnings

import golden
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp import spectral_ops
from ddsp.features import audio as audio_lib
from ddsp.features import resampling
from ddsp.training import gin_setup
from ddsp.training.data_preparation import prepare_tfrecord_lib as lib

GOLDEN_WAV = golden.path('golden/solo_instrument/source.wav')
BAD_DIR = golden.path('audio/bad')
FRAME_KEYS = ('f0_hz', 'f0_confidence', 'loudness_db')


def read_examples(pattern):
  """All records of the files matching `pattern`, as dicts of arrays."""
  examples = []
  for path in sorted(glob.glob(pattern)):
    for record in tf.data.TFRecordDataset(path):
      ex = tf.train.Example.FromString(record.numpy())
      examples.append({k: np.array(v.float_list.value, np.float32)
                       for k, v in ex.features.feature.items()})
  return examples


def write_noise_wav(path, sample_rate, secs, channels=1, subtype='PCM_16',
                    seed=0):
  rng = np.random.default_rng(seed)
  n = int(sample_rate * secs)
  audio = rng.uniform(-0.9, 0.9, size=(n, channels))
  sf.write(path, audio, sample_rate, subtype=subtype)
  return path


@pytest.fixture(scope='module')
def wav_22k(tmp_path_factory):
  """0.5 s of noise at 22.05 kHz (the original test's input)."""
  folder = tmp_path_factory.mktemp('wav')
  return write_noise_wav(str(folder / 'test.wav'), 22050, 0.5)


# ------------------------------------------------------------ loading ----
def _frame_padded(audio, chunk_size):
  """Non-overlapping frames of `chunk_size`, last one zero padded."""
  n = -(-len(audio) // chunk_size)
  padded = np.zeros([n * chunk_size], np.float32)
  padded[:len(audio)] = audio
  return padded.reshape([n, chunk_size])


def _pydub_reference(path, rate):
  """What pydub + audioop produce (the original loader)."""
  audioop = pytest.importorskip('audioop')
  info = sf.info(path)
  if info.subtype == 'PCM_24':
    raw = sf.read(path, dtype='int32', always_2d=True)[0].astype(np.int64)
    raw = raw + np.where(raw < 0, 255, 0)
    width, dtype, max_int = 4, np.int32, 2147483647
  else:
    raw = sf.read(path, dtype='int16', always_2d=True)[0].astype(np.int64)
    width, dtype, max_int = 2, np.int16, 32767
  n, channels = raw.shape
  data = raw.astype(dtype).tobytes()
  if channels == 2:
    data = audioop.tomono(data, width, 0.5, 0.5)
  elif channels > 2:
    data = np.sum(raw // channels, axis=1).astype(dtype).tobytes()
  if info.samplerate != rate:
    data, _ = audioop.ratecv(data, width, 1, info.samplerate, rate, None)
  audio = np.frombuffer(data, dtype).astype(np.float32)
  expected = int(n / info.samplerate * rate)
  audio = np.pad(audio, (0, max(expected - len(audio), 0)))[:expected]
  return audio / max_int


def _pydub_at_file_rate(path):
  with warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    return _pydub_reference(path, sf.info(path).samplerate)


@pytest.mark.parametrize('file_rate,channels,subtype', [
    (16000, 1, 'PCM_16'),
    (44100, 2, 'PCM_16'),
    (48000, 3, 'PCM_16'),
    (44100, 2, 'PCM_24'),
    (22050, 1, 'PCM_24'),
])
def test_audio_at_the_file_rate_matches_pydub(tmp_path, file_rate, channels,
                                              subtype):
  path = write_noise_wav(str(tmp_path / 'a.wav'), file_rate, 0.37, channels,
                         subtype)
  np.testing.assert_array_equal(audio_lib.decode_audio(path, file_rate),
                                _pydub_at_file_rate(path))


@pytest.mark.parametrize('file_rate,rate,channels,subtype', [
    (22050, 16000, 1, 'PCM_16'),
    (44100, 16000, 2, 'PCM_16'),
    (8000, 16000, 1, 'PCM_16'),
    (44100, 48000, 2, 'PCM_24'),
    (48000, 16000, 3, 'PCM_16'),
    (16000, 32000, 1, 'PCM_24'),
])
def test_other_rates_are_soxr_hq_of_the_pydub_samples(tmp_path, file_rate,
                                                      rate, channels,
                                                      subtype):
  import soxr  # pylint: disable=g-import-not-at-top
  path = write_noise_wav(str(tmp_path / 'a.wav'), file_rate, 0.37, channels,
                         subtype)
  decoded = _pydub_at_file_rate(path)
  audio = audio_lib.decode_audio(path, rate)
  assert len(audio) == len(decoded) * rate // file_rate
  np.testing.assert_array_equal(
      audio, resampling.resample(decoded, file_rate, rate))
  # The grid of blocks changes nothing but the first few samples, where
  # one call of soxr starts its filter differently.
  one_call = soxr.resample(decoded.astype(np.float32), file_rate, rate,
                           quality='HQ')
  np.testing.assert_allclose(audio[50:], one_call[50:len(audio)], atol=2e-6)


@pytest.mark.parametrize('file_rate,rate', [(44100, 16000), (16000, 16000),
                                            (8000, 48000)])
def test_chunk_reads_equal_whole_file_chunks(tmp_path, file_rate, rate):
  path = write_noise_wav(str(tmp_path / 'a.wav'), file_rate, 1.3, 2)
  whole = audio_lib.decode_audio(path, rate)
  chunk = int(0.3 * rate)
  chunks = _frame_padded(whole, chunk)
  with audio_lib.AudioSource(path) as source:
    for i, expected in enumerate(chunks):
      np.testing.assert_array_equal(
          source.resampled(rate, i * chunk, (i + 1) * chunk), expected)


def test_float_wav_is_read_as_float(tmp_path):
  path = str(tmp_path / 'f.wav')
  audio = np.linspace(-0.5, 0.5, 1600).astype(np.float32)
  sf.write(path, audio, 16000, subtype='FLOAT')
  np.testing.assert_allclose(audio_lib.decode_audio(path, 16000), audio)


def test_ogg_and_flac_are_readable(tmp_path):
  audio = 0.5 * np.sin(np.linspace(0, 200, 16000))
  for name in ('a.ogg', 'a.flac'):
    path = str(tmp_path / name)
    sf.write(path, audio, 16000)
    loaded = audio_lib.decode_audio(path, 16000)
    assert loaded.shape == (16000,)
    assert np.max(np.abs(loaded - audio)) < 0.1


@pytest.mark.parametrize('name,reason', [
    ('empty_0_bytes.wav', 'empty'),
    ('not_audio_text.wav', 'not a readable audio file'),
    ('truncated_header_4s_data_1p5s.wav', 'truncated'),
    ('nan_samples_float32.wav', 'non-finite'),
])
def test_bad_files_raise_with_reason(name, reason):
  with pytest.raises(audio_lib.AudioFileError, match=reason) as error:
    with audio_lib.AudioSource(os.path.join(BAD_DIR, name)) as source:
      source.scan()
  assert name in str(error.value)


@pytest.mark.parametrize('name', ['too_short_0p2s.wav', 'silence_10s.wav',
                                  'low_sr_8khz.wav'])
def test_valid_odd_files_are_accepted(name):
  with audio_lib.AudioSource(os.path.join(BAD_DIR, name)) as source:
    source.scan()
    assert source.n_frames > 0


# ------------------------------------------------------- example windows --
@pytest.mark.parametrize('center,n_frames', [(False, 75), (True, 76)])
def test_split_example_counts_and_lengths(center, n_frames):
  ex = {'audio': np.zeros(4800, np.float32),
        'audio_16k': np.zeros(4800, np.float32)}
  for key in FRAME_KEYS:
    ex[key] = np.arange(n_frames, dtype=np.float32)
  windows = list(lib._split_example(ex, 16000, 250, 0.2, 0.1, center))
  assert len(windows) == 2
  assert [len(w['audio']) for w in windows] == [3200, 3200]
  assert [len(w['f0_hz']) for w in windows] == [50 + center] * 2
  assert windows[1]['f0_hz'][0] == 25


@pytest.mark.parametrize('real_seconds, n_windows', [
    (None, 9),  # The original: every window of the (padded) chunk.
    (1.0, 9),  # No padding.
    (0.5, 4),  # Windows at 0.0 .. 0.3 s hold >= 0.1 s of the 0.5 s.
    (0.35, 3),
    (0.05, 1),  # Shorter than half an example: the first window only.
])
def test_split_example_leaves_out_windows_of_padding(real_seconds,
                                                     n_windows):
  ex = {'audio': np.zeros(16000, np.float32)}
  windows = list(lib._split_example(ex, 16000, 0, 0.2, 0.1, False,
                                    real_seconds))
  assert len(windows) == n_windows


VIOLIN = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'examples',
                      'audio', 'violin_a.flac')


@pytest.mark.parametrize('padded_examples, n_examples, n_silent', [
    (False, 7, 0), (True, 17, 9)])
def test_bundled_violin_gives_no_silent_example(tmp_path, padded_examples,
                                                n_examples, n_silent):
  """8 s of violin, 4 s examples every 1 s, chunks of 20 s."""
  out = str(tmp_path / 'violin.tfrecord')
  _run([VIOLIN], out, frame_rate=50, padded_examples=padded_examples)
  examples = read_examples(out + '*')
  assert len(examples) == n_examples
  assert sum(not np.any(ex['audio']) for ex in examples) == n_silent


# ------------------------------------------------------ whole pipeline ----
def _run(paths, out, **kwargs):
  kwargs.setdefault('crepe_model', 'tiny')
  return lib.prepare_tfrecord(paths, out, **kwargs)


@pytest.mark.parametrize('sample_rate,frame_rate,center,n_examples', [
    (16000, 250, False, 4),
    (32000, 250, True, 4),
    (48000, 50, False, 4),
])
def test_pipeline_feature_lengths(wav_22k, tmp_path, sample_rate, frame_rate,
                                  center, n_examples):
  out = str(tmp_path / 'output.tfrecord')
  summary = _run([wav_22k], out, num_shards=2, sample_rate=sample_rate,
                 frame_rate=frame_rate, example_secs=0.2, hop_secs=0.1,
                 chunk_secs=0.3, center=center)
  assert sorted(os.path.basename(p) for p in glob.glob(out + '*')) == [
      'output.tfrecord-00000-of-00002', 'output.tfrecord-00001-of-00002']
  examples = read_examples(out + '*')
  assert len(examples) == n_examples == summary['examples']
  n_frames = int(0.2 * frame_rate) + center
  for ex in examples:
    assert sorted(ex) == ['audio', 'audio_16k', 'f0_confidence', 'f0_hz',
                          'loudness_db']
    assert len(ex['audio']) == int(0.2 * sample_rate)
    assert len(ex['audio_16k']) == 3200
    for key in FRAME_KEYS:
      assert len(ex[key]) == n_frames
    assert np.all((ex['f0_confidence'] >= 0) & (ex['f0_confidence'] <= 1))
    assert np.all(ex['loudness_db'] >= -80)


def test_pipeline_without_features_chunks_or_windows(wav_22k, tmp_path):
  out = str(tmp_path / 'output.tfrecord')
  _run([wav_22k], out, num_shards=2, frame_rate=None, example_secs=None,
       chunk_secs=None)
  examples = read_examples(out + '*')
  assert len(examples) == 1
  assert sorted(examples[0]) == ['audio', 'audio_16k']
  np.testing.assert_array_equal(examples[0]['audio'],
                                audio_lib.decode_audio(wav_22k, 16000))


def test_pipeline_eval_split(wav_22k, tmp_path):
  out = str(tmp_path / 'output.tfrecord')
  summary = _run([wav_22k], out, num_shards=1, frame_rate=None,
                 example_secs=0.2, hop_secs=0.1, chunk_secs=0.1,
                 eval_split_fraction=0.4)
  # 5 chunks of 0.1 s: 2 in eval; 0.2 s windows do not fit a 0.1 s chunk:
  # no example, and no empty shard left behind.
  assert summary['examples'] == 0
  assert not glob.glob(out + '*')
  summary = _run([wav_22k], out + '2', num_shards=1, frame_rate=None,
                 example_secs=0.05, hop_secs=0.05, chunk_secs=0.1,
                 eval_split_fraction=0.4)
  names = sorted(os.path.basename(p) for p in glob.glob(out + '2*'))
  assert names == ['output.tfrecord2-eval-00000-of-00001',
                   'output.tfrecord2-train-00000-of-00001']
  assert len(read_examples(out + '2-eval*')) == 2 * 2
  assert len(read_examples(out + '2-train*')) == 3 * 2


def test_more_shards_than_examples_writes_empty_shards(wav_22k, tmp_path):
  out = str(tmp_path / 'o.tfrecord')
  _run([wav_22k], out, num_shards=3, frame_rate=None, example_secs=None,
       chunk_secs=None)
  assert len(glob.glob(out + '-*-of-00003')) == 3
  assert len(read_examples(out + '*')) == 1
  assert not [p for p in os.listdir(tmp_path) if p.startswith('.')]


def test_bad_files_are_skipped_and_good_ones_written(wav_22k, tmp_path,
                                                    caplog):
  names = ('empty_0_bytes.wav', 'not_audio_text.wav',
           'truncated_header_4s_data_1p5s.wav', 'nan_samples_float32.wav')
  bad = [os.path.join(BAD_DIR, n) for n in names]
  silent = os.path.join(BAD_DIR, 'silence_10s.wav')
  out = str(tmp_path / 'o.tfrecord')
  caplog.set_level('INFO', logger='absl')  # Others may raise absl's level.
  summary = _run(bad + [wav_22k, silent], out, num_shards=1, frame_rate=None,
                 example_secs=0.2, hop_secs=0.1, chunk_secs=0.3)
  assert summary['files_ok'] == 2
  assert summary['files_skipped'] == 4
  # 0.5 s -> 2 chunks of 0.3 s, 10 s -> 34 chunks; 2 windows per chunk,
  # but the second window of the last 10 s chunk (0.1 s of audio) would be
  # all padding.
  assert summary['examples'] == len(read_examples(out + '*')) == 71
  for name in names:
    lines = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith('Skipped'), lines
  notes = [r.getMessage() for r in caplog.records
           if 'silence_10s' in r.getMessage()]
  assert len(notes) == 1 and 'silent' in notes[0]
  assert '2 files ok, 4 files skipped, 71 examples' in caplog.text


@pytest.mark.parametrize('file_rate, sample_rate, noted', [
    (16000, 48000, True), (22050, 32000, True), (32000, 48000, True),
    (44100, 48000, False), (48000, 48000, False), (48000, 16000, False)])
def test_a_file_recorded_well_below_the_rate_gets_one_note(
    tmp_path, caplog, file_rate, sample_rate, noted):
  path = write_noise_wav(str(tmp_path / 'low.wav'), file_rate, 0.5)
  caplog.set_level('INFO', logger='absl')  # Others may raise absl's level.
  summary = _run([path], str(tmp_path / 'o.tfrecord'), num_shards=1,
                 sample_rate=sample_rate, frame_rate=None, example_secs=None,
                 chunk_secs=None)
  assert summary['files_ok'] == 1  # kept either way
  notes = [r.getMessage() for r in caplog.records
           if r.getMessage().startswith('Note on') and 'low.wav' in
           r.getMessage()]
  if noted:
    assert len(notes) == 1, notes
    assert f'recorded at {file_rate} Hz' in notes[0]
    assert f'nothing above {file_rate / 2000:g} kHz' in notes[0]
  else:
    assert not notes


@pytest.mark.parametrize('file_rate, suggested', [
    (8000, 16000), (16000, 16000), (22050, 16000), (32000, 32000),
    (44100, 44100)])
def test_the_note_suggests_the_highest_config_rate_the_file_fills(
    file_rate, suggested):
  assert f'--sample_rate={suggested} ' in lib.upsampled_note(file_rate, 48000)


def test_the_suggested_rates_are_those_of_the_shipped_configs():
  gin_dir = os.path.join(gin_setup.GIN_PATH, 'models')
  rates = set()
  for path in glob.glob(os.path.join(gin_dir, '**', '*.gin'), recursive=True):
    with open(path) as f:
      rates.update(int(rate) for rate in re.findall(
          r'^\s*[\w.]*sample_rate\s*=\s*(\d+)', f.read(), re.MULTILINE))
  assert rates == set(lib.SHIPPED_CONFIG_RATES)


def test_progress_logs_counts_and_eta(caplog):
  caplog.set_level('INFO', logger='absl')  # Others may raise absl's level.
  progress = lib._Progress(n_workers=2, interval=0.0)
  progress.update({'seconds': 20.0, 'index': 0, 'n_chunks': 1}, (3, 2, 60.0))
  progress.update({'seconds': 20.0, 'index': 0, 'n_chunks': 2}, (3, 2, 60.0))
  message = caplog.records[-1].getMessage()
  assert '2 chunks, 1 files finished' in message
  assert 'pipeline total: 3 chunks in 2 files' in message
  assert 'ETA' in message


def test_unwritable_output_raises_oserror(wav_22k, tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('x')
  with pytest.raises(OSError, match='output_tfrecord_path'):
    _run([wav_22k], str(blocker / 'sub' / 'o.tfrecord'))


# --------------------------------------------------------- golden case -----
def _golden_offsets(examples):
  """Start second of each example: the first matching offset of the source.

  As in the reference case, all-zero examples (past the end of the audio)
  match the first all-zero offset, so several examples share it.
  """
  source = sf.read(GOLDEN_WAV, dtype='int16')[0].astype(np.float32) / 32767
  n_chunks = -(-len(source) // 320000)
  source = np.pad(source, (0, n_chunks * 320000 - len(source)))
  n = (len(source) - 64000) // 16000 + 1
  offsets = []
  for ex in examples:
    matches = [k for k in range(n) if np.array_equal(
        ex['audio'], source[16000 * k:16000 * k + 64000])]
    assert matches, 'example audio does not match the source'
    offsets.append(matches[0])
  return np.array(offsets)


def _pair_rows(mine, ref, offsets):
  """Orders `mine` rows like the reference within groups of equal offset.

  Records come in random order and examples with the same offset (all-zero
  audio) are told apart by their features: each reference row takes the
  closest remaining row of its group.
  """
  order = np.argsort(offsets, kind='stable')
  sorted_offsets = offsets[order]
  paired = np.array(order)
  for value in np.unique(sorted_offsets):
    slots = np.flatnonzero(sorted_offsets == value)
    free = list(order[slots])
    for slot in slots:
      dist = [sum(np.abs(mine[k][i] - ref[k][slot]).sum() for k in mine)
              for i in free]
      paired[slot] = free.pop(int(np.argmin(dist)))
  return paired


def _golden_run(tmp_path, crepe_model):
  case = golden.get_case('checkpoint', 'tfrecord_features')
  out = str(tmp_path / 'train.tfrecord')
  _run([GOLDEN_WAV], out, num_shards=1, sample_rate=16000, frame_rate=250,
       example_secs=4, hop_secs=1, eval_split_fraction=0.0, chunk_secs=20.0,
       center=False, viterbi=True, crepe_model=crepe_model,
       padded_examples=True)  # The original's examples.
  assert os.path.exists(out + '-00000-of-00001')
  examples = read_examples(out + '*')
  offsets = _golden_offsets(examples)
  refs = {spec['name']: (spec, ref)
          for spec, ref in golden.expected('checkpoint', case)}
  np.testing.assert_array_equal(np.sort(offsets), refs['offset_seconds'][1])
  stacked = {k: np.stack([ex[k] for ex in examples]) for k in FRAME_KEYS}
  keys = ('loudness_db',) if crepe_model != 'full' else FRAME_KEYS
  order = _pair_rows({k: stacked[k] for k in keys},
                     {k: refs[k][1] for k in keys}, offsets)
  mine = {k: v[order] for k, v in stacked.items()}
  return examples, mine, refs


def _fake_compute_f0(audio, frame_rate, viterbi=True, padding='center',
                     **unused_kwargs):
  """Zeros of compute_f0's output length (keeps the fast test fast)."""
  del viterbi
  n_frames = spectral_ops.get_framed_lengths(
      len(audio), spectral_ops.CREPE_FRAME_SIZE, 16000 // frame_rate,
      padding)[0]
  return np.zeros(n_frames, np.float32), np.zeros(n_frames, np.float32)


def test_golden_tfrecord_schema_audio_and_loudness(tmp_path, monkeypatch):
  # CREPE is replaced by zeros here; the slow tests below run CREPE 'full'.
  monkeypatch.setattr(spectral_ops, 'compute_f0', _fake_compute_f0)
  examples, mine, refs = _golden_run(tmp_path, 'tiny')
  for ex in examples:
    assert {k: len(v) for k, v in ex.items()} == {
        'audio': 64000, 'audio_16k': 64000, 'f0_hz': 1000,
        'f0_confidence': 1000, 'loudness_db': 1000}
  golden.assert_output_close(mine['loudness_db'], *refs['loudness_db'])
  assert mine['f0_hz'].shape == refs['f0_hz'][1].shape


@pytest.fixture(scope='module')
def golden_full(tmp_path_factory):
  """The golden run with CREPE 'full' (slow: CREPE full on 20 s)."""
  return _golden_run(tmp_path_factory.mktemp('golden_full'), 'full')


@pytest.mark.slow
@pytest.mark.parametrize('key', ['loudness_db', 'f0_confidence'])
def test_golden_tfrecord_features_crepe_full(golden_full, key):
  _, mine, refs = golden_full
  golden.assert_output_close(mine[key], *refs[key])


@pytest.mark.slow
def test_golden_tfrecord_f0_hz_crepe_full(golden_full):
  _, mine, refs = golden_full
  confident = refs['f0_confidence'][1] > 0.5
  golden.assert_output_close(mine['f0_hz'], *refs['f0_hz'], mask=confident)
