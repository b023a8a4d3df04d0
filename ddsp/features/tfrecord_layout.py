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
from typing import Dict, List, Optional

from ddsp import crepe_frontend
from ddsp import errors
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
    # The quotient itself (a float), as the original's layouts framed it; the
    # rates of a layout are checked whole in `check` (`frame_rates`).
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
        raise errors.BadValueError(
            f'hop_secs {hop_secs:g} is {frames:g} frames at '
            f'{self.frame_rate:g} frames/s; it must be a whole number of '
            'frames.')
    if min(hops.values()) < 1:
      raise errors.BadValueError(
          f'hop_secs {hop_secs:g} is shorter than one sample or frame.')
    return hops


# ---------------------------------------------------------------------------
# Reading a dataset's layout back from its records.
# ---------------------------------------------------------------------------
def example_lengths(serialized: bytes) -> Dict[str, int]:
  """{feature name: number of values} of one serialized `tf.train.Example`."""
  example = tf.train.Example.FromString(serialized)
  lengths = {}
  for key, feature in example.features.feature.items():
    kind = feature.WhichOneof('kind')
    lengths[key] = len(getattr(feature, kind).value) if kind else 0
  return lengths


def _frame_rate_guesses(n_frames, seconds):
  """Frame rates (rounded to 0.01) that could give `n_frames` in `seconds`."""
  guesses = {round(n_frames / seconds, 2), round((n_frames - 1) / seconds, 2)}
  for guess in list(guesses):
    guesses.add(float(round(guess)))
  return sorted(g for g in guesses if g > 0)


def layouts_matching(lengths: Dict[str, int],
                     sample_rate: Optional[int] = None
                     ) -> List['TFRecordLayout']:
  """The layouts of whole-hop frame rates that give an example's lengths.

  Args:
    lengths: {feature name: number of values} of one example
      (`example_lengths`).
    sample_rate: Rate of 'audio' when the example has no 'audio_16k' to
      tell its length in seconds.

  Returns:
    Every `TFRecordLayout` with a whole-hop frame rate whose `lengths()`
    equal the example's for the keys it has; empty when none does.
  """
  if AUDIO_16K_KEY in lengths:
    seconds = lengths[AUDIO_16K_KEY] / crepe_frontend.SAMPLE_RATE
  elif AUDIO_KEY in lengths and sample_rate:
    seconds = lengths[AUDIO_KEY] / sample_rate
  else:
    return []
  if seconds <= 0:
    return []
  rate = (int(round(lengths[AUDIO_KEY] / seconds)) if AUDIO_KEY in lengths
          else (sample_rate or crepe_frontend.SAMPLE_RATE))
  n_frames = next((lengths[k] for k in FRAME_KEYS if k in lengths), None)
  frame_rates = (_frame_rate_guesses(n_frames, seconds) if n_frames
                 else [None])
  found = []
  for frame_rate in frame_rates:
    for centered in (False, True):
      layout = TFRecordLayout(sample_rate=rate, frame_rate=frame_rate,
                              example_secs=round(seconds, 6),
                              centered=centered)
      try:
        layout.check_writable()
      except ValueError:
        continue  # Not a rate the writer produces (fractional hop).
      expected = layout.lengths()
      if all(expected[k] == n for k, n in lengths.items() if k in expected):
        found.append(layout)
  return found


def _differences(a: 'TFRecordLayout', b: 'TFRecordLayout'):
  """[(field name, b's value as gin text)] of the fields where b differs."""
  changed = []
  for field in dataclasses.fields(TFRecordLayout):
    value = getattr(b, field.name)
    if value != getattr(a, field.name):
      text = f'{value:g}' if isinstance(value, float) else str(value)
      changed.append((field.name, text))
  return changed


def describe(layout: 'TFRecordLayout') -> str:
  """One line: '4 s at 16000 Hz, 250 frames/s, not centered'."""
  frames = (f'{layout.frame_rate:g} frames/s, '
            f'{"centered" if layout.centered else "not centered"}'
            if layout.frame_rate else 'no frame features')
  return (f'{layout.example_secs:g} s examples at {layout.sample_rate} Hz, '
          f'{frames}')


def parsed_lengths(features_dict) -> Dict[str, int]:
  """{feature name: number of values} of a spec's fixed-length features."""
  lengths = {}
  for key, spec in features_dict.items():
    if not isinstance(spec, tf.io.FixedLenFeature):
      continue  # Variable lengths: nothing to check.
    n = 1
    for dim in spec.shape:
      n *= int(dim)
    lengths[key] = n
  return lengths


def mismatch_message(expected: 'TFRecordLayout', lengths: Dict[str, int],
                     path: str,
                     wanted: Optional[Dict[str, int]] = None
                     ) -> Optional[str]:
  """What is wrong when an example does not fit `expected`, else None.

  Args:
    expected: The layout a reader parses with.
    lengths: {feature name: number of values} of one example of `path`.
    path: The file the example came from (named in the message).
    wanted: {feature name: number of values} the reader parses (default:
      `expected.lengths()`; readers with extra features pass their own).

  Returns:
    A message naming the file, each feature that differs, the layouts the
    example fits and what to change; None when the example parses.
  """
  wanted = expected.lengths() if wanted is None else wanted
  problems = []
  for key in wanted:
    if key not in lengths:
      problems.append(f'{key} is missing')
    elif lengths[key] != wanted[key]:
      problems.append(f'{key} has {lengths[key]} values, the reader expects '
                      f'{wanted[key]}')
  if not problems:
    return None
  lines = [f'The TFRecords in {path} do not have the layout this run reads '
           f'({describe(expected)}): ' + '; '.join(problems) + '.']
  # The closest explanation first: the fewest fields changed.
  fits = sorted(layouts_matching(lengths, expected.sample_rate),
                key=lambda fit: len(_differences(expected, fit)))
  if fits:
    fit = fits[0]
    params = ' '.join(
        f'--gin_param=TFRecordProvider.{name}={value}'
        for name, value in _differences(expected, fit))
    lines.append(f'They look like {describe(fit)}. Either read them as such '
                 f'({params}, with a model of the same frame rate and '
                 'length), or prepare the data again for this run:')
  else:
    lines.append('Prepare the data again for this config:')
  lines.append(
      f'ddsp_prepare_tfrecord --sample_rate={expected.sample_rate} '
      f'--frame_rate={expected.frame_rate or 0:g} '
      f'--example_secs={expected.example_secs:g} '
      f'--center={expected.centered} ...')
  return '\n'.join(lines)
