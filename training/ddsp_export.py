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

r"""Exports a trained model as SavedModel, TFLite and (optionally) TF.js.

  ddsp_export --model_path=/path/to/run --inference_model=autoencoder \
      --notfjs --nometadata --noreverb

A model for the DDSP-VST plugin, then a check that the plugin accepts it
(each violation printed, exit status 1 if any):

  ddsp_export --model_path=/path/to/vst_run \
      --inference_model=vst_stateless_predict_controls --tflite --notfjs
  ddsp_export --check=/path/to/vst_run/export/tflite/model.tflite

The export itself, and how it differs from the original's, is
`ddsp.training.export`.
"""

from absl import flags
from ddsp.training import command_flags
from ddsp.training import export
FLAGS = command_flags.new_flag_values()

# The original's names in this module (re-exported, defined in `export`).
ckpt_to_saved_model = export.ckpt_to_saved_model
export_impulse_response = export.export_impulse_response
get_data_provider = export.get_data_provider
get_inference_model = export.get_inference_model
get_metadata_dict = export.get_metadata_dict

flags.DEFINE_string('name', '', 'Name of the export folder / tflite file.',
                    flag_values=FLAGS)
flags.DEFINE_string('model_path', '',
                    'Checkpoint folder, checkpoint prefix or SavedModel.',
                    flag_values=FLAGS)
flags.DEFINE_string('save_dir', '', 'Where to write the export.',
                    flag_values=FLAGS)
flags.DEFINE_enum('inference_model', 'streaming_f0_pw',
                  list(export.INFERENCE_MODELS),
                  'Inference model class to export.', flag_values=FLAGS)
flags.DEFINE_multi_string('gin_param', [],
                          'Extra gin bindings for the inference model.',
                          flag_values=FLAGS)
flags.DEFINE_boolean('debug', False, 'Do not save the SavedModel.',
                     flag_values=FLAGS)
flags.DEFINE_boolean('tfjs', True, 'Convert to TF.js (needs tensorflowjs).',
                     flag_values=FLAGS)
flags.DEFINE_boolean('tflite', True, 'Convert to TFLite.', flag_values=FLAGS)
flags.DEFINE_string('metadata_file', None, 'Unused (kept for compatibility).',
                    flag_values=FLAGS)
flags.DEFINE_boolean('metadata', True, 'Write metadata.json.',
                     flag_values=FLAGS)
flags.DEFINE_string('dataset_path', None,
                    'TFRecord pattern for the metadata statistics (default: '
                    'the dataset_statistics.pkl next to the checkpoint, else '
                    'the run\'s training data).',
                    flag_values=FLAGS)
flags.DEFINE_boolean('reverb', True, 'Export the reverb impulse response.',
                     flag_values=FLAGS)
flags.DEFINE_integer('reverb_sample_rate', 44100,
                     'Sample rate of the resampled reverb IR.',
                     flag_values=FLAGS)
flags.DEFINE_string('check', None,
                    'Only check this .tflite against the DDSP-VST plugin\'s '
                    'contract: print each violation, exit 1 if any.',
                    flag_values=FLAGS)


def main(unused_argv):
  if FLAGS.check:
    export.require_contract(FLAGS.check)
  else:
    run_export()


def run_export():
  export.export(FLAGS.model_path,
                save_dir=FLAGS.save_dir,
                name=FLAGS.name,
                inference_model=FLAGS.inference_model,
                gin_params=FLAGS.gin_param,
                debug=FLAGS.debug,
                tfjs=FLAGS.tfjs,
                tflite=FLAGS.tflite,
                metadata=FLAGS.metadata,
                dataset_path=FLAGS.dataset_path,
                reverb=FLAGS.reverb,
                reverb_sample_rate=FLAGS.reverb_sample_rate)


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_export')


if __name__ == '__main__':
  console_entry_point()
