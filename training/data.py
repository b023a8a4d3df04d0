# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Data providers: tf.data pipelines of feature dicts for training and eval.

Every provider yields dicts of float32 features, e.g. for TFRecords written by
`ddsp_prepare_tfrecord` (4 s at 16 kHz, 250 frames/s):
  audio [64000], audio_16k [64000], f0_hz [1000], f0_confidence [1000],
  loudness_db [1000].
The names and lengths of those TFRecords are defined once, for the writer
and the readers, in `ddsp.features.tfrecord_layout`.
"""

import dataclasses

from absl import logging
from ddsp import errors
from ddsp.features import tfrecord_layout
import gin
import tensorflow as tf

_AUTOTUNE = tf.data.experimental.AUTOTUNE


def _import_tfds():
  """tensorflow_datasets, imported on first use (optional dependency)."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'TFDS-backed data providers need the optional package '
        '`tensorflow-datasets`: pip install tensorflow-datasets') from e
  return tfds


class NoMatchingFilesError(errors.UserError, FileNotFoundError,
                           tf.errors.InvalidArgumentError):
  """No file matches a data provider's file pattern.

  Both a FileNotFoundError and the tf.errors.InvalidArgumentError that
  `tf.data.Dataset.list_files` raises, so callers catching either still work.
  """

  def __init__(self, message):
    tf.errors.InvalidArgumentError.__init__(self, None, None, message)
    FileNotFoundError.__init__(self, message)

  def __str__(self):
    return self.message


class LayoutMismatchError(errors.UserError, ValueError,
                          tf.errors.InvalidArgumentError):
  """TFRecords whose feature lengths differ from what a provider parses.

  Also a tf.errors.InvalidArgumentError, the error parsing them would raise.
  """

  def __init__(self, message):
    tf.errors.InvalidArgumentError.__init__(self, None, None, message)
    ValueError.__init__(self, message)

  def __str__(self):
    return self.message


class BadRecordsError(errors.UserError, ValueError):
  """Data files that are not TFRecord files, or that hold no example."""


def _first_record(paths, file_pattern):
  """(path, bytes) of the first record of the files, in order.

  Raises:
    BadRecordsError: a file read before the first record is not a TFRecord
      file, or no file holds a record.
  """
  for path in paths:
    try:
      for record in tf.data.TFRecordDataset(path).take(1):
        return path, record.numpy()
    except tf.errors.DataLossError:
      raise BadRecordsError(
          f'{path} is not a TFRecord file: give the files '
          'ddsp_prepare_tfrecord writes.') from None
  raise BadRecordsError(
      f'The {len(paths)} TFRecord file(s) matching {file_pattern!r} hold no '
      'example: prepare the data again with ddsp_prepare_tfrecord.')


def _list_files(file_pattern, shuffle):
  """Dataset of files matching the pattern; clear error when none match."""
  try:
    return tf.data.Dataset.list_files(file_pattern, shuffle=shuffle)
  except tf.errors.InvalidArgumentError as e:
    raise NoMatchingFilesError(
        f'No files match the TFRecord file_pattern {file_pattern!r}.') from e


def batches_for(purpose, data_provider, batch_size, shuffle=True,
                repeats=-1):
  """`data_provider.get_batch`; missing files say what the data was for.

  Args:
    purpose: What the batches are for, e.g. 'Training' or 'Evaluation'.
    data_provider: A DataProvider.
    batch_size: Examples per batch.
    shuffle: Shuffle the file list.
    repeats: Number of epochs (-1 repeats forever).

  Returns:
    The provider's tf.data.Dataset of batches.

  Raises:
    NoMatchingFilesError: No file matches the provider's file pattern; the
      message starts with '<purpose> data: '.
  """
  try:
    return data_provider.get_batch(batch_size, shuffle=shuffle,
                                   repeats=repeats)
  except NoMatchingFilesError as e:
    raise NoMatchingFilesError(
        f'{purpose} data: {e} Set TFRecordProvider.file_pattern to a glob '
        'of existing files.') from e


class DataProvider(object):
  """Base class for returning a dataset."""

  def __init__(self, sample_rate, frame_rate):
    """Constructor.

    Args:
      sample_rate: Audio sample rate of the dataset [Hz].
      frame_rate: Feature frame rate of the dataset [frames/s].
    """
    self._sample_rate = sample_rate
    self._frame_rate = frame_rate

  @property
  def sample_rate(self):
    """Audio sample rate [Hz]."""
    return self._sample_rate

  @property
  def frame_rate(self):
    """Feature frame rate [frames/s]."""
    return self._frame_rate

  def get_dataset(self, shuffle):
    """A tf.data.Dataset of single examples (feature dicts)."""
    raise NotImplementedError

  def get_batch(self, batch_size, shuffle=True, repeats=-1,
                drop_remainder=True):
    """Batched, repeated and prefetched dataset.

    Args:
      batch_size: Examples per batch.
      shuffle: Shuffle the file list (no example-level shuffle).
      repeats: Number of epochs (-1 repeats forever).
      drop_remainder: Drop the last incomplete batch.

    Returns:
      A tf.data.Dataset of batched feature dicts.
    """
    dataset = self.get_dataset(shuffle)
    dataset = dataset.repeat(repeats)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.prefetch(buffer_size=_AUTOTUNE)
    return dataset


@gin.register
class ExperimentalDataProvider(DataProvider):
  """Loads a dataset saved with `tf.data.experimental.save`."""

  def __init__(self, data_dir, sample_rate, frame_rate):
    super().__init__(sample_rate, frame_rate)
    self.data_dir = data_dir

  def get_dataset(self, shuffle=True):
    del shuffle
    return tf.data.experimental.load(self.data_dir)


class TfdsProvider(DataProvider):
  """Base class for reading datasets from TensorFlow Datasets (TFDS)."""

  def __init__(self, name, split, data_dir, sample_rate, frame_rate):
    """Constructor.

    Args:
      name: TFDS dataset name (with optional config and version).
      split: Dataset split to use.
      data_dir: TFDS data directory (`None` for the TFDS default).
      sample_rate: Audio sample rate [Hz].
      frame_rate: Feature frame rate [frames/s].
    """
    self._name = name
    self._split = split
    self._data_dir = data_dir
    super().__init__(sample_rate, frame_rate)

  def get_dataset(self, shuffle=True):
    tfds = _import_tfds()
    return tfds.load(
        self._name,
        data_dir=self._data_dir,
        split=self._split,
        shuffle_files=shuffle,
        download=False)


@gin.register
class NSynthTfds(TfdsProvider):
  """Parses features of the NSynth TFDS dataset."""

  def __init__(self,
               name='nsynth/gansynth_subset.f0_and_loudness:2.3.0',
               split='train',
               data_dir='gs://tfds-data/datasets',
               sample_rate=16000,
               frame_rate=250,
               include_note_labels=True):
    """Constructor.

    Args:
      name: TFDS dataset name (with optional config and version).
      split: Dataset split to use.
      data_dir: TFDS data directory; the default public bucket is slow.
      sample_rate: Audio sample rate [Hz].
      frame_rate: Feature frame rate [frames/s].
      include_note_labels: Also return pitch and instrument labels.
    """
    self._include_note_labels = include_note_labels
    if data_dir == 'gs://tfds-data/datasets':
      logging.warning(
          'Using public TFDS GCS bucket to load NSynth. If not running on '
          'GCP, this will be very slow, and it is recommended you prepare '
          'the dataset locally with TFDS and set the data_dir appropriately.')
    super().__init__(name, split, data_dir, sample_rate, frame_rate)

  def get_dataset(self, shuffle=True):
    """Returns dataset with slight restructuring of feature dictionary."""

    def preprocess_ex(ex):
      ex_out = {
          'audio': ex['audio'],
          'f0_hz': ex['f0']['hz'],
          'f0_confidence': ex['f0']['confidence'],
          'loudness_db': ex['loudness']['db'],
      }
      if self._include_note_labels:
        ex_out.update({
            'pitch': ex['pitch'],
            'instrument_source': ex['instrument']['source'],
            'instrument_family': ex['instrument']['family'],
            'instrument': ex['instrument']['label'],
        })
      return ex_out

    dataset = super().get_dataset(shuffle)
    dataset = dataset.map(preprocess_ex, num_parallel_calls=_AUTOTUNE)
    return dataset


@gin.register
class TFRecordProvider(DataProvider):
  """Reads tf.train.Example records written by `ddsp_prepare_tfrecord`."""

  def __init__(self,
               file_pattern=None,
               example_secs=4,
               sample_rate=16000,
               frame_rate=250,
               centered=False):
    """Constructor.

    Args:
      file_pattern: Glob of the TFRecord files (e.g. '/data/train.tfrecord*').
      example_secs: Length of each example [s].
      sample_rate: Audio sample rate [Hz].
      frame_rate: Feature frame rate [frames/s].
      centered: Whether features were computed on centered frames (one extra
        frame, e.g. 1001 instead of 1000 for 4 s at 250 Hz).
    """
    super().__init__(sample_rate, frame_rate)
    self._file_pattern = file_pattern or self.default_file_pattern
    self._layout = tfrecord_layout.TFRecordLayout(
        sample_rate=sample_rate, frame_rate=frame_rate,
        example_secs=example_secs, centered=centered)
    self._audio_length = self._layout.audio_length
    self._audio_16k_length = self._layout.audio_16k_length
    self._feature_length = self.get_feature_length(centered)

  def get_feature_length(self, centered):
    """Number of feature frames of one example (see `tfrecord_layout`).

    Args:
      centered: 'center' padding if True, else 'same'.

    Returns:
      Number of frames (e.g. 1000, or 1001 when centered).
    """
    return dataclasses.replace(self._layout, centered=centered).n_frames

  @property
  def file_pattern(self):
    """Glob of the files read (the given one or `default_file_pattern`)."""
    return self._file_pattern

  @property
  def default_file_pattern(self):
    """Used when no file_pattern is given (subclasses may define one)."""
    raise NotImplementedError(
        'You must pass a "file_pattern" argument to the constructor or '
        'choose a FileDataProvider with a default_file_pattern.')

  def get_dataset(self, shuffle=True):
    """Dataset of parsed examples.

    Args:
      shuffle: Shuffle the list of files.

    Returns:
      tf.data.Dataset of feature dicts (see `features_dict`).

    Raises:
      NoMatchingFilesError: No file matches the file pattern (both a
        FileNotFoundError and a tf.errors.InvalidArgumentError).
    """

    def parse_tfexample(record):
      return tf.io.parse_single_example(record, self.features_dict)

    filenames = _list_files(self._file_pattern, shuffle)
    self.check_layout()
    dataset = filenames.interleave(
        map_func=tf.data.TFRecordDataset,
        cycle_length=40,
        num_parallel_calls=_AUTOTUNE)
    dataset = dataset.map(parse_tfexample, num_parallel_calls=_AUTOTUNE)
    return dataset

  def check_layout(self):
    """Reads the first example of the first file and checks its lengths.

    Runs once on the host when the dataset is built, so that data prepared
    for another frame rate, padding or example length is reported with what
    to change, instead of as a parse error inside the input pipeline.

    Raises:
      NoMatchingFilesError: no file matches the file pattern.
      BadRecordsError: a file is not a TFRecord file, or none holds an
        example.
      LayoutMismatchError: the example's feature lengths differ from
        `features_dict`.
    """
    paths = sorted(tf.io.gfile.glob(self._file_pattern))
    if not paths:
      raise NoMatchingFilesError(
          f'No files match the TFRecord file_pattern {self._file_pattern!r}.')
    path, record = _first_record(paths, self._file_pattern)
    message = tfrecord_layout.mismatch_message(
        self._layout, tfrecord_layout.example_lengths(record), path,
        wanted=tfrecord_layout.parsed_lengths(self.features_dict))
    if message:
      raise LayoutMismatchError(message)

  @property
  def features_dict(self):
    """Dictionary of features to read from dataset."""
    return self._layout.features_dict()


@gin.register
class LegacyTFRecordProvider(TFRecordProvider):
  """TFRecords without the 'audio_16k' feature (older datasets)."""

  @property
  def features_dict(self):
    """Dictionary of features to read from dataset (no 'audio_16k')."""
    features = dict(super().features_dict)
    del features[tfrecord_layout.AUDIO_16K_KEY]
    return features


# ------------------------------------------------------------------------------
# Zipped DataProvider
# ------------------------------------------------------------------------------
@gin.register
class BaseMultiProvider(DataProvider):
  """Combines several providers that share sample and frame rates."""

  def __init__(self, data_providers, batch_size_ratios=()):
    """Constructor.

    Args:
      data_providers: List of DataProviders.
      batch_size_ratios: Optional share of each provider in a batch
        (normalized to sum to 1); all 1.0 when not given.

    Raises:
      ValueError: Number of ratios differs from the number of providers.
    """
    if batch_size_ratios:
      if len(batch_size_ratios) != len(data_providers):
        raise ValueError(
            'List of batch size ratios ({}) must be of the same length as the '
            'list of data providers ({}) for varying batch sizes.'.format(
                len(batch_size_ratios), len(data_providers)))
      total = sum(batch_size_ratios)
      batch_size_ratios = [float(r) / total for r in batch_size_ratios]
    else:
      batch_size_ratios = [1.0 for _ in data_providers]

    sample_rates = [dp.sample_rate for dp in data_providers]
    frame_rates = [dp.frame_rate for dp in data_providers]
    # Check that all datasets have the same sample_rate and frame_rate.
    assert len(set(sample_rates)) == 1, (
        f'All data providers must have the same sample rate: {sample_rates}')
    assert len(set(frame_rates)) == 1, (
        f'All data providers must have the same frame rate: {frame_rates}')
    super().__init__(sample_rates[0], frame_rates[0])

    self._data_providers = data_providers
    self._batch_size_ratios = batch_size_ratios


@gin.register
class ZippedProvider(BaseMultiProvider):
  """Zips datasets: elements are tuples of feature dicts."""

  def get_dataset(self, shuffle=True):
    """Zipped dataset of single examples."""
    datasets = tuple(dp.get_dataset(shuffle) for dp in self._data_providers)
    return tf.data.Dataset.zip(datasets)

  def get_batch(self, batch_size, shuffle=True, repeats=-1,
                drop_remainder=False):
    """Zips batches of each provider (sizes batch_size · ratio)."""
    if self._batch_size_ratios:
      batch_sizes = [int(batch_size * ratio)
                     for ratio in self._batch_size_ratios]
      datasets = tuple(
          dp.get_dataset(shuffle).batch(bs, drop_remainder=drop_remainder)
          for bs, dp in zip(batch_sizes, self._data_providers))
      dataset = tf.data.Dataset.zip(datasets)
    else:
      dataset = self.get_dataset(shuffle)
      dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.repeat(repeats)
    dataset = dataset.prefetch(buffer_size=_AUTOTUNE)
    return dataset


@gin.register
class MixedProvider(BaseMultiProvider):
  """Samples examples from several datasets with the given ratios."""

  def get_dataset(self, shuffle=True):
    """Interleaved dataset of single examples."""
    datasets = tuple(dp.get_dataset(shuffle) for dp in self._data_providers)
    return tf.data.experimental.sample_from_datasets(datasets,
                                                     self._batch_size_ratios)


# ------------------------------------------------------------------------------
# Synthetic Data for TranscribingAutoencoder
# ------------------------------------------------------------------------------
@gin.register
class SyntheticNotes(LegacyTFRecordProvider):
  """Synthetic note controls written by `ddsp_generate_synthetic_dataset`."""

  def __init__(self,
               n_timesteps,
               n_harmonics,
               n_mags,
               file_pattern=None,
               sample_rate=16000):
    """Constructor.

    Args:
      n_timesteps: Frames per example.
      n_harmonics: Harmonics per frame.
      n_mags: Noise magnitudes per frame.
      file_pattern: Glob of the TFRecord files.
      sample_rate: Audio sample rate [Hz].
    """
    self._n_timesteps = n_timesteps
    self._n_harmonics = n_harmonics
    self._n_mags = n_mags
    super().__init__(file_pattern=file_pattern, sample_rate=sample_rate)

  @property
  def features_dict(self):
    """Dictionary of features to read from dataset."""
    t, h, m = self._n_timesteps, self._n_harmonics, self._n_mags
    return {
        'f0_hz': tf.io.FixedLenFeature([t, 1], dtype=tf.float32),
        'harm_amp': tf.io.FixedLenFeature([t, 1], dtype=tf.float32),
        'harm_dist': tf.io.FixedLenFeature([t, h], dtype=tf.float32),
        'sin_amps': tf.io.FixedLenFeature([t, h], dtype=tf.float32),
        'sin_freqs': tf.io.FixedLenFeature([t, h], dtype=tf.float32),
        'noise_magnitudes': tf.io.FixedLenFeature([t, m], dtype=tf.float32),
    }


# ------------------------------------------------------------------------------
# URMP
# ------------------------------------------------------------------------------
@gin.register
class Urmp(LegacyTFRecordProvider):
  """Urmp training set."""

  def __init__(self, base_dir, instrument_key='tpt', split='train',
               suffix=None):
    """URMP dataset for either a specific instrument or all instruments.

    Args:
      base_dir: Base directory of the URMP TFRecords.
      instrument_key: One of 'vn', 'va', 'vc', 'db', 'fl', 'ob', 'cl', 'sax',
        'bn', 'tpt', 'hn', 'tbn', 'tba', or 'all'.
      split: 'train' or 'test'.
      suffix: Optional suffix of the file names.
    """
    self.instrument_key = instrument_key
    self.split = split
    self.base_dir = base_dir
    self.suffix = '' if suffix is None else '_' + suffix
    super().__init__()

  @property
  def default_file_pattern(self):
    if self.instrument_key == 'all':
      file_pattern = 'all_instruments_{}{}.tfrecord*'.format(
          self.split, self.suffix)
    else:
      file_pattern = 'urmp_{}_solo_ddsp_conditioning_{}{}.tfrecord*'.format(
          self.instrument_key, self.split, self.suffix)
    return f'{self.base_dir}/{file_pattern}'


def _instrument_id_table(instruments):
  """Static string -> index table (-1 for unknown instruments)."""
  initializer = tf.lookup.KeyValueTensorInitializer(
      keys=tf.constant(instruments),
      values=tf.range(len(instruments), dtype=tf.int64))
  return tf.lookup.StaticHashTable(initializer, default_value=-1)


def _urmp_midi_features(ex, instrument_ids):
  """Shared mapping of UrmpMidi examples (note arrays reshaped to 128)."""
  note_active_frame_indices = tf.reshape(ex['note_active_frame_indices'],
                                         (-1, 128))
  note_active_velocities = tf.reshape(ex['note_active_velocities'], (-1, 128))
  instrument_id = instrument_ids.lookup(ex['instrument_id'])
  midi = tf.argmax(note_active_frame_indices, axis=-1)
  f0_hz = ex['f0_hz'][..., tf.newaxis]
  loudness_db = ex['loudness_db'][..., tf.newaxis]
  onsets = tf.reduce_sum(tf.reshape(ex['note_onsets'], (-1, 128)), axis=-1)
  offsets = tf.reduce_sum(tf.reshape(ex['note_offsets'], (-1, 128)), axis=-1)
  return {
      'audio': ex['audio'],
      'f0_hz': f0_hz,
      'f0_confidence': ex['f0_confidence'],
      'instrument_id': instrument_id,
      'loudness_db': loudness_db,
      'power_db': ex['power_db'],
      'note_active_frame_indices': note_active_frame_indices,
      'note_active_velocities': note_active_velocities,
      'recording_id': ex['recording_id'],
      'midi': midi,
      'onsets': tf.cast(onsets > 0, tf.int64),
      'offsets': tf.cast(offsets > 0, tf.int64),
  }


@gin.register
class UrmpMidi(Urmp):
  """Urmp training set with midi note data."""

  _INSTRUMENTS = ['vn', 'va', 'vc', 'db', 'fl', 'ob', 'cl', 'sax', 'bn', 'tpt',
                  'hn', 'tbn', 'tba']

  @property
  def features_dict(self):
    base_features = super().features_dict
    n = self._feature_length
    base_features.update({
        'note_active_velocities':
            tf.io.FixedLenFeature([n * 128], tf.float32),
        'note_active_frame_indices':
            tf.io.FixedLenFeature([n * 128], tf.float32),
        'instrument_id': tf.io.FixedLenFeature([], tf.string),
        'recording_id': tf.io.FixedLenFeature([], tf.string),
        'power_db': tf.io.FixedLenFeature([n], tf.float32),
        'note_onsets': tf.io.FixedLenFeature([n * 128], tf.float32),
        'note_offsets': tf.io.FixedLenFeature([n * 128], tf.float32),
    })
    return base_features

  def get_dataset(self, shuffle=True):
    instrument_ids = _instrument_id_table(self._INSTRUMENTS)
    ds = super().get_dataset(shuffle)
    return ds.map(lambda ex: _urmp_midi_features(ex, instrument_ids),
                  num_parallel_calls=_AUTOTUNE)


class UrmpMidiUnsegmented(Urmp):
  """Urmp dataset using unsegmented data (variable-length recordings)."""

  _INSTRUMENTS = ['vn', 'va', 'vc', 'db', 'fl', 'ob', 'cl', 'sax', 'bn', 'tpt',
                  'hn', 'tbn', 'tba']

  @property
  def features_dict(self):
    var_len = tf.io.VarLenFeature(dtype=tf.float32)
    return {
        'audio': var_len,
        'f0_confidence': var_len,
        'f0_hz': var_len,
        'loudness_db': var_len,
        'note_active_velocities': var_len,
        'note_active_frame_indices': var_len,
        'instrument_id': tf.io.FixedLenFeature([], tf.string),
        'recording_id': tf.io.FixedLenFeature([], tf.string),
        'power_db': var_len,
        'note_onsets': var_len,
        'note_offsets': var_len,
    }

  def get_dataset(self, shuffle=True):
    instrument_ids = _instrument_id_table(self._INSTRUMENTS)

    def densify(ex):
      return {k: (tf.sparse.to_dense(v) if isinstance(v, tf.SparseTensor)
                  else v) for k, v in ex.items()}

    ds = super().get_dataset(shuffle)
    ds = ds.map(densify, num_parallel_calls=_AUTOTUNE)
    return ds.map(lambda ex: _urmp_midi_features(ex, instrument_ids),
                  num_parallel_calls=_AUTOTUNE)
