"""Every notebook runs top to bottom headless (nbclient), without error.

The kernel imports TensorFlow before the notebook's first cell, without
TF_USE_LEGACY_KERAS in its environment, as Colab users and most scripts do:
`tf.keras` is then Keras 3 while ddsp builds tf_keras (Keras 2) models, and
the notebooks must still run.

The timbre-transfer notebook runs with an uploaded model (DDSP_CKPT, the
original's checkpoint) and with instruments picked by name, downloaded
from the storage emulator (`instrument_host`) into a cache of the test's
own.
"""
import ast
import glob
import os

import golden
import instrument_host
import nbformat
import pytest

from ddsp.training import train_util
from ddsp.training.playback import catalogue

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLAB = os.path.join(REPO, 'colab')
CKPT = golden.path(golden.SOLO_CKPT)
TUTORIALS = sorted(glob.glob(os.path.join(COLAB, 'tutorials', '*.ipynb')))
DEMOS = [os.path.join(COLAB, 'demos', n) for n in
         ('timbre_transfer.ipynb', 'train_autoencoder.ipynb')]

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


@pytest.mark.slow
@pytest.mark.parametrize('path', TUTORIALS, ids=os.path.basename)
def test_tutorial(path, tmp_path):
  _run(path, {'DDSP_TRAIN_STEPS': '2', 'MPLBACKEND': 'Agg'}, str(tmp_path))


@pytest.mark.slow
@pytest.mark.needs_shared(golden.SOLO_CKPT)
@pytest.mark.parametrize('adjust', ['1', '0'])
def test_timbre_transfer_notebook(tmp_path, adjust):
  nb = _run(DEMOS[0], {
      'DDSP_CKPT': CKPT, 'DDSP_MODEL': None,
      'DDSP_AUDIO': _short_clip(tmp_path),
      'DDSP_CREPE_MODEL': 'tiny', 'DDSP_ADJUST': adjust,
      'DDSP_PITCH_SHIFT': '1', 'MPLBACKEND': 'Agg'}, str(tmp_path))
  text = _outputs_text(nb)
  assert 'Upload your own (checkpoint folder): ' + CKPT in text
  assert 'Synthesis took' in text


def _outputs_text(nb):
  return ''.join(o.get('text', '') for c in nb.cells
                 for o in c.get('outputs', []))


def test_the_instrument_picker_offers_the_catalogue():
  """The Colab dropdown: every catalogue name once (in the original's
  spelling: Violin, Tenor_Saxophone, vst:Flute) and the upload choice."""
  nb = nbformat.read(DEMOS[0], as_version=4)
  lines = [line for c in nb.cells if c.cell_type == 'code'
           for line in c.source.splitlines()
           if line.startswith('model = ') and '#@param' in line]
  assert len(lines) == 1, lines
  choices = ast.literal_eval(lines[0].split('#@param', 1)[1].strip())
  assert choices[:5] == ['Violin', 'Flute', 'Flute2', 'Trumpet',
                         'Tenor_Saxophone']
  assert choices[-1] == 'Upload your own (checkpoint folder)'
  assert [c.lower() for c in choices[:-1]] == catalogue.names()
  default = ast.literal_eval(lines[0].split('#@param')[0].split('=')[1])
  assert default == 'Violin'


@pytest.fixture(scope='module')
def instruments(tmp_path_factory):
  return instrument_host.write_instruments(
      tmp_path_factory.mktemp('instruments'))


@pytest.mark.slow
@pytest.mark.parametrize('name,player,db_key', [
    ('Violin', 'BlockSynthesizer', 'loudness_db'),
    ('vst:Violin', 'VstInstrument', 'power_db')])
def test_timbre_transfer_notebook_by_name(name, player, db_key, instruments,
                                          tmp_path):
  """A name is downloaded into the cache and played through the playback
  API (the tiny instruments: 16 kHz, 50 frames/s)."""
  cache = tmp_path / 'cache'
  host = instrument_host.start_host(instruments)
  try:
    nb = _run(DEMOS[0], {
        'DDSP_MODEL': name, 'DDSP_CKPT': None,
        'DDSP_MODEL_BASE_URL': host.base_url, 'DDSP_CACHE': str(cache),
        'DDSP_AUDIO': _short_clip(tmp_path), 'DDSP_CREPE_MODEL': 'tiny',
        'DDSP_PITCH_SHIFT': '1', 'MPLBACKEND': 'Agg'}, str(tmp_path))
  finally:
    host.stop()
  assert host.requests, 'nothing was downloaded from the host'
  text = _outputs_text(nb)
  assert f'{name}: {cache}' in text
  assert f'{player}, 16000 Hz, 50 frames/s, fed {db_key}' in text
  assert 'Statistics: found' in text or db_key == 'loudness_db'
  assert '(2.50 s of audio)' in text  # 125 frames of 320 samples.
  assert 'MIDI rendering' in text


@pytest.mark.slow
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
