"""ddsp.training.cloud: parsing of gs:// paths (with a fake storage client)."""
import pytest

from ddsp.training import cloud


class _FakeStorage:
  """Records which bucket and blob a download asks for."""

  def __init__(self):
    self.downloads = []
    storage = self

    class Client:

      def get_bucket(self, bucket_name):
        return _FakeBucket(storage, bucket_name)

    self.Client = Client  # pylint: disable=invalid-name


class _FakeBucket:

  def __init__(self, storage, name):
    self.storage = storage
    self.name = name

  def blob(self, blob_name):
    return _FakeBlob(self, blob_name)


class _FakeBlob:

  def __init__(self, bucket, name):
    self.bucket = bucket
    self.name = name

  def download_to_filename(self, local_path):
    self.bucket.storage.downloads.append(
        (self.bucket.name, self.name, local_path))


@pytest.fixture
def storage(monkeypatch):
  fake = _FakeStorage()
  monkeypatch.setattr(cloud, '_import_storage', lambda: fake)
  return fake


@pytest.mark.parametrize('path,bucket,blob', [
    ('gs://bucket/data/train.tfrecord', 'bucket', 'data/train.tfrecord'),
    # The original stripped 'g', 's', ':', '/' from both ends of these.
    ('gs://sounds/violin.ogg', 'sounds', 'violin.ogg'),
    ('gs://data/logs', 'data', 'logs'),
])
def test_download_from_gstorage_splits_bucket_and_blob(storage, path, bucket,
                                                       blob):
  cloud.download_from_gstorage(path, '/tmp/x')
  assert storage.downloads == [(bucket, blob, '/tmp/x')]


@pytest.mark.parametrize('path', ['bucket/blob', 'gs://bucket', 'gs:///blob',
                                  's3://bucket/blob'])
def test_download_from_gstorage_rejects_other_paths(storage, path):
  with pytest.raises(ValueError, match='gs://<bucket>/<blob path>'):
    cloud.download_from_gstorage(path, '/tmp/x')
  assert not storage.downloads
