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

r"""Timbre transfer from the command line (the timbre-transfer Colab).

  ddsp_timbre_transfer --checkpoint_dir=DIR_OR_ZIP --input=voice.wav \
      --output=out.wav [--pitch_shift=1] [--loudness_shift=0] \
      [--noauto_adjust] [--quiet=20] [--autotune=0] [--threshold=1]

Any length and any format soundfile/librosa reads. Audio is streamed: the
input is read and resampled block by block, features (CREPE f0 + loudness,
250 frames/s, a few bytes per frame) are computed per block with enough
context to match whole-file processing, the automatic adjustment uses the
features of the whole file, and synthesis runs block by block (with a
warm-up pre-roll for the RNN and a short crossfade between blocks) straight
into the output file. Peak memory therefore does not grow with the input.

The functions here are also used by the notebooks and `colab_utils`.
"""

import dataclasses
import os
import sys
import tempfile
import time
import zipfile

from absl import app
from absl import flags
from absl import logging
import numpy as np

FLAGS = flags.FLAGS

CREPE_RATE = 16000
DEFAULT_BLOCK_SECONDS = 4.0


# ------------------------------------------------------------------------------
# Audio input.
# ------------------------------------------------------------------------------
def _resample(audio, rate_in, rate_out):
  """Resamples float32 audio [..., n] (soxr high quality)."""
  if rate_in == rate_out:
    return np.asarray(audio, np.float32)
  import librosa  # pylint: disable=g-import-not-at-top
  return librosa.resample(np.asarray(audio, np.float32), orig_sr=rate_in,
                          target_sr=rate_out).astype(np.float32)


def decode_audio(file_or_path, sample_rate, mono=True):
  """Reads a whole audio file as float32 ([n] if mono) at `sample_rate`."""
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  try:
    data, rate = sf.read(file_or_path, dtype='float32', always_2d=True)
  except Exception as e:  # pylint: disable=broad-except
    data, rate = _librosa_read(file_or_path, e)
  data = data.T  # [channels, n]
  if data.shape[-1] == 0:
    raise ValueError(f'Audio input {_name(file_or_path)} holds no samples.')
  if mono:
    data = np.mean(data, axis=0)
  return _resample(data, rate, sample_rate)


def _name(file_or_path):
  return file_or_path if isinstance(file_or_path, str) else '<bytes>'


def _librosa_read(file_or_path, first_error):
  """Fallback decoder for formats libsndfile lacks (e.g. mp3)."""
  import librosa  # pylint: disable=g-import-not-at-top
  try:
    if not isinstance(file_or_path, str):
      file_or_path.seek(0)
    data, rate = librosa.load(file_or_path, sr=None, mono=False)
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'Cannot read audio from {_name(file_or_path)}: '
                     f'{first_error}; {e}') from e
  data = np.atleast_2d(data).T
  return data.astype(np.float32), rate


class AudioStream(object):
  """Reads a file block by block as mono float32 at `sample_rate`."""

  def __init__(self, path, sample_rate, block_seconds=DEFAULT_BLOCK_SECONDS):
    import soundfile as sf  # pylint: disable=g-import-not-at-top
    self.path = path
    self.sample_rate = sample_rate
    if not os.path.exists(path):
      raise FileNotFoundError(f'--input file not found: {path}')
    try:
      self._file = sf.SoundFile(path)
      self.in_rate = self._file.samplerate
      self._whole = None
    except Exception as e:  # pylint: disable=broad-except
      # Formats libsndfile cannot stream: decode at once (rare, e.g. mp3).
      self._file = None
      self._whole = decode_audio(path, sample_rate)
      self.in_rate = sample_rate
      logging.info('Decoded %s at once (%s).', path, e)
    self.block_in = max(1, int(block_seconds * self.in_rate))
    self._resampler = None
    if self.in_rate != sample_rate:
      import soxr  # pylint: disable=g-import-not-at-top
      self._resampler = soxr.ResampleStream(self.in_rate, sample_rate, 1,
                                            dtype='float32', quality='HQ')

  def blocks(self):
    """Yields float32 [n] blocks at `sample_rate` (finite values only)."""
    if self._whole is not None:
      yield np.nan_to_num(self._whole)
      return
    n_total = 0
    while True:
      data = self._file.read(self.block_in, dtype='float32', always_2d=True)
      last = data.shape[0] < self.block_in
      mono = np.mean(data, axis=1) if data.size else np.zeros([0], np.float32)
      mono = np.nan_to_num(mono).astype(np.float32)
      if self._resampler is not None:
        mono = self._resampler.resample_chunk(mono, last=last)
      n_total += mono.size
      if mono.size:
        yield mono
      if last:
        break
    self._file.close()
    if n_total == 0:
      raise ValueError(f'Audio input {self.path} holds no samples.')


# ------------------------------------------------------------------------------
# Checkpoints.
# ------------------------------------------------------------------------------
@dataclasses.dataclass
class ModelFiles:
  """Files of a model folder."""
  model_dir: str
  gin_file: str
  ckpt: str
  statistics_file: str  # '' when absent.


def find_model_dir(checkpoint_dir_or_zip, extract_dir=None):
  """Resolves a model folder (or zip of one) to its files.

  The folder used is the first (top-down) holding a `.gin` file, as in the
  Colab.

  Args:
    checkpoint_dir_or_zip: Folder, checkpoint prefix or .zip file.
    extract_dir: Where to unpack a zip (default: a temporary folder).

  Returns:
    ModelFiles.
  """
  from ddsp.training import train_util  # pylint: disable=g-import-not-at-top
  path = os.path.expanduser(checkpoint_dir_or_zip)
  if os.path.isfile(path) and zipfile.is_zipfile(path):
    extract_dir = extract_dir or tempfile.mkdtemp(prefix='ddsp_model_')
    with zipfile.ZipFile(path) as z:
      z.extractall(extract_dir)
    path = extract_dir
  if not os.path.isdir(path):
    if os.path.exists(path + '.index'):
      path = os.path.dirname(path) or '.'
    else:
      raise FileNotFoundError(
          f'--checkpoint_dir: {checkpoint_dir_or_zip} is neither a folder, '
          'a checkpoint prefix nor a zip file.')
  model_dir = None
  for root, dirs, files in os.walk(path):
    dirs.sort()
    if any(f.endswith('.gin') for f in files):
      model_dir = root
      break
  if model_dir is None:
    raise FileNotFoundError(f'No operative_config-*.gin in {path}.')
  gin_file = train_util.get_latest_operative_config(model_dir)
  ckpt = train_util.get_latest_checkpoint(model_dir)
  stats = os.path.join(model_dir, 'dataset_statistics.pkl')
  return ModelFiles(model_dir, gin_file, ckpt,
                    stats if os.path.exists(stats) else '')


def load_statistics(model_files):
  """Dataset statistics of a model folder (None when absent)."""
  from ddsp.training import postprocessing  # pylint: disable=g-import-not-at-top
  if not model_files.statistics_file:
    return None
  return postprocessing.load_dataset_statistics(model_files.statistics_file)


@dataclasses.dataclass
class ModelInfo:
  """Rates of a model, read from its operative config."""
  sample_rate: int
  hop_size: int  # Samples per frame at sample_rate.
  frame_rate: float
  preprocessor: str  # e.g. 'F0LoudnessPreprocessor'.


def read_model_info(gin_file):
  """Parses the operative config and reads the model's rates."""
  import gin  # pylint: disable=g-import-not-at-top
  import ddsp.training  # pylint: disable=g-import-not-at-top,unused-import
  with gin.unlock_config():
    gin.parse_config_file(gin_file, skip_unknown=True)
  prep = gin.query_parameter('Autoencoder.preprocessor').selector
  prep = prep.split('.')[-1]
  sample_rate = int(gin.query_parameter('Harmonic.sample_rate'))
  n_samples = int(gin.query_parameter('Harmonic.n_samples'))
  time_steps = int(gin.query_parameter(f'{prep}.time_steps'))
  hop = n_samples // time_steps
  return ModelInfo(sample_rate, hop, sample_rate / hop, prep)


class BlockSynthesizer(object):
  """Autoencoder of a fixed block length, restored from a checkpoint.

  Every call synthesises `n_frames` frames; shorter inputs are padded.
  """

  def __init__(self, model_files, n_frames):
    import gin  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from ddsp.training import models  # pylint: disable=g-import-not-at-top
    self.info = read_model_info(model_files.gin_file)
    self.n_frames = n_frames
    self.n_samples = n_frames * self.info.hop_size
    with gin.unlock_config():
      gin.bind_parameter('Harmonic.n_samples', self.n_samples)
      gin.bind_parameter('FilteredNoise.n_samples', self.n_samples)
      gin.bind_parameter(f'{self.info.preprocessor}.time_steps', n_frames)
      gin.bind_parameter('oscillator_bank.use_angular_cumsum', True)
      if self.info.preprocessor == 'F0LoudnessPreprocessor':
        # Use the (adjusted) loudness we pass in rather than recomputing it
        # from audio (known bug 18 makes loudness edits a no-op otherwise).
        gin.bind_parameter('F0LoudnessPreprocessor.compute_loudness', False)
    self.db_key = ('power_db' if 'Power' in self.info.preprocessor
                   else 'loudness_db')
    self.model = models.Autoencoder()
    self.model.restore(model_files.ckpt, verbose=False)

    @tf.function
    def run(f0_hz, db):
      outputs = self.model({'f0_hz': f0_hz, self.db_key: db}, training=False)
      return self.model.get_audio_from_outputs(outputs)
    self._run = run

  def __call__(self, f0_hz, loudness_db):
    """[n <= n_frames] features -> audio [n_frames * hop] (float32)."""
    n = len(f0_hz)
    f0 = np.zeros([self.n_frames], np.float32)
    ld = np.full([self.n_frames], -80.0, np.float32)
    f0[:n], ld[:n] = f0_hz, loudness_db
    if n < self.n_frames and n:
      f0[n:] = f0_hz[-1]
    audio = self._run(f0[np.newaxis, :], ld[np.newaxis, :])
    return np.asarray(audio)[0]


# ------------------------------------------------------------------------------
# Features.
# ------------------------------------------------------------------------------
class FeatureExtractor(object):
  """CREPE f0/confidence and loudness of 16 kHz audio, block by block.

  Frame i is centred at sample i * hop (as compute_audio_features with
  'center' padding). Each block is analysed with `context` extra samples on
  both sides, so block edges do not differ from whole-file processing
  (except for the Viterbi smoothing, which sees 16 frames of context).
  """

  def __init__(self, frame_rate=250, crepe_model='full', viterbi=True,
               context=1024, block_frames=1000):
    self.hop = int(round(CREPE_RATE / frame_rate))
    self.frame_rate = frame_rate
    self.crepe_model = crepe_model
    self.viterbi = viterbi
    self.context = int(np.ceil(context / self.hop)) * self.hop
    self.block_frames = block_frames

  def _f0(self, audio):
    """(f0_hz, confidence) [n_frames] of centred frames of `audio`."""
    from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
    f0, conf = spectral_ops.compute_f0(audio, self.frame_rate, self.viterbi,
                                       padding='center',
                                       model_capacity=self.crepe_model)
    return np.ravel(f0), np.ravel(conf)

  def _loudness(self, audio):
    from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
    return np.ravel(spectral_ops.compute_loudness(
        audio, CREPE_RATE, self.frame_rate, padding='center'))

  def analyse(self, segment, first, n):
    """Features of frames [first, first+n) from `segment` with context."""
    del first
    f0, conf = self._f0(segment)
    ld = self._loudness(segment)
    k = self.context // self.hop
    return (np.asarray(f0[k:k + n], np.float32),
            np.asarray(conf[k:k + n], np.float32),
            np.asarray(ld[k:k + n], np.float32))

  def stream(self, blocks):
    """Features of a stream of 16 kHz blocks.

    Args:
      blocks: Iterable of float32 [n] arrays at 16 kHz.

    Returns:
      dict with 'f0_hz', 'f0_confidence', 'loudness_db' [n_frames] and
      'n_samples' (16 kHz samples read); n_frames = n_samples // hop.
    """
    hop, ctx, bf = self.hop, self.context, self.block_frames
    buf = np.zeros([ctx], np.float32)  # Left context (zeros at the start).
    buf_start = -ctx  # Absolute sample index of buf[0].
    next_frame = 0
    out = {'f0_hz': [], 'f0_confidence': [], 'loudness_db': []}
    n_read = 0

    def emit(n):
      nonlocal buf, buf_start, next_frame
      start = next_frame * hop - ctx  # Absolute start of the segment.
      seg_len = (n - 1) * hop + 2 * ctx + 1
      offset = start - buf_start
      segment = buf[offset:offset + seg_len]
      if segment.size < seg_len:
        segment = np.pad(segment, (0, seg_len - segment.size))
      f0, conf, ld = self.analyse(segment, next_frame, n)
      out['f0_hz'].append(f0)
      out['f0_confidence'].append(conf)
      out['loudness_db'].append(ld)
      next_frame += n
      keep_from = next_frame * hop - ctx - buf_start
      buf = buf[keep_from:]
      buf_start += keep_from

    for block in blocks:
      n_read += block.size
      buf = np.concatenate([buf, block])
      # Emit while a full block and its right context are available.
      while buf_start + buf.size >= (next_frame + bf) * hop + ctx:
        emit(bf)
    n_frames = n_read // hop
    while next_frame < n_frames:
      emit(min(bf, n_frames - next_frame))
    feats = {k: (np.concatenate(v) if v else np.zeros([0], np.float32))
             for k, v in out.items()}
    feats['n_samples'] = n_read
    return feats


# ------------------------------------------------------------------------------
# Adjustments (the Colab's "auto-adjust" and manual shifts).
# ------------------------------------------------------------------------------
def shift_ld(features, ld_shift=0.0):
  """Adds `ld_shift` dB to the loudness."""
  features['loudness_db'] = features['loudness_db'] + ld_shift
  return features


def shift_f0(features, pitch_shift=0.0):
  """Shifts f0 by octaves; clipped to [0, midi_to_hz(110)]."""
  from ddsp import core  # pylint: disable=g-import-not-at-top
  max_hz = float(core.midi_to_hz(110.0))
  features['f0_hz'] = np.clip(features['f0_hz'] * 2.0**pitch_shift, 0.0,
                              max_hz).astype(np.float32)
  return features


def auto_adjust(features, ds_stats, threshold=1.0, quiet=20.0, autotune=0.0,
                verbose=True):
  """Moves register and loudness towards the training data's statistics.

  * octave shift of the note-on mean pitch towards `mean_pitch`
    (octaves rounded down when above 1.5, else up, as the Colab);
  * note-on loudness histogram-matched to the training loudness through the
    quantile transforms;
  * note-off frames lowered by quiet * (1 - note_on_ratio) dB;
  * optional auto-tune towards the inferred key (0..1).

  Args:
    features: dict with 'f0_hz', 'f0_confidence', 'loudness_db' [n].
    ds_stats: Dataset statistics dict (postprocessing).
    threshold: Note detection threshold (detect_notes note_threshold).
    quiet: dB to lower note-off frames.
    autotune: Amount of auto-tune in [0, 1].
    verbose: Print what is done.

  Returns:
    (adjusted features dict, mask_on, note_on_ratio); unchanged features when
    no note is detected.
  """
  from ddsp import core  # pylint: disable=g-import-not-at-top
  from ddsp.colab import colab_utils  # pylint: disable=g-import-not-at-top
  from ddsp.training import postprocessing  # pylint: disable=g-import-not-at-top
  feats = dict(features)
  ld = np.asarray(feats['loudness_db'])
  conf = np.asarray(feats['f0_confidence'])
  mask_on, ratio = postprocessing.detect_notes(ld, conf, threshold)
  if not np.any(mask_on):
    if verbose:
      print('Skipping auto-adjust (no notes detected).')
    return feats, mask_on, ratio

  pitch = np.asarray(core.hz_to_midi(feats['f0_hz']))
  octaves = (float(ds_stats['mean_pitch']) - np.mean(pitch[mask_on])) / 12.0
  octaves = np.floor(octaves) if octaves > 1.5 else np.ceil(octaves)
  if verbose:
    print(f'Auto-adjust: shifting pitch by {int(octaves):+d} octave(s).')
  feats = shift_f0(feats, octaves)

  _, ld_norm = postprocessing.fit_quantile_transform(
      ld, mask_on, inv_quantile=ds_stats['quantile_transform'])
  mask_off = ~mask_on
  ld_norm[mask_off] -= quiet * (1.0 - ratio[mask_off][:, np.newaxis])
  feats['loudness_db'] = np.reshape(ld_norm, ld.shape).astype(np.float32)

  if autotune:
    f0_midi = np.asarray(core.hz_to_midi(feats['f0_hz']))
    tuning = colab_utils.get_tuning_factor(f0_midi, conf, mask_on)
    f0_midi = colab_utils.auto_tune(f0_midi, tuning, mask_on,
                                    amount=autotune)
    feats['f0_hz'] = np.asarray(core.midi_to_hz(f0_midi), np.float32)
  return feats, mask_on, ratio


# ------------------------------------------------------------------------------
# Streaming synthesis.
# ------------------------------------------------------------------------------
def synthesize_stream(synth, f0_hz, loudness_db, block_frames, preroll,
                      crossfade):
  """Yields audio blocks of the whole feature track.

  Block j covers frames [j*B, (j+1)*B); the model sees `preroll` frames
  before it (RNN warm-up, reverb tail) and `crossfade` after it; the
  overlapping `crossfade` frames are linearly crossfaded into the next
  block. `synth.n_frames` must equal preroll + block_frames + crossfade.

  Yields:
    float32 audio blocks at the model rate; concatenated length
    n_frames * hop.
  """
  hop = synth.info.hop_size
  n_frames = len(f0_hz)
  fade_n = crossfade * hop
  fade_in = np.linspace(0.0, 1.0, fade_n, endpoint=False, dtype=np.float32)
  tail = None
  for start in range(0, n_frames, block_frames):
    lo = start - preroll
    hi = min(start + block_frames + crossfade, n_frames)
    f0 = np.zeros([hi - lo], np.float32)
    ld = np.full([hi - lo], -80.0, np.float32)
    src = slice(max(lo, 0), hi)
    f0[max(lo, 0) - lo:] = f0_hz[src]
    ld[max(lo, 0) - lo:] = loudness_db[src]
    if lo < 0 and hi > 0:
      f0[:-lo] = f0_hz[0]  # Hold the first pitch during the warm-up.
    audio = synth(f0, ld)
    body_end = min(start + block_frames, n_frames)
    block = audio[preroll * hop:(preroll + body_end - start) * hop].copy()
    if tail is not None and fade_n:
      k = min(fade_n, block.size, tail.size)
      block[:k] = block[:k] * fade_in[:k] + tail[:k] * (1.0 - fade_in[:k])
    tail_start = (preroll + body_end - start) * hop
    tail = audio[tail_start:tail_start + fade_n].copy()
    yield block


@dataclasses.dataclass
class TransferReport:
  seconds_in: float
  seconds_out: float
  wall_seconds: float
  feature_seconds: float
  synth_seconds: float

  @property
  def real_time_factor(self):
    """Processing time / audio duration (< 1 is faster than real time)."""
    return self.wall_seconds / max(self.seconds_in, 1e-9)


def transfer_file(checkpoint_dir,
                  input_path,
                  output_path,
                  pitch_shift=0.0,
                  loudness_shift=0.0,
                  auto_adjust_on=True,
                  quiet=20.0,
                  autotune=0.0,
                  threshold=1.0,
                  crepe_model='full',
                  viterbi=True,
                  block_seconds=DEFAULT_BLOCK_SECONDS,
                  preroll_seconds=1.0,
                  crossfade_seconds=0.05,
                  features_out=None,
                  verbose=True):
  """Timbre transfer of an audio file (see module docstring).

  Returns:
    TransferReport.
  """
  import soundfile as sf  # pylint: disable=g-import-not-at-top
  t0 = time.time()
  files = find_model_dir(checkpoint_dir)
  ds_stats = load_statistics(files)
  info = read_model_info(files.gin_file)

  # 1. Features of the whole input, streamed.
  stream = AudioStream(input_path, CREPE_RATE, block_seconds)
  extractor = FeatureExtractor(info.frame_rate, crepe_model, viterbi,
                               block_frames=int(block_seconds *
                                                info.frame_rate))
  feats = extractor.stream(stream.blocks())
  seconds_in = feats['n_samples'] / CREPE_RATE
  t1 = time.time()
  if len(feats['f0_hz']) == 0:
    raise ValueError(f'--input {input_path} is too short (less than one '
                     'frame).')

  # 2. Adjustments.
  original = {k: feats[k] for k in ('f0_hz', 'f0_confidence', 'loudness_db')}
  adjusted = dict(original)
  if auto_adjust_on:
    if ds_stats is None:
      print('No dataset_statistics.pkl next to the checkpoint: skipping '
            'auto-adjust.')
    else:
      adjusted, _, _ = auto_adjust(adjusted, ds_stats, threshold, quiet,
                                   autotune, verbose)
  adjusted = shift_ld(adjusted, loudness_shift)
  adjusted = shift_f0(adjusted, pitch_shift)
  if features_out is not None:
    features_out.update({'original': original, 'adjusted': adjusted})

  # 3. Synthesis, streamed to the output file.
  block = int(block_seconds * info.frame_rate)
  preroll = int(preroll_seconds * info.frame_rate)
  fade = int(crossfade_seconds * info.frame_rate)
  synth = BlockSynthesizer(files, preroll + block + fade)
  n_out = 0
  out_dir = os.path.dirname(os.path.abspath(output_path))
  os.makedirs(out_dir, exist_ok=True)
  with sf.SoundFile(output_path, 'w', samplerate=info.sample_rate,
                    channels=1) as out:
    for audio in synthesize_stream(synth, adjusted['f0_hz'],
                                   adjusted['loudness_db'], block, preroll,
                                   fade):
      out.write(np.clip(audio, -1.0, 1.0))
      n_out += audio.size
  t2 = time.time()
  report = TransferReport(seconds_in, n_out / info.sample_rate, t2 - t0,
                          t1 - t0, t2 - t1)
  if verbose:
    print(f'Wrote {output_path}: {report.seconds_out:.2f} s at '
          f'{info.sample_rate} Hz. Real-time factor '
          f'{report.real_time_factor:.3f} (features {report.feature_seconds:.1f}'
          f' s, synthesis {report.synth_seconds:.1f} s, total '
          f'{report.wall_seconds:.1f} s for {seconds_in:.1f} s of audio).')
  return report


# ------------------------------------------------------------------------------
# Command line.
# ------------------------------------------------------------------------------
# Flags are defined with allow_override=True: several ddsp command modules
# share flag names (save_dir, viterbi, gin_param, ...), and importing two of
# them in one process (tests, notebooks) must not raise DuplicateFlagError.
flags.DEFINE_string('checkpoint_dir', None,
                    'Model folder (operative_config-*.gin, ckpt-*, optional '
                    'dataset_statistics.pkl) or a zip of one.', allow_override=True)
flags.DEFINE_string('input', None, 'Input audio file (any length/format).', allow_override=True)
flags.DEFINE_string('output', None, 'Output .wav file.', allow_override=True)
flags.DEFINE_float('pitch_shift', 0.0, 'Pitch shift in octaves.', allow_override=True)
flags.DEFINE_float('loudness_shift', 0.0, 'Loudness shift in dB.', allow_override=True)
flags.DEFINE_boolean('auto_adjust', True,
                     'Match register and loudness to the dataset '
                     'statistics (needs dataset_statistics.pkl).', allow_override=True)
flags.DEFINE_float('quiet', 20.0, 'dB to lower the parts without notes.', allow_override=True)
flags.DEFINE_float('autotune', 0.0, 'Auto-tune amount, 0 (off) .. 1.', allow_override=True)
flags.DEFINE_float('threshold', 1.0, 'Note detection threshold.', allow_override=True)
flags.DEFINE_enum('crepe_model', 'full', ['full', 'large', 'medium', 'small',
                                          'tiny'],
                  'CREPE model size for pitch (full = the Colab).', allow_override=True)
flags.DEFINE_boolean('viterbi', True, 'Viterbi smoothing of the f0.', allow_override=True)
flags.DEFINE_float('block_seconds', DEFAULT_BLOCK_SECONDS,
                   'Synthesis block length (memory does not depend on the '
                   'input length).', allow_override=True)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  for name in ('checkpoint_dir', 'input', 'output'):
    if not getattr(FLAGS, name):
      raise app.UsageError(f'--{name} is required.')
  if not 0.0 <= FLAGS.autotune <= 1.0:
    raise app.UsageError('--autotune must be in [0, 1].')
  try:
    transfer_file(FLAGS.checkpoint_dir, FLAGS.input, FLAGS.output,
                  pitch_shift=FLAGS.pitch_shift,
                  loudness_shift=FLAGS.loudness_shift,
                  auto_adjust_on=FLAGS.auto_adjust, quiet=FLAGS.quiet,
                  autotune=FLAGS.autotune, threshold=FLAGS.threshold,
                  crepe_model=FLAGS.crepe_model, viterbi=FLAGS.viterbi,
                  block_seconds=FLAGS.block_seconds)
  except (ValueError, FileNotFoundError) as e:
    print(f'ddsp_timbre_transfer: error: {e}', file=sys.stderr)
    sys.exit(1)


def console_entry_point():
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
