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

"""Background jobs whose state lives in the work folder.

Each job has a folder `<work>/jobs/<id>/` holding `job.json` (kind,
parameters, state, progress, result or error; rewritten atomically at each
change) and the files it makes. A page that was closed finds its jobs again
by listing them. Jobs run in queues, one worker thread each: 'playback'
(transfer, MIDI, export) and 'training' (one training run at a time; the
others wait, queued). A job left queued or running by a studio that stopped
is marked failed when the next one starts.

States: queued -> running -> done | failed.
"""

import dataclasses
import json
import logging
import os
import queue
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional
import uuid

from ddsp import atomic_files
from ddsp import errors
from ddsp.training.studio import folders as folders_lib

JOB_FILE = 'job.json'
# A runner: (parameters, job folder, report(progress dict)) -> result dict.
Runner = Callable[[Dict[str, Any], str, Callable[[Dict[str, Any]], None]],
                  Dict[str, Any]]


@dataclasses.dataclass
class Job:
  """One job, as saved in its job.json."""
  id: str
  kind: str
  queue: str
  params: Dict[str, Any]
  state: str = 'queued'
  created: float = 0.0
  started: Optional[float] = None
  finished: Optional[float] = None
  progress: Dict[str, Any] = dataclasses.field(default_factory=dict)
  result: Dict[str, Any] = dataclasses.field(default_factory=dict)
  error: str = ''


class Jobs:
  """The jobs of a studio: submitted, run in their queue, read back."""

  def __init__(self, folders: folders_lib.Folders,
               runners: Dict[str, Runner], queues: Dict[str, str]):
    """Starts one worker per queue.

    Args:
      folders: The studio's folders.
      runners: {kind: runner}.
      queues: {kind: queue name}.
    """
    self._folders = folders
    self._runners = runners
    self._queues = queues
    self._lock = threading.Lock()
    self._jobs = {job.id: job for job in self._read_all()}
    self._mark_abandoned()
    self._pending = {name: queue.Queue() for name in set(queues.values())}
    for name, pending in self._pending.items():
      threading.Thread(target=self._work, args=(pending,), daemon=True,
                       name=f'studio-{name}').start()

  def folder(self, job_id: str) -> str:
    return folders_lib.inside(self._folders.jobs, job_id)

  def submit(self, kind: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Queues a job of `kind`; returns its description."""
    if kind not in self._runners:
      raise errors.BadValueError(f'Unknown job kind {kind!r}.')
    job = Job(id=f'{time.strftime("%Y%m%d-%H%M%S")}-{uuid.uuid4().hex[:8]}',
              kind=kind, queue=self._queues[kind], params=params,
              created=time.time())
    os.makedirs(self.folder(job.id))
    with self._lock:
      self._jobs[job.id] = job
      self._save(job)
    self._pending[job.queue].put(job.id)
    return self.describe(job.id)

  def describe(self, job_id: str) -> Dict[str, Any]:
    """job.json's fields, with 'ahead': jobs before it in its queue."""
    with self._lock:
      job = self._jobs.get(job_id)
      if job is None:
        raise errors.MissingPathError(f'No job {job_id!r}.')
      ahead = sum(1 for j in self._jobs.values()
                  if j.queue == job.queue and j.state in ('queued', 'running')
                  and j.created < job.created)
      return dict(dataclasses.asdict(job), ahead=ahead)

  def list(self, kind: str = '') -> List[Dict[str, Any]]:
    """Every job (of `kind`), oldest first."""
    with self._lock:
      ids = sorted((j.created, j.id) for j in self._jobs.values()
                   if not kind or j.kind == kind)
    return [self.describe(i) for _, i in ids]

  def _update(self, job: Job, **fields) -> None:
    with self._lock:
      for name, value in fields.items():
        setattr(job, name, value)
      self._save(job)

  def _save(self, job: Job) -> None:
    atomic_files.write_bytes(os.path.join(self.folder(job.id), JOB_FILE),
                             json.dumps(dataclasses.asdict(job)).encode())

  def _work(self, pending: 'queue.Queue[str]') -> None:
    while True:
      self._run(self._jobs[pending.get()])

  def _run(self, job: Job) -> None:
    self._update(job, state='running', started=time.time())
    report = lambda progress: self._update(job, progress=progress)
    try:
      result = self._runners[job.kind](job.params, self.folder(job.id),
                                       report)
    except errors.UserError as e:
      self._update(job, state='failed', error=str(e), finished=time.time())
    except Exception as e:  # pylint: disable=broad-except
      logging.error('Job %s failed:\n%s', job.id, traceback.format_exc())
      self._update(job, state='failed', finished=time.time(),
                   error=f'{type(e).__name__}: {e}')
    else:
      self._update(job, state='done', result=result, finished=time.time())

  def _read_all(self) -> List[Job]:
    found = []
    for name in sorted(os.listdir(self._folders.jobs)):
      path = os.path.join(self._folders.jobs, name, JOB_FILE)
      try:
        with open(path) as f:
          found.append(Job(**json.load(f)))
      except (OSError, ValueError, TypeError):
        continue  # Not a job folder (or one from another version).
    return found

  def _mark_abandoned(self) -> None:
    for job in self._jobs.values():
      if job.state in ('queued', 'running'):
        self._update(job, state='failed', finished=time.time(),
                     error='The studio stopped before this job ended: '
                     'start it again.')
