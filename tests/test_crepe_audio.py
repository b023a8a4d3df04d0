"""CREPE pitch on real recordings of the shared corpus vs ground truth.

Slow: runs compute_f0 (Viterbi, 100 frames/s like the ground truth) over
whole violin, flute and voice clips with the 'tiny' and 'full' models.
Scored frames: ground truth voiced, at least 100 ms after a note change or
onset (the previous note's release overlaps the attack there), estimate
voiced. The median absolute error must stay within a few semitone-cents.
"""
import os

import golden
import numpy as np
import pytest

from ddsp import spectral_ops

pytestmark = pytest.mark.slow

FRAME_RATE = 100
CLIPS = ('violin/violin_01_slow.wav',
         'violin/violin_05_mixed_44k1_stereo_24bit.wav',
         'flute/flute_03_fast.wav',
         'flute/flute_04_mixed_44k1_vorbis.ogg',
         'voice/voice_hum_alto_01.wav')
MAX_MEDIAN_CENTS = 25.0


def _load_16k(path):
  import librosa  # pylint: disable=g-import-not-at-top
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  audio, sr = sf.read(path, dtype='float32', always_2d=True)
  audio = audio.mean(axis=1)
  if sr != 16000:
    audio = librosa.resample(audio, orig_sr=sr, target_sr=16000)
  return audio.astype(np.float32)


def _ground_truth(path):
  table = np.loadtxt(os.path.splitext(path)[0] + '.f0.csv', delimiter=',',
                     skiprows=1, ndmin=2)
  return table[:, 1]


def _scored(gt_hz, settle_frames=10, jump_cents=50.0):
  """Voiced frames outside the 100 ms after each change of note/voicing."""
  voiced = gt_hz > 0
  cents = 1200 * np.log2(np.where(voiced, gt_hz, 1.0))
  change = np.zeros_like(voiced)
  change[1:] = (voiced[1:] != voiced[:-1]) | (
      voiced[1:] & voiced[:-1] & (np.abs(np.diff(cents)) > jump_cents))
  blocked = np.zeros_like(voiced)
  for k in np.nonzero(change)[0]:
    blocked[k:k + settle_frames] = True
  return voiced & ~blocked


@pytest.mark.parametrize('model_capacity', ['tiny', 'full'])
@pytest.mark.parametrize('clip', [
    pytest.param(clip, marks=pytest.mark.needs_shared('audio/' + clip))
    for clip in CLIPS])
def test_median_cents_error_on_voiced_frames(clip, model_capacity):
  path = golden.path('audio/' + clip)
  audio = _load_16k(path)
  gt_hz = _ground_truth(path)
  f0_hz, confidence = spectral_ops.compute_f0(
      audio, FRAME_RATE, viterbi=True, padding='center',
      model_capacity=model_capacity)
  # 'center' padding: frame k is centred on t = k / 100 s, like row k.
  assert abs(len(f0_hz) - len(gt_hz)) <= 1
  n = min(len(f0_hz), len(gt_hz))
  f0_hz, gt_hz, confidence = f0_hz[:n], gt_hz[:n], confidence[:n]
  scored = _scored(gt_hz)
  assert scored.sum() > 0.3 * n
  # Steady voiced frames are confidently pitched.
  assert np.median(confidence[scored]) > 0.5
  mask = scored & (f0_hz > 0)
  cents = np.abs(1200 * np.log2(f0_hz[mask] / gt_hz[mask]))
  assert np.median(cents) < MAX_MEDIAN_CENTS
