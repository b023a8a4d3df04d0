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

"""TensorBoard summaries: audio, waveforms, spectrograms, f0 and MIDI plots.

Figures are rendered to PNG with matplotlib and written as raw TF1
`Summary.Image` protos, so they show up in TensorBoard's image tab under the
given tag.
"""

import io
import os

from ddsp import core
from ddsp import errors
from ddsp import spectral_ops
from ddsp.training import plotting
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tensorflow.core.framework import summary_pb2  # pylint: disable=g-direct-tensorflow-import


def _to_numpy(x):
  return x.numpy() if hasattr(x, 'numpy') else np.asarray(x)


# ---------------------------------------------------------------------------
# Scalar / text / audio writers.
#
# `tf.summary.scalar`, `.text` and `.audio` are implemented by the
# `tensorboard` package, which is not a dependency. These write the same
# event records (a tensor plus the TensorBoard plugin name in the summary
# metadata) with TensorFlow's core `tf.summary.write`.
# ---------------------------------------------------------------------------
_WAV_ENCODING = 11  # tensorboard AudioPluginData.Encoding.WAV


def _metadata(plugin_name, content=b''):
  return summary_pb2.SummaryMetadata(
      plugin_data=summary_pb2.SummaryMetadata.PluginData(
          plugin_name=plugin_name, content=content))


def write_scalar(name, data, step):
  """Writes a float32 scalar summary (TensorBoard 'scalars' plugin)."""
  value = tf.cast(tf.convert_to_tensor(data), tf.float32)
  return tf.summary.write(name, value, step=step,
                          metadata=_metadata('scalars'))


def read_scalars(event_dir, tag):
  """{step: value} of scalar `tag` in the event files below `event_dir`.

  Reads what `write_scalar` (or `tf.summary.scalar`) wrote; a later event of
  the same step replaces an earlier one.
  """
  found = {}
  for root, _, files in os.walk(event_dir):
    for name in sorted(files):
      if 'tfevents' not in name:
        continue
      for event in tf.compat.v1.train.summary_iterator(
          os.path.join(root, name)):
        for value in event.summary.value:
          if value.tag == tag:
            found[event.step] = float(tf.make_ndarray(value.tensor))
  return found


def write_text(name, data, step):
  """Writes a text (markdown) summary (TensorBoard 'text' plugin)."""
  value = tf.convert_to_tensor(data, dtype=tf.string)
  return tf.summary.write(name, value, step=step, metadata=_metadata('text'))


def write_audio(name, data, sample_rate, step, max_outputs=3):
  """Writes WAV audio clips (TensorBoard 'audio' plugin).

  Args:
    name: Tag.
    data: [k, n_samples, n_channels] float audio in [-1, 1].
    sample_rate: Sample rate in Hz.
    step: Step.
    max_outputs: At most this many clips.
  """
  data = tf.cast(tf.convert_to_tensor(data), tf.float32)[:max_outputs]
  sample_rate = tf.cast(sample_rate, tf.int32)
  encoded = tf.map_fn(lambda x: tf.audio.encode_wav(x, sample_rate), data,
                      fn_output_signature=tf.string)
  labels = tf.fill(tf.shape(encoded), '')
  # [k, 2]: (encoded wav, label) per clip, as the audio plugin expects.
  value = tf.stack([encoded, labels], axis=1)
  # AudioPluginData(version=0, encoding=WAV): field 2, varint.
  content = bytes([0x10, _WAV_ENCODING])
  return tf.summary.write(name, value, step=step,
                          metadata=_metadata('audio', content))


def fig_summary(tag, fig, step):
  """Writes a matplotlib figure as an image summary and closes it.

  Args:
    tag: Summary tag.
    fig: matplotlib Figure.
    step: Training step.
  """
  buffer = io.BytesIO()
  fig.savefig(buffer, format='png')
  png = buffer.getvalue()
  width, height = (int(v) for v in fig.canvas.get_width_height())
  image = tf.compat.v1.Summary.Image(
      height=height, width=width, colorspace=4, encoded_image_string=png)
  summary = tf.compat.v1.Summary(
      value=[tf.compat.v1.Summary.Value(tag=tag, image=image)])
  tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step,
                                       name=tag)
  plt.close(fig)


def waveform_summary(audio, audio_gen, step, name=''):
  """Original vs. generated waveforms, full length and the first 125 ms.

  Args:
    audio: [batch, n_samples] original audio.
    audio_gen: [batch, n_samples] generated audio.
    step: Training step.
    name: Optional tag infix.
  """
  audio = np.squeeze(_to_numpy(audio))
  audio_gen = np.squeeze(_to_numpy(audio_gen))
  if audio.ndim == 1:
    audio, audio_gen = audio[None], audio_gen[None]
  name = name + '_' if name else ''

  def plot_waves(i, length=None, prefix='full', scale=1.0):
    fig, ax = plt.subplots(1, 1, figsize=(2.5 * scale, 2.5 * scale))
    x = audio[i, :length] if length else audio[i]
    x_gen = audio_gen[i, :length] if length else audio_gen[i]
    ax.plot(x, label='original')
    ax.plot(x_gen, label='generated')
    fig_summary(f'waveform/{name}{prefix}_{i + 1}', fig, step)

  for i in range(audio.shape[0]):
    plot_waves(i)
    plot_waves(i, length=2000, prefix='125ms')  # 125 ms at 16 kHz.


def get_spectrogram(audio, rotate=False, size=1024):
  """Log-magnitude spectrogram [n_frames, size/2 + 1] (rotated if asked)."""
  mag = _to_numpy(spectral_ops.compute_logmag(core.tf_float32(audio),
                                              size=size))
  if rotate:
    mag = np.rot90(mag)
  return mag


def spectrogram_summary(audio, audio_gen, step, name='', tag='spectrogram'):
  """Original (top) and generated (bottom) spectrograms per example.

  Args:
    audio: [batch, n_samples] original audio.
    audio_gen: [batch, n_samples] generated audio.
    step: Training step.
    name: Optional tag infix.
    tag: Tag prefix.
  """
  audio = _to_numpy(audio)
  audio_gen = _to_numpy(audio_gen)
  if audio.ndim == 1:
    audio, audio_gen = audio[None], audio_gen[None]
  name = name + '_' if name else ''
  for i in range(audio.shape[0]):
    fig, axs = plt.subplots(2, 1, figsize=(8, 8))
    for ax, x, title in zip(axs, (audio[i], audio_gen[i]),
                            ('Original', 'Synthesized')):
      logmag = np.rot90(get_spectrogram(x, size=768))
      ax.matshow(logmag, vmin=-5, vmax=1, cmap=plt.cm.magma, aspect='auto')
      ax.set_title(title)
      ax.set_xticks([])
      ax.set_yticks([])
    fig_summary(f'{tag}/{name}{i + 1}', fig, step)


def audio_summary(audio, step, sample_rate=16000, name='audio'):
  """Writes a batch of audio [batch, n_samples] as WAV summaries."""
  audio_data = core.tf_float32(audio)
  batch_size = int(audio_data.shape[0])
  write_audio(name, audio_data[..., None], sample_rate, step,
              max_outputs=batch_size)


def f0_summary(f0_hz, f0_hz_predict, step, name='f0_midi', tag='f0_midi'):
  """Ground-truth vs. predicted pitch curves in MIDI per example.

  The prediction is resampled to the ground-truth length. As in the
  original, `tag` is reassigned inside the loop, so example i > 1 gets the
  tags of the previous examples as prefix (`f0_midi/f0_midi_1/f0_midi_2`).

  Args:
    f0_hz: [batch, n_frames(, 1)] ground truth in Hz.
    f0_hz_predict: [batch, n_frames'(, 1)] prediction in Hz.
    step: Training step.
    name: Name used in the tag.
    tag: Tag prefix.
  """
  f0_hz = core.tf_float32(f0_hz)
  f0_hz_predict = core.tf_float32(f0_hz_predict)
  if len(f0_hz_predict.shape) == 2:
    f0_hz_predict = f0_hz_predict[..., None]
  if len(f0_hz.shape) == 2:
    f0_hz = f0_hz[..., None]
  n_frames = int(f0_hz.shape[1])
  if int(f0_hz_predict.shape[1]) != n_frames:
    f0_hz_predict = core.resample(f0_hz_predict, n_frames)

  f0_midi = _to_numpy(core.hz_to_midi(f0_hz))
  f0_midi_predict = _to_numpy(core.hz_to_midi(f0_hz_predict))

  for i in range(f0_midi.shape[0]):
    fig, ax = plt.subplots(1, 1, figsize=(6, 3))
    ax.plot(f0_midi[i, :, 0], label='ground truth')
    ax.plot(f0_midi_predict[i, :, 0], label='prediction')
    ax.set_ylabel('MIDI')
    ax.legend()
    tag = f'{tag}/{name}_{i + 1}'
    fig_summary(tag, fig, step)


def _get_reasonable_f0_min_max(f0_midi, max_spike=5.0, min_midi_value=5.0,
                               pad=6.0):
  """Plot range of an f0 curve in MIDI, ignoring spikes and silence.

  Args:
    f0_midi: [n_frames] pitch in MIDI.
    max_spike: Frame-to-frame jumps larger than this are ignored.
    min_midi_value: Values below are treated as silence.
    pad: Semitones added on both sides.

  Returns:
    (min, max) plot limits.
  """
  f0_midi = np.asarray(f0_midi).ravel()
  jumps = np.abs(np.diff(f0_midi, prepend=f0_midi[:1]))
  keep = (jumps < max_spike) & (f0_midi > min_midi_value)
  values = f0_midi[keep] if np.any(keep) else f0_midi
  if values.size == 0:
    return 0.0, 127.0
  return float(np.min(values) - pad), float(np.max(values) + pad)


def _import_note_seq():
  try:
    import note_seq  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'MIDI summaries need the "note_seq" package: '
        'pip install note_seq') from e
  return note_seq


def midi_summary(controls, step, name, frame_rate, notes_key):
  """Piano-roll plot of the notes in `controls[notes_key]` per example.

  Args:
    controls: Dict holding a list of NoteSequences under `notes_key` and
      'f0_hz' [batch, n_frames, 1].
    step: Training step.
    name: Tag name.
    frame_rate: Frames per second of the controls.
    notes_key: Key of the NoteSequences.
  """
  note_seq = _import_note_seq()
  f0_midi = _to_numpy(core.hz_to_midi(controls['f0_hz']))
  for i, sequence in enumerate(controls[notes_key]):
    n_frames = f0_midi.shape[1]
    fig, main_ax, _ = plotting.pianoroll_plot_setup(figsize=(6, 4),
                                                    xlim=(0, n_frames))
    pianoroll = note_seq.sequences_lib.sequence_to_pianoroll(
        sequence, frames_per_second=frame_rate, min_pitch=0, max_pitch=127,
        min_frame_occupancy_for_label=0.0, onset_mode='length_ms')
    roll = np.asarray(pianoroll.active)[:n_frames]
    main_ax.imshow(roll.T, aspect='auto', origin='lower', cmap='Blues',
                   alpha=0.6, extent=(0, roll.shape[0], -0.5, 127.5))
    main_ax.plot(f0_midi[i, :, 0], color='tab:orange', linewidth=1)
    lo, hi = _get_reasonable_f0_min_max(f0_midi[i, :, 0])
    main_ax.set_ylim(lo, hi)
    fig_summary(f'midi/{name}_{i + 1}', fig, step)


def midiae_f0_summary(f0_hz, outputs, step):
  """MIDI autoencoder: ground-truth f0, decoded f0 and quantised pitch."""
  f0_midi = _to_numpy(core.hz_to_midi(f0_hz))
  pred = _to_numpy(outputs['f0_midi_pred']) if 'f0_midi_pred' in outputs else None
  q_pitch = _to_numpy(outputs['q_pitch']) if 'q_pitch' in outputs else None
  z_pitch = _to_numpy(outputs['z_pitch']) if 'z_pitch' in outputs else None
  for i in range(f0_midi.shape[0]):
    fig, ax = plt.subplots(1, 1, figsize=(6, 3))
    ax.plot(np.squeeze(f0_midi[i]), label='f0 (MIDI)')
    if z_pitch is not None:
      ax.plot(np.squeeze(z_pitch[i]), label='z_pitch')
    if q_pitch is not None:
      ax.plot(np.squeeze(q_pitch[i]), label='q_pitch')
    if pred is not None:
      ax.plot(np.squeeze(pred[i]), label='f0 rec')
    lo, hi = _get_reasonable_f0_min_max(f0_midi[i])
    ax.set_ylim(lo, hi)
    ax.legend()
    fig_summary(f'f0_midi/midiae_{i + 1}', fig, step)


def midiae_ld_summary(ld_feat, outputs, step, ld_key='loudness_db'):
  """MIDI autoencoder: ground-truth vs. reconstructed loudness."""
  ld_feat = _to_numpy(ld_feat)
  ld_rec = _to_numpy(outputs[f'{ld_key}_rec'])
  for i in range(ld_feat.shape[0]):
    fig, ax = plt.subplots(1, 1, figsize=(6, 3))
    ax.plot(np.squeeze(ld_feat[i]), label='ground truth')
    ax.plot(np.squeeze(ld_rec[i]), label='reconstruction')
    ax.legend()
    fig_summary(f'loudness/ld_{i + 1}', fig, step)


def midiae_sp_summary(outputs, step):
  """MIDI autoencoder: synthesizer parameter images per example."""
  for key, tag in (('amps', 'amplitudes'), ('hd', 'harmonic_dist'),
                   ('noise', 'noise_mags')):
    if key not in outputs:
      continue
    values = _to_numpy(outputs[key])
    for i in range(values.shape[0]):
      fig, ax = plt.subplots(1, 1, figsize=(6, 3))
      image = np.squeeze(values[i])
      if image.ndim == 1:
        ax.plot(image)
      else:
        ax.imshow(np.rot90(image), aspect='auto')
      fig_summary(f'{tag}/{tag}_{i + 1}', fig, step)


def pianoroll_summary(batch, step, name, frame_rate, pred_key,
                      gt_key='note_active_velocities', ch=None,
                      threshold=0.0, tb_name='pianoroll'):
  """Predicted piano roll with the ground truth overlaid.

  Args:
    batch: Dict with `pred_key` and optionally `gt_key` piano rolls
      [batch, n_frames, 128] (or [batch, n_frames, 128, channels]).
    step: Training step.
    name: Tag name.
    frame_rate: Frames per second.
    pred_key: Key of the prediction.
    gt_key: Key of the ground truth.
    ch: Channel to show for 4-D rolls.
    threshold: Activity threshold.
    tb_name: Tag prefix.
  """
  del frame_rate
  pred = _to_numpy(batch[pred_key])
  gt = _to_numpy(batch[gt_key]) if gt_key in batch else None
  if ch is not None:
    pred = pred[..., ch]
    gt = gt[..., ch] if gt is not None else None
  for i in range(pred.shape[0]):
    n_frames = pred.shape[1]
    fig, main_ax, _ = plotting.pianoroll_plot_setup(figsize=(6, 4),
                                                    xlim=(0, n_frames))
    main_ax.imshow((pred[i] > threshold).T, aspect='auto', origin='lower',
                   cmap='Blues', alpha=0.6, extent=(0, n_frames, -0.5, 127.5))
    if gt is not None:
      main_ax.imshow((gt[i] > threshold).T, aspect='auto', origin='lower',
                     cmap='Reds', alpha=0.3, extent=(0, n_frames, -0.5, 127.5))
    fig_summary(f'{tb_name}/{name}_{i + 1}', fig, step)

