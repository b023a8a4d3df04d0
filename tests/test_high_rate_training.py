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

"""A 48 kHz model trained next to a 16 kHz one, and played by timbre transfer.

Both rates train the same few steps (small decoder, 1 s examples of the
bundled violin, benchmarks/rate_check.py). Their harmonic synthesizer must
keep carrying the sound (not fade out behind the noise, as 60 harmonics at
48 kHz do) and play the data's pitch; ddsp_timbre_transfer with the 48 kHz
checkpoint writes 48 kHz audio as long as its input. The numbers of longer
runs: benchmarks/high_rate.py.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from ddsp.features import resampling

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))
import rate_check  # pylint: disable=g-import-not-at-top,wrong-import-position
VIOLIN = os.path.join(REPO, 'examples', 'audio', 'violin_a.flac')
STEPS = 40
RATES = (16000, 48000)
MAX_MEDIAN_CENTS = 50.0
# A harmonic part that faded out is 40 dB or more below the data.
MIN_HARMONIC_TO_DATA_DB = -25.0

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  """{rate: (save_dir, Evaluation)} of one short run per rate."""
  work = tmp_path_factory.mktemp('high_rate')
  found = {}
  for rate in RATES:
    spec = rate_check.RunSpec(rate, steps=STEPS, steps_per_summary=STEPS)
    pattern = rate_check.prepare([VIOLIN], str(work / 'data'), spec)
    save_dir = str(work / f'run_{rate}')
    rate_check.train(spec, pattern, save_dir)
    found[rate] = (save_dir,
                   rate_check.evaluate(spec, pattern, save_dir, n_examples=4))
  return found


@pytest.mark.parametrize('rate', RATES)
def test_harmonic_output_plays_the_data_pitch(runs, rate):
  evaluation = runs[rate][1]
  assert evaluation.voiced_frames > 500
  assert evaluation.median_cents < MAX_MEDIAN_CENTS


@pytest.mark.parametrize('rate', RATES)
def test_harmonic_part_carries_the_sound(runs, rate):
  evaluation = runs[rate][1]
  assert evaluation.harmonic_to_data_db > MIN_HARMONIC_TO_DATA_DB
  assert evaluation.harmonic_to_noise_db > 0.0


def test_timbre_transfer_writes_48k_audio_as_long_as_the_input(runs,
                                                               tmp_path):
  # A 2.3 s input at 44.1 kHz: the output rate is the model's, not the
  # input's, and the length is the input's in whole frames (250 frames/s).
  audio, rate = sf.read(VIOLIN, dtype='float32')
  src = str(tmp_path / 'in.wav')
  sf.write(src, resampling.resample(audio[:int(2.3 * rate)], rate, 44100),
           44100)
  out = str(tmp_path / 'out.wav')
  proc = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.playback.ddsp_timbre_transfer',
       f'--checkpoint_dir={runs[48000][0]}', f'--input={src}',
       f'--output={out}', '--crepe_model=tiny', '--noauto_adjust',
       '--block_seconds=1'],
      capture_output=True, text=True, timeout=600)
  assert proc.returncode == 0, proc.stderr[-2000:]
  info = sf.info(out)
  assert info.samplerate == 48000
  n_frames = int(2.3 * 16000) // 64  # Whole 250 frames/s frames.
  assert info.frames == n_frames * 192
  assert abs(info.frames / 48000 - sf.info(src).duration) < 1 / 250
  assert np.all(np.isfinite(sf.read(out)[0]))
