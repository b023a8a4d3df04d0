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

Differences from the original (documented fixes):
* the default `--inference_model=streaming_f0_pw` exists
  (`inference.StreamingF0PwInference`; the original raised KeyError);
* the reverb IR is really resampled to `--reverb_sample_rate`;
* with `--nometadata` no metadata file is packed into the TFLite model;
* without `tensorflowjs` installed, `--tfjs` prints how to install it and
  skips that step.
"""

import datetime
import json
import os

from absl import app
from absl import flags
from absl import logging
import ddsp
from ddsp.training import inference
from ddsp.training import postprocessing
from ddsp.training import train_util
import gin
import numpy as np
import tensorflow as tf

# Flags are defined with allow_override=True: several ddsp command modules
# share flag names (save_dir, viterbi, gin_param, ...), and importing two of
# them in one process (tests, notebooks) must not raise DuplicateFlagError.
flags.DEFINE_string('name', '', 'Name of the export folder / tflite file.', allow_override=True)
flags.DEFINE_string('model_path', '',
                    'Checkpoint folder, checkpoint prefix or SavedModel.', allow_override=True)
flags.DEFINE_string('save_dir', '', 'Where to write the export.', allow_override=True)
flags.DEFINE_enum('inference_model', 'streaming_f0_pw', [
    'autoencoder', 'streaming_f0_pw', 'vst_extract_features',
    'vst_predict_controls', 'vst_stateless_predict_controls',
    'vst_synthesize', 'vst_synthesize_harmonic', 'vst_synthesize_noise'
], 'Inference model class to export.', allow_override=True)
flags.DEFINE_multi_string('gin_param', [],
                          'Extra gin bindings for the inference model.', allow_override=True)
flags.DEFINE_boolean('debug', False, 'Do not save the SavedModel.', allow_override=True)
flags.DEFINE_boolean('tfjs', True, 'Convert to TF.js (needs tensorflowjs).', allow_override=True)
flags.DEFINE_boolean('tflite', True, 'Convert to TFLite.', allow_override=True)
flags.DEFINE_string('metadata_file', None, 'Unused (kept for compatibility).', allow_override=True)
flags.DEFINE_boolean('metadata', True, 'Write metadata.json.', allow_override=True)
flags.DEFINE_string('dataset_path', None,
                    'TFRecord pattern for the metadata statistics.', allow_override=True)
flags.DEFINE_boolean('reverb', True, 'Export the reverb impulse response.', allow_override=True)
flags.DEFINE_integer('reverb_sample_rate', 44100,
                     'Sample rate of the resampled reverb IR.', allow_override=True)

FLAGS = flags.FLAGS

INFERENCE_MODELS = {
    'autoencoder': inference.AutoencoderInference,
    'streaming_f0_pw': inference.StreamingF0PwInference,
    'vst_extract_features': inference.VSTExtractFeatures,
    'vst_predict_controls': inference.VSTPredictControls,
    'vst_stateless_predict_controls': inference.VSTStatelessPredictControls,
    'vst_synthesize': inference.VSTSynthesize,
    'vst_synthesize_harmonic': inference.VSTSynthesizeHarmonic,
    'vst_synthesize_noise': inference.VSTSynthesizeNoise,
}


def get_inference_model(ckpt, inference_model='streaming_f0_pw'):
  """Builds the inference model class named `inference_model`."""
  if inference_model not in INFERENCE_MODELS:
    raise ValueError(f'--inference_model {inference_model!r} is not one of '
                     f'{sorted(INFERENCE_MODELS)}.')
  return INFERENCE_MODELS[inference_model](ckpt)


def ckpt_to_saved_model(ckpt, save_dir, inference_model='streaming_f0_pw',
                        gin_params=(), debug=False):
  """Builds an inference model from a checkpoint and saves a SavedModel."""
  logging.info('Converting checkpoint %s to a SavedModel.', ckpt)
  with gin.unlock_config():
    gin.parse_config_files_and_bindings([], list(gin_params),
                                        skip_unknown=True)
  model = get_inference_model(ckpt, inference_model)
  if not debug:
    model.save_model(save_dir)
    logging.info('Saved the SavedModel to %s', save_dir)
  return model


# ------------------------------------------------------------------------------
# Reverb and metadata.
# ------------------------------------------------------------------------------
def _write_wav(path, audio, sample_rate):
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  sf.write(path, np.asarray(audio, np.float32), sample_rate,
           subtype='PCM_16')


def export_impulse_response(model_path, save_dir, target_sr=44100):
  """Writes the trained reverb IR at the model rate and at `target_sr`."""
  import librosa  # pylint: disable=g-import-not-at-top
  from ddsp.training import models  # pylint: disable=g-import-not-at-top
  inference.parse_operative_config(model_path)
  model = models.Autoencoder()
  model.restore(model_path)
  pg = model.processor_group
  sample_rate = pg.harmonic.sample_rate
  reverb = getattr(pg, 'reverb', None)
  if reverb is None:
    logging.info('No reverb in %s: nothing to export.', model_path)
    return []
  reverb.build([])
  ir = np.asarray(reverb.get_controls(audio=tf.zeros([1, 1]))['ir'][0])
  paths = [os.path.join(save_dir, f'reverb_ir_{sample_rate}_hz.wav')]
  _write_wav(paths[0], ir, sample_rate)
  ir_target = librosa.resample(ir, orig_sr=sample_rate, target_sr=target_sr)
  paths.append(os.path.join(save_dir, f'reverb_ir_{target_sr}_hz.wav'))
  _write_wav(paths[1], ir_target, target_sr)
  return paths


def get_data_provider(dataset_path, model_path):
  """TFRecordProvider of `dataset_path` or the run's training provider."""
  from ddsp.training import data  # pylint: disable=g-import-not-at-top
  if dataset_path is not None:
    return data.TFRecordProvider(os.path.expanduser(dataset_path))
  inference.parse_operative_config(model_path)
  try:
    return gin.query_parameter(
        'train.data_provider').scoped_configurable_fn()
  except Exception as e:  # pylint: disable=broad-except
    raise Exception(  # pylint: disable=broad-exception-raised
        'Could not build the data provider for the metadata statistics: '
        'pass --dataset_path=<tfrecord pattern>, make sure the run\'s '
        'train.data_provider files exist, or use --nometadata.') from e


def get_metadata_dict(data_provider, model_path):
  """Metadata of the plugin: ranges, sizes and rates."""
  inference.parse_operative_config(model_path)
  decoder = gin.query_parameter('Autoencoder.decoder').selector
  decoder = decoder.split('.')[-1]
  splits = dict(gin.query_parameter(f'{decoder}.output_splits'))
  frame_size = gin.query_parameter('%frame_size')
  frame_rate = gin.query_parameter('%frame_rate')
  sample_rate = gin.query_parameter('%sample_rate')
  ds = postprocessing.compute_dataset_statistics(
      data_provider, power_frame_size=frame_size,
      power_frame_rate=frame_rate)
  midi_to_hz = lambda m: float(ddsp.core.midi_to_hz(m))
  return {
      'mean_min_pitch_note': float(ds['mean_min_pitch_note']),
      'mean_max_pitch_note': float(ds['mean_max_pitch_note']),
      'mean_min_pitch_note_hz': midi_to_hz(ds['mean_min_pitch_note']),
      'mean_max_pitch_note_hz': midi_to_hz(ds['mean_max_pitch_note']),
      'mean_min_power_note': float(ds['mean_min_power_note']),
      'mean_max_power_note': float(ds['mean_max_power_note']),
      'version': ddsp.__version__,
      'export_time': datetime.datetime.now().isoformat(),
      'num_harmonics': splits['harmonic_distribution'],
      'num_noise_amps': splits['noise_magnitudes'],
      'frame_rate': frame_rate,
      'frame_size': frame_size,
      'sample_rate': sample_rate,
  }


# ------------------------------------------------------------------------------
# Converters.
# ------------------------------------------------------------------------------
def saved_model_to_tfjs(save_dir):
  """Converts to TF.js in <save_dir>/tfjs (needs the tensorflowjs package)."""
  try:
    from tensorflowjs.converters import converter  # pylint: disable=g-import-not-at-top
  except ImportError:
    print('Skipping TF.js export: the `tensorflowjs` package is not '
          'installed (pip install tensorflowjs), or use --notfjs.')
    return None
  out = os.path.join(save_dir, 'tfjs')
  converter.convert([
      '--input_format=tf_saved_model', '--signature_name=serving_default',
      '--control_flow_v2=True', '--skip_op_check', '--quantize_float16=True',
      '--experiments=True', save_dir, out])
  return out


def saved_model_to_tflite(save_dir, name='', metadata_file=None):
  """Converts to <save_dir>/tflite/<name or model>.tflite."""
  converter = tf.lite.TFLiteConverter.from_saved_model(save_dir)
  converter.target_spec.supported_ops = [
      tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
  tflite_model = converter.convert()
  out_dir = os.path.join(save_dir, 'tflite')
  tf.io.gfile.makedirs(out_dir)
  path = os.path.join(out_dir, f'{name or "model"}.tflite')
  with tf.io.gfile.GFile(path, 'wb') as f:
    f.write(tflite_model)
  if metadata_file:
    _add_tflite_metadata(path, metadata_file)
  return path


def _add_tflite_metadata(tflite_path, metadata_file):
  """Packs `metadata_file` into the model (needs tflite_support)."""
  try:
    from tflite_support import metadata  # pylint: disable=g-import-not-at-top
  except ImportError:
    print('Not packing metadata into the TFLite model: `tflite_support` is '
          'not installed (pip install tflite-support). metadata.json is '
          'still written next to it.')
    return
  populator = metadata.MetadataPopulator.with_model_file(tflite_path)
  populator.load_associated_files([metadata_file])
  populator.populate()


# ------------------------------------------------------------------------------
# Main.
# ------------------------------------------------------------------------------
def resolve_save_dir(model_path, save_dir='', name=''):
  """Export folder (see cli_and_formats.md §6)."""
  if save_dir:
    return os.path.expanduser(save_dir)
  if tf.io.gfile.exists(os.path.join(model_path, 'saved_model.pb')):
    return model_path
  if not tf.io.gfile.isdir(model_path):
    return os.path.join(os.path.dirname(model_path), name or 'export')
  return os.path.join(model_path, name or 'export')


def export(model_path, save_dir='', name='', inference_model='streaming_f0_pw',
           gin_params=(), debug=False, tfjs=True, tflite=True, metadata=True,
           dataset_path=None, reverb=True, reverb_sample_rate=44100):
  """Runs the whole export; returns the export folder."""
  model_path = train_util.expand_path(model_path)
  is_saved_model = tf.io.gfile.exists(os.path.join(model_path,
                                                   'saved_model.pb'))
  save_dir = resolve_save_dir(model_path, save_dir, name)
  tf.io.gfile.makedirs(save_dir)

  if reverb and not is_saved_model:
    export_impulse_response(model_path, save_dir, reverb_sample_rate)

  metadata_path = None
  if metadata and not is_saved_model:
    metadata_path = os.path.join(save_dir, 'metadata.json')
    meta = get_metadata_dict(get_data_provider(dataset_path, model_path),
                             model_path)
    with tf.io.gfile.GFile(metadata_path, 'w') as f:
      f.write(json.dumps(meta))

  if not is_saved_model:
    ckpt_to_saved_model(model_path, save_dir, inference_model, gin_params,
                        debug)
  if debug:
    return save_dir
  if tfjs:
    saved_model_to_tfjs(save_dir)
  if tflite:
    saved_model_to_tflite(save_dir, name, metadata_path)
  return save_dir


def main(unused_argv):
  export(FLAGS.model_path, FLAGS.save_dir, FLAGS.name, FLAGS.inference_model,
         FLAGS.gin_param, FLAGS.debug, FLAGS.tfjs, FLAGS.tflite,
         FLAGS.metadata, FLAGS.dataset_path, FLAGS.reverb,
         FLAGS.reverb_sample_rate)


def console_entry_point():
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
