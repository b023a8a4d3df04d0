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

"""Evaluators: metrics (`evaluate` + `flush`) and summaries (`sample`).

`eval_util` builds each evaluator as `cls(sample_rate, frame_rate)` and calls
`evaluate(batch, outputs, losses)`, `sample(batch, outputs, step)` and
`flush(step)` inside the summary writer's context.
"""

from absl import logging
from ddsp.training import heuristics
from ddsp.training import metrics
from ddsp.training import summaries
import gin
import tf_keras as tfk


class BaseEvaluator(object):
  """Base class for evaluators."""

  def __init__(self, sample_rate, frame_rate):
    self._sample_rate = sample_rate
    self._frame_rate = frame_rate

  def set_rates(self, sample_rate, frame_rate):
    self._sample_rate = sample_rate
    self._frame_rate = frame_rate

  def evaluate(self, batch, outputs, losses):
    """Accumulates metrics of one batch."""
    raise NotImplementedError()

  def sample(self, batch, outputs, step):
    """Writes summaries of one batch."""
    raise NotImplementedError()

  def flush(self, step):
    """Writes accumulated metrics and resets them."""
    raise NotImplementedError()


@gin.register
class BasicEvaluator(BaseEvaluator):
  """Mean losses; audio, waveform and spectrogram summaries."""

  def __init__(self, sample_rate, frame_rate):
    super().__init__(sample_rate, frame_rate)
    self._avg_losses = {}

  def evaluate(self, batch, outputs, losses):
    del outputs
    if not self._avg_losses:
      self._avg_losses = {name: tfk.metrics.Mean(name=name)
                          for name in losses}
    for name, value in losses.items():
      self._avg_losses[name].update_state(value)

  def sample(self, batch, outputs, step):
    audio = batch['audio']
    audio_gen = outputs['audio_gen']
    summaries.audio_summary(audio_gen, step, self._sample_rate,
                            name='audio_generated')
    summaries.audio_summary(audio, step, self._sample_rate,
                            name='audio_original')
    summaries.waveform_summary(audio, audio_gen, step)
    summaries.spectrogram_summary(audio, audio_gen, step)

  def flush(self, step):
    latest_losses = {}
    for name, metric in self._avg_losses.items():
      latest_losses[name] = metric.result()
      summaries.write_scalar(f'losses/{name}', metric.result(), step)
      metric.reset_state()
    logging.info('Losses at step %s: %s', step,
                 {k: float(v) for k, v in latest_losses.items()})


@gin.register
class F0LdEvaluator(BaseEvaluator):
  """Loudness and f0 errors of the generated audio; f0 plots."""

  def __init__(self, sample_rate, frame_rate, run_f0_crepe=True):
    super().__init__(sample_rate, frame_rate)
    self._loudness_metrics = metrics.LoudnessMetrics(
        sample_rate=sample_rate, frame_rate=frame_rate)
    self._f0_metrics = metrics.F0Metrics(
        sample_rate=sample_rate, frame_rate=frame_rate)
    self._run_f0_crepe = run_f0_crepe
    if self._run_f0_crepe:
      self._f0_crepe_metrics = metrics.F0CrepeMetrics(
          sample_rate=sample_rate, frame_rate=frame_rate)

  def evaluate(self, batch, outputs, losses):
    del losses
    audio_gen = outputs['audio_gen']
    self._loudness_metrics.update_state(batch, audio_gen)
    if 'f0_hz' in outputs and 'f0_hz' in batch:
      self._f0_metrics.update_state(batch, outputs['f0_hz'])
    elif self._run_f0_crepe:
      self._f0_crepe_metrics.update_state(batch, audio_gen)

  def sample(self, batch, outputs, step):
    if 'f0_hz' in outputs and 'f0_hz' in batch:
      summaries.f0_summary(batch['f0_hz'], outputs['f0_hz'], step,
                           name='f0_harmonic')

  def flush(self, step):
    self._loudness_metrics.flush(step)
    self._f0_metrics.flush(step)
    if self._run_f0_crepe:
      self._f0_crepe_metrics.flush(step)


@gin.register
class TWMEvaluator(BaseEvaluator):
  """f0 of sinusoidal controls via two-way mismatch vs. the batch f0."""

  def __init__(self, sample_rate, frame_rate, processor_name='sinusoidal',
               noisy=False):
    super().__init__(sample_rate, frame_rate)
    self._noisy = noisy
    self._processor_name = processor_name
    self._f0_twm_metrics = metrics.F0Metrics(
        sample_rate=sample_rate, frame_rate=frame_rate, name='f0_twm')

  def _compute_twm_f0(self, outputs):
    """Predicted f0 [batch, n_frames, 1] from sinusoid frequencies / amps."""
    from ddsp import losses as ddsp_losses  # pylint: disable=g-import-not-at-top
    processor_controls = outputs[self._processor_name]['controls']
    amps = processor_controls['amplitudes']
    freqs = processor_controls['frequencies']
    if self._noisy:
      noise_ratios = processor_controls['noise_ratios']
      amps = amps * (1.0 - noise_ratios)
    twm = ddsp_losses.TWMLoss()
    # Candidates are the sinusoid frequencies themselves.
    return twm.predict_f0(freqs, freqs, amps)

  def evaluate(self, batch, outputs, losses):
    del losses
    f0_hz_twm = self._compute_twm_f0(outputs)
    self._f0_twm_metrics.update_state(batch, f0_hz_twm)

  def sample(self, batch, outputs, step):
    f0_hz_twm = self._compute_twm_f0(outputs)
    summaries.f0_summary(batch['f0_hz'], f0_hz_twm, step, name='f0_twm')

  def flush(self, step):
    self._f0_twm_metrics.flush(step)


@gin.register
class MidiAutoencoderEvaluator(BaseEvaluator):
  """Transcription metrics and summaries of MIDI autoencoders."""

  def __init__(self, sample_rate, frame_rate, db_key='loudness_db',
               f0_key='f0_hz'):
    super().__init__(sample_rate, frame_rate)
    self._midi_metrics = metrics.MidiMetrics(frames_per_second=frame_rate,
                                             tag='learned')
    self._db_key = db_key
    self._f0_key = f0_key

  def evaluate(self, batch, outputs, losses):
    del losses
    self._midi_metrics.update_state(outputs, outputs['pianoroll'])

  def sample(self, batch, outputs, step):
    audio_keys = ['midi_audio', 'synth_audio', 'midi_audio2', 'synth_audio2']
    summaries.audio_summary(batch['audio'], step, self._sample_rate,
                            name='audio_original')
    for k in audio_keys:
      if k in outputs and outputs[k] is not None:
        summaries.audio_summary(outputs[k], step, self._sample_rate, name=k)
        summaries.spectrogram_summary(batch['audio'], outputs[k], step, tag=k)
        summaries.waveform_summary(batch['audio'], outputs[k], step, name=k)

    summaries.f0_summary(batch[self._f0_key],
                         outputs[f'{self._f0_key}_pred'], step,
                         name='f0_hz_rec')
    summaries.pianoroll_summary(outputs, step, 'pianoroll',
                                self._frame_rate, 'pianoroll')
    summaries.midiae_f0_summary(batch[self._f0_key], outputs, step)
    ld_rec = f'{self._db_key}_rec'
    if ld_rec in outputs:
      summaries.midiae_ld_summary(batch[self._db_key], outputs, step,
                                  self._db_key)
    summaries.midiae_sp_summary(outputs, step)

  def flush(self, step):
    self._midi_metrics.flush(step)


@gin.register
class MidiHeuristicEvaluator(BaseEvaluator):
  """Transcription metrics of heuristically segmented notes."""

  def __init__(self, sample_rate, frame_rate):
    super().__init__(sample_rate, frame_rate)
    self._midi_metrics = metrics.MidiMetrics(tag='heuristic',
                                             frames_per_second=frame_rate,
                                             align_midi_with_f0=False)

  def compute_notes(self, outputs):
    return heuristics.segment_notes_batch(
        binarize_f=heuristics.midi_heuristic,
        pick_f0_f=heuristics.mean_f0,
        pick_amps_f=heuristics.median_amps,
        controls_batch=outputs,
        frame_rate=self._frame_rate)

  def evaluate(self, batch, outputs, losses):
    del losses
    notes = self.compute_notes(outputs)
    self._midi_metrics.update_state(outputs, notes)

  def sample(self, batch, outputs, step):
    outputs['heuristic_notes'] = self.compute_notes(outputs)
    summaries.midi_summary(outputs, step, 'heuristic', self._frame_rate,
                           'heuristic_notes')
    summaries.pianoroll_summary(outputs, step, 'heuristic',
                                self._frame_rate, 'note_active_velocities')

  def flush(self, step):
    self._midi_metrics.flush(step)

