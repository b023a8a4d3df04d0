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

The model synthesises `block_seconds` of frames per call, so memory does not
grow with the input. The blocks are one stream: the streaming engine
(`training.playback.streaming`) carries the GRU state, the oscillator phase, the
filtered-noise tail and the reverb tail from block to block, so the output
does not depend on the block length (up to the noise generator) and block
boundaries cannot be heard.

Models whose layers the engine does not understand (another processor
group, an encoder, an LSTM ...) fall back, with a logged note, to
independent blocks: block j covers frames [j*B, (j+1)*B), the model also
sees `preroll` frames before it (RNN warm-up, reverb tail) and `crossfade`
frames after it, which are crossfaded linearly into the next block.

Voices (`synthesize_voices`): several feature tracks of one instrument
played at once and summed, the notes of a polyphonic part. A streamed
checkpoint runs them as one batch per block through one engine; otherwise
(`batched=False`, or a DDSP-VST instrument) each voice has its own stream,
all advanced block by block together.
"""

from typing import (Any, Callable, Dict, Iterator, List, NamedTuple,
                    Optional, Protocol, Tuple)

from absl import logging
from ddsp import errors
from ddsp.features import frame_rates
from ddsp.training import inference
from ddsp.training import models
from ddsp.training.playback import streaming
import numpy as np

# Loudness of the frames padded around the features (silence).
SILENCE_DB = -80.0
DEFAULT_BLOCK_SECONDS = 4.0


def check_block_seconds(block_seconds: float,
                        default: float = DEFAULT_BLOCK_SECONDS) -> None:
  """Refuses blocks of no length (a stream of them would never advance)."""
  if not block_seconds > 0:
    raise errors.BadValueError(
        f'block_seconds must be > 0, got {block_seconds} (e.g. '
        f'--block_seconds={default}).')


def frames_in(seconds: float, frame_rate: float) -> int:
  """Whole frames in `seconds`: n = floor(seconds * frame_rate) (int())."""
  return int(seconds * frame_rate)


def block_frames(block_seconds: float, frame_rate: float) -> int:
  """Frames of a block: n = max(1, floor(block_seconds * frame_rate)).

  Raises:
    errors.BadValueError: block_seconds <= 0 (`check_block_seconds`).
  """
  check_block_seconds(block_seconds)
  return max(1, frames_in(block_seconds, frame_rate))


class BlockPlan(NamedTuple):
  """Frames of a block, of its pre-roll and of its crossfade."""
  block: int
  preroll: int
  crossfade: int

  @property
  def n_frames(self) -> int:
    """Frames the model synthesises per call (independent blocks)."""
    return self.preroll + self.block + self.crossfade

  @classmethod
  def from_seconds(cls, frame_rate: float, block_seconds: float,
                   preroll_seconds: float,
                   crossfade_seconds: float) -> 'BlockPlan':
    return cls(block=block_frames(block_seconds, frame_rate),
               preroll=frames_in(preroll_seconds, frame_rate),
               crossfade=frames_in(crossfade_seconds, frame_rate))


class _IndependentBlocks(inference.AutoencoderInference):
  """The model resized to one block plan (the crossfaded fallback)."""

  def __init__(self, ckpt: str, plan: BlockPlan):
    self._plan = plan
    super().__init__(ckpt, remove_reverb=False, verbose=False)

  def length_in_frames(self) -> int:
    return self._plan.n_frames

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


class Player(Protocol):
  """What timbre transfer and MIDI rendering ask of an instrument.

  `BlockSynthesizer` (a checkpoint) and `vst_instrument.VstInstrument` (a
  DDSP-VST .tflite) implement it; `loading.load_instrument` gives either.

  Attributes:
    sample_rate: Of the audio it makes.
    hop_size: Samples per frame at sample_rate.
    frame_rate: Frames per second of its features.
    db_key: 'loudness_db' or 'power_db', what it is fed.
    power_feature: How its power is computed (None for loudness).
    crop_samples: Samples a stream of n frames gives less than n hops.
    extra_frames: Frames past the input's last whole hop it needs.
    statistics: Of its training data (postprocessing's keys), or None:
      the auto-adjust and the MIDI range follow them.
  """
  sample_rate: int
  hop_size: int
  frame_rate: float
  db_key: str
  power_feature: Optional[inference.PowerFeature]
  crop_samples: int
  extra_frames: int
  statistics: Optional[Dict[str, Any]]

  def synthesize_blocks(self, f0_hz: np.ndarray,
                        db: np.ndarray) -> Iterator[np.ndarray]:
    """Audio of a whole feature track, block by block, from a fresh state."""

  def voices(self, n_voices: int, batched: bool = True) -> 'VoiceStream':
    """A fresh stream of `n_voices` voices of this instrument."""


class VoiceStream(NamedTuple):
  """Voices of one instrument advanced together.

  Attributes:
    process: (f0_hz [V, n], db [V, n]) -> the next samples of their sum,
      float32 [m].
    flush: () -> the rest of the stream (its last samples).
    block_frames: Frames per call.
  """
  process: Callable[[np.ndarray, np.ndarray], np.ndarray]
  flush: Callable[[], np.ndarray]
  block_frames: int


def one_by_one(streams: List[Tuple[Callable, Callable]],
               block: int) -> VoiceStream:
  """Voices each with its own (process, flush), summed.

  Voice streams of one instrument give as many samples per frame, so the
  sums line up.
  """
  def process(f0_hz, db):
    return np.sum([p(f0_hz[v], db[v]) for v, (p, _) in enumerate(streams)],
                  axis=0).astype(np.float32)

  def flush():
    return np.sum([f() for _, f in streams], axis=0).astype(np.float32)

  return VoiceStream(process, flush, block)


def synthesize_voices(synth: Player, f0_hz: np.ndarray, db: np.ndarray,
                      batched: bool = True) -> Iterator[np.ndarray]:
  """The sum of several voices' audio, block by block.

  One voice plays exactly as `synthesize_stream` (`batched`).

  Args:
    synth: The instrument.
    f0_hz: float32 [n_voices, n_frames].
    db: float32 [n_voices, n_frames], loudness or power (`db_key`).
    batched: One batch per block through the engine (when the instrument
      has one); False: voices one by one.

  Yields:
    float32 audio blocks; concatenated as long as one voice's output.
  """
  f0_hz, db = np.asarray(f0_hz, np.float32), np.asarray(db, np.float32)
  if f0_hz.ndim != 2 or f0_hz.shape != db.shape:
    raise ValueError(f'f0_hz {f0_hz.shape} and {synth.db_key} {db.shape}: '
                     'give both as [n_voices, n_frames].')
  if batched and len(f0_hz) == 1:
    yield from synthesize_stream(synth, f0_hz[0], db[0])
    return
  stream = synth.voices(len(f0_hz), batched)
  for start in range(0, f0_hz.shape[1], stream.block_frames):
    end = start + stream.block_frames
    audio = stream.process(f0_hz[:, start:end], db[:, start:end])
    if audio.size:
      yield audio
  yield stream.flush()


class BlockSynthesizer(inference.AutoencoderInference):
  """A trained autoencoder (with its reverb) that synthesises in blocks.

  The checkpoint's operative config is parsed once, when the model is
  built; rates and lengths in frames follow from the model. The Keras model
  itself is built one frame long: the streaming engine runs its layers on
  blocks of any length.

  Attributes:
    engine: The `streaming.StreamingSynthesizer`, or None when the model
      needs the independent-blocks fallback (`fallback`).
  """

  def __init__(self,
               ckpt: str,
               block_seconds: float = 4.0,
               preroll_seconds: float = 1.0,
               crossfade_seconds: float = 0.05,
               noise_seed: Optional[int] = None,
               statistics: Optional[Dict[str, Any]] = None):
    """Builds and restores the model.

    Args:
      ckpt: Checkpoint prefix or folder (with its operative config).
      block_seconds: Length of a block.
      preroll_seconds: Context synthesised before each block (fallback
        only).
      crossfade_seconds: Overlap of consecutive blocks (fallback only).
      noise_seed: Seed of the filtered noise (None: fresh noise).
      statistics: Dataset statistics of its training data, or None.
    """
    self.statistics = statistics
    self.noise_seed = noise_seed
    self.block_seconds = block_seconds
    self.preroll_seconds = preroll_seconds
    self.crossfade_seconds = crossfade_seconds
    super().__init__(ckpt, remove_reverb=False, verbose=False)
    self.fallback = None
    reason = streaming.unsupported_reason(self)
    if reason is None:
      self.engine = streaming.StreamingSynthesizer(self, noise_seed)
    else:
      logging.warning('Streaming synthesis does not support this model (%s):'
                      ' synthesising independent blocks with a %.2f s '
                      'crossfade instead.', reason, crossfade_seconds)
      self.engine = None
      self.fallback = _IndependentBlocks(ckpt, self.plan)

  @property
  def frame_rate(self) -> float:
    return frame_rates.frame_rate_of(self.sample_rate, self.hop_size)

  @property
  def crop_samples(self) -> int:
    """Samples a Crop at the end of the model removes from a stream
    (models/vst/vst.gin: one hop, the end of its last centred frame)."""
    return 0 if self.engine is None else self.engine.crop_samples

  @property
  def extra_frames(self) -> int:
    """Frames past the input's last whole hop the model needs to cover it.

    n frames give n * hop_size - crop_samples samples: ceil(crop_samples /
    hop_size) frames more make up for the crop.
    """
    return -(-self.crop_samples // self.hop_size)

  @property
  def plan(self) -> BlockPlan:
    return BlockPlan.from_seconds(self.frame_rate, self.block_seconds,
                                  self.preroll_seconds,
                                  self.crossfade_seconds)

  def length_in_frames(self) -> int:
    return 1

  def build_network(self):
    """Creates the variables with one frame run eagerly (no tracing)."""
    features = {'f0_hz': np.zeros([1, 1], np.float32),
                self.db_key: np.zeros([1, 1], np.float32)}
    models.Autoencoder.call(self, features, training=False)

  def voices(self, n_voices: int, batched: bool = True) -> VoiceStream:
    """A fresh stream of voices (`Player`): one engine of `n_voices` (one
    batch per block), or one engine per voice (`batched=False`).

    Raises:
      errors.BadValueError: several voices of a model the streaming engine
        does not support.
    """
    if self.engine is None:
      raise errors.BadValueError(
          f'{self.gin_file}: the streaming engine does not support this '
          f'model ({streaming.unsupported_reason(self)}), so it plays one '
          'voice only: play its parts monophonically (--voices=1).')
    seed = self.noise_seed
    if batched:
      engines = [streaming.StreamingSynthesizer(self, seed, n_voices=n_voices)]
    else:
      engines = [streaming.StreamingSynthesizer(
          self, None if seed is None else seed + v) for v in range(n_voices)]
    streams = [(lambda f, d, e=e: e.process(f, d)['audio'],
                lambda e=e: e.flush()['audio']) for e in engines]
    if batched:
      return VoiceStream(*streams[0], self.plan.block)
    return one_by_one(streams, self.plan.block)

  def synthesize_blocks(self, f0_hz: np.ndarray,
                        loudness_db: np.ndarray) -> Iterator[np.ndarray]:
    """Audio of a whole feature track, block by block (`Player`)."""
    if self.engine is None:
      yield from _independent_blocks(self.fallback, self.plan, f0_hz,
                                     loudness_db)
      return
    engine = self.engine
    engine.reset()
    block = self.plan.block
    for start in range(0, len(f0_hz), block):
      audio = engine.process(f0_hz[start:start + block],
                             loudness_db[start:start + block])['audio']
      if audio.size:
        yield audio
    yield engine.flush()['audio']


def synthesize_stream(synth: Player, f0_hz: np.ndarray,
                      loudness_db: np.ndarray) -> Iterator[np.ndarray]:
  """Yields the audio of a whole feature track, block by block.

  Args:
    synth: The instrument and its block plan.
    f0_hz: float32 [n_frames] of the whole track.
    loudness_db: float32 [n_frames] (power in dB for a power model).

  Yields:
    float32 audio blocks at the model rate; concatenated length
    n_frames * hop_size (less the samples a Crop of the model removes).

  Raises:
    ValueError: features of different lengths, not finite, or f0 < 0.
  """
  if len(f0_hz) != len(loudness_db):
    raise ValueError(f'f0_hz has {len(f0_hz)} frames but the loudness has '
                     f'{len(loudness_db)}: give one value of each per frame.')
  yield from synth.synthesize_blocks(f0_hz, loudness_db)


def _block_features(track: np.ndarray, lo: int, hi: int,
                    pad_value: float) -> np.ndarray:
  """track[lo:hi], padded with `pad_value` where lo is before the start."""
  out = np.full([hi - lo], pad_value, np.float32)
  start = max(lo, 0)
  out[start - lo:] = track[start:hi]
  return out


def _independent_blocks(model: _IndependentBlocks, plan: BlockPlan,
                        f0_hz: np.ndarray,
                        loudness_db: np.ndarray) -> Iterator[np.ndarray]:
  """The fallback: blocks started afresh, pre-rolled and crossfaded."""
  hop = model.hop_size
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
    audio = model.synthesize(f0, _block_features(loudness_db, lo, hi,
                                                 SILENCE_DB))
    body_end = (plan.preroll + min(start + plan.block, n_frames) - start) * hop
    block = audio[plan.preroll * hop:body_end].copy()
    if tail is not None and fade_n:
      k = min(fade_n, block.size, tail.size)
      block[:k] = block[:k] * fade_in[:k] + tail[:k] * (1.0 - fade_in[:k])
    tail = audio[body_end:body_end + fade_n].copy()
    yield block
