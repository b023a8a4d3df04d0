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


"""f0 and loudness of audio at any sample rate, whole or streamed.

The features every DDSP dataset and transfer uses, computed in one place:

  f0_hz, f0_confidence   CREPE (`spectral_ops.compute_f0`, Viterbi on by
                         default), on the audio resampled to 16 kHz;
  loudness_db            A-weighted loudness
                         (`spectral_ops.compute_loudness`, 512-point FFT),
                         on the same 16 kHz audio;
  power_db               for power models (`PowerFeatureExtractor`): frame
                         power (`spectral_ops.compute_power`) of the same
                         16 kHz audio, as their preprocessor computes it.

Both use the hop 16000 / frame_rate (a whole number: see `frame_rates`) and
the same padding, so they have the same number of frames. Computing the
loudness at 16 kHz whatever the audio rate is what the original's data
preparation did; it keeps the features of a 48 kHz dataset on the scale of
a 16 kHz one.
"""

from ddsp import crepe_frontend
from ddsp import spectral_ops
from ddsp.features import frame_rates
from ddsp.features import resampling
import numpy as np

FEATURE_KEYS = ('f0_hz', 'f0_confidence', 'loudness_db')
POWER_FEATURE_KEYS = ('f0_hz', 'f0_confidence', 'power_db')
LOUDNESS_N_FFT = 512


def to_crepe_rate(audio, sample_rate):
  """Mono audio `[n_samples]` at 16 kHz (resampled when needed), float32."""
  audio = np.asarray(audio, np.float32)
  if sample_rate == crepe_frontend.SAMPLE_RATE:
    return audio
  return resampling.resample(audio, sample_rate, crepe_frontend.SAMPLE_RATE)


def f0(audio, sample_rate, frame_rate, padding='center', viterbi=True,
       model_capacity=None):
  """CREPE f0 and confidence of mono audio.

  Args:
    audio: `[n_samples]` at `sample_rate`.
    sample_rate: its rate in Hz.
    frame_rate: frames per second.
    padding: 'center' (frame k centred on sample k * hop) or 'same'.
    viterbi: Viterbi smoothing of the pitch.
    model_capacity: CREPE size (`crepe_frontend.MODEL_SIZES`); None uses
      `crepe_model.get_default_model_capacity()`.

  Returns:
    f0_hz, f0_confidence: float32 `[n_frames]`.
  """
  kwargs = {'model_capacity': model_capacity} if model_capacity else {}
  f0_hz, confidence = spectral_ops.compute_f0(
      to_crepe_rate(audio, sample_rate), frame_rate, viterbi=viterbi,
      padding=padding, **kwargs)
  return (np.asarray(f0_hz, np.float32).ravel(),
          np.asarray(confidence, np.float32).ravel())


def loudness(audio, sample_rate, frame_rate, padding='center',
             n_fft=LOUDNESS_N_FFT):
  """A-weighted loudness in dB of mono audio (computed at 16 kHz).

  Args:
    audio: `[n_samples]` at `sample_rate`.
    sample_rate: its rate in Hz.
    frame_rate: frames per second.
    padding: 'center' or 'same'.
    n_fft: FFT size.

  Returns:
    float32 `[n_frames]`.
  """
  loudness_db = spectral_ops.compute_loudness(
      to_crepe_rate(audio, sample_rate), sample_rate=crepe_frontend.SAMPLE_RATE,
      frame_rate=frame_rate, n_fft=n_fft, padding=padding)
  return np.asarray(loudness_db, np.float32).ravel()


def f0_and_loudness(audio, sample_rate, frame_rate, padding='center',
                    viterbi=True, model_capacity=None):
  """{'f0_hz', 'f0_confidence', 'loudness_db'}: float32 `[n_frames]` each.

  See `f0` and `loudness` for the arguments.
  """
  audio_16k = to_crepe_rate(audio, sample_rate)
  rate = crepe_frontend.SAMPLE_RATE
  f0_hz, confidence = f0(audio_16k, rate, frame_rate, padding, viterbi,
                         model_capacity)
  return {'f0_hz': f0_hz, 'f0_confidence': confidence,
          'loudness_db': loudness(audio_16k, rate, frame_rate, padding)}


class FeatureExtractor:
  """f0, confidence and loudness of a stream of 16 kHz blocks.

  Frame i is centred at sample i * hop ('center' padding). Each block of
  `block_frames` frames is analysed with `context` extra samples on both
  sides, so block edges do not differ from whole-file processing (except
  for the Viterbi smoothing, which sees only the context's frames).
  """

  keys = FEATURE_KEYS  # What `analyse` returns, in order.

  def __init__(self, frame_rate=250, model_capacity=None, viterbi=True,
               context=1024, block_frames=1000):
    """Constructor.

    Args:
      frame_rate: frames per second; 16000 / frame_rate must be whole.
      model_capacity: CREPE size; None: the process default ('full').
      viterbi: Viterbi smoothing of the pitch.
      context: samples of context on each side (rounded up to whole hops).
      block_frames: frames analysed per CREPE call.
    """
    self.hop = frame_rates.hop_size(crepe_frontend.SAMPLE_RATE, frame_rate)
    self.frame_rate = frame_rate
    self.model_capacity = model_capacity
    self.viterbi = viterbi
    self.context = -(-int(context) // self.hop) * self.hop
    self.block_frames = block_frames

  def analyse(self, segment, first, n):
    """Features of frames [first, first + n) from a segment with context.

    Args:
      segment: 16 kHz samples from (first * hop - context) to
        ((first + n - 1) * hop + context), inclusive.
      first: index of the first frame (unused here; for subclasses).
      n: number of frames.

    Returns:
      f0_hz, f0_confidence, loudness_db: float32 `[n]`.
    """
    del first
    feats = f0_and_loudness(segment, crepe_frontend.SAMPLE_RATE,
                            self.frame_rate, 'center', self.viterbi,
                            self.model_capacity)
    k = self.context // self.hop
    return tuple(feats[key][k:k + n] for key in FEATURE_KEYS)

  def stream(self, blocks, extra_frames=0):
    """Features of a stream of 16 kHz blocks.

    Args:
      blocks: iterable of float32 `[n]` arrays at 16 kHz.
      extra_frames: frames past the last whole hop (e.g. 1: the frame
        centred on the end, which 'center' padding of the whole file has).

    Returns:
      dict with `keys` ('f0_hz', 'f0_confidence', 'loudness_db')
      `[n_frames]` and 'n_samples' (16 kHz samples read);
      n_frames = n_samples // hop + extra_frames.
    """
    state = _StreamState(self.context)
    out = {key: [] for key in self.keys}
    n_read = 0
    for block in blocks:
      n_read += block.size
      state.append(block)
      # Emit while a full block and its right context are available.
      while state.end >= ((state.next_frame + self.block_frames) * self.hop +
                          self.context):
        self._emit(state, self.block_frames, out)
    n_frames = n_read // self.hop + extra_frames
    while state.next_frame < n_frames:
      self._emit(state, min(self.block_frames, n_frames - state.next_frame),
                 out)
    feats = {k: (np.concatenate(v) if v else np.zeros([0], np.float32))
             for k, v in out.items()}
    feats['n_samples'] = n_read
    return feats

  def _emit(self, state, n, out):
    """Analyses the next `n` frames and drops samples no longer needed."""
    start = state.next_frame * self.hop - self.context
    segment = state.segment(start, (n - 1) * self.hop + 2 * self.context + 1)
    for key, values in zip(self.keys,
                           self.analyse(segment, state.next_frame, n)):
      out[key].append(np.asarray(values, np.float32))
    state.next_frame += n
    state.drop_before(state.next_frame * self.hop - self.context)


class PowerFeatureExtractor(FeatureExtractor):
  """f0, confidence and power (`spectral_ops.compute_power`, 'center'
  padding) of a stream of 16 kHz blocks, as models/vst/vst.gin computes
  its power in training."""

  keys = POWER_FEATURE_KEYS

  def __init__(self, frame_rate=50, frame_size=1024, **kwargs):
    """Constructor.

    Args:
      frame_rate: frames per second, a whole number that divides 16000.
      frame_size: samples of a power frame; the context grows to at least
        half of it, so that block edges match whole-file processing.
      **kwargs: the other `FeatureExtractor` arguments.

    Raises:
      ValueError: a frame rate that is not a whole divisor of 16000 Hz.
    """
    super().__init__(frame_rate, **kwargs)
    if crepe_frontend.SAMPLE_RATE % self.hop:
      raise ValueError(
          f'Power is computed at whole frame rates that divide 16000 Hz; '
          f'{frame_rate:g} frames/s is not one.')
    self.frame_size = frame_size
    half = -(-(frame_size // 2) // self.hop) * self.hop
    self.context = max(self.context, half)

  def analyse(self, segment, first, n):
    """f0_hz, f0_confidence, power_db: float32 `[n]` (see the parent)."""
    del first
    rate = crepe_frontend.SAMPLE_RATE
    f0_hz, confidence = f0(segment, rate, self.frame_rate, 'center',
                           self.viterbi, self.model_capacity)
    power_db = spectral_ops.compute_power(
        segment[np.newaxis], sample_rate=rate, frame_rate=rate // self.hop,
        frame_size=self.frame_size, padding='center')
    k = self.context // self.hop
    return (f0_hz[k:k + n], confidence[k:k + n],
            np.asarray(power_db, np.float32)[0, k:k + n])


class _StreamState:
  """Buffered samples of a stream: buffer[0] is sample `buffer_start`."""

  def __init__(self, context):
    self.buffer = np.zeros([context], np.float32)  # Zeros before the start.
    self.buffer_start = -context
    self.next_frame = 0

  @property
  def end(self):
    """Absolute index one past the last buffered sample."""
    return self.buffer_start + self.buffer.size

  def append(self, block):
    self.buffer = np.concatenate([self.buffer, block])

  def segment(self, start, length):
    """Samples [start, start + length), zero padded past the buffer."""
    offset = start - self.buffer_start
    segment = self.buffer[offset:offset + length]
    if segment.size < length:
      segment = np.pad(segment, (0, length - segment.size))
    return segment

  def drop_before(self, start):
    self.buffer = self.buffer[start - self.buffer_start:]
    self.buffer_start = start
