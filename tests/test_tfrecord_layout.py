"""The TFRecord layout: what ddsp_prepare_tfrecord writes, the providers read.

A grid of sample rates, fractional and whole example lengths, frame rates
and centering: every example the writer produces parses with the
provider's features and has the lengths `tfrecord_layout` documents, and
the combinations whose hop is not a whole number of samples are refused
with the message that lists valid frame rates. CREPE is replaced by zeros
of the right length (the lengths, not the pitch, are under test here).
"""
import glob
import itertools
import math

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from ddsp import spectral_ops
from ddsp.features import frame_rates
from ddsp.features import tfrecord_layout
from ddsp.training import data
from ddsp.training.data_preparation import prepare_tfrecord_lib as lib

SAMPLE_RATES = (16000, 22050, 44100, 48000)
EXAMPLE_SECS = (1, 2.01, 3.3)
FRAME_RATES = (50, 100, 250)
FILE_SECS = 3.6
GRID = list(itertools.product(SAMPLE_RATES, EXAMPLE_SECS, FRAME_RATES,
                              (False, True)))


def _valid(sample_rate, frame_rate):
  return (sample_rate % frame_rate == 0) and (16000 % frame_rate == 0)


def _fake_compute_f0(audio, frame_rate, viterbi=True, padding='center',
                     **unused_kwargs):
  del viterbi
  n_frames = spectral_ops.get_framed_lengths(
      len(audio), spectral_ops.CREPE_FRAME_SIZE, 16000 // frame_rate,
      padding)[0]
  return np.full(n_frames, 220.0, np.float32), np.ones(n_frames, np.float32)


@pytest.fixture(autouse=True)
def no_crepe(monkeypatch):
  monkeypatch.setattr(spectral_ops, 'compute_f0', _fake_compute_f0)


@pytest.fixture(scope='module')
def wav_44k(tmp_path_factory):
  """3.6 s of a decaying tone with noise, 44.1 kHz stereo 16-bit."""
  rng = np.random.default_rng(0)
  t = np.arange(int(FILE_SECS * 44100)) / 44100
  tone = 0.5 * np.sin(2 * np.pi * 330 * t) * np.exp(-t)
  audio = np.stack([tone, tone], axis=1) + 0.01 * rng.standard_normal(
      (t.size, 2))
  path = str(tmp_path_factory.mktemp('layout') / 'tone.wav')
  sf.write(path, audio, 44100, subtype='PCM_16')
  return path


def _documented_lengths(sample_rate, example_secs, frame_rate, centered):
  """The lengths of the module docstring of tfrecord_layout, by hand."""
  n_16k = round(example_secs * 16000)
  hop = 16000 // frame_rate
  n_frames = n_16k // hop + 1 if centered else math.ceil(n_16k / hop)
  return {'audio': round(example_secs * sample_rate), 'audio_16k': n_16k,
          'f0_hz': n_frames, 'f0_confidence': n_frames,
          'loudness_db': n_frames}


def _write_examples(path, sample_rate, example_secs, frame_rate, centered):
  """Serialized examples of the writer's plan and process steps."""
  tasks = list(lib._PlanFileFn(sample_rate, None).process(path))
  process = lib._ProcessChunkFn(sample_rate, frame_rate, example_secs, 1.0,
                                centered, False, 'tiny', 1)
  return [lib._float_dict_to_tfexample(ex).SerializeToString()
          for task in tasks for ex in process.process(task)]


@pytest.mark.parametrize('sample_rate,example_secs,frame_rate,centered',
                         [g for g in GRID if _valid(g[0], g[2])])
def test_written_examples_parse_with_the_documented_lengths(
    wav_44k, sample_rate, example_secs, frame_rate, centered):
  records = _write_examples(wav_44k, sample_rate, example_secs, frame_rate,
                            centered)
  # Windows every second that fit in the file.
  assert len(records) == int((FILE_SECS - example_secs) // 1.0) + 1
  provider = data.TFRecordProvider('unused*', example_secs=example_secs,
                                   sample_rate=sample_rate,
                                   frame_rate=frame_rate, centered=centered)
  expected = _documented_lengths(sample_rate, example_secs, frame_rate,
                                 centered)
  assert {k: v.shape[0] for k, v in provider.features_dict.items()} == (
      expected)
  for record in records:
    example = tf.io.parse_single_example(record, provider.features_dict)
    assert {k: int(v.shape[0]) for k, v in example.items()} == expected
    assert all(v.dtype == tf.float32 for v in example.values())


@pytest.mark.parametrize('sample_rate,frame_rate',
                         sorted({(g[0], g[2]) for g in GRID
                                 if not _valid(g[0], g[2])}))
def test_fractional_hops_are_refused_with_nearby_rates(tmp_path, wav_44k,
                                                       sample_rate,
                                                       frame_rate):
  with pytest.raises(ValueError, match='Nearby valid frame rates') as error:
    frame_rates.check_frame_rate(sample_rate, frame_rate)
  message = str(error.value)
  assert f'frame_rate {frame_rate}' in message
  suggested = [int(r) for r in message.rsplit(': ', 1)[1].rstrip('.').split(
      ', ')]
  assert suggested and all(_valid(sample_rate, r) for r in suggested)
  with pytest.raises(ValueError, match='Nearby valid frame rates'):
    lib.prepare_tfrecord([wav_44k], str(tmp_path / 'o.tfrecord'),
                         sample_rate=sample_rate, frame_rate=frame_rate,
                         example_secs=2.01, chunk_secs=None)
  assert not glob.glob(str(tmp_path / 'o.tfrecord*'))


def test_nearby_frame_rates_at_common_rates():
  assert frame_rates.nearby_frame_rates(44100, 250) == [50, 100]
  assert frame_rates.nearby_frame_rates(48000, 300) == [200, 250, 320, 400]
  assert frame_rates.nearby_frame_rates(22050, 100) == [25, 50]


def test_hop_that_is_not_whole_frames_is_refused(tmp_path, wav_44k):
  with pytest.raises(ValueError, match='whole number of frames'):
    lib.prepare_tfrecord([wav_44k], str(tmp_path / 'o.tfrecord'),
                         frame_rate=250, example_secs=1, hop_secs=0.01)


def test_writer_and_reader_agree_on_fractional_lengths():
  # The writer used int(2.01 * 16000) = 32159, the reader 32160.
  layout = tfrecord_layout.TFRecordLayout(16000, 250, 2.01, False)
  assert layout.audio_length == layout.audio_16k_length == 32160
  assert layout.lengths()['f0_hz'] == 503
  windows = list(lib._split_example(
      {'audio': np.zeros(64000), 'audio_16k': np.zeros(64000),
       'f0_hz': np.zeros(1000), 'f0_confidence': np.zeros(1000),
       'loudness_db': np.zeros(1000)}, 16000, 250, 2.01, 1, False))
  assert [len(w['audio']) for w in windows] == [32160] * 2
  assert [len(w['f0_hz']) for w in windows] == [503] * 2


def test_pipeline_at_48k_with_fractional_example_length(tmp_path, wav_44k):
  out = str(tmp_path / 'train.tfrecord')
  summary = lib.prepare_tfrecord(
      [wav_44k], out, num_shards=2, sample_rate=48000, frame_rate=250,
      example_secs=3.3, hop_secs=0.1, chunk_secs=None, center=True,
      crepe_model='tiny')
  provider = data.TFRecordProvider(out + '*', example_secs=3.3,
                                   sample_rate=48000, frame_rate=250,
                                   centered=True)
  examples = list(provider.get_dataset(shuffle=False))
  assert len(examples) == summary['examples'] == 4  # Starts 0, .1, .2, .3 s.
  lengths = {k: int(v.shape[0]) for k, v in examples[0].items()}
  assert lengths == _documented_lengths(48000, 3.3, 250, True)


# ---------------------------------------------------------------------------
# Reading a layout back, and data prepared for another layout.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('sample_rate,example_secs,frame_rate,centered',
                         [g for g in GRID if _valid(g[0], g[2])])
def test_an_examples_lengths_give_back_its_layout(
    sample_rate, example_secs, frame_rate, centered):
  layout = tfrecord_layout.TFRecordLayout(sample_rate, frame_rate,
                                          example_secs, centered)
  assert layout in tfrecord_layout.layouts_matching(layout.lengths())


def test_serialized_example_lengths(wav_44k):
  record = _write_examples(wav_44k, 16000, 2.01, 50, True)[0]
  assert tfrecord_layout.example_lengths(record) == _documented_lengths(
      16000, 2.01, 50, True)


@pytest.mark.parametrize('written,read,fix', [
    # (sample_rate, example_secs, frame_rate, centered) written / read,
    # and the gin parameters the error proposes.
    ((16000, 2, 50, False), (16000, 2, 250, False), ['frame_rate=50']),
    ((16000, 2, 50, True), (16000, 2, 50, False), ['centered=True']),
    ((48000, 1, 100, False), (48000, 2, 100, False), ['example_secs=1']),
    ((44100, 1, 50, False), (16000, 1, 250, False),
     ['sample_rate=44100', 'frame_rate=50']),
])
def test_data_of_another_layout_is_a_clear_error(tmp_path, wav_44k, written,
                                                 read, fix):
  path = str(tmp_path / 'train.tfrecord')
  with tf.io.TFRecordWriter(path) as writer:
    for record in _write_examples(wav_44k, *written):
      writer.write(record)
  sample_rate, example_secs, frame_rate, centered = read
  provider = data.TFRecordProvider(path + '*', example_secs=example_secs,
                                   sample_rate=sample_rate,
                                   frame_rate=frame_rate, centered=centered)
  with pytest.raises(data.LayoutMismatchError) as error:
    provider.get_dataset()
  message = str(error.value)
  assert path in message
  assert 'the reader expects' in message
  for param in fix:
    assert f'--gin_param=TFRecordProvider.{param}' in message
  assert (f'ddsp_prepare_tfrecord --sample_rate={sample_rate} '
          f'--frame_rate={frame_rate} --example_secs={example_secs:g} '
          f'--center={centered}') in message
  # Callers catching the parse error type still catch it.
  assert isinstance(error.value, tf.errors.InvalidArgumentError)


def test_data_of_the_right_layout_passes_the_check(tmp_path, wav_44k):
  path = str(tmp_path / 'train.tfrecord')
  with tf.io.TFRecordWriter(path) as writer:
    for record in _write_examples(wav_44k, 48000, 1, 100, True):
      writer.write(record)
  provider = data.TFRecordProvider(path, example_secs=1, sample_rate=48000,
                                   frame_rate=100, centered=True)
  provider.check_layout()
  assert len(list(provider.get_dataset(shuffle=False))) == 3
