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

"""The files of a trained model: folder, checkpoint prefix or zip of one.

A model folder holds an operative_config-*.gin, a ckpt-<N> checkpoint and,
optionally, the dataset_statistics.pkl of its training data (what the
timbre-transfer notebook downloads or uploads). A zip is unpacked first; the
folder used is the first one, top-down, that holds a gin file.
"""

import dataclasses
import os
import tempfile
from typing import Any, Dict, Optional
import zipfile

from ddsp import errors
from ddsp.training import checkpoints
from ddsp.training import inference
from ddsp.training import postprocessing
import gin

STATISTICS_FILE = 'dataset_statistics.pkl'


@dataclasses.dataclass
class ModelFiles:
  """Files of a model folder."""
  model_dir: str
  gin_file: str
  ckpt: str
  statistics_file: str  # '' when absent.


def _unzip(path: str, extract_dir: Optional[str]) -> str:
  """Unpacks a zip into `extract_dir` (default: a temporary folder)."""
  extract_dir = extract_dir or tempfile.mkdtemp(prefix='ddsp_model_')
  with zipfile.ZipFile(path) as z:
    z.extractall(extract_dir)
  return extract_dir


def _folder_to_search(checkpoint_dir_or_zip: str,
                      extract_dir: Optional[str]) -> str:
  """The folder a folder, checkpoint prefix or zip file stands for."""
  path = os.path.expanduser(checkpoint_dir_or_zip)
  if os.path.isfile(path) and zipfile.is_zipfile(path):
    return _unzip(path, extract_dir)
  if os.path.isdir(path):
    return path
  if _checkpoint_prefix(path):
    return os.path.dirname(path) or '.'
  raise errors.MissingPathError(
      f'Model {checkpoint_dir_or_zip} is neither a folder, a checkpoint '
      'prefix nor a zip file: give the folder of a trained model (or a zip '
      'of one).')


def _first_folder_with_gin(path: str) -> str:
  for root, dirs, files in os.walk(path):
    dirs.sort()
    if any(f.endswith('.gin') for f in files):
      return root
  raise errors.MissingPathError(
      f'No operative_config-*.gin in {path}: give the folder of a trained '
      'model (or a zip of one).')


def find_model_dir(checkpoint_dir_or_zip: str,
                   extract_dir: Optional[str] = None) -> ModelFiles:
  """Resolves a model folder (or a zip of one) to its files.

  Args:
    checkpoint_dir_or_zip: Folder, checkpoint prefix or .zip file.
    extract_dir: Where to unpack a zip (default: a temporary folder).

  Returns:
    ModelFiles.

  Raises:
    FileNotFoundError: no such file, or no gin file or checkpoint in it.
  """
  folder = _folder_to_search(checkpoint_dir_or_zip, extract_dir)
  model_dir = _first_folder_with_gin(folder)
  stats = os.path.join(model_dir, STATISTICS_FILE)
  return ModelFiles(model_dir=model_dir,
                    gin_file=checkpoints.get_latest_operative_config(model_dir),
                    ckpt=(_checkpoint_prefix(checkpoint_dir_or_zip) or
                          checkpoints.get_latest_checkpoint(model_dir)),
                    statistics_file=stats if os.path.exists(stats) else '')


def _checkpoint_prefix(path: str) -> Optional[str]:
  """`path` when it names one checkpoint (`<folder>/ckpt-N`), else None."""
  path = os.path.expanduser(path)
  if not os.path.isdir(path) and os.path.exists(path + '.index'):
    return path
  return None


def load_statistics(model_files: ModelFiles) -> Optional[Dict[str, Any]]:
  """Dataset statistics of a model folder (None when absent)."""
  if not model_files.statistics_file:
    return None
  return postprocessing.load_dataset_statistics(model_files.statistics_file)


@dataclasses.dataclass
class ModelInfo:
  """Rates of a model, read from its operative config."""
  sample_rate: int
  hop_size: int  # Samples per frame at sample_rate.
  frame_rate: float
  preprocessor: str  # e.g. 'F0LoudnessPreprocessor'.


def read_model_info(gin_file: str) -> ModelInfo:
  """Parses an operative config and reads the model's rates.

  For code that builds a model itself (the timbre-transfer notebook);
  `inference.AutoencoderInference` reads the same rates when it loads one.

  Args:
    gin_file: Operative config of the model.

  Returns:
    ModelInfo.

  Raises:
    ValueError: the model's preprocessor takes neither loudness nor power,
      or its frames are not whole samples apart.
  """
  with gin.unlock_config():
    gin.parse_config_file(gin_file, skip_unknown=True)
  rates = inference.model_rates(gin_file)
  return ModelInfo(sample_rate=int(rates.sample_rate),
                   hop_size=int(rates.hop_size),
                   frame_rate=rates.frame_rate,
                   preprocessor=rates.preprocessor_type)
