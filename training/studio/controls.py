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

"""The controls of the studio's forms: ranges, defaults, what they do.

One table for the page (it builds its sliders from `as_json`) and for the
server (it checks every value a request sends against it). The transfer
controls are the original timbre-transfer Colab's, with its defaults and
ranges; the MIDI controls are `ddsp_synthesize_midi`'s flags.
"""

import dataclasses
from typing import Any, Dict, List, Tuple

from ddsp import errors
from ddsp import crepe_frontend
from ddsp.training.playback import midi_performance as perf


@dataclasses.dataclass(frozen=True)
class Control:
  """A number (min, max, step) or a choice (`choices`) of a form."""
  name: str
  label: str
  default: Any
  help: str
  min: float = 0.0
  max: float = 0.0
  step: float = 1.0
  choices: Tuple[Any, ...] = ()

  def check(self, value: Any) -> Any:
    """`value` as the control's type, refused when out of range."""
    if self.choices:
      if value not in self.choices:
        raise errors.BadValueError(
            f'{self.label}: {value!r} is not one of '
            f'{", ".join(map(str, self.choices))}.')
      return value
    if isinstance(self.default, bool):
      if not isinstance(value, bool):
        raise errors.BadValueError(f'{self.label}: give true or false.')
      return value
    try:
      number = float(value)
    except (TypeError, ValueError):
      raise errors.BadValueError(
          f'{self.label}: {value!r} is not a number.') from None
    if not self.min <= number <= self.max:
      raise errors.BadValueError(
          f'{self.label}: {number:g} is outside {self.min:g}..{self.max:g}.')
    return number


_ENV, _VIB = perf.Envelope(), perf.Vibrato()
CREPE = Control('crepe_model', 'Pitch tracker (CREPE)', 'full',
                'CREPE model size: full is the most accurate, tiny the '
                'fastest.', choices=crepe_frontend.MODEL_SIZES)
TRANSFER = (
    Control('auto_adjust', 'Auto-adjust', True,
            'Move the input\'s register and loudness to the instrument\'s '
            'training data (needs its statistics).'),
    Control('threshold', 'Note threshold', 1.0,
            'How readily frames count as notes (auto-adjust).', 0.0, 2.0,
            0.01),
    Control('quiet', 'Quiet (dB)', 20.0,
            'Lower the frames without notes by this much (auto-adjust).',
            0.0, 60.0, 1.0),
    Control('autotune', 'Autotune', 0.0,
            'Pull the pitch towards the nearest notes: 0 off, 1 fully '
            '(auto-adjust).', 0.0, 1.0, 0.1),
    Control('pitch_shift', 'Pitch shift (octaves)', 0.0,
            'Octaves added after the auto-adjust.', -2.0, 2.0, 1.0),
    Control('loudness_shift', 'Loudness shift (dB)', 0.0,
            'dB added after the auto-adjust.', -20.0, 20.0, 1.0),
    CREPE,
)
MIDI = (
    Control('transpose', 'Transpose (semitones)', 0.0,
            'Semitones added to every note.', -48.0, 48.0, 1.0),
    Control('attack', 'Attack (s)', _ENV.attack, 'Envelope attack.', 0.0,
            2.0, 0.01),
    Control('decay', 'Decay (s)', _ENV.decay, 'Envelope decay.', 0.0, 2.0,
            0.01),
    Control('sustain', 'Sustain', _ENV.sustain, 'Envelope sustain level.',
            0.0, 1.0, 0.05),
    Control('release', 'Release (s)', _ENV.release, 'Envelope release.', 0.0,
            4.0, 0.01),
    Control('vibrato_cents', 'Vibrato (cents)', _VIB.cents,
            'Vibrato depth (0: off).', 0.0, 100.0, 1.0),
    Control('vibrato_hz', 'Vibrato rate (Hz)', _VIB.hz, 'Vibrato rate.', 0.1,
            12.0, 0.1),
    Control('vibrato_delay', 'Vibrato delay (s)', _VIB.delay,
            'Seconds after a note starts before its vibrato.', 0.0, 2.0,
            0.05),
    Control('glide', 'Glide (s)', 0.0, 'Portamento into legato notes.', 0.0,
            1.0, 0.01),
    Control('velocity_sensitivity', 'Velocity sensitivity',
            perf.Settings.velocity_sensitivity,
            '0: every note equally loud; 1: velocities span the '
            'instrument\'s whole loudness range.', 0.0, 1.0, 0.05),
    Control('overlap', 'Overlapping notes', 'last',
            'Which of overlapping notes sounds.',
            choices=perf.OVERLAP_RULES),
    Control('out_of_range', 'Notes out of range', 'octave',
            'Move notes outside the instrument\'s range by octaves, or only '
            'report them.', choices=perf.RANGE_RULES),
)
TRAINING_CONFIGS = {
    'fast': 'models/solo_instrument_fast.gin',
    'vst_fast': 'models/vst/vst_fast.gin',
}
TRAIN = (
    Control('minutes', 'Training minutes', 10.0,
            'Wall-clock budget of training (set-up included).', 0.5, 600.0,
            0.5),
    Control('config', 'Model', 'fast',
            'fast: the best sound in 10 minutes; vst_fast: also exports for '
            'the DDSP-VST plugin.', choices=tuple(TRAINING_CONFIGS)),
    dataclasses.replace(CREPE, default='tiny'),
)


def check(table: Tuple[Control, ...], values: Dict[str, Any]
          ) -> Dict[str, Any]:
  """Every control of `table` checked, defaults for those not given."""
  unknown = sorted(set(values) - {c.name for c in table})
  if unknown:
    raise errors.BadValueError(f'Unknown settings: {", ".join(unknown)}.')
  return {c.name: c.check(values[c.name]) if c.name in values else c.default
          for c in table}


def as_json(table: Tuple[Control, ...]) -> List[Dict[str, Any]]:
  return [dataclasses.asdict(c) for c in table]
