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

"""A DDSP-VST `.tflite` control model played as an instrument.

`VstInstrument` offers what timbre transfer and MIDI rendering ask of a
player (`blocks.Player`): the plugin's rates (16 kHz, 320-sample hops, 50
frames/s), power in dB as the plugin computes it (1024-sample frames,
centred), statistics for the auto-adjust and the MIDI range, and
`synthesize_blocks`, which runs the plugin's loop (`vst_runloop`) block by
block: the GRU state, the oscillator phase and the noise tail carry from
block to block, so the blocks sound as one run.

The statistics come from the metadata packed in the file
(`vst_contract.read_metadata`), mapped onto the keys of a checkpoint's
dataset statistics (`metadata_statistics`).
"""

import os
from typing import Any, Dict, Iterator, Optional

from ddsp import errors
from ddsp.training import inference
from ddsp.training.playback import blocks
from ddsp.training.playback import vst_contract
from ddsp.training.playback import vst_runloop
import numpy as np

DEFAULT_BLOCK_SECONDS = 4.0


def _hz_to_midi(hz: float) -> float:
  return 69.0 + 12.0 * float(np.log2(hz / 440.0))


def metadata_statistics(metadata: Dict[str, Any]) -> Dict[str, float]:
  """Dataset statistics (postprocessing's keys) of a VST model's metadata.

  The metadata holds the mean lowest and highest note pitch (Hz) and note
  power (dB) of the training data. They become `mean_min_pitch_note`,
  `mean_max_pitch_note` (MIDI), `mean_min_power_note`,
  `mean_max_power_note`; `mean_pitch` is the middle of the note range in
  MIDI (the metadata has no mean), and `min_power` the plugin's floor
  (-80 dB, silence).

  Raises:
    vst_contract.VSTExportError: a key is missing or a range is reversed.
  """
  problems = [p for p in vst_contract.metadata_problems(metadata)
              if 'version' not in p and 'export_time' not in p]
  if problems:
    raise vst_contract.VSTExportError('; '.join(problems))
  lo = _hz_to_midi(float(metadata['mean_min_pitch_note_hz']))
  hi = _hz_to_midi(float(metadata['mean_max_pitch_note_hz']))
  return {
      'mean_pitch': (lo + hi) / 2.0,
      'mean_min_pitch_note': lo,
      'mean_max_pitch_note': hi,
      'mean_min_power_note': float(metadata['mean_min_power_note']),
      'mean_max_power_note': float(metadata['mean_max_power_note']),
      'min_power': -vst_runloop.DB_RANGE,
  }


def read_statistics(tflite_path: str) -> Optional[Dict[str, float]]:
  """Statistics of a .tflite's packed metadata (None when it has none)."""
  with open(tflite_path, 'rb') as f:
    model_bytes = f.read()
  try:
    metadata = vst_contract.read_metadata(model_bytes)
  except vst_contract.VSTExportError:
    return None
  return metadata_statistics(metadata)


def check_flatbuffer(path: str) -> None:
  """Refuses a file whose flatbuffer header points outside it.

  TFLite's interpreter does not verify a model before reading it and can
  crash the process on a damaged one; this catches files cut short or not
  TFLite at all (the root table offset, the first 4 bytes, little-endian,
  must fall inside the file).

  Raises:
    vst_contract.VSTExportError: naming the file.
  """
  size = os.path.getsize(path)
  with open(path, 'rb') as f:
    head = f.read(8)
  root = int.from_bytes(head[:4], 'little') if len(head) == 8 else size
  if root + 4 > size:
    raise vst_contract.VSTExportError(
        f'{path} is not a whole TFLite model ({size} bytes, damaged or cut '
        'short): export it again or download it again.')


class VstInstrument:
  """A DDSP-VST control model with the plugin's synthesis, in blocks.

  Attributes:
    sample_rate, hop_size, frame_rate: The plugin's rates.
    db_key: 'power_db': the model is fed power in dB.
    power_feature: How the plugin computes power (1024 samples, centred).
    crop_samples, extra_frames: 0: one hop of audio per frame.
    statistics: Of the metadata (`metadata_statistics`), or None.
    block_seconds: Audio synthesised per block.
  """
  sample_rate = vst_contract.SAMPLE_RATE
  hop_size = vst_contract.HOP_SIZE
  frame_rate = float(vst_contract.FRAME_RATE)
  db_key = 'power_db'
  power_feature = inference.PowerFeature(vst_contract.FRAME_SIZE, 'center')
  crop_samples = 0
  extra_frames = 0

  def __init__(self, tflite_path: str,
               block_seconds: float = DEFAULT_BLOCK_SECONDS,
               noise_seed: Optional[int] = None):
    """Loads the control model.

    Args:
      tflite_path: A .tflite meeting the plugin's contract.
      block_seconds: Length of a block.
      noise_seed: Seed of the filtered noise (None: fresh noise).

    Raises:
      vst_contract.VSTExportError: the file is not a control model the
        plugin would load.
    """
    check_flatbuffer(tflite_path)
    try:
      self.model = vst_runloop.PluginControlModel(tflite_path)
    except ValueError as e:  # Not a TFLite flatbuffer.
      raise vst_contract.VSTExportError(
          f'TFLite cannot load {tflite_path}: {e}') from e
    details = self.model.interpreter
    problems = (
        vst_contract.tensor_problems(details.get_input_details(),
                                     vst_contract.INPUTS, 'input') +
        vst_contract.tensor_problems(details.get_output_details(),
                                     vst_contract.OUTPUTS, 'output'))
    if problems:
      raise vst_contract.VSTExportError(
          f'{tflite_path} is not a DDSP-VST control model: '
          f'{"; ".join(problems)}.')
    self.path = tflite_path
    self.gin_file = tflite_path  # Named in messages about the model.
    self.preprocessor_type = 'OnlineF0PowerPreprocessor'
    self.block_seconds = block_seconds
    self.statistics = read_statistics(tflite_path)
    seed = (np.random.SeedSequence().entropy % 2**32 if noise_seed is None
            else noise_seed)
    self.seed = int(seed)
    self.synthesizer = vst_runloop.HopSynthesizer(
        self.sample_rate, self.hop_size, seed=self.seed)

  @property
  def block_frames(self) -> int:
    return blocks.block_frames(self.block_seconds, self.frame_rate)

  def reset(self) -> None:
    """GRU state, phase and noise back to the start of a stream."""
    self.model.reset()
    self.synthesizer.reset()

  def process(self, f0_hz: np.ndarray, power_db: np.ndarray) -> np.ndarray:
    """One block, carrying on from the previous one: audio float32
    `[n_frames * hop_size]`."""
    _, audio = vst_runloop.play_frames(self.model, self.synthesizer,
                                       f0_hz, power_db)
    return audio.astype(np.float32)

  def voices(self, n_voices: int,
             batched: bool = True) -> blocks.VoiceStream:
    """A fresh stream of voices (`blocks.Player`): the plugin's model runs
    one frame of one voice at a time, so each voice is its own instrument
    (`batched` does not apply)."""
    del batched
    players = [VstInstrument(self.path, self.block_seconds,
                             (self.seed + v) % 2**32)
               for v in range(n_voices)]
    return blocks.one_by_one(
        [(p.process, lambda: np.zeros([0], np.float32)) for p in players],
        self.block_frames)

  def synthesize_blocks(self, f0_hz: np.ndarray,
                        power_db: np.ndarray) -> Iterator[np.ndarray]:
    """Audio of a whole feature track, block by block, from a reset."""
    if not (np.all(np.isfinite(f0_hz)) and np.all(np.isfinite(power_db))):
      raise errors.BadValueError('f0 and power must be finite numbers.')
    self.reset()
    for start in range(0, len(f0_hz), self.block_frames):
      yield self.process(f0_hz[start:start + self.block_frames],
                         power_db[start:start + self.block_frames])
