"""ddsp next to Keras 3: TensorFlow imported first, without TF_USE_LEGACY_KERAS.

Each scenario runs in a fresh Python process, because which Keras `tf.keras`
is gets decided once per process.
"""
import json
import os
import subprocess
import sys
import textwrap

from ddsp import keras_compat
import keras
import pytest
import tf_keras

# A user script: TensorFlow first (tf.keras resolves to Keras 3), a Keras layer
# registered with gin as the original's tests and many user configs do, then
# ddsp. It reports what it saw as one JSON line.
_KERAS3_SCRIPT = textwrap.dedent('''
    import json
    import tensorflow as tf
    import gin
    report = {'tf_keras_version': tf.keras.__version__}
    gin.external_configurable(tf.keras.layers.Dense, 'tf.keras.layers.Dense')
    import ddsp
    import ddsp.training
    from ddsp import keras_compat
    report['flavour'] = keras_compat.tf_keras_flavour()

    with gin.unlock_config():
      gin.parse_config('tf.keras.layers.Dense.units = 5')
    layer = gin.get_configurable('tf.keras.layers.Dense')()
    report['gin_dense_module'] = type(layer).__module__
    report['gin_dense_units'] = layer.units

    def error_of(fn):
      try:
        fn()
      except TypeError as e:
        return str(e)
      return None

    report['errors'] = {
        'decoder': error_of(lambda: ddsp.training.models.Autoencoder(
            decoder=tf.keras.layers.Dense(3))),
        'optimizer': error_of(lambda: ddsp.training.models.Autoencoder(
            ).compile(tf.keras.optimizers.Adam())),
        'dag_node': error_of(lambda: ddsp.processors.ProcessorGroup(
            dag=[(tf.keras.layers.Dense(3), ['x'])])),
    }

    # ddsp's own objects still work: a small model trains one step.
    import numpy as np
    import tf_keras
    model = ddsp.training.models.Autoencoder(
        preprocessor=ddsp.training.preprocessing.F0LoudnessPreprocessor(
            time_steps=25),
        decoder=ddsp.training.decoders.RnnFcDecoder(
            rnn_channels=8, ch=8, layers_per_stack=1,
            input_keys=('ld_scaled', 'f0_scaled'),
            output_splits=(('amps', 1), ('harmonic_distribution', 4),
                           ('noise_magnitudes', 4))),
        processor_group=ddsp.processors.ProcessorGroup(dag=[
            (ddsp.synths.Harmonic(n_samples=1600), ['amps',
                                                     'harmonic_distribution',
                                                     'f0_hz']),
            (ddsp.synths.FilteredNoise(n_samples=1600), ['noise_magnitudes']),
            (ddsp.processors.Add(), ['filtered_noise/signal',
                                     'harmonic/signal'])]),
        losses=[ddsp.losses.SpectralLoss(fft_sizes=(256, 64))])
    features = {'audio': np.random.uniform(-0.5, 0.5, [2, 1600]).astype('f4'),
                'f0_hz': np.full([2, 25, 1], 220.0, 'f4'),
                'loudness_db': np.full([2, 25, 1], -30.0, 'f4')}
    optimizer = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
      _, losses = model(features, training=True, return_losses=True)
    grads = tape.gradient(losses['total_loss'], model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    report['train_loss'] = float(losses['total_loss'])
    report['is_tf_keras_model'] = isinstance(model, tf_keras.Model)
    print('REPORT ' + json.dumps(report))
''')

# ddsp first: tf.keras, when first used afterwards, is Keras 2 (tf_keras).
_DDSP_FIRST_SCRIPT = textwrap.dedent('''
    import json
    import ddsp
    import tensorflow as tf
    import tf_keras
    print('REPORT ' + json.dumps(
        {'same': tf.keras.layers.Dense is tf_keras.layers.Dense}))
''')


def _run_fresh(script):
  """Runs `script` in a new interpreter without TF_USE_LEGACY_KERAS."""
  env = dict(os.environ)
  env.pop('TF_USE_LEGACY_KERAS', None)
  env['TF_CPP_MIN_LOG_LEVEL'] = '3'
  proc = subprocess.run([sys.executable, '-c', script], env=env,
                        capture_output=True, text=True, timeout=600,
                        check=False)
  assert proc.returncode == 0, proc.stderr[-4000:]
  line = [l for l in proc.stdout.splitlines() if l.startswith('REPORT ')][-1]
  return json.loads(line[len('REPORT '):]), proc.stderr


@pytest.fixture(scope='module')
def keras3_run():
  return _run_fresh(_KERAS3_SCRIPT)


def test_tf_keras_is_keras3_in_that_process(keras3_run):
  report, _ = keras3_run
  assert report['tf_keras_version'].startswith('3.')
  assert report['flavour'] == 'keras_3'


def test_import_ddsp_training_after_gin_registered_a_keras_layer(keras3_run):
  report, stderr = keras3_run
  assert report['gin_dense_module'].startswith('tf_keras.')
  assert report['gin_dense_units'] == 5
  assert 'tf.keras.layers.Dense' in stderr  # the take-over is logged


def test_import_says_ddsp_objects_are_tf_keras(keras3_run):
  _, stderr = keras3_run
  assert 'tf.keras is Keras 3 in this process' in stderr
  assert 'TF_USE_LEGACY_KERAS' in stderr


@pytest.mark.parametrize('case', ['decoder', 'optimizer', 'dag_node'])
def test_keras3_object_given_to_ddsp_is_one_clear_error(keras3_run, case):
  report, _ = keras3_run
  message = report['errors'][case]
  assert message is not None, f'{case}: no TypeError'
  assert 'Keras 3' in message
  assert 'tf_keras' in message and 'TF_USE_LEGACY_KERAS' in message


def test_ddsp_model_trains_in_a_keras3_process(keras3_run):
  report, _ = keras3_run
  assert report['is_tf_keras_model']
  assert 0 < report['train_loss'] < float('inf')


def test_ddsp_first_makes_tf_keras_keras2():
  report, _ = _run_fresh(_DDSP_FIRST_SCRIPT)
  assert report['same']


@pytest.mark.parametrize('obj, expected', [
    (keras.layers.Dense(2), True),
    (keras.optimizers.Adam(), True),
    (keras.layers.Dense, True),
    (tf_keras.layers.Dense(2), False),
    (tf_keras.optimizers.Adam(), False),
    (3.0, False),
], ids=['k3_layer', 'k3_optimizer', 'k3_class', 'k2_layer', 'k2_optimizer',
        'float'])
def test_is_keras3_object(obj, expected):
  assert keras_compat.is_keras3_object(obj) is expected


def test_require_tf_keras_names_the_place():
  with pytest.raises(TypeError, match=r'MyModel\.decoder got a Keras 3'):
    keras_compat.require_tf_keras(keras.layers.Dense(2), 'MyModel.decoder')
  keras_compat.require_tf_keras(tf_keras.layers.Dense(2), 'MyModel.decoder')
