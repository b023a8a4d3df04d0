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

"""Jobs that play an instrument: timbre transfer and MIDI.

Each writes `output.wav` in its job folder (atomically, through
`playback.transfer` and `playback.midi_synthesis`), then its figures
(`plots`). They run one at a time in the 'playback' queue; the request's
values were checked against `controls` when the job was submitted.
"""

import os
import threading
from typing import Any, Callable, Dict

from ddsp.training.playback import midi_performance as perf
from ddsp.training.playback import midi_synthesis
from ddsp.training.playback import transfer
from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import instruments
from ddsp.training.studio import plots
from ddsp.training.studio import uploads

OUTPUT = 'output.wav'
# TensorFlow work done in the studio's own process (playback, statistics)
# runs one piece at a time: loaded models keep gin configurations of their
# own, which are activated around their traces.
IN_PROCESS = threading.Lock()


def transfer_job(folders: folders_lib.Folders, params: Dict[str, Any],
                 folder: str, report: Callable) -> Dict[str, Any]:
  """Timbre transfer of an uploaded recording with a picked instrument."""
  model = instruments.locate(folders, params['instrument'])
  input_path = uploads.audio_path(folders, params['upload'])
  settings = params['settings']
  feats = {}
  report({'stage': 'transferring'})
  with IN_PROCESS:
    result = transfer.transfer_file(
        model, input_path, os.path.join(folder, OUTPUT),
        pitch_shift=settings['pitch_shift'],
        loudness_shift=settings['loudness_shift'],
        auto_adjust_on=settings['auto_adjust'], quiet=settings['quiet'],
        autotune=settings['autotune'], threshold=settings['threshold'],
        crepe_model=settings['crepe_model'], features_out=feats,
        verbose=False)
    report({'stage': 'plotting'})
    db_key = 'power_db' if 'power_db' in feats['original'] else 'loudness_db'
    figures = [
        plots.spectrograms(folder, input_path, os.path.join(folder, OUTPUT),
                           ('Input', 'Output')),
        plots.features(folder, {'before adjustment': feats['original'],
                                'after adjustment': feats['adjusted']},
                       result.seconds_in, db_key)]
  return {'audio': OUTPUT, 'seconds': result.seconds_out,
          'seconds_in': result.seconds_in, 'plots': figures,
          'download_name': _download_name(params['upload'],
                                          params['instrument'])}


def midi_job(folders: folders_lib.Folders, params: Dict[str, Any],
             folder: str, report: Callable) -> Dict[str, Any]:
  """A part of an uploaded MIDI file played by a picked instrument."""
  model = instruments.locate(folders, params['instrument'])
  midi_path = uploads.midi_path(folders, params['upload'])
  s = params['settings']
  settings = perf.Settings(
      transpose=s['transpose'],
      envelope=perf.Envelope(s['attack'], s['decay'], s['sustain'],
                             s['release']),
      vibrato=perf.Vibrato(s['vibrato_cents'], s['vibrato_hz'],
                           s['vibrato_delay']),
      glide=s['glide'], velocity_sensitivity=s['velocity_sensitivity'],
      overlap=s['overlap'], out_of_range=s['out_of_range'])
  report({'stage': 'rendering'})
  output = os.path.join(folder, OUTPUT)
  with IN_PROCESS:
    rendering = midi_synthesis.render_midi(
        model, midi_path, output, settings=settings,
        track=params.get('track'), verbose=False)
    figures = [
        plots.spectrograms(folder, None, output, ('Output',)),
        plots.features(folder, {'played': {
            'f0_hz': rendering.curves.f0_hz,
            'loudness_db': rendering.curves.loudness_db}},
                       rendering.curves.seconds)]
  return {'audio': OUTPUT, 'seconds': rendering.curves.seconds,
          'plots': figures, 'report': rendering.lines,
          'download_name': _download_name(params['upload'],
                                          params['instrument'])}


def _download_name(upload_id: str, instrument_id: str) -> str:
  """'<input name>_<instrument>.wav' for the browser's download."""
  stem = os.path.splitext(upload_id.split('-', 1)[-1])[0]
  instrument = os.path.splitext(instrument_id.split('/')[-1].split(':')[-1])
  return folders_lib.sanitize(f'{stem}_{instrument[0]}.wav')
