"""Ensembles: chords through one model, parts through their own models.

The models have random weights (`streaming_models.write_random_model`) and
one harmonic: their harmonic synthesiser plays a sine at the f0 it is given
whatever the weights, so every note's pitch is a clear peak of the
spectrum (a random model with many harmonics can have a weak fundamental).
MIDI files are written with mido, one channel per track.

* a C major chord (three simultaneous notes) through one model: the three
  pitches are spectral peaks within 20 cents;
* two parts through two different models: CREPE (tiny) follows each stem's
  own notes, median within 50 cents;
* the mix never clips (+30 dB on a part: the headroom rule scales the mix
  and the stems by one gain, peak at -1 dBFS) and the stems sum to the mix;
* voices as one batch give the same audio as voices one by one;
* the command line writes a stereo mix and a stem per part, and lists the
  track it does not play.
"""
import os

import command_runner
from ddsp import spectral_ops
from ddsp.training.playback import blocks
from ddsp.training.playback import ensemble
from ddsp.training.playback import midi_performance as mp
from ddsp.training.playback import mixing
import mido
import numpy as np
import pytest
import soundfile as sf
import streaming_models

RATE = 16000
CHORD = (60, 64, 67)
# (pitch, start, end) of each track; track 2 is left unmapped.
MELODY = [(57, 0.0, 0.6), (60, 0.6, 1.2), (64, 1.2, 1.8)]
BASS = [(45, 0.0, 0.9), (43, 0.9, 1.8)]
OTHER = [(72, 0.0, 0.5)]


def _write_midi(path, tracks, tempo=500000, ticks_per_beat=480):
  """One track per list of (pitch, start, end), track k on channel k."""
  midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
  tick = lambda s: int(round(s * 1e6 / tempo * ticks_per_beat))
  for k, notes in enumerate(tracks):
    track = mido.MidiTrack([mido.MetaMessage('set_tempo', tempo=tempo)])
    events = []
    for pitch, start, end in notes:
      events.append((tick(start), 1, mido.Message(
          'note_on', note=pitch, velocity=100, channel=k)))
      events.append((tick(end), 0, mido.Message(
          'note_off', note=pitch, velocity=0, channel=k)))
    now = 0
    for t, _, message in sorted(events, key=lambda e: e[:2]):
      track.append(message.copy(time=t - now))
      now = t
    midi.tracks.append(track)
  midi.save(path)
  return path


@pytest.fixture(scope='module')
def world(tmp_path_factory):
  tmp = tmp_path_factory.mktemp('ensemble')
  gin_text = streaming_models.model_gin(sample_rate=RATE, frame_rate=50,
                                        n_harmonics=1, reverb_samples=800)
  return {
      'a': streaming_models.write_random_model(str(tmp / 'a'), gin_text, 1),
      'b': streaming_models.write_random_model(str(tmp / 'b'), gin_text, 2),
      'chord': _write_midi(str(tmp / 'chord.mid'),
                           [[(p, 0.0, 2.0) for p in CHORD]]),
      'duo': _write_midi(str(tmp / 'duo.mid'), [MELODY, BASS, OTHER]),
      'tmp': tmp}


@pytest.fixture(scope='module')
def duo(world):
  specs = [ensemble.PartSpec(0, world['a'], pan=-0.5),
           ensemble.PartSpec(1, world['b'], gain_db=30.0, pan=0.5)]
  return ensemble.render_ensemble(world['duo'], specs, verbose=False)


def _cents(hz, reference_hz):
  return 1200.0 * np.log2(hz / reference_hz)


def _spectral_peak(audio, hz):
  """Frequency of the highest spectral peak within a semitone of hz, and
  its height over the spectrum's median (parabolic interpolation)."""
  spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
  freqs = np.fft.rfftfreq(audio.size, 1.0 / RATE)
  near = np.flatnonzero(np.abs(_cents(np.maximum(freqs, 1.0), hz)) < 100)
  k = near[np.argmax(spectrum[near])]
  a, b, c = np.log(spectrum[k - 1:k + 2])
  offset = 0.5 * (a - c) / (a - 2 * b + c)
  return (k + offset) * RATE / audio.size, spectrum[k] / np.median(spectrum)


def test_a_chord_sounds_all_three_pitches(world):
  rendering = ensemble.render_ensemble(
      world['chord'], [ensemble.PartSpec(0, world['a'])], max_voices=3,
      verbose=False)
  middle = rendering.audio.mean(axis=1)[RATE // 2:3 * RATE // 2]
  for pitch in CHORD:
    hz = float(mp.midi_to_hz(pitch))
    peak_hz, height = _spectral_peak(middle, hz)
    assert abs(_cents(peak_hz, hz)) < 20, (pitch, peak_hz)
    assert height > 100, (pitch, height)


@pytest.mark.parametrize('track, notes', [(0, MELODY), (1, BASS)])
def test_each_stem_follows_its_own_part(duo, track, notes):
  stem = duo.stems[track].mean(axis=1)
  f0, _ = spectral_ops.compute_f0(stem, 100, viterbi=False,
                                  model_capacity='tiny')
  for pitch, start, end in notes:
    held = f0[int((start + 0.1) * 100):int(end * 100)]
    error = np.median(_cents(held, float(mp.midi_to_hz(pitch))))
    assert abs(error) < 50, (track, pitch, error)


def test_the_mix_never_clips(duo):
  ceiling = 10**(mixing.CEILING_DB / 20)
  assert duo.peak > 1.0 and duo.scale < 1.0  # +30 dB needed the rule.
  assert np.max(np.abs(duo.audio)) <= ceiling + 1e-6
  for stem in duo.stems.values():
    assert np.max(np.abs(stem)) <= ceiling + 1e-6


def test_the_stems_sum_to_the_mix(duo):
  np.testing.assert_allclose(sum(duo.stems.values()), duo.audio, atol=1e-5)


def test_the_unmapped_track_is_listed(duo):
  assert duo.unmapped == ['track 2 (1 note(s))']
  assert 'Not played' in duo.lines[-1]


def test_voices_batched_equal_voices_one_by_one(world):
  synth = blocks.BlockSynthesizer(world['a'], block_seconds=0.3,
                                  noise_seed=5)
  f0 = np.stack([np.full(70, hz, np.float32) for hz in (220, 330, 440)])
  db = np.full(f0.shape, -30.0, np.float32)
  batched, one_by_one = [np.concatenate(list(blocks.synthesize_voices(
      synth, f0, db, batched))) for batched in (True, False)]
  np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_command_line_writes_the_mix_and_stems(world):
  out = world['tmp'] / 'cli'
  outcome = command_runner.run_in_process(
      'ddsp.training.playback.ddsp_synthesize_midi', [
          'ddsp_synthesize_midi', f'--midi={world["duo"]}',
          f'--part=0={world["a"]}', f'--part=1={world["b"]}',
          '--gain=1=-6', '--pan=0=-1', f'--stems_dir={out}/stems',
          f'--output={out}/mix.flac'])
  assert outcome.code == 0, outcome.stderr[-2000:]
  mix, rate = sf.read(str(out / 'mix.flac'))
  assert rate == RATE and mix.shape[1] == 2
  assert sorted(os.listdir(out / 'stems')) == ['track0.flac', 'track1.flac']
  left_only, _ = sf.read(str(out / 'stems' / 'track0.flac'))
  assert np.max(np.abs(left_only[:, 1])) < 1e-3  # --pan=0=-1: hard left.
  assert 'track 2' in outcome.stdout and 'Not played' in outcome.stdout
