"""Stateful DSP blocks: any split of a stream gives the whole-stream signal.

Each block class of `ddsp.streaming_dsp` is fed the same controls cut into
blocks of different lengths and compared with the whole-signal function of
`ddsp.core` / the processor it stands for.
"""
import numpy as np
import pytest

from ddsp import core
from ddsp import effects
from ddsp import streaming_dsp

HOP = 64
SAMPLE_RATE = 16000
# Block lengths (in frames, or samples for the reverb) to cut streams into.
SPLITS = [1, 7, 1000]


def _in_blocks(process, arrays, size):
  """Outputs of `process` over consecutive blocks of `arrays`."""
  n = len(arrays[0])
  return [process(*[a[i:i + size] for a in arrays]) for i in range(0, n,
                                                                     size)]


def _controls(n_frames=40, n_harmonics=10, seed=0):
  """A gliding f0 up to 2.5 kHz (upper harmonics cross Nyquist) and amps."""
  rng = np.random.default_rng(seed)
  f0 = np.linspace(200.0, 2500.0, n_frames).astype(np.float32)
  amps = rng.uniform(0.0, 0.2, [n_frames, n_harmonics]).astype(np.float32)
  return f0, amps


def _harmonic_reference(f0, amps, method):
  """Whole-signal harmonic synthesis with core's envelopes, float64 phase.

  `core.resample` makes the envelopes exactly as `synths.Harmonic` does;
  the phase is summed in float64 per harmonic (the float32 cumsum of
  `oscillator_bank` drifts by ~1e-3 rad within a few thousand samples,
  which would hide the error under test).
  """
  n_samples = len(f0) * HOP
  freqs = core.resample(core.get_harmonic_frequencies(f0[None, :, None],
                                                      amps.shape[-1]),
                        n_samples).numpy()[0].astype(np.float64)
  env = core.resample(amps[None], n_samples,
                      method=method).numpy()[0].astype(np.float64)
  env = np.where(freqs >= SAMPLE_RATE / 2, 0.0, env)
  phase = np.cumsum(2 * np.pi * freqs / SAMPLE_RATE, axis=0)
  return np.sum(env * np.sin(phase), axis=1)


@pytest.mark.parametrize('method', ['window', 'linear'])
@pytest.mark.parametrize('split', SPLITS)
def test_oscillator_blocks_equal_whole_signal_synthesis(method, split):
  """Tolerance 1e-4: float32 envelopes of core vs float64 here (~1e-6
  relative) over 10 harmonics of amplitude <= 0.2; a phase error of one
  sample at 2.5 kHz would be ~0.1."""
  f0, amps = _controls()
  osc = streaming_dsp.HarmonicOscillator(SAMPLE_RATE, HOP, method)
  audio = np.concatenate(_in_blocks(osc.process, [f0, amps], split) +
                         [osc.flush()])
  assert audio.shape == (len(f0) * HOP,)
  np.testing.assert_allclose(audio, _harmonic_reference(f0, amps, method),
                             atol=1e-4)


def test_oscillator_carries_the_phase_between_streams_only_until_reset():
  f0, amps = _controls(n_frames=5)
  osc = streaming_dsp.HarmonicOscillator(SAMPLE_RATE, HOP)
  first = np.concatenate([osc.process(f0, amps), osc.flush()])
  osc.reset()
  again = np.concatenate([osc.process(f0, amps), osc.flush()])
  np.testing.assert_array_equal(first, again)


def test_oscillator_rejects_other_resampling_methods():
  with pytest.raises(ValueError, match="'cubic'"):
    streaming_dsp.HarmonicOscillator(SAMPLE_RATE, HOP, 'cubic')


@pytest.mark.parametrize('window_size', [0, 33])
@pytest.mark.parametrize('split', SPLITS)
def test_noise_stream_equals_fft_convolve_of_the_same_noise(window_size,
                                                            split):
  """The model's FIRs and noise drawn in sample order (seeded), so the
  only difference is float32 (core) vs float64 FFTs: tolerance 1e-5."""
  n_frames = 30
  rng = np.random.default_rng(1)
  mags = rng.uniform(0.0, 1.0, [1, n_frames, 33]).astype(np.float32)
  irs = core.frequency_impulse_response(mags, window_size).numpy()[0]
  stream = streaming_dsp.FilteredNoiseStream(HOP, irs.shape[-1], seed=5)
  audio = np.concatenate(_in_blocks(stream.process, [irs], split) +
                         [stream.flush()])
  noise = np.random.default_rng(5).uniform(-1.0, 1.0, n_frames * HOP)
  expected = core.fft_convolve(noise[None].astype(np.float32),
                               irs[None]).numpy()[0]
  assert audio.shape == expected.shape
  np.testing.assert_allclose(audio, expected, atol=1e-5)


@pytest.mark.parametrize('add_dry', [True, False])
@pytest.mark.parametrize('split', [1, 130, 5000])
def test_reverb_blocks_equal_the_reverb_processor(add_dry, split):
  """Tolerance 1e-5: float32 FFTs of the processor vs float64 here."""
  rng = np.random.default_rng(2)
  ir = (rng.standard_normal(300) * np.exp(-np.arange(300) / 60.0))
  ir = ir.astype(np.float32)
  audio = rng.standard_normal(2000).astype(np.float32)
  reverb = streaming_dsp.ConvolutionReverb(ir, add_dry)
  out = np.concatenate(_in_blocks(reverb.process, [audio], split))
  expected = effects.Reverb(add_dry=add_dry).get_signal(audio[None],
                                                        ir[None]).numpy()[0]
  np.testing.assert_allclose(out, expected, atol=1e-5)
