"""Two-worker MultiWorkerMirroredStrategy training through ddsp_run."""
import json
import os
import socket
import subprocess

import pytest

import training_toys


def _free_ports(n):
  socks, ports = [], []
  for _ in range(n):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    socks.append(s)
    ports.append(s.getsockname()[1])
  for s in socks:
    s.close()
  return ports


@pytest.mark.slow
def test_two_workers_train_and_the_chief_writes_the_checkpoint(tmp_path):
  gin_file = training_toys.write_tiny_setup(str(tmp_path))
  run_dir = str(tmp_path / 'run')
  workers = [f'127.0.0.1:{p}' for p in _free_ports(2)]
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  env.pop('TF_CONFIG', None)
  procs = []
  for index in range(2):
    config = json.dumps({'cluster': {'worker': workers},
                         'task': {'type': 'worker', 'index': index}})
    log = open(tmp_path / f'worker{index}.log', 'w')
    procs.append((subprocess.Popen(
        training_toys.ddsp_run_cmd(
            '--mode=train', f'--save_dir={run_dir}',
            f'--gin_file={gin_file}', f'--cluster_config={config}',
            '--gin_param=train.num_steps=3',
            '--gin_param=train.steps_per_save=2',
            '--gin_param=train.steps_per_summary=2',
            # Global batch 2 = one example per worker.
            '--gin_param=batch_size=2'),
        stdout=log, stderr=subprocess.STDOUT, env=env,
        cwd=training_toys.REPO), log))
  try:
    for proc, _ in procs:
      proc.wait(timeout=1500)
  finally:
    for proc, log in procs:
      if proc.poll() is None:
        proc.kill()
      log.close()
  logs = [open(tmp_path / f'worker{i}.log').read() for i in range(2)]
  for i, (proc, _) in enumerate(procs):
    assert proc.returncode == 0, logs[i][-4000:]
    assert 'MultiWorkerMirroredStrategy' in logs[i]
    assert 'step: 3\t' in logs[i]
  assert 'Not the chief worker' in logs[1]
  files = sorted(os.listdir(run_dir))
  assert files == ['checkpoint', 'ckpt-2.data-00000-of-00001', 'ckpt-2.index',
                   'ckpt-3.data-00000-of-00001', 'ckpt-3.index',
                   'operative_config-0.gin', 'summaries']
