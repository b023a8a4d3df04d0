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
import ddsp.training
from ddsp.training import plotting
from ddsp.training import postprocessing
import numpy as np
from scipy.io import wavfile
import tensorflow as tf

DEFAULT_SAMPLE_RATE = ddsp.spectral_ops.CREPE_SAMPLE_RATE
_play_count = 0  # Counter of ephemeral players (unique element ids).

# Backward-compatible aliases of the plotting helpers.
specplot = plotting.specplot
plot_impulse_responses = plotting.plot_impulse_responses
transfer_function = plotting.transfer_function

_KEY_NAMES = ('C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B')


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

  Args:
    wav_data: Bytes of an audio file.
    sample_rate: Output sample rate (resampled if needed).
    normalize_db: If not None, peak-normalise to -normalize_db dBFS.
    mono: Down-mix to one channel (else [channels, n]).

  Returns:
    float32 numpy array.
  """
  from ddsp.training import timbre_transfer  # pylint: disable=g-import-not-at-top
  audio = timbre_transfer.decode_audio(io.BytesIO(wav_data), sample_rate,
                                       mono=mono)
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
  """Reads a local audio file as mono float32 [n] at `sample_rate`."""
  with tf.io.gfile.GFile(file_path, 'rb') as f:
    return audio_bytes_to_np(f.read(), sample_rate, normalize_db)


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


# ------------------------------------------------------------------------------
# Tuning.
# ------------------------------------------------------------------------------
def _wrap_semitone(d):
  """Maps semitone offsets into (-0.5, 0.5] (in place on a copy)."""
  d = np.mod(d, 1.0)
  d[d > 0.5] -= 1.0
  return d


def get_tuning_factor(f0_midi, f0_confidence, mask_on):
  """Global tuning offset (semitones, 1-cent grid) of a performance.

  Balances two costs over the candidates t in [-0.5, 0.5]: the
  confidence-weighted distance of note-on pitches from the grid shifted by
  t, and the number of note changes after snapping to that grid. Each cost
  is standardised over the candidates before summing.

  Args:
    f0_midi: Pitch in MIDI, [n_frames].
    f0_confidence: Confidence, [n_frames].
    mask_on: Boolean note-on mask, [n_frames].

  Returns:
    Tuning factor in semitones.
  """
  candidates = np.linspace(-0.5, 0.5, 101)
  f0_on = np.asarray(f0_midi)[mask_on][:, np.newaxis]
  diffs = _wrap_semitone(f0_on - candidates[np.newaxis, :])
  weights = np.asarray(f0_confidence)[mask_on][:, np.newaxis]
  cost_distance = np.mean(weights * np.abs(diffs), axis=0)
  snapped = f0_on - diffs
  changes = (np.diff(snapped, axis=0) != 0.0).astype(float)
  cost_changes = np.mean(weights[:-1] * changes, axis=0)

  def standardise(x):
    return (x - np.mean(x)) / np.std(x)

  cost = standardise(cost_changes) + standardise(cost_distance)
  return candidates[np.argmin(cost)]


def _major_scales():
  """[12, 70] MIDI notes of the major scale starting at each pitch class."""
  scale = np.ravel([np.array([0, 2, 4, 5, 7, 9, 11]) + 12 * k
                    for k in range(10)])
  return np.stack([scale + i for i in range(12)])


def auto_tune(f0_midi, tuning_factor, mask_on, amount=0.0, chromatic=False):
  """Pulls pitch towards a scale: f0 - amount * deviation.

  Args:
    f0_midi: Pitch in MIDI, [n_frames].
    tuning_factor: Offset from get_tuning_factor (used when chromatic).
    mask_on: Note-on mask, used to infer the key.
    amount: 0 = unchanged, 1 = snapped to the nearest note.
    chromatic: Snap to all semitones instead of the inferred major key.

  Returns:
    Adjusted f0 in MIDI, [n_frames].
  """
  f0_midi = np.asarray(f0_midi)
  if chromatic:
    deviation = _wrap_semitone(f0_midi - tuning_factor)
  else:
    scales = _major_scales()
    f0_on = f0_midi[mask_on]
    # Distance of each note-on frame to the nearest note of each scale.
    dist = np.abs(f0_on[:, None, None] - scales[None, :, :]).min(axis=-1)
    key = int(np.argmin(np.mean(dist, axis=0)))
    diff = f0_midi[:, None] - scales[key][None, :]
    nearest = np.argmin(np.abs(diff), axis=-1)
    deviation = np.take_along_axis(diff, nearest[:, None], axis=-1)[:, 0]
    print('Autotuning... \nInferred key: {}  \nTuning offset: {} cents'.format(
        _KEY_NAMES[key], int(tuning_factor * 100)))
  return f0_midi - amount * deviation
