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

"""The studio's figures, PNG files next to a job's audio.

Every axis is labelled with its unit: spectrograms in s and Hz
(`training.plotting.spectrogram`), f0 in Hz and loudness in dB over s.
"""

import os
from typing import Dict, List, Optional

import matplotlib
matplotlib.use('Agg')  # Figures are files: no display, from any thread.
# pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp import crepe_frontend
from ddsp import atomic_files
from ddsp.features import audio as audio_lib
from ddsp.training import plotting
import matplotlib.pyplot as plt
import numpy as np

SPECTROGRAMS = 'spectrograms.png'
FEATURES = 'features.png'
_DPI = 80


def _save(fig, path: str) -> str:
  with atomic_files.temporary_path(path) as tmp:
    fig.savefig(tmp, dpi=_DPI, format='png')
  plt.close(fig)
  return os.path.basename(path)


def spectrograms(folder: str, input_path: Optional[str],
                 output_path: str, titles) -> str:
  """Input above output (or the output alone), at 16 kHz; -> file name."""
  audio = [audio_lib.decode_audio(p, crepe_frontend.SAMPLE_RATE)
           for p in (input_path, output_path) if p]
  if len(audio) == 2:
    fig = plotting.transfer_spectrograms(*audio, crepe_frontend.SAMPLE_RATE,
                                         titles=titles, figsize=(9, 5))
  else:
    fig, ax = plt.subplots(figsize=(9, 3), layout='constrained')
    image = plotting.spectrogram(ax, audio[0], crepe_frontend.SAMPLE_RATE)
    ax.set_title(titles[-1])
    fig.colorbar(image, ax=ax).set_label('Magnitude (dB)')
  return _save(fig, os.path.join(folder, SPECTROGRAMS))


def features(folder: str, curves: Dict[str, Dict[str, np.ndarray]],
             seconds: float, db_key: str = 'loudness_db') -> str:
  """f0 and loudness (or power) of each labelled curve set; -> file name.

  Args:
    folder: Where the PNG goes.
    curves: {label: {'f0_hz', db_key: [n_frames]}}, e.g. 'before' and
      'after' adjustment.
    seconds: Duration the frames span.
    db_key: 'loudness_db' or 'power_db'.
  """
  fig, (ax_f0, ax_db) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True,
                                     layout='constrained')
  for label, feats in curves.items():
    n = len(feats['f0_hz'])
    t = np.arange(n) * seconds / max(n, 1)
    ax_f0.plot(t, feats['f0_hz'], label=label)
    ax_db.plot(t, feats[db_key], label=label)
  ax_f0.set_ylabel('f0 (Hz)')
  ax_db.set_ylabel(('Loudness' if db_key == 'loudness_db' else 'Power')
                   + ' (dB)')
  ax_db.set_xlabel('Time (s)')
  ax_f0.tick_params(labelbottom=True)
  ax_f0.set_xlabel('Time (s)')
  for ax in (ax_f0, ax_db):
    ax.legend(loc='upper right')
    ax.grid(alpha=0.3)
  return _save(fig, os.path.join(folder, FEATURES))
