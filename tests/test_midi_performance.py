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

"""Notes become the f0 and loudness curves a model plays.

Specifications of `ddsp.training.playback.midi_performance`: pitch, pitch bend,
monophonic overlap rules and their count, ADSR, glide, vibrato, CC11,
velocity, and the model's pitch / loudness range.
"""
import dataclasses

from ddsp.training.playback import midi_performance as mp
import numpy as np
import pytest

RATE = 250.0  # Frames per second of the curves in these tests.
NO_RANGE = mp.ModelRange(note_db_lo=-50.0, note_db_hi=-20.0, floor_db=-80.0)
SHARP = mp.Envelope(attack=0.0, decay=0.0, sustain=1.0, release=0.0)


def _curves(notes, settings=None, model_range=NO_RANGE, **part_kwargs):
  settings = settings or mp.Settings(envelope=SHARP)
  return mp.performance_curves(mp.Part(notes=notes, **part_kwargs), RATE,
                               settings, model_range)


def _at(curve, seconds):
  return curve[int(round(seconds * RATE))]


def _cents(f0_hz, pitch):
  return 1200.0 * np.log2(f0_hz / mp.midi_to_hz(pitch))


# ------------------------------------------------------------------------------
# Pitch.
# ------------------------------------------------------------------------------
@pytest.mark.parametrize('pitch', [45.0, 69.0, 72.5, 96.0])
def test_held_note_plays_its_pitch(pitch):
  curves, _ = _curves([mp.Note(pitch, 0.1, 0.9)])
  held = curves.f0_hz[int(0.1 * RATE):int(0.9 * RATE)]
  np.testing.assert_allclose(_cents(held, pitch), 0.0, atol=0.01)


@pytest.mark.parametrize('semitones', [2.0, -2.0, 0.5, 12.0])
def test_pitch_bend_adds_its_semitones_from_its_time(semitones):
  curves, _ = _curves([mp.Note(60, 0.0, 2.0)], bends=[(1.0, semitones)])
  np.testing.assert_allclose(_cents(_at(curves.f0_hz, 0.5), 60), 0.0,
                             atol=0.01)
  np.testing.assert_allclose(_cents(_at(curves.f0_hz, 1.5), 60),
                             100.0 * semitones, atol=0.01)


@pytest.mark.parametrize('transpose', [-12.0, 3.0])
def test_transpose_moves_every_note(transpose):
  curves, _ = _curves([mp.Note(60, 0.0, 0.5), mp.Note(67, 0.6, 1.0)],
                      mp.Settings(envelope=SHARP, transpose=transpose))
  assert _cents(_at(curves.f0_hz, 0.2), 60) == pytest.approx(
      100 * transpose, abs=0.01)
  assert _cents(_at(curves.f0_hz, 0.8), 67) == pytest.approx(
      100 * transpose, abs=0.01)


def test_pitch_holds_through_the_release_and_steps_at_the_next_note_on():
  curves, _ = _curves([mp.Note(60, 0.0, 0.5), mp.Note(64, 1.0, 1.5)])
  assert _cents(_at(curves.f0_hz, 0.8), 60) == pytest.approx(0, abs=0.01)
  assert _cents(_at(curves.f0_hz, 1.0), 64) == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize('glide', [0.08, 0.2])
def test_glide_moves_linearly_in_semitones_into_a_legato_note(glide):
  settings = mp.Settings(envelope=SHARP, glide=glide)
  curves, _ = _curves([mp.Note(60, 0.0, 1.0), mp.Note(64, 1.0, 2.0)],
                      settings)
  assert _cents(_at(curves.f0_hz, 1.0 + glide / 2), 62) == pytest.approx(
      0, abs=1.0)
  assert _cents(_at(curves.f0_hz, 1.0 + glide), 64) == pytest.approx(
      0, abs=0.01)


def test_no_glide_after_a_rest():
  settings = mp.Settings(envelope=SHARP, glide=0.2)
  curves, _ = _curves([mp.Note(60, 0.0, 0.5), mp.Note(64, 1.0, 2.0)],
                      settings)
  assert _cents(_at(curves.f0_hz, 1.0), 64) == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize('cents,hz,delay', [(30.0, 5.0, 0.2),
                                            (10.0, 6.0, 0.0)])
def test_vibrato_depth_rate_and_delay(cents, hz, delay):
  vibrato = mp.Vibrato(cents=cents, hz=hz, delay=delay)
  curves, _ = _curves([mp.Note(69, 0.0, 2.0)],
                      mp.Settings(envelope=SHARP, vibrato=vibrato))
  dev = _cents(curves.f0_hz[:int(2.0 * RATE)], 69)
  before = dev[:int(delay * RATE)]
  np.testing.assert_allclose(before, 0.0, atol=0.01)
  assert np.max(np.abs(dev)) == pytest.approx(cents, rel=0.02)
  quarter = delay + 0.25 / hz  # First crest of the sine.
  assert _at(dev, quarter) == pytest.approx(cents, rel=0.05)


# ------------------------------------------------------------------------------
# Monophonic.
# ------------------------------------------------------------------------------
OVERLAPS = {
    'crossing': [mp.Note(60, 0.0, 1.0), mp.Note(64, 0.5, 1.5)],
    'inside': [mp.Note(60, 0.0, 2.0), mp.Note(67, 0.5, 1.0)],
    'chord': [mp.Note(60, 0.0, 1.0), mp.Note(64, 0.0, 1.0),
              mp.Note(67, 0.0, 1.0)],
    'touching': [mp.Note(60, 0.0, 1.0), mp.Note(62, 1.0, 2.0)],
}
# (pitch, start, end) sounding, per case and rule.
EXPECTED = {
    ('crossing', 'last'): [(60, 0.0, 0.5), (64, 0.5, 1.5)],
    ('crossing', 'highest'): [(60, 0.0, 0.5), (64, 0.5, 1.5)],
    ('crossing', 'lowest'): [(60, 0.0, 1.0), (64, 1.0, 1.5)],
    ('inside', 'last'): [(60, 0.0, 0.5), (67, 0.5, 1.0), (60, 1.0, 2.0)],
    ('inside', 'highest'): [(60, 0.0, 0.5), (67, 0.5, 1.0), (60, 1.0, 2.0)],
    ('inside', 'lowest'): [(60, 0.0, 2.0)],
    ('chord', 'last'): [(67, 0.0, 1.0)],
    ('chord', 'highest'): [(67, 0.0, 1.0)],
    ('chord', 'lowest'): [(60, 0.0, 1.0)],
    ('touching', 'last'): [(60, 0.0, 1.0), (62, 1.0, 2.0)],
    ('touching', 'highest'): [(60, 0.0, 1.0), (62, 1.0, 2.0)],
    ('touching', 'lowest'): [(60, 0.0, 1.0), (62, 1.0, 2.0)],
}
COUNTS = {'crossing': 1, 'inside': 1, 'chord': 2, 'touching': 0}


@pytest.mark.parametrize('case,rule', sorted(EXPECTED))
def test_overlap_rule_picks_the_sounding_note(case, rule):
  notes, _ = mp.monophonic(OVERLAPS[case], rule)
  assert [(n.pitch, n.start, n.end) for n in notes] == EXPECTED[case, rule]


@pytest.mark.parametrize('rule', mp.OVERLAP_RULES)
@pytest.mark.parametrize('case', sorted(COUNTS))
def test_overlaps_are_counted(case, rule):
  _, overlaps = mp.monophonic(OVERLAPS[case], rule)
  assert overlaps == COUNTS[case]


def test_overlap_count_reaches_the_report():
  _, report = _curves(OVERLAPS['chord'])
  assert report.overlaps == 2
  assert report.n_notes == 1
  assert '2 overlapping note(s) resolved' in report.lines(
      'song', NO_RANGE, 'octave')[0]


def test_unknown_overlap_rule_is_an_error():
  with pytest.raises(ValueError, match='overlap rule'):
    _curves(OVERLAPS['chord'], mp.Settings(overlap='loudest'))


# ------------------------------------------------------------------------------
# Loudness.
# ------------------------------------------------------------------------------
ENVELOPES = [mp.Envelope(0.05, 0.1, 0.5, 0.2), mp.Envelope(0.02, 0.2, 0.8,
                                                            0.1)]


@pytest.mark.parametrize('env', ENVELOPES, ids=['slow', 'fast'])
def test_adsr_levels_at_its_corners(env):
  held = 1.0
  corners = {0.0: 0.0, env.attack / 2: 0.5, env.attack: 1.0,
             env.attack + env.decay / 2: (1 + env.sustain) / 2,
             env.attack + env.decay: env.sustain, 0.9: env.sustain,
             held + env.release / 2: env.sustain / 2,
             held + env.release: 0.0, held + 2 * env.release: 0.0}
  levels = mp.adsr(np.array(list(corners)), held, env)
  np.testing.assert_allclose(levels, list(corners.values()), atol=1e-9)


def test_adsr_releases_from_the_level_reached_when_the_note_is_short():
  env = mp.Envelope(attack=0.2, decay=0.1, sustain=0.5, release=0.1)
  level = mp.adsr(np.array([0.1, 0.15]), 0.1, env)
  np.testing.assert_allclose(level, [0.5, 0.25])


def test_retriggered_note_attacks_from_the_release_level():
  env = mp.Envelope(attack=0.1, decay=0.0, sustain=1.0, release=0.4)
  curves, _ = _curves([mp.Note(60, 0.0, 0.5, 127),
                       mp.Note(62, 0.6, 1.0, 127)],
                      mp.Settings(envelope=env))
  # Release level at 0.6 s: 1 - 0.1 / 0.4 = 0.75 -> -2.5 dB; no drop to 0.
  assert _at(curves.loudness_db, 0.6) == pytest.approx(
      -20.0 + 20 * np.log10(0.75), abs=0.05)


def test_legato_notes_share_one_envelope():
  env = mp.Envelope(attack=0.1, decay=0.1, sustain=0.5, release=0.1)
  curves, _ = _curves([mp.Note(60, 0.0, 1.0, 127),
                       mp.Note(62, 1.0, 2.0, 127)],
                      mp.Settings(envelope=env))
  sustain_db = -20.0 + 20 * np.log10(0.5)
  assert _at(curves.loudness_db, 1.04) == pytest.approx(sustain_db, abs=0.01)


@pytest.mark.parametrize('velocity,sensitivity,expected', [
    (127, 0.5, -20.0), (127, 1.0, -20.0), (0, 1.0, -50.0), (0, 0.5, -35.0),
    (0, 0.0, -20.0), (64, 1.0, -20.0 - 30.0 * 63 / 127)])
def test_velocity_maps_into_the_note_loudness_range(velocity, sensitivity,
                                                    expected):
  settings = mp.Settings(envelope=SHARP, velocity_sensitivity=sensitivity)
  curves, _ = _curves([mp.Note(60, 0.0, 1.0, velocity)], settings)
  assert _at(curves.loudness_db, 0.5) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize('cc11', [127, 64, 16])
def test_expression_lowers_loudness_by_40_log10(cc11):
  curves, _ = _curves([mp.Note(60, 0.0, 2.0, 127)],
                      expression=[(1.0, cc11 / 127.0)])
  drop = _at(curves.loudness_db, 1.5) - _at(curves.loudness_db, 0.5)
  assert drop == pytest.approx(40 * np.log10(cc11 / 127.0), abs=1e-3)


def test_silence_is_the_floor_and_the_curves_end_after_the_release():
  env = mp.Envelope(attack=0.0, decay=0.0, sustain=1.0, release=0.3)
  curves, _ = _curves([mp.Note(60, 0.5, 1.0)], mp.Settings(envelope=env))
  assert _at(curves.loudness_db, 0.2) == NO_RANGE.floor_db
  assert curves.loudness_db[-1] == NO_RANGE.floor_db
  assert curves.seconds == pytest.approx(1.0 + 0.3 + mp.TAIL_SECONDS,
                                         abs=1.0 / RATE)
  assert curves.f0_hz.dtype == curves.loudness_db.dtype == np.float32


# ------------------------------------------------------------------------------
# The model's range.
# ------------------------------------------------------------------------------
def _stats(pitch_lo, pitch_hi):
  keys = {'mean_min_pitch_note': pitch_lo, 'mean_max_pitch_note': pitch_hi,
          'mean_min_loudness_note': -45.0, 'mean_max_loudness_note': -25.0,
          'min_loudness': -70.0, 'mean_min_power_note': -60.0,
          'mean_max_power_note': -30.0, 'min_power': -90.0}
  return {k: np.float32(v) for k, v in keys.items()}


@pytest.mark.parametrize('db_key,expected', [
    ('loudness_db', (-45.0, -25.0, -70.0)),
    ('power_db', (-60.0, -30.0, -90.0))])
def test_model_range_reads_the_dataset_statistics(db_key, expected):
  r = mp.ModelRange.from_statistics(_stats(60.0, 80.0), db_key)
  assert (r.pitch_lo, r.pitch_hi) == (60.0, 80.0)
  assert (r.note_db_lo, r.note_db_hi, r.floor_db) == expected


def test_model_range_without_statistics_checks_no_pitch():
  r = mp.ModelRange.from_statistics(None)
  assert r.pitch_lo is None
  notes = [mp.Note(20, 0.0, 1.0)]
  assert mp.fit_to_range(notes, r, 'octave', mp.Report()) == notes


# (note pitches, range) -> pitches played, octaves of the whole part.
OCTAVE_CASES = [
    ([48, 50, 52], (60, 72), [60, 62, 64], 1),
    ([84, 86], (60, 80), [72, 74], -1),
    ([55, 60, 64, 72], (60, 70), [67, 60, 64, 60], 0),
    ([60, 62], (60, 70), [60, 62], 0),
]


@pytest.mark.parametrize('pitches,span,played,octaves', OCTAVE_CASES)
def test_octave_rule_moves_notes_into_the_range(pitches, span, played,
                                                octaves):
  notes = [mp.Note(p, i, i + 0.5) for i, p in enumerate(pitches)]
  report = mp.Report()
  out = mp.fit_to_range(notes, mp.ModelRange(*span), 'octave', report)
  assert [n.pitch for n in out] == played
  assert report.part_octaves == octaves
  moved_alone = [p for p, q in zip(pitches, played) if q != p + 12 * octaves]
  assert [m[0] for m in report.moved] == moved_alone


def test_octave_rule_gets_as_close_as_it_can_to_a_narrow_range():
  report = mp.Report()
  out = mp.fit_to_range([mp.Note(60, 0, 1), mp.Note(66, 1, 2)],
                        mp.ModelRange(62, 64), 'octave', report)
  assert [n.pitch for n in out] == [60, 66]
  assert [n.pitch for n in report.outside] == [60, 66]


def test_report_rule_keeps_the_notes_and_lists_those_outside():
  notes = [mp.Note(50, 0.0, 1.0), mp.Note(65, 1.0, 2.0),
           mp.Note(90, 2.0, 3.0)]
  report = mp.Report()
  model_range = mp.ModelRange(60, 70)
  out = mp.fit_to_range(notes, model_range, 'report', report)
  assert out == notes
  assert [n.pitch for n in report.outside] == [50, 90]
  text = '\n'.join(report.lines('song', model_range, 'report'))
  assert '2 note(s) outside the model range C4..A#4 (MIDI 60.0..70.0)' in text
  assert 'D3 at 0.00 s' in text and 'F#6 at 2.00 s' in text


def test_curves_follow_the_octave_moved_notes():
  settings = mp.Settings(envelope=SHARP, out_of_range='octave')
  curves, report = _curves([mp.Note(48, 0.0, 1.0)], settings,
                           dataclasses.replace(NO_RANGE, pitch_lo=55.0,
                                               pitch_hi=70.0))
  assert report.part_octaves == 1
  assert _cents(_at(curves.f0_hz, 0.5), 60) == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize('field,value,message', [
    ('sustain', 1.5, 'sustain'), ('attack', -0.1, 'attack'),
    ('velocity_sensitivity', 2.0, 'velocity'),
    ('out_of_range', 'drop', 'out-of-range'), ('glide', -1.0, 'glide')])
def test_settings_out_of_range_are_named(field, value, message):
  settings = mp.Settings()
  if field in ('sustain', 'attack'):
    settings.envelope = dataclasses.replace(settings.envelope,
                                            **{field: value})
  else:
    settings = dataclasses.replace(settings, **{field: value})
  with pytest.raises(ValueError, match=message):
    settings.check()


def test_part_without_notes_is_an_error():
  with pytest.raises(ValueError, match='has no notes'):
    _curves([])


@pytest.mark.parametrize('pitch,name', [(60, 'C4'), (69, 'A4'), (61, 'C#4'),
                                        (21, 'A0')])
def test_note_names(pitch, name):
  assert mp.note_name(pitch) == name


def test_report_says_when_every_note_is_in_range():
  report = mp.Report(n_notes=2)
  model_range = mp.ModelRange(60, 72)
  mp.fit_to_range([mp.Note(62, 0, 1), mp.Note(70, 1, 2)], model_range,
                  'octave', report)
  assert report.lines('song', model_range, 'octave')[1] == (
      'All notes in the model range C4..C5 (MIDI 60.0..72.0).')
