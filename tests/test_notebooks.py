"""Every notebook runs top to bottom headless (nbclient), without error.

The kernel imports TensorFlow before the notebook's first cell, without
TF_USE_LEGACY_KERAS in its environment, as Colab users and most scripts do:
`tf.keras` is then Keras 3 while ddsp builds tf_keras (Keras 2) models, and
the notebooks must still run.
"""
import glob
import os

import golden
import nbformat
import pytest

from ddsp.training import train_util

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLAB = os.path.join(REPO, 'colab')
CKPT = golden.path(golden.SOLO_CKPT)
TUTORIALS = sorted(glob.glob(os.path.join(COLAB, 'tutorials', '*.ipynb')))
DEMOS = [os.path.join(COLAB, 'demos', n) for n in
         ('timbre_transfer.ipynb', 'train_autoencoder.ipynb')]

pytestmark = pytest.mark.slow


# Cells run before the notebook's own: TensorFlow is imported first, and
# tf.keras resolves to Keras 3 (asserted, so the scenario is really tested).
# (tf_keras's tf.keras module has no __version__.)
KERAS3_FIRST = (
    'import tensorflow as tf',
    "_keras_version = getattr(tf.keras, '__version__', 'tf_keras')\n"
    "assert _keras_version.startswith('3'), _keras_version",
)


def _run(path, env, cwd, timeout=1500):
  """Executes the notebook at `path` in a fresh kernel; returns it.

  Args:
    path: The .ipynb file.
    env: Environment variables for the kernel; a None value removes the
      variable. TF_USE_LEGACY_KERAS is removed unless given.
    cwd: Working directory of the kernel.
    timeout: Seconds allowed per cell.

  Returns:
    The executed notebook, with its outputs.
  """
  from nbclient import NotebookClient  # pylint: disable=g-import-not-at-top
  env = {'TF_USE_LEGACY_KERAS': None, **env}
  old = {k: os.environ.get(k) for k in env}
  for k, v in env.items():
    if v is None:
      os.environ.pop(k, None)
    else:
      os.environ[k] = v
  try:
    nb = nbformat.read(path, as_version=4)
    nb.cells[:0] = [nbformat.v4.new_code_cell(src) for src in KERAS3_FIRST]
    NotebookClient(nb, timeout=timeout, kernel_name='python3',
                   resources={'metadata': {'path': cwd}}).execute()
  finally:
    for k, v in old.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v
  errors = [o for c in nb.cells if c.cell_type == 'code'
            for o in c.get('outputs', []) if o.get('output_type') == 'error']
  assert not errors, errors
  return nb


def _short_clip(tmp_path, seconds=2.5):
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  audio, sr = sf.read(os.path.join(REPO, 'examples', 'audio', 'voice.flac'))
  path = str(tmp_path / 'clip.wav')
  sf.write(path, audio[:int(seconds * sr)], sr)
  return path


def test_all_notebooks_are_covered():
  assert len(TUTORIALS) == 5
  assert all(os.path.exists(p) for p in DEMOS)


@pytest.mark.parametrize('path', TUTORIALS, ids=os.path.basename)
def test_tutorial(path, tmp_path):
  _run(path, {'DDSP_TRAIN_STEPS': '2', 'MPLBACKEND': 'Agg'}, str(tmp_path))


@pytest.mark.needs_shared(golden.SOLO_CKPT)
@pytest.mark.parametrize('adjust', ['1', '0'])
def test_timbre_transfer_notebook(tmp_path, adjust):
  nb = _run(DEMOS[0], {
      'DDSP_CKPT': CKPT, 'DDSP_AUDIO': _short_clip(tmp_path),
      'DDSP_CREPE_MODEL': 'tiny', 'DDSP_ADJUST': adjust,
      'DDSP_PITCH_SHIFT': '1', 'MPLBACKEND': 'Agg'}, str(tmp_path))
  text = ''.join(o.get('text', '') for c in nb.cells
                 for o in c.get('outputs', []))
  assert 'Synthesis took' in text


@pytest.mark.parametrize('model,run_for', [
    # Two steps of the original's model; the fast model under a time budget
    # that ends after its first step (the step count is far out of reach).
    ('solo_instrument', {'DDSP_NUM_STEPS': '2'}),
    ('solo_instrument_fast', {'DDSP_NUM_STEPS': '100000',
                              'DDSP_TRAIN_MINUTES': '0.01'}),
])
def test_train_autoencoder_notebook(tmp_path, model, run_for):
  audio_dir = tmp_path / 'audio'
  audio_dir.mkdir()
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  audio, sr = sf.read(os.path.join(REPO, 'examples', 'audio',
                                   'violin_a.flac'))
  sf.write(str(audio_dir / 'a.wav'), audio[:6 * sr], sr)
  _run(DEMOS[1], {
      'DDSP_AUDIO_PATTERN': str(audio_dir / '*.wav'),
      'DDSP_WORK_DIR': str(tmp_path / 'work'), 'DDSP_MODEL': model,
      'DDSP_BATCH_SIZE': '2', 'DDSP_STEPS_PER_SAVE': '2',
      'DDSP_CREPE_MODEL': 'tiny', 'MPLBACKEND': 'Agg',
      'DDSP_EXTRA_GIN': 'RnnFcDecoder.rnn_channels=32;RnnFcDecoder.ch=32',
      **run_for}, str(tmp_path))
  assert (tmp_path / 'work' / 'model.zip').exists()
  assert (tmp_path / 'work' / 'model' / 'dataset_statistics.pkl').exists()
  operative = open(train_util.get_latest_operative_config(
      str(tmp_path / 'work' / 'model'))).read()
  frame_rate = {'solo_instrument': 250, 'solo_instrument_fast': 50}[model]
  assert f'TFRecordProvider.frame_rate = {frame_rate}' in operative
