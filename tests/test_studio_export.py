"""DDSP Studio's Export, over HTTP (no browser): the DDSP-VST .tflite.

Specification: an instrument trained with the studio's vst_fast choice, as
the studio installs it in the models folder (operative config, checkpoint
and dataset_statistics.pkl; the training data no longer needed), exports
through the API to its zip and a DDSP-VST .tflite. The .tflite the job
lists meets the plugin's contract (`vst_contract.check_tflite`, what
`ddsp_export --check` runs) and its metadata holds the ranges of the
model's statistics; the zip loads with `loading.load_instrument` and plays.
A power model the plugin cannot take (a GRU narrower than the plugin's
state) still gives its zip, and the job says why there is no .tflite (a
loudness model's note: tests/test_studio_server.py).

The models are models/vst/vst_fast.gin with random weights and a narrow
fully connected part (the contract fixes the GRU's 512 channels, 60
harmonics and 65 noise bands); their statistics are those of a few tones
in the layout the studio prepares (50 frames/s, centred frames).
"""
import os
import tempfile
import zipfile

import numpy as np
import pytest
import streaming_models
import studio_client
import training_toys

import ddsp
from ddsp.features import tfrecord_layout
from ddsp.training import data
from ddsp.training import postprocessing
from ddsp.training.playback import loading
from ddsp.training.playback import vst_contract

pytestmark = pytest.mark.slow

LIMIT = 200_000
VST = 'violin_vst'  # A vst_fast instrument the plugin takes.
NARROW = 'narrow_vst'  # A power model whose GRU is not the plugin's.
MODELS = {VST: (), NARROW: ('RnnFcDecoder.rnn_channels = 16',)}
EXPORT_TIMEOUT = 600  # A shared 2-core CPU: one export takes ~40 s alone.


def _statistics(folder):
  """The statistics the studio computes after training, of a few tones."""
  layout = tfrecord_layout.TFRecordLayout(
      vst_contract.SAMPLE_RATE, vst_contract.FRAME_RATE, 1, centered=True)
  path = training_toys.write_tones_tfrecord(
      os.path.join(folder, 'train.tfrecord'), layout)
  provider = data.TFRecordProvider(path, example_secs=1,
                                   frame_rate=vst_contract.FRAME_RATE,
                                   centered=True)
  stats = postprocessing.compute_dataset_statistics(provider, batch_size=4)
  os.remove(path)  # Exports must not need the training data.
  return stats


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
  """Both models exported by a running studio.

  Returns:
    {'studio': studio_client.serve's dict, 'stats': the models'
    statistics, 'jobs': {model name: finished export job}}.
  """
  root = tmp_path_factory.mktemp('studio')
  stats = _statistics(str(root))
  for name, bindings in MODELS.items():
    folder = streaming_models.write_random_vst_model(
        str(root / 'models' / name), config='vst_fast.gin',
        bindings=bindings)
    postprocessing.save_dataset_statistics_file(
        stats, os.path.join(folder, postprocessing.STATISTICS_FILE))
  with studio_client.serve(str(root), LIMIT,
                           cache=str(root / 'cache')) as studio:
    submitted = {}
    for name in MODELS:
      status, job = studio_client.submit(
          studio, {'kind': 'export', 'instrument': f'models/{name}'})
      assert status == 200, job
      submitted[name] = job['id']
    jobs = {name: studio_client.wait(studio, job_id, EXPORT_TIMEOUT)
            for name, job_id in submitted.items()}
    yield {'studio': studio, 'stats': stats, 'jobs': jobs}


def _download(exported, model, name, folder):
  """The file `name` of `model`'s export job, as the page saves it."""
  job = exported['jobs'][model]
  status, body = studio_client.request(
      exported['studio'], 'GET', f'/files/{job["id"]}/{name}?download=1')
  assert status == 200, body
  path = os.path.join(str(folder), name)
  with open(path, 'wb') as f:
    f.write(body)
  return path


def test_a_vst_fast_instrument_exports_a_zip_and_a_tflite(exported):
  job = exported['jobs'][VST]
  assert job['state'] == 'done', job['error']
  assert job['result'] == {'files': [f'{VST}.zip', f'{VST}.tflite'],
                           'notes': []}


def test_the_tflite_meets_the_plugins_contract(exported, tmp_path):
  tflite = _download(exported, VST, f'{VST}.tflite', tmp_path)
  assert vst_contract.check_tflite(tflite) == []


@pytest.mark.parametrize('key,statistic,to_hz', [
    ('mean_min_pitch_note_hz', 'mean_min_pitch_note', True),
    ('mean_max_pitch_note_hz', 'mean_max_pitch_note', True),
    ('mean_min_power_note', 'mean_min_power_note', False),
    ('mean_max_power_note', 'mean_max_power_note', False),
])
def test_the_tflite_metadata_holds_the_models_statistics(
    exported, tmp_path, key, statistic, to_hz):
  tflite = _download(exported, VST, f'{VST}.tflite', tmp_path)
  with open(tflite, 'rb') as f:
    metadata = vst_contract.read_metadata(f.read())
  expected = float(exported['stats'][statistic])
  if to_hz:
    expected = float(ddsp.core.midi_to_hz(expected))
  assert metadata[key] == pytest.approx(expected, rel=1e-5)


def test_the_zip_loads_as_an_instrument_that_plays(exported, tmp_path,
                                                   monkeypatch):
  path = _download(exported, VST, f'{VST}.zip', tmp_path)
  monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))  # Unzipped here.
  player = loading.load_instrument(path, block_seconds=1.0)
  assert (player.db_key, player.frame_rate) == ('power_db',
                                                vst_contract.FRAME_RATE)
  assert player.statistics['mean_max_pitch_note'] == pytest.approx(
      exported['stats']['mean_max_pitch_note'])
  n_frames = vst_contract.FRAME_RATE  # One second.
  audio = np.concatenate(list(player.synthesize_blocks(
      np.full(n_frames, 220.0, np.float32),
      np.full(n_frames, -30.0, np.float32))))
  assert audio.size == n_frames * player.hop_size - player.crop_samples
  assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 0


def test_the_job_folder_keeps_only_the_files_it_lists(exported):
  job = exported['jobs'][VST]
  folder = os.path.join(exported['studio']['folders'].jobs, job['id'])
  assert set(os.listdir(folder)) <= set(
      job['result']['files'] + ['job.json', 'export.log'])


def test_a_model_the_plugin_cannot_take_gives_its_zip_and_says_why(
    exported, tmp_path):
  job = exported['jobs'][NARROW]
  assert job['state'] == 'done', job['error']
  assert job['result']['files'] == [f'{NARROW}.zip']
  note, = job['result']['notes']
  assert note.startswith('No DDSP-VST .tflite: ddsp_export: error: ')
  assert 'RnnFcDecoder.rnn_channels is 16, the plugin needs 512' in note
  path = _download(exported, NARROW, f'{NARROW}.zip', tmp_path)
  assert f'{NARROW}/{postprocessing.STATISTICS_FILE}' in (
      zipfile.ZipFile(path).namelist())
