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

"""Matplotlib helpers: spectrograms, transfer functions, piano rolls."""

from ddsp import core
from ddsp import spectral_ops
import matplotlib
import matplotlib.pyplot as plt
import numpy as np

DEFAULT_SAMPLE_RATE = 16000


def specplot(audio, vmin=-5, vmax=1, rotate=True, size=512 + 256,
             **matshow_kwargs):
  """Plots the log-magnitude spectrogram of (the first example of) audio.

  Args:
    audio: [n_samples] or [batch, n_samples] audio.
    vmin: Colour-scale minimum (log magnitude).
    vmax: Colour-scale maximum.
    rotate: Show time on x and frequency on y.
    size: FFT size.
    **matshow_kwargs: Passed to plt.matshow.
  """
  audio = np.asarray(audio)
  if audio.ndim == 2:
    audio = audio[0]
  logmag = np.asarray(spectral_ops.compute_logmag(core.tf_float32(audio),
                                                  size=size))
  if rotate:
    logmag = np.rot90(logmag)
  plt.matshow(logmag, vmin=vmin, vmax=vmax, cmap=plt.cm.magma,
              aspect='auto', **matshow_kwargs)
  plt.xticks([])
  plt.yticks([])
  plt.xlabel('Time')
  plt.ylabel('Frequency')


def transfer_function(ir, sample_rate=DEFAULT_SAMPLE_RATE):
  """Frequencies [n_fft/2 + 1] and magnitude response of impulse responses.

  Args:
    ir: Impulse response(s), [..., ir_size].
    sample_rate: Sample rate in Hz.

  Returns:
    (frequencies [n_fft/2 + 1], |rfft(ir, n_fft)| [..., n_fft/2 + 1]) with
    n_fft the next power of two >= ir_size.
  """
  ir = np.asarray(ir)
  n_fft = core.get_fft_size(0, ir.shape[-1])
  frequencies = np.abs(np.fft.fftfreq(n_fft, 1 / sample_rate)[:n_fft // 2 + 1])
  magnitudes = np.abs(np.fft.rfft(ir, n_fft))
  return frequencies, magnitudes


def plot_impulse_responses(impulse_response,
                           desired_magnitudes,
                           sample_rate=DEFAULT_SAMPLE_RATE):
  """Desired vs. realised transfer function, and the impulse response."""
  frequencies, magnitudes = transfer_function(impulse_response, sample_rate)
  desired_magnitudes = np.asarray(desired_magnitudes)
  desired_frequencies = np.linspace(0, sample_rate / 2,
                                    desired_magnitudes.shape[-1])
  impulse_response = np.asarray(impulse_response)

  plt.figure(figsize=(12, 6))
  plt.subplot(121)
  plt.semilogy(desired_frequencies, desired_magnitudes[0, 0, :], label='Desired')
  plt.semilogy(frequencies, magnitudes[0, 0, :], label='True')
  plt.title('Transfer Function')
  plt.legend()

  plt.subplot(122)
  plt.plot(impulse_response[0, 0, :])
  plt.title('Impulse Response')


def _white_keys_image(n_octaves):
  """[12 * n_octaves, 1] image: 1 for white keys, 0 for black keys."""
  octave = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=np.float32)
  return np.tile(octave, n_octaves)[:, None]


def pianoroll_plot_setup(figsize=None, side_piano_ratio=0.025,
                         faint_pr=True, xlim=None):
  """Figure with a small piano keyboard on the left sharing the pitch axis.

  Args:
    figsize: Figure size.
    side_piano_ratio: Width of the keyboard relative to the main axis.
    faint_pr: Draw faint stripes of the black keys across the main axis.
    xlim: (start, stop) frame range of the main axis; (0, 1000) by default.

  Returns:
    (fig, main_ax, left_piano_ax).
  """
  xlim = xlim or (0, 1000)
  n_octaves = 11
  keys = _white_keys_image(n_octaves)

  fig = plt.figure(figsize=figsize)
  gs = matplotlib.gridspec.GridSpec(
      1, 2, width_ratios=[side_piano_ratio, 1 - side_piano_ratio], wspace=0)
  left_piano_ax = fig.add_subplot(gs[0])
  main_ax = fig.add_subplot(gs[1], sharey=left_piano_ax)

  left_piano_ax.imshow(keys, cmap='binary_r', aspect='auto', origin='lower',
                       extent=(0, 1, -0.5, 12 * n_octaves - 0.5),
                       vmin=-0.5, vmax=1.0)
  left_piano_ax.set_xticks([])
  left_piano_ax.set_ylabel('MIDI pitch')

  if faint_pr:
    stripes = np.tile(keys, (1, 2))
    main_ax.imshow(stripes, cmap='binary_r', aspect='auto', origin='lower',
                   extent=(xlim[0], xlim[1], -0.5, 12 * n_octaves - 0.5),
                   alpha=0.1, vmin=0.0, vmax=1.0)
  main_ax.set_xlim(*xlim)
  plt.setp(main_ax.get_yticklabels(), visible=False)
  return fig, main_ax, left_piano_ax
