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

"""Short solo-instrument runs at a given sample rate, and what they show.

Used by `benchmarks/high_rate.py` and its slow test to put a 48 kHz model
next to a 16 kHz one trained for the same steps:

* `prepare` writes TFRecords of some recordings at (sample_rate, 250 fps).
* `train` runs a small decoder of `models/solo_instrument[_48k].gin` for a
  few hundred steps on them (`run_modes.train`, checkpoints, summaries).
* `summary_series` reads the mean total loss of every summary period (and
  the health signals).
* `evaluate` synthesises the training examples and measures
  - the pitch of the harmonic synthesiser's output (CREPE at 16 kHz)
    against the data's f0:  cents = 1200 * |log2(f0_harmonic / f0_data)|,
    median over the frames voiced in the data;
  - the level of the harmonic output against the noise output
    (10 log10(E[h^2] / E[n^2])) and against the data;
  - the share of energy above 8 kHz of the data and of the model output,
    10 log10(E_{f > 8 kHz} / E_total).
"""

import dataclasses
import os
from typing import Dict, List, Sequence

from ddsp import crepe_frontend
from ddsp import crepe_model
from ddsp.features import resampling
from ddsp.training import data
from ddsp.training import gin_setup
from ddsp.training import models
from ddsp.training import run_modes
from ddsp.training import summaries
from ddsp.training import train_util
from ddsp.training.data_preparation import prepare_tfrecord_lib
import gin
import numpy as np

FRAME_RATE = 250
CONFIGS = {16000: 'models/solo_instrument.gin',
           48000: 'models/solo_instrument_48k.gin'}
# A decoder small enough for a few hundred steps on a CPU.
SMALL_DECODER = ('RnnFcDecoder.rnn_channels = 64',
                 'RnnFcDecoder.ch = 64',
                 'RnnFcDecoder.layers_per_stack = 1')
VOICED_CONFIDENCE = 0.5
CUTOFF_HZ = 8000.0
_EPS = 1e-12


@dataclasses.dataclass
class RunSpec:
  """One short run: rate, example length, steps and optimiser settings."""
  sample_rate: int
  example_secs: float = 1.0
  steps: int = 300
  batch_size: int = 4
  learning_rate: float = 1e-3
  steps_per_summary: int = 50
  seed: int = 0
  extra_gin: Sequence[str] = ()  # More bindings, e.g. to compare variants.

  @property
  def n_samples(self) -> int:
    return int(round(self.example_secs * self.sample_rate))

  @property
  def n_frames(self) -> int:
    return int(round(self.example_secs * FRAME_RATE))


@dataclasses.dataclass
class Evaluation:
  """What a trained run shows on its examples (see the module docstring)."""
  median_cents: float
  voiced_frames: int
  harmonic_to_noise_db: float
  harmonic_to_data_db: float
  data_above_cutoff_db: float
  output_above_cutoff_db: float


# ---------------------------------------------------------------------------
# Measurements (numpy).
# ---------------------------------------------------------------------------
def cents(f0_a, f0_b):
  """|1200 log2(f0_a / f0_b)| per frame, [n_frames] (f0 > 0 expected)."""
  return np.abs(1200.0 * np.log2(np.maximum(f0_a, _EPS) /
                                 np.maximum(f0_b, _EPS)))


def energy_db(a, b):
  """10 log10(E[a^2] / E[b^2]) of two signals of any shape."""
  return float(10 * np.log10((np.mean(np.square(a)) + _EPS) /
                             (np.mean(np.square(b)) + _EPS)))


def energy_above_db(audio, sample_rate, cutoff_hz=CUTOFF_HZ):
  """Share of the energy above `cutoff_hz`, 10 log10(E_high / E_total).

  Args:
    audio: [..., n_samples] at `sample_rate`.
    sample_rate: Hz.
    cutoff_hz: lower edge of the band.

  Returns:
    dB (<= 0); -120 dB when nothing lies above the cutoff.
  """
  power = np.abs(np.fft.rfft(np.asarray(audio, np.float64), axis=-1))**2
  freqs = np.fft.rfftfreq(np.shape(audio)[-1], 1.0 / sample_rate)
  high = power[..., freqs > cutoff_hz].sum()
  return float(10 * np.log10(max(high / (power.sum() + _EPS), 1e-12)))


def harmonic_pitch_cents(harmonic, sample_rate, f0_hz, f0_confidence,
                         crepe_capacity='tiny'):
  """Cents between the harmonic output's CREPE f0 and the data's f0.

  Args:
    harmonic: [n_examples, n_samples] harmonic synthesiser output.
    sample_rate: its rate (resampled to 16 kHz for CREPE).
    f0_hz: [n_examples, n_frames] the data's f0 (250 frames/s, 'same').
    f0_confidence: [n_examples, n_frames] the data's CREPE confidence.
    crepe_capacity: CREPE size.

  Returns:
    cents [n_voiced] over the frames with data confidence >= 0.5.
  """
  errors = []
  for audio, f0, confidence in zip(harmonic, f0_hz, f0_confidence):
    audio_16k = resampling.resample(audio, sample_rate,
                                    crepe_frontend.SAMPLE_RATE)
    f0_out, _ = crepe_model.compute_f0(audio_16k, FRAME_RATE, viterbi=False,
                                       padding='same',
                                       model_capacity=crepe_capacity)
    n = min(len(f0_out), len(f0))
    voiced = (confidence[:n] >= VOICED_CONFIDENCE) & (f0[:n] > 0)
    errors.append(cents(f0_out[:n][voiced], f0[:n][voiced]))
  return np.concatenate(errors)


# ---------------------------------------------------------------------------
# Data, training, evaluation.
# ---------------------------------------------------------------------------
def prepare(audio_paths: Sequence[str], out_dir: str, spec: RunSpec,
            crepe_capacity: str = 'tiny') -> str:
  """TFRecords of `audio_paths` at the spec's rate; returns the pattern."""
  prefix = os.path.join(out_dir, f'train_{spec.sample_rate}.tfrecord')
  prepare_tfrecord_lib.prepare_tfrecord(
      list(audio_paths), prefix, num_shards=1, sample_rate=spec.sample_rate,
      frame_rate=FRAME_RATE, example_secs=spec.example_secs, hop_secs=0.5,
      chunk_secs=None, crepe_model=crepe_capacity)
  return prefix + '*'


def gin_params(spec: RunSpec, file_pattern: str) -> List[str]:
  """Bindings of a short run: lengths, small decoder, optimiser, data."""
  return [
      f"TFRecordProvider.file_pattern = '{file_pattern}'",
      f'TFRecordProvider.example_secs = {spec.example_secs}',
      f'TFRecordProvider.sample_rate = {spec.sample_rate}',
      f'Harmonic.n_samples = {spec.n_samples}',
      f'FilteredNoise.n_samples = {spec.n_samples}',
      f'F0LoudnessPreprocessor.time_steps = {spec.n_frames}',
      *SMALL_DECODER,
      f'batch_size = {spec.batch_size}',
      f'learning_rate = {spec.learning_rate}',
      f'train.num_steps = {spec.steps}',
      f'train.steps_per_summary = {spec.steps_per_summary}',
      f'train.steps_per_save = {spec.steps}',
      *spec.extra_gin,
  ]


def parse_run_config(spec: RunSpec, file_pattern: str, save_dir: str = ''):
  """Parses the rate's config, datasets/tfrecord.gin and the run bindings."""
  with gin.unlock_config():
    gin.clear_config()
  gin_setup.parse_gin(save_dir, gin_files=[
      CONFIGS[spec.sample_rate], 'datasets/tfrecord.gin'],
                      gin_params=gin_params(spec, file_pattern))


def train(spec: RunSpec, file_pattern: str, save_dir: str) -> None:
  """Trains a short run into `save_dir` (checkpoint, operative config)."""
  parse_run_config(spec, file_pattern)
  run_modes.train(save_dir, save_dir, seed=spec.seed)


def summary_series(save_dir: str,
                   tag: str = 'losses/total_loss') -> Dict[int, float]:
  """{step: value} of a train summary, e.g. the mean total loss of every
  summary period or 'health/harmonic_amplitude'."""
  return summaries.read_scalars(
      os.path.join(save_dir, 'summaries', 'train'), tag)


def _examples(spec: RunSpec, file_pattern: str, n_examples: int):
  """The first `n_examples` examples, batched: {name: [n, ...]}."""
  provider = data.TFRecordProvider(file_pattern, spec.example_secs,
                                   spec.sample_rate, FRAME_RATE)
  batch = next(iter(provider.get_dataset(shuffle=False).batch(n_examples)))
  return {k: v.numpy() for k, v in batch.items()}


def evaluate(spec: RunSpec, file_pattern: str, save_dir: str,
             n_examples: int = 8,
             crepe_capacity: str = 'tiny') -> Evaluation:
  """Synthesises `n_examples` training examples with the trained model."""
  parse_run_config(spec, file_pattern, save_dir)
  model = models.get_model()
  model.restore(train_util.get_latest_checkpoint(save_dir), verbose=False)
  batch = _examples(spec, file_pattern, n_examples)
  outputs = model(dict(batch), training=False)
  harmonic = outputs['harmonic']['signal'].numpy()
  noise = outputs['filtered_noise']['signal'].numpy()
  audio = model.get_audio_from_outputs(outputs).numpy()
  errors = harmonic_pitch_cents(harmonic, spec.sample_rate, batch['f0_hz'],
                                batch['f0_confidence'], crepe_capacity)
  return Evaluation(
      median_cents=float(np.median(errors)) if errors.size else float('nan'),
      voiced_frames=int(errors.size),
      harmonic_to_noise_db=energy_db(harmonic, noise),
      harmonic_to_data_db=energy_db(harmonic, batch['audio']),
      data_above_cutoff_db=energy_above_db(batch['audio'], spec.sample_rate),
      output_above_cutoff_db=energy_above_db(audio, spec.sample_rate))
