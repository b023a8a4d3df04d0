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

"""Helpers for the DDSP notebooks (Colab, Jupyter or plain Python).

Unlike the original, this module imports anywhere: `google.colab` is
imported lazily, only by the functions that need the browser (`record`,
`upload`, `download`, ephemeral players). Outside Colab those functions
work on local file paths instead (or raise a clear error).
"""

import base64
import io
import os

import ddsp
from ddsp.features import audio as audio_lib
import ddsp.training
from ddsp.training import plotting
from ddsp.training import postprocessing
# Tuning helpers of the timbre-transfer notebook (defined in the library).
from ddsp.training.playback.tuning import auto_tune  # pylint: disable=unused-import
from ddsp.training.playback.tuning import get_tuning_factor  # pylint: disable=unused-import
import numpy as np
from scipy.io import wavfile

DEFAULT_SAMPLE_RATE = ddsp.spectral_ops.CREPE_SAMPLE_RATE
_play_count = 0  # Counter of ephemeral players (unique element ids).

# Backward-compatible aliases of the plotting helpers.
specplot = plotting.specplot
plot_impulse_responses = plotting.plot_impulse_responses
transfer_function = plotting.transfer_function


# ------------------------------------------------------------------------------
# Environment.
# ------------------------------------------------------------------------------
def in_colab():
  """True when running inside a Google Colab kernel."""
  try:
    import google.colab  # pylint: disable=g-import-not-at-top,unused-import
    return True
  except ImportError:
    return False


def _colab_module(name):
  """Imports google.colab.<name> or raises a clear error outside Colab."""
  try:
    import importlib  # pylint: disable=g-import-not-at-top
    return importlib.import_module(f'google.colab.{name}')
  except ImportError as e:
    raise RuntimeError(
        f'google.colab.{name} is only available inside Google Colab. '
        'Outside Colab pass local file paths instead (see the docstring).'
    ) from e


def download(file_path):
  """Downloads a file to the browser (Colab) or prints its local path."""
  if in_colab():
    _colab_module('files').download(file_path)
  else:
    print(f'File saved locally: {os.path.abspath(file_path)}')


# ------------------------------------------------------------------------------
# Audio playback and loading.
# ------------------------------------------------------------------------------
def _wav_base64(array_of_floats, sample_rate):
  """16-bit WAV bytes (base64 text) of the first row of a 1-D/2-D array."""
  array = np.asarray(array_of_floats)
  if array.ndim == 2:
    array = array[0]
  # Values outside [-1, 1] wrap as in the original (numpy int16 cast).
  normalizer = float(np.iinfo(np.int16).max)
  array_int16 = np.asarray(array * normalizer).astype(np.int16)
  memfile = io.BytesIO()
  wavfile.write(memfile, sample_rate, array_int16)
  return base64.b64encode(memfile.getvalue()).decode('ascii')


def play(array_of_floats,
         sample_rate=DEFAULT_SAMPLE_RATE,
         ephemeral=True,
         autoplay=False):
  """Shows an HTML5 audio player for `array_of_floats` ([n] or [batch, n])."""
  from IPython import display  # pylint: disable=g-import-not-at-top
  global _play_count
  b64 = _wav_base64(array_of_floats, sample_rate)
  autoplay_attr = ' autoplay="autoplay"' if autoplay else ''
  html = (f'<audio controls{autoplay_attr}>'
          f'<source controls src="data:audio/wav;base64,{b64}" '
          'type="audio/wav" />Your browser does not support the audio '
          'element.</audio>')
  if ephemeral and in_colab():
    output = _colab_module('output')
    _play_count += 1
    element = f'id_{_play_count}'
    display.display(display.HTML(f'<div id="{element}"> </div>'))
    output.eval_js(
        f'document.getElementById("{element}").innerHTML = {html!r};')
  else:
    display.display(display.HTML(html))
  return html


def audio_bytes_to_np(wav_data,
                      sample_rate=DEFAULT_SAMPLE_RATE,
                      normalize_db=0.1,
                      mono=True):
  """Decodes audio file bytes (wav/flac/ogg/...) to float32 [n] at a rate.

  Decoding and resampling are those of data preparation and timbre
  transfer (`ddsp.features.audio.decode_audio`).

  Args:
    wav_data: Bytes of an audio file.
    sample_rate: Output sample rate (resampled if needed).
    normalize_db: If not None, peak-normalise to -normalize_db dBFS.
    mono: Down-mix to one channel (else [channels, n]).

  Returns:
    float32 numpy array.

  Raises:
    ValueError: the bytes are not a readable audio file.
  """
  audio = audio_lib.decode_audio(io.BytesIO(wav_data), sample_rate, mono=mono)
  if normalize_db is not None:
    audio = normalize_peak(audio, normalize_db)
  return audio


def normalize_peak(audio, normalize_db=0.1):
  """Scales audio so that its peak is -normalize_db dBFS (silence kept)."""
  peak = np.max(np.abs(audio)) if np.size(audio) else 0.0
  if peak <= 0 or not np.isfinite(peak):
    return audio
  target = 10.0**(-normalize_db / 20.0)
  return (audio * (target / peak)).astype(np.float32)


def load_audio(file_path, sample_rate=DEFAULT_SAMPLE_RATE, normalize_db=None):
  """Reads an audio file (local or tf.io.gfile path) as mono float32 [n]."""
  audio = audio_lib.decode_audio(file_path, sample_rate)
  if normalize_db is not None:
    audio = normalize_peak(audio, normalize_db)
  return audio


def upload(sample_rate=DEFAULT_SAMPLE_RATE, normalize_db=None,
           file_paths=None):
  """Uploads audio files (Colab) or reads local ones.

  Args:
    sample_rate: Output sample rate.
    normalize_db: Optional peak normalisation (see audio_bytes_to_np).
    file_paths: Outside Colab, a path or list of paths to read. Defaults to
      the comma-separated env var DDSP_UPLOAD_FILES.

  Returns:
    (filenames, [float32 arrays]).
  """
  if file_paths is None and in_colab():
    uploaded = _colab_module('files').upload()
    names = list(uploaded.keys())
    arrays = [audio_bytes_to_np(uploaded[n], sample_rate, normalize_db)
              for n in names]
    return names, arrays
  if file_paths is None:
    env = os.environ.get('DDSP_UPLOAD_FILES', '')
    file_paths = [p for p in env.split(',') if p]
  if isinstance(file_paths, str):
    file_paths = [file_paths]
  if not file_paths:
    raise ValueError('upload: outside Colab pass `file_paths` (or set '
                     'DDSP_UPLOAD_FILES) to the audio files to read.')
  arrays = [load_audio(p, sample_rate, normalize_db) for p in file_paths]
  return list(file_paths), arrays


_RECORD_JS = """
const sleep = time => new Promise(resolve => setTimeout(resolve, time));
const b2text = blob => new Promise(resolve => {
  const reader = new FileReader();
  reader.onloadend = e => resolve(e.srcElement.result);
  reader.readAsDataURL(blob);
});
var record = time => new Promise(async resolve => {
  stream = await navigator.mediaDevices.getUserMedia({audio: true});
  recorder = new MediaRecorder(stream);
  chunks = [];
  recorder.ondataavailable = e => chunks.push(e.data);
  recorder.start();
  await sleep(time);
  recorder.onstop = async () => {
    blob = new Blob(chunks);
    text = await b2text(blob);
    resolve(text);
  };
  recorder.stop();
});
"""


def record(seconds=3, sample_rate=DEFAULT_SAMPLE_RATE, normalize_db=0.1,
           file_path=None):
  """Records from the browser microphone (Colab).

  Outside Colab there is no browser microphone: pass `file_path` (or set
  DDSP_RECORD_FILE) to use a local recording instead; its first `seconds`
  are returned.

  Returns:
    float32 [n] audio at `sample_rate`.
  """
  file_path = file_path or os.environ.get('DDSP_RECORD_FILE')
  if file_path:
    audio = load_audio(file_path, sample_rate, normalize_db)
    return audio[:int(seconds * sample_rate)]
  output = _colab_module('output')
  from IPython import display  # pylint: disable=g-import-not-at-top
  print('Starting recording for {} seconds...'.format(seconds))
  display.display(display.Javascript(_RECORD_JS))
  data_url = output.eval_js('record(%d)' % (seconds * 1000.0))
  print('Finished recording!')
  audio_bytes = base64.b64decode(data_url.split(',')[1])
  return audio_bytes_to_np(audio_bytes, sample_rate, normalize_db)


# ------------------------------------------------------------------------------
# Dataset statistics.
# ------------------------------------------------------------------------------
def save_dataset_statistics(data_provider, file_path=None, batch_size=1,
                            power_frame_size=256):
  """Computes dataset statistics and optionally pickles them to file_path.

  (The original crashes here with its default 256-sample power frames at
  50 Hz; `compute_dataset_statistics` now falls back to the data frame rate.)
  """
  ds_stats = postprocessing.compute_dataset_statistics(
      data_provider, batch_size, power_frame_size)
  if file_path is not None:
    postprocessing.save_dataset_statistics_file(ds_stats, file_path)
    print(f'Done! Saved dataset statistics to: {file_path}')
  return ds_stats


def load_dataset_statistics(file_path):
  """Safe read of a dataset_statistics.pkl (no code execution)."""
  return postprocessing.load_dataset_statistics(file_path)
