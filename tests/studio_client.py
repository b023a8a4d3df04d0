"""A DDSP Studio server in a thread, and its JSON API spoken over HTTP.

`serve` starts the studio on a free port of 127.0.0.1 and yields
{'port', 'folders', 'root'}; `request`, `submit` and `wait` are what a page
sends to it, without a browser.
"""
import contextlib
import http.client
import json
import os
import time

from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import server


@contextlib.contextmanager
def serve(root, limit_bytes, cache=''):
  """A running studio of `root`/models (and `root`/work); stopped after.

  Args:
    root: Folder holding 'models' (the instruments); 'work' is made.
    limit_bytes: Upload limit.
    cache: Instrument cache ('' for the default).

  Yields:
    {'port': its port, 'folders': its `folders_lib.Folders`, 'root': root}.
  """
  folders = folders_lib.make(os.path.join(root, 'models'),
                             os.path.join(root, 'work'), cache)
  httpd = server.make_server(server.Studio(folders, limit_bytes),
                             '127.0.0.1', 0)
  server.serve_in_thread(httpd)
  try:
    yield {'port': httpd.server_address[1], 'folders': folders, 'root': root}
  finally:
    httpd.shutdown()
    httpd.server_close()


def request(studio, method, path, body=b'', headers=None, length=None):
  """(status, parsed JSON or raw bytes) of one request."""
  connection = http.client.HTTPConnection('127.0.0.1', studio['port'],
                                          timeout=30)
  connection.putrequest(method, path, skip_accept_encoding=True,
                        skip_host='Host' in (headers or {}))
  for name, value in (headers or {}).items():
    connection.putheader(name, value)
  if method == 'POST':
    connection.putheader('Content-Length',
                         str(len(body) if length is None else length))
  connection.endheaders()
  if body:
    try:
      connection.send(body)
    except (BrokenPipeError, ConnectionResetError):
      pass
  response = connection.getresponse()
  data = response.read()
  connection.close()
  try:
    return response.status, json.loads(data)
  except ValueError:
    return response.status, data


def submit(studio, job_request):
  """(status, job or error) of POST /api/jobs with `job_request`."""
  return request(studio, 'POST', '/api/jobs',
                 json.dumps(job_request).encode(),
                 {'Content-Type': 'application/json'})


def wait(studio, job_id, timeout=120):
  """The job once done or failed (AssertionError after `timeout` s)."""
  deadline = time.time() + timeout
  while time.time() < deadline:
    _, job = request(studio, 'GET', f'/api/jobs/{job_id}')
    if job['state'] in ('done', 'failed'):
      return job
    time.sleep(0.3)
  raise AssertionError(f'job {job_id} still {job["state"]}')
