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

"""An ensemble: the parts of a MIDI file, each played by its instrument.

  specs = parse_parts(['1=violin_run/', '2=flute.zip'], ['2=-6'], ['1=-0.5'])
  render_ensemble('quartet.mid', specs, 'mix.wav', stems_dir='stems/')

Each part (a track, counted from 0 as `--track` counts it) is played by its
own instrument (`loading.load_instrument`: a name, a folder, a zip, a
DDSP-VST .tflite), its notes given to up to `max_voices` voices
(`polyphony`), the voices synthesised as one batch per block
(`blocks.synthesize_voices`). The parts are mixed to stereo with their gain
and pan, and scaled by the headroom rule (`mixing`).

Memory does not grow with the piece: the parts' curves (a few bytes per
frame) are held, the audio is streamed block by block into a temporary
float file (the first pass, which finds the peak), then copied, scaled,
into the output and the stems, each written through `atomic_files` (whole
or not at all).
"""

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from typing import Dict, List, Optional, Sequence

from ddsp import atomic_files
from ddsp import errors
from ddsp.training import output_paths
from ddsp.training.playback import blocks
from ddsp.training.playback import loading
from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance
from ddsp.training.playback import midi_synthesis
from ddsp.training.playback import mixing
from ddsp.training.playback import polyphony
from ddsp.training.playback import progress
from ddsp.training.playback import transfer
import numpy as np
import soundfile as sf

DEFAULT_VOICES = 8  # Voice limit of a part given with --part.
_COPY_FRAMES = 1 << 16  # Samples copied at a time in the second pass.


@dataclasses.dataclass
class PartSpec:
  """A part and how it is played.

  Attributes:
    track: Track of the MIDI file, from 0 (None: the first with notes).
    model: Instrument name, model folder, zip or .tflite.
    gain_db: Gain of the part in the mix.
    pan: -1 (left) .. 1 (right).
    channel: MIDI channel 1..16 of the track (None: its first).
  """
  track: Optional[int]
  model: str
  gain_db: float = 0.0
  pan: float = 0.0
  channel: Optional[int] = None


@dataclasses.dataclass
class EnsembleRendering:
  """The result of `render_ensemble`.

  Attributes:
    audio: float32 [n, 2] when no output file was asked for, else None.
    stems: track -> float32 [n, 2] (in memory) or its file path.
    sample_rate: Of the instruments.
    seconds: Of the mix.
    peak: Highest sample of the mix and stems before the headroom rule.
    scale: The headroom gain applied (1: none needed).
    lines: What was played, as printed.
    unmapped: Tracks with notes that no part plays.
    wall_seconds: Loading and synthesis.
  """
  audio: Optional[np.ndarray]
  stems: Dict[int, object]
  sample_rate: int
  seconds: float
  peak: float
  scale: float
  lines: List[str]
  unmapped: List[str]
  wall_seconds: float


def _split(flag: str, text: str) -> List[str]:
  """'TRACK=VALUE' -> [TRACK, VALUE], or a BadValueError naming the flag."""
  track, sep, value = text.partition('=')
  if not sep or not track.strip().isdigit() or not value.strip():
    raise errors.BadValueError(
        f'--{flag}={text!r} is not TRACK=VALUE with TRACK a track number '
        f'from 0 (e.g. --{flag}=1=' +
        ('violin_run/' if flag == 'part' else '-6' if flag == 'gain' else
         '-0.5') + ').')
  return [track.strip(), value.strip()]


def _by_track(flag: str, texts: Sequence[str], tracks: Sequence[int]
             ) -> Dict[int, float]:
  """{track: number} of --gain / --pan values, tracks among the parts."""
  values = {}
  for text in texts or ():
    track, value = _split(flag, text)
    if int(track) not in tracks:
      raise errors.BadValueError(
          f'--{flag}={text}: track {track} is not one of the parts given '
          f'with --part (tracks {", ".join(map(str, tracks))}).')
    try:
      values[int(track)] = float(value)
    except ValueError:
      raise errors.BadValueError(
          f'--{flag}={text}: {value!r} is not a number.') from None
  return values


def parse_parts(parts: Sequence[str], gains: Sequence[str] = (),
                pans: Sequence[str] = ()) -> List[PartSpec]:
  """PartSpecs of --part TRACK=MODEL, --gain TRACK=DB, --pan TRACK=PAN.

  Raises:
    errors.BadValueError: a value not TRACK=VALUE, a track given twice, a
      gain or pan for a track no part plays, a pan outside [-1, 1].
  """
  specs = {}
  for text in parts:
    track, model = _split('part', text)
    if int(track) in specs:
      raise errors.BadValueError(f'--part gives track {track} twice: one '
                                 'instrument per track.')
    specs[int(track)] = PartSpec(int(track), model)
  gain = _by_track('gain', gains, list(specs))
  pan = _by_track('pan', pans, list(specs))
  for track, spec in specs.items():
    spec.gain_db = gain.get(track, 0.0)
    spec.pan = pan.get(track, 0.0)
    mixing.check_gain(spec.gain_db, f'--gain of track {track}:')
    mixing.check_pan(spec.pan, f'--pan of track {track}:')
  return list(specs.values())


def _first_playable(tracks: List[midi_file.TrackEvents]) -> Optional[int]:
  playable = [t.index for t in tracks if t.channels()]
  return playable[0] if playable else None


def unmapped_tracks(tracks: List[midi_file.TrackEvents],
                    played: Sequence[int]) -> List[str]:
  """'track 3 'Cello' (120 notes)' for each track with notes not played."""
  return [f'{t.label()} ({len(t.notes)} note(s))' for t in tracks
          if t.channels() and t.index not in played]


@dataclasses.dataclass
class _Part:
  """A part ready to play: its spec, instrument and performance."""
  spec: PartSpec
  synth: blocks.Player
  performance: polyphony.Performance


def _prepare(midi_path, specs, settings, max_voices, bend_range,
             block_seconds, verbose) -> List[_Part]:
  """Reads each part and loads its instrument; checks the sample rates."""
  parts = []
  for spec in specs:
    part = midi_file.read_part(midi_path, spec.track, spec.channel,
                               bend_range)
    synth = loading.load_instrument(spec.model, block_seconds=block_seconds,
                                    progress=verbose)
    model_range = midi_performance.ModelRange.from_statistics(
        synth.statistics, synth.db_key)
    parts.append(_Part(spec, synth, polyphony.perform(
        part, synth.frame_rate, settings, model_range, max_voices)))
  rates = {p.spec.model: int(p.synth.sample_rate) for p in parts}
  if len(set(rates.values())) > 1:
    listed = ', '.join(f'{m} {r} Hz' for m, r in rates.items())
    raise errors.BadValueError(
        f'The instruments play at different sample rates ({listed}): mix '
        'instruments of one sample rate, or render the parts one by one.')
  return parts


def _first_pass(parts: List[_Part], raw_dir: str, batched: bool,
                verbose: bool) -> List[float]:
  """Streams the parts into raw float files; -> peaks [mix, stem...].

  raw_dir/mix.wav is the stereo mix; raw_dir/<i>.wav part i's mono audio
  at its gain.
  """
  rate = int(parts[0].synth.sample_rate)
  gains = [mixing.channel_gains(p.spec.gain_db, p.spec.pan) for p in parts]
  seconds = max(p.performance.curves.seconds for p in parts)
  bar = progress.ProgressBar('Synthesising', seconds, enabled=verbose,
                             formatter=progress.format_audio_seconds)
  streams = [blocks.synthesize_voices(p.synth, p.performance.curves.f0_hz,
                                      p.performance.curves.loudness_db,
                                      batched) for p in parts]
  peaks = [0.0] * (len(parts) + 1)
  files = [sf.SoundFile(os.path.join(raw_dir, f'{i}.wav'), 'w', rate, 1,
                        'FLOAT') for i in range(len(parts))]
  with sf.SoundFile(os.path.join(raw_dir, 'mix.wav'), 'w', rate, 2,
                    'FLOAT') as mix_file:
    for chunks in mixing.aligned(streams):
      mix = np.zeros([chunks[0].size, 2], np.float32)
      for i, (chunk, lr) in enumerate(zip(chunks, gains)):
        stem = chunk[:, np.newaxis] * lr
        mix += stem
        peaks[i + 1] = max(peaks[i + 1], float(np.max(np.abs(stem))))
        files[i].write(chunk * np.hypot(*lr))
      peaks[0] = max(peaks[0], float(np.max(np.abs(mix))))
      mix_file.write(mix)
      bar.update(chunks[0].size / rate)
  for f in files:
    f.close()
  bar.close()
  return peaks


def _copy_scaled(raw_path: str, scale: float, pan_lr: Optional[np.ndarray],
                 output_path: Optional[str]):
  """The raw file times `scale` (mono panned to stereo by the unit gains
  pan_lr) into output_path atomically, or returned [n, 2]."""
  with sf.SoundFile(raw_path) as raw:
    rate = raw.samplerate

    def scaled_blocks():
      for block in raw.blocks(_COPY_FRAMES, dtype='float32', always_2d=True):
        if pan_lr is not None:
          block = block * pan_lr
        yield np.clip(block * scale, -1.0, 1.0)

    if output_path is None:
      return np.concatenate(list(scaled_blocks()) or [np.zeros([0, 2])])
    with atomic_files.temporary_path(output_path) as tmp:
      with sf.SoundFile(tmp, 'w', rate, 2,
                        format=transfer.sound_format(output_path)) as out:
        for block in scaled_blocks():
          out.write(block)
  return output_path


def _render(parts, played, output_path, stems_dir, batched, verbose):
  """Both passes, through a temporary folder; -> (peaks, mix in memory or
  None, stems by track, seconds)."""
  folder = os.path.dirname(os.path.abspath(output_path)) if (
      output_path) else None
  raw_dir = tempfile.mkdtemp(prefix='.ensemble-', dir=folder)
  try:
    peaks = _first_pass(parts, raw_dir, batched, verbose)
    scale = mixing.headroom_scale(max(peaks))
    audio = _copy_scaled(os.path.join(raw_dir, 'mix.wav'), scale, None,
                         output_path)
    stems = {}
    with_stems = stems_dir is not None or output_path is None
    for i, p in enumerate(parts if with_stems else []):
      stems[played[i]] = _copy_scaled(
          os.path.join(raw_dir, f'{i}.wav'), scale,
          mixing.channel_gains(0.0, p.spec.pan),
          stem_path(stems_dir, played[i], output_path) if output_path
          else None)
    with sf.SoundFile(os.path.join(raw_dir, 'mix.wav')) as raw:
      seconds = raw.frames / raw.samplerate
  finally:
    shutil.rmtree(raw_dir, ignore_errors=True)
  return peaks, None if output_path else audio, stems, seconds


def stem_path(stems_dir: str, track: int, output_path: Optional[str]) -> str:
  """<stems_dir>/track<k>.<extension of the output, wav without one>."""
  ext = os.path.splitext(output_path or '')[1] or '.wav'
  return os.path.join(stems_dir, f'track{track}{ext}')


def render_ensemble(midi_path: str,
                    specs: Sequence[PartSpec],
                    output_path: Optional[str] = None,
                    stems_dir: Optional[str] = None,
                    settings: Optional[midi_performance.Settings] = None,
                    max_voices: int = DEFAULT_VOICES,
                    bend_range: float = midi_file.DEFAULT_BEND_RANGE,
                    block_seconds: float = blocks.DEFAULT_BLOCK_SECONDS,
                    batched: bool = True,
                    verbose: bool = True) -> EnsembleRendering:
  """Plays the parts of a MIDI file, each with its instrument, in stereo.

  Args:
    midi_path: Standard MIDI file.
    specs: The parts (`parse_parts`).
    output_path: Stereo audio file (.wav, .flac, .ogg); None returns the
      audio instead (short pieces).
    stems_dir: Folder for each part's stem (stereo, panned, same headroom
      gain: the stems sum to the mix); None: no stems (in memory, without
      output_path, the stems are always returned).
    settings: How notes are played (midi_performance.Settings).
    max_voices: Voice limit of each part (1: monophonic, `settings.overlap`
      picks the sounding note).
    bend_range: Semitones of a full pitch-wheel throw.
    block_seconds: Length of the synthesised blocks.
    batched: A part's voices as one batch per block (False: one by one).
    verbose: Print what is played and the progress.

  Returns:
    EnsembleRendering.

  Raises:
    errors.UserError: a bad setting, file, track, model or output.
  """
  t0 = time.time()
  settings = settings or midi_performance.Settings()
  settings.check()
  blocks.check_block_seconds(block_seconds)
  if not specs:
    raise errors.BadValueError('No parts to play: give --part TRACK=MODEL.')
  if output_path is not None:
    midi_synthesis.check_output(output_path)
  if stems_dir is not None:
    output_paths.check_folder(stems_dir, 'stems_dir')
  tracks = midi_file.read_tracks(midi_path)
  played = [_first_playable(tracks) if s.track is None else s.track
            for s in specs]
  parts = _prepare(midi_path, specs, settings, max_voices, bend_range,
                   block_seconds, verbose)
  lines = [line for p in parts for line in p.performance.lines]
  unmapped = unmapped_tracks(tracks, played)
  if unmapped:
    lines.append(f'Not played (no --part for them): {"; ".join(unmapped)}.')
  if verbose:
    print('\n'.join(lines), flush=True)
  folders = [os.path.dirname(os.path.abspath(output_path))] + (
      [stems_dir] if stems_dir else []) if output_path else []
  with contextlib.ExitStack() as stack:
    for folder in folders:  # Folders made here are removed on failure.
      stack.enter_context(output_paths.new_folders_removed(folder))
      os.makedirs(folder, exist_ok=True)
    peaks, audio, stems, seconds = _render(parts, played, output_path,
                                           stems_dir, batched, verbose)
  scale = mixing.headroom_scale(max(peaks))
  rendering = EnsembleRendering(
      audio=audio, stems=stems,
      sample_rate=int(parts[0].synth.sample_rate), seconds=seconds,
      peak=max(peaks), scale=scale, lines=lines, unmapped=unmapped,
      wall_seconds=time.time() - t0)
  if verbose:
    print(f'Wrote {output_path or "(in memory)"}: {seconds:.2f} s, stereo, '
          f'{len(parts)} part(s); peak {20 * np.log10(max(max(peaks), 1e-9)):.1f} '
          f'dBFS before the headroom rule, scaled by {scale:.3f}; '
          f'{rendering.wall_seconds:.1f} s.')
  return rendering
