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

"""The studio's HTTP server: static pages and a JSON API.

The standard library's `ThreadingHTTPServer` serves the page
(`static/index.html`, `studio.js`, `studio.css`, package data) and:

  GET  /api/state             instruments, controls, jobs, limits
  POST /api/upload?kind=K&name=N   the raw file as body -> upload id
  POST /api/jobs              {kind, instrument, upload(s), settings, ...}
  GET  /api/jobs/<id>         a job's state, progress, result
  GET  /files/<job id>/<name> a file a job made (?download=1 to save it)

Safety rules: requests must name this server as Host (a page of another
site cannot drive it through DNS rebinding) and a POST's Origin, when
given, must be this server; a body longer than the limit is refused with
413 before it is read; every name goes through `folders.sanitize`, every
path through `folders.inside`; only the files a job lists are served.
"""

import functools
import http.server
import json
import logging
import mimetypes
import os
import re
import socket
import threading
from typing import Any, Dict, Tuple
from urllib import parse

from ddsp import errors
from ddsp.training.studio import controls
from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import instrument_jobs
from ddsp.training.studio import instruments
from ddsp.training.studio import jobs as jobs_lib
from ddsp.training.studio import playback_jobs
from ddsp.training.studio import uploads

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')
MAX_JSON_BYTES = 64 * 1024
QUEUES = {'transfer': 'playback', 'midi': 'playback', 'export': 'playback',
          'train': 'training'}
_RANGE = re.compile(r'bytes=(\d*)-(\d*)$')


class HttpError(Exception):
  """A refused request: its status and message."""

  def __init__(self, status: int, message: str):
    super().__init__(message)
    self.status = status


class Studio:
  """What the handlers share: folders, jobs, the upload limit."""

  def __init__(self, folders: folders_lib.Folders, limit_bytes: int,
               min_training_seconds: float = instrument_jobs.MIN_SECONDS):
    self.folders = folders
    self.limit_bytes = limit_bytes
    self.min_training_seconds = min_training_seconds
    self.jobs = jobs_lib.Jobs(folders, {
        'transfer': functools.partial(playback_jobs.transfer_job, folders),
        'midi': functools.partial(playback_jobs.midi_job, folders),
        'export': functools.partial(instrument_jobs.export_job, folders),
        'train': functools.partial(instrument_jobs.train_job, folders),
    }, QUEUES)

  def state(self) -> Dict[str, Any]:
    return {'instruments': instruments.listing(self.folders),
            'controls': {'transfer': controls.as_json(controls.TRANSFER),
                         'midi': controls.as_json(controls.MIDI),
                         'train': controls.as_json(controls.TRAIN)},
            'jobs': self.jobs.list(),
            'limits': {'upload_bytes': self.limit_bytes,
                       'training_seconds': [self.min_training_seconds,
                                            instrument_jobs.MAX_SECONDS]},
            'extensions': uploads.EXTENSIONS}

  def submit(self, request: Dict[str, Any]) -> Dict[str, Any]:
    """Checks a job request (instrument, uploads, settings); queues it."""
    kind = request.get('kind')
    tables = {'transfer': controls.TRANSFER, 'midi': controls.MIDI,
              'train': controls.TRAIN, 'export': ()}
    if kind not in tables:
      raise errors.BadValueError(f'Unknown job kind {kind!r}.')
    params = {'settings': controls.check(tables[kind],
                                         request.get('settings') or {})}
    if kind in ('transfer', 'midi', 'export'):
      params['instrument'] = str(request.get('instrument', ''))
      instruments.locate(self.folders, params['instrument'])
    if kind == 'transfer':
      params['upload'] = str(request.get('upload', ''))
      uploads.audio_path(self.folders, params['upload'])
    if kind == 'midi':
      params['upload'] = str(request.get('upload', ''))
      uploads.midi_path(self.folders, params['upload'])
      track = request.get('track')
      params['track'] = None if track in (None, '') else int(track)
    if kind == 'train':
      params['uploads'] = [str(u) for u in request.get('uploads') or []]
      params['name'] = folders_lib.sanitize(str(request.get('name', '')))
      if not params['uploads']:
        raise errors.BadValueError('Upload recordings of the instrument '
                                   'first.')
      instrument_jobs.check_recordings(
          [float(s) for s in request.get('seconds') or [0]],
          self.min_training_seconds)
      uploads.audio_paths(self.folders, params['uploads'])
    return self.jobs.submit(kind, params)

  def job_file(self, job_id: str, name: str) -> Tuple[str, str]:
    """(path, download name) of a file job `job_id` made."""
    job = self.jobs.describe(job_id)
    result = job['result']
    listed = set(result.get('plots', []) + result.get('files', []) +
                 [result.get('audio')])
    if name not in listed:
      raise HttpError(404, f'Job {job_id} made no file {name!r}.')
    download = result.get('download_name', name) if (
        name == result.get('audio')) else name
    return folders_lib.inside(self.jobs.folder(job_id), name), download


def _handler(studio: Studio, allowed_hosts):
  """The request handler class of `studio`."""

  class Handler(http.server.BaseHTTPRequestHandler):
    """Routes requests (module docstring)."""
    server_version = 'DDSPStudio'

    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
      logging.debug('%s ' + fmt, self.address_string(), *args)

    def do_GET(self):  # pylint: disable=invalid-name
      self._respond(self._get)

    def do_POST(self):  # pylint: disable=invalid-name
      self._respond(self._post)

    def _respond(self, route):
      # After an error the body of a POST may be unread: no keep-alive.
      self.close_connection = self.command == 'POST'
      try:
        self._check_host()
        route(parse.urlsplit(self.path))
      except HttpError as e:
        self._json({'error': str(e)}, e.status)
      except folders_lib.OutsideError as e:
        self._json({'error': str(e)}, 403)
      except errors.MissingPathError as e:
        self._json({'error': str(e)}, 404)
      except (errors.UserError, ValueError) as e:
        self._json({'error': str(e)}, 400)
      except (BrokenPipeError, ConnectionResetError):
        pass

    def _check_host(self):
      host = (self.headers.get('Host') or '').rsplit(':', 1)[0].strip('[]')
      if allowed_hosts and host not in allowed_hosts:
        raise HttpError(403, f'Host {host!r} is not this studio.')
      origin = self.headers.get('Origin')
      if self.command == 'POST' and origin and (
          parse.urlsplit(origin).netloc != self.headers.get('Host')):
        raise HttpError(403, f'Requests from {origin} are refused.')

    def _get(self, url):
      parts = [parse.unquote(p) for p in url.path.split('/')[1:]]
      if url.path == '/':
        return self._file(os.path.join(STATIC, 'index.html'))
      if parts[0] == 'static' and len(parts) == 2:
        return self._file(folders_lib.inside(STATIC, parts[1]))
      if url.path == '/api/state':
        return self._json(studio.state())
      if parts[:2] == ['api', 'jobs'] and len(parts) == 3:
        return self._json(studio.jobs.describe(parts[2]))
      if parts[0] == 'files' and len(parts) == 3:
        path, name = studio.job_file(parts[1], parts[2])
        query = parse.parse_qs(url.query)
        return self._file(path, name if query.get('download') else None)
      raise HttpError(404, f'No page {url.path}.')

    def _post(self, url):
      length = self._length()
      if url.path == '/api/upload':
        query = {k: v[-1] for k, v in parse.parse_qs(url.query).items()}
        if length > studio.limit_bytes:
          raise HttpError(413, f'The file is {length / 2**20:.1f} MB; the '
                          f'limit is {studio.limit_bytes / 2**20:.1f} MB '
                          '(ddsp_studio --max_upload_mb).')
        upload = uploads.store(self.rfile, length, query.get('kind', ''),
                               query.get('name', ''), studio.folders)
        return self._json(upload.__dict__)
      if length > MAX_JSON_BYTES:
        raise HttpError(413, 'The request is too long.')
      body = json.loads(self.rfile.read(length) or b'{}')
      if url.path == '/api/jobs' and isinstance(body, dict):
        return self._json(studio.submit(body))
      raise HttpError(404, f'No API {url.path}.')

    def _length(self) -> int:
      try:
        return int(self.headers['Content-Length'])
      except (TypeError, ValueError):
        raise HttpError(411, 'Send the Content-Length.') from None

    def _json(self, value, status=200):
      body = json.dumps(value).encode()
      self.send_response(status)
      self.send_header('Content-Type', 'application/json')
      self.send_header('Content-Length', str(len(body)))
      self.send_header('Cache-Control', 'no-store')
      self.end_headers()
      self.wfile.write(body)

    def _file(self, path, download_name=None):
      if not os.path.isfile(path):
        raise HttpError(404, f'No file {os.path.basename(path)}.')
      size = os.path.getsize(path)
      start, end = self._range(size)
      self.send_response(206 if (start, end) != (0, size - 1) else 200)
      self.send_header('Content-Type', mimetypes.guess_type(path)[0] or
                       'application/octet-stream')
      self.send_header('Content-Length', str(end - start + 1))
      self.send_header('Accept-Ranges', 'bytes')
      self.send_header('Cache-Control', 'no-store')
      if (start, end) != (0, size - 1):
        self.send_header('Content-Range', f'bytes {start}-{end}/{size}')
      if download_name:
        self.send_header('Content-Disposition',
                         f'attachment; filename="{download_name}"')
      self.end_headers()
      with open(path, 'rb') as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
          chunk = f.read(min(left, 1 << 16))
          if not chunk:
            break
          self.wfile.write(chunk)
          left -= len(chunk)

    def _range(self, size):
      """(first, last) byte asked for by a Range header (all by default)."""
      match = _RANGE.match(self.headers.get('Range') or '')
      if not match or size == 0 or match.groups() == ('', ''):
        return 0, size - 1
      first, last = match.groups()
      if not first:
        return max(0, size - int(last)), size - 1
      return min(int(first), size - 1), min(int(last or size - 1), size - 1)

  return Handler


class Server(http.server.ThreadingHTTPServer):
  daemon_threads = True
  allow_reuse_address = True


LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def make_server(studio: Studio, host: str, port: int) -> Server:
  """A server of `studio` bound to host:port (port 0: a free one).

  Raises:
    errors.BadValueError: the address is taken or cannot be bound.
  """
  allowed = set(LOOPBACK) if host in LOOPBACK else set()
  Server.address_family = (socket.AF_INET6 if ':' in host
                           else socket.AF_INET)
  try:
    return Server((host, port), _handler(studio, allowed))
  except OSError as e:
    raise errors.BadValueError(
        f'Cannot serve on --host={host} --port={port}: {e.strerror or e}. '
        'Choose another --port (or --port=0 for a free one).') from None


def url_of(server: Server) -> str:
  host, port = server.server_address[:2]
  return f'http://{"[" + host + "]" if ":" in host else host}:{port}/'


def serve_in_thread(server: Server) -> threading.Thread:
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  return thread
