"""ddsp.training.heuristics: framing helpers, binarizers, note segmentation."""
import importlib.util

import gin
import numpy as np
import pytest

from ddsp.training import heuristics

HAS_NOTE_SEQ = importlib.util.find_spec('note_seq') is not None


@pytest.mark.parametrize('win_len, ratio, shape', [
    (2, 0.5, (11, 32000)),
    (10, 0.5, (3, 160000)),
    (1, 0.5, (21, 16000)),
    (1, 0.75, (14, 16000)),
])
def test_window_array_shapes(win_len, ratio, shape):
  """10 s at 16 kHz (original test cases)."""
  audio = np.random.RandomState(0).randn(160000).astype(np.float32)
  assert heuristics.window_array(audio, 16000, win_len, ratio).shape == shape


def test_window_array_pads_the_front_with_zeros():
  x = np.arange(1, 101, dtype=np.float32)
  frames = heuristics.window_array(x, 10, 2, 0.5)  # 20 samples, hop 10.
  np.testing.assert_array_equal(frames[0, :10], 0.0)
  np.testing.assert_array_equal(frames[0, 10:], x[:10])


@pytest.mark.parametrize('mode, width, first, last', [
    ('front', 4, [1, 1, 1, 1], [4, 5, 6, 7]),
    ('center', 4, [1, 1, 1, 2], [5, 6, 7, 7]),
    ('end', 4, [1, 2, 3, 4], [7, 7, 7, 7]),
    ('front', 3, [1, 1, 1], [5, 6, 7]),
    ('center', 3, [1, 1, 2], [6, 7, 7]),
    ('end', 3, [1, 2, 3], [7, 7, 7]),
])
def test_pad_for_frame_keeps_length_and_repeats_edges(mode, width, first,
                                                       last):
  vec = np.arange(1, 8)
  padded = heuristics.pad_for_frame(vec, mode, width)
  frames = np.lib.stride_tricks.sliding_window_view(padded, width)
  assert frames.shape[0] == len(vec)
  np.testing.assert_array_equal(frames[0], first)
  np.testing.assert_array_equal(frames[-1], last)


def test_pad_for_frame_unknown_mode_raises():
  with pytest.raises(ValueError, match='middle'):
    heuristics.pad_for_frame(np.arange(5), 'middle', 3)


def test_remove_short_drops_short_runs_in_place():
  is_on = np.array([1, 1, 0, 1, 1, 1, 1, 0, 1], dtype=bool)
  result = heuristics.remove_short(is_on, min_samples=3)
  assert result is is_on
  np.testing.assert_array_equal(is_on, [0, 0, 0, 1, 1, 1, 1, 0, 0])


def test_remove_short_glue_back_joins_short_runs_to_previous_note():
  is_on = np.array([1, 1, 1, 0, 1, 0, 0], dtype=bool)
  heuristics.remove_short(is_on, min_samples=2, glue_back=True)
  np.testing.assert_array_equal(is_on, [1, 1, 1, 1, 1, 0, 0])


def test_get_active_frame_indices_counts_consecutive_frames():
  roll = np.zeros((6, 3))
  roll[0:4, 1] = 1
  roll[2:6, 2] = 1
  counts = heuristics.get_active_frame_indices(roll)
  np.testing.assert_array_equal(counts[:, 1], [0, 1, 2, 3, 0, 0])
  np.testing.assert_array_equal(counts[:, 2], [0, 0, 1, 2, 3, 4])
  np.testing.assert_array_equal(counts[0], 0)


def test_unbatch_splits_nested_dicts_and_skips_none():
  batch = {'f0_hz': np.ones((2, 5, 1)), 'skip': None,
           'harmonic': {'controls': {'amplitudes': np.zeros((2, 5, 1))}}}
  examples = heuristics._unbatch(batch)  # pylint: disable=protected-access
  assert len(examples) == 2
  assert examples[0]['f0_hz'].shape == (5, 1)
  assert examples[1]['harmonic']['controls']['amplitudes'].shape == (5, 1)
  assert 'skip' not in examples[0]


def test_unbatch_rejects_other_types():
  with pytest.raises(ValueError, match='notes'):
    heuristics._unbatch({'notes': ['a', 'b']})  # pylint: disable=protected-access


def _controls(f0_hz, amps):
  return {'f0_hz': np.asarray(f0_hz, np.float32)[:, None],
          'harmonic': {'controls': {
              'amplitudes': np.asarray(amps, np.float32)[:, None]}}}


def _wobbly_amps(n):
  """Slightly varying loud amplitudes with a silent gap at frames 95-104."""
  amps = 0.5 * (1.0 + 0.01 * np.sin(np.arange(n) * 0.3))
  amps[95:105] = 1e-6
  return amps


def _wobbly_power_db(n):
  """Power around -20 dB with a -80 dB gap at frames 95-104, `[n, 1]`."""
  power_db = -20.0 + 0.5 * np.sin(np.arange(n) * 0.3)
  power_db[95:105] = -80.0
  return power_db.astype(np.float32)[:, None]


def test_strided_freq_change_clears_jumps_and_silence():
  f0 = np.concatenate([np.full(50, 440.0), np.full(50, 660.0),
                       np.zeros(20)])
  is_on = heuristics.strided_freq_change(_controls(f0, np.ones(120)))
  assert is_on[10:45].all()  # Steady note.
  assert not is_on[50:53].any()  # Just after the jump (front padding).
  assert not is_on[100:].any()  # f0 == 0.


def test_amp_pooled_outliers_clears_short_dips():
  amps = _wobbly_amps(200)  # Loud, with a 10-frame dip at 95-104.
  is_on = heuristics.amp_pooled_outliers(_controls(np.full(200, 440.0), amps))
  assert not is_on[95:105].any()
  assert is_on[:90].all() and is_on[110:].all()


def test_power_pooled_outliers_clears_short_dips():
  controls = {'power_db': _wobbly_power_db(200)}
  is_on = heuristics.power_pooled_outliers(controls)
  assert is_on.shape == (200,)
  assert not is_on[95:105].any()
  assert is_on[:90].all() and is_on[110:].all()


@pytest.mark.parametrize('frame_width,num_devs,pad_mode', [
    (80, 2.5, 'center'), (9, 1.0, 'front'), (4, 0.5, 'end')])
def test_power_pooled_outliers_pools_power_scaled_like_the_networks(
    frame_width, num_devs, pad_mode):
  # p = power_db / 80 + 1; on where p > mean(window) - num_devs std(window).
  power_db = np.random.RandomState(0).uniform(-80, 0, 120).astype(np.float32)
  is_on = heuristics.power_pooled_outliers(
      {'power_db': power_db}, frame_width, num_devs, pad_mode)
  p = power_db / 80.0 + 1.0
  padded = heuristics.pad_for_frame(p, pad_mode, frame_width)
  windows = np.stack([padded[i:i + frame_width] for i in range(len(p))])
  expected = p > windows.mean(-1) - num_devs * windows.std(-1)
  np.testing.assert_array_equal(is_on, expected)


@pytest.mark.parametrize('binarize_f', [heuristics.midi_heuristic,
                                        heuristics.midi_heuristic_power])
def test_midi_heuristics_find_two_notes(binarize_f):
  f0 = np.concatenate([np.full(100, 440.0), np.full(100, 660.0)])
  controls = _controls(f0, _wobbly_amps(200))
  controls['power_db'] = _wobbly_power_db(200)
  is_on = binarize_f(controls)
  edges = np.diff(np.concatenate([[0], is_on.astype(int), [0]]))
  assert np.sum(edges == 1) == 2


def test_pickers_are_gin_registered_and_pick_within_the_note():
  controls = _controls(np.array([100.0, 200.0, 300.0, 1000.0]),
                       np.array([0.1, 0.2, 0.3, 0.9]))
  assert heuristics.mean_f0(controls, 0, 3) == pytest.approx(200.0)
  assert heuristics.median_f0(controls, 0, 3) == pytest.approx(200.0)
  assert heuristics.median_amps(controls, 0, 3) == pytest.approx(0.2)
  for name in ('mean_f0', 'median_f0', 'median_amps', 'midi_heuristic',
               'midi_heuristic_power', 'amp_pooled_outliers',
               'power_pooled_outliers', 'strided_freq_change'):
    assert gin.config._REGISTRY.get_match(  # pylint: disable=protected-access
        f'ddsp.training.heuristics.{name}') is not None


@pytest.mark.skipif(HAS_NOTE_SEQ, reason='note_seq installed')
def test_segment_notes_batch_without_note_seq_names_the_package():
  controls = _controls(np.full(50, 440.0), np.full(50, 0.5))
  with pytest.raises(ImportError, match='note_seq'):
    heuristics.segment_notes_batch(
        heuristics.midi_heuristic, heuristics.mean_f0,
        heuristics.median_amps,
        {'f0_hz': controls['f0_hz'][None]})


@pytest.mark.skipif(not HAS_NOTE_SEQ, reason='needs note_seq')
def test_segment_notes_batch_makes_note_sequences():
  f0 = np.concatenate([np.full(100, 440.0), np.full(100, 660.0)])
  amps = _wobbly_amps(200)
  c = _controls(f0, amps)
  batch = {'f0_hz': c['f0_hz'][None],
           'harmonic': {'controls': {
               'amplitudes': c['harmonic']['controls']['amplitudes'][None]}}}
  sequences = heuristics.segment_notes_batch(
      heuristics.midi_heuristic, heuristics.mean_f0, heuristics.median_amps,
      batch)
  assert [n.pitch for n in sequences[0].notes] == [69, 76]
  assert sequences[0].total_time == pytest.approx(200 / 250)
