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

"""Edits of f0 and loudness before resynthesis (the timbre-transfer Colab).

Manual shifts (octaves, dB) and the Colab's "auto-adjust", which moves the
register and loudness of a performance towards those of the model's
training data. Features are dicts of float32 `[n_frames]` arrays with the
keys 'f0_hz', 'f0_confidence' and 'loudness_db', or 'power_db' instead of
'loudness_db' for the models that take power (models/vst/vst.gin).
"""

from typing import Any, Dict, Tuple

from ddsp import core
from ddsp import spectral_ops
from ddsp.training import postprocessing
from ddsp.training.playback import tuning
import numpy as np

Features = Dict[str, np.ndarray]

# Highest pitch a shift may reach (MIDI note 110, about 4.7 kHz).
MAX_MIDI = 110.0


def db_key(features: Features) -> str:
  """'power_db' when the features hold power, else 'loudness_db'."""
  return 'power_db' if 'power_db' in features else 'loudness_db'


def shift_ld(features: Features, ld_shift: float = 0.0) -> Features:
  """Adds `ld_shift` dB to the loudness (or the power)."""
  key = db_key(features)
  features[key] = features[key] + ld_shift
  return features


def shift_f0(features: Features, pitch_shift: float = 0.0) -> Features:
  """Shifts f0 by octaves; clipped to [0, midi_to_hz(110)]."""
  max_hz = float(core.midi_to_hz(MAX_MIDI))
  features['f0_hz'] = np.clip(features['f0_hz'] * 2.0**pitch_shift, 0.0,
                              max_hz).astype(np.float32)
  return features


def _register_shift(pitch: np.ndarray, mask_on: np.ndarray,
                    mean_pitch: float) -> float:
  """Octaves from the note-on mean pitch to `mean_pitch`.

  Rounded down when above 1.5 octaves, else up, as the Colab does.
  """
  octaves = (mean_pitch - np.mean(pitch[mask_on])) / 12.0
  return float(np.floor(octaves) if octaves > 1.5 else np.ceil(octaves))


def _matched_loudness(ld: np.ndarray, mask_on: np.ndarray, ratio: np.ndarray,
                      quantile_transform, quiet: float) -> np.ndarray:
  """Note-on loudness mapped onto the data's; note-off frames lowered."""
  _, ld_norm = postprocessing.fit_quantile_transform(
      ld, mask_on, inv_quantile=quantile_transform)
  mask_off = ~mask_on
  ld_norm[mask_off] -= quiet * (1.0 - ratio[mask_off][:, np.newaxis])
  return np.reshape(ld_norm, ld.shape).astype(np.float32)


def _matched_power(pw: np.ndarray, mask_on: np.ndarray, ratio: np.ndarray,
                   ds_stats: Dict[str, Any], quiet: float) -> np.ndarray:
  """Note-on power range mapped onto the data's; note-off frames lowered.

  The statistics hold no quantile transform of the power, so the range
  [min, max] of the note-on frames maps linearly onto the data's
  [mean_min_power_note, mean_max_power_note] (a constant note-on power to
  their middle); every frame moves with it, note-off frames are then
  lowered by quiet * (1 - ratio), and power stays above -DB_RANGE dB.
  """
  lo, hi = float(np.min(pw[mask_on])), float(np.max(pw[mask_on]))
  lo_ds = float(ds_stats['mean_min_power_note'])
  hi_ds = float(ds_stats['mean_max_power_note'])
  if hi > lo:
    matched = lo_ds + (pw - lo) * (hi_ds - lo_ds) / (hi - lo)
  else:
    matched = pw + (lo_ds + hi_ds) / 2.0 - lo
  mask_off = ~mask_on
  matched[mask_off] -= quiet * (1.0 - ratio[mask_off])
  return np.maximum(matched, -spectral_ops.DB_RANGE).astype(np.float32)


def _auto_tuned(f0_hz: np.ndarray, confidence: np.ndarray,
                mask_on: np.ndarray, amount: float) -> np.ndarray:
  """f0 pulled towards the notes of the inferred key by `amount`."""
  f0_midi = np.asarray(core.hz_to_midi(f0_hz))
  tuning_factor = tuning.get_tuning_factor(f0_midi, confidence, mask_on)
  f0_midi = tuning.auto_tune(f0_midi, tuning_factor, mask_on, amount=amount)
  return np.asarray(core.midi_to_hz(f0_midi), np.float32)


def auto_adjust(features: Features,
                ds_stats: Dict[str, Any],
                threshold: float = 1.0,
                quiet: float = 20.0,
                autotune: float = 0.0,
                verbose: bool = True
               ) -> Tuple[Features, np.ndarray, np.ndarray]:
  """Moves register and loudness towards the training data's statistics.

  * octave shift of the note-on mean pitch towards `mean_pitch`;
  * note-on loudness histogram-matched to the training loudness through the
    quantile transforms; for power, the note-on power range mapped onto the
    training notes' (`mean_min_power_note`, `mean_max_power_note`);
  * note-off frames lowered by quiet * (1 - note_on_ratio) dB;
  * optional auto-tune towards the inferred key (0..1).

  Args:
    features: dict with 'f0_hz', 'f0_confidence', 'loudness_db' (or
      'power_db') [n].
    ds_stats: Dataset statistics dict (postprocessing).
    threshold: Note detection threshold (detect_notes note_threshold).
    quiet: dB to lower note-off frames.
    autotune: Amount of auto-tune in [0, 1].
    verbose: Print what is done.

  Returns:
    (adjusted features dict, mask_on, note_on_ratio); unchanged features when
    no note is detected.
  """
  feats = dict(features)
  key = db_key(feats)
  db = np.asarray(feats[key])
  conf = np.asarray(feats['f0_confidence'])
  mask_on, ratio = postprocessing.detect_notes(db, conf, threshold)
  if not np.any(mask_on):
    if verbose:
      print('Skipping auto-adjust (no notes detected).')
    return feats, mask_on, ratio

  pitch = np.asarray(core.hz_to_midi(feats['f0_hz']))
  octaves = _register_shift(pitch, mask_on, float(ds_stats['mean_pitch']))
  if verbose:
    print(f'Auto-adjust: shifting pitch by {int(octaves):+d} octave(s).')
  feats = shift_f0(feats, octaves)
  if key == 'power_db':
    feats[key] = _matched_power(db, mask_on, ratio, ds_stats, quiet)
    if verbose:
      print('Auto-adjust: note power mapped onto the training notes\' '
            f'{float(ds_stats["mean_min_power_note"]):.1f}.. '
            f'{float(ds_stats["mean_max_power_note"]):.1f} dB.')
  else:
    feats[key] = _matched_loudness(
        db, mask_on, ratio, ds_stats['quantile_transform'], quiet)
  if autotune:
    feats['f0_hz'] = _auto_tuned(feats['f0_hz'], conf, mask_on, autotune)
  return feats, mask_on, ratio
