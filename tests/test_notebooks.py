"""Every notebook runs top to bottom headless (nbclient), without error."""
import glob
import os

import golden
import nbformat
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLAB = os.path.join(REPO, 'colab')
CKPT = os.path.join(golden.GOLDEN_DIR, 'solo_instrument', 'ckpt')
TUTORIALS = sorted(glob.glob(os.path.join(COLAB, 'tutorials', '*.ipynb')))
DEMOS = [os.path.join(COLAB, 'demos', n) for n in
         ('timbre_transfer.ipynb', 'train_autoencoder.ipynb')]

pytestmark = pytest.mark.slow


def _run(path, env, cwd, timeout=1500):
  from nbclient import NotebookClient  # pylint: disable=g-import-not-at-top
  old = {k: os.environ.get(k) for k in env}
  os.environ.update(env)
  try:
    nb = nbformat.read(path, as_version=4)
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


@pytest.mark.parametrize('adjust', ['1', '0'])
def test_timbre_transfer_notebook(tmp_path, adjust):
  nb = _run(DEMOS[0], {
      'DDSP_CKPT': CKPT, 'DDSP_AUDIO': _short_clip(tmp_path),
      'DDSP_CREPE_MODEL': 'tiny', 'DDSP_ADJUST': adjust,
      'DDSP_PITCH_SHIFT': '1', 'MPLBACKEND': 'Agg'}, str(tmp_path))
  text = ''.join(o.get('text', '') for c in nb.cells
                 for o in c.get('outputs', []))
  assert 'Synthesis took' in text


def test_train_autoencoder_notebook(tmp_path):
  audio_dir = tmp_path / 'audio'
  audio_dir.mkdir()
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  audio, sr = sf.read(os.path.join(REPO, 'examples', 'audio',
                                   'violin_a.flac'))
  sf.write(str(audio_dir / 'a.wav'), audio[:6 * sr], sr)
  _run(DEMOS[1], {
      'DDSP_AUDIO_PATTERN': str(audio_dir / '*.wav'),
      'DDSP_WORK_DIR': str(tmp_path / 'work'), 'DDSP_NUM_STEPS': '2',
      'DDSP_BATCH_SIZE': '2', 'DDSP_STEPS_PER_SAVE': '2',
      'DDSP_CREPE_MODEL': 'tiny', 'MPLBACKEND': 'Agg',
      'DDSP_EXTRA_GIN': 'RnnFcDecoder.rnn_channels=32;RnnFcDecoder.ch=32'},
       str(tmp_path))
  assert (tmp_path / 'work' / 'model.zip').exists()
  assert (tmp_path / 'work' / 'model' / 'dataset_statistics.pkl').exists()
