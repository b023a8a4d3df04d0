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

"""Synthesis of a feature track of any length, block by block.

The model synthesises a fixed number of frames per call, so memory does not
grow with the input. Block j covers frames [j*B, (j+1)*B); the model also
sees `preroll` frames before it (RNN warm-up, reverb tail) and `crossfade`
frames after it, which are crossfaded linearly into the next block.
"""

from typing import Iterator, NamedTuple

from ddsp.training import inference
import numpy as np

# Loudness of the frames padded around the features (silence).
SILENCE_DB = -80.0


class BlockPlan(NamedTuple):
  """Frames of a block, of its pre-roll and of its crossfade."""
  block: int
  preroll: int
  crossfade: int

  @property
  def n_frames(self) -> int:
    """Frames the model synthesises per call."""
    return self.preroll + self.block + self.crossfade

  @classmethod
  def from_seconds(cls, frame_rate: float, block_seconds: float,
                   preroll_seconds: float,
                   crossfade_seconds: float) -> 'BlockPlan':
    return cls(block=int(block_seconds * frame_rate),
               preroll=int(preroll_seconds * frame_rate),
               crossfade=int(crossfade_seconds * frame_rate))


class BlockSynthesizer(inference.AutoencoderInference):
  """A trained autoencoder (with its reverb) resized to one block plan.

  The checkpoint's operative config is parsed once, when the model is
  built; the lengths in frames follow from the model's frame rate.
  """

  def __init__(self,
               ckpt: str,
               block_seconds: float = 4.0,
               preroll_seconds: float = 1.0,
               crossfade_seconds: float = 0.05):
    """Builds and restores the model.

    Args:
      ckpt: Checkpoint prefix or folder (with its operative config).
      block_seconds: Length of a block.
      preroll_seconds: Context synthesised before each block.
      crossfade_seconds: Overlap of consecutive blocks.
    """
    self.block_seconds = block_seconds
    self.preroll_seconds = preroll_seconds
    self.crossfade_seconds = crossfade_seconds
    super().__init__(ckpt, remove_reverb=False, verbose=False)

  @property
  def frame_rate(self) -> float:
    return self.sample_rate / self.hop_size

  @property
  def plan(self) -> BlockPlan:
    return BlockPlan.from_seconds(self.frame_rate, self.block_seconds,
                                  self.preroll_seconds,
                                  self.crossfade_seconds)

  def length_in_frames(self) -> int:
    return self.plan.n_frames

  def synthesize(self, f0_hz: np.ndarray,
                 loudness_db: np.ndarray) -> np.ndarray:
    """Audio of at most `n_frames` frames of features.

    Shorter inputs are padded with silence at their last pitch.

    Args:
      f0_hz: float32 [n <= n_frames].
      loudness_db: float32 [n] (power in dB for a power preprocessor).

    Returns:
      float32 audio [n_frames * hop_size].
    """
    n = len(f0_hz)
    f0 = np.zeros([self.n_frames], np.float32)
    db = np.full([self.n_frames], SILENCE_DB, np.float32)
    f0[:n], db[:n] = f0_hz, loudness_db
    if 0 < n < self.n_frames:
      f0[n:] = f0_hz[-1]
    outputs = self({'f0_hz': f0, self.db_key: db})
    return np.asarray(self.get_audio_from_outputs(outputs))[0]


def _block_features(track: np.ndarray, lo: int, hi: int,
                    pad_value: float) -> np.ndarray:
  """track[lo:hi], padded with `pad_value` where lo is before the start."""
  out = np.full([hi - lo], pad_value, np.float32)
  start = max(lo, 0)
  out[start - lo:] = track[start:hi]
  return out


def synthesize_stream(synth: BlockSynthesizer, f0_hz: np.ndarray,
                      loudness_db: np.ndarray) -> Iterator[np.ndarray]:
  """Yields the audio of a whole feature track, block by block.

  Args:
    synth: The model, sized for its block plan.
    f0_hz: float32 [n_frames] of the whole track.
    loudness_db: float32 [n_frames].

  Yields:
    float32 audio blocks at the model rate; concatenated length
    n_frames * hop_size.
  """
  plan, hop = synth.plan, synth.hop_size
  n_frames = len(f0_hz)
  fade_n = plan.crossfade * hop
  fade_in = np.linspace(0.0, 1.0, fade_n, endpoint=False, dtype=np.float32)
  tail = None
  for start in range(0, n_frames, plan.block):
    lo = start - plan.preroll
    hi = min(start + plan.block + plan.crossfade, n_frames)
    f0 = _block_features(f0_hz, lo, hi, 0.0)
    if lo < 0 < hi:
      f0[:-lo] = f0_hz[0]  # Hold the first pitch during the warm-up.
    audio = synth.synthesize(f0, _block_features(loudness_db, lo, hi,
                                                 SILENCE_DB))
    body_end = (plan.preroll + min(start + plan.block, n_frames) - start) * hop
    block = audio[plan.preroll * hop:body_end].copy()
    if tail is not None and fade_n:
      k = min(fade_n, block.size, tail.size)
      block[:k] = block[:k] * fade_in[:k] + tail[:k] * (1.0 - fade_in[:k])
    tail = audio[body_end:body_end + fade_n].copy()
    yield block
