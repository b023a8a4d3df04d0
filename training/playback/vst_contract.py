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

"""What the DDSP-VST plugin accepts as a control model, and its checks.

The plugin (magenta/ddsp-vst) loads the user's `.tflite` control model and
looks its tensors up by name; it reads `metadata.json` from the same bytes
opened as a ZIP archive. This module holds that contract as constants, packs
and reads the metadata without `tflite-support` (same layout: one stored
`metadata.json` entry in a ZIP appended after the flatbuffer), lists the
violations of any `.tflite` (`check_tflite`), and the problems of a training
config that cannot give a plugin model (`config_problems`).
"""

import io
import json
import math
import os
import time
from typing import Any, Dict, List, NamedTuple, Sequence
import zipfile

from ddsp import errors
import gin
import numpy as np
import tensorflow as tf

# Rates of the plugin's model: 16 kHz audio, 1024-sample frames, one control
# call per 320-sample hop (50 frames/s, 20 ms).
SAMPLE_RATE = 16000
FRAME_SIZE = 1024
HOP_SIZE = 320
FRAME_RATE = SAMPLE_RATE // HOP_SIZE
STATE_SIZE = 512
N_HARMONICS = 60
N_NOISE = 65
# The plugin's total latency budget (ms) that one frame's work must fit in.
LATENCY_BUDGET_MS = 64.0

# The inference model `ddsp_export` converts for the plugin.
CONTROL_MODEL = 'vst_stateless_predict_controls'
# SavedModel signature whose name prefixes the TFLite input names.
SIGNATURE = 'call'
METADATA_NAME = 'metadata.json'
# Keys the plugin's control model reader uses.
METADATA_KEYS = ('mean_min_pitch_note_hz', 'mean_max_pitch_note_hz',
                 'mean_min_power_note', 'mean_max_power_note', 'version',
                 'export_time')

RECIPE = (
    'ddsp_prepare_tfrecord --frame_rate=50 --center=True ...; then '
    'ddsp_run --gin_file=models/vst/vst.gin --gin_file=datasets/tfrecord.gin '
    '--gin_param=TFRecordProvider.centered=True '
    '--gin_param=TFRecordProvider.frame_rate=50 ...; then ddsp_export '
    f'--inference_model={CONTROL_MODEL} --tflite '
    '(see README, "Make a DDSP-VST model")')


class Tensor(NamedTuple):
  """One tensor of the contract: name, float32 shape [size], meaning."""
  name: str
  size: int
  role: str


# In the order of the model's arguments and return values. TFLite names the
# inputs <signature>_<argument>:0 and, for a function that reads variables
# (any trained model), the outputs StatefulPartitionedCall:<return index>.
INPUTS = (
    Tensor(f'{SIGNATURE}_f0_scaled:0', 1, 'f0 scaled, MIDI / 127'),
    Tensor(f'{SIGNATURE}_pw_scaled:0', 1, 'power scaled, dB / 80 + 1'),
    Tensor(f'{SIGNATURE}_state:0', STATE_SIZE, 'GRU state'),
)
OUTPUTS = (
    Tensor('StatefulPartitionedCall:0', 1, 'amplitude'),
    Tensor('StatefulPartitionedCall:1', N_HARMONICS,
           'harmonic distribution'),
    Tensor('StatefulPartitionedCall:2', N_NOISE, 'noise magnitudes'),
    Tensor('StatefulPartitionedCall:3', STATE_SIZE, 'next GRU state'),
)


class VSTExportError(errors.UserError, ValueError):
  """A model, a dataset or a file that cannot make a DDSP-VST model."""


# ------------------------------------------------------------------------------
# Metadata packed in the .tflite.
# ------------------------------------------------------------------------------
def append_metadata(model_bytes: bytes, metadata: Dict[str, Any]) -> bytes:
  """The model bytes followed by a ZIP holding `metadata.json` (stored).

  The flatbuffer bytes stay as they are, so TFLite still loads them; a ZIP
  reader finds the central directory at the end, with offsets counted from
  the start of the file (as `tflite-support` writes them).

  Args:
    model_bytes: A converted TFLite model without packed metadata.
    metadata: JSON-serialisable dict (see `METADATA_KEYS`).

  Returns:
    The bytes of the model with its metadata.
  """
  if _zip_of(model_bytes) is not None:
    raise VSTExportError(
        'the model already holds packed metadata: convert it again before '
        'packing new metadata.')
  entry = zipfile.ZipInfo(METADATA_NAME, time.localtime()[:6])
  entry.compress_type = zipfile.ZIP_STORED
  entry.external_attr = 0o600 << 16  # -rw-------, as tflite-support writes.
  buffer = io.BytesIO(model_bytes)
  buffer.seek(0, io.SEEK_END)
  with zipfile.ZipFile(buffer, 'a') as archive:
    archive.writestr(entry, json.dumps(metadata))
  return buffer.getvalue()


def _zip_of(model_bytes: bytes):
  """The ZIP archive found in the bytes, or None."""
  try:
    return zipfile.ZipFile(io.BytesIO(model_bytes))
  except zipfile.BadZipFile:
    return None


def read_metadata(model_bytes: bytes) -> Dict[str, Any]:
  """`metadata.json` of a .tflite's bytes, read as the plugin does (ZIP).

  Raises:
    VSTExportError: No ZIP, no `metadata.json` in it, or invalid JSON.
  """
  archive = _zip_of(model_bytes)
  if archive is None:
    raise VSTExportError('no metadata: the file is not also a ZIP archive '
                         f'holding {METADATA_NAME}')
  if METADATA_NAME not in archive.namelist():
    raise VSTExportError(f'the packed ZIP has no {METADATA_NAME} (entries: '
                         f'{archive.namelist()})')
  try:
    return json.loads(archive.read(METADATA_NAME))
  except ValueError as e:
    raise VSTExportError(f'{METADATA_NAME} is not valid JSON: {e}') from e


def metadata_problems(metadata: Dict[str, Any]) -> List[str]:
  """What the plugin would find wrong in a metadata dict (empty if none)."""
  problems = [f'metadata lacks the key {key!r}' for key in METADATA_KEYS
              if key not in metadata]
  for low, high in (('mean_min_pitch_note_hz', 'mean_max_pitch_note_hz'),
                    ('mean_min_power_note', 'mean_max_power_note')):
    values = [metadata.get(low), metadata.get(high)]
    if any(v is None for v in values):
      continue
    if not all(isinstance(v, (int, float)) and math.isfinite(v)
               for v in values):
      problems.append(f'metadata {low} / {high} are not finite numbers: '
                      f'{values}')
    elif values[0] > values[1]:
      problems.append(f'metadata {low} = {values[0]} is above {high} = '
                      f'{values[1]}')
  for key in ('version', 'export_time'):
    if key in metadata and not isinstance(metadata[key], str):
      problems.append(f'metadata {key} is not a string: {metadata[key]!r}')
  return problems


# ------------------------------------------------------------------------------
# Tensors of the .tflite.
# ------------------------------------------------------------------------------
def tensor_problems(details: Sequence[Dict[str, Any]],
                    expected: Sequence[Tensor],
                    kind: str) -> List[str]:
  """Names, shapes and dtypes of interpreter tensor details vs. `expected`.

  Args:
    details: `tf.lite.Interpreter.get_input_details()` (or output).
    expected: The contract's tensors.
    kind: 'input' or 'output', for the messages.

  Returns:
    One message per violation.
  """
  found = {d['name']: d for d in details}
  problems = []
  for tensor in expected:
    detail = found.get(tensor.name)
    if detail is None:
      problems.append(f'{kind} {tensor.name} ({tensor.role}) is missing')
      continue
    shape = [int(s) for s in detail['shape']]
    if shape != [tensor.size]:
      problems.append(f'{kind} {tensor.name} ({tensor.role}) has shape '
                      f'{shape}, expected [{tensor.size}]')
    if np.dtype(detail['dtype']) != np.float32:
      problems.append(f'{kind} {tensor.name} ({tensor.role}) has dtype '
                      f'{np.dtype(detail["dtype"]).name}, expected float32')
  names = {t.name for t in expected}
  for name in found:
    if name not in names:
      problems.append(f'{kind} {name} is not a name the plugin knows '
                      f'(expected {sorted(names)})')
  return problems


def check_tflite(path: str) -> List[str]:
  """Every way the .tflite at `path` breaks the plugin's contract.

  Checks the input and output names, shapes [size] and dtypes (float32) of
  `INPUTS` / `OUTPUTS`, and the packed `metadata.json` (`METADATA_KEYS`).

  Args:
    path: A .tflite file.

  Returns:
    Messages, one per violation; empty when the plugin accepts the file.
  """
  if not os.path.isfile(path):
    return [f'{path} is not a file: give the path of a .tflite model']
  with open(path, 'rb') as f:
    model_bytes = f.read()
  if not model_bytes:
    return [f'{path} is empty (0 bytes): give the path of a .tflite model']
  try:
    interpreter = tf.lite.Interpreter(model_content=model_bytes)
  except ValueError as e:
    return [f'TFLite cannot load the file: {e}']
  problems = tensor_problems(interpreter.get_input_details(), INPUTS,
                             'input')
  problems += tensor_problems(interpreter.get_output_details(), OUTPUTS,
                              'output')
  try:
    problems += metadata_problems(read_metadata(model_bytes))
  except VSTExportError as e:
    problems.append(str(e))
  return problems


# ------------------------------------------------------------------------------
# Training configs.
# ------------------------------------------------------------------------------
def bound_parameter(name: str, default: Any = None) -> Any:
  """A gin parameter or macro of the parsed config, `default` if unbound."""
  try:
    return gin.query_parameter(name)
  except ValueError:
    return default


def _reference_name(name: str) -> str:
  """Last component of a gin reference parameter ('' if unbound)."""
  ref = bound_parameter(name)
  return ref.selector.split('.')[-1] if ref is not None else ''


def config_problems(control_model: bool) -> List[str]:
  """Why the parsed operative config cannot give a DDSP-VST model.

  The VST configs (models/vst/*.gin) define the macros frame_rate,
  frame_size, sample_rate, an OnlineF0PowerPreprocessor and an RnnFcDecoder.
  The plugin's control model also needs the contract's sizes.

  Args:
    control_model: Also check the sizes of the plugin's control model.

  Returns:
    One message per problem; empty for a usable config.
  """
  problems = []
  macros = {m: bound_parameter(f'%{m}')
            for m in ('frame_rate', 'frame_size', 'sample_rate')}
  missing = [m for m, v in macros.items() if v is None]
  if missing:
    problems.append(f'the gin macros {missing} are not defined')
  preprocessor = _reference_name('Autoencoder.preprocessor')
  if preprocessor != 'OnlineF0PowerPreprocessor':
    problems.append(f'the preprocessor is {preprocessor or None}, not '
                    'OnlineF0PowerPreprocessor')
  decoder = _reference_name('Autoencoder.decoder')
  if decoder != 'RnnFcDecoder':
    problems.append(f'the decoder is {decoder or None}, not RnnFcDecoder')
  if problems:
    return problems
  data_rate = bound_parameter('TFRecordProvider.frame_rate')
  if data_rate is not None and data_rate != macros['frame_rate']:
    problems.append(f'the data is at {data_rate} frames/s, the model at '
                    f'{macros["frame_rate"]}')
  if not control_model:
    return problems
  splits = dict(bound_parameter('RnnFcDecoder.output_splits', ()))
  sizes = (('frame_rate', macros['frame_rate'], FRAME_RATE),
           ('frame_size', macros['frame_size'], FRAME_SIZE),
           ('RnnFcDecoder.rnn_channels',
            bound_parameter('RnnFcDecoder.rnn_channels'), STATE_SIZE),
           ('harmonic_distribution size', splits.get('harmonic_distribution'),
            N_HARMONICS),
           ('noise_magnitudes size', splits.get('noise_magnitudes'),
            N_NOISE))
  for name, value, expected in sizes:
    if value != expected:
      problems.append(f'{name} is {value}, the plugin needs {expected}')
  return problems


def require_vst_config(model_path: str, inference_model: str) -> None:
  """Raises a clear error unless the parsed config suits `inference_model`.

  Args:
    model_path: The run being exported (for the message).
    inference_model: A `vst_*` key of `export.INFERENCE_MODELS` (or a VST
      module's class name); `CONTROL_MODEL` also checks the contract sizes.

  Raises:
    VSTExportError: naming each problem and the recipe to follow.
  """
  problems = config_problems(inference_model == CONTROL_MODEL)
  if problems:
    raise VSTExportError(
        f'Cannot make {inference_model} from {model_path}: it was not '
        f'trained with a DDSP-VST config ({"; ".join(problems)}). Train a '
        f'model for the plugin with models/vst/vst.gin: {RECIPE}.')
