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

"""The files of a trained model, and loading one as an instrument.

A model folder holds an operative_config-*.gin, a ckpt-<N> checkpoint and,
optionally, the dataset_statistics.pkl of its training data (what the
timbre-transfer notebook downloads or uploads). A zip is unpacked first; the
folder used is the first one, top-down, that holds a gin file.

`load_instrument` is the one place a model is taken by name or path:

  player = load_instrument('violin')          # Magenta's, downloaded once
  player = load_instrument('vst:Flute')       # a DDSP-VST model
  player = load_instrument('run/ckpt-300')    # a folder, prefix or zip
  player = load_instrument('my.tflite')       # a DDSP-VST .tflite
"""

import dataclasses
import os
import tempfile
from typing import Any, Dict, Optional, Union
import zipfile

from ddsp import errors
from ddsp.training import checkpoints
from ddsp.training import inference
from ddsp.training import postprocessing
from ddsp.training.playback import blocks
from ddsp.training.playback import catalogue
from ddsp.training.playback import downloads
from ddsp.training.playback import vst_instrument
import gin

STATISTICS_FILE = postprocessing.STATISTICS_FILE


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


# The file identifier of a TFLite flatbuffer, at bytes 4..8.
_TFLITE_IDENTIFIER = b'TFL3'


def is_tflite(path: str) -> bool:
  """Whether `path` is a TFLite model file (whatever its name)."""
  if not os.path.isfile(path):
    return False
  with open(path, 'rb') as f:
    return f.read(8)[4:] == _TFLITE_IDENTIFIER


def _looks_like_a_path(name_or_path: str) -> bool:
  return (os.sep in name_or_path or '/' in name_or_path or
          name_or_path.startswith(('.', '~')) or
          name_or_path.endswith(('.zip', '.tflite')))


def locate_instrument(name_or_path: str, cache_dir: Optional[str] = None,
                      progress: bool = True) -> str:
  """The local path of a model given by name or path.

  An existing file, folder or checkpoint prefix is itself; anything else
  that is not path-like is a catalogue name, downloaded on first use
  (`downloads.fetch`).

  Args:
    name_or_path: A catalogue name, or a model folder, checkpoint prefix,
      zip or .tflite.
    cache_dir: The cache of downloads (default: $DDSP_CACHE).
    progress: Show the progress of a download.

  Returns:
    A model folder, checkpoint prefix, zip or .tflite.

  Raises:
    errors.MissingPathError: a path-like argument names nothing.
    catalogue.UnknownInstrumentError: no such name, and no such file.
  """
  path = os.path.expanduser(name_or_path)
  if os.path.exists(path) or _checkpoint_prefix(path):
    return path
  if not name_or_path.strip() or _looks_like_a_path(name_or_path):
    raise errors.MissingPathError(
        f'Model {name_or_path!r} does not exist: give a model folder, a '
        'checkpoint prefix, a zip or a .tflite, or an instrument name '
        f'({", ".join(catalogue.names()[:5])}, vst:..., see '
        '`ddsp_instruments`).')
  try:
    instrument = catalogue.resolve(name_or_path)
  except catalogue.UnknownInstrumentError as e:
    raise catalogue.UnknownInstrumentError(
        f'{e} Nor is there a file or folder {name_or_path!r}.') from e
  return downloads.fetch(instrument, cache_dir, progress)


Instrument = Union[blocks.BlockSynthesizer, vst_instrument.VstInstrument]


def load_instrument(name_or_path: str,
                    block_seconds: float = 4.0,
                    preroll_seconds: float = 1.0,
                    crossfade_seconds: float = 0.05,
                    noise_seed: Optional[int] = None,
                    cache_dir: Optional[str] = None,
                    progress: bool = True) -> Instrument:
  """An instrument (`blocks.Player`) from a name, folder, zip or .tflite.

  A name is downloaded first (`locate_instrument`). A DDSP-VST .tflite
  plays with the plugin's loop (`vst_instrument.VstInstrument`, statistics
  from its metadata); a checkpoint folder, prefix or zip with the streaming
  engine (`blocks.BlockSynthesizer`, statistics from its
  dataset_statistics.pkl).

  Args:
    name_or_path: See `locate_instrument`.
    block_seconds: Length of a synthesised block.
    preroll_seconds: Context before each block (checkpoints whose layers
      the streaming engine does not support).
    crossfade_seconds: Overlap of blocks (same).
    noise_seed: Seed of the filtered noise (None: fresh noise).
    cache_dir: The cache of downloads (default: $DDSP_CACHE).
    progress: Show the progress of a download.

  Returns:
    The instrument; its `statistics` are None when the model has none.
  """
  path = locate_instrument(name_or_path, cache_dir, progress)
  if is_tflite(path):
    return vst_instrument.VstInstrument(path, block_seconds, noise_seed)
  files = find_model_dir(path)
  return blocks.BlockSynthesizer(files.ckpt, block_seconds, preroll_seconds,
                                 crossfade_seconds, noise_seed,
                                 statistics=load_statistics(files))
