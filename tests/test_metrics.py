"""ddsp.training.metrics: distances, streaming metrics, transcription counts."""
import importlib.util
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from ddsp.training import metrics
import training_toys

HAS_MIR_EVAL = importlib.util.find_spec('mir_eval') is not None


def test_constants():
  assert metrics.MIN_F0_CONFIDENCE == 0.85
  assert metrics.OUTLIER_MIDI_THRESH == 12


@pytest.mark.parametrize('shape, squeezed', [
    ((5,), (5,)), ((1, 5), (5,)), ((5, 1), (5,)), ((1, 5, 1), (5,))])
def test_squeeze_drops_unit_axes_of_nd_arrays(shape, squeezed):
  assert metrics.squeeze(np.zeros(shape)).shape == squeezed


def test_l1_distance_uses_the_shorter_length():
  d = metrics.l1_distance(np.array([1.0, 2.0, 3.0]), np.array([[2.0], [0.0]]))
  np.testing.assert_allclose(d, [1.0, 2.0])


@pytest.mark.parametrize('conf, outlier', [
    ([0.1, 0.5, 0.84], True), ([0.1, 0.86], False), ([[0.9], [0.2]], False)])
def test_is_outlier(conf, outlier):
  assert metrics.is_outlier(np.array(conf)) == outlier


def test_f0_dist_conf_thresh_is_none_without_confident_frames():
  f0 = np.full(10, 440.0)
  assert metrics.f0_dist_conf_thresh(f0, f0, np.full(10, 0.5)) is None


def test_f0_dist_conf_thresh_averages_confident_frames_in_semitones():
  f0 = np.full(4, 440.0)
  f0_gen = np.array([440.0 * 2**(1 / 12), 440.0, 880.0, 440.0])
  conf = np.array([0.9, 0.9, 0.1, 0.9])
  dist = metrics.f0_dist_conf_thresh(f0, f0_gen, conf)
  assert dist == pytest.approx(1.0 / 3.0, abs=1e-4)


def test_f0_dist_conf_thresh_counts_silence_as_midi_zero():
  f0 = np.array([0.0, 440.0])
  f0_gen = np.array([0.0, 0.0])
  dist = metrics.f0_dist_conf_thresh(f0, f0_gen, np.array([0.9, 0.9]))
  assert dist == pytest.approx(69.0 / 2.0, abs=1e-3)


def test_f0_dist_conf_thresh_squeezes_3d_inputs():
  f0 = np.full((1, 6, 1), 220.0)
  assert metrics.f0_dist_conf_thresh(f0, f0, np.full((1, 6, 1), 1.0)) == 0.0


@pytest.mark.parametrize('tp, fp, fn, precision, recall, f1', [
    (0, 0, 0, 0.0, 0.0, 0.0),
    (3, 1, 0, 0.75, 1.0, 1.5 / 1.75),  # 2PR / (P + R) when P + R > 1.
    (1, 3, 3, 0.25, 0.25, 0.125),  # 2PR / max(P + R, 1) = 2PR when < 1.
])
def test_eval_counts(tp, fp, fn, precision, recall, f1):
  counts = metrics.EvalCounts(tp, fp, fn)
  assert counts.precision == pytest.approx(precision)
  assert counts.recall == pytest.approx(recall)
  assert counts.f1 == pytest.approx(f1)


def test_eval_counts_add():
  c = metrics.EvalCounts(1, 2, 3)
  c.add(metrics.EvalCounts(1, 1, 1))
  assert (c.tp, c.fp, c.fn) == (2, 3, 4)


def test_compute_frame_metrics():
  gt = np.zeros((6, 128))
  pred = np.zeros((6, 128))
  gt[0:3, 60] = 1
  pred[1:5, 62] = 1
  counts = metrics.compute_frame_metrics(gt, pred)
  assert (counts.tp, counts.fp, counts.fn) == (2, 2, 1)


def _loudness_batch(audio):
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  return {'audio': audio,
          'loudness_db': spectral_ops.compute_loudness(audio, 16000, 250)}


def test_loudness_metrics_zero_for_identical_audio_and_written_on_flush(
    tmp_path):
  rng = np.random.RandomState(0)
  audio = (0.1 * rng.randn(2, 4000)).astype(np.float32)
  m = metrics.LoudnessMetrics(16000, 250)
  m.update_state(_loudness_batch(audio), audio)
  assert float(m.metrics['loudness_db'].result()) == pytest.approx(0.0,
                                                                   abs=1e-4)
  m.update_state(_loudness_batch(audio), 0.5 * audio)
  assert float(m.metrics['loudness_db'].result()) > 1.0
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default():
    m.flush(7)
  writer.flush()
  tags = training_toys.read_event_tags(str(tmp_path))
  assert tags['metrics/loudness/loudness_db'] == [7]
  assert float(m.metrics['loudness_db'].result()) == 0.0  # Reset.


def test_f0_metrics_names_are_swapped_like_the_original():
  """Kept from the original: keys and Mean names of the accuracies swapped."""
  m = metrics.F0Metrics(16000, 250)
  assert sorted(m.metrics) == ['f0_dist', 'raw_chroma_accuracy',
                               'raw_pitch_accuracy']
  assert m.metrics['raw_pitch_accuracy'].name == 'raw_chroma_accuracy'
  assert m.metrics['raw_chroma_accuracy'].name == 'raw_pitch_accuracy'


def test_f0_metrics_without_mir_eval_names_the_package(monkeypatch):
  monkeypatch.setitem(sys.modules, 'mir_eval', None)  # import fails
  m = metrics.F0Metrics(16000, 250)
  batch = {'f0_hz': np.full((1, 10), 440.0, np.float32),
           'f0_confidence': np.ones((1, 10), np.float32)}
  with pytest.raises(ImportError, match='mir_eval'):
    m.update_state(batch, np.full((1, 10, 1), 440.0, np.float32))


@pytest.mark.skipif(not HAS_MIR_EVAL, reason='needs mir_eval')
def test_f0_metrics_perfect_prediction():
  m = metrics.F0Metrics(16000, 250)
  batch = {'f0_hz': np.full((1, 20), 440.0, np.float32),
           'f0_confidence': np.ones((1, 20), np.float32)}
  m.update_state(batch, np.full((1, 10, 1), 440.0, np.float32))
  assert float(m.metrics['f0_dist'].result()) == pytest.approx(0.0, abs=1e-4)
  assert float(m.metrics['raw_pitch_accuracy'].result()) == 1.0


def _cents_off(f0_hz, cents):
  return f0_hz * 2.0 ** (np.asarray(cents, np.float64) / 1200.0)


# Ground truth 8 frames of 440 Hz; predictions moved by these many cents per
# frame -> expected raw pitch accuracy (within 50 cents) and raw chroma
# accuracy (within 50 cents after folding octaves).
_F0_CASES = {
    'exact': ([0] * 8, 1.0, 1.0),
    'octave_up': ([1200] * 8, 0.0, 1.0),
    'octave_down': ([-1200] * 8, 0.0, 1.0),
    'two_octaves_up_half': ([0] * 4 + [2400] * 4, 0.5, 1.0),
    'out_of_threshold': ([60] * 8, 0.0, 0.0),
    'inside_threshold': ([40] * 8, 1.0, 1.0),
    'octave_and_out_of_threshold': ([1260] * 8, 0.0, 0.0),
    'mixed': ([0, 0, 1200, 1200, 60, 60, -40, 2400], 0.375, 0.75),
}


@pytest.mark.skipif(not HAS_MIR_EVAL, reason='needs mir_eval')
@pytest.mark.parametrize('case', sorted(_F0_CASES))
def test_f0_metrics_raw_pitch_and_chroma_accuracy(case):
  cents, rpa, rca = _F0_CASES[case]
  m = metrics.F0Metrics(16000, 250)
  truth = np.full((1, 8), 440.0, np.float32)
  batch = {'f0_hz': truth, 'f0_confidence': np.ones((1, 8), np.float32)}
  m.update_state(batch, _cents_off(truth, cents).astype(np.float32))
  assert float(m.metrics['raw_pitch_accuracy'].result()) == pytest.approx(rpa)
  assert float(m.metrics['raw_chroma_accuracy'].result()) == pytest.approx(
      rca)


@pytest.mark.skipif(not HAS_MIR_EVAL, reason='needs mir_eval')
def test_f0_metrics_count_only_voiced_ground_truth_frames():
  m = metrics.F0Metrics(16000, 250)
  truth = np.array([[440.0, 440.0, 0.0, 0.0]], np.float32)
  batch = {'f0_hz': truth, 'f0_confidence': np.ones((1, 4), np.float32)}
  predicted = np.array([[440.0, 880.0, 300.0, 500.0]], np.float32)
  m.update_state(batch, predicted)
  assert float(m.metrics['raw_pitch_accuracy'].result()) == pytest.approx(0.5)
  assert float(m.metrics['raw_chroma_accuracy'].result()) == pytest.approx(1.0)


def test_midi_metrics_flush_never_resets_note_offset_counts(tmp_path):
  """Kept from the original: note_offset_counts survives flush."""
  m = metrics.MidiMetrics(frames_per_second=250, tag='learned')
  m.note_counts = metrics.EvalCounts(1, 0, 0)
  m.note_offset_counts = metrics.EvalCounts(2, 0, 0)
  m.frame_counts = metrics.EvalCounts(3, 1, 0)
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default():
    m.flush(3)
  writer.flush()
  assert m.note_offset_counts.tp == 2
  assert m.note_counts.tp == 0 and m.frame_counts.tp == 0
  tags = training_toys.read_event_tags(str(tmp_path))
  for part in ('onset', 'full_note', 'frame'):
    for name in ('f1', 'precision', 'recall'):
      assert tags[f'metrics/midi/learned/{part}/{name}'] == [3]
  assert os.listdir(tmp_path)
