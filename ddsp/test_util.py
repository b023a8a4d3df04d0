"""Small signal generators shared by tests."""

import numpy as np


def gen_np_sinusoid(frequency, amp, sample_rate, audio_len_sec):
  """A sine wave `amp * sin(2 pi f t)` as float64 numpy `[n_samples]`.

  Times are `linspace(0, audio_len_sec, int(audio_len_sec * sample_rate))`
  (endpoint included, so the step is slightly longer than 1 / sample_rate).
  """
  n_samples = int(audio_len_sec * sample_rate)
  t = np.linspace(0, audio_len_sec, n_samples)
  return amp * np.sin(2.0 * np.pi * frequency * t)


def gen_np_batched_sinusoids(frequency, amp, sample_rate, audio_len_sec,
                             batch_size):
  """`batch_size` identical sinusoids stacked: float64 `[batch, n_samples]`."""
  return np.array([
      gen_np_sinusoid(frequency, amp, sample_rate, audio_len_sec)
      for _ in range(batch_size)
  ])
