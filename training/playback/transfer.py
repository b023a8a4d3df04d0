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

"""Timbre transfer of an audio file of any length, streamed.

1. The input is read and resampled to 16 kHz block by block, and CREPE f0
   and loudness are computed per block with enough context to match
   whole-file processing (`ddsp.features`), at the model's frame rate. A
   model that takes power instead (models/vst/vst.gin) gets power computed
   as in its training: `spectral_ops.compute_power` with its frame size,
   centred frames, up to the frame centred on the end of the input (its
   Crop drops the hop after it, so the output has the input's length).
2. The features of the whole file are adjusted: the Colab's auto-adjust
   towards the training data's statistics, then manual shifts
   (`feature_adjustments`).
3. The model synthesises them block by block straight into the output file
   (`block_synthesis`), carrying its state from block to block, so the
   output does not depend on the block length.

Only the features of the whole file (a few bytes per frame) are held at
once, so peak memory does not grow with the input.
"""

import dataclasses
import os
import time
from typing import Any, Dict, Iterable, Optional

from ddsp import atomic_files
from ddsp import crepe_frontend
from ddsp import errors
from ddsp.features import audio as audio_lib
from ddsp.features import f0_loudness
from ddsp.training import inference
from ddsp.training import output_paths
from ddsp.training.playback import adjustments
from ddsp.training.playback import blocks
from ddsp.training.playback import loading
import numpy as np
import soundfile as sf

DEFAULT_BLOCK_SECONDS = blocks.DEFAULT_BLOCK_SECONDS


@dataclasses.dataclass
class TransferReport:
  """Durations of a transfer, in seconds.

  Attributes:
    seconds_in: Input audio.
    seconds_out: Output audio.
    wall_seconds: The whole transfer.
    feature_seconds: Reading the input and computing its features.
    synth_seconds: Loading the model and synthesising.
  """
  seconds_in: float
  seconds_out: float
  wall_seconds: float
  feature_seconds: float
  synth_seconds: float

  @property
  def real_time_factor(self) -> float:
    """Processing time / audio duration (< 1 is faster than real time)."""
    return self.wall_seconds / max(self.seconds_in, 1e-9)


def stream_features(stream: audio_lib.AudioStream, frame_rate: float,
                    crepe_model: Optional[str] = 'full',
                    viterbi: bool = True,
                    block_seconds: float = DEFAULT_BLOCK_SECONDS,
                    power: Optional[inference.PowerFeature] = None,
                    extra_frames: int = 0) -> Dict[str, Any]:
  """f0, confidence and loudness (or power) of a 16 kHz stream.

  Args:
    stream: The input at 16 kHz.
    frame_rate: Frames per second.
    crepe_model: CREPE model size for f0.
    viterbi: Viterbi smoothing of f0.
    block_seconds: Audio analysed at once.
    power: How the model computes power, for a power model (None: loudness).
    extra_frames: Frames past the last whole hop of the input.

  Returns:
    dict with 'f0_hz', 'f0_confidence', 'loudness_db' (or 'power_db')
    [n_frames] and 'n_samples' (16 kHz samples read).
  """
  return _extractor(frame_rate, crepe_model, viterbi, block_seconds,
                    power).stream(stream.blocks(), extra_frames)


def _extractor(frame_rate, crepe_model, viterbi, block_seconds, power):
  """The f0 and loudness (or power, when `power` is given) extractor."""
  kwargs = {'model_capacity': crepe_model, 'viterbi': viterbi,
            'block_frames': blocks.block_frames(block_seconds, frame_rate)}
  if power is None:
    return f0_loudness.FeatureExtractor(frame_rate, **kwargs)
  return f0_loudness.PowerFeatureExtractor(frame_rate, power.frame_size,
                                           **kwargs)


def instrument_features(synth: blocks.Player,
                        audio_blocks: Iterable[np.ndarray],
                        crepe_model: Optional[str] = 'full',
                        viterbi: bool = True,
                        block_seconds: float = DEFAULT_BLOCK_SECONDS
                       ) -> Dict[str, Any]:
  """What an instrument is fed, computed from 16 kHz audio.

  f0 and its confidence at the instrument's frame rate, with loudness, or
  power for a model that takes power (a DDSP-VST model), computed as it was
  in the model's training; `extra_frames` frames past the last whole hop.
  `ddsp_timbre_transfer` and the timbre-transfer notebook both use it.

  Args:
    synth: The instrument (`loading.load_instrument`).
    audio_blocks: Iterable of float32 [n] arrays at 16 kHz: one whole
      recording, or consecutive blocks of it.
    crepe_model: CREPE model size for f0.
    viterbi: Viterbi smoothing of f0.
    block_seconds: Audio analysed at once.

  Returns:
    dict with 'f0_hz', 'f0_confidence' and `synth.db_key` [n_frames], and
    'n_samples' (16 kHz samples read).

  Raises:
    errors.BadValueError: the model computed power of frames that are not
      centred.
  """
  return _extractor(synth.frame_rate, crepe_model, viterbi, block_seconds,
                    _power_feature(synth)).stream(audio_blocks,
                                                  synth.extra_frames)


def _power_feature(synth: blocks.Player
                  ) -> Optional[inference.PowerFeature]:
  """How a power model computes its power (None for a loudness model)."""
  power = synth.power_feature
  if power is not None and power.padding != 'center':
    raise errors.BadValueError(
        f'{synth.gin_file}: the model computed its power with padding='
        f'{power.padding!r}, but timbre transfer computes centred frames '
        "('center', as models/vst/vst.gin). Train the model with "
        f"{synth.preprocessor_type}.padding = 'center'.")
  return power


def adjust_features(features: adjustments.Features,
                    ds_stats: Optional[Dict[str, Any]],
                    pitch_shift: float = 0.0,
                    loudness_shift: float = 0.0,
                    auto_adjust_on: bool = True,
                    threshold: float = 1.0,
                    quiet: float = 20.0,
                    autotune: float = 0.0,
                    verbose: bool = True) -> adjustments.Features:
  """Auto-adjust (when statistics are given), then the manual shifts."""
  adjusted = dict(features)
  if auto_adjust_on and ds_stats is None:
    print('The model has no statistics (a dataset_statistics.pkl next to '
          "a checkpoint, a .tflite's metadata): skipping auto-adjust.")
  elif auto_adjust_on:
    adjusted, _, _ = adjustments.auto_adjust(
        adjusted, ds_stats, threshold, quiet, autotune, verbose)
  adjusted = adjustments.shift_ld(adjusted, loudness_shift)
  return adjustments.shift_f0(adjusted, pitch_shift)


def write_synthesis(synth: blocks.Player,
                    features: adjustments.Features,
                    output_path: str,
                    verbose: bool = False) -> int:
  """Synthesises the features into a mono file; returns its length.

  The audio goes to a temporary file next to `output_path`, renamed to it
  once complete: if synthesis fails midway, no partial file is left (and an
  existing file at `output_path` is kept).

  Args:
    synth: The instrument (`loading.load_instrument`).
    features: 'f0_hz' and 'loudness_db' (or 'power_db', the model's
      `db_key`) [n_frames].
    output_path: Audio file written at the model's sample rate (format from
      its extension).
    verbose: Print progress and an estimate of the time left.

  Returns:
    Samples written (n_frames * hop_size - synth.crop_samples).
  """
  folder = os.path.dirname(os.path.abspath(output_path))
  with output_paths.new_folders_removed(folder):  # None left on failure.
    os.makedirs(folder, exist_ok=True)
    return _write_through_temporary_file(synth, features, output_path,
                                         verbose)


def _write_through_temporary_file(synth, features, output_path, verbose):
  """`write_synthesis` into an existing folder (`atomic_files`)."""
  n_total = len(features['f0_hz']) * synth.hop_size - synth.crop_samples
  progress = _Progress(n_total / synth.sample_rate) if verbose else None
  n_out = 0
  with atomic_files.temporary_path(output_path) as tmp_path:
    with sf.SoundFile(tmp_path, 'w', samplerate=synth.sample_rate,
                      channels=1, format=sound_format(output_path)) as out:
      for audio in blocks.synthesize_stream(
          synth, features['f0_hz'], features[synth.db_key]):
        out.write(np.clip(audio, -1.0, 1.0))
        n_out += audio.size
        if progress:
          progress.update(n_out / synth.sample_rate)
  return n_out


def sound_format(path: str) -> str:
  """soundfile's format name for the extension of `path` (WAV if none)."""
  ext = os.path.splitext(path)[1].lstrip('.').upper()
  return ext if ext in sf.available_formats() else 'WAV'


class _Progress:
  """Prints seconds synthesised and the time left, about every 10%."""

  def __init__(self, total_seconds: float):
    self.total = max(total_seconds, 1e-9)
    self.start = time.time()
    self.next_fraction = 0.1

  def update(self, done_seconds: float):
    fraction = done_seconds / self.total
    if fraction < self.next_fraction or fraction >= 1.0:
      return
    self.next_fraction = fraction + 0.1
    elapsed = time.time() - self.start
    left = elapsed * (1.0 - fraction) / fraction
    print(f'Synthesised {done_seconds:.1f} / {self.total:.1f} s '
          f'({100 * fraction:.0f}%), about {left:.0f} s left.')


def _print_report(output_path: str, sample_rate: int,
                  report: TransferReport) -> None:
  print(f'Wrote {output_path}: {report.seconds_out:.2f} s at '
        f'{sample_rate} Hz. Real-time factor '
        f'{report.real_time_factor:.3f} (features {report.feature_seconds:.1f}'
        f' s, synthesis {report.synth_seconds:.1f} s, total '
        f'{report.wall_seconds:.1f} s for {report.seconds_in:.1f} s of '
        'audio).')


def transfer_file(model: str,
                  input_path: str,
                  output_path: str,
                  pitch_shift: float = 0.0,
                  loudness_shift: float = 0.0,
                  auto_adjust_on: bool = True,
                  quiet: float = 20.0,
                  autotune: float = 0.0,
                  threshold: float = 1.0,
                  crepe_model: Optional[str] = 'full',
                  viterbi: bool = True,
                  block_seconds: float = DEFAULT_BLOCK_SECONDS,
                  preroll_seconds: float = 1.0,
                  crossfade_seconds: float = 0.05,
                  features_out: Optional[Dict[str, Any]] = None,
                  verbose: bool = True,
                  noise_seed: Optional[int] = None) -> TransferReport:
  """Timbre transfer of an audio file (see the module docstring).

  Args:
    model: An instrument name (`ddsp_instruments`), a model folder,
      checkpoint prefix or zip of a folder, or a DDSP-VST .tflite
      (`loading.load_instrument`).
    input_path: Audio file (any length, any format the decoder reads).
    output_path: Mono audio file written at the model's sample rate.
    pitch_shift: Octaves added after the auto-adjust.
    loudness_shift: dB added after the auto-adjust.
    auto_adjust_on: Adjust register and loudness to the dataset statistics
      or a .tflite's metadata ranges (skipped when the model has none).
    quiet: dB to lower the frames without notes (auto-adjust).
    autotune: Auto-tune amount in [0, 1] (auto-adjust).
    threshold: Note detection threshold (auto-adjust).
    crepe_model: CREPE model size for f0.
    viterbi: Viterbi smoothing of f0.
    block_seconds: Length of the blocks read and synthesised (the output
      does not depend on it: the synthesis state carries across blocks).
    preroll_seconds: Context synthesised before each block (only for
      models the streaming engine does not support).
    crossfade_seconds: Overlap of consecutive synthesised blocks (same).
    features_out: If given, receives the 'original' and 'adjusted'
      features.
    verbose: Print what is done.
    noise_seed: Seed of the filtered noise (None: fresh noise each run).

  Returns:
    TransferReport.

  Raises:
    errors.MissingPathError: the model or the input does not exist.
    errors.UnwritablePathError: the output cannot be written.
    errors.BadValueError: block_seconds <= 0 or autotune outside [0, 1];
      the input is shorter than one frame; the model takes neither loudness
      nor power, or power of frames that are not centred.
    audio_lib.AudioFileError: the input is not audio.
  """
  blocks.check_block_seconds(block_seconds, DEFAULT_BLOCK_SECONDS)
  if not 0.0 <= autotune <= 1.0:
    raise errors.BadValueError(f'autotune must be in [0, 1], got {autotune}.')
  output_paths.check_file(output_path, 'output')
  t0 = time.time()
  stream = audio_lib.AudioStream(input_path, crepe_frontend.SAMPLE_RATE,
                                 block_seconds)
  synth = loading.load_instrument(model, block_seconds, preroll_seconds,
                                  crossfade_seconds, noise_seed,
                                  progress=verbose)
  t1 = time.time()
  feats = instrument_features(synth, stream.blocks(), crepe_model, viterbi,
                              block_seconds)
  if feats['f0_hz'].size <= synth.extra_frames:
    raise errors.BadValueError(f'Input {input_path} is too short (less than '
                               'one frame): give a longer recording.')
  t2 = time.time()
  original = {k: v for k, v in feats.items() if k != 'n_samples'}
  adjusted = adjust_features(original, synth.statistics,
                             pitch_shift, loudness_shift, auto_adjust_on,
                             threshold, quiet, autotune, verbose)
  if features_out is not None:
    features_out.update({'original': original, 'adjusted': adjusted})
  n_out = write_synthesis(synth, adjusted, output_path, verbose)
  t3 = time.time()
  report = TransferReport(
      seconds_in=feats['n_samples'] / crepe_frontend.SAMPLE_RATE,
      seconds_out=n_out / synth.sample_rate,
      wall_seconds=t3 - t0,
      feature_seconds=t2 - t1,
      synth_seconds=(t1 - t0) + (t3 - t2))
  if verbose:
    _print_report(output_path, synth.sample_rate, report)
  return report
