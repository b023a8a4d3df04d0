"""Voice allocation, a part's voices as curves, and the mixing rules.

Plain data, no model: the notes each voice plays (`voices.allocate` and its
stealing rule), the curves of a polyphonic part (`polyphony.perform`), the
pan law, the headroom rule and the alignment of blocks (`mixing`).
"""
from ddsp import errors
from ddsp.training.playback import midi_performance as mp
from ddsp.training.playback import mixing
from ddsp.training.playback import polyphony
from ddsp.training.playback import voices
import numpy as np
import pytest

N = mp.Note


def _pitches(allocation):
  return [[n.pitch for n in line] for line in allocation.voices]


@pytest.mark.parametrize('notes, max_voices, expected', [
    # A chord: one voice per note.
    ([N(60, 0, 1), N(64, 0, 1), N(67, 0, 1)], 8, [[60], [64], [67]]),
    # A line of touching notes stays on one voice (legato).
    ([N(60, 0, 1), N(62, 1, 2), N(64, 2, 3)], 8, [[60, 62, 64]]),
    # A chord then a chord: each voice moves to the nearest note.
    ([N(60, 0, 1), N(64, 0, 1), N(67, 0, 1), N(62, 1, 2), N(65, 1, 2),
      N(69, 1, 2)], 8, [[60, 62], [64, 65], [67, 69]]),
    # A note after the release has died away reuses the voice.
    ([N(60, 0, 1), N(62, 2, 3)], 8, [[60, 62]]),
    # A note during the release of another gets a new voice below the limit.
    ([N(60, 0, 1), N(62, 1.05, 2)], 8, [[60], [62]]),
    # ... and the releasing voice at the limit (its release cut short).
    ([N(60, 0, 1), N(62, 1.05, 2)], 1, [[60, 62]]),
])
def test_allocation(notes, max_voices, expected):
  allocation = voices.allocate(notes, max_voices, release=0.15)
  assert _pitches(allocation) == expected
  assert not allocation.stolen


def test_stealing_cuts_the_oldest_note_at_the_new_note_on():
  notes = [N(60, 0, 2), N(64, 0.5, 2), N(67, 1, 2)]
  allocation = voices.allocate(notes, max_voices=2)
  assert allocation.stolen == [N(60, 0, 2)]
  assert allocation.voices[0] == [N(60, 0, 1), N(67, 1, 2)]
  assert allocation.voices[1] == [N(64, 0.5, 2)]


def test_voices_never_exceed_the_limit_nor_overlap():
  rng = np.random.default_rng(0)
  starts = rng.uniform(0, 10, 200)
  notes = [N(float(rng.integers(40, 90)), s, s + rng.uniform(0.05, 2))
           for s in starts]
  allocation = voices.allocate(notes, max_voices=4, release=0.1)
  assert allocation.n_voices == 4
  for line in allocation.voices:
    assert all(a.end <= b.start for a, b in zip(line, line[1:]))
  assert sum(map(len, allocation.voices)) == len(notes)


@pytest.mark.parametrize('max_voices', [0, -1])
def test_a_voice_limit_below_one_is_refused(max_voices):
  with pytest.raises(errors.BadValueError, match='at least 1'):
    voices.allocate([N(60, 0, 1)], max_voices)


def test_one_voice_plays_the_monophonic_curves():
  part = mp.Part([N(60, 0, 1), N(64, 0.5, 1.5)])
  settings, model_range = mp.Settings(overlap='highest'), mp.ModelRange()
  mono, _ = mp.performance_curves(part, 50.0, settings, model_range)
  played = polyphony.perform(part, 50.0, settings, model_range, 1)
  np.testing.assert_array_equal(played.curves.f0_hz, mono.f0_hz[None])
  np.testing.assert_array_equal(played.curves.loudness_db,
                                mono.loudness_db[None])


def test_a_chord_is_one_row_of_curves_per_note():
  pitches = [60, 64, 67]
  part = mp.Part([N(p, 0, 1) for p in pitches])
  played = polyphony.perform(part, 50.0, mp.Settings(), mp.ModelRange(), 4)
  assert played.curves.n_voices == 3
  middle = played.curves.f0_hz[:, 25]
  np.testing.assert_allclose(middle, mp.midi_to_hz(pitches), rtol=1e-6)
  assert '3 notes on 3 voice(s) (limit 4)' in played.lines[0]


@pytest.mark.parametrize('pan', [-1.0, -0.3, 0.0, 0.5, 1.0])
def test_pan_keeps_the_power(pan):
  left, right = mixing.channel_gains(-6.0, pan)
  np.testing.assert_allclose(left**2 + right**2, 10**(-6 / 10), rtol=1e-5)


@pytest.mark.parametrize('pan, silent', [(-1.0, 1), (1.0, 0)])
def test_hard_pan_silences_the_other_channel(pan, silent):
  assert abs(mixing.channel_gains(0.0, pan)[silent]) < 1e-6


@pytest.mark.parametrize('pan', [-1.01, 2.0, float('nan')])
def test_pan_out_of_range_is_refused(pan):
  with pytest.raises(errors.BadValueError, match='out of range'):
    mixing.channel_gains(0.0, pan)


@pytest.mark.parametrize('peak, scale', [
    (0.5, 1.0), (10**(-1 / 20), 1.0), (2.0, 10**(-1 / 20) / 2.0)])
def test_headroom_rule(peak, scale):
  assert mixing.headroom_scale(peak) == pytest.approx(scale)


def test_aligned_blocks_are_the_streams_padded_to_the_longest():
  rng = np.random.default_rng(1)
  a, b = rng.standard_normal(1000), rng.standard_normal(700)
  streams = [np.split(a, [100, 450, 460]), np.split(b, [333, 334])]
  chunks = list(mixing.aligned(streams))
  assert all(len({c.size for c in block}) == 1 for block in chunks)
  joined = [np.concatenate([c[i] for c in chunks]) for i in range(2)]
  np.testing.assert_allclose(joined[0], a, rtol=1e-6)
  np.testing.assert_allclose(joined[1], np.pad(b, (0, 300)), rtol=1e-6)
