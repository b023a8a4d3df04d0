"""ddsp.training.trainers: optimizer, train step, checkpoint save / restore."""
import json
import os

import gin
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as tfk

import golden
from ddsp.training import trainers
import training_toys


def _built_toy_trainer(**kwargs):
  trainer = training_toys.toy_trainer(**kwargs)
  batches = iter(training_toys.ToyProvider().get_batch(4))
  trainer.build(next(batches))
  return trainer, batches


def test_optimizer_is_adam_with_exponential_decay():
  trainer = training_toys.toy_trainer(learning_rate=0.01, lr_decay_steps=100,
                         lr_decay_rate=0.5)
  opt = trainer.optimizer
  assert isinstance(opt, tfk.optimizers.Adam)
  assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
  schedule = opt._learning_rate  # pylint: disable=protected-access
  assert isinstance(schedule, tfk.optimizers.schedules.ExponentialDecay)
  # Continuous decay: lr = lr0 * rate ** (step / decay_steps).
  assert float(schedule(0)) == pytest.approx(0.01)
  assert float(schedule(50)) == pytest.approx(0.01 * 0.5**0.5)
  assert float(schedule(100)) == pytest.approx(0.005)


def test_trainer_defaults_and_attributes(clean_gin):
  del clean_gin  # The defaults, whatever other tests left in gin.
  trainer = training_toys.toy_trainer()
  assert trainer.checkpoints_to_keep == 100
  assert trainer.grad_clip_norm == 3.0
  assert trainer.restore_keys is None
  assert float(trainer.optimizer._learning_rate(0)) == pytest.approx(0.001)  # pylint: disable=protected-access
  assert trainer.step is trainer.optimizer.iterations


def test_trainer_is_gin_configurable():
  with gin.unlock_config():
    gin.parse_config(['Trainer.learning_rate = 0.25',
                      'Trainer.checkpoints_to_keep = 3'])
  try:
    trainer = training_toys.toy_trainer()
    assert trainer.checkpoints_to_keep == 3
    assert float(trainer.optimizer._learning_rate(0)) == 0.25  # pylint: disable=protected-access
  finally:
    gin.clear_config()


def test_get_trainer_class():
  assert trainers.get_trainer_class() is trainers.Trainer

  class OtherTrainer(trainers.Trainer):
    pass

  assert trainers.get_trainer_class(OtherTrainer) is OtherTrainer


def test_train_step_increments_step_and_returns_losses():
  trainer, batches = _built_toy_trainer()
  losses = trainer.train_step(batches)
  assert int(trainer.step.numpy()) == 1
  assert sorted(losses) == ['l2_loss', 'total_loss']
  assert float(losses['total_loss']) > 0.0
  # A batch (not an iterator) works too.
  trainer.train_step(next(batches))
  assert int(trainer.step.numpy()) == 2


def test_training_reduces_the_loss():
  trainer, batches = _built_toy_trainer(learning_rate=0.05)
  first = float(trainer.train_step(batches)['total_loss'])
  for _ in range(60):
    last = float(trainer.train_step(batches)['total_loss'])
  assert last < 0.2 * first


def test_gradients_are_clipped_to_the_global_norm(monkeypatch):
  trainer, batches = _built_toy_trainer(grad_clip_norm=1e-3)
  seen = []
  apply = trainer.optimizer.apply_gradients

  def spy(grads_and_vars, **kwargs):
    grads_and_vars = list(grads_and_vars)
    norm = tf.linalg.global_norm([g for g, _ in grads_and_vars])
    # Runs inside the traced step: record the value from Python.
    tf.py_function(lambda n: seen.append(float(n)) or 0.0, [norm],
                   tf.float32)
    return apply(grads_and_vars, **kwargs)

  monkeypatch.setattr(trainer.optimizer, 'apply_gradients', spy)
  trainer.train_step(batches)
  assert seen[0] == pytest.approx(1e-3, rel=1e-4)


def test_jit_compiled_step_matches_the_default_step():
  """XLA variant (speed option): same losses and updates in float32."""
  results = []
  for jit in (False, True):
    trainer, batches = _built_toy_trainer(learning_rate=0.05)
    trainer.jit_compile = jit
    losses = [float(trainer.train_step(batches)['total_loss'])
              for _ in range(3)]
    results.append((losses, trainer.model.dense.kernel.numpy()))
  np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
  np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5,
                             atol=1e-7)


# ---------------------------------------------------------------------------
# Checkpoints.
# ---------------------------------------------------------------------------
def test_save_writes_manager_files_named_by_step(tmp_path):
  trainer, batches = _built_toy_trainer()
  for _ in range(2):
    trainer.train_step(batches)
  trainer.save(str(tmp_path))
  assert sorted(os.listdir(tmp_path)) == [
      'checkpoint', 'ckpt-2.data-00000-of-00001', 'ckpt-2.index']
  state = open(tmp_path / 'checkpoint').read()
  assert 'model_checkpoint_path: "ckpt-2"' in state


def test_checkpoint_layout_model_and_new_keras_adam(tmp_path):
  trainer, batches = _built_toy_trainer()
  trainer.train_step(batches)
  trainer.save(str(tmp_path))
  names = [n for n, _ in tf.train.list_variables(str(tmp_path))]
  assert 'model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE' in names
  assert 'optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE' in names
  assert 'optimizer/_current_learning_rate/.ATTRIBUTES/VARIABLE_VALUE' in names
  # m and v for kernel and bias.
  for i in range(1, 5):
    assert f'optimizer/_variables/{i}/.ATTRIBUTES/VARIABLE_VALUE' in names
  assert 'save_counter/.ATTRIBUTES/VARIABLE_VALUE' in names


def test_checkpoints_to_keep_prunes_old_checkpoints(tmp_path):
  trainer, batches = _built_toy_trainer(checkpoints_to_keep=2)
  for _ in range(3):
    trainer.train_step(batches)
    trainer.save(str(tmp_path))
  index_files = sorted(f for f in os.listdir(tmp_path) if f.endswith('.index'))
  assert index_files == ['ckpt-2.index', 'ckpt-3.index']


def _all_values(trainer):
  values = {f'model{i}': v.numpy()
            for i, v in enumerate(trainer.model.variables)}
  values.update({f'opt{i}': v.numpy()
                 for i, v in enumerate(trainer.optimizer.variables)})
  return values


def test_save_then_restore_gives_identical_variables(tmp_path):
  trainer, batches = _built_toy_trainer()
  for _ in range(3):
    trainer.train_step(batches)
  trainer.save(str(tmp_path))
  saved = _all_values(trainer)

  restored, batches2 = _built_toy_trainer()
  restored.restore(str(tmp_path))
  assert int(restored.step.numpy()) == 3
  # Adam slots are created on the first update; restoration is deferred
  # until then (as in the original), so build them explicitly here.
  with restored.strategy.scope():
    restored.optimizer.build(restored.model.trainable_variables)
  got = _all_values(restored)
  assert sorted(got) == sorted(saved)
  for k in saved:
    np.testing.assert_array_equal(got[k], saved[k], err_msg=k)
  del batches2


def test_restore_missing_checkpoint_raises(tmp_path):
  trainer, _ = _built_toy_trainer()
  with pytest.raises(FileNotFoundError):
    trainer.restore(str(tmp_path))


def test_restore_keys_restores_only_those_parts(tmp_path):
  trainer, batches = _built_toy_trainer(learning_rate=0.1)
  for _ in range(3):
    trainer.train_step(batches)
  trainer.save(str(tmp_path))

  partial, _ = _built_toy_trainer(restore_keys=['dense'])
  partial.restore(str(tmp_path))
  np.testing.assert_array_equal(partial.model.dense.kernel.numpy(),
                                trainer.model.dense.kernel.numpy())


# ---------------------------------------------------------------------------
# The solo_instrument model against the original's checkpoint.
# ---------------------------------------------------------------------------
GOLDEN_CKPT = golden.path(golden.SOLO_CKPT)


@pytest.fixture(scope='module')
def solo_trainer():
  """Fresh solo_instrument model (models/solo_instrument.gin), built."""
  from ddsp.training import ddsp_run  # pylint: disable=g-import-not-at-top
  from ddsp.training import models  # pylint: disable=g-import-not-at-top
  gin.clear_config()
  gin.add_config_file_search_path(ddsp_run.GIN_PATH)
  gin.parse_config_file('models/solo_instrument.gin')
  # Variables do not depend on the example length: build on 40 ms examples
  # (10 frames) to keep the test fast.
  gin.parse_config(['F0LoudnessPreprocessor.time_steps = 10',
                    'Harmonic.n_samples = 640',
                    'FilteredNoise.n_samples = 640'])
  strategy = tf.distribute.MirroredStrategy()
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.Trainer(model, strategy)
    batch = {'audio': tf.zeros([1, 640]), 'f0_hz': tf.zeros([1, 10]),
             'loudness_db': tf.zeros([1, 10]),
             'f0_confidence': tf.zeros([1, 10])}
    model(batch, training=False)
  yield trainer
  gin.clear_config()


def test_fresh_solo_instrument_checkpoint_lists_the_original_variables(
    solo_trainer, tmp_path):
  """Same names and shapes as the original's tf.train.list_variables."""
  with solo_trainer.strategy.scope():
    solo_trainer.optimizer.build(solo_trainer.model.trainable_variables)
  solo_trainer.save(str(tmp_path))
  mine = [[name, list(shape)]
          for name, shape in tf.train.list_variables(str(tmp_path))]
  with open(golden.path('golden/checkpoint_variables.json')) as f:
    expected = json.load(f)
  assert mine == expected


@pytest.mark.needs_shared(golden.SOLO_CKPT)
def test_original_checkpoint_restores_model_step_and_adam_state(
    solo_trainer):
  solo_trainer.restore(GOLDEN_CKPT)
  assert int(solo_trainer.step.numpy()) == 20
  with solo_trainer.strategy.scope():
    solo_trainer.optimizer.build(solo_trainer.model.trainable_variables)
  reader = tf.train.load_checkpoint(GOLDEN_CKPT)
  key = '/.ATTRIBUTES/VARIABLE_VALUE'
  dense_out = solo_trainer.model.decoder.dense_out.kernel
  np.testing.assert_array_equal(
      dense_out.numpy(),
      reader.get_tensor('model/decoder/dense_out/kernel' + key))
  np.testing.assert_array_equal(
      solo_trainer.model.trainable_variables[-1].numpy(),  # Reverb ir.
      reader.get_tensor('model/processor_group/reverb/ir' + key))
  # Adam slots: _variables/2i+1 = m, 2i+2 = v of trainable variable i.
  opt_vars = solo_trainer.optimizer.variables
  assert len(opt_vars) == 85
  for i in (1, 2, 83, 84):
    np.testing.assert_array_equal(
        opt_vars[i].numpy(), reader.get_tensor(f'optimizer/_variables/{i}' +
                                               key), err_msg=str(i))
  assert np.any(opt_vars[83].numpy() != 0.0)
