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

r"""Plays a MIDI file with a trained model.

  ddsp_synthesize_midi --model=flute --midi=song.mid \
      --output=out.wav [--track=1] [--channel=1] [--transpose=-12] \
      [--attack=0.02 --decay=0.1 --sustain=0.8 --release=0.15] \
      [--vibrato_cents=20 --vibrato_hz=5.5 --vibrato_delay=0.3] \
      [--glide=0.05] [--velocity_sensitivity=0.5] [--overlap=last] \
      [--out_of_range=octave] [--voices=4]
  ddsp_synthesize_midi --midi=quartet.mid --part 1=violin_run/ \
      --part 2=flute.zip [--gain 2=-6] [--pan 1=-0.5] [--stems_dir=stems/] \
      --output=mix.wav

--model: an instrument name, a model folder, a zip of one or a DDSP-VST
.tflite (--checkpoint_dir: its older name); monophonic by default
(--overlap), up to N voices with --voices=N. --part TRACK=MODEL, repeated:
an ensemble in stereo. How: `ddsp.training.playback.polyphony`, `ensemble`.
"""

from absl import flags
from ddsp import errors
from ddsp.training import command_flags
from ddsp.training.playback import ensemble
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance as perf
from ddsp.training.playback import midi_synthesis
from ddsp.training.playback import transfer
from ddsp.training.playback import voices as voices_lib

FLAGS = command_flags.new_flag_values()
_ENV, _VIB = perf.Envelope(), perf.Vibrato()


def _float(name, default, help_text):
  flags.DEFINE_float(name, default, help_text, flag_values=FLAGS)


flags.DEFINE_string('model', None, 'Instrument name (flute, vst:Flute, ... '
                    'see ddsp_instruments), model folder (operative_config-'
                    '*.gin, ckpt-*, dataset_statistics.pkl), zip of one, or '
                    'DDSP-VST .tflite.', flag_values=FLAGS)
flags.DEFINE_string('checkpoint_dir', None, 'Older name of --model.',
                    flag_values=FLAGS)
flags.DEFINE_string('midi', None, 'Standard MIDI file (.mid).',
                    flag_values=FLAGS)
flags.DEFINE_string('output', None, 'Output audio file (.wav, .flac, .ogg).',
                    flag_values=FLAGS)
flags.DEFINE_integer('track', None, 'Track to play, from 0 (default: the '
                     'first track with notes).', flag_values=FLAGS)
flags.DEFINE_integer('channel', None, 'MIDI channel 1..16 to play (default: '
                     'the first of the track, drums on 10 left out).',
                     flag_values=FLAGS)
_float('transpose', 0.0, 'Semitones added to every note.')
_float('attack', _ENV.attack, 'Envelope attack, seconds.')
_float('decay', _ENV.decay, 'Envelope decay, seconds.')
_float('sustain', _ENV.sustain, 'Envelope sustain level, 0..1.')
_float('release', _ENV.release, 'Envelope release, seconds.')
_float('vibrato_cents', _VIB.cents, 'Vibrato depth in cents (0 = off).')
_float('vibrato_hz', _VIB.hz, 'Vibrato rate in Hz.')
_float('vibrato_delay', _VIB.delay, 'Seconds after note-on before vibrato.')
_float('glide', 0.0, 'Portamento into legato notes, seconds.')
_float('velocity_sensitivity', perf.Settings.velocity_sensitivity,
       '0: every note at the loudest note loudness of the model; 1: '
       'velocities span its whole note loudness range.')
_float('bend_range', midi_file.DEFAULT_BEND_RANGE,
       'Semitones of a full pitch-wheel throw.')
flags.DEFINE_enum('overlap', 'last', list(perf.OVERLAP_RULES),
                  'Which of overlapping notes sounds.', flag_values=FLAGS)
flags.DEFINE_enum('out_of_range', 'octave', list(perf.RANGE_RULES),
                  'Notes outside the model range: move by octaves, or only '
                  'report them.', flag_values=FLAGS)
_float('block_seconds', transfer.DEFAULT_BLOCK_SECONDS,
       'Synthesis block length (memory does not grow with the piece).')
flags.DEFINE_multi_string('part', [], 'TRACK=MODEL: track (from 0, as '
                          '--track) played by an instrument; repeat for an '
                          'ensemble. Instead of --model.', flag_values=FLAGS)
flags.DEFINE_multi_string('gain', [], 'TRACK=DB: gain of a --part in the '
                          'mix (default 0).', flag_values=FLAGS)
flags.DEFINE_multi_string('pan', [], 'TRACK=PAN: pan of a --part, -1 (left) '
                          '..1 (right) (default 0).', flag_values=FLAGS)
flags.DEFINE_string('stems_dir', None, 'Folder for the stems of --part.',
                    flag_values=FLAGS)
flags.DEFINE_integer('voices', None, 'Voice limit of a part (1: '
                     'monophonic, --overlap picks the note). Default 1 with '
                     f'--model, {ensemble.DEFAULT_VOICES} with --part.',
                     flag_values=FLAGS)


def _settings() -> perf.Settings:
  return perf.Settings(
      transpose=FLAGS.transpose,
      envelope=perf.Envelope(FLAGS.attack, FLAGS.decay, FLAGS.sustain,
                             FLAGS.release),
      vibrato=perf.Vibrato(FLAGS.vibrato_cents, FLAGS.vibrato_hz,
                           FLAGS.vibrato_delay),
      glide=FLAGS.glide, velocity_sensitivity=FLAGS.velocity_sensitivity,
      overlap=FLAGS.overlap, out_of_range=FLAGS.out_of_range)


def _specs():
  if FLAGS.part:
    if FLAGS.model or FLAGS.checkpoint_dir or FLAGS.track is not None:
      raise errors.BadValueError('--part names the tracks and their models: '
                                 'give it instead of --model and --track.')
    return ensemble.parse_parts(FLAGS.part, FLAGS.gain, FLAGS.pan)
  for name in ('gain', 'pan', 'stems_dir'):
    if FLAGS[name].value:
      raise errors.BadValueError(f'--{name} applies to the parts of --part: '
                                 'give --part TRACK=MODEL.')
  model = command_flags.one_of(FLAGS, 'model', 'checkpoint_dir')
  return [ensemble.PartSpec(FLAGS.track, model, channel=FLAGS.channel)]


def main(unused_argv):
  specs = _specs()
  command_flags.require(FLAGS, 'midi', 'output')
  if FLAGS.voices is not None:
    voices_lib.check_max_voices(FLAGS.voices)
  voices = FLAGS.voices or (ensemble.DEFAULT_VOICES if FLAGS.part else 1)
  if not FLAGS.part and voices == 1:  # One monophonic part, as ever.
    midi_synthesis.render_midi(
        specs[0].model, FLAGS.midi, FLAGS.output, settings=_settings(),
        track=FLAGS.track, channel=FLAGS.channel,
        bend_range=FLAGS.bend_range, block_seconds=FLAGS.block_seconds)
    return
  ensemble.render_ensemble(
      FLAGS.midi, specs, FLAGS.output, FLAGS.stems_dir, _settings(), voices,
      FLAGS.bend_range, FLAGS.block_seconds)


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_synthesize_midi')


if __name__ == '__main__':
  console_entry_point()
