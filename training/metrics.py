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

"""Evaluation metrics: loudness / f0 distances, pitch accuracy, MIDI scores.

`mir_eval` and `note_seq` are optional and imported when a metric needs
them.
"""

import dataclasses

from absl import logging
from ddsp import core
from ddsp import errors
from ddsp import spectral_ops
from ddsp.training import summaries
import librosa
import numpy as np
import tensorflow as tf
import tf_keras as tfk

# Examples whose strongest CREPE confidence is below this are unreliable.
MIN_F0_CONFIDENCE = 0.85
# Pitch errors above this many semitones count as outliers.
OUTLIER_MIDI_THRESH = 12


def _import_mir_eval():
  try:
    import mir_eval  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'Pitch / note metrics need the "mir_eval" package: '
        'pip install mir_eval') from e
  return mir_eval


def _import_note_seq():
  try:
    import note_seq  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'MIDI metrics need the "note_seq" package: '
        'pip install note_seq') from e
  return note_seq


def _to_numpy(x):
  return x.numpy() if hasattr(x, 'numpy') else np.asarray(x)


# ---------------------------------------------------------------------------
# Feature helpers.
# ---------------------------------------------------------------------------
def squeeze(input_vector):
  """Drops size-1 axes of arrays with more than one dimension."""
  if input_vector.ndim > 1:
    return np.squeeze(input_vector)
  return input_vector


def l1_distance(prediction, ground_truth):
  """|prediction - ground_truth| over the shorter of the two lengths."""
  prediction, ground_truth = squeeze(prediction), squeeze(ground_truth)
  min_length = min(prediction.size, ground_truth.size)
  return np.abs(prediction[:min_length] - ground_truth[:min_length])


def is_outlier(ground_truth_f0_conf):
  """True if no frame of an example reaches MIN_F0_CONFIDENCE."""
  ground_truth_f0_conf = squeeze(np.asarray(ground_truth_f0_conf))
  return np.max(ground_truth_f0_conf) < MIN_F0_CONFIDENCE


def compute_audio_features(audio, frame_rate=250):
  """Loudness, f0 and f0 confidence of 16 kHz audio.

  Args:
    audio: [n_samples] or [1, n_samples] audio.
    frame_rate: Feature frames per second.

  Returns:
    {'audio', 'loudness_db', 'f0_hz', 'f0_confidence'}, features with
    get_framed_lengths(n_samples, 1024, 16000 // frame_rate) frames.
  """
  audio_feats = {'audio': audio}
  audio = squeeze(np.asarray(audio))
  audio_feats['loudness_db'] = spectral_ops.compute_loudness(
      audio, sample_rate=spectral_ops.CREPE_SAMPLE_RATE,
      frame_rate=frame_rate)
  audio_feats['f0_hz'], audio_feats['f0_confidence'] = (
      spectral_ops.compute_f0(audio, frame_rate))
  return audio_feats


def f0_dist_conf_thresh(f0_hz, f0_hz_gen, f0_confidence,
                        f0_confidence_thresh=MIN_F0_CONFIDENCE):
  """Mean |MIDI(f0) - MIDI(f0_gen)| over confident frames.

  Args:
    f0_hz: [n_frames] ground truth in Hz (3-D inputs are squeezed).
    f0_hz_gen: [n_frames] prediction in Hz.
    f0_confidence: [n_frames] ground-truth confidence.
    f0_confidence_thresh: Frames below are ignored.

  Returns:
    Mean absolute pitch difference in semitones, or None when no frame of
    the example is confident enough.
  """
  if np.asarray(f0_hz).ndim == 3:
    f0_hz = squeeze(np.asarray(f0_hz))
    f0_hz_gen = squeeze(np.asarray(f0_hz_gen))
    f0_confidence = squeeze(np.asarray(f0_confidence))
  f0_hz = np.asarray(f0_hz)
  f0_hz_gen = np.asarray(f0_hz_gen)
  f0_confidence = np.asarray(f0_confidence)

  if np.max(f0_confidence) < f0_confidence_thresh:
    return None
  keep = f0_confidence >= f0_confidence_thresh
  # librosa gives -inf for 0 Hz; silence counts as MIDI 0.
  with np.errstate(divide='ignore'):
    f0_midi = librosa.hz_to_midi(f0_hz)
    f0_midi_gen = librosa.hz_to_midi(f0_hz_gen)
  f0_midi[f0_midi == -np.inf] = 0
  f0_midi_gen[f0_midi_gen == -np.inf] = 0
  delta = np.abs(f0_midi - f0_midi_gen)
  return np.mean(delta[keep])


# ---------------------------------------------------------------------------
# Streaming metrics.
# ---------------------------------------------------------------------------
class BaseMetrics(object):
  """Keras metrics written as `metrics/<name>/<metric>` on flush."""

  def __init__(self, sample_rate, frame_rate, name):
    self._sample_rate = sample_rate
    self._frame_rate = frame_rate
    self._name = name

  @property
  def metrics(self):
    """Dict of metric name -> keras metric."""
    raise NotImplementedError()

  def update_state(self, batch, audio_gen, *args, **kwargs):
    raise NotImplementedError()

  def flush(self, step):
    """Logs and writes every metric, then resets them."""
    metrics_str = ' | '.join(
        f'{k}: {float(v.result()):0.3f}' for k, v in self.metrics.items())
    logging.info('Computing %s metrics complete. Results: %s', self._name,
                 metrics_str)
    for k, metric in self.metrics.items():
      summaries.write_scalar(f'metrics/{self._name}/{k}', metric.result(),
                             step)
      metric.reset_state()


class LoudnessMetrics(BaseMetrics):
  """L1 distance between original and generated loudness."""

  def __init__(self, sample_rate, frame_rate, name='loudness'):
    super().__init__(sample_rate, frame_rate, name=name)
    self._metrics = {'loudness_db': tfk.metrics.Mean('loudness_db')}

  @property
  def metrics(self):
    return self._metrics

  def update_state(self, batch, audio_gen):
    """Adds the per-example mean loudness L1 of a batch.

    Args:
      batch: Dict with 'loudness_db' [batch, n_frames] (or 'audio').
      audio_gen: [batch, n_samples] generated audio.
    """
    if 'loudness_db' in batch:
      loudness_original = batch['loudness_db']
    else:
      loudness_original = spectral_ops.compute_loudness(
          batch['audio'], sample_rate=self._sample_rate,
          frame_rate=self._frame_rate)
    loudness_gen = spectral_ops.compute_loudness(
        audio_gen, sample_rate=self._sample_rate, frame_rate=self._frame_rate)
    loudness_original = _to_numpy(loudness_original)
    loudness_gen = _to_numpy(loudness_gen)
    batch_size = int(loudness_gen.shape[0])
    for i in range(batch_size):
      ld_dist = np.mean(l1_distance(loudness_original[i], loudness_gen[i]))
      self.metrics['loudness_db'].update_state(ld_dist)
      logging.info('sample %d | ld_dist(db): %.3f', i, ld_dist)


class F0CrepeMetrics(BaseMetrics):
  """Pitch distance and outlier ratio of generated audio, measured by CREPE."""

  def __init__(self, sample_rate, frame_rate, name='f0_crepe'):
    super().__init__(sample_rate, frame_rate, name=name)
    self._metrics = {
        'f0_dist': tfk.metrics.Mean('f0_dist'),
        'outlier_ratio': tfk.metrics.Accuracy('outlier_ratio'),
    }

  @property
  def metrics(self):
    return self._metrics

  def update_state(self, batch, audio_gen):
    """Adds a batch: CREPE (viterbi) f0 of the generated audio vs. batch f0."""
    audio_gen = _to_numpy(audio_gen)
    batch_size = int(audio_gen.shape[0])
    for i in range(batch_size):
      f0_hz_gen, _ = spectral_ops.compute_f0(audio_gen[i], self._frame_rate,
                                             viterbi=True)
      if 'f0_hz' in batch and 'f0_confidence' in batch:
        f0_hz = _to_numpy(batch['f0_hz'])[i]
        f0_conf = _to_numpy(batch['f0_confidence'])[i]
      else:
        audio = _to_numpy(batch['audio'])[i]
        f0_hz, f0_conf = spectral_ops.compute_f0(audio, self._frame_rate,
                                                 viterbi=True)
      if is_outlier(f0_conf):
        logging.info('sample %d has an unreliable ground truth f0', i)
        continue
      f0_dist = f0_dist_conf_thresh(f0_hz, f0_hz_gen, f0_conf)
      if f0_dist is None or f0_dist > OUTLIER_MIDI_THRESH:
        self.metrics['outlier_ratio'].update_state(True, True)
        logging.info('sample %d has an outlier f0 distance %s', i, f0_dist)
      else:
        self.metrics['f0_dist'].update_state(f0_dist)
        self.metrics['outlier_ratio'].update_state(True, False)
        logging.info('sample %d | f0_dist(midi): %.3f', i, f0_dist)

  def flush(self, step):
    super().flush(step)
    reset = getattr(spectral_ops, 'reset_crepe', None)
    if reset is not None:
      reset()


class F0Metrics(BaseMetrics):
  """Pitch distance and raw pitch / chroma accuracy of predicted f0.

  Known quirk of the original (kept): the Mean objects are named swapped,
  the 'raw_pitch_accuracy' entry holds a Mean named 'raw_chroma_accuracy'
  and vice versa. Summaries use the dict keys.
  """

  def __init__(self, sample_rate, frame_rate, rpa_tolerance=50, name='f0'):
    super().__init__(sample_rate, frame_rate, name=name)
    self._rpa_tolerance = rpa_tolerance
    self._metrics = {
        'f0_dist': tfk.metrics.Mean('f0_dist'),
        'raw_pitch_accuracy': tfk.metrics.Mean('raw_chroma_accuracy'),
        'raw_chroma_accuracy': tfk.metrics.Mean('raw_pitch_accuracy'),
    }

  @property
  def metrics(self):
    return self._metrics

  def update_state(self, batch, f0_hz_predict):
    """Adds a batch of predicted f0 [batch, n_frames(, 1)] in Hz."""
    mir_eval = _import_mir_eval()
    f0_hz_predict = core.tf_float32(f0_hz_predict)
    if len(f0_hz_predict.shape) == 2:
      f0_hz_predict = f0_hz_predict[..., None]
    batch_size = int(f0_hz_predict.shape[0])
    n_frames = int(f0_hz_predict.shape[1])

    f0_hz_gt = core.tf_float32(batch['f0_hz'])
    f0_conf_gt = core.tf_float32(batch['f0_confidence'])
    if len(f0_hz_gt.shape) == 2:
      f0_hz_gt = f0_hz_gt[..., None]
    if len(f0_conf_gt.shape) == 2:
      f0_conf_gt = f0_conf_gt[..., None]
    if int(f0_hz_gt.shape[1]) != n_frames:
      f0_hz_gt = core.resample(f0_hz_gt, n_frames)
      f0_conf_gt = core.resample(f0_conf_gt, n_frames)

    f0_hz_predict = _to_numpy(f0_hz_predict)
    f0_hz_gt = _to_numpy(f0_hz_gt)
    f0_conf_gt = _to_numpy(f0_conf_gt)

    for i in range(batch_size):
      f0_hz = squeeze(f0_hz_gt[i])
      f0_conf = squeeze(f0_conf_gt[i])
      f0_pred = squeeze(f0_hz_predict[i])
      if is_outlier(f0_conf):
        logging.info('sample %d has an unreliable ground truth f0', i)
        continue
      f0_dist = f0_dist_conf_thresh(f0_hz, f0_pred, f0_conf)
      if f0_dist is not None:
        self.metrics['f0_dist'].update_state(f0_dist)

      # Voicing of the ground truth (1 where f0 > 0), for both reference and
      # estimate. The original passed the first output of freq_to_voicing
      # (frequencies), which older mir_eval read as "nonzero = voiced" and
      # current mir_eval refuses; the 0/1 voicing gives the same numbers.
      _, voicing = mir_eval.melody.freq_to_voicing(f0_hz)
      f0_cents = mir_eval.melody.hz2cents(f0_hz)
      f0_pred_cents = mir_eval.melody.hz2cents(f0_pred)
      rpa = mir_eval.melody.raw_pitch_accuracy(
          voicing, f0_cents, voicing, f0_pred_cents,
          cent_tolerance=self._rpa_tolerance)
      rca = mir_eval.melody.raw_chroma_accuracy(
          voicing, f0_cents, voicing, f0_pred_cents,
          cent_tolerance=self._rpa_tolerance)
      self.metrics['raw_pitch_accuracy'].update_state(rpa)
      self.metrics['raw_chroma_accuracy'].update_state(rca)


# ---------------------------------------------------------------------------
# Note / frame transcription metrics.
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class EvalCounts(object):
  """True positives, false positives and false negatives."""
  tp: int = 0
  fp: int = 0
  fn: int = 0

  def add(self, other):
    self.tp += other.tp
    self.fp += other.fp
    self.fn += other.fn

  @property
  def precision(self):
    return self.tp / max(self.tp + self.fp, 1)

  @property
  def recall(self):
    return self.tp / max(self.tp + self.fn, 1)

  @property
  def f1(self):
    p, r = self.precision, self.recall
    return 2 * p * r / max(p + r, 1)


def sequence2intervals(sequence):
  """NoteSequence -> (intervals [n, 2] seconds, pitches Hz, velocities)."""
  notes = list(sequence.notes)
  intervals = np.array([[n.start_time, n.end_time] for n in notes],
                       dtype=np.float64).reshape(-1, 2)
  pitches = np.array([librosa.midi_to_hz(n.pitch) for n in notes],
                     dtype=np.float64)
  velocities = np.array([n.velocity for n in notes], dtype=np.float64)
  return intervals, pitches, velocities


def compute_note_metrics(gt_sequence, pred_sequence):
  """Onset-only and full-note (onset + offset) matching counts.

  Returns:
    (onset EvalCounts, full-note EvalCounts).
  """
  mir_eval = _import_mir_eval()
  gt_intervals, gt_pitches, _ = sequence2intervals(gt_sequence)
  pred_intervals, pred_pitches, _ = sequence2intervals(pred_sequence)

  onset_matches = mir_eval.transcription.match_notes(
      gt_intervals, gt_pitches, pred_intervals, pred_pitches,
      offset_ratio=None)
  full_matches = mir_eval.transcription.match_notes(
      gt_intervals, gt_pitches, pred_intervals, pred_pitches)

  n_gt, n_pred = len(gt_pitches), len(pred_pitches)

  def counts(matches):
    tp = len(matches)
    return EvalCounts(tp=tp, fp=n_pred - tp, fn=n_gt - tp)

  return counts(onset_matches), counts(full_matches)


def compute_frame_metrics(gt_pianoroll, pred_pianoroll):
  """Frame activity counts: a frame is active if any pitch is > 0.

  Args:
    gt_pianoroll: [n_frames, n_pitches].
    pred_pianoroll: [n_frames, n_pitches].

  Returns:
    EvalCounts over frames.
  """
  gt_active = np.max(np.asarray(gt_pianoroll), axis=-1) > 0
  pred_active = np.max(np.asarray(pred_pianoroll), axis=-1) > 0
  n = min(len(gt_active), len(pred_active))
  gt_active, pred_active = gt_active[:n], pred_active[:n]
  return EvalCounts(tp=int(np.sum(gt_active & pred_active)),
                    fp=int(np.sum(~gt_active & pred_active)),
                    fn=int(np.sum(gt_active & ~pred_active)))


class MidiMetrics(object):
  """Onset, full-note and frame F1 / precision / recall of transcriptions."""

  def __init__(self, frames_per_second, tag, align_midi_with_f0=True):
    self.frames_per_second = frames_per_second
    self.tag = tag
    self.align_midi_with_f0 = align_midi_with_f0
    self.note_counts = EvalCounts()
    self.note_offset_counts = EvalCounts()
    self.full_note_counts = EvalCounts()
    self.frame_counts = EvalCounts()

  def _pianoroll_to_sequence(self, pianoroll):
    """[n_frames, 128] velocities -> NoteSequence."""
    note_seq = _import_note_seq()
    pianoroll = np.asarray(pianoroll)
    active = pianoroll > 0
    onsets = np.logical_and(active, np.pad(~active, ((1, 0), (0, 0)),
                                           constant_values=True)[:-1])
    return note_seq.sequences_lib.pianoroll_to_note_sequence(
        active, frames_per_second=self.frames_per_second,
        min_duration_ms=0, velocity_values=pianoroll,
        onset_predictions=onsets)

  def _sequence_to_pianoroll(self, sequence, n_frames):
    """NoteSequence -> [n_frames, 128] activity."""
    note_seq = _import_note_seq()
    roll = note_seq.sequences_lib.sequence_to_pianoroll(
        sequence, frames_per_second=self.frames_per_second, min_pitch=0,
        max_pitch=127, min_frame_occupancy_for_label=0.0,
        onset_mode='length_ms')
    active = np.asarray(roll.active, dtype=np.float32)
    if active.shape[0] < n_frames:
      active = np.pad(active, ((0, n_frames - active.shape[0]), (0, 0)))
    return active[:n_frames]

  def _align_with_f0(self, pianoroll, f0_hz):
    """Moves ground-truth notes onto the rounded f0 MIDI curve's pitch."""
    pianoroll = np.array(pianoroll, copy=True)
    f0_midi = np.round(squeeze(_to_numpy(core.hz_to_midi(f0_hz))))
    active = np.max(pianoroll, axis=-1) > 0
    velocity = np.max(pianoroll, axis=-1)
    aligned = np.zeros_like(pianoroll)
    for t in np.nonzero(active)[0]:
      pitch = int(np.clip(f0_midi[min(t, len(f0_midi) - 1)], 0,
                          pianoroll.shape[-1] - 1))
      aligned[t, pitch] = velocity[t]
    return aligned

  def update_state(self, controls_batch, pred_seq_batch,
                   gt_key='note_active_velocities', ch=None):
    """Adds a batch of predicted NoteSequences against ground-truth rolls.

    Args:
      controls_batch: Dict with `gt_key` [batch, n_frames, 128(, ch)] and
        'f0_hz'.
      pred_seq_batch: List of predicted NoteSequences (or piano rolls).
      gt_key: Key of the ground-truth piano roll.
      ch: Channel of 4-D piano rolls.
    """
    gt_rolls = _to_numpy(controls_batch[gt_key])
    if ch is not None:
      gt_rolls = gt_rolls[..., ch]
    for i in range(gt_rolls.shape[0]):
      gt_roll = gt_rolls[i]
      if self.align_midi_with_f0 and 'f0_hz' in controls_batch:
        gt_roll = self._align_with_f0(gt_roll, _to_numpy(
            controls_batch['f0_hz'])[i])
      gt_seq = self._pianoroll_to_sequence(gt_roll)
      pred = pred_seq_batch[i]
      if isinstance(pred, np.ndarray) or tf.is_tensor(pred):
        pred_roll = _to_numpy(pred)
        pred_seq = self._pianoroll_to_sequence(pred_roll)
      else:
        pred_seq = pred
        pred_roll = self._sequence_to_pianoroll(pred_seq, gt_roll.shape[0])
      onset, full = compute_note_metrics(gt_seq, pred_seq)
      self.note_counts.add(onset)
      self.full_note_counts.add(full)
      self.frame_counts.add(compute_frame_metrics(gt_roll, pred_roll))

  def flush(self, step):
    """Writes metrics/midi/<tag>/{onset,full_note,frame}/{f1,...}."""
    for name, counts in (('onset', self.note_counts),
                         ('full_note', self.full_note_counts),
                         ('frame', self.frame_counts)):
      for metric in ('f1', 'precision', 'recall'):
        summaries.write_scalar(f'metrics/midi/{self.tag}/{name}/{metric}',
                               getattr(counts, metric), step)
    # Original quirk: note_offset_counts is never reset.
    self.full_note_counts = EvalCounts()
    self.note_counts = EvalCounts()
    self.frame_counts = EvalCounts()
