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


def spectrogram(ax, audio, sample_rate=DEFAULT_SAMPLE_RATE, size=512 + 256,
                overlap=0.75, vmin_db=-45.0, vmax_db=10.0):
  """Draws the magnitude spectrogram of `audio` on `ax` in seconds and Hz.

  The STFT of `ddsp.spectral_ops.compute_logmag` (Hann window of `size`
  samples, hop `int(size * (1 - overlap))`), in dB: 20 log10 |STFT|. Time
  runs along x from 0 to the end of the last frame's hop, frequency along y
  from 0 Hz to the Nyquist frequency; every pixel sits at its frame and bin.

  Args:
    ax: Matplotlib axes.
    audio: [n_samples] or [batch, n_samples] audio (first example drawn).
    sample_rate: Rate of `audio` [Hz].
    size: STFT window length [samples].
    overlap: Fraction of a window shared by consecutive frames.
    vmin_db: Bottom of the colour scale [dB].
    vmax_db: Top of the colour scale [dB].

  Returns:
    The AxesImage (e.g. for a colorbar).
  """
  audio = np.asarray(audio)
  if audio.ndim == 2:
    audio = audio[0]
  logmag = np.asarray(spectral_ops.compute_logmag(
      core.tf_float32(audio), size=size, overlap=overlap))
  magnitude_db = logmag * (20.0 / np.log(10.0))  # ln -> dB.
  hop = int(size * (1.0 - overlap))
  n_frames, n_bins = magnitude_db.shape
  bin_hz = sample_rate / (2.0 * (n_bins - 1))
  image = ax.imshow(
      magnitude_db.T, origin='lower', aspect='auto', cmap=plt.cm.magma,
      vmin=vmin_db, vmax=vmax_db,
      extent=(0.0, n_frames * hop / sample_rate, -bin_hz / 2,
              (n_bins - 0.5) * bin_hz))
  ax.set_xlabel('Time (s)')
  ax.set_ylabel('Frequency (Hz)')
  return image


def transfer_spectrograms(audio_in, audio_out, sample_rate=DEFAULT_SAMPLE_RATE,
                          titles=('Input', 'Output'), figsize=(10, 6)):
  """Figure of two spectrograms, one above the other, with a dB colorbar.

  The demo's `spectrograms.png` (scripts/demo.sh): the audio before and
  after a timbre transfer.

  Args:
    audio_in: [n_samples] audio drawn at the top.
    audio_out: [n_samples] audio drawn at the bottom.
    sample_rate: Rate of both [Hz].
    titles: Titles of the two axes.
    figsize: Figure size [inches].

  Returns:
    The figure; its first two axes are the spectrograms, the third the
    colorbar.
  """
  fig, axes = plt.subplots(2, 1, figsize=figsize, sharex=True,
                           layout='constrained')
  for ax, audio, title in zip(axes, (audio_in, audio_out), titles):
    image = spectrogram(ax, audio, sample_rate)
    ax.set_title(title)
  axes[0].set_xlabel('')
  axes[0].tick_params(labelbottom=True)
  colorbar = fig.colorbar(image, ax=list(axes))
  colorbar.set_label('Magnitude (dB)')
  return fig


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
