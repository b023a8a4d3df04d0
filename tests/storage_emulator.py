"""A local stand-in for Cloud Storage's public HTTP protocol, for tests.

It serves, on 127.0.0.1 and a free port, what the instruments' host serves
(`ddsp.training.playback.storage_http` describes the protocol):

* `/storage/v1/b/<bucket>/o?prefix=<p>[&pageToken=<t>]`: the JSON API's
  listing, `page_size` items a page with `nextPageToken` while more remain;
  `size` as a decimal string, `md5Hash` and `crc32c` in base64;
* `/<bucket>/<object name>`: the bytes, with `Content-Length` and
  `x-goog-hash: crc32c=<b64>,md5=<b64>`; `Range: bytes=N-` gets a 206 with
  `Content-Range: bytes N-<last>/<size>`;
* 404 for what it does not hold, 403 on listing prefixes in
  `refused_listings`.

Faults to exercise a client: `cut_once` (names whose first download closes
the connection after `cut_at` bytes of the body), `corrupt` (names served
with one byte changed under the original hashes), `ignore_range` (answers
every Range request with the whole object and a 200). Every request is
recorded in `requests` as (path with query, Range header or '').
"""
import base64
import hashlib
import http.server
import io
import json
import socket
import threading
import urllib.parse
import zipfile


def zip_bytes(members):
  """The bytes of a zip holding {name: bytes} (as the hosts serve zips)."""
  buffer = io.BytesIO()
  with zipfile.ZipFile(buffer, 'w') as z:
    for name, data in members.items():
      z.writestr(name, data)
  return buffer.getvalue()


def _crc32c_table():
  table = []
  for n in range(256):
    crc = n
    for _ in range(8):
      crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    table.append(crc)
  return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
  """CRC-32C (Castagnoli) of bytes, as Cloud Storage computes it."""
  crc = 0xFFFFFFFF
  for byte in data:
    crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
  return crc ^ 0xFFFFFFFF


def b64_md5(data):
  return base64.b64encode(hashlib.md5(data).digest()).decode('ascii')


def b64_crc32c(data):
  return base64.b64encode(crc32c(data).to_bytes(4, 'big')).decode('ascii')


class StorageEmulator:
  """Serves `objects` {(bucket, name): bytes} over Cloud Storage's protocol.

  Use as a context manager, or call start() and stop(); `base_url` is what
  DDSP_MODEL_BASE_URL should be set to.
  """

  def __init__(self, objects=None, page_size=2):
    self.objects = dict(objects or {})
    self.page_size = page_size
    self.refused_listings = set()
    self.cut_once = set()
    self.cut_at = 1000
    self.corrupt = set()
    self.ignore_range = False
    self.requests = []
    self._server = None
    self._thread = None

  @property
  def base_url(self):
    host, port = self._server.server_address
    return f'http://{host}:{port}'

  def start(self):
    emulator = self

    class Handler(_Handler):
      storage = emulator

    self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    self._server.daemon_threads = True
    self._thread = threading.Thread(target=self._server.serve_forever,
                                    daemon=True)
    self._thread.start()
    return self

  def stop(self):
    """Stops serving and closes the port (again: nothing)."""
    if self._server is None:
      return
    self._server.shutdown()
    self._server.server_close()
    self._thread.join()
    self._server = None

  def __enter__(self):
    return self.start()

  def __exit__(self, *exc_info):
    self.stop()

  def requests_for(self, name):
    """(path, Range) of the requests for one object's bytes."""
    return [r for r in self.requests
            if urllib.parse.unquote(r[0]).endswith('/' + name)]

  def listing_page(self, bucket, prefix, token):
    names = sorted(n for b, n in self.objects
                   if b == bucket and n.startswith(prefix))
    start = int(token or 0)
    page = {'kind': 'storage#objects', 'items': []}
    for name in names[start:start + self.page_size]:
      data = self.objects[(bucket, name)]
      page['items'].append({
          'kind': 'storage#object', 'bucket': bucket, 'name': name,
          'size': str(len(data)), 'md5Hash': b64_md5(data),
          'crc32c': b64_crc32c(data)})
    if start + self.page_size < len(names):
      page['nextPageToken'] = str(start + self.page_size)
    if not page['items']:
      del page['items']  # As the JSON API answers an empty prefix.
    return page


class _Handler(http.server.BaseHTTPRequestHandler):
  """Answers one request of the emulated protocol."""
  storage = None  # The StorageEmulator, set by a subclass.
  protocol_version = 'HTTP/1.1'

  def log_message(self, *args):  # Quiet.
    del args

  def do_GET(self):  # pylint: disable=invalid-name
    self.storage.requests.append((self.path, self.headers.get('Range', '')))
    url = urllib.parse.urlsplit(self.path)
    parts = url.path.lstrip('/').split('/')
    if parts[:3] == ['storage', 'v1', 'b'] and len(parts) == 5:
      self._listing(parts[3], urllib.parse.parse_qs(url.query))
    else:
      bucket, _, name = url.path.lstrip('/').partition('/')
      self._object(bucket, urllib.parse.unquote(name))

  def _send(self, status, body, headers=()):
    self.send_response(status)
    self.send_header('Content-Length', str(len(body)))
    for key, value in headers:
      self.send_header(key, value)
    self.end_headers()
    self.wfile.write(body)

  def _listing(self, bucket, query):
    prefix = query.get('prefix', [''])[0]
    if any(prefix.startswith(p) for p in self.storage.refused_listings):
      body = json.dumps({'error': {'code': 403, 'message': 'Access denied.'}})
      self._send(403, body.encode(), [('Content-Type', 'application/json')])
      return
    page = self.storage.listing_page(bucket, prefix,
                                     query.get('pageToken', [''])[0])
    self._send(200, json.dumps(page).encode(),
               [('Content-Type', 'application/json')])

  def _object(self, bucket, name):
    data = self.storage.objects.get((bucket, name))
    if data is None:
      self._send(404, b'<Error><Code>NoSuchKey</Code></Error>',
                 [('Content-Type', 'application/xml')])
      return
    hashes = f'crc32c={b64_crc32c(data)},md5={b64_md5(data)}'
    headers = [('x-goog-hash', hashes),
               ('Content-Type', 'application/octet-stream')]
    served = data
    if name in self.storage.corrupt:
      served = bytes([data[0] ^ 0xFF]) + data[1:]
    start = self._range_start()
    if start and not self.storage.ignore_range:
      headers.append(('Content-Range',
                      f'bytes {start}-{len(data) - 1}/{len(data)}'))
      self._send(206, served[start:], headers)
    elif name in self.storage.cut_once:
      self.storage.cut_once.discard(name)
      self._cut(served, headers)
    else:
      self._send(200, served, headers)

  def _range_start(self):
    value = self.headers.get('Range', '')
    if not value.startswith('bytes=') or not value.endswith('-'):
      return 0
    return int(value[len('bytes='):-1])

  def _cut(self, data, headers):
    """Announces the whole object, sends `cut_at` bytes, closes the socket."""
    self.send_response(200)
    self.send_header('Content-Length', str(len(data)))
    for key, value in headers:
      self.send_header(key, value)
    self.end_headers()
    self.wfile.write(data[:self.storage.cut_at])
    self.wfile.flush()
    self.connection.shutdown(socket.SHUT_RDWR)
    self.close_connection = True
