# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Google Cloud helpers: GCS downloads and hyperparameter-tuning reports.

`google-cloud-storage` and `cloudml-hypertune` are optional; they are imported
only when used.
"""

import os
import re

from absl import logging
from ddsp import errors


def _import_storage():
  try:
    from google.cloud import storage  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'Reading gs:// paths needs the "google-cloud-storage" package: '
        'pip install google-cloud-storage') from e
  return storage


def _import_hypertune():
  try:
    import hypertune  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        'Reporting to hypertune needs the "cloudml-hypertune" package: '
        'pip install cloudml-hypertune') from e
  return hypertune


def download_from_gstorage(gstorage_path, local_path):
  """Downloads one blob from Google Cloud Storage.

  (The original stripped the characters 'g', 's', ':' and '/' from both
  ends of the path, which also ate the start of buckets such as 'sounds' and
  the end of blobs such as 'a.ogg' and then failed to find them.)

  Args:
    gstorage_path: 'gs://<bucket>/<blob path>'.
    local_path: Destination file.

  Raises:
    ValueError: if the path is not of the form 'gs://<bucket>/<blob path>'.
  """
  match = re.fullmatch(r'gs://([^/]+)/(.+)', gstorage_path)
  if match is None:
    raise ValueError(f'Expected a path gs://<bucket>/<blob path>, got '
                     f'{gstorage_path!r}.')
  bucket_name, blob_name = match.groups()
  storage = _import_storage()
  client = storage.Client()
  bucket = client.get_bucket(bucket_name)
  blob = bucket.blob(blob_name)
  blob.download_to_filename(local_path)
  logging.info('Downloaded %s to %s', gstorage_path, local_path)


def make_file_paths_local(paths, local_directory):
  """Downloads gs:// files into a folder; returns their local names.

  Args:
    paths: A path or a list of paths. Paths matching 'gs://*' are downloaded
      to `<local_directory>/<basename>` and replaced by the basename (found
      later through the gin search path); local paths are kept.
    local_directory: Download folder.

  Returns:
    A string for a string input, else a list.
  """
  is_single = isinstance(paths, str)
  path_list = [paths] if is_single else list(paths)
  local_paths = []
  for path in path_list:
    if re.match('gs://*', path):
      local_name = os.path.basename(path)
      download_from_gstorage(path, os.path.join(local_directory, local_name))
      local_paths.append(local_name)
    else:
      local_paths.append(path)
  return local_paths[0] if is_single else local_paths


def report_metric_to_hypertune(metric_value, step, tag='Loss'):
  """Reports a metric to the AI Platform hyperparameter tuning service."""
  hypertune = _import_hypertune()
  hpt = hypertune.HyperTune()
  hpt.report_hyperparameter_tuning_metric(
      hyperparameter_metric_tag=tag,
      metric_value=metric_value,
      global_step=step)
