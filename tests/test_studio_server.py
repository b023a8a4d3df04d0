"""DDSP Studio's server without a browser: the safety rules, the API.

Specification: the studio listens on 127.0.0.1 unless told otherwise;
refuses an upload over the size limit with 413 before reading it; stores
uploads under sanitised names in the work folder; never serves a file
outside the files its jobs made and its own page; refuses requests naming
another host; a text file given as audio is one clear message; a job's
state is in the work folder; an instrument of the models folder exports
as a zip that plays.
"""
import json
import os
import zipfile

import numpy as np
import pytest
import soundfile as sf
import streaming_models
import studio_client

from ddsp.training.studio import ddsp_studio
from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import training_log

LIMIT = 200_000


@pytest.fixture(scope='module')
def studio(tmp_path_factory):
  """A running studio with one random-weights instrument, 'tiny'."""
  root = tmp_path_factory.mktemp('studio')
  streaming_models.write_random_model(str(root / 'models' / 'tiny'),
                                      streaming_models.model_gin())
  (root / 'secret.txt').write_text('not for the browser')
  with studio_client.serve(str(root), LIMIT) as running:
    yield dict(running, root=root)


def _wav_bytes(tmp_path, seconds=1.0):
  path = tmp_path / 'tone.wav'
  t = np.arange(int(16000 * seconds)) / 16000.0
  sf.write(path, 0.3 * np.sin(2 * np.pi * 220.0 * t), 16000)
  return path.read_bytes()


def test_binds_loopback_by_default():
  assert ddsp_studio.FLAGS['host'].default == '127.0.0.1'


def test_upload_over_the_limit_is_413(studio):
  status, body = studio_client.request(
      studio, 'POST', '/api/upload?kind=audio&name=big.wav',
      body=b'x' * 1000, length=LIMIT + 1)
  assert status == 413
  assert 'limit' in body['error']
  assert not [f for f in os.listdir(studio['folders'].uploads)
              if 'big' in f]


@pytest.mark.parametrize('name', ['../../escape.wav', '/tmp/escape.wav',
                                  '..\\..\\escape.wav', '.hidden.wav'])
def test_upload_names_are_sanitised(studio, tmp_path, name):
  status, body = studio_client.request(
      studio, 'POST', f'/api/upload?kind=audio&name={name}',
      body=_wav_bytes(tmp_path))
  assert status == 200, body
  assert '/' not in body['id'] and '\\' not in body['id']
  assert not body['id'].startswith('.')
  assert os.path.isfile(os.path.join(studio['folders'].uploads, body['id']))
  assert not os.path.exists(studio['root'] / 'escape.wav')


@pytest.mark.parametrize('path', [
    '/files/../../secret.txt',
    '/files/..%2f..%2f..%2fsecret.txt/x',
    '/static/..%2f..%2fserver.py',
    '/static/%2e%2e%2fserver.py',
    '/api/jobs/..%2f..%2f..%2fsecret.txt',
    '/files/no_such_job/output.wav',
])
def test_files_outside_the_folders_are_unreachable(studio, path):
  status, body = studio_client.request(studio, 'GET', path)
  assert status in (403, 404), (status, body)
  assert b'not for the browser' not in json.dumps(body).encode()
  assert b'import' not in json.dumps(body).encode()


def test_another_host_is_refused(studio):
  status, _ = studio_client.request(
      studio, 'GET', '/api/state', headers={'Host': 'attacker.example:80'})
  assert status == 403


def test_a_post_from_another_origin_is_refused(studio, tmp_path):
  status, _ = studio_client.request(
      studio, 'POST', '/api/upload?kind=audio&name=a.wav',
      body=_wav_bytes(tmp_path), headers={'Origin': 'http://attacker.example'})
  assert status == 403


@pytest.mark.parametrize('name,message', [
    ('notes.wav', 'Cannot read audio from notes.wav'),
    ('notes.txt', 'notes.txt is not a audio file'),
])
def test_a_text_file_as_audio_is_one_clear_message(studio, name, message):
  status, body = studio_client.request(
      studio, 'POST', f'/api/upload?kind=audio&name={name}',
      body=b'just some text, not sound\n' * 10)
  assert status == 400
  assert message in body['error']
  assert studio['folders'].uploads not in body['error']


@pytest.mark.parametrize('settings,mentions', [
    ({'quiet': 100}, 'Quiet (dB): 100 is outside 0..60'),
    ({'pitch_shift': 'up'}, "'up' is not a number"),
    ({'crepe_model': 'huge'}, "'huge' is not one of"),
    ({'bogus': 1}, 'Unknown settings: bogus'),
])
def test_out_of_range_settings_are_refused(studio, tmp_path, settings,
                                           mentions):
  _, upload = studio_client.request(
      studio, 'POST', '/api/upload?kind=audio&name=a.wav',
      body=_wav_bytes(tmp_path))
  status, body = studio_client.submit(studio, {
      'kind': 'transfer', 'settings': settings, 'instrument': 'models/tiny',
      'upload': upload['id']})
  assert status == 400 and mentions in body['error'], body


@pytest.mark.parametrize('instrument', ['models/tiny/../../secret.txt',
                                        'models/../../secret.txt',
                                        'models//etc', 'name:nothing'])
def test_instruments_outside_the_models_folder_are_refused(studio, instrument):
  status, _ = studio_client.submit(studio, {'kind': 'export',
                                            'instrument': instrument})
  assert status in (403, 404)


def test_export_zips_an_instrument_and_its_state_is_in_the_work_folder(
    studio, tmp_path):
  status, job = studio_client.submit(studio, {'kind': 'export',
                                              'instrument': 'models/tiny'})
  assert status == 200, job
  job = studio_client.wait(studio, job['id'])
  assert job['state'] == 'done', job['error']
  assert job['result']['files'] == ['tiny.zip']
  assert 'vst_fast' in job['result']['notes'][0]
  with open(os.path.join(studio['folders'].jobs, job['id'], 'job.json')) as f:
    assert json.load(f)['state'] == 'done'
  status, data = studio_client.request(studio, 'GET',
                                       f'/files/{job["id"]}/tiny.zip')
  assert status == 200
  (tmp_path / 'tiny.zip').write_bytes(data)
  names = zipfile.ZipFile(tmp_path / 'tiny.zip').namelist()
  assert 'tiny/operative_config-0.gin' in names
  assert any(n.startswith('tiny/ckpt-1.index') for n in names)


@pytest.mark.parametrize('name,safe', [
    ('my voice (1).wav', 'my_voice_1.wav'),
    ('../../a.flac', 'a.flac'),
    ('C:\\x\\..\\b.mid', 'b.mid'),
    ('', 'file'),
    ('...', 'file'),
])
def test_sanitize(name, safe):
  assert folders_lib.sanitize(name) == safe


def test_inside_refuses_what_leaves_its_root(tmp_path):
  assert folders_lib.inside(str(tmp_path), 'a', 'b') == str(tmp_path / 'a/b')
  for parts in (('..', 'x'), ('/etc/passwd',), ('a', '..', '..', 'x')):
    with pytest.raises(folders_lib.OutsideError):
      folders_lib.inside(str(tmp_path), *parts)


def test_training_log_reads_steps_losses_and_health():
  text = ('I0101 train_util.py:420] step: 1\tspectral_loss: 20.50\t'
          'total_loss: 20.50\t\n'
          'I0101 train_util.py:420] step: 2\ttotal_loss: 18.25\tx: 1\t\n'
          'I0101 train_util.py:330] Health at step 2: harmonic amp 0.1 | '
          'harmonic/noise -3.5 dB | voiced 90%\n')
  assert training_log.read(text) == {
      'step': 2, 'loss': [[1, 20.5], [2, 18.25]], 'health': [[2, -3.5]]}
  assert training_log.error_of('x\nddsp_run: error: bad\n  more\n') == (
      'ddsp_run: error: bad more')
