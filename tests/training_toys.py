"""Small models, data and gin configs for the training / ddsp_run tests.

* `ToyModel` / `ToyProvider`: a one-layer regression model that follows the
  `ddsp.training.models.Model` calling protocol, and an in-memory data
  provider; they make train-loop tests independent of the DDSP models.
* `write_tiny_tfrecord` + `tiny_gin`: a 1 s-example TFRecord in the
  original schema and a small solo-instrument-like gin config for end-to-end
  `ddsp_run` runs in a few seconds.
"""
import os
import subprocess
import sys

import golden
import numpy as np
import tensorflow as tf
import tf_keras as tfk

from ddsp.features import tfrecord_layout
from ddsp.training.playback import vst_contract

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable
# The original's solo_instrument run (outside the repository, see golden.py).
GOLDEN_SOLO = golden.path('golden/solo_instrument')


class ToyModel(tfk.Model):
  """y = dense(x); loss = mean((y - target)^2). Same protocol as Model."""

  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    self.dense = tfk.layers.Dense(1, kernel_initializer='zeros')
    self._losses_dict = {}

  def __call__(self, *args, return_losses=False, **kwargs):
    self._losses_dict = {}
    outputs = super().__call__(*args, **kwargs)
    if not return_losses:
      return outputs
    losses = dict(self._losses_dict)
    losses['total_loss'] = tf.reduce_sum(list(losses.values())) if losses \
        else tf.constant(0.0)
    return outputs, losses

  def call(self, features, training=True):
    pred = self.dense(features['x'])
    outputs = dict(features)
    outputs['pred'] = pred
    outputs['audio_synth'] = features['audio']
    if training:
      self._losses_dict['l2_loss'] = tf.reduce_mean(
          (pred - features['target'])**2)
    return outputs

  def get_audio_from_outputs(self, outputs):
    return outputs['audio_synth']

  def restore(self, checkpoint_path, verbose=True, restore_keys=None):
    del verbose, restore_keys
    from ddsp.training import train_util  # pylint: disable=g-import-not-at-top
    latest = train_util.get_latest_checkpoint(checkpoint_path)
    tf.train.Checkpoint(model=self).restore(latest).expect_partial()


def toy_trainer(**kwargs):
  """A `trainers.Trainer` of a fresh ToyModel under MirroredStrategy."""
  from ddsp.training import trainers  # pylint: disable=g-import-not-at-top
  strategy = tf.distribute.MirroredStrategy()
  with strategy.scope():
    return trainers.Trainer(ToyModel(), strategy, **kwargs)


class ToyProvider(object):
  """Random regression data; `get_batch` like DataProvider's."""

  sample_rate = 16000
  frame_rate = 250

  def __init__(self, n_examples=16, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n_examples, 3).astype(np.float32)
    w = np.array([[1.0], [-2.0], [0.5]], np.float32)
    self._data = {
        'x': x,
        'target': x @ w,
        'audio': rng.uniform(-0.5, 0.5, (n_examples, 2000)).astype(np.float32),
    }

  def get_dataset(self, shuffle=True):
    del shuffle
    return tf.data.Dataset.from_tensor_slices(self._data)

  def get_batch(self, batch_size, shuffle=True, repeats=-1,
                drop_remainder=True):
    ds = self.get_dataset(shuffle).repeat(repeats)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(2)


# ---------------------------------------------------------------------------
# Tiny real DDSP runs.
# ---------------------------------------------------------------------------
TINY_SECS = 1  # TFRecordProvider needs example_secs * rates to be integers.
TINY_SAMPLES = 16000  # TINY_SECS at 16 kHz.
TINY_FRAMES = 250  # TINY_SECS at 250 Hz.


def _float_feature(values):
  return tf.train.Feature(float_list=tf.train.FloatList(
      value=np.asarray(values, np.float32).ravel()))


def write_tones_tfrecord(path, layout, n_examples=4, seed=0, amplitude=0.2):
  """Harmonic tones in the ddsp_prepare_tfrecord schema of a 16 kHz layout.

  Args:
    path: TFRecord file written.
    layout: `tfrecord_layout.TFRecordLayout` at 16 kHz (its frame rate,
      example length and padding).
    n_examples: Examples written, each a tone of 3 harmonics at a random
      f0 in [200, 500] Hz.
    seed: Seed of the f0s.
    amplitude: Amplitude of the fundamental (harmonic k: amplitude / k).

  Returns:
    path.
  """
  frames = layout.lengths()['f0_hz']
  rng = np.random.RandomState(seed)
  t = np.arange(layout.audio_length) / 16000.0
  with tf.io.TFRecordWriter(path) as writer:
    for _ in range(n_examples):
      f0 = rng.uniform(200.0, 500.0)
      audio = sum(amplitude / k * np.sin(2 * np.pi * k * f0 * t)
                  for k in (1, 2, 3))
      example = tf.train.Example(features=tf.train.Features(feature={
          'audio': _float_feature(audio),
          'audio_16k': _float_feature(audio),
          'f0_hz': _float_feature(np.full(frames, f0)),
          'f0_confidence': _float_feature(np.full(frames, 0.95)),
          'loudness_db': _float_feature(np.full(frames, -20.0)),
      }))
      writer.write(example.SerializeToString())
  return path


def write_tiny_tfrecord(path, n_examples=4, seed=0):
  """Harmonic tones in the ddsp_prepare_tfrecord schema (1 s examples)."""
  layout = tfrecord_layout.TFRecordLayout(16000, TINY_FRAMES, TINY_SECS)
  return write_tones_tfrecord(path, layout, n_examples, seed, amplitude=0.3)


def tiny_vst_params(example_secs=1):
  """gin params: models/vst/vst.gin trained 3 steps on `example_secs`
  examples at 50 frames/s, centred (ddsp_prepare_tfrecord --frame_rate=50
  --center=True); a narrow decoder whose GRU keeps the plugin's channels."""
  # vst.gin crops one hop of centered-frame padding: example + one hop.
  n_samples = example_secs * vst_contract.SAMPLE_RATE + vst_contract.HOP_SIZE
  return (
      f'n_samples = {n_samples}',
      'RnnFcDecoder.ch = 8',
      'FilteredNoiseReverb.reverb_length = 4000',
      'batch_size = 2',
      'train.num_steps = 3',
      'train.steps_per_save = 3',
      'train.steps_per_summary = 3',
      'TFRecordProvider.centered = True',
      f'TFRecordProvider.frame_rate = {vst_contract.FRAME_RATE}',
      f'TFRecordProvider.example_secs = {example_secs}',
  )


def tiny_gin(file_pattern):
  """Solo-instrument-like config, small enough for ~0.1 s training steps."""
  return f"""
import ddsp
import ddsp.training

# Macros:
batch_size = 2
learning_rate = 0.001

train.batch_size = %batch_size
Trainer.learning_rate = %learning_rate

get_model.model = @models.Autoencoder()
Autoencoder.preprocessor = @preprocessing.F0LoudnessPreprocessor()
Autoencoder.encoder = None
Autoencoder.decoder = @decoders.RnnFcDecoder()
Autoencoder.processor_group = @processors.ProcessorGroup()
Autoencoder.losses = [@losses.SpectralLoss()]

F0LoudnessPreprocessor.time_steps = {TINY_FRAMES}

RnnFcDecoder.rnn_channels = 16
RnnFcDecoder.rnn_type = 'gru'
RnnFcDecoder.ch = 16
RnnFcDecoder.layers_per_stack = 1
RnnFcDecoder.input_keys = ('ld_scaled', 'f0_scaled')
RnnFcDecoder.output_splits = (('amps', 1),
                              ('harmonic_distribution', 8),
                              ('noise_magnitudes', 8))

ProcessorGroup.dag = [
  (@synths.Harmonic(), ['amps', 'harmonic_distribution', 'f0_hz']),
  (@synths.FilteredNoise(), ['noise_magnitudes']),
  (@processors.Add(), ['filtered_noise/signal', 'harmonic/signal']),
]
Harmonic.n_samples = {TINY_SAMPLES}
Harmonic.sample_rate = 16000
Harmonic.name = 'harmonic'
FilteredNoise.n_samples = {TINY_SAMPLES}
FilteredNoise.window_size = 0
FilteredNoise.name = 'filtered_noise'
processors.Add.name = 'add'

SpectralLoss.fft_sizes = (512, 256, 128)
SpectralLoss.loss_type = 'L1'
SpectralLoss.mag_weight = 1.0
SpectralLoss.logmag_weight = 1.0

train.data_provider = @data.TFRecordProvider()
evaluate.data_provider = @data.TFRecordProvider()
sample.data_provider = @data.TFRecordProvider()
TFRecordProvider.file_pattern = '{file_pattern}'
TFRecordProvider.example_secs = {TINY_SECS}
sample.batch_size = 2
sample.num_batches = 1
evaluate.batch_size = 2
evaluate.num_batches = 1
"""


def write_tiny_setup(tmp_dir, n_examples=4):
  """Writes tiny.tfrecord and tiny.gin into tmp_dir; returns the gin path."""
  record = write_tiny_tfrecord(os.path.join(tmp_dir, 'tiny.tfrecord'),
                               n_examples=n_examples)
  gin_path = os.path.join(tmp_dir, 'tiny.gin')
  with open(gin_path, 'w') as f:
    f.write(tiny_gin(record))
  return gin_path


def module_cmd(module, *args):
  """Command line running a module with the test interpreter."""
  return [PYTHON, '-m', module, *args]


def ddsp_run_cmd(*flags):
  """Command line running ddsp_run as a module with the test interpreter."""
  return module_cmd('ddsp.training.ddsp_run', '--alsologtostderr', *flags)


def run_module(module, *args, timeout=600, env=None, check=True):
  """Runs a console script's module in a subprocess from the repository.

  Returns:
    The CompletedProcess; with `check`, an AssertionError showing the end
    of its error output when it fails.
  """
  full_env = dict(os.environ)
  full_env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  full_env['TF_USE_LEGACY_KERAS'] = '1'
  if env:
    full_env.update(env)
  proc = subprocess.run(module_cmd(module, *args), capture_output=True,
                        text=True, timeout=timeout, env=full_env, cwd=REPO)
  if check and proc.returncode != 0:
    name = module.rpartition('.')[2]
    raise AssertionError(
        f'{name} failed ({proc.returncode}):\n{proc.stderr[-5000:]}')
  return proc


def run_ddsp(*flags, **kwargs):
  """Runs ddsp_run in a subprocess (`run_module`'s arguments)."""
  return run_module('ddsp.training.ddsp_run', '--alsologtostderr', *flags,
                    **kwargs)


def read_event_tags(event_dir):
  """{tag: [steps]} of all TensorBoard event files under a folder."""
  tags = {}
  for root, _, files in os.walk(event_dir):
    for name in files:
      if 'tfevents' not in name:
        continue
      for event in tf.compat.v1.train.summary_iterator(
          os.path.join(root, name)):
        for value in event.summary.value:
          tags.setdefault(value.tag, []).append(event.step)
  return tags
