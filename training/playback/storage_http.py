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

"""Cloud Storage's public HTTP protocol, read without a client library.

What the instruments' host speaks (and a mirror must speak too):

* the JSON API's listing, `<base>/storage/v1/b/<bucket>/o?prefix=<p>`,
  pages of `{"items": [{"name", "size", "md5Hash", ...}], "nextPageToken"}`
  where `size` is a decimal string and `md5Hash` the base64 of the digest;
* object downloads, `<base>/<bucket>/<object name>`, with the header
  `x-goog-hash: crc32c=<base64>,md5=<base64>` (or one header per hash) and
  `Range: bytes=N-` answered with 206 and a Content-Range.

Every call has a timeout. Failures the user can act on are `UserError`s
that say what to do: no network, a missing object, a refused request.
`training/cloud.py` is a different path: gs:// URLs read with the
google-cloud-storage package and the user's credentials.
"""

import base64
import dataclasses
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Iterator, List, Optional

from ddsp import errors
from ddsp.training.playback import catalogue

TIMEOUT_SECONDS = 30.0


class NoNetworkError(errors.UserError, ConnectionError):
  """The host cannot be reached at all."""


class NotOnServerError(errors.MissingPathError):
  """The host answers that an object or folder does not exist."""


class RefusedError(errors.UserError, PermissionError):
  """The host refuses a request (HTTP 401 or 403)."""


class ServerError(errors.UserError, OSError):
  """The host answers with another HTTP error (5xx, ...).

  Attributes:
    status: The HTTP status (0 when the answer was not an HTTP error).
  """

  def __init__(self, message: str, status: int = 0):
    super().__init__(message)
    self.status = status


@dataclasses.dataclass(frozen=True)
class StoredObject:
  """One object of a listing: name, bytes and the md5 the host publishes."""
  name: str
  size: int
  md5: str  # base64 of the digest, '' when the host publishes none.


def object_url(bucket: str, name: str) -> str:
  """URL of an object's bytes at the current host."""
  return (f'{catalogue.base_url()}/{bucket}/'
          f'{urllib.parse.quote(name, safe="/")}')


def listing_url(bucket: str, prefix: str, page_token: str = '') -> str:
  """URL of one page of the JSON API's listing of `prefix`."""
  query = {'prefix': prefix}
  if page_token:
    query['pageToken'] = page_token
  return (f'{catalogue.base_url()}/storage/v1/b/{bucket}/o?'
          f'{urllib.parse.urlencode(query, safe="/")}')


def _host(url: str) -> str:
  return urllib.parse.urlsplit(url).netloc


def _http_error(url: str, error: urllib.error.HTTPError) -> errors.UserError:
  """The UserError of an HTTP error status."""
  if error.code == 404:
    return NotOnServerError(
        f'{url} does not exist (HTTP 404). If {catalogue.BASE_URL_VARIABLE} '
        'names a mirror, check that it holds this path; otherwise the '
        'model may have moved: look for it on the Magenta DDSP pages.')
  if error.code in (401, 403):
    return RefusedError(
        f'{_host(url)} refuses {url} (HTTP {error.code}). Set '
        f'{catalogue.BASE_URL_VARIABLE} to a mirror that serves it.')
  return ServerError(
      f'{_host(url)} answered HTTP {error.code} ({error.reason}) for {url}. '
      'Try again later, or set '
      f'{catalogue.BASE_URL_VARIABLE} to a mirror.', status=error.code)


def _no_network(url: str, reason: object) -> NoNetworkError:
  return NoNetworkError(
      f'Cannot reach {_host(url)} ({reason}). Connect to the internet and '
      'try again, or set '
      f'{catalogue.BASE_URL_VARIABLE} to a reachable mirror. Instruments '
      'already downloaded play without a network.')


def open_url(url: str,
             headers: Optional[Dict[str, str]] = None
             ) -> http.client.HTTPResponse:
  """Sends a GET (with a timeout); -> the response, for the caller to read.

  Raises:
    NoNetworkError: no connection (refused, unknown host, timed out).
    NotOnServerError, RefusedError, ServerError: an HTTP error status.
  """
  request = urllib.request.Request(url, headers=headers or {})
  try:
    return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
  except urllib.error.HTTPError as e:
    e.close()
    raise _http_error(url, e) from e
  except urllib.error.URLError as e:
    raise _no_network(url, e.reason) from e
  except (socket.timeout, ConnectionError) as e:
    raise _no_network(url, e) from e


def _read_json(url: str) -> dict:
  """GETs a JSON document (a read cut short counts as no network)."""
  with open_url(url) as response:
    try:
      body = response.read()
    except (OSError, http.client.HTTPException) as e:
      raise _no_network(url, e) from e
  try:
    return json.loads(body)
  except ValueError as e:
    raise ServerError(f'{url} did not answer with JSON: is '
                      f'{catalogue.BASE_URL_VARIABLE} a Cloud Storage '
                      'mirror?') from e


def _listing_pages(bucket: str, prefix: str) -> Iterator[dict]:
  token = ''
  while True:
    page = _read_json(listing_url(bucket, prefix, token))
    yield page
    token = page.get('nextPageToken', '')
    if not token:
      return


def list_objects(bucket: str, prefix: str) -> List[StoredObject]:
  """Every object under `prefix` (all pages), folder placeholders left out.

  Raises:
    NotOnServerError: nothing is stored under `prefix`.
    RefusedError: the host refuses to list (it may still serve objects).
    NoNetworkError, ServerError: as `open_url`.
  """
  found = []
  for page in _listing_pages(bucket, prefix):
    for item in page.get('items', []):
      if not item['name'].endswith('/'):
        found.append(StoredObject(name=item['name'], size=int(item['size']),
                                  md5=item.get('md5Hash', '')))
  if not found:
    raise NotOnServerError(
        f'Nothing is stored under gs://{bucket}/{prefix} at '
        f'{catalogue.base_url()}. If {catalogue.BASE_URL_VARIABLE} names a '
        'mirror, check that it holds this folder.')
  return found


def published_md5(headers: http.client.HTTPMessage) -> str:
  """The base64 md5 of `x-goog-hash` header(s), '' when none is given."""
  for header in headers.get_all('x-goog-hash') or []:
    for part in header.split(','):
      key, _, value = part.strip().partition('=')
      if key == 'md5':
        return value
  return ''


def md5_to_base64(digest: bytes) -> str:
  """The form of an md5 digest that Cloud Storage publishes."""
  return base64.b64encode(digest).decode('ascii')
