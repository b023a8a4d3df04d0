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

"""A model trained on the bundled violin plays a generated MIDI melody.

The model is trained here as scripts/demo.sh does (TFRecords of
examples/audio/violin_*.flac, a short `ddsp_run` with a small decoder,
dataset statistics), without the reverb: an untrained reverb would smear
notes into each other, and a harmonic synthesiser follows the f0 it is given
after a few dozen steps. Then `ddsp_synthesize_midi` renders a melody drawn
inside the model's pitch range, followed by a held note bent up by 2
semitones, and the output is measured:

* CREPE f0 of each held note (median after the attack) within 50 cents of
  its pitch;
* onsets in the output's loudness within 30 ms of the note-ons;
* the bend moves the output f0 by 200 +- 20 cents.
"""
import os
import subprocess
import sys

from ddsp import spectral_ops
from ddsp.training import data
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance as mp
from ddsp.training import postprocessing
from ddsp.training.playback import midi_synthesis
import numpy as np
import pytest
import soundfile as sf

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
TRAIN_STEPS = 60
NO_REVERB_DAG = (
    "ProcessorGroup.dag = ["
    "(@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']), "
    "(@synths.FilteredNoise(), ['noise_magnitudes']), "
    "(@processors.Add(), ['filtered_noise/signal', 'harmonic/signal'])]")
ENVELOPE = ['--attack=0.01', '--decay=0.05', '--sustain=0.9',
            '--release=0.05']
FRAME_RATE = 250  # Analysis frames per second.
NOTE_SECONDS, GAP_SECONDS = 0.4, 0.15
ATTACK_SKIP = 0.1  # Seconds after a note-on before its pitch is measured.


def _run(args, timeout=900):
  proc = subprocess.run(args, capture_output=True, text=True,
                        timeout=timeout)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc


def _train(tmp):
  """A model folder trained on the bundled violin clips, with statistics."""
  record = os.path.join(tmp, 'data', 'train.tfrecord')
  _run([os.path.join(BIN, 'ddsp_prepare_tfrecord'),
        '--input_audio_filepatterns=' +
        os.path.join(REPO, 'examples', 'audio', 'violin_*.flac'),
        f'--output_tfrecord_path={record}', '--num_shards=1',
        '--crepe_model=tiny'])
  model_dir = os.path.join(tmp, 'model')
  params = [
      f"TFRecordProvider.file_pattern='{record}*'", 'batch_size=2',
      'learning_rate=0.005', 'RnnFcDecoder.rnn_channels=32',
      'RnnFcDecoder.ch=32', 'RnnFcDecoder.layers_per_stack=1',
      "RnnFcDecoder.output_splits=(('amps', 1), "
      "('harmonic_distribution', 20), ('noise_magnitudes', 16))",
      NO_REVERB_DAG, f'train_util.train.num_steps={TRAIN_STEPS}',
      f'train_util.train.steps_per_save={TRAIN_STEPS}',
      'trainers.Trainer.checkpoints_to_keep=1']
  _run([os.path.join(BIN, 'ddsp_run'), '--mode=train',
        f'--save_dir={model_dir}', '--gin_file=models/solo_instrument.gin',
        '--gin_file=datasets/tfrecord.gin'] +
       [f'--gin_param={p}' for p in params])
  stats = postprocessing.compute_dataset_statistics(
      data.TFRecordProvider(record + '*'), batch_size=4)
  postprocessing.save_dataset_statistics_file(
      stats, os.path.join(model_dir, 'dataset_statistics.pkl'))
  return model_dir, stats


def _melody(stats, seed=0, n_notes=6):
  """Notes drawn inside the model range, then a held note to bend.

  Returns:
    (melody notes, the held note, the time of its bend).
  """
  lo = int(np.ceil(stats['mean_min_pitch_note']))
  hi = int(np.floor(stats['mean_max_pitch_note']))
  assert hi - lo >= 2, f'model range {lo}..{hi} too narrow for the test'
  rng = np.random.RandomState(seed)
  notes, t = [], 0.3
  for _ in range(n_notes):
    notes.append(mp.Note(float(rng.randint(lo, hi + 1)), t,
                         t + NOTE_SECONDS, int(rng.randint(80, 120))))
    t += NOTE_SECONDS + GAP_SECONDS
  held = mp.Note(float(rng.randint(lo, hi - 1)), t, t + 1.2, 100)
  return notes, held, t + 0.5


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
  """Trains, writes the MIDI file, renders it with the command line."""
  tmp = str(tmp_path_factory.mktemp('midi_e2e'))
  model_dir, stats = _train(tmp)
  notes, held, bend_at = _melody(stats)
  midi_path = midi_file.write_notes(
      os.path.join(tmp, 'melody.mid'), notes + [held],
      bends=[(bend_at, 8191), (held.end, 0)])
  out = os.path.join(tmp, 'melody.wav')
  proc = _run([os.path.join(BIN, 'ddsp_synthesize_midi'),
               f'--checkpoint_dir={model_dir}', f'--midi={midi_path}',
               f'--output={out}'] + ENVELOPE)
  audio, rate = sf.read(out, dtype='float32')
  assert rate == 16000, 'CREPE reads 16 kHz: the model was trained at 16 kHz'
  f0, _ = spectral_ops.compute_f0(audio, FRAME_RATE, viterbi=False,
                                  model_capacity='tiny')
  loudness = np.asarray(spectral_ops.compute_loudness(audio, rate,
                                                      FRAME_RATE))
  return {'notes': notes, 'held': held, 'bend_at': bend_at, 'f0': f0,
          'loudness': loudness, 'stdout': proc.stdout,
          'model_dir': model_dir, 'audio': audio}


def _frames(seconds_from, seconds_to):
  return slice(int(seconds_from * FRAME_RATE), int(seconds_to * FRAME_RATE))


def _median_cents(f0, pitch, seconds_from, seconds_to):
  held = f0[_frames(seconds_from, seconds_to)]
  return float(np.median(1200 * np.log2(held / mp.midi_to_hz(pitch))))


def _onset(loudness, previous_end, note_on):
  """First frame after the valley before a note where loudness rises half
  way from the valley to the note's peak: valley + 0.5 * (peak - valley)."""
  gap = _frames(previous_end, note_on)
  valley_frame = gap.start + int(np.argmin(loudness[gap]))
  valley = loudness[valley_frame]
  peak = np.max(loudness[_frames(note_on, note_on + 0.15)])
  rising = np.nonzero(loudness[valley_frame:] >= valley + 0.5 *
                      (peak - valley))[0]
  return (valley_frame + rising[0]) / FRAME_RATE


def test_command_reports_the_notes(rendered):
  assert '7 notes; 0 overlapping note(s) resolved' in rendered['stdout']


def test_output_f0_follows_the_note_pitches(rendered):
  errors = [_median_cents(rendered['f0'], n.pitch, n.start + ATTACK_SKIP,
                          n.end) for n in rendered['notes']]
  assert np.all(np.abs(errors) < 50), errors


def test_output_onsets_follow_the_note_ons(rendered):
  ends = [0.0] + [n.end for n in rendered['notes'][:-1]]
  offsets = [_onset(rendered['loudness'], end, n.start) - n.start
             for end, n in zip(ends, rendered['notes'])]
  assert np.all(np.abs(offsets) <= 0.030), offsets


def test_pitch_bend_moves_the_output_by_200_cents(rendered):
  held, bend_at = rendered['held'], rendered['bend_at']
  before = _median_cents(rendered['f0'], held.pitch, held.start +
                         ATTACK_SKIP, bend_at)
  after = _median_cents(rendered['f0'], held.pitch, bend_at + 0.1, held.end)
  assert after - before == pytest.approx(200, abs=20)


def test_python_function_returns_the_audio_of_notes(rendered):
  notes = rendered['notes'][:2]
  rendering = midi_synthesis.render_midi(rendered['model_dir'], notes,
                                         verbose=False)
  hop = int(round(rendering.sample_rate / rendering.curves.frame_rate))
  assert rendering.audio.shape == (len(rendering.curves.f0_hz) * hop,)
  assert rendering.audio.dtype == np.float32
  loud = np.asarray(spectral_ops.compute_loudness(
      rendering.audio, rendering.sample_rate, FRAME_RATE))
  note = np.median(loud[_frames(notes[0].start + ATTACK_SKIP, notes[0].end)])
  tail = np.median(loud[-int(0.1 * FRAME_RATE):])
  assert note > tail + 20
