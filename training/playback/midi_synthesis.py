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

"""Playing notes or a MIDI file with a trained DDSP model.

  rendering = render_midi('flute', 'song.mid', 'song.wav')
  rendering = render_midi('model.zip', 'song.mid', 'song.wav')
  rendering = render_midi('model_dir', [Note(69, 0.0, 1.0, 100)])  # audio

The notes become f0 and loudness curves at the model's frame rate, in the
range of its dataset statistics (`midi_performance`); the model synthesises
them block by block with the engine of timbre transfer
(`blocks.synthesize_stream`, `transfer.write_synthesis`), so a
file of any length runs in bounded memory. A file is written under a
temporary name in the output folder and renamed when complete: a failure
leaves no partial file.
"""

import dataclasses
import os
import time
from typing import List, Optional, Sequence, Union

from ddsp import errors
from ddsp.training import output_paths
from ddsp.training.playback import blocks
from ddsp.training.playback import loading
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance
from ddsp.training.playback import transfer
import numpy as np
import soundfile as sf

MidiSource = Union[str, os.PathLike, midi_performance.Part,
                   Sequence[midi_performance.Note]]


@dataclasses.dataclass
class Rendering:
  """The result of `render_midi`.

  Attributes:
    audio: float32 [n_samples] when no output file was asked for, else None.
    sample_rate: Of the model.
    curves: The f0 and loudness the model played.
    report: What was done to the notes.
    lines: The report as printed.
    wall_seconds: Model loading and synthesis.
  """
  audio: Optional[np.ndarray]
  sample_rate: int
  curves: midi_performance.Curves
  report: midi_performance.Report
  lines: List[str]
  wall_seconds: float

  @property
  def real_time_factor(self) -> float:
    """Processing time / duration of the audio (< 1: faster than real time)."""
    return self.wall_seconds / max(self.curves.seconds, 1e-9)


def as_part(source: MidiSource, track: Optional[int] = None,
            channel: Optional[int] = None,
            bend_range: float = midi_file.DEFAULT_BEND_RANGE
           ) -> midi_performance.Part:
  """A Part from a MIDI file path, a Part, or a sequence of Notes."""
  if isinstance(source, (str, os.PathLike)):
    return midi_file.read_part(os.fspath(source), track, channel, bend_range)
  if isinstance(source, midi_performance.Part):
    return source
  return midi_performance.Part(notes=list(source))


def check_output(output_path: str) -> None:
  """Refuses a path not writable, or an extension soundfile cannot write."""
  output_paths.check_file(output_path, 'output')
  ext = os.path.splitext(output_path)[1].lstrip('.').upper()
  if ext not in sf.available_formats():
    raise errors.BadValueError(
        f'Output {output_path}: unknown audio format {ext!r}; end the name '
        'with .wav, .flac or .ogg.')


def write_atomically(synth: blocks.Player,
                     curves: midi_performance.Curves,
                     output_path: str, verbose: bool = False) -> int:
  """Synthesises the curves into `output_path`, whole or not at all.

  `transfer.write_synthesis` streams the blocks through `atomic_files`.

  Returns:
    Samples written.
  """
  features = {'f0_hz': curves.f0_hz, synth.db_key: curves.loudness_db}
  return transfer.write_synthesis(synth, features, output_path, verbose)


def synthesize(synth: blocks.Player,
               curves: midi_performance.Curves) -> np.ndarray:
  """Audio of the curves in memory, float32 [n_frames * hop_size]."""
  audio = blocks.synthesize_stream(synth, curves.f0_hz, curves.loudness_db)
  return np.concatenate(list(audio)).astype(np.float32)


def render_midi(model: str,
                source: MidiSource,
                output_path: Optional[str] = None,
                settings: Optional[midi_performance.Settings] = None,
                track: Optional[int] = None,
                channel: Optional[int] = None,
                bend_range: float = midi_file.DEFAULT_BEND_RANGE,
                block_seconds: float = transfer.DEFAULT_BLOCK_SECONDS,
                verbose: bool = True) -> Rendering:
  """Plays a MIDI file (or notes) with a trained model.

  Args:
    model: An instrument name, a model folder, checkpoint prefix or zip
      of a folder (with dataset_statistics.pkl for the pitch and loudness
      range), or a DDSP-VST .tflite (its metadata gives the range).
    source: MIDI file path, a midi_performance.Part, or Notes.
    output_path: Audio file to write (.wav, .flac, .ogg); None returns the
      audio instead (hold it in memory: for short pieces).
    settings: How to play the notes (default midi_performance.Settings()).
    track: Track of the MIDI file, from 0 (None: first with notes).
    channel: MIDI channel 1..16 (None: the track's first, not drums).
    bend_range: Semitones of a full pitch-wheel throw.
    block_seconds: Length of the synthesised blocks.
    verbose: Print the report and the progress.

  Returns:
    Rendering.

  Raises:
    errors.MissingPathError: no such model or MIDI file.
    errors.BadValueError: a setting or block_seconds out of range, or an
      unknown output format.
    errors.UnwritablePathError: the output cannot be written.
    midi_file.MidiFileError: the MIDI file cannot be played.
    errors.MissingPackageError: a MIDI file was given and mido is not
      installed.
  """
  t0 = time.time()
  settings = settings or midi_performance.Settings()
  settings.check()
  blocks.check_block_seconds(block_seconds,
                                      transfer.DEFAULT_BLOCK_SECONDS)
  if output_path is not None:
    check_output(output_path)
  part = as_part(source, track, channel, bend_range)
  if not any(n.end > n.start for n in part.notes):
    raise errors.BadValueError(f'{part.name} has no notes to play.')
  synth = loading.load_instrument(model, block_seconds=block_seconds,
                                  progress=verbose)
  model_range = midi_performance.ModelRange.from_statistics(
      synth.statistics, synth.db_key)
  curves, report = midi_performance.performance_curves(
      part, synth.frame_rate, settings, model_range)
  lines = report.lines(part.name, model_range, settings.out_of_range)
  if verbose:
    print('\n'.join(lines))
    n_blocks = int(np.ceil(curves.seconds / block_seconds))
    print(f'Synthesising {curves.seconds:.1f} s of audio in {n_blocks} '
          f'block(s) of {block_seconds:g} s...', flush=True)
  audio = None
  if output_path is None:
    audio = synthesize(synth, curves)
  else:
    write_atomically(synth, curves, output_path, verbose)
  rendering = Rendering(audio=audio, sample_rate=int(synth.sample_rate),
                        curves=curves, report=report, lines=lines,
                        wall_seconds=time.time() - t0)
  if verbose:
    where = f'Wrote {output_path}' if output_path else 'Synthesised'
    print(f'{where}: {curves.seconds:.2f} s at {rendering.sample_rate} Hz '
          f'in {rendering.wall_seconds:.1f} s (real-time factor '
          f'{rendering.real_time_factor:.3f}).')
  return rendering
