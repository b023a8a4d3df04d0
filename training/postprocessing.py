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

"""Post-processing of features: note detection and dataset statistics.

The statistics computed here are pickled next to a checkpoint as
`dataset_statistics.pkl` and drive the automatic adjustment of the timbre
transfer workflow (octave shift towards the training register, loudness
mapped through a quantile transform fitted on the training data).

The pickle layout is part of the file format: a plain dict of numpy float32
scalars plus a `QuantileTransformer` pickled by its path
`ddsp.training.postprocessing.QuantileTransformer`. Reading such files goes
through `load_dataset_statistics`, which refuses any object the statistics
do not need (a pickle can otherwise run arbitrary code).
"""

import io
import pickle
import time

from absl import logging
from ddsp import atomic_files
from ddsp import core
from ddsp import errors
from ddsp import framing
from ddsp import spectral_ops
import numpy as np
from scipy import stats
import tensorflow as tf

# Output-bound threshold of the 'normal' quantile distribution (sklearn's).
BOUNDS_THRESHOLD = 1e-7

# Frames dropped at the end of every example (the edge frames of the
# feature extraction are unreliable).
_TRIM_FRAMES = 20

# Order of the statistics in the pickled dict (verified on the original).
_FEATURES = ('pitch', 'power', 'loudness')
_STATS = ('mean', 'max', 'min', 'mean_max', 'mean_min', 'std')


def statistics_keys():
  """Keys of the pickled statistics dict, in the original's order."""
  keys = []
  for suffix in ('', '_note'):
    for feature in _FEATURES:
      keys += [f'{stat}_{feature}{suffix}' for stat in _STATS]
  return keys + ['quantile_transform']


# ------------------------------------------------------------------------------
# Note detection.
# ------------------------------------------------------------------------------
def smooth(x, filter_size=3):
  """Box filter along the last axis (zero 'SAME' padding).

  y[t] = (1/filter_size) * sum_{k} x[t + k], k over a centred window.

  Args:
    x: Array, [n_frames] or [batch, n_frames].
    filter_size: Width of the box in frames.

  Returns:
    Smoothed numpy float32 array, same shape as `x`.
  """
  x = np.asarray(x, dtype=np.float32)
  if x.ndim not in (1, 2):
    raise ValueError(f'smooth: `x` must be 1-D or 2-D, got shape {x.shape}.')
  batched = x if x.ndim == 2 else x[np.newaxis, :]
  kernel = tf.ones([filter_size, 1, 1], dtype=tf.float32) / filter_size
  y = tf.nn.conv1d(batched[:, :, np.newaxis], kernel, stride=1,
                   padding='SAME')
  y = y.numpy()[:, :, 0]
  return y if x.ndim == 2 else y[0]


def detect_notes(loudness_db,
                 f0_confidence,
                 note_threshold=1.0,
                 exponent=2.0,
                 smoothing=40,
                 f0_confidence_threshold=0.7,
                 min_db=-80.0):
  """Detects note-on frames from loudness and pitch confidence.

  ratio = smooth(conf**exponent) * (ld - min_db)
          / ((mean(ld) - min_db) * f0_confidence_threshold**exponent)

  Args:
    loudness_db: Loudness in dB, [n_frames] or [batch, n_frames].
    f0_confidence: Pitch confidence in [0, 1], same shape.
    note_threshold: Ratio at and above which a frame is "on".
    exponent: Power applied to the confidence.
    smoothing: Box-filter width (frames) for the confidence.
    f0_confidence_threshold: Confidence regarded as a typical note.
    min_db: Loudness floor.

  Returns:
    mask_on: Boolean array of note-on frames.
    note_on_ratio: The ratio above (float).
  """
  loudness_db = np.asarray(loudness_db)
  f0_confidence = np.asarray(f0_confidence)
  if loudness_db.shape != f0_confidence.shape:
    raise ValueError('detect_notes: `loudness_db` and `f0_confidence` must '
                     f'have the same shape, got {loudness_db.shape} and '
                     f'{f0_confidence.shape}.')
  mean_db = np.mean(loudness_db)
  db = smooth(f0_confidence**exponent, smoothing) * (loudness_db - min_db)
  db_threshold = (mean_db - min_db) * f0_confidence_threshold**exponent
  note_on_ratio = db / db_threshold
  mask_on = note_on_ratio >= note_threshold
  return mask_on, note_on_ratio


# ------------------------------------------------------------------------------
# Quantile transform (scikit-learn semantics, no scikit-learn dependency).
# ------------------------------------------------------------------------------
class QuantileTransformer(object):
  """Maps a feature through its empirical CDF (and back).

  Same attributes and numbers as scikit-learn's QuantileTransformer for
  dense input. Pickled by path, so the module, class name and attribute
  names are part of the `dataset_statistics.pkl` format.
  """

  def __init__(self,
               n_quantiles=1000,
               output_distribution='uniform',
               subsample=int(1e5)):
    self.n_quantiles = n_quantiles
    self.output_distribution = output_distribution
    self.subsample = subsample
    # The original pickles numpy's global RandomState along.
    self.random_state = np.random.mtrand._rand  # pylint: disable=protected-access

  def _dense_fit(self, x, random_state):
    """Per-column percentiles at `references_`; [n_quantiles_, n_features]."""
    n_samples = x.shape[0]
    percents = self.references_ * 100
    quantiles = []
    for col in x.T:
      if self.subsample < n_samples:
        idx = random_state.choice(n_samples, size=self.subsample,
                                  replace=False)
        col = col.take(idx, mode='clip')
      quantiles.append(np.nanpercentile(col, percents))
    # Enforce monotonicity (percentile interpolation can wobble by an ulp).
    self.quantiles_ = np.maximum.accumulate(np.transpose(quantiles))

  def fit(self, x):
    """Fits the quantiles of `x` [n_samples, n_features]; returns self."""
    if self.n_quantiles <= 0:
      raise ValueError("Invalid value for 'n_quantiles': %d. The number of "
                       'quantiles must be at least one.' % self.n_quantiles)
    x = np.asarray(x)
    if x.ndim != 2:
      raise ValueError('QuantileTransformer.fit: `x` must be 2-D '
                       f'[n_samples, n_features], got shape {x.shape}.')
    n_samples = x.shape[0]
    self.n_quantiles_ = max(1, min(self.n_quantiles, n_samples))
    self.references_ = np.linspace(0, 1, self.n_quantiles_, endpoint=True)
    self._dense_fit(x, self.random_state)
    return self

  def _transform_col(self, x_col, quantiles, inverse):
    """Forward (value -> CDF) or inverse (CDF -> value) for one column."""
    dist = self.output_distribution
    if not inverse:
      lower_x, upper_x = quantiles[0], quantiles[-1]
      lower_y, upper_y = 0, 1
    else:
      lower_x, upper_x = 0, 1
      lower_y, upper_y = quantiles[0], quantiles[-1]
      if dist == 'normal':
        with np.errstate(invalid='ignore'):
          x_col = stats.norm.cdf(x_col)

    with np.errstate(invalid='ignore'):
      if dist == 'normal':
        lower_idx = x_col - BOUNDS_THRESHOLD < lower_x
        upper_idx = x_col + BOUNDS_THRESHOLD > upper_x
      else:
        lower_idx = x_col == lower_x
        upper_idx = x_col == upper_x

    finite = ~np.isnan(x_col)
    x_finite = x_col[finite]
    refs = self.references_
    if not inverse:
      # Average of left and right interpolation handles repeated quantiles.
      x_col[finite] = 0.5 * (
          np.interp(x_finite, quantiles, refs) -
          np.interp(-x_finite, -quantiles[::-1], -refs[::-1]))
    else:
      x_col[finite] = np.interp(x_finite, refs, quantiles)

    x_col[upper_idx] = upper_y
    x_col[lower_idx] = lower_y

    if not inverse and dist == 'normal':
      with np.errstate(invalid='ignore'):
        x_col = stats.norm.ppf(x_col)
        clip_min = stats.norm.ppf(BOUNDS_THRESHOLD - np.spacing(1))
        clip_max = stats.norm.ppf(1 - (BOUNDS_THRESHOLD - np.spacing(1)))
        x_col = np.clip(x_col, clip_min, clip_max)
    return x_col

  def _transform(self, x, inverse=False):
    """Transforms every column of a copy of `x` [n_samples, n_features]."""
    x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind != 'f'
                 else None, copy=True)
    if x.ndim != 2:
      raise ValueError('QuantileTransformer: input must be 2-D '
                       f'[n_samples, n_features], got shape {x.shape}.')
    for i in range(x.shape[1]):
      x[:, i] = self._transform_col(x[:, i], self.quantiles_[:, i], inverse)
    return x

  def transform(self, x):
    """Maps values to the output distribution; [n_samples, n_features]."""
    return self._transform(x, inverse=False)

  def inverse_transform(self, x):
    """Maps the output distribution back to values."""
    return self._transform(x, inverse=True)

  def fit_transform(self, x):
    return self.fit(x).transform(x)


def fit_quantile_transform(loudness_db, mask_on, inv_quantile=None):
  """Fits a quantile transform on the note-on loudness.

  Args:
    loudness_db: Loudness, any shape.
    mask_on: Boolean note-on mask, same shape.
    inv_quantile: Optional fitted QuantileTransformer of the *training*
      data. If given, note-on loudness is mapped through the new forward
      transform and then `inv_quantile.inverse_transform` (histogram
      matching onto the training loudness).

  Returns:
    The new transform, or `(transform, loudness_norm [n, 1])` when
    `inv_quantile` is given (note-off frames keep their values).
  """
  loudness_db = np.asarray(loudness_db)
  mask_on = np.asarray(mask_on, dtype=bool)
  if loudness_db.shape != mask_on.shape:
    raise ValueError('fit_quantile_transform: `loudness_db` and `mask_on` '
                     f'must have the same shape, got {loudness_db.shape} and '
                     f'{mask_on.shape}.')
  on_values = loudness_db[mask_on][:, np.newaxis]
  quantile_transform = QuantileTransformer()
  quantile_transform.fit(on_values)
  if inv_quantile is None:
    return quantile_transform

  loudness_flat = np.ravel(loudness_db)[:, np.newaxis]
  loudness_norm = np.array(loudness_flat, copy=True)
  mask_flat = np.ravel(mask_on)
  matched = inv_quantile.inverse_transform(
      quantile_transform.transform(loudness_flat[mask_flat]))
  loudness_norm[mask_flat] = matched
  return quantile_transform, loudness_norm


# ------------------------------------------------------------------------------
# Dataset statistics.
# ------------------------------------------------------------------------------
# Rate of the 'audio_16k' feature (the rate of CREPE) and the rate the
# original assumed for 'audio'.
_AUDIO_16K_RATE = 16000


def _infer_frame_rate(n_frames, n_samples, sample_rate):
  """Frame rate of `n_frames` features over `n_samples` of audio.

  Only for providers that do not say their frame rate.
  """
  return int(round(n_frames * sample_rate / n_samples))


def _compute_power_frames(audio, sample_rate, data_frame_rate, n_frames,
                          frame_size, frame_rate):
  """Power [batch, n] at `frame_rate`, else at the data's frame rate.

  The original requires the power frames to line up with the dataset's
  loudness frames and crashes otherwise (IndexError with the default
  50 Hz power on 250 Hz data). We keep the requested rate when it is the
  data's and otherwise compute the power at the data's frame rate.

  Args:
    audio: [batch, n_samples] audio at `sample_rate`.
    sample_rate: Rate of `audio` [Hz].
    data_frame_rate: Frame rate of the dataset's features, or None to infer
      it from `n_frames` and the audio length.
    n_frames: Frames of the dataset's features per example.
    frame_size: Frame size of `compute_power` (grown to the hop if smaller).
    frame_rate: Requested frame rate of the power.

  Returns:
    numpy [batch, n_frames (+1 when centred)] power in dB.
  """
  if data_frame_rate is None:
    data_frame_rate = _infer_frame_rate(n_frames, audio.shape[-1],
                                        sample_rate)
  if frame_rate != data_frame_rate:
    logging.warning(
        'compute_dataset_statistics: the power frame rate %s Hz is not the '
        'dataset frame rate; using the data frame rate %s Hz.', frame_rate,
        data_frame_rate)
  hop_size = int(framing.floor_hop(sample_rate, data_frame_rate))
  power = spectral_ops.compute_power(
      audio, sample_rate=sample_rate, frame_rate=data_frame_rate,
      frame_size=max(frame_size, hop_size))
  return np.asarray(power)


def _collect_features(data_provider, batch_size, power_frame_size,
                      power_frame_rate, sample_rate, frame_rate):
  """Iterates the dataset once; returns dict of stacked [n_ex, n_frames]."""
  dataset = data_provider.get_batch(batch_size, shuffle=False, repeats=1)
  collected = {'loudness': [], 'power': [], 'f0': [], 'conf': []}
  audio_key = None
  for batch in dataset:
    if audio_key is None:
      audio_key = 'audio_16k' if 'audio_16k' in batch else 'audio'
      audio_rate = _AUDIO_16K_RATE if audio_key == 'audio_16k' else sample_rate
    audio = np.asarray(batch[audio_key])
    loudness = np.asarray(batch['loudness_db'])
    power = _compute_power_frames(audio, audio_rate, frame_rate,
                                  loudness.shape[-1], power_frame_size,
                                  power_frame_rate)
    collected['loudness'].append(loudness)
    collected['power'].append(power)
    collected['f0'].append(np.asarray(batch['f0_hz']))
    collected['conf'].append(np.asarray(batch['f0_confidence']))
  if audio_key is None:
    raise ValueError('compute_dataset_statistics: the data provider yielded '
                     'no examples.')
  features = {k: np.concatenate(v, axis=0) for k, v in collected.items()}
  # Common length (power may have one more centred frame), minus the edge.
  n = min(v.shape[-1] for v in features.values()) - _TRIM_FRAMES
  if n <= 0:
    raise ValueError('compute_dataset_statistics: examples are too short '
                     f'(need more than {_TRIM_FRAMES} frames).')
  return {k: v[..., :n] for k, v in features.items()}


def _feature_stats(x, mask, suffix=''):
  """Six statistics of x [n_ex, n_frames] restricted to `mask`.

  mean/max/min/std over all selected frames; mean_max/mean_min are means of
  the per-example max/min over examples with any selected frame.
  """
  selected = x[mask]
  has_any = np.any(mask, axis=-1)
  per_max = [np.max(row[m]) for row, m, a in zip(x, mask, has_any) if a]
  per_min = [np.min(row[m]) for row, m, a in zip(x, mask, has_any) if a]
  values = (np.mean(selected), np.max(selected), np.min(selected),
            np.mean(per_max), np.mean(per_min), np.std(selected))
  return {f'{k}{suffix}': np.float32(v) for k, v in zip(_STATS, values)}


def compute_dataset_statistics(data_provider,
                               batch_size=1,
                               power_frame_size=1024,
                               power_frame_rate=50,
                               noteless_as_notes=False,
                               sample_rate=None,
                               frame_rate=None):
  """Statistics of pitch, power and loudness over a dataset.

  Args:
    data_provider: A DataProvider with `get_batch(batch_size, shuffle,
      repeats)` yielding `audio[_16k]`, `loudness_db`, `f0_hz`,
      `f0_confidence`.
    batch_size: Examples per iteration (only affects speed).
    power_frame_size: Frame size of `compute_power`.
    power_frame_rate: Frame rate of `compute_power`; when it is not the
      dataset's frame rate, the dataset frame rate is used instead.
    noteless_as_notes: The original's rule: every frame of an example
      without a detected note counts as a note. By default such examples
      (silence, padding) are left out of the note statistics and of the
      quantile transform, so they cannot pull the note ranges towards the
      f0 CREPE guesses in silence; when no example has a note, all frames
      count (as in the original).
    sample_rate: Rate of the provider's 'audio' [Hz]; None: the provider's
      `sample_rate`, or 16000 (the original's assumption) for a provider
      without one. The power is computed from 'audio_16k' when the examples
      have it, at 16 kHz whatever this rate.
    frame_rate: Rate of the provider's frame features [frames/s]; None: the
      provider's `frame_rate`, or, for a provider without one, the rate
      that the lengths of audio and loudness of the examples imply.

  Returns:
    Dict with the 36 float32 statistics (see `statistics_keys()`) and the
    'quantile_transform' fitted on note-on loudness.
  """
  print('Calculating dataset statistics for', data_provider)
  start = time.time()
  if sample_rate is None:
    sample_rate = getattr(data_provider, 'sample_rate', _AUDIO_16K_RATE)
  if frame_rate is None:
    frame_rate = getattr(data_provider, 'frame_rate', None)
  feats = _collect_features(data_provider, batch_size, power_frame_size,
                            power_frame_rate, sample_rate, frame_rate)
  pitch = np.asarray(core.hz_to_midi(feats['f0']))
  loudness, power = feats['loudness'], feats['power']

  mask_on, _ = detect_notes(loudness, feats['conf'])
  silent = ~np.any(mask_on, axis=-1)
  if noteless_as_notes or np.all(silent):
    mask_on[silent] = True
  quantile_transform = fit_quantile_transform(loudness, mask_on)

  everything = np.ones_like(mask_on, dtype=bool)
  ds_stats = {}
  for suffix, mask in (('', everything), ('_note', mask_on)):
    for name, x in (('pitch', pitch), ('power', power),
                    ('loudness', loudness)):
      ds_stats.update(_feature_stats(x, mask, f'_{name}{suffix}'))
  ds_stats['quantile_transform'] = quantile_transform
  logging.info('Computed dataset statistics in %.1f s', time.time() - start)
  return ds_stats


# ------------------------------------------------------------------------------
# Safe reading / writing of dataset_statistics.pkl.
# ------------------------------------------------------------------------------
# The statistics' file name next to a checkpoint.
STATISTICS_FILE = 'dataset_statistics.pkl'

# Every global the statistics pickle may reference. numpy 1.x writes
# `numpy.core.*`, numpy 2.x `numpy._core.*`; both are accepted.
_ALLOWED_GLOBALS = frozenset([
    ('numpy', 'dtype'),
    ('numpy', 'ndarray'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.random._pickle', '__randomstate_ctor'),
    ('numpy.random._pickle', '__bit_generator_ctor'),
    ('numpy.random._pickle', '__generator_ctor'),
    ('numpy.random', '__RandomState_ctor'),
    ('numpy.random._mt19937', 'MT19937'),
    ('numpy.random.bit_generator', '__pyx_unpickle_SeedSequence'),
    ('numpy.random.bit_generator', 'SeedSequence'),
    ('numpy.random._bit_generator', '__pyx_unpickle_SeedSequence'),
    ('numpy.random._bit_generator', 'SeedSequence'),
    ('ddsp.training.postprocessing', 'QuantileTransformer'),
])


class UnsafePickleError(errors.UserError, pickle.UnpicklingError):
  """A statistics pickle referenced something it has no reason to hold."""


class _StatisticsUnpickler(pickle.Unpickler):
  """Unpickler that resolves only the globals a statistics file needs."""

  def find_class(self, module, name):
    if (module, name) in _ALLOWED_GLOBALS:
      if module == 'ddsp.training.postprocessing':
        return QuantileTransformer
      return super().find_class(module, name)
    raise UnsafePickleError(
        f'Refusing to load dataset statistics: the pickle references '
        f'{module}.{name}, which a dataset_statistics.pkl never contains '
        '(only numpy arrays/scalars and '
        'ddsp.training.postprocessing.QuantileTransformer are allowed). '
        'The file may be corrupt or malicious.')


def loads_dataset_statistics(data):
  """Restricted unpickling of bytes (see `load_dataset_statistics`)."""
  stats_dict = _StatisticsUnpickler(io.BytesIO(data)).load()
  if not isinstance(stats_dict, dict):
    raise UnsafePickleError('Dataset statistics must be a dict, got '
                            f'{type(stats_dict).__name__}.')
  return stats_dict


def load_dataset_statistics(file_path):
  """Reads a `dataset_statistics.pkl` without executing code from it.

  Args:
    file_path: Local or gs:// path of the pickle.

  Returns:
    The statistics dict.

  Raises:
    UnsafePickleError: The file references anything but numpy arrays,
      dtypes, scalars, numpy RandomState pieces or the QuantileTransformer.
  """
  with tf.io.gfile.GFile(file_path, 'rb') as f:
    data = f.read()
  return loads_dataset_statistics(data)


def save_dataset_statistics_file(ds_stats, file_path):
  """Pickles the statistics dict with the original's layout, atomically."""
  atomic_files.write_bytes(file_path, pickle.dumps(ds_stats))
