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

"""A Python reference of the DDSP-VST plugin's run loop.

Per 20 ms hop the plugin scales the frame's f0 and power, calls the control
model `.tflite` once with the GRU state of the previous call, and
synthesises the hop itself: harmonics with the oscillator phase carried from
hop to hop, plus filtered noise. `PluginControlModel` is the TFLite call
with its state fed back, `HopSynthesizer` the synthesis, `run_loop` the
whole loop over a sequence of frames. It is the proof that an export plays:
its controls equal the Keras model run on the whole sequence at once.
"""

from typing import Dict, List, NamedTuple, Optional, Tuple

from ddsp.training.playback import vst_contract
import numpy as np
import tensorflow as tf

# f0 range the plugin clips to: MIDI notes 0..127 in Hz.
F0_MIN_HZ = 8.18
F0_MAX_HZ = 12543.84
DB_RANGE = 80.0


def scale_f0(f0_hz: np.ndarray) -> np.ndarray:
  """Plugin's f0 scaling: MIDI(clip(f0, 8.18, 12543.84)) / 127.

  MIDI(f) = 69 + 12 log2(f / 440).
  """
  f0_hz = np.clip(np.asarray(f0_hz, np.float64), F0_MIN_HZ, F0_MAX_HZ)
  return ((69.0 + 12.0 * np.log2(f0_hz / 440.0)) / 127.0).astype(np.float32)


def scale_power(power_db: np.ndarray) -> np.ndarray:
  """Plugin's power scaling: dB / 80 + 1."""
  return (np.asarray(power_db, np.float32) / DB_RANGE + 1.0).astype(
      np.float32)


def unscale_f0(f0_scaled: np.ndarray) -> np.ndarray:
  """f0 in Hz of a scaled f0: 440 2^((127 s - 69) / 12)."""
  midi = np.asarray(f0_scaled, np.float64) * 127.0
  return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


class Controls(NamedTuple):
  """Outputs of one control-model call."""
  amplitude: np.ndarray  # [1]
  harmonic_distribution: np.ndarray  # [n_harmonics]
  noise_magnitudes: np.ndarray  # [n_noise]


class PluginControlModel:
  """The control model `.tflite` called as the plugin calls it.

  Tensors are found by their contract names (`vst_contract.INPUTS`,
  `OUTPUTS`); the state output of one call is the state input of the next,
  and 512 zeros after `reset`.
  """

  def __init__(self, tflite_path: str):
    self.interpreter = tf.lite.Interpreter(model_path=tflite_path)
    self.interpreter.allocate_tensors()
    by_name = {d['name']: d['index'] for d in
               self.interpreter.get_input_details() +
               self.interpreter.get_output_details()}
    problems = [t.name for t in vst_contract.INPUTS + vst_contract.OUTPUTS
                if t.name not in by_name]
    if problems:
      raise vst_contract.VSTExportError(
          f'{tflite_path} lacks the tensors {problems} the plugin looks up; '
          f'check it with ddsp_export --check={tflite_path}.')
    f0, pw, state = (by_name[t.name] for t in vst_contract.INPUTS)
    self._inputs = (f0, pw, state)
    self._outputs = tuple(by_name[t.name] for t in vst_contract.OUTPUTS)
    self.state = None
    self.reset()

  def reset(self) -> None:
    """GRU state back to zeros, as after the plugin's reset."""
    self.state = np.zeros([vst_contract.STATE_SIZE], np.float32)

  def __call__(self, f0_scaled: float, pw_scaled: float) -> Controls:
    """One frame: scaled f0 and power -> controls; the state moves on."""
    f0_in, pw_in, state_in = self._inputs
    self.interpreter.set_tensor(f0_in, np.full([1], f0_scaled, np.float32))
    self.interpreter.set_tensor(pw_in, np.full([1], pw_scaled, np.float32))
    self.interpreter.set_tensor(state_in, self.state)
    self.interpreter.invoke()
    amp, hd, noise, state = (self.interpreter.get_tensor(i)
                             for i in self._outputs)
    self.state = np.array(state, np.float32)
    return Controls(np.array(amp), np.array(hd), np.array(noise))


def harmonic_amplitudes(amplitude: np.ndarray, distribution: np.ndarray,
                        f0_hz: float,
                        sample_rate: int = vst_contract.SAMPLE_RATE
                        ) -> np.ndarray:
  """Per-harmonic amplitudes: a * d_k / sum_j d_j over harmonics below Nyquist.

  Harmonic k (1-based) is zeroed when k f0 >= sample_rate / 2.

  Args:
    amplitude: Overall amplitude `[1]`.
    distribution: Harmonic distribution `[n_harmonics]`.
    f0_hz: Fundamental of the frame (Hz).
    sample_rate: Audio rate (Hz).

  Returns:
    `[n_harmonics]` amplitudes.
  """
  k = np.arange(1, distribution.shape[-1] + 1)
  masked = np.where(k * f0_hz < sample_rate / 2.0, distribution, 0.0)
  total = masked.sum()
  if total <= 0.0:
    return np.zeros_like(masked, dtype=np.float64)
  return float(np.asarray(amplitude).reshape(-1)[0]) * masked / total


def hop_ramp(hop_size: int) -> np.ndarray:
  """Weight of the new value per sample of a hop `[hop_size]`.

  w[n] = min(n / (hop / 2), 1): linear from the previous value over the first
  half of the hop, the new value held over the second half.
  """
  return np.minimum(np.arange(hop_size) / (hop_size / 2.0), 1.0)


def noise_impulse_response(magnitudes: np.ndarray) -> np.ndarray:
  """Causal FIR of 2 (n_mags - 1) taps from the noise magnitudes.

  h = hann * roll(irfft(magnitudes), taps / 2): the zero-phase response
  shifted by half its length (a delay of taps / 2 samples) and windowed.
  """
  ir = np.fft.irfft(np.asarray(magnitudes, np.float64))
  taps = ir.shape[-1]
  window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(taps) / taps)
  return np.roll(ir, taps // 2) * window


class HopSynthesizer:
  """Harmonic plus filtered-noise synthesis of one hop at a time.

  The fundamental phase phi[n] = phi[n - 1] + 2 pi f0[n] / sample_rate runs
  on across hops (wrapped to [0, 2 pi)); harmonic k sounds k phi. The noise
  filter's tail also carries into the next hop. After `reset` the previous
  f0 is the first frame's and the previous harmonic amplitudes are zeros.
  """

  def __init__(self,
               sample_rate: int = vst_contract.SAMPLE_RATE,
               hop_size: int = vst_contract.HOP_SIZE,
               noise: bool = True,
               seed: int = 0):
    self.sample_rate = sample_rate
    self.hop_size = hop_size
    self.noise = noise
    self._ramp = hop_ramp(hop_size)[:, np.newaxis]  # [hop, 1]
    self._seed = seed
    self.reset()

  def reset(self) -> None:
    self.phase = 0.0
    self._prev_f0 = None
    self._prev_amps = None
    self._noise_tail = np.zeros([0])
    self._rng = np.random.RandomState(self._seed)

  def harmonic(self, f0_hz: float, amplitudes: np.ndarray) -> np.ndarray:
    """Hop `[hop_size]` of harmonics; `amplitudes` `[n_harmonics]`."""
    if self._prev_f0 is None:
      self._prev_f0, self._prev_amps = f0_hz, np.zeros_like(amplitudes)
    ramp = self._ramp
    f0 = self._prev_f0 + (f0_hz - self._prev_f0) * ramp[:, 0]  # [hop]
    amps = self._prev_amps + (amplitudes - self._prev_amps) * ramp
    phase = self.phase + np.cumsum(2.0 * np.pi * f0 / self.sample_rate)
    k = np.arange(1, amplitudes.shape[-1] + 1)
    audio = np.sum(amps * np.sin(phase[:, np.newaxis] * k), axis=-1)
    self.phase = float(np.mod(phase[-1], 2.0 * np.pi))
    self._prev_f0, self._prev_amps = f0_hz, amplitudes
    return audio

  def filtered_noise(self, magnitudes: np.ndarray) -> np.ndarray:
    """Hop `[hop_size]` of uniform [-1, 1] noise through the magnitudes' FIR."""
    white = self._rng.uniform(-1.0, 1.0, self.hop_size)
    full = np.convolve(white, noise_impulse_response(magnitudes))
    full[:self._noise_tail.shape[0]] += self._noise_tail
    self._noise_tail = full[self.hop_size:]
    return full[:self.hop_size]

  def __call__(self, f0_hz: float, controls: Controls) -> np.ndarray:
    """One hop of audio `[hop_size]` from one frame's controls."""
    amps = harmonic_amplitudes(controls.amplitude,
                               controls.harmonic_distribution, f0_hz,
                               self.sample_rate)
    audio = self.harmonic(f0_hz, amps)
    if self.noise:
      audio = audio + self.filtered_noise(controls.noise_magnitudes)
    return audio


def play_frames(model: PluginControlModel, synthesizer: HopSynthesizer,
                f0_hz: np.ndarray, power_db: np.ndarray
               ) -> Tuple[List[Controls], np.ndarray]:
  """Frames of a stream, carrying on from the frames played before.

  The control model's GRU state and the synthesizer's phase, previous
  controls and noise tail continue from the last call (or `reset`), so a
  sequence played in pieces sounds as played at once.

  Args:
    model: The control model.
    synthesizer: Hop synthesis.
    f0_hz: Fundamental per frame `[n_frames]` (Hz).
    power_db: Power per frame `[n_frames]` (dB).

  Returns:
    (the controls of each frame, audio `[n_frames * hop_size]`).
  """
  f0_scaled, pw_scaled = scale_f0(f0_hz), scale_power(power_db)
  frames, hops = [], []
  for f0_s, pw_s in zip(f0_scaled, pw_scaled):
    controls = model(f0_s, pw_s)
    frames.append(controls)
    hops.append(synthesizer(float(unscale_f0(f0_s)), controls))
  audio = np.concatenate(hops) if hops else np.zeros([0])
  return frames, audio


def run_loop(model: PluginControlModel,
             f0_hz: np.ndarray,
             power_db: np.ndarray,
             synthesizer: Optional[HopSynthesizer] = None
             ) -> Dict[str, np.ndarray]:
  """The plugin's loop over frames: scale, call, feed the state, synthesise.

  Args:
    model: The control model (reset before the first frame).
    f0_hz: Fundamental per frame `[n_frames]` (Hz).
    power_db: Power per frame `[n_frames]` (dB).
    synthesizer: Hop synthesis (default: harmonic + noise, seed 0).

  Returns:
    {'amplitude' [n_frames, 1], 'harmonic_distribution' [n_frames, 60],
     'noise_magnitudes' [n_frames, 65], 'audio' [n_frames * hop_size]}.
  """
  synthesizer = synthesizer or HopSynthesizer()
  model.reset()
  synthesizer.reset()
  frames, audio = play_frames(model, synthesizer, f0_hz, power_db)
  return {
      'amplitude': np.stack([c.amplitude for c in frames]),
      'harmonic_distribution': np.stack(
          [c.harmonic_distribution for c in frames]),
      'noise_magnitudes': np.stack([c.noise_magnitudes for c in frames]),
      'audio': audio,
  }
