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

"""ddsp_play against a real JACK server (dummy driver), as a process.

A test client plays a bundled violin clip into ddsp_play:in (or a melody
into ddsp_play:midi_in) and records ddsp_play:out. What must hold:

* audio in: the recording's f0 follows the input's within 50 cents
  (median over frames both voiced), shifted by the latency ddsp_play
  declares, and ddsp_play counts no underrun, for a DDSP-VST .tflite and
  the original's trained solo_instrument checkpoint;
* MIDI in: each note sounds at its pitch (50 cents) and starts within one
  period plus one frame of its note-on plus the declared latency (plus the
  period JACK adds to the test client's own send-and-record cycle);
* SIGINT and SIGTERM stop it cleanly: exit 0, the report written, its
  JACK client gone;
* bad input: no server, a server that goes away, a MIDI port that goes
  away, a model that cannot be played live: exit 1, one error line, no
  traceback, no ddsp_play left running.
"""

import json
import os
import signal

from ddsp.features import resampling
from ddsp.training.live import jack_server
from ddsp.training.live import session
import live_jack
from live_jack import jack_env  # pylint: disable=unused-import
from live_jack import solo_checkpoint  # pylint: disable=unused-import
from live_jack import vst_model  # pylint: disable=unused-import
import numpy as np
import pytest
import streaming_models

pytestmark = pytest.mark.slow
RATE = live_jack.RATE
MELODY = live_jack.MELODY
# Onsets by pitch: the first harmonics of each note in a window that tells
# notes a tritone apart (its main lobe: +-2 / WINDOW_SECONDS Hz).
HARMONICS = 3
WINDOW_SECONDS = 0.025


@pytest.mark.parametrize('name', ['vst', 'solo_instrument'])
def test_audio_in_output_f0_follows_the_input(jack_env, request, name,
                                              tmp_path):
  signal_in, clip_16k = live_jack.violin_clip()
  recording, report = live_jack.play_and_record(
      jack_env, live_jack.model_args(request, name), signal_in,
      signal_in.size + RATE // 2, str(tmp_path / 'report.json'))
  assert report['underruns'] == 0, json.dumps(report)
  assert live_jack.cents_followed(clip_16k, recording, report) < 50, report


def _rms(audio, lo, hi):
  """2 ms RMS of audio[lo:hi], one value per sample."""
  win = RATE // 500
  return np.sqrt(np.convolve(audio[lo:hi]**2, np.ones(win) / win,
                             mode='same'))


def _f0_cents(audio, hz):
  """Median |cents| of the voiced CREPE frames of audio from hz."""
  f0, conf = live_jack.f0(resampling.resample(audio, RATE, 16000))
  voiced = conf > 0.5
  assert voiced.sum() >= 3
  return float(np.median(np.abs(1200 * np.log2(f0[voiced] / hz))))


@pytest.fixture(scope='module')
def melody_played(jack_env, vst_model, tmp_path_factory):
  """The melody through ddsp_play --midi: (recording, report).

  A 20 ms margin: the test asks for no underrun on a shared, loaded CPU
  (benchmarks/live_latency.py measures the default margin).
  """
  n_record = int(3.0 * RATE)
  return live_jack.play_and_record(
      jack_env, [f'--model={vst_model}', '--midi', '--attack=0.005',
                 '--margin_ms=20'],
      np.zeros([n_record], np.float32), n_record,
      str(tmp_path_factory.mktemp('midi') / 'report.json'),
      live_jack.melody_events())


def test_midi_in_plays_without_underrun(melody_played):
  _, report = melody_played
  assert report['underruns'] == 0, json.dumps(report)


@pytest.mark.parametrize('pitch, start, end', MELODY)
def test_midi_in_notes_sound_at_their_pitch(melody_played, pitch, start,
                                            end):
  recording, report = melody_played
  latency = report['latency_samples']
  middle = recording[int((start + 0.1) * RATE) + latency:
                     int(end * RATE) + latency]
  assert _f0_cents(middle, 440.0 * 2 ** ((pitch - 69) / 12)) < 50


def _level_onset(recording, on, end, tolerance):
  """Sample where the 2 ms RMS first reaches half the note's level, in
  on +- 2 tolerance (from silence: the first note)."""
  level = np.median(_rms(recording, on + RATE // 10, end))
  rms = _rms(recording, on - 2 * tolerance, on + 2 * tolerance)
  assert rms[0] < 0.5 * level, 'sound before the note'
  return on - 2 * tolerance + int(np.flatnonzero(rms > 0.5 * level)[0])


def _harmonic_level(audio, pitch):
  """Level [n] of the first HARMONICS harmonics of `pitch` (MIDI) around
  each sample: sum_k |sum_m w[m] x[n - m] exp(-2 pi i k f0 (n - m) / RATE)|,
  w a Hann window of WINDOW_SECONDS (sum 1, centred)."""
  f0 = 440.0 * 2 ** ((pitch - 69) / 12)
  window = np.hanning(int(WINDOW_SECONDS * RATE))
  window /= window.sum()
  phase = 2j * np.pi * f0 * np.arange(audio.size) / RATE
  return sum(np.abs(np.convolve(audio * np.exp(-k * phase), window, 'same'))
             for k in range(1, HARMONICS + 1))


def _pitch_onset(recording, on, tolerance, old, new, hop):
  """Sample where pitch `new` (MIDI) takes over from `old`, in on - 2
  tolerance .. on + 3 tolerance (hop: samples per model frame).

  Each pitch's harmonic level is taken relative to its own: the old one's
  at the start of that span, the new one's at its end; the new one stays
  above from the middle of the change on, whatever the two levels (the
  window is symmetric).
  DDSP-VST glides f0 over the first half of a hop
  (`vst_runloop.hop_ramp`): the middle is a quarter hop after the start.
  """
  lo, hi = on - 2 * tolerance, on + 3 * tolerance
  pad = int(WINDOW_SECONDS * RATE)
  span = recording[lo - pad:hi + pad]
  old_level = _harmonic_level(span, old)[pad:-pad]
  new_level = _harmonic_level(span, new)[pad:-pad]
  edge = pad // 2
  old_level /= old_level[:edge].mean()
  new_level /= new_level[-edge:].mean()
  under = np.flatnonzero(new_level < old_level)
  assert under.size and under[-1] + 1 < new_level.size, (
      'no change of pitch in the span')
  return lo + int(under[-1] + 1 - hop / 4)


@pytest.mark.parametrize('index', range(len(MELODY)))
def test_midi_in_notes_start_within_two_periods_and_a_frame(melody_played,
                                                            index):
  """A note-on sent at frame F sounds from F + the declared latency on.

  Within one period (the MIDI message's) plus one frame (the model's),
  plus one period more: the test client both sends the MIDI and records
  the output, a cycle in the JACK graph that JACK breaks by delaying one
  of the two by a period. The first note by its level (from silence), the
  others by pitch: an untrained model does not fall silent with its
  loudness, so the old pitch still sounds in the rest before.
  """
  recording, report = melody_played
  latency = report['latency_samples']
  hop = RATE / report['frame_rate']
  tolerance = int(2 * report['period'] + hop)
  pitch, start, end = MELODY[index]
  on = int(start * RATE) + latency
  if index == 0:
    onset = _level_onset(recording, on, int(end * RATE) + latency,
                         tolerance)
  else:
    onset = _pitch_onset(recording, on, tolerance, MELODY[index - 1][0],
                         pitch, hop)
  assert abs(onset - on) <= tolerance, (onset - on, tolerance)


def _one_error_line(play, code, words):
  assert code == 1, play.lines
  assert not any('Traceback' in l for l in play.lines), play.lines
  errors = play.errors()
  assert len(errors) == 1 and errors[0].startswith('ddsp_play: error:'), (
      play.lines)
  assert all(w in errors[0] for w in words), errors


def test_no_jack_server_is_one_error(vst_model):
  reason = jack_server.missing_reason()
  if reason:
    pytest.skip(reason)
  env = dict(os.environ, JACK_DEFAULT_SERVER='ddsp_test_no_such_server')
  play = live_jack.Play(env, [f'--model={vst_model}', '--seconds=1'])
  _one_error_line(play, play.finish(), ['No JACK server'])


def test_a_server_that_goes_away_is_one_error(vst_model):
  reason = jack_server.missing_reason()
  if reason:
    pytest.skip(reason)
  with jack_server.dummy_server(RATE, live_jack.PERIOD) as env:
    play = live_jack.Play(env, [f'--model={vst_model}', '--midi'])
    play.wait_ready()
  _one_error_line(play, play.finish(), ['JACK server went away'])


def test_a_midi_port_that_goes_away_is_one_error(jack_env, vst_model):
  tester = live_jack.Tester(jack_env)
  play = live_jack.Play(jack_env, [f'--model={vst_model}', '--midi'])
  play.wait_ready()
  tester.connect_to_play(midi=True)
  tester.close()
  _one_error_line(play, play.finish(), ['tester:midi_out', 'went away'])


def test_a_model_that_cannot_play_live_is_one_error(jack_env, tmp_path):
  gin_text = streaming_models.model_gin(sample_rate=16000).replace(
      "RnnFcDecoder.rnn_type = 'gru'", "RnnFcDecoder.rnn_type = 'lstm'")
  folder = streaming_models.write_random_model(str(tmp_path / 'lstm'),
                                               gin_text)
  play = live_jack.Play(jack_env, [f'--model={folder}', '--seconds=1'])
  _one_error_line(play, play.finish(), ['cannot be played live'])


def test_sigterm_stops_cleanly(vst_model, tmp_path):
  """SIGTERM ends ddsp_play as SIGINT does (every run above stops by
  SIGINT): exit 0, the report written, its JACK client gone. On a server of
  its own: what the tests above left on theirs is not this test's subject."""
  reason = jack_server.missing_reason()
  if reason:
    pytest.skip(reason)
  report_path = str(tmp_path / 'report.json')
  with jack_server.dummy_server(RATE, live_jack.PERIOD) as env:
    play = live_jack.Play(env, [f'--model={vst_model}', '--midi',
                                f'--report={report_path}'])
    try:
      play.wait_ready()
      assert play.stop(signal=signal.SIGTERM) == 0, play.lines
    finally:
      if play.proc.poll() is None:
        play.proc.kill()
    with open(report_path) as f:
      assert json.load(f)['seconds'] > 0
    tester = live_jack.Tester(env)
    try:
      assert not tester.port_names('ddsp_play:')
    finally:
      tester.close()


def test_a_server_that_stops_answering_does_not_hang_the_exit(vst_model):
  """jackd frozen (SIGSTOP) under a playing ddsp_play: Ctrl-C still ends it,
  after session.CLOSE_SECONDS, with one message naming what hung."""
  reason = jack_server.missing_reason()
  if reason:
    pytest.skip(reason)
  with jack_server.dummy_server(RATE, live_jack.PERIOD) as env:
    jackd = live_jack.jackd_pid(env)
    play = live_jack.Play(env, [f'--model={vst_model}', '--midi'])
    try:
      play.wait_ready()
      os.kill(jackd, signal.SIGSTOP)
      code = play.stop(timeout=session.CLOSE_SECONDS + 30)
    finally:
      os.kill(jackd, signal.SIGCONT)
      if play.proc.poll() is None:
        play.proc.kill()
  _one_error_line(play, code, ['closing the jack device', 'did not finish'])
