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

"""Jobs that make an instrument: prepare + train + install, and export.

Training runs the project's commands as subprocesses (the studio imports
nothing of the training loop), with their logs in the job folder:

1. `ddsp_prepare_tfrecord --frame_rate=50 --center=True` on the uploads
   (`prepare.log`);
2. `ddsp_run --train_minutes=N` with the chosen fast config
   (`train.log`, read every few seconds for the step, the loss and the
   harmonic-to-noise curve, `training_log`);
3. the dataset statistics of the prepared data next to the checkpoint
   (`postprocessing`, the original's `dataset_statistics.pkl`);
4. the model folder (operative config, last checkpoint, statistics) copied
   into the models folder under a new name, which the picker then lists.

Export writes, into its job folder, a zip of the model folder (for the
notebook and `ddsp_timbre_transfer`) and, for a model trained with the
DDSP-VST config, `ddsp_export`'s `.tflite`, which it checks against the
plugin's contract (as `ddsp_export --check`); a model that cannot become a
DDSP-VST model gets its zip and a note saying why.
"""

import glob
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List
import zipfile

from ddsp import atomic_files
from ddsp import errors
from ddsp.training import checkpoints
from ddsp.training import data
from ddsp.training import postprocessing
from ddsp.training.playback import loading
from ddsp.training.studio import controls
from ddsp.training.studio import folders as folders_lib
from ddsp.training.studio import instruments
from ddsp.training.studio import playback_jobs
from ddsp.training.studio import training_log
from ddsp.training.studio import uploads

MIN_SECONDS, MAX_SECONDS = 60.0, 20 * 60.0
POLL_SECONDS = 2.0
FRAME_RATE = 50  # The fast configs' data layout: 50 frames/s, centred.
_PROCESSES = set()  # Commands running, stopped with the studio.
_PROCESSES_LOCK = threading.Lock()


def check_recordings(seconds: List[float], min_seconds: float = MIN_SECONDS
                    ) -> None:
  """Refuses recordings shorter than `min_seconds` or longer than 20 min."""
  total = sum(seconds)
  if not min_seconds <= total <= MAX_SECONDS:
    raise errors.BadValueError(
        f'The recordings last {total / 60:.1f} minutes: give '
        f'{min_seconds / 60:g} to {MAX_SECONDS / 60:g} minutes of one '
        'instrument.')


def _environment(folders: folders_lib.Folders) -> Dict[str, str]:
  return dict(os.environ, TMPDIR=folders.tmp, DDSP_CACHE=folders.cache,
              TF_CPP_MIN_LOG_LEVEL='2', TF_USE_LEGACY_KERAS='1')


def _command(folders, module: str, args: List[str], log_path: str,
             on_poll: Callable[[], None] = lambda: None) -> None:
  """Runs `python -m module args`, its output in `log_path`.

  Raises:
    errors.UserError: the command failed (its own error message).
  """
  with open(log_path, 'w') as log:
    process = subprocess.Popen(
        [sys.executable, '-m', module] + args, stdout=log,
        stderr=subprocess.STDOUT, env=_environment(folders),
        cwd=folders.work)
    with _PROCESSES_LOCK:
      _PROCESSES.add(process)
    try:
      while process.poll() is None:
        time.sleep(POLL_SECONDS)
        on_poll()
    finally:
      with _PROCESSES_LOCK:
        _PROCESSES.discard(process)
  on_poll()
  if process.returncode:
    with open(log_path) as f:
      text = f.read()
    raise errors.UserError(training_log.error_of(text) or (
        f'{module.rsplit(".", 1)[-1]} stopped (exit status '
        f'{process.returncode}); its log: {log_path}'))


def stop_commands() -> None:
  """Terminates the commands still running (the studio is stopping)."""
  with _PROCESSES_LOCK:
    for process in _PROCESSES:
      process.terminate()


def train_job(folders: folders_lib.Folders, params: Dict[str, Any],
              folder: str, report: Callable) -> Dict[str, Any]:
  """Prepares the uploads, trains, installs the model (module docstring)."""
  settings = params['settings']
  audio = uploads.audio_paths(folders, params['uploads'])
  pattern = os.path.join(folder, 'data', 'train.tfrecord')
  report({'stage': 'preparing the data'})
  _command(folders, 'ddsp.training.data_preparation.ddsp_prepare_tfrecord', [
      '--input_audio_filepatterns=' + ','.join(audio),
      f'--output_tfrecord_path={pattern}', '--num_shards=1',
      f'--frame_rate={FRAME_RATE}', '--center=True',
      f'--crepe_model={settings["crepe_model"]}'],
           os.path.join(folder, 'prepare.log'))
  run_dir = os.path.join(folder, 'run')
  log_path = os.path.join(folder, 'train.log')
  start, budget = time.time(), 60.0 * settings['minutes']

  def poll():
    with open(log_path) as f:
      progress = training_log.read(f.read())
    progress.update(stage='training', minutes=settings['minutes'],
                    eta_seconds=max(0.0, start + budget - time.time()))
    report(progress)

  _command(folders, 'ddsp.training.ddsp_run', [
      '--mode=train', f'--save_dir={run_dir}',
      f'--train_minutes={settings["minutes"]}',
      '--gin_file=' + controls.TRAINING_CONFIGS[settings['config']],
      '--gin_file=datasets/tfrecord.gin',
      f"--gin_param=TFRecordProvider.file_pattern='{pattern}*'",
      '--gin_param=train.steps_per_summary=10', '--alsologtostderr'],
           log_path, poll)
  report(dict(training_log.read(open(log_path).read()),
              stage='computing the dataset statistics', eta_seconds=0))
  with playback_jobs.IN_PROCESS:
    provider = data.TFRecordProvider(pattern + '*', frame_rate=FRAME_RATE,
                                     centered=True)
    postprocessing.save_dataset_statistics_file(
        postprocessing.compute_dataset_statistics(provider, batch_size=4),
        os.path.join(run_dir, loading.STATISTICS_FILE))
  name = install(folders, run_dir, params['name'])
  return {'instrument': instruments.OWN + name, 'name': name}


def install(folders: folders_lib.Folders, run_dir: str, name: str) -> str:
  """Copies a run's model into the models folder; -> its entry name.

  The operative config, the last checkpoint and the statistics go to a
  hidden staging folder first, renamed once complete; a taken name gets
  '-2', '-3', ...
  """
  base = folders_lib.sanitize(name or 'my_instrument')
  entry, n = base, 1
  while os.path.exists(folders_lib.inside(folders.models, entry)):
    n += 1
    entry = f'{base}-{n}'
  files = loading.find_model_dir(run_dir)
  staging = folders_lib.inside(folders.models, f'.{entry}.partial')
  os.makedirs(staging)
  for path in ([files.gin_file, files.statistics_file] +
               glob.glob(files.ckpt + '.*')):
    if path:
      shutil.copy2(path, staging)
  with open(os.path.join(staging, 'checkpoint'), 'w') as f:
    f.write(f'model_checkpoint_path: "{os.path.basename(files.ckpt)}"\n')
  os.replace(staging, folders_lib.inside(folders.models, entry))
  return entry


def export_job(folders: folders_lib.Folders, params: Dict[str, Any],
               folder: str, report: Callable) -> Dict[str, Any]:
  """A zip of a model folder, and its DDSP-VST .tflite when it has one.

  -> {'files': [zip, .tflite if made], 'notes': [why no .tflite]}: a model
  that cannot become a DDSP-VST model still gives its zip.
  """
  model_dir = instruments.own_folder(folders, params['instrument'])
  name = folders_lib.sanitize(os.path.basename(model_dir))
  report({'stage': 'zipping'})
  zip_name = f'{name}.zip'
  with atomic_files.temporary_path(os.path.join(folder, zip_name)) as tmp:
    with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as z:
      for entry in sorted(os.listdir(model_dir)):
        path = os.path.join(model_dir, entry)
        if os.path.isfile(path) and not entry.startswith('.'):
          z.write(path, os.path.join(name, entry))
  files, notes = [zip_name], []
  gin_text = open(checkpoints.get_latest_operative_config(model_dir)).read()
  if 'PowerPreprocessor' not in gin_text:  # F0Power..., OnlineF0Power...
    notes.append('No DDSP-VST .tflite: the plugin plays models trained with '
                 'the vst_fast config (it takes power, not loudness).')
    return {'files': files, 'notes': notes}
  report({'stage': 'exporting for DDSP-VST'})
  try:
    files.append(_export_tflite(folders, model_dir, folder, name))
  except errors.UserError as e:
    notes.append(f'No DDSP-VST .tflite: {e}')
  return {'files': files, 'notes': notes}


def _export_tflite(folders, model_dir: str, folder: str, name: str) -> str:
  """ddsp_export's .tflite of `model_dir`; -> its name in `folder`.

  ddsp_export checks the control model against the plugin's contract
  (what `ddsp_export --check` does) and fails if the plugin would refuse
  it; the metadata's ranges come from the model's dataset_statistics.pkl
  (else from its training data).
  The plugin has its own reverb: the model's is not exported.

  Raises:
    errors.UserError: ddsp_export's message.
  """
  save_dir = os.path.join(folder, 'export')
  try:
    _command(folders, 'ddsp.training.ddsp_export', [
        f'--model_path={model_dir}', f'--save_dir={save_dir}',
        '--inference_model=vst_stateless_predict_controls', '--tflite',
        '--notfjs', '--noreverb'], os.path.join(folder, 'export.log'))
    target = f'{name}.tflite'
    os.replace(os.path.join(save_dir, 'tflite', 'model.tflite'),
               os.path.join(folder, target))
  finally:
    shutil.rmtree(save_dir, ignore_errors=True)  # The SavedModel.
  return target
