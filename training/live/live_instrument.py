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

"""A loaded instrument made ready to play live: fixed blocks, warmed up.

* A DDSP-VST `.tflite` (`vst_instrument.VstInstrument`) plays one frame
  (20 ms) per block with the plugin's loop: no lag.
* A checkpoint plays through its own `streaming.StreamingSynthesizer`
  compiled with XLA for the one block length used live (2-3x faster than
  traced TensorFlow); the engine lags one frame (it renders the samples
  between two frames once both are known).

Each is run a few blocks before playing, so that compiling and first-call
costs are paid before the first sound, and the time a block takes is
measured (`block_seconds`): the runner's safety margin follows from it.
"""

import time
from typing import Optional, Union

from ddsp import errors
from ddsp.training.playback import blocks
from ddsp.training.playback import loading
from ddsp.training.playback import streaming
from ddsp.training.playback import vst_instrument
import numpy as np

WARMUP_BLOCKS = 12
BLOCK_MS = 20.0


class NotPlayableLiveError(errors.UserError):
  """The model cannot be synthesised block by block with carried state."""


class LiveInstrument:
  """Synthesises fixed blocks of frames of a player, state carried.

  Attributes:
    player: The loaded instrument (`loading.load_instrument`).
    block_frames: Frames per block.
    lag_frames: Frames the output lags the input frames by.
    block_seconds: Median time one block took in the warm-up.
  """

  def __init__(self, player: Union[blocks.BlockSynthesizer,
                                   vst_instrument.VstInstrument],
               block_ms: float = BLOCK_MS, jit_compile: bool = True):
    """Prepares the player.

    Args:
      player: A `BlockSynthesizer` or a `VstInstrument`.
      block_ms: Milliseconds of frames per block (at least one frame).
      jit_compile: Compile a checkpoint's decoder with XLA.

    Raises:
      NotPlayableLiveError: a checkpoint the streaming engine cannot carry.
    """
    self.player = player
    self.sample_rate = int(player.sample_rate)
    self.frame_rate = float(player.frame_rate)
    self.hop_size = int(player.hop_size)
    self.block_frames = max(1, int(round(block_ms / 1000.0 *
                                         self.frame_rate)))
    if isinstance(player, vst_instrument.VstInstrument):
      self._engine = None
      self.lag_frames = 0
    else:
      if player.engine is None:
        raise NotPlayableLiveError(
            f'{player.gin_file}: this model cannot be played live (its '
            f'layers are not ones the streaming engine carries from block '
            f'to block: {streaming.unsupported_reason(player)}). Render it '
            'offline with ddsp_timbre_transfer or ddsp_synthesize_midi.')
      self._engine = streaming.StreamingSynthesizer(player,
                                                    jit_compile=jit_compile)
      self.lag_frames = 1
    self.block_seconds = self._warm_up()

  @property
  def name(self) -> str:
    return getattr(self.player, 'path', None) or self.player.gin_file

  def process(self, f0_hz: np.ndarray, db: np.ndarray) -> np.ndarray:
    """Audio float32 [~n * hop_size] of the next n frames."""
    if self._engine is None:
      return self.player.process(f0_hz, db)
    return self._engine.process(f0_hz, db)['audio']

  def reset(self) -> None:
    if self._engine is None:
      self.player.reset()
    else:
      self._engine.reset()

  def _warm_up(self) -> float:
    """Runs WARMUP_BLOCKS blocks of a quiet note; median seconds a block."""
    f0 = np.full([self.block_frames], 220.0, np.float32)
    db = np.full([self.block_frames], -60.0, np.float32)
    times = []
    for _ in range(WARMUP_BLOCKS):
      t = time.perf_counter()
      self.process(f0, db)
      times.append(time.perf_counter() - t)
    self.reset()
    return float(np.median(times[WARMUP_BLOCKS // 2:]))


def load(model: str, block_ms: float = BLOCK_MS,
         jit_compile: bool = True, progress: bool = True,
         noise_seed: Optional[int] = None) -> LiveInstrument:
  """`loading.load_instrument(model)` made ready to play live."""
  player = loading.load_instrument(model, noise_seed=noise_seed,
                                   progress=progress)
  return LiveInstrument(player, block_ms, jit_compile)
