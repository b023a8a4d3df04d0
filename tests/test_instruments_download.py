"""Instruments by name, downloaded from a local emulation of Cloud Storage.

The real hosts are not reachable from the test environment: every download
here goes to `storage_emulator.StorageEmulator` on 127.0.0.1, which speaks
the same protocol (JSON listing with pages, object downloads with
x-goog-hash, Range requests) and injects the faults under test.
"""
import email
import http.client
import logging
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from ddsp import errors
from ddsp.training.playback import catalogue
from ddsp.training.playback import downloads
from ddsp.training.playback import file_download
from ddsp.training.playback import instrument_cache
from ddsp.training.playback import instrument_table
from ddsp.training.playback import progress
from ddsp.training.playback import storage_http
import storage_emulator
import streaming_models

COLAB = 'models/timbre_transfer_colab/2021-07-08/solo_{}_ckpt/'
DATA_FILE = 'ckpt-40000.data-00000-of-00001'
DATA_BYTES = 150_000  # Shown as 150.0 kB.
VST_ZIP = 'releases/DDSP-VST-Models.zip'
VST_NAMES = ('Flute', 'Violin', 'Trumpet', 'Saxophone', 'Bassoon', 'Clarinet',
             'Melodica', 'Sitar', 'Trombone', 'Tuba', 'Vowels')


def fake_checkpoint(seed):
  """{file name: bytes} of a checkpoint folder (bytes, not a real model)."""
  rng = np.random.default_rng(seed)
  return {
      'operative_config-0.gin': b'# fake config %d\n' % seed,
      'ckpt-40000.index': rng.bytes(300),
      DATA_FILE: rng.bytes(DATA_BYTES),
      'dataset_statistics.pkl': rng.bytes(2000),
  }


def folder_objects(name, files, bucket='ddsp'):
  """The objects of a checkpoint folder, with its placeholder object."""
  prefix = COLAB.format(name)
  objects = {(bucket, prefix): b''}  # What the web console leaves behind.
  objects.update({(bucket, prefix + f): data for f, data in files.items()})
  return objects


def vst_models():
  return {f'DDSP-VST-Models/{n}.tflite': f'tflite {n}'.encode() * 50
          for n in VST_NAMES}


VIOLIN = fake_checkpoint(1)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
  """Every test's own cache, so nothing lands in ~/.cache."""
  path = str(tmp_path / 'cache')
  monkeypatch.setenv('DDSP_CACHE', path)
  return path


@pytest.fixture
def host(monkeypatch):
  """The emulated host with the violin folder, serving DDSP_MODEL_BASE_URL."""
  emulator = storage_emulator.StorageEmulator(
      objects=folder_objects('violin', VIOLIN), page_size=2).start()
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', emulator.base_url)
  yield emulator
  emulator.stop()


def closed_port_url():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
  return f'http://127.0.0.1:{port}'


def read_folder(path):
  return {f: open(os.path.join(path, f), 'rb').read()
          for f in os.listdir(path) if f != instrument_cache.MANIFEST}


# ---------------------------------------------------------------------------
# Catalogue.
# ---------------------------------------------------------------------------
def test_names_are_case_insensitive():
  assert catalogue.resolve('VST:Flute') is catalogue.resolve('vst:flute')
  assert catalogue.resolve(' Tenor_Saxophone ').folder == COLAB.format(
      'tenor_saxophone')
  assert catalogue.resolve('vst:Tuba').member == 'DDSP-VST-Models/Tuba.tflite'


def test_catalogue_sources_and_licences():
  assert len(catalogue.names()) == 5 + 11
  violin = catalogue.resolve('violin')
  assert violin.source == 'gs://ddsp/' + COLAB.format('violin')
  assert violin.archive == 'models/tf2/solo_violin_ckpt.zip'
  assert not catalogue.resolve('trumpet').archive
  assert catalogue.resolve('vst:sitar').source == (
      'gs://ddsp-vst/releases/DDSP-VST-Models.zip!/DDSP-VST-Models/'
      'Sitar.tflite')
  assert {i.licence for i in catalogue.INSTRUMENTS.values()} == {'Apache-2.0'}


def test_readme_table_is_the_catalogue():
  readme = open(os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), 'README.md')).read()
  section = readme.split('## Instruments by name\n')[1].split('\n## ')[0]
  rows = [[cell.strip().strip('`') for cell in line.strip('|').split('|')]
          for line in section.splitlines() if line.startswith('| `')]
  assert rows == [[i.name, i.source, progress.format_size(i.size), i.licence]
                  for i in catalogue.INSTRUMENTS.values()]


def test_unknown_name_gives_the_closest_names():
  with pytest.raises(catalogue.UnknownInstrumentError) as raised:
    downloads.fetch('violn')
  assert 'did you mean violin, vst:violin?' in str(raised.value)
  assert isinstance(raised.value, ValueError)
  with pytest.raises(catalogue.UnknownInstrumentError, match='the names are'):
    catalogue.resolve('kazoo')


def test_base_url_follows_the_environment(monkeypatch):
  monkeypatch.delenv('DDSP_MODEL_BASE_URL', raising=False)
  assert catalogue.base_url() == 'https://storage.googleapis.com'
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', 'http://mirror.example/gcs/')
  assert storage_http.object_url('ddsp', 'a/b c.zip') == (
      'http://mirror.example/gcs/ddsp/a/b%20c.zip')
  assert storage_http.listing_url('ddsp', 'a/b/', 'T') == (
      'http://mirror.example/gcs/storage/v1/b/ddsp/o?prefix=a/b/&pageToken=T')


# ---------------------------------------------------------------------------
# Checkpoint folders through the listing.
# ---------------------------------------------------------------------------
def test_first_download_reads_every_page_and_shows_progress(host, cache,
                                                           capsys):
  path = downloads.fetch('violin')
  assert path == os.path.join(cache, 'instruments', 'violin')
  assert read_folder(path) == VIOLIN
  # Five objects (placeholder included) at two a page: three pages.
  listings = [p for p, _ in host.requests if p.startswith('/storage/')]
  assert len(listings) == 3 and 'pageToken=4' in listings[-1]
  err = capsys.readouterr().err
  assert 'Downloading violin (4 files, 152.3 kB)' in err
  assert f'{DATA_FILE} 100% 150.0 kB/150.0 kB' in err
  assert not os.path.exists(path + instrument_cache.STAGING_SUFFIX)


def test_cached_instrument_needs_no_network(host, cache, monkeypatch):
  path = downloads.fetch('violin', progress=False)
  host.stop()
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', closed_port_url())
  assert downloads.fetch('VIOLIN', progress=False) == path
  assert read_folder(path) == VIOLIN


def test_ddsp_cache_is_honoured_and_cache_dir_overrides_it(host, tmp_path,
                                                         monkeypatch):
  monkeypatch.setenv('DDSP_CACHE', str(tmp_path / 'elsewhere'))
  path = downloads.fetch('violin', progress=False)
  assert path.startswith(str(tmp_path / 'elsewhere') + os.sep)
  explicit = str(tmp_path / 'explicit')
  assert downloads.fetch('violin', cache_dir=explicit,
                         progress=False).startswith(explicit + os.sep)


def test_a_downloaded_checkpoint_is_a_model_folder(host, tmp_path,
                                                   clean_gin):
  """A real (tiny, random) checkpoint served and fetched loads as a model."""
  del clean_gin  # Only its empty gin config before and after.
  from ddsp.training.playback import loading  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  original = streaming_models.write_random_model(
      str(tmp_path / 'trained'), streaming_models.model_gin(
          sample_rate=8000, frame_rate=50, n_harmonics=4, n_bands=4,
          reverb_samples=200, rnn_channels=8))
  files = {f: open(os.path.join(original, f), 'rb').read()
           for f in os.listdir(original)}
  host.objects.update(folder_objects('flute', files))
  path = downloads.fetch('flute', progress=False)
  found = loading.find_model_dir(path)
  assert found.model_dir == path
  assert found.ckpt == os.path.join(path, 'ckpt-1')
  assert loading.read_model_info(found.gin_file).sample_rate == 8000
  before = tf.train.load_checkpoint(os.path.join(original, 'ckpt-1'))
  after = tf.train.load_checkpoint(found.ckpt)
  variables = tf.train.list_variables(found.ckpt)
  assert len(variables) > 5
  for name, _ in variables:
    np.testing.assert_array_equal(after.get_tensor(name),
                                  before.get_tensor(name))


def test_a_cut_connection_is_resumed_with_a_range_request(host):
  name = COLAB.format('violin') + DATA_FILE
  host.cut_once.add(name)
  host.cut_at = 40_000
  path = downloads.fetch('violin', progress=False)
  assert [r for _, r in host.requests_for(name)] == ['', 'bytes=40000-']
  assert read_folder(path) == VIOLIN


def test_an_interrupted_fetch_resumes_in_the_next_call(host, monkeypatch):
  monkeypatch.setattr(file_download, 'ATTEMPTS', 1)
  # Objects arrive in name order: the checkpoint's two files come first.
  name = COLAB.format('violin') + 'dataset_statistics.pkl'
  host.cut_once.add(name)
  host.cut_at = 1000
  with pytest.raises(file_download.InterruptedDownloadError,
                     match='run the same command again to resume'):
    downloads.fetch('violin', progress=False)
  violin = catalogue.resolve('violin')
  staging = instrument_cache.staging_path(violin)
  assert sorted(os.listdir(staging)) == [
      'ckpt-40000.data-00000-of-00001', 'ckpt-40000.index',
      'dataset_statistics.pkl' + file_download.PARTIAL_SUFFIX]
  assert os.path.getsize(os.path.join(
      staging, 'dataset_statistics.pkl.partial')) == 1000
  # Not complete: neither cached nor under its name.
  assert not instrument_cache.is_cached(violin)
  assert not os.path.exists(instrument_cache.instrument_path(violin))
  requests_before = len(host.requests)
  path = downloads.fetch('violin', progress=False)
  assert read_folder(path) == VIOLIN
  # The rest of the cut file, and only the files not yet there.
  assert host.requests[requests_before:][-2:] == [
      ('/ddsp/' + name, 'bytes=1000-'),
      ('/ddsp/' + COLAB.format('violin') + 'operative_config-0.gin', '')]
  assert all(p.startswith('/storage/')
             for p, _ in host.requests[requests_before:][:-2])


def test_a_host_ignoring_range_restarts_from_byte_zero(host):
  name = COLAB.format('violin') + DATA_FILE
  host.cut_once.add(name)
  host.ignore_range = True
  path = downloads.fetch('violin', progress=False)
  assert [r for _, r in host.requests_for(name)] == ['', 'bytes=1000-']
  assert read_folder(path) == VIOLIN


def test_a_corrupt_byte_is_refused_and_not_kept(host):
  name = COLAB.format('violin') + DATA_FILE
  host.corrupt.add(name)
  with pytest.raises(file_download.CorruptDownloadError, match='md5') as e:
    downloads.fetch('violin', progress=False)
  assert 'was deleted' in str(e.value)
  violin = catalogue.resolve('violin')
  staging = instrument_cache.staging_path(violin)
  held = os.listdir(staging) if os.path.isdir(staging) else []
  assert DATA_FILE not in held
  assert DATA_FILE + file_download.PARTIAL_SUFFIX not in held
  assert not instrument_cache.is_cached(violin)
  assert not os.path.exists(instrument_cache.instrument_path(violin))
  host.corrupt.clear()  # The host is repaired: the next call completes.
  assert read_folder(downloads.fetch('violin', progress=False)) == VIOLIN


def test_a_folder_the_host_does_not_hold_is_reported(host):
  with pytest.raises(storage_http.NotOnServerError,
                     match='Nothing is stored under gs://ddsp/'):
    downloads.fetch('trumpet', progress=False)


def test_an_object_listed_outside_its_folder_is_refused(host):
  host.objects[('ddsp', COLAB.format('flute2') + '../../evil')] = b'x'
  with pytest.raises(storage_http.ServerError, match='not below it'):
    downloads.fetch('flute2', progress=False)


def test_no_network_says_what_to_do(monkeypatch):
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', closed_port_url())
  with pytest.raises(storage_http.NoNetworkError) as raised:
    downloads.fetch('violin', progress=False)
  message = str(raised.value)
  assert 'Cannot reach 127.0.0.1' in message
  assert 'DDSP_MODEL_BASE_URL' in message
  assert isinstance(raised.value, ConnectionError)


def _tree(folder):
  """Every folder and file below `folder` (empty when it does not exist)."""
  return sorted(os.path.join(root, name) for root, dirs, files in
                os.walk(folder) for name in dirs + files)


@pytest.mark.parametrize('name', ['violin', 'vst:flute'])
def test_a_fetch_without_network_leaves_the_cache_as_it_was(
    name, cache, monkeypatch):
  os.makedirs(cache)
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', closed_port_url())
  with pytest.raises(storage_http.NoNetworkError):
    downloads.fetch(name, progress=False)
  assert _tree(cache) == []


def test_a_host_that_does_not_answer_times_out(monkeypatch):
  monkeypatch.setattr(storage_http, 'TIMEOUT_SECONDS', 0.5)
  with socket.socket() as silent:  # Accepts connections, never answers.
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    monkeypatch.setenv('DDSP_MODEL_BASE_URL', f'http://127.0.0.1:{port}')
    with pytest.raises(storage_http.NoNetworkError, match='timed out'):
      downloads.fetch('violin', progress=False)


# ---------------------------------------------------------------------------
# Refused listings: the zip.
# ---------------------------------------------------------------------------
def test_a_refused_listing_falls_back_to_the_zip(host, caplog):
  host.refused_listings.add(COLAB.format('violin'))
  host.objects[('ddsp', 'models/tf2/solo_violin_ckpt.zip')] = storage_emulator.zip_bytes(
      {f'solo_violin_ckpt/{f}': data for f, data in VIOLIN.items()})
  with caplog.at_level(logging.WARNING, logger='absl'):
    path = downloads.fetch('violin', progress=False)
  assert any('was refused' in r.getMessage() and 'solo_violin_ckpt.zip' in
             r.getMessage() for r in caplog.records)
  assert path.endswith(os.path.join('violin', 'solo_violin_ckpt'))
  assert read_folder(path) == VIOLIN
  root = instrument_cache.instrument_path(catalogue.resolve('violin'))
  assert sorted(os.listdir(root)) == ['instrument.json', 'solo_violin_ckpt']


def test_a_refused_listing_without_a_zip_is_an_error(host):
  host.refused_listings.add(COLAB.format('trumpet'))
  with pytest.raises(storage_http.RefusedError, match='HTTP 403'):
    downloads.fetch('trumpet', progress=False)


# ---------------------------------------------------------------------------
# The DDSP-VST models: one zip.
# ---------------------------------------------------------------------------
def test_one_vst_zip_gives_all_eleven_models(host, cache, monkeypatch):
  models = vst_models()
  host.objects[('ddsp-vst', VST_ZIP)] = storage_emulator.zip_bytes(models)
  path = downloads.fetch('vst:Flute', progress=False)
  vst_folder = os.path.join(cache, 'instruments', 'vst')
  assert path == os.path.join(vst_folder, 'Flute.tflite')
  assert sorted(os.listdir(vst_folder)) == sorted(
      f'{n}.tflite' for n in VST_NAMES)
  assert not os.path.exists(vst_folder + instrument_cache.STAGING_SUFFIX)
  host.stop()
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', closed_port_url())
  tuba = downloads.fetch('VST:tuba', progress=False)
  assert open(tuba, 'rb').read() == models['DDSP-VST-Models/Tuba.tflite']


def test_a_missing_vst_zip_is_a_404(host):
  with pytest.raises(storage_http.NotOnServerError, match='HTTP 404'):
    downloads.fetch('vst:violin', progress=False)


def test_a_vst_zip_without_the_model_says_so(host):
  models = vst_models()
  del models['DDSP-VST-Models/Sitar.tflite']
  host.objects[('ddsp-vst', VST_ZIP)] = storage_emulator.zip_bytes(models)
  with pytest.raises(storage_http.NotOnServerError,
                     match='holds no DDSP-VST-Models/Sitar.tflite'):
    downloads.fetch('vst:sitar', progress=False)
  assert instrument_cache.is_cached(catalogue.resolve('vst:bassoon'))


# ---------------------------------------------------------------------------
# Listing the cache, and the console command.
# ---------------------------------------------------------------------------
def test_listing_says_what_is_cached_and_where(host, cache):
  downloads.fetch('violin', progress=False)
  entries = {e.instrument.name: e for e in instrument_cache.listing()}
  assert entries['violin'].cached
  assert entries['violin'].size == sum(len(d) for d in VIOLIN.values())
  assert not entries['flute'].cached and entries['flute'].size is None
  assert entries['vst:flute'].path == os.path.join(
      cache, 'instruments', 'vst', 'Flute.tflite')
  lines = instrument_table.text_table(instrument_cache.listing())
  assert lines[0].split() == list(instrument_table.HEADER)
  assert lines[1].split() == [
      'violin', 'checkpoint', '152.3', 'kB', 'Apache-2.0', 'yes',
      entries['violin'].path]


def test_console_command_lists_the_catalogue(host, cache):
  downloads.fetch('violin', progress=False)
  result = subprocess.run(
      [sys.executable, '-m', 'ddsp.training.playback.ddsp_instruments'],
      capture_output=True, text=True, timeout=600, check=False,
      env=dict(os.environ, DDSP_CACHE=cache, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stderr[-2000:]
  rows = {line.split()[0]: line.split()
          for line in result.stdout.splitlines()[1:]}
  assert set(rows) == set(catalogue.names())
  assert rows['violin'][-2:] == [
      'yes', os.path.join(cache, 'instruments', 'violin')]
  assert rows['vst:vowels'][1:] == [
      'tflite', '?', 'Apache-2.0', 'no',
      os.path.join(cache, 'instruments', 'vst', 'Vowels.tflite')]


def test_every_download_error_is_a_user_error():
  """The console commands end on them with a message, no traceback."""
  for error in (catalogue.UnknownInstrumentError, storage_http.NoNetworkError,
                storage_http.NotOnServerError, storage_http.RefusedError,
                storage_http.ServerError, file_download.CorruptDownloadError,
                file_download.InterruptedDownloadError):
    assert issubclass(error, errors.UserError), error


# ---------------------------------------------------------------------------
# Pieces: hash headers, sizes, the progress line.
# ---------------------------------------------------------------------------
def test_md5_is_read_from_one_or_two_hash_headers():
  one = email.message_from_string(
      'x-goog-hash: crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==\n\n',
      _class=http.client.HTTPMessage)
  two = email.message_from_string(
      'x-goog-hash: crc32c=n03x6A==\nx-goog-hash: md5=Ojk9c3dhfxgoKVVHYwFbHQ=='
      '\n\n', _class=http.client.HTTPMessage)
  crc_only = email.message_from_string('x-goog-hash: crc32c=n03x6A==\n\n',
                                       _class=http.client.HTTPMessage)
  assert storage_http.published_md5(one) == 'Ojk9c3dhfxgoKVVHYwFbHQ=='
  assert storage_http.published_md5(two) == 'Ojk9c3dhfxgoKVVHYwFbHQ=='
  assert storage_http.published_md5(crc_only) == ''


def test_sizes_and_durations_read_as_people_write_them():
  assert progress.format_size(999) == '999 B'
  assert progress.format_size(1500) == '1.5 kB'
  assert progress.format_size(18_300_000) == '18.3 MB'
  assert progress.format_size(None) == '?'
  assert progress.format_seconds(65) == '1:05'
  assert progress.format_seconds(3723) == '1:02:03'


def test_progress_line_has_size_rate_and_time_left():
  now = [100.0]
  bar = progress.ProgressBar('model.tflite', total=4_000_000, done=1_000_000,
                             clock=lambda: now[0])
  now[0] += 2.0
  bar.done += 1_000_000  # 1 MB in 2 s since the start of this call.
  assert bar.line() == ('model.tflite  50% 2.0 MB/4.0 MB 500.0 kB/s '
                        'ETA 0:04')
