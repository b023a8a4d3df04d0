"""dataset_statistics.pkl: layout, golden values, safe loading."""
import os
import pickle
import pickletools

import golden
import numpy as np
import pytest
import tensorflow as tf

from ddsp.training import postprocessing

PKL = golden.path('golden/solo_instrument/ckpt/dataset_statistics.pkl')
TFRECORD = golden.path(golden.SOLO_TFRECORD)
CASE = golden.get_case('checkpoint', 'dataset_statistics')
OUTPUTS = {o['name']: o for o in CASE['outputs']}


def _ref(name):
  return golden.arrays('checkpoint')[OUTPUTS[name]['key']]


def _value(stats, name):
  if name.startswith('quantile_transform/'):
    return getattr(stats['quantile_transform'], name.split('/')[1])
  return stats[name]


class GoldenRecordsProvider:
  """Minimal reader of the golden TFRecord (independent of data.py)."""

  def __init__(self, pattern, n_samples=64000, n_frames=1000):
    self.pattern = pattern
    self.features = {
        'audio': tf.io.FixedLenFeature([n_samples], tf.float32),
        'audio_16k': tf.io.FixedLenFeature([n_samples], tf.float32),
        'f0_hz': tf.io.FixedLenFeature([n_frames], tf.float32),
        'f0_confidence': tf.io.FixedLenFeature([n_frames], tf.float32),
        'loudness_db': tf.io.FixedLenFeature([n_frames], tf.float32)}

  def get_batch(self, batch_size, shuffle=True, repeats=1):
    del shuffle
    ds = tf.data.TFRecordDataset(tf.io.gfile.glob(self.pattern))
    ds = ds.map(lambda x: tf.io.parse_single_example(x, self.features))
    return ds.repeat(repeats).batch(batch_size)


@pytest.fixture(scope='module')
def golden_stats():
  return postprocessing.load_dataset_statistics(PKL)


@pytest.fixture(scope='module')
def computed_stats():
  # The original's rule for examples without notes (its padding examples).
  return postprocessing.compute_dataset_statistics(
      GoldenRecordsProvider(TFRECORD), batch_size=4, power_frame_size=1024,
      power_frame_rate=250, noteless_as_notes=True)


def test_golden_pickle_has_the_original_keys_in_order(golden_stats):
  assert list(golden_stats) == postprocessing.statistics_keys()


@pytest.mark.parametrize('name', sorted(OUTPUTS))
def test_golden_pickle_values(golden_stats, name):
  golden.assert_output_close(_value(golden_stats, name), OUTPUTS[name],
                             _ref(name))


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
@pytest.mark.parametrize('name', sorted(OUTPUTS))
def test_computed_statistics_match_golden(computed_stats, name):
  golden.assert_output_close(_value(computed_stats, name), OUTPUTS[name],
                             _ref(name))


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_statistics_are_float32_scalars(computed_stats):
  for key in postprocessing.statistics_keys()[:-1]:
    assert isinstance(computed_stats[key], np.float32), key


def _globals(data):
  """(module, name) pairs a pickle references (protocol 4 STACK_GLOBAL)."""
  strings, found = [], set()
  for op, arg, _ in pickletools.genops(data):
    if op.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE'):
      strings.append(arg)
    elif op.name == 'STACK_GLOBAL':
      found.add((strings[-2], strings[-1]))
    elif op.name == 'GLOBAL':
      found.add(tuple(arg.split(' ')))
  return found


# numpy pickles the global RandomState's SeedSequence only while nobody has
# called `np.random.seed` in the process (legacy seeding drops it); both forms
# are what the original writes, depending on the same thing.
SEED_SEQUENCE = {('numpy.random.bit_generator', '__pyx_unpickle_SeedSequence'),
                 ('__pyx_unpickle_SeedSequence', 'SeedSequence')}


@pytest.fixture
def legacy_seeded_numpy():
  """np.random.seed(0) for the test; numpy's global state restored after."""
  state = np.random.get_state()
  np.random.seed(0)
  yield
  np.random.set_state(state)


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_saved_pickle_has_the_original_structure(computed_stats, golden_stats,
                                                 tmp_path):
  path = str(tmp_path / 'dataset_statistics.pkl')
  postprocessing.save_dataset_statistics_file(computed_stats, path)
  with open(path, 'rb') as f:
    ours = f.read()
  with open(PKL, 'rb') as f:
    theirs = f.read()
  assert _globals(ours) - SEED_SEQUENCE == _globals(theirs) - SEED_SEQUENCE
  # The original's reader is a plain pickle.load.
  loaded = pickle.loads(ours)
  assert list(loaded) == list(golden_stats)
  qt = loaded['quantile_transform']
  assert type(qt).__module__ == 'ddsp.training.postprocessing'
  assert type(qt).__name__ == 'QuantileTransformer'
  assert sorted(vars(qt)) == sorted(vars(golden_stats['quantile_transform']))


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_pickle_saved_after_legacy_seeding_loads_safely(
    computed_stats, legacy_seeded_numpy, tmp_path):
  """Without the SeedSequence (numpy seeded globally) the safe reader still
  reads what was saved."""
  path = str(tmp_path / 'dataset_statistics.pkl')
  postprocessing.save_dataset_statistics_file(computed_stats, path)
  with open(path, 'rb') as f:
    assert not _globals(f.read()) & SEED_SEQUENCE
  loaded = postprocessing.load_dataset_statistics(path)
  assert list(loaded) == list(computed_stats)
  assert loaded['mean_pitch'] == computed_stats['mean_pitch']


class _Evil:

  def __init__(self, path):
    self.path = path

  def __reduce__(self):
    return (os.system, (f'touch {self.path}',))


def test_malicious_pickle_is_refused_without_running_code(tmp_path):
  marker = tmp_path / 'pwned'
  path = tmp_path / 'dataset_statistics.pkl'
  path.write_bytes(pickle.dumps({'mean_pitch': np.float32(60.0),
                                 'quantile_transform': _Evil(str(marker))}))
  with pytest.raises(postprocessing.UnsafePickleError,
                     match='Refusing to load dataset statistics.*system'):
    postprocessing.load_dataset_statistics(str(path))
  assert not marker.exists()


@pytest.mark.parametrize('payload', [
    pickle.dumps(eval),  # pylint: disable=eval-used
    pickle.dumps(np.load),
    b'cbuiltins\nexec\n(S"print(1)"\ntR.',
])
def test_foreign_globals_are_refused(payload):
  with pytest.raises(postprocessing.UnsafePickleError, match='Refusing'):
    postprocessing.loads_dataset_statistics(payload)


def test_non_dict_pickle_is_refused():
  with pytest.raises(postprocessing.UnsafePickleError, match='must be a dict'):
    postprocessing.loads_dataset_statistics(pickle.dumps([1.0, 2.0]))


@pytest.mark.needs_shared(golden.SOLO_TFRECORD)
def test_default_power_frame_rate_no_longer_crashes():
  """The original's IndexError (power at 50 Hz on 250 Hz data) is fixed."""
  stats = postprocessing.compute_dataset_statistics(
      GoldenRecordsProvider(TFRECORD), batch_size=8)
  assert np.isfinite(stats['mean_power'])
  assert stats['max_power'] <= 0.0


class _ArrayProvider(object):
  """Examples from arrays, with `get_batch` like a DataProvider's."""

  def __init__(self, **arrays):
    self.arrays = arrays

  def get_batch(self, batch_size, shuffle=True, repeats=1):
    del shuffle
    ds = tf.data.Dataset.from_tensor_slices(self.arrays)
    return ds.repeat(repeats).batch(batch_size)


def _note_and_silence(n_frames=250):
  """Example 0 plays A4 loud and confident; example 1 is digital silence
  whose f0 is whatever a tracker guesses there (1000 Hz, unconfident)."""
  n_samples = n_frames * 64
  t = np.arange(n_samples) / 16000.0
  tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
  return _ArrayProvider(
      audio=np.stack([tone, np.zeros_like(tone)]),
      f0_hz=np.array([[440.0] * n_frames, [1000.0] * n_frames], np.float32),
      f0_confidence=np.array([[0.95] * n_frames, [0.05] * n_frames],
                             np.float32),
      loudness_db=np.array([[-20.0] * n_frames, [-120.0] * n_frames],
                           np.float32))


@pytest.mark.parametrize('noteless_as_notes, expected_max_midi', [
    (False, 69.0),  # A4: the silent example is left out.
    (True, (69.0 + 83.21) / 2),  # The original: its 1000 Hz counts.
])
def test_examples_without_notes_stay_out_of_the_note_ranges(
    noteless_as_notes, expected_max_midi):
  stats = postprocessing.compute_dataset_statistics(
      _note_and_silence(), power_frame_size=1024, power_frame_rate=250,
      noteless_as_notes=noteless_as_notes)
  assert float(stats['mean_max_pitch_note']) == pytest.approx(
      expected_max_midi, abs=0.05)
