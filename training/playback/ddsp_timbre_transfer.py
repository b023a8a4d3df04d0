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

r"""Timbre transfer from the command line (the timbre-transfer Colab).

  ddsp_timbre_transfer --model=violin --input=voice.wav \
      --output=out.wav [--pitch_shift=1] [--loudness_shift=0] \
      [--noauto_adjust] [--quiet=20] [--autotune=0] [--threshold=1]

--model takes an instrument name (`ddsp_instruments` lists them; vst:Flute
and the other DDSP-VST models too), a model folder, a zip of one or a
DDSP-VST .tflite. --checkpoint_dir, its older name, takes the same.

Any length and any format the audio decoder reads; memory does not grow
with the input. How the audio is streamed, adjusted and synthesised:
`ddsp.training.playback.transfer`.
"""

from absl import flags
from ddsp.training import command_flags
from ddsp.training.playback import transfer

FLAGS = command_flags.new_flag_values()

flags.DEFINE_string('model', None,
                    'Instrument name (violin, flute, vst:Flute, ... see '
                    'ddsp_instruments), model folder (operative_config-*.gin,'
                    ' ckpt-*, optional dataset_statistics.pkl), zip of one, '
                    'or DDSP-VST .tflite.', flag_values=FLAGS)
flags.DEFINE_string('checkpoint_dir', None, 'Older name of --model.',
                    flag_values=FLAGS)
flags.DEFINE_string('input', None, 'Input audio file (any length/format).',
                    flag_values=FLAGS)
flags.DEFINE_string('output', None, 'Output .wav file.', flag_values=FLAGS)
flags.DEFINE_float('pitch_shift', 0.0, 'Pitch shift in octaves.',
                   flag_values=FLAGS)
flags.DEFINE_float('loudness_shift', 0.0, 'Loudness shift in dB.',
                   flag_values=FLAGS)
flags.DEFINE_boolean('auto_adjust', True,
                     'Match register and loudness to the dataset '
                     'statistics (needs dataset_statistics.pkl).',
                     flag_values=FLAGS)
flags.DEFINE_float('quiet', 20.0, 'dB to lower the parts without notes.',
                   flag_values=FLAGS)
flags.DEFINE_float('autotune', 0.0, 'Auto-tune amount, 0 (off) .. 1.',
                   flag_values=FLAGS)
flags.DEFINE_float('threshold', 1.0, 'Note detection threshold.',
                   flag_values=FLAGS)
flags.DEFINE_enum('crepe_model', 'full',
                  ['full', 'large', 'medium', 'small', 'tiny'],
                  'CREPE model size for pitch (full = the Colab).',
                  flag_values=FLAGS)
flags.DEFINE_boolean('viterbi', True, 'Viterbi smoothing of the f0.',
                     flag_values=FLAGS)
flags.DEFINE_float('block_seconds', transfer.DEFAULT_BLOCK_SECONDS,
                   'Synthesis block length (memory does not depend on the '
                   'input length; the synthesis state carries from block to '
                   'block, so the output does not depend on it).',
                   flag_values=FLAGS)


def main(unused_argv):
  model = command_flags.one_of(FLAGS, 'model', 'checkpoint_dir')
  command_flags.require(FLAGS, 'input', 'output')
  transfer.transfer_file(model, FLAGS.input, FLAGS.output,
                         pitch_shift=FLAGS.pitch_shift,
                         loudness_shift=FLAGS.loudness_shift,
                         auto_adjust_on=FLAGS.auto_adjust,
                         quiet=FLAGS.quiet,
                         autotune=FLAGS.autotune,
                         threshold=FLAGS.threshold,
                         crepe_model=FLAGS.crepe_model,
                         viterbi=FLAGS.viterbi,
                         block_seconds=FLAGS.block_seconds)


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_timbre_transfer')


if __name__ == '__main__':
  console_entry_point()

