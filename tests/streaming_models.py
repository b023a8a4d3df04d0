"""Small autoencoders with random weights, saved as model folders, and
the streaming engine run next to the Keras model.

The streaming tests need a trained model's files (operative config and
checkpoint) but not trained weights: the engine must reproduce whatever the
weights compute. The reverb's impulse response is set to a decaying noise
so that its tail is audible across block boundaries.
"""
import os

import gin
import numpy as np
import tensorflow as tf

from ddsp import core
from ddsp.training import inference
from ddsp.training import models
from ddsp.training import train_util
from ddsp.training.playback import streaming


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model_gin(sample_rate=32000, frame_rate=250, n_harmonics=12, n_bands=16,
              reverb_samples=4000, rnn_channels=24, noise_window=0):
  """Gin text of a small solo-instrument-like autoencoder with a reverb."""
  time_steps = frame_rate  # One-second examples.
  return f"""
import ddsp
import ddsp.training

get_model.model = @models.Autoencoder()
Autoencoder.preprocessor = @preprocessing.F0LoudnessPreprocessor()
Autoencoder.encoder = None
Autoencoder.decoder = @decoders.RnnFcDecoder()
Autoencoder.processor_group = @processors.ProcessorGroup()
Autoencoder.losses = []
F0LoudnessPreprocessor.time_steps = {time_steps}
F0LoudnessPreprocessor.frame_rate = {frame_rate}
F0LoudnessPreprocessor.sample_rate = {sample_rate}
F0LoudnessPreprocessor.compute_loudness = False
RnnFcDecoder.rnn_channels = {rnn_channels}
RnnFcDecoder.rnn_type = 'gru'
RnnFcDecoder.ch = 16
RnnFcDecoder.layers_per_stack = 1
RnnFcDecoder.input_keys = ('ld_scaled', 'f0_scaled')
RnnFcDecoder.output_splits = (('amps', 1),
                              ('harmonic_distribution', {n_harmonics}),
                              ('noise_magnitudes', {n_bands}))
ProcessorGroup.dag = [
  (@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),
  (@synths.FilteredNoise(), ['noise_magnitudes']),
  (@processors.Add(), ['filtered_noise/signal', 'harmonic/signal']),
  (@effects.Reverb(), ['add/signal']),
]
Harmonic.n_samples = {sample_rate}
Harmonic.sample_rate = {sample_rate}
Harmonic.use_angular_cumsum = True
FilteredNoise.n_samples = {sample_rate}
FilteredNoise.window_size = {noise_window}
FilteredNoise.initial_bias = -3.0
Reverb.trainable = True
Reverb.reverb_length = {reverb_samples}
processors.Add.name = 'add'
"""


def write_random_model(folder, gin_text, seed=0):
  """Builds the model of `gin_text`, saves config and checkpoint; -> folder.

  A reverb's impulse response becomes 0.05 * noise * exp(-t / (len / 5)).
  """
  os.makedirs(folder, exist_ok=True)
  gin.clear_config()
  # Python's, numpy's and TensorFlow's RNGs: tf_keras draws the seeds of
  # unseeded initializers from Python's `random`, which earlier tests move.
  train_util.set_seed(seed)
  with gin.unlock_config():
    gin.parse_config(gin_text)
  model = models.get_model()
  n_frames = gin.query_parameter('F0LoudnessPreprocessor.time_steps')
  model({'f0_hz': tf.fill([1, n_frames], 220.0),
         'loudness_db': tf.fill([1, n_frames], -30.0)}, training=False)
  reverb = getattr(model.processor_group, 'reverb', None)
  if reverb is not None:
    ir_variable, = reverb.weights  # The learned impulse response.
    n = int(ir_variable.shape[0])
    rng = np.random.default_rng(seed)
    ir = 0.05 * rng.standard_normal(n) * np.exp(-np.arange(n) / (n / 5.0))
    ir_variable.assign(ir.astype(np.float32))
  with open(os.path.join(folder, 'operative_config-0.gin'), 'w') as f:
    f.write(gin.operative_config_str())
  tf.train.Checkpoint(model=model).save(os.path.join(folder, 'ckpt'))
  gin.clear_config()
  return folder


def write_random_vst_model(folder, seed=0, config='vst.gin', bindings=()):
  """models/vst/<config> with a narrow decoder, random weights; -> folder.

  One second of audio at 16 kHz (51 centered frames) builds it; `bindings`
  (gin lines) come last.
  """
  os.makedirs(folder, exist_ok=True)
  gin.clear_config()
  train_util.set_seed(seed)
  vst_gin = os.path.join(REPO, 'gin', 'models', 'vst', config)
  with gin.unlock_config():
    gin.add_config_file_search_path(os.path.join(REPO, 'gin'))
    gin.parse_config_file(vst_gin)
    gin.parse_config(['n_samples = 16320', 'RnnFcDecoder.ch = 8',
                      *bindings])
  model = models.get_model()
  model({'audio': tf.zeros([1, 16000]),
         'f0_hz': tf.fill([1, 51, 1], 220.0),
         'f0_confidence': tf.ones([1, 51, 1])}, training=False)
  with open(os.path.join(folder, 'operative_config-0.gin'), 'w') as f:
    f.write(gin.operative_config_str())
  tf.train.Checkpoint(model=model).save(os.path.join(folder, 'ckpt'))
  gin.clear_config()
  return folder


def stream_parts(engine, f0, db, block_frames, seed=0):
  """{'harmonic', 'noise', 'audio'} of a whole stream cut into blocks."""
  engine.noise.seed = seed
  engine.reset()
  parts = [engine.process(f0[i:i + block_frames], db[i:i + block_frames])
           for i in range(0, len(f0), block_frames)]
  parts.append(engine.flush())
  return {k: np.concatenate([p[k] for p in parts]) for k in streaming.PARTS}


def whole_and_streamed(model_dir, engine, f0, db, block_frames, seed):
  """The Keras model on the whole sequence at once, and the engine's stream.

  Args:
    model_dir: Model folder.
    engine: `streaming.StreamingSynthesizer` of the same model.
    f0: f0_hz [n_frames].
    db: Loudness (or power for a power model) [n_frames].
    block_frames: Frames the engine processes at a time.
    seed: Seed of the engine's noise.

  Returns:
    (the model's outputs, its `synth_controls`, the engine's
    `stream_parts`, the model: an `AutoencoderInference` n_frames long
    with its reverb).
  """
  gin.clear_config()
  seconds = (len(f0) + 0.5) * engine.hop_size / engine.sample_rate
  model = inference.AutoencoderInference(model_dir, length_seconds=seconds,
                                         remove_reverb=False, verbose=False)
  features = {'f0_hz': f0, model.db_key: db}
  parts = stream_parts(engine, f0, db, block_frames, seed)
  return model(features), model.synth_controls(features), parts, model


def filtered_seeded_noise(model, controls, n_samples, seed):
  """The model's noise filter (its magnitudes and window) on the noise the
  engine draws from `seed`, in sample order: float32 [n_samples]."""
  mags = controls['filtered_noise']['controls']['magnitudes']
  noise = np.random.default_rng(seed).uniform(-1.0, 1.0, n_samples)
  return core.frequency_filter(
      noise[None].astype(np.float32), mags,
      window_size=model.processor_group.filtered_noise.window_size).numpy()[0]
