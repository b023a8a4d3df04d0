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

r"""Plays a model live, from audio in or MIDI in, to a sound card.

  ddsp_play --model=vst:Violin [--backend=jack|portaudio] [--connect] \
      [--pitch_shift=1] [--loudness_shift=-6] [--auto_adjust] [--seconds=60]
  ddsp_play --model=run/ckpt-300 --midi --connect [--glide=0.05]
  ddsp_play --list [--backend=portaudio]

Under JACK the client `ddsp_play` has ports `in`, `out` (`out_1`, `out_2`
with --stereo) and `midi_in`, at the server's rate and period. A status
line on stderr shows model, latency, load and underruns; Ctrl-C stops.
How: `ddsp.training.live.session`.
"""

from absl import flags
from ddsp.training import command_flags
from ddsp.training.live import jack_backend
from ddsp.training.live import live_instrument
from ddsp.training.live import portaudio_backend
from ddsp.training.live import session

FLAGS = command_flags.new_flag_values()
_ENV = session.DEFAULT_ENVELOPE


def _float(name, default, help_text):
  flags.DEFINE_float(name, default, help_text, flag_values=FLAGS)


flags.DEFINE_string('model', None, 'Instrument name, model folder, zip or '
                    'DDSP-VST .tflite.', flag_values=FLAGS)
flags.DEFINE_bool('midi', False, 'Play from MIDI in (default: audio in).',
                  flag_values=FLAGS)
flags.DEFINE_enum('backend', 'jack', list(session.BACKENDS), 'Audio system.',
                  flag_values=FLAGS)
flags.DEFINE_bool('list', False, 'List the JACK ports or the PortAudio '
                  'devices, then exit.', flag_values=FLAGS)
flags.DEFINE_bool('connect', False, 'JACK: connect to the system ports.',
                  flag_values=FLAGS)
flags.DEFINE_bool('stereo', False, 'JACK: output ports out_1 and out_2.',
                  flag_values=FLAGS)
flags.DEFINE_string('device', None, 'PortAudio device: its number, or '
                    "words of its name and host API as --list shows them "
                    "(e.g. 'system JACK').", flag_values=FLAGS)
flags.DEFINE_integer('sample_rate', None, 'PortAudio sample rate (JACK: '
                     "the server's).", flag_values=FLAGS)
flags.DEFINE_integer('period', 256, "PortAudio frames per period (JACK: "
                     "the server's).", flag_values=FLAGS)
_float('seconds', None, 'Stop after this many seconds (default: Ctrl-C).')
_float('pitch_shift', 0.0, 'Octaves added to the f0 of audio in.')
_float('loudness_shift', 0.0, 'dB added to the loudness of audio in.')
flags.DEFINE_bool('auto_adjust', False, 'Move register and loudness of '
                  'audio in towards the training data.', flag_values=FLAGS)
flags.DEFINE_enum('crepe_model', 'tiny', list(session.CREPE_MODELS),
                  'CREPE size for audio in.', flag_values=FLAGS)
_float('block_ms', live_instrument.BLOCK_MS, 'Milliseconds of frames per '
       'model call (at least one frame).')
_float('margin_ms', None, 'Safety margin in the latency (default: from the '
       'time a block takes).')
_float('attack', _ENV.attack, 'MIDI envelope attack, seconds.')
_float('decay', _ENV.decay, 'MIDI envelope decay, seconds.')
_float('sustain', _ENV.sustain, 'MIDI envelope sustain level, 0..1.')
_float('release', _ENV.release, 'MIDI envelope release, seconds.')
_float('glide', 0.0, 'MIDI portamento into legato notes, seconds.')
_float('velocity_sensitivity', session.DEFAULT_VELOCITY_SENSITIVITY,
       'MIDI velocity to loudness, 0..1.')
flags.DEFINE_enum('overlap', 'last', list(session.OVERLAP_RULES),
                  'Which of overlapping MIDI notes sounds.', flag_values=FLAGS)
flags.DEFINE_string('report', None, 'Write a JSON report (latency, load, '
                    'underruns) here at the end.', flag_values=FLAGS)


def _settings():
  return session.midi_settings(FLAGS.attack, FLAGS.decay, FLAGS.sustain,
                               FLAGS.release, FLAGS.glide,
                               FLAGS.velocity_sensitivity, FLAGS.overlap)


def main(unused_argv):
  if FLAGS.list:
    lines = (jack_backend.list_ports() if FLAGS.backend == 'jack' else
             portaudio_backend.list_devices())
    print('\n'.join(lines))
    return
  command_flags.require(FLAGS, 'model')
  session.play(session.Options(
      model=FLAGS.model, backend=FLAGS.backend, midi=FLAGS.midi,
      pitch_shift=FLAGS.pitch_shift, loudness_shift=FLAGS.loudness_shift,
      auto_adjust=FLAGS.auto_adjust, seconds=FLAGS.seconds,
      connect=FLAGS.connect, stereo=FLAGS.stereo, device=FLAGS.device,
      sample_rate=FLAGS.sample_rate, period=FLAGS.period,
      block_ms=FLAGS.block_ms, margin_ms=FLAGS.margin_ms,
      crepe_model=FLAGS.crepe_model, settings=_settings(),
      report=FLAGS.report))


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_play')


if __name__ == '__main__':
  console_entry_point()
