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

"""Export of a trained model: SavedModel, TFLite, TF.js, reverb and metadata.

`export` runs the whole export of a checkpoint folder (or prefix) into an
export folder; the other functions are its steps. Differences from the
original (fixes):
* the default inference model `streaming_f0_pw` exists
  (`inference.StreamingF0PwInference`; the original raised KeyError);
* the reverb IR is really resampled to the requested rate;
* without metadata no metadata file is packed into the TFLite model;
* without the `tensorflowjs` package the TF.js step says how to install it
  and is skipped;
* metadata.json is packed into the TFLite model without `tflite-support`
  (`vst_contract.append_metadata`, the same ZIP layout);
* a VST control model converts from its `call` signature, giving the input
  names the DDSP-VST plugin looks up (`call_f0_scaled:0`, ...), and is
  checked against the plugin's contract (`vst_contract.check_tflite`);
* `--dataset_path` is read with the run's frame rate and centering; a run
  or a dataset that cannot give a VST model is one clear error;
* without `--dataset_path` the metadata ranges come from the
  dataset_statistics.pkl next to the checkpoint when there is one (a model
  folder whose training data are gone still exports), else from the run's
  training data as in the original.
"""

import datetime
import json
import os
from typing import Any, Dict, List, Optional, Sequence

from absl import logging
import ddsp
from ddsp import atomic_files
from ddsp import errors
from ddsp.training import data
from ddsp.training import gin_scope
from ddsp.training import gin_setup
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import output_paths
from ddsp.training import postprocessing
from ddsp.training import train_util
from ddsp.training.playback import vst_contract
import gin
import librosa
import numpy as np
import soundfile as sf
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2


VSTExportError = vst_contract.VSTExportError

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


def get_inference_model(ckpt: str,
                        inference_model: str = 'streaming_f0_pw',
                        gin_params: Sequence[str] = ()):
  """Builds the inference model class named `inference_model`.

  The model has a gin configuration of its own: `gin_params`, then the
  checkpoint's operative config.
  """
  if inference_model not in INFERENCE_MODELS:
    raise ValueError(f'Inference model {inference_model!r} is not one of '
                     f'{sorted(INFERENCE_MODELS)}.')
  with gin_scope.isolated(gin_params):  # Also binds the class's arguments.
    return INFERENCE_MODELS[inference_model](ckpt,
                                             gin_params=tuple(gin_params))


def ckpt_to_saved_model(ckpt: str,
                        save_dir: str,
                        inference_model: str = 'streaming_f0_pw',
                        gin_params: Sequence[str] = (),
                        debug: bool = False):
  """Builds an inference model from a checkpoint and saves a SavedModel."""
  logging.info('Converting checkpoint %s to a SavedModel.', ckpt)
  model = get_inference_model(ckpt, inference_model, gin_params)
  if not debug:
    model.save_model(save_dir)
    logging.info('Saved the SavedModel to %s', save_dir)
  return model


# ------------------------------------------------------------------------------
# Reverb and metadata.
# ------------------------------------------------------------------------------
def _write_wav(path: str, audio: np.ndarray, sample_rate: int) -> None:
  """16-bit WAV of float audio, written atomically."""
  with atomic_files.temporary_path(path) as temporary:
    sf.write(temporary, np.asarray(audio, np.float32), sample_rate,
             subtype='PCM_16', format='WAV')


def export_impulse_response(model_path: str,
                            save_dir: str,
                            target_sr: int = 44100) -> List[str]:
  """Writes the trained reverb IR at the model rate and at `target_sr`.

  Returns:
    The paths written (none when the model has no reverb).
  """
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


def run_tfrecord_layout(model_path: str) -> Dict[str, Any]:
  """TFRecordProvider arguments of the data a run was trained on.

  The run's `TFRecordProvider.*` bindings; without them the model's frame
  rate (`%frame_rate`) and centering (preprocessor padding 'center').

  Returns:
    {'example_secs', 'sample_rate', 'frame_rate', 'centered'} (bound ones).
  """
  inference.parse_operative_config(model_path)
  bound = vst_contract.bound_parameter
  padding = bound('OnlineF0PowerPreprocessor.padding')
  fallback = {'frame_rate': bound('%frame_rate'),
              'centered': None if padding is None else padding == 'center'}
  layout = {}
  for key in ('example_secs', 'sample_rate', 'frame_rate', 'centered'):
    value = bound(f'TFRecordProvider.{key}', fallback.get(key))
    if value is not None:
      layout[key] = value
  return layout


def get_data_provider(dataset_path: Optional[str], model_path: str):
  """TFRecordProvider of `dataset_path` or the run's training provider.

  `dataset_path` is read with the run's layout (`run_tfrecord_layout`:
  e.g. 50 frames/s, centered for the VST configs), not the defaults.
  """
  if dataset_path is not None:
    return data.TFRecordProvider(os.path.expanduser(dataset_path),
                                 **run_tfrecord_layout(model_path))
  inference.parse_operative_config(model_path)
  try:
    return gin.query_parameter(
        'train.data_provider').scoped_configurable_fn()
  except Exception as e:  # pylint: disable=broad-except
    raise errors.UserError(
        'Could not build the data provider for the metadata statistics '
        f'({e}): give a dataset path (ddsp_export '
        '--dataset_path=<tfrecord pattern>), make sure the run\'s '
        'train.data_provider files exist, or export without metadata '
        '(--nometadata).') from e


def _vst_rates(model_path: str) -> Dict[str, int]:
  """{'frame_size', 'frame_rate', 'sample_rate'} of a VST run's config.

  Raises:
    VSTExportError: the run was not trained with a VST config.
  """
  inference.parse_operative_config(model_path)
  if vst_contract.bound_parameter('%frame_size') is None:
    raise vst_contract.VSTExportError(
        f'The metadata describes a DDSP-VST model, but {model_path} was not '
        'trained with a VST config (no frame_size / frame_rate / sample_rate '
        'macros): export with --nometadata, or train a model for the plugin '
        f'with models/vst/vst.gin: {vst_contract.RECIPE}.')
  return {name: gin.query_parameter(f'%{name}')
          for name in ('frame_size', 'frame_rate', 'sample_rate')}


def get_metadata_dict(data_provider, model_path: str) -> Dict[str, Any]:
  """Metadata of the plugin: ranges of the provider's data, sizes, rates."""
  rates = _vst_rates(model_path)
  try:
    ds = postprocessing.compute_dataset_statistics(
        data_provider, power_frame_size=rates['frame_size'],
        power_frame_rate=rates['frame_rate'])
  except tf.errors.InvalidArgumentError as e:
    raise vst_contract.VSTExportError(
        f'The dataset {getattr(data_provider, "_file_pattern", "")} does not '
        f'hold the examples {model_path} was trained on '
        f'({run_tfrecord_layout(model_path)}): give the TFRecords the run '
        'was trained on (--dataset_path), prepared with ddsp_prepare_tfrecord '
        f'--frame_rate={rates["frame_rate"]} --center=True for the VST '
        f'configs. TensorFlow said: {e.message.splitlines()[0]}') from e
  return metadata_of_statistics(ds, model_path)


_METADATA_STATISTICS = ('mean_min_pitch_note', 'mean_max_pitch_note',
                        'mean_min_power_note', 'mean_max_power_note')


def metadata_of_statistics(ds: Dict[str, Any],
                           model_path: str) -> Dict[str, Any]:
  """Metadata of the plugin from dataset statistics: ranges, sizes, rates.

  Args:
    ds: `postprocessing.compute_dataset_statistics` of the training data
      (power at the run's frame size and rate), or its pickle.
    model_path: The run (its config gives the sizes and rates).

  Raises:
    VSTExportError: not a VST run, or statistics without the note ranges.
  """
  rates = _vst_rates(model_path)
  missing = [key for key in _METADATA_STATISTICS if key not in ds]
  if missing:
    raise vst_contract.VSTExportError(
        f'The dataset statistics of {model_path} lack {missing}: give the '
        'TFRecords the run was trained on (--dataset_path).')
  decoder = gin.query_parameter('Autoencoder.decoder').selector
  decoder = decoder.split('.')[-1]
  splits = dict(gin.query_parameter(f'{decoder}.output_splits'))
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
      'frame_rate': rates['frame_rate'],
      'frame_size': rates['frame_size'],
      'sample_rate': rates['sample_rate'],
  }


def statistics_file(model_path: str) -> Optional[str]:
  """The dataset_statistics.pkl next to a run's checkpoint (None if none)."""
  folder = (model_path if tf.io.gfile.isdir(model_path) else
            os.path.dirname(model_path))
  path = os.path.join(folder, postprocessing.STATISTICS_FILE)
  return path if tf.io.gfile.exists(path) else None


def run_metadata(model_path: str,
                 dataset_path: Optional[str]) -> Dict[str, Any]:
  """The plugin's metadata of a run, its ranges from the training data.

  The data are `dataset_path` when given, else the statistics file next to
  the checkpoint (`statistics_file`, read the safe way), else the run's
  training data (`get_data_provider`).
  """
  stats_path = None if dataset_path is not None else statistics_file(
      model_path)
  if stats_path:
    logging.info('Metadata ranges from %s.', stats_path)
    return metadata_of_statistics(
        postprocessing.load_dataset_statistics(stats_path), model_path)
  return get_metadata_dict(get_data_provider(dataset_path, model_path),
                           model_path)


# ------------------------------------------------------------------------------
# Converters.
# ------------------------------------------------------------------------------
def saved_model_to_tfjs(save_dir: str) -> Optional[str]:
  """Converts to TF.js in <save_dir>/tfjs (needs the tensorflowjs package)."""
  try:
    from tensorflowjs.converters import converter  # pylint: disable=g-import-not-at-top
  except ImportError:
    print('Skipping TF.js export: the `tensorflowjs` package is not '
          'installed (pip install tensorflowjs; or ddsp_export --notfjs).')
    return None
  out = os.path.join(save_dir, 'tfjs')
  converter.convert([
      '--input_format=tf_saved_model', '--signature_name=serving_default',
      '--control_flow_v2=True', '--skip_op_check', '--quantize_float16=True',
      '--experiments=True', save_dir, out])
  return out


def saved_model_signatures(save_dir: str) -> List[str]:
  """Signature keys of the SavedModel in `save_dir`."""
  proto = saved_model_pb2.SavedModel()
  with tf.io.gfile.GFile(os.path.join(save_dir, 'saved_model.pb'), 'rb') as f:
    proto.ParseFromString(f.read())
  return sorted(proto.meta_graphs[0].signature_def.keys())


def saved_model_to_tflite(save_dir: str,
                          name: str = '',
                          metadata_file: Optional[str] = None) -> str:
  """Converts to <save_dir>/tflite/<name or model>.tflite.

  A SavedModel with a `call` signature (the VST modules) is converted from
  that signature alone, so that TFLite names the inputs `call_<arg>:0`, the
  names the DDSP-VST plugin looks up. With `metadata_file`, its JSON is
  packed into the file (`vst_contract.append_metadata`). The file appears
  whole or not at all.
  """
  keys = None
  if vst_contract.SIGNATURE in saved_model_signatures(save_dir):
    keys = [vst_contract.SIGNATURE]
  converter = tf.lite.TFLiteConverter.from_saved_model(save_dir,
                                                       signature_keys=keys)
  converter.target_spec.supported_ops = [
      tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
  tflite_model = converter.convert()
  if metadata_file:
    tflite_model = _add_tflite_metadata(tflite_model, metadata_file)
  out_dir = os.path.join(save_dir, 'tflite')
  tf.io.gfile.makedirs(out_dir)
  path = os.path.join(out_dir, f'{name or "model"}.tflite')
  atomic_files.write_bytes(path, tflite_model)
  return path


def _add_tflite_metadata(tflite_model: bytes, metadata_file: str) -> bytes:
  """The model bytes with `metadata_file` packed as `metadata.json`.

  The original needed `tflite-support` for this; the same layout (a ZIP with
  one stored entry after the flatbuffer) is written here without it.
  """
  with tf.io.gfile.GFile(metadata_file, 'r') as f:
    meta = json.load(f)
  return vst_contract.append_metadata(tflite_model, meta)


# ------------------------------------------------------------------------------
# The whole export.
# ------------------------------------------------------------------------------
def resolve_save_dir(model_path: str,
                     save_dir: str = '',
                     name: str = '') -> str:
  """Export folder: `save_dir` if given, else next to the model.

  A SavedModel folder is its own export folder; a checkpoint prefix exports
  to `<its folder>/<name or 'export'>`, a checkpoint folder to
  `<folder>/<name or 'export'>`.

  Args:
    model_path: Checkpoint folder, checkpoint prefix or SavedModel folder.
    save_dir: Explicit export folder ('' for the default).
    name: Name of the export folder ('' for 'export').

  Returns:
    The export folder.
  """
  if save_dir:
    return os.path.expanduser(save_dir)
  if tf.io.gfile.exists(os.path.join(model_path, 'saved_model.pb')):
    return model_path
  if not tf.io.gfile.isdir(model_path):
    return os.path.join(os.path.dirname(model_path), name or 'export')
  return os.path.join(model_path, name or 'export')


@gin_scope.in_isolation
def export(model_path: str,
           save_dir: str = '',
           name: str = '',
           inference_model: str = 'streaming_f0_pw',
           gin_params: Sequence[str] = (),
           debug: bool = False,
           tfjs: bool = True,
           tflite: bool = True,
           metadata: bool = True,
           dataset_path: Optional[str] = None,
           reverb: bool = True,
           reverb_sample_rate: int = 44100) -> str:
  """Exports a checkpoint (or converts a SavedModel).

  Steps, each optional: the reverb impulse response, metadata.json, the
  SavedModel of `inference_model` (skipped for a SavedModel input), TF.js
  and TFLite conversions of it. The run's gin config is read in a
  configuration of its own: the process's gin configuration is unchanged.

  Args:
    model_path: Checkpoint folder, checkpoint prefix or SavedModel folder.
    save_dir: Export folder ('' for the default, see `resolve_save_dir`).
    name: Name of the export folder and TFLite file.
    inference_model: Key of INFERENCE_MODELS.
    gin_params: Extra gin bindings for the inference model.
    debug: Build the inference model but save nothing of it.
    tfjs: Convert to TF.js.
    tflite: Convert to TFLite.
    metadata: Write metadata.json (dataset statistics, sizes, rates).
    dataset_path: TFRecord pattern of the statistics (None: the
      dataset_statistics.pkl next to the checkpoint, else the run's
      training data; see `run_metadata`).
    reverb: Write the reverb impulse response.
    reverb_sample_rate: Second rate the impulse response is written at.

  Returns:
    The export folder.

  Raises:
    errors.UserError: what is wrong with the arguments or the model, before
      anything is written; a failed export leaves no export folder it made.
  """
  model_path = train_util.expand_path(model_path)
  is_saved_model = tf.io.gfile.exists(os.path.join(model_path,
                                                   'saved_model.pb'))
  if not is_saved_model:
    check_model_path(model_path)
  save_dir = resolve_save_dir(model_path, save_dir, name)
  reads_data = metadata and not is_saved_model
  _check_arguments(model_path, save_dir, gin_params,
                   reverb_sample_rate if reverb else None,
                   dataset_path if reads_data else None)
  if inference_model.startswith('vst_') and not is_saved_model:
    inference.parse_operative_config(model_path)
    vst_contract.require_vst_config(model_path, inference_model)
  with output_paths.new_folders_removed(save_dir):
    return _write_export(model_path, save_dir, name, inference_model,
                         gin_params, debug, tfjs, tflite,
                         reads_data, dataset_path,
                         reverb and not is_saved_model, reverb_sample_rate,
                         is_saved_model)


def _check_arguments(model_path: str, save_dir: str,
                     gin_params: Sequence[str],
                     reverb_sample_rate: Optional[int],
                     dataset_path: Optional[str]) -> None:
  """Refuses, before any work, arguments an export cannot use."""
  if reverb_sample_rate is not None and not reverb_sample_rate > 0:
    raise errors.BadValueError(
        f'reverb_sample_rate must be > 0, got {reverb_sample_rate} (e.g. '
        '--reverb_sample_rate=44100).')
  gin_setup.check_gin_names([], gin_params)
  output_paths.check_folder(save_dir, 'save_dir')
  if dataset_path is not None:
    get_data_provider(dataset_path, model_path).check_layout()


def _write_export(model_path, save_dir, name, inference_model, gin_params,
                  debug, tfjs, tflite, metadata, dataset_path, reverb,
                  reverb_sample_rate, is_saved_model) -> str:
  """The steps of `export`, once its arguments are checked."""
  meta = None
  if metadata:  # First: it fails on bad data.
    meta = run_metadata(model_path, dataset_path)
  tf.io.gfile.makedirs(save_dir)

  if reverb:
    export_impulse_response(model_path, save_dir, reverb_sample_rate)

  metadata_path = None
  if meta is not None:
    metadata_path = os.path.join(save_dir, 'metadata.json')
    atomic_files.write_bytes(metadata_path, json.dumps(meta).encode())

  if not is_saved_model:
    ckpt_to_saved_model(model_path, save_dir, inference_model, gin_params,
                        debug)
  if debug:
    return save_dir
  if tfjs:
    saved_model_to_tfjs(save_dir)
  if tflite:
    path = saved_model_to_tflite(save_dir, name, metadata_path)
    if inference_model == vst_contract.CONTROL_MODEL:
      require_contract(path)
  return save_dir


class ModelPathError(errors.MissingPathError):
  """`model_path` names nothing that can be exported."""


def check_model_path(model_path: str) -> None:
  """Fails clearly unless `model_path` holds a checkpoint and its config.

  Args:
    model_path: A training run folder or a checkpoint prefix.

  Raises:
    ModelPathError: Empty, missing, or without checkpoint or
      operative_config-*.gin; the message says what to pass instead.
  """
  what = ('a training run folder (holding ckpt-<N> and '
          'operative_config-<N>.gin), a checkpoint prefix (.../ckpt-<N>) or '
          'a SavedModel folder')
  if not model_path:
    raise ModelPathError(f'No model given: pass --model_path=<{what}>.')
  if not (tf.io.gfile.exists(model_path) or
          tf.io.gfile.exists(model_path + '.index')):
    raise ModelPathError(f'--model_path {model_path} does not exist: pass '
                         f'{what}.')
  try:
    train_util.get_latest_checkpoint(model_path)
    train_util.get_latest_operative_config(model_path)
  except FileNotFoundError as e:
    raise ModelPathError(f'--model_path {model_path} is not a trained model '
                         f'({e}): pass {what}.') from None


def report_contract(tflite_path: str) -> List[str]:
  """Prints whether the DDSP-VST plugin accepts a .tflite; the violations."""
  problems = vst_contract.check_tflite(tflite_path)
  if problems:
    print(f'{tflite_path} breaks the DDSP-VST contract:')
    for problem in problems:
      print(f'  - {problem}')
  else:
    print(f'{tflite_path} meets the DDSP-VST contract.')
  return problems


def require_contract(tflite_path: str) -> None:
  """`report_contract`, then VSTExportError if the plugin refuses the file."""
  problems = report_contract(tflite_path)
  if problems:
    more = f' (and {len(problems) - 1} more, listed above)' if len(
        problems) > 1 else ''
    raise VSTExportError(
        f'{tflite_path} breaks the DDSP-VST contract: {problems[0]}{more}; '
        'the plugin will not load it.')
