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

"""The 44.1 and 48 kHz solo-instrument configs: scaled from 16 kHz, runnable.

Every length the 16 kHz config counts in samples covers the same time (or
the same band width) at the higher rate; the frame hop is a whole number
of samples; the inference classes read the rate from the config; dataset
statistics come out the same at any audio rate.
"""
import os

import gin
import numpy as np
import pytest
import tensorflow as tf

import ddsp
import ddsp.training  # pylint: disable=unused-import
from ddsp.features import frame_rates
from ddsp.features import tfrecord_layout
from ddsp.training import data
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import postprocessing

GIN_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'gin')
BASE = 'models/solo_instrument.gin'
HIGH_RATE = {'models/solo_instrument_48k.gin': 48000,
             'models/solo_instrument_44k.gin': 44100}


@pytest.fixture(autouse=True)
def gin_search_path(clean_gin):
  del clean_gin
  gin.add_config_file_search_path(GIN_DIR)


def _parse(path, bindings=()):
  with gin.unlock_config():
    gin.parse_config_file(path)
    gin.parse_config(list(bindings))


def _value(name, default=None):
  try:
    return gin.query_parameter(name)
  except ValueError:
    return default


def _config_values(path):
  """{name: value} of the lengths of a parsed config (gin cleared after)."""
  _parse(path)
  values = {
      'rate': _value('Harmonic.sample_rate'),
      'n_samples': _value('Harmonic.n_samples'),
      'noise_n_samples': _value('FilteredNoise.n_samples'),
      'time_steps': _value('F0LoudnessPreprocessor.time_steps'),
      'reverb_length': _value('Reverb.reverb_length'),
      'fft_sizes': _value('SpectralLoss.fft_sizes',
                          (2048, 1024, 512, 256, 128, 64)),
      'noise_bands': dict(_value('RnnFcDecoder.output_splits'))[
          'noise_magnitudes'],
  }
  with gin.unlock_config():
    gin.clear_config()
  return values


@pytest.mark.parametrize('path', sorted(HIGH_RATE))
def test_sample_counts_cover_the_same_spans_as_at_16k(path):
  base, high = _config_values(BASE), _config_values(path)
  assert high['rate'] == HIGH_RATE[path]
  scale = high['rate'] / base['rate']
  # Example length and reverb length in seconds: equal.
  assert high['n_samples'] / high['rate'] == base['n_samples'] / base['rate']
  assert high['noise_n_samples'] == high['n_samples']
  assert high['reverb_length'] == round(base['reverb_length'] * scale)
  # FFT windows in seconds: equal within 0.5 %.
  np.testing.assert_allclose(np.array(high['fft_sizes']) / scale,
                             base['fft_sizes'], rtol=5e-3)
  # Noise band width in Hz, (rate / 2) / (n_bands - 1): equal within 1 %.
  width = lambda v: v['rate'] / 2 / (v['noise_bands'] - 1)
  assert width(high) == pytest.approx(width(base), rel=1e-2)


@pytest.mark.parametrize('path', sorted(HIGH_RATE))
def test_frames_are_a_whole_number_of_samples_at_both_rates(path):
  _parse(path)
  frame_rate = gin.query_parameter('F0LoudnessPreprocessor.frame_rate')
  rate = gin.query_parameter('Harmonic.sample_rate')
  frame_rates.check_frame_rate(rate, frame_rate)  # Raises if fractional.
  assert gin.query_parameter('TFRecordProvider.frame_rate') == frame_rate
  assert gin.query_parameter('TFRecordProvider.sample_rate') == rate
  rates = inference.model_rates()
  assert (rates.sample_rate, rates.frame_rate) == (rate, frame_rate)
  assert rates.hop_size == rate // frame_rate


@pytest.mark.parametrize('path', sorted(HIGH_RATE))
def test_loudness_comes_from_the_dataset_as_at_inference(path):
  # The dataset's loudness is computed at 16 kHz, as ddsp_timbre_transfer's.
  _parse(path)
  assert gin.query_parameter(
      'F0LoudnessPreprocessor.compute_loudness') is False


@pytest.mark.parametrize('path', sorted(HIGH_RATE))
def test_config_builds_and_runs_a_training_step(path):
  rate = HIGH_RATE[path]
  frame_rate = 250 if rate == 48000 else 100
  n_frames, hop = 8, rate // frame_rate
  _parse(path, [f'F0LoudnessPreprocessor.time_steps = {n_frames}',
                f'Harmonic.n_samples = {n_frames * hop}',
                f'FilteredNoise.n_samples = {n_frames * hop}',
                'Reverb.reverb_length = 2000',
                'RnnFcDecoder.rnn_channels = 16', 'RnnFcDecoder.ch = 16'])
  model = models.get_model()
  rng = np.random.RandomState(0)
  batch = {
      'audio': rng.uniform(-.1, .1, [1, n_frames * hop]).astype(np.float32),
      'f0_hz': np.full([1, n_frames], 440.0, np.float32),
      'loudness_db': np.full([1, n_frames], -30.0, np.float32),
  }
  outputs, losses = model(batch, training=True, return_losses=True)
  audio = model.get_audio_from_outputs(outputs).numpy()
  assert audio.shape == batch['audio'].shape
  assert np.all(np.isfinite(audio))
  assert np.isfinite(float(losses['total_loss']))


def test_model_rates_refuses_frames_that_are_not_whole_samples():
  _parse(BASE, ['Harmonic.sample_rate = 44100', 'Harmonic.n_samples = 176400'])
  with pytest.raises(ValueError, match='not a multiple of.*100 frames/s'):
    inference.model_rates()


def test_model_rates_reads_macros():
  _parse(BASE, ['rate = 48000', 'n = 192000',
                'Harmonic.sample_rate = %rate', 'Harmonic.n_samples = %n'])
  assert inference.model_rates()[1:] == (48000, 192)


def _write_tone_dataset(path, sample_rate, n_examples=3):
  """1 s examples of a 330 Hz tone in the prepared layout at sample_rate."""
  layout = tfrecord_layout.TFRecordLayout(sample_rate, 250, 1.0, False)
  lengths = layout.lengths()
  tone = lambda n, rate: (0.3 * np.sin(2 * np.pi * 330 * np.arange(n) / rate))
  features = {
      'audio': tone(lengths['audio'], sample_rate),
      'audio_16k': tone(lengths['audio_16k'], 16000),
      'f0_hz': np.full(lengths['f0_hz'], 330.0),
      'f0_confidence': np.full(lengths['f0_hz'], 0.9),
      'loudness_db': np.linspace(-40.0, -10.0, lengths['f0_hz']),
  }
  example = tf.train.Example(features=tf.train.Features(feature={
      k: tf.train.Feature(float_list=tf.train.FloatList(value=v))
      for k, v in features.items()}))
  with tf.io.TFRecordWriter(path) as writer:
    for _ in range(n_examples):
      writer.write(example.SerializeToString())
  return data.TFRecordProvider(path, 1.0, sample_rate, 250)


def test_dataset_statistics_do_not_depend_on_the_audio_rate(tmp_path):
  # Power is computed on the 16 kHz audio every dataset carries.
  stats = {rate: postprocessing.compute_dataset_statistics(
      _write_tone_dataset(str(tmp_path / f'{rate}.tfrecord'), rate),
      batch_size=2) for rate in (16000, 48000)}
  keys = [k for k in postprocessing.statistics_keys()
          if k != 'quantile_transform']
  np.testing.assert_allclose([stats[48000][k] for k in keys],
                             [stats[16000][k] for k in keys], rtol=1e-5)
  assert stats[48000]['mean_pitch'] == pytest.approx(
      float(ddsp.core.hz_to_midi(330.0)), abs=1e-3)
