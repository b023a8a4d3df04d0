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

"""Preprocessors: turn dataset features into network-ready inputs.

Networks see pitch and level in [0, 1]-ish ranges:
  f0_scaled = hz_to_midi(f0_hz) / 127,   ld_scaled = loudness_db / 80 + 1.
"""

from ddsp import core
from ddsp import crepe_frontend
from ddsp import framing
from ddsp import spectral_ops
from ddsp.training import nn
import gin
import tensorflow as tf

F0_RANGE = spectral_ops.F0_RANGE
DB_RANGE = spectral_ops.DB_RANGE

# pylint: disable=g-long-lambda


# ---------------------- Helper functions --------------------------------------
def at_least_3d(x):
  """Adds axes: scalar -> [1], [T] -> [1, T], [B, T] -> [B, T, 1]."""
  x = x if isinstance(x, tf.Tensor) else tf.convert_to_tensor(x)
  if len(x.shape) == 0:
    x = x[tf.newaxis]
  if len(x.shape) == 1:
    x = x[tf.newaxis, :]
  if len(x.shape) == 2:
    x = x[:, :, tf.newaxis]
  return x


def scale_db(db):
  """Decibels in [-80, 0] -> [0, 1]: db / 80 + 1."""
  return db / DB_RANGE + 1.0


def inv_scale_db(db_scaled):
  """Inverse of `scale_db`: (s - 1) * 80."""
  return (db_scaled - 1.0) * DB_RANGE


def scale_f0_hz(f0_hz):
  """Hertz -> MIDI / 127."""
  return core.hz_to_midi(f0_hz) / F0_RANGE


def inv_scale_f0_hz(f0_scaled):
  """MIDI / 127 -> Hertz."""
  return core.midi_to_hz(f0_scaled * F0_RANGE)


def _check_frames(name, x, n_frames):
  """ValueError unless x [B, T, ...] has exactly n_frames time steps."""
  if x.shape[1] != n_frames:
    raise ValueError(f'{name} has {x.shape[1]} frames but {n_frames} were '
                     'expected from the audio length, frame_size and hop.')


# ---------------------- Preprocess objects ------------------------------------
@gin.register
class F0LoudnessPreprocessor(nn.DictLayer):
  """Resamples and scales f0 and loudness (optionally recomputing loudness).

  With `compute_loudness=True` (the default) and `audio` given, the given
  loudness is ignored and recomputed from `audio` (A-weighted, n_fft 512,
  centered frames). Without `audio` the given `loudness_db` is used, as
  with `compute_loudness=False` (the original raised inside the loudness
  computation; models that feed only f0 and loudness, like
  `MidiAutoencoder` and inference, call the preprocessor that way).
  """

  def __init__(self,
               time_steps=1000,
               frame_rate=250,
               sample_rate=16000,
               compute_loudness=True,
               **kwargs):
    super().__init__(**kwargs)
    self.time_steps = time_steps
    self.frame_rate = frame_rate
    self.sample_rate = sample_rate
    self.compute_loudness = compute_loudness

  def call(self, loudness_db, f0_hz, audio=None) -> [
      'f0_hz', 'loudness_db', 'f0_scaled', 'ld_scaled']:
    if self.compute_loudness and audio is not None:
      loudness_db = spectral_ops.compute_loudness(
          audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate)

    loudness_db = self.resample(loudness_db)
    f0_hz = self.resample(f0_hz)
    f0_scaled = scale_f0_hz(f0_hz)
    ld_scaled = scale_db(loudness_db)
    return f0_hz, loudness_db, f0_scaled, ld_scaled

  @staticmethod
  def invert_scaling(f0_scaled, ld_scaled):
    """(f0_scaled, ld_scaled) -> (f0_hz, loudness_db)."""
    return inv_scale_f0_hz(f0_scaled), inv_scale_db(ld_scaled)

  def resample(self, x):
    """[B, T] or [B, T, 1] -> [B, time_steps, 1] (linear interpolation)."""
    x = at_least_3d(x)
    return core.resample(x, self.time_steps)


@gin.register
class F0PowerPreprocessor(F0LoudnessPreprocessor):
  """Resamples and scales f0 and frame power (given or computed)."""

  def __init__(self,
               time_steps=1000,
               frame_rate=250,
               sample_rate=16000,
               frame_size=64,
               **kwargs):
    super().__init__(time_steps, **kwargs)
    self.frame_rate = frame_rate
    self.sample_rate = sample_rate
    self.frame_size = frame_size

  def call(self, f0_hz, power_db=None, audio=None) -> [
      'f0_hz', 'pw_db', 'f0_scaled', 'pw_scaled']:
    f0_hz = self.resample(f0_hz)
    f0_scaled = scale_f0_hz(f0_hz)

    if power_db is not None:
      pw_db = power_db
    elif audio is not None:
      pw_db = spectral_ops.compute_power(
          audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
          frame_size=self.frame_size)
    else:
      raise ValueError('F0PowerPreprocessor needs either `power_db` or '
                       '`audio` to compute power.')

    pw_db = self.resample(pw_db)
    pw_scaled = scale_db(pw_db)
    return f0_hz, pw_db, f0_scaled, pw_scaled

  @staticmethod
  def invert_scaling(f0_scaled, pw_scaled):
    """(f0_scaled, pw_scaled) -> (f0_hz, pw_db)."""
    return inv_scale_f0_hz(f0_scaled), inv_scale_db(pw_scaled)


@gin.register
class OnlineF0PowerPreprocessor(nn.DictLayer):
  """Computes f0 (CREPE) and power from audio at 16 kHz, no resampling."""

  def __init__(self,
               frame_rate=250,
               frame_size=1024,
               padding='center',
               compute_power=True,
               compute_f0=True,
               crepe_saved_model_path='full',
               viterbi=False,
               **kwargs):
    super().__init__(**kwargs)
    self.frame_rate = frame_rate
    self.frame_size = frame_size
    self.padding = padding
    self.compute_power = compute_power
    self.compute_f0 = compute_f0
    self.crepe_saved_model_path = crepe_saved_model_path
    self.viterbi = viterbi

    # CREPE and the power features always work at 16 kHz.
    self.sample_rate = crepe_frontend.SAMPLE_RATE
    self.hop_size = framing.floor_hop(self.sample_rate, self.frame_rate)
    if self.crepe_saved_model_path:
      self.crepe_model = spectral_ops.PretrainedCREPE(
          model_size_or_path=self.crepe_saved_model_path,
          hop_size=self.hop_size)

  def call(self, audio, f0_hz=None, f0_confidence=None, audio_16k=None,
           pw_db=None) -> ['f0_hz', 'pw_db', 'f0_scaled', 'pw_scaled',
                           'f0_confidence']:
    if audio_16k is not None:
      audio = audio_16k

    if self.compute_power:
      pw_db = spectral_ops.compute_power(
          audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
          frame_size=self.frame_size, padding=self.padding)

    if self.compute_f0:
      f0_hz, f0_confidence = self.crepe_model.predict_f0_and_confidence(
          audio, viterbi=self.viterbi, padding=self.padding)
      f0_hz = tf.stop_gradient(f0_hz)
      f0_confidence = tf.stop_gradient(f0_confidence)
    elif f0_hz is None or f0_confidence is None:
      raise ValueError('OnlineF0PowerPreprocessor(compute_f0=False) needs '
                       '`f0_hz` and `f0_confidence` inputs.')

    pw_db = at_least_3d(pw_db)
    f0_hz = at_least_3d(f0_hz)
    pw_scaled = scale_db(pw_db)
    f0_scaled = scale_f0_hz(f0_hz)

    # No resampling here: every feature must already match the audio frames.
    n_frames = spectral_ops.get_framed_lengths(
        audio.shape[1], self.frame_size, self.hop_size, self.padding)[0]
    outputs = (f0_hz, pw_db, f0_scaled, pw_scaled, f0_confidence)
    names = ('f0_hz', 'pw_db', 'f0_scaled', 'pw_scaled', 'f0_confidence')
    for name, x in zip(names, outputs):
      _check_frames(name, x, n_frames)
    return outputs
