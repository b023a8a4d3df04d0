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


"""The TFRecord layout of DDSP datasets, for the writer and the readers.

`ddsp_prepare_tfrecord` writes, and `training.data.TFRecordProvider` (and
its subclasses) read, `tf.train.Example`s whose features are all float32
`float_list`s of fixed length. Names and lengths follow from
(sample_rate, frame_rate, example_secs, centered):

  audio          round(example_secs * sample_rate)   audio at sample_rate
  audio_16k      round(example_secs * 16000)         audio at CREPE's rate
  f0_hz          n_frames                            CREPE f0
  f0_confidence  n_frames                            CREPE confidence
  loudness_db    n_frames                            A-weighted loudness

Frame features are computed on the 16 kHz audio with hop h = 16000 /
frame_rate and 1024-sample frames, so with n = the `audio_16k` length:

  centered=False ('same' padding):   n_frames = ceil(n / h)
  centered=True  ('center' padding): n_frames = floor(n / h) + 1

i.e. the frames that start (or are centred) inside the example: 1000 and
1001 for 4 s at 250 frames/s. Writing needs whole hops at sample_rate and
16 kHz (`frame_rates.check_frame_rate`); reading accepts any rate, as the
original did.
"""

import dataclasses

from ddsp import crepe_frontend
from ddsp import framing
from ddsp.features import frame_rates
import tensorflow as tf

AUDIO_KEY = 'audio'
AUDIO_16K_KEY = 'audio_16k'
FRAME_KEYS = ('f0_hz', 'f0_confidence', 'loudness_db')
DTYPE = tf.float32


def n_samples(seconds, rate):
  """Samples in `seconds` at `rate`, rounded: round(seconds * rate)."""
  return int(round(seconds * rate))


@dataclasses.dataclass(frozen=True)
class TFRecordLayout:
  """Feature names, lengths and parsing spec of one kind of dataset.

  Attributes:
    sample_rate: rate of 'audio' (Hz).
    frame_rate: frames per second of the frame features; None for
      datasets without them.
    example_secs: example length in seconds.
    centered: frame features on 'center'-padded frames (one more frame).
  """
  sample_rate: int = 16000
  frame_rate: float = 250
  example_secs: float = 4
  centered: bool = False

  @property
  def padding(self):
    return 'center' if self.centered else 'same'

  def rates(self):
    """{feature name: its rate} (samples or frames per second)."""
    rates = {AUDIO_KEY: self.sample_rate,
             AUDIO_16K_KEY: crepe_frontend.SAMPLE_RATE}
    if self.frame_rate:
      rates.update({key: self.frame_rate for key in FRAME_KEYS})
    return rates

  @property
  def audio_length(self):
    return n_samples(self.example_secs, self.sample_rate)

  @property
  def audio_16k_length(self):
    return n_samples(self.example_secs, crepe_frontend.SAMPLE_RATE)

  @property
  def n_frames(self):
    """Frames of each frame feature (see the module docstring)."""
    hop = crepe_frontend.SAMPLE_RATE / self.frame_rate
    return framing.get_framed_lengths(
        self.audio_16k_length, crepe_frontend.FRAME_SIZE, hop,
        self.padding)[0]

  def lengths(self):
    """{feature name: number of values in one example}."""
    lengths = {AUDIO_KEY: self.audio_length,
               AUDIO_16K_KEY: self.audio_16k_length}
    if self.frame_rate:
      lengths.update({key: self.n_frames for key in FRAME_KEYS})
    return lengths

  def features_dict(self, keys=None):
    """{name: tf.io.FixedLenFeature} to parse examples (all or `keys`)."""
    lengths = self.lengths()
    keys = lengths if keys is None else keys
    return {key: tf.io.FixedLenFeature([lengths[key]], dtype=DTYPE)
            for key in keys}

  def check_writable(self):
    """Raises ValueError unless the frame rate gives whole hops."""
    if self.frame_rate:
      frame_rates.check_frame_rate(self.sample_rate, self.frame_rate)

  def hops(self, hop_secs):
    """{feature name: hop between consecutive examples, in its units}.

    Audio hops are round(hop_secs * rate); the frame hop must be a whole
    number of frames, or audio and frames of later examples would drift
    apart.

    Raises:
      ValueError: a hop of less than one sample or a fractional frame hop.
    """
    hops = {key: n_samples(hop_secs, rate)
            for key, rate in self.rates().items()}
    if self.frame_rate:
      frames = hop_secs * self.frame_rate
      if abs(frames - round(frames)) > 1e-6:
        raise ValueError(
            f'hop_secs {hop_secs:g} is {frames:g} frames at '
            f'{self.frame_rate:g} frames/s; it must be a whole number of '
            'frames.')
    if min(hops.values()) < 1:
      raise ValueError(f'hop_secs {hop_secs:g} is shorter than one sample '
                       'or frame.')
    return hops
