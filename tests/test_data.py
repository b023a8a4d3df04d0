"""ddsp.training.data: TFRecord, multi-dataset, synthetic and URMP providers."""
import os

import gin
import golden
import numpy as np
import pytest
import tensorflow as tf

from ddsp.training import data

GOLDEN_TFRECORD = golden.path(golden.SOLO_TFRECORD)


def _float_feature(values):
  values = np.asarray(values, np.float32).ravel()
  return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _bytes_feature(value):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _write_records(path, examples):
  """Writes dicts of features (np arrays -> floats, bytes -> bytes)."""
  with tf.io.TFRecordWriter(str(path)) as writer:
    for ex in examples:
      feature = {k: (_bytes_feature(v) if isinstance(v, bytes)
                     else _float_feature(v)) for k, v in ex.items()}
      writer.write(tf.train.Example(
          features=tf.train.Features(feature=feature)).SerializeToString())


def _short_examples(n, audio_len=320, n_frames=5, audio_16k=True, offset=0.0):
  examples = []
  for i in range(n):
    ex = {'audio': np.full(audio_len, offset + i),
          'f0_hz': np.full(n_frames, 100.0 + i),
          'f0_confidence': np.ones(n_frames),
          'loudness_db': np.full(n_frames, -i)}
    if audio_16k:
      ex['audio_16k'] = np.full(audio_len, offset + i)
    examples.append(ex)
  return examples


# 0.02 s examples at 16 kHz, 250 frames/s: 320 samples, 5 frames.
SHORT = dict(example_secs=0.02, sample_rate=16000, frame_rate=250)


@pytest.fixture
def short_records(tmp_path):
  _write_records(tmp_path / 'a.tfrecord-0', _short_examples(6))
  _write_records(tmp_path / 'a.tfrecord-1', _short_examples(5, offset=100))
  return str(tmp_path / 'a.tfrecord*')


# ----------------------------------------------------------------------------
# TFRecordProvider.
# ----------------------------------------------------------------------------
@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_tfrecord_provider_reads_the_golden_tfrecord():
  provider = data.TFRecordProvider(GOLDEN_TFRECORD, example_secs=4,
                                   sample_rate=16000, frame_rate=250,
                                   centered=False)
  examples = list(provider.get_dataset(shuffle=False))
  assert len(examples) == 17
  shapes = {k: tuple(v.shape) for k, v in examples[0].items()}
  assert shapes == {'audio': (64000,), 'audio_16k': (64000,),
                    'f0_hz': (1000,), 'f0_confidence': (1000,),
                    'loudness_db': (1000,)}
  assert all(v.dtype == tf.float32 for v in examples[0].values())
  assert provider.sample_rate == 16000 and provider.frame_rate == 250


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_get_batch_splits_the_golden_tfrecord_into_batches():
  provider = data.TFRecordProvider(GOLDEN_TFRECORD)
  batches = list(provider.get_batch(4, shuffle=False, repeats=1))
  assert len(batches) == 4  # 17 examples, remainder dropped.
  assert batches[0]['audio'].shape == (4, 64000)
  assert batches[0]['f0_hz'].shape == (4, 1000)
  kept = list(provider.get_batch(4, shuffle=False, repeats=1,
                                 drop_remainder=False))
  assert [b['audio'].shape[0] for b in kept] == [4, 4, 4, 4, 1]


def test_get_batch_repeats(short_records):
  provider = data.TFRecordProvider(short_records, **SHORT)
  batches = list(provider.get_batch(11, shuffle=False, repeats=2))
  assert len(batches) == 2
  assert sorted(batches[0]['audio'][:, 0].numpy()) == sorted(
      batches[1]['audio'][:, 0].numpy())


def test_get_batch_repeats_forever_by_default(short_records):
  provider = data.TFRecordProvider(short_records, **SHORT)
  batches = provider.get_batch(4, shuffle=True).take(10)
  assert len(list(batches)) == 10


def test_short_examples_read_back(short_records):
  provider = data.TFRecordProvider(short_records, **SHORT)
  examples = list(provider.get_dataset(shuffle=False).as_numpy_iterator())
  assert len(examples) == 11
  starts = sorted(ex['audio'][0] for ex in examples)
  assert starts == sorted(list(range(6)) + list(range(100, 105)))
  assert examples[0]['f0_hz'].shape == (5,)


@pytest.mark.parametrize('centered, frame_rate, expected', [
    (False, 250, 1000),
    (True, 250, 1001),
    (True, 50, 201),
    (False, 50, 200),
])
def test_feature_length(centered, frame_rate, expected):
  provider = data.TFRecordProvider('unused*', frame_rate=frame_rate,
                                   centered=centered)
  assert provider.features_dict['f0_hz'].shape == [expected]
  assert provider.features_dict['audio'].shape == [64000]


def test_audio_lengths_follow_the_sample_rate():
  provider = data.TFRecordProvider('unused*', example_secs=2,
                                   sample_rate=48000)
  assert provider.features_dict['audio'].shape == [96000]
  assert provider.features_dict['audio_16k'].shape == [32000]


def test_missing_file_pattern_names_the_pattern(tmp_path):
  pattern = str(tmp_path / 'nothing_here.tfrecord*')
  provider = data.TFRecordProvider(pattern)
  with pytest.raises(FileNotFoundError, match='nothing_here.tfrecord'):
    provider.get_dataset()
  # Still the error type tf.data raises, for callers that catch it.
  with pytest.raises(tf.errors.InvalidArgumentError):
    provider.get_batch(2)


def test_batches_for_names_the_purpose_of_missing_files(tmp_path):
  provider = data.TFRecordProvider(str(tmp_path / 'nothing.tfrecord*'))
  assert provider.file_pattern == str(tmp_path / 'nothing.tfrecord*')
  with pytest.raises(data.NoMatchingFilesError) as raised:
    data.batches_for('Training', provider, 2)
  assert str(raised.value).startswith('Training data: No files match')
  assert 'nothing.tfrecord*' in str(raised.value)
  assert isinstance(raised.value.__cause__, data.NoMatchingFilesError)


def test_no_file_pattern_and_no_default_raises():
  with pytest.raises(NotImplementedError, match='file_pattern'):
    data.TFRecordProvider()


def test_legacy_provider_has_no_audio_16k(tmp_path):
  path = tmp_path / 'legacy.tfrecord'
  _write_records(path, _short_examples(3, audio_16k=False))
  provider = data.LegacyTFRecordProvider(str(path), **SHORT)
  assert 'audio_16k' not in provider.features_dict
  examples = list(provider.get_dataset(shuffle=False))
  assert len(examples) == 3
  assert set(examples[0]) == {'audio', 'f0_hz', 'f0_confidence',
                              'loudness_db'}


def test_wrong_example_length_fails_to_parse(short_records):
  provider = data.TFRecordProvider(short_records, example_secs=1)
  with pytest.raises(tf.errors.InvalidArgumentError):
    next(iter(provider.get_dataset()))


def test_experimental_data_provider_loads_a_saved_dataset(tmp_path):
  ds = tf.data.Dataset.from_tensor_slices({'audio': np.zeros([3, 4])})
  tf.data.Dataset.save(ds, str(tmp_path / 'saved'))
  provider = data.ExperimentalDataProvider(str(tmp_path / 'saved'), 16000,
                                           250)
  assert len(list(provider.get_dataset())) == 3


# ----------------------------------------------------------------------------
# Multi-dataset providers.
# ----------------------------------------------------------------------------
def test_multi_provider_ratios_are_normalized(short_records):
  providers = [data.TFRecordProvider(short_records, **SHORT)] * 2
  multi = data.BaseMultiProvider(providers, batch_size_ratios=(1, 3))
  assert multi._batch_size_ratios == [0.25, 0.75]  # pylint: disable=protected-access
  assert data.BaseMultiProvider(providers)._batch_size_ratios == [1.0, 1.0]  # pylint: disable=protected-access


def test_multi_provider_ratio_count_must_match(short_records):
  providers = [data.TFRecordProvider(short_records, **SHORT)] * 2
  with pytest.raises(ValueError, match='same length'):
    data.BaseMultiProvider(providers, batch_size_ratios=(1, 2, 3))


def test_multi_provider_rates_must_agree(short_records):
  with pytest.raises(AssertionError):
    data.BaseMultiProvider([
        data.TFRecordProvider(short_records, **SHORT),
        data.TFRecordProvider(short_records, frame_rate=50)])


def test_zipped_provider_batches_each_dataset_by_ratio(short_records):
  providers = [data.TFRecordProvider(short_records, **SHORT)] * 2
  zipped = data.ZippedProvider(providers, batch_size_ratios=(1, 3))
  first = next(iter(zipped.get_batch(8, shuffle=False)))
  assert isinstance(first, tuple) and len(first) == 2
  assert first[0]['audio'].shape[0] == 2
  assert first[1]['audio'].shape[0] == 6
  element = next(iter(zipped.get_dataset(shuffle=False)))
  assert element[0]['audio'].shape == (320,)


def test_zipped_provider_without_ratios_gives_full_batches(short_records):
  providers = [data.TFRecordProvider(short_records, **SHORT)] * 2
  first = next(iter(data.ZippedProvider(providers).get_batch(4)))
  assert [x['audio'].shape[0] for x in first] == [4, 4]


def test_mixed_provider_samples_from_all_datasets(tmp_path):
  _write_records(tmp_path / 'x.tfrecord', _short_examples(20))
  _write_records(tmp_path / 'y.tfrecord', _short_examples(20, offset=1000))
  mixed = data.MixedProvider([
      data.TFRecordProvider(str(tmp_path / 'x.tfrecord'), **SHORT),
      data.TFRecordProvider(str(tmp_path / 'y.tfrecord'), **SHORT)])
  values = [ex['audio'][0] for ex in mixed.get_dataset().as_numpy_iterator()]
  assert len(values) == 40
  assert any(v < 1000 for v in values) and any(v >= 1000 for v in values)


# ----------------------------------------------------------------------------
# SyntheticNotes and URMP.
# ----------------------------------------------------------------------------
def test_synthetic_notes_reads_flattened_controls(tmp_path):
  t, h, m = 4, 3, 2
  ex = {'f0_hz': np.full([t, 1], 220.0), 'harm_amp': np.ones([t, 1]),
        'harm_dist': np.ones([t, h]) / h, 'sin_amps': np.ones([t, h]),
        'sin_freqs': np.ones([t, h]), 'noise_magnitudes': np.ones([t, m])}
  path = tmp_path / 'notes.tfrecord'
  _write_records(path, [ex, ex])
  provider = data.SyntheticNotes(t, h, m, file_pattern=str(path))
  batch = next(iter(provider.get_batch(2, shuffle=False)))
  assert batch['harm_dist'].shape == (2, t, h)
  assert batch['noise_magnitudes'].shape == (2, t, m)
  assert batch['f0_hz'].shape == (2, t, 1)
  assert provider.sample_rate == 16000


@pytest.mark.parametrize('key, split, suffix, expected', [
    ('tpt', 'train', None,
     '/urmp/urmp_tpt_solo_ddsp_conditioning_train.tfrecord*'),
    ('vn', 'test', 'v2',
     '/urmp/urmp_vn_solo_ddsp_conditioning_test_v2.tfrecord*'),
    ('all', 'train', None, '/urmp/all_instruments_train.tfrecord*'),
    ('all', 'test', 'x', '/urmp/all_instruments_test_x.tfrecord*'),
])
def test_urmp_default_file_pattern(key, split, suffix, expected):
  provider = data.Urmp('/urmp', instrument_key=key, split=split,
                       suffix=suffix)
  assert provider.default_file_pattern == expected
  assert provider.file_pattern == expected


def _urmp_midi_example(n_frames, instrument=b'vc'):
  velocities = np.zeros([n_frames, 128])
  velocities[:, 60] = 80.0
  frame_indices = np.zeros([n_frames, 128])
  frame_indices[:, 62] = np.arange(1, n_frames + 1)
  onsets = np.zeros([n_frames, 128])
  onsets[0, 62] = 1.0
  return {
      'audio': np.zeros(64000), 'f0_hz': np.full(n_frames, 293.0),
      'f0_confidence': np.ones(n_frames), 'loudness_db': np.zeros(n_frames),
      'note_active_velocities': velocities,
      'note_active_frame_indices': frame_indices,
      'instrument_id': instrument, 'recording_id': b'rec_1',
      'power_db': np.zeros(n_frames), 'note_onsets': onsets,
      'note_offsets': np.zeros([n_frames, 128]),
  }


def test_urmp_midi_maps_note_features(tmp_path):
  _write_records(tmp_path / 'urmp_vc_solo_ddsp_conditioning_train.tfrecord',
                 [_urmp_midi_example(1000),
                  _urmp_midi_example(1000, instrument=b'xyz')])
  provider = data.UrmpMidi(str(tmp_path), instrument_key='vc')
  examples = list(provider.get_dataset(shuffle=False).as_numpy_iterator())
  ex = examples[0]
  assert ex['note_active_velocities'].shape == (1000, 128)
  assert ex['f0_hz'].shape == (1000, 1)
  assert ex['loudness_db'].shape == (1000, 1)
  assert ex['instrument_id'] == 2  # 'vc'.
  assert examples[1]['instrument_id'] == -1
  assert np.all(ex['midi'] == 62)
  assert ex['onsets'].dtype == np.int64
  np.testing.assert_array_equal(ex['onsets'][:3], [1, 0, 0])
  assert ex['offsets'].sum() == 0


def test_urmp_midi_unsegmented_densifies_variable_lengths(tmp_path):
  _write_records(tmp_path / 'all_instruments_test.tfrecord',
                 [_urmp_midi_example(7, instrument=b'fl')])
  provider = data.UrmpMidiUnsegmented(str(tmp_path), instrument_key='all',
                                      split='test')
  ex = next(provider.get_dataset(shuffle=False).as_numpy_iterator())
  assert ex['note_active_velocities'].shape == (7, 128)
  assert ex['audio'].shape == (64000,)
  assert ex['instrument_id'] == 4


# ----------------------------------------------------------------------------
# TFDS and gin.
# ----------------------------------------------------------------------------
def test_nsynth_tfds_without_the_package_names_it():
  try:
    import tensorflow_datasets  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    provider = data.NSynthTfds(data_dir='/tmp/none')
    with pytest.raises(ImportError, match='tensorflow-datasets'):
      provider.get_dataset()
  else:
    pytest.skip('tensorflow_datasets is installed; the error path is moot.')


def test_nsynth_tfds_constructor_defaults():
  provider = data.NSynthTfds()
  assert provider.sample_rate == 16000 and provider.frame_rate == 250
  assert provider._name == 'nsynth/gansynth_subset.f0_and_loudness:2.3.0'  # pylint: disable=protected-access
  assert provider._split == 'train'  # pylint: disable=protected-access


@pytest.mark.parametrize('name', [
    'ExperimentalDataProvider', 'NSynthTfds', 'TFRecordProvider',
    'LegacyTFRecordProvider', 'BaseMultiProvider', 'ZippedProvider',
    'MixedProvider', 'SyntheticNotes', 'Urmp', 'UrmpMidi'])
def test_providers_are_gin_registered(name):
  assert f'ddsp.training.data.{name}' in gin.config._REGISTRY  # pylint: disable=protected-access


def test_unregistered_providers():
  for name in ('DataProvider', 'TfdsProvider', 'UrmpMidiUnsegmented'):
    assert f'ddsp.training.data.{name}' not in gin.config._REGISTRY  # pylint: disable=protected-access
