"""Apache Beam pipeline: audio files -> TFRecords of training examples.

Each output record is a `tf.train.Example` of float32 `float_list`s: 'audio'
at sample_rate, 'audio_16k' at CREPE's 16 kHz, and the frame features
'f0_hz', 'f0_confidence' (CREPE) and 'loudness_db' (A-weighted). Names and
lengths are those of `ddsp.features.tfrecord_layout`, which the data
providers read with (4 s at 16 kHz, 250 frames/s: 64000, 64000 and 1000
values, 1001 with `center`).

Pipeline (the original DDSP 3.7.0 pipeline):
  load (mono, resampled: `ddsp.features.audio`) -> non-overlapping chunks of
  chunk_secs (last one zero padded) -> f0 (CREPE, Viterbi) and loudness per
  chunk (`ddsp.features.f0_loudness`) -> optional train/eval split of the
  chunks -> overlapping example windows of example_secs every hop_secs
  (here: none made mostly of the padding) -> sharded TFRecords.

Beyond the original:
  * Files are read chunk by chunk and examples go straight from the
    features to the shard files, so memory does not grow with file length
    (benchmarks/prepare_memory.py), and the chunks of one long file are
    spread over workers.
  * A bad input file (unreadable, empty, truncated, NaN/inf samples) is
    logged once with the reason and skipped; the run goes on.
  * Frame rates whose hop is not a whole number of samples, and example
    hops that are not whole frames, are refused before anything is read.
  * Records are written by a streaming sharded writer (no GroupByKey of the
    examples), so memory stays flat with any `num_shards`.
  * Progress (chunks / files done, ETA) is logged every
    `PROGRESS_INTERVAL_SECS`, and a summary at the end; `prepare_tfrecord`
    returns the summary as a dict.
  * The train/eval split is deterministic: chunks are keyed by a stable hash
    of (file, chunk index) instead of the process-salted Python `hash()` of
    the audio bytes; as in the original, the first
    `int(n_chunks * eval_split_fraction)` keys (in sorted order) go to eval.
"""

import hashlib
import json
import os
import time
import uuid

from absl import logging
import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.transforms import window as beam_window
from ddsp import atomic_files
from ddsp import crepe_frontend
from ddsp import errors
from ddsp.features import audio as audio_lib
from ddsp.features import f0_loudness
from ddsp.features import tfrecord_layout
from ddsp.training import output_paths
import numpy as np
import tensorflow as tf

_NAMESPACE = 'prepare-tfrecord'
PROGRESS_INTERVAL_SECS = 30.0
SKIPPED_TAG = 'skipped'


def _counter(name):
  return Metrics.counter(_NAMESPACE, name)


# ---------------------------------------------------------------------------
# Example dicts (names of the original DDSP 3.7.0 helpers).
# ---------------------------------------------------------------------------
def _n_chunks(n_samples, chunk_size):
  """tf.signal.frame(pad_end=True) count: ceil(n / chunk)."""
  return -(-int(n_samples) // int(chunk_size)) if n_samples > 0 else 0


def _padding(center):
  return 'center' if center else 'same'


def _add_f0_estimate(ex, frame_rate, center, viterbi, model_capacity=None):
  """Adds 'f0_hz' and 'f0_confidence' (CREPE on 'audio_16k').

  `model_capacity` (CREPE size) None uses compute_f0's default: 'full' like
  the original unless DDSP_CREPE_MODEL_CAPACITY says otherwise.
  """
  _counter('estimate-f0').inc()
  f0_hz, f0_confidence = f0_loudness.f0(
      ex['audio_16k'], crepe_frontend.SAMPLE_RATE, frame_rate,
      padding=_padding(center), viterbi=viterbi,
      model_capacity=model_capacity)
  ex = dict(ex)
  ex.update({'f0_hz': f0_hz, 'f0_confidence': f0_confidence})
  return ex


def _add_loudness(ex, frame_rate, n_fft=512, center=False):
  """Adds 'loudness_db' (A-weighted, from 'audio_16k')."""
  _counter('compute-loudness').inc()
  ex = dict(ex)
  ex['loudness_db'] = f0_loudness.loudness(
      ex['audio_16k'], crepe_frontend.SAMPLE_RATE, frame_rate,
      padding=_padding(center), n_fft=n_fft)
  return ex


def _split_example(ex, sample_rate, frame_rate, example_secs, hop_secs,
                   center, real_seconds=None):
  """Cuts a sequence dict into overlapping example windows (generator).

  Window lengths and hops of each feature come from
  `tfrecord_layout.TFRecordLayout`; window i of a feature starts at
  i * hop, i = 0 .. floor((len - window) / hop). Features are zipped: the
  shortest count wins.

  With `real_seconds` (the audio in the sequence before its zero padding),
  windows after the first that hold less than half an example of it are
  left out: min(example_secs, real_seconds - i * hop_secs) < example_secs / 2.
  """
  _counter('split-example').inc()
  layout = tfrecord_layout.TFRecordLayout(sample_rate, frame_rate,
                                          example_secs, center)
  lengths = layout.lengths()
  hops = layout.hops(hop_secs)

  def get_windows(sequence, window, hop):
    n_windows = (len(sequence) - window) // hop + 1
    for i in range(max(n_windows, 0)):
      yield sequence[i * hop:i * hop + window]

  keys = [k for k in lengths if k in ex]
  windows = [get_windows(ex[k], lengths[k], hops[k]) for k in keys]
  for i, values in enumerate(zip(*windows)):
    if (i > 0 and real_seconds is not None and
        real_seconds - i * hop_secs < example_secs / 2.0):
      return
    yield dict(zip(keys, values))


def _float_dict_to_tfexample(float_dict):
  """{key: float array} -> tf.train.Example with one FloatList per key."""
  return tf.train.Example(features=tf.train.Features(feature={
      k: tf.train.Feature(float_list=tf.train.FloatList(
          value=np.asarray(v, np.float32).ravel()))
      for k, v in float_dict.items()}))


def _select_eval_keys(all_ids, eval_fraction):
  """Frozen set of the first int(n * fraction) keys in sorted order."""
  n_eval = int(len(all_ids) * eval_fraction)
  return frozenset(sorted(all_ids)[:n_eval])


def _partition_by_eval_keys(example, num_partitions, eval_keys):
  del num_partitions
  return 0 if example[0] in eval_keys else 1


def _stable_key(data):
  if isinstance(data, str):
    data = data.encode('utf-8')
  return int.from_bytes(hashlib.sha1(data).digest()[:8], 'big')


# ---------------------------------------------------------------------------
# Streaming pipeline stages.
# ---------------------------------------------------------------------------
class _PlanFileFn(beam.DoFn):
  """Checks one input file and emits its chunk tasks.

  A bad file is logged once (path and reason) and skipped. A task is a small
  dict {'path', 'index', 'n_chunks', 'start', 'stop', 'start_16k',
  'stop_16k', 'seconds', 'key'}: output sample ranges of the resampled file.
  """

  def __init__(self, sample_rate, chunk_secs):
    super().__init__()
    self._sample_rate = sample_rate
    self._chunk_secs = chunk_secs

  def process(self, path):
    rate_16k = crepe_frontend.SAMPLE_RATE
    try:
      with audio_lib.AudioSource(path) as source:
        peak = source.scan()
        n_frames, rate = source.n_frames, source.sample_rate
        total = source.length_at(self._sample_rate)
        total_16k = source.length_at(rate_16k)
    except audio_lib.AudioFileError as e:
      yield self._skip(path, e.reason)
      return
    except Exception as e:  # pylint: disable=broad-except
      yield self._skip(path, f'{type(e).__name__}: '
                       f'{audio_lib.short_error(e)}')
      return
    if self._chunk_secs:
      size = tfrecord_layout.n_samples(self._chunk_secs, self._sample_rate)
      size_16k = tfrecord_layout.n_samples(self._chunk_secs, rate_16k)
      n_chunks = _n_chunks(total, size)
      if n_chunks != _n_chunks(total_16k, size_16k):
        yield self._skip(path, f'{n_chunks} chunks at {self._sample_rate} Hz '
                         f'but {_n_chunks(total_16k, size_16k)} at 16 kHz')
        return
    else:
      size, size_16k, n_chunks = total, total_16k, 1
    _counter('files-ok').inc()
    _counter('audio-ms').inc(int(round(1000.0 * n_frames / rate)))
    if n_chunks == 0:
      yield self._note(path, f'no samples at {self._sample_rate} Hz: '
                       'no examples')
    elif peak == 0.0:
      yield self._note(path, 'silent (all samples are 0): kept, f0 '
                       'confidence will be low and loudness -80 dB')
    if n_chunks and rate < UPSAMPLED_SHARE * self._sample_rate:
      yield self._note(path, upsampled_note(rate, self._sample_rate))
    for i in range(n_chunks):
      yield {'path': path, 'index': i, 'n_chunks': n_chunks,
             'start': i * size, 'stop': (i + 1) * size,
             'start_16k': i * size_16k, 'stop_16k': (i + 1) * size_16k,
             'seconds': min(size_16k, max(total_16k - i * size_16k, 0)) /
                        rate_16k,
             'key': _stable_key(f'{path}#{i}')}

  @staticmethod
  def _skip(path, reason):
    """Counts a bad file; the reason is logged once by the launcher."""
    logging.debug('Skipping %s: %s', path, reason)
    _counter('files-skipped').inc()
    return beam.pvalue.TaggedOutput(SKIPPED_TAG, (path, reason))

  @staticmethod
  def _note(path, text):
    """A remark on a file that is kept (logged once by the launcher)."""
    return beam.pvalue.TaggedOutput(SKIPPED_TAG, (path, text, 'kept'))


# Files below this share of --sample_rate get a note (44.1 kHz files at
# 48 kHz miss only 22.05-24 kHz and do not).
UPSAMPLED_SHARE = 0.9
# The audio rates of the model configs in gin/models (a test keeps them
# in step with the configs).
SHIPPED_CONFIG_RATES = (16000, 32000, 44100, 48000)


def upsampled_note(file_rate, sample_rate):
  """What a file recorded well below --sample_rate means for its model.

  Resampled up, the file holds nothing between file_rate / 2 and
  sample_rate / 2. A model must then match silence there, and a harmonic
  synthesiser with many harmonics (models/vst/vst_32k.gin and vst_48k.gin
  have 100) can collapse on such data (README, "Every instrument learns").
  """
  return (f'recorded at {file_rate} Hz, below --sample_rate={sample_rate}: '
          f'kept, but it holds nothing above {file_rate / 2000:g} kHz. A '
          f'{sample_rate / 1000:g} kHz model with many harmonics '
          '(models/vst/vst_32k.gin, vst_48k.gin) can end up playing only '
          'noise after training on such data; prepare it at --sample_rate='
          f'{_config_rate_for(file_rate)} for a config of that rate, or use '
          f'recordings made at {sample_rate} Hz.')


def _config_rate_for(file_rate):
  """The highest shipped config rate a file of file_rate Hz fills."""
  return max([r for r in SHIPPED_CONFIG_RATES if r <= file_rate],
             default=min(SHIPPED_CONFIG_RATES))


def _write_skip_report(skipped, report_path):
  """Writes [(path, reason[, 'kept'])] of the skipped files as JSON."""
  atomic_files.write_bytes(report_path, json.dumps(sorted(skipped)).encode())


def _log_skip_report(report_path):
  """Logs one line per skipped file (in the launching process).

  Returns:
    [(path, reason)] of the skipped files.
  """
  if not tf.io.gfile.exists(report_path):
    return []
  with tf.io.gfile.GFile(report_path) as f:
    entries = json.loads(f.read())
  tf.io.gfile.remove(report_path)
  skipped = []
  for entry in entries:
    if len(entry) > 2:
      logging.warning('Note on %s: %s', entry[0], entry[1])
    else:
      logging.error('Skipped %s: %s', entry[0], entry[1])
      skipped.append(tuple(entry))
  return skipped


class _Progress:
  """Logs chunks / files done and an ETA at most every interval seconds."""

  def __init__(self, n_workers, interval=None):
    self._n_workers = max(int(n_workers or 1), 1)
    self._interval = PROGRESS_INTERVAL_SECS if interval is None else interval
    self._start = None
    self._last = None
    self.chunks = 0
    self.files = 0
    self.seconds = 0.0

  def update(self, task, totals):
    now = time.time()
    if self._start is None:
      self._start = self._last = now
    self.chunks += 1
    self.seconds += task['seconds']
    if task['index'] == task['n_chunks'] - 1:
      self.files += 1
    if now - self._last < self._interval:
      return
    self._last = now
    n_chunks, n_files, total_secs = totals
    elapsed = now - self._start
    rate = self.seconds / max(elapsed, 1e-9)
    share = total_secs / self._n_workers
    eta = max(share - self.seconds, 0.0) / max(rate, 1e-9)
    logging.info(
        'prepare_tfrecord progress (worker %d): %d chunks, %d files finished '
        '(pipeline total: %d chunks in %d files, %.0f s of audio); '
        '%.0f s of audio in %.0f s (%.2f audio-s/s); ETA ~%.0f s.',
        os.getpid(), self.chunks, self.files, n_chunks, n_files, total_secs,
        self.seconds, elapsed, rate, eta)


class _ProcessChunkFn(beam.DoFn):
  """Loads one chunk, adds f0 + loudness, yields example dicts."""

  def __init__(self, sample_rate, frame_rate, example_secs, hop_secs,
               center, viterbi, crepe_model, n_workers,
               padded_examples=False):
    super().__init__()
    self._padded_examples = padded_examples
    self._sample_rate = sample_rate
    self._frame_rate = frame_rate
    self._example_secs = example_secs
    self._hop_secs = hop_secs
    self._center = center
    self._viterbi = viterbi
    self._crepe_model = crepe_model
    self._n_workers = n_workers
    self._progress = None

  def setup(self):
    self._progress = _Progress(self._n_workers)

  def process(self, task, totals=(0, 0, 0.0)):
    ex = self._load_chunk(task)
    if self._frame_rate:
      ex = _add_f0_estimate(ex, self._frame_rate, self._center, self._viterbi,
                            self._crepe_model)
      ex = _add_loudness(ex, self._frame_rate, 512, self._center)
    if self._example_secs:
      examples = _split_example(
          ex, self._sample_rate, self._frame_rate, self._example_secs,
          self._hop_secs, self._center,
          None if self._padded_examples else task['seconds'])
    else:
      examples = [ex]
    for example in examples:
      _counter('examples').inc()
      yield example
    if self._progress is None:
      self._progress = _Progress(self._n_workers)
    self._progress.update(task, totals)

  def _load_chunk(self, task):
    _counter('load-audio').inc()
    rate_16k = crepe_frontend.SAMPLE_RATE
    with audio_lib.AudioSource(task['path']) as source:
      audio = source.resampled(self._sample_rate, task['start'], task['stop'])
      if self._sample_rate == rate_16k:
        audio_16k = audio
      else:
        audio_16k = source.resampled(rate_16k, task['start_16k'],
                                     task['stop_16k'])
    return {'audio': audio, 'audio_16k': audio_16k}


# ---------------------------------------------------------------------------
# Streaming sharded TFRecord writer.
# ---------------------------------------------------------------------------
def _shard_name(prefix, index, count):
  return f'{prefix}-{index:05d}-of-{count:05d}'


class _WriteTempShardsFn(beam.DoFn):
  """Writes examples to per-bundle temporary TFRecord files.

  Each example goes to a random shard (or to the bundle's single file when
  `num_shards` is None). Emits (shard or None, temp path, n_records) at the
  end of each bundle.
  """

  def __init__(self, temp_dir, num_shards):
    super().__init__()
    self._temp_dir = temp_dir
    self._num_shards = num_shards
    self._writers = None
    self._rng = None

  def start_bundle(self):
    self._writers = {}
    self._rng = np.random.default_rng()

  def process(self, example):
    if self._num_shards:
      shard = int(self._rng.integers(self._num_shards))
    else:
      shard = None
    if shard not in self._writers:
      path = os.path.join(self._temp_dir, f'{uuid.uuid4().hex}.tfrecord')
      self._writers[shard] = [tf.io.TFRecordWriter(path), path, 0]
    entry = self._writers[shard]
    entry[0].write(_float_dict_to_tfexample(example).SerializeToString())
    entry[2] += 1

  def finish_bundle(self):
    for shard, (writer, path, count) in self._writers.items():
      writer.close()
      yield beam_window.GlobalWindows.windowed_value((shard, path, count))
    self._writers = {}


class _ProcessAndWriteFn(_WriteTempShardsFn):
  """_ProcessChunkFn and _WriteTempShardsFn in one step.

  Examples go straight from the features to the temp shard files, so they
  never form a PCollection that a runner might materialise (Beam's
  FnApiRunner does not always fuse the two steps, which made memory grow
  with the input length).
  """

  def __init__(self, process_fn, temp_dir, num_shards):
    super().__init__(temp_dir, num_shards)
    self._process_fn = process_fn

  def setup(self):
    self._process_fn.setup()

  def process(self, task, totals=(0, 0, 0.0)):  # pytype: disable=signature-mismatch
    for example in self._process_fn.process(task, totals):
      super().process(example)


def _copy_into(dest, sources):
  """Concatenates TFRecord files (records are self-delimiting)."""
  with tf.io.gfile.GFile(dest, 'wb') as out:
    for source in sources:
      with tf.io.gfile.GFile(source, 'rb') as f:
        while True:
          block = f.read(16 << 20)
          if not block:
            break
          out.write(block)


def _finalize_shards(temp_files, prefix, num_shards, temp_dir):
  """Moves temp files to `<prefix>-SSSSS-of-NNNNN`; returns #records."""
  temp_files = sorted(temp_files, key=lambda t: (t[0] is None, t[0] or 0,
                                                 t[1]))
  if num_shards:
    groups = [[t for t in temp_files if t[0] == s] for s in range(num_shards)]
  else:
    groups = [[t] for t in temp_files] or [[]]
  count = len(groups)
  n_records = 0
  for i, group in enumerate(groups):
    dest = _shard_name(prefix, i, count)
    paths = [t[1] for t in group]
    n_records += sum(t[2] for t in group)
    if not paths:
      with atomic_files.temporary_path(dest) as temporary:
        tf.io.TFRecordWriter(temporary).close()  # Empty shard, like Beam.
    elif len(paths) == 1:
      atomic_files.move_into_place(paths[0], dest)
    else:
      with atomic_files.temporary_path(dest) as temporary:
        _copy_into(temporary, paths)
  if tf.io.gfile.exists(temp_dir):
    tf.io.gfile.rmtree(temp_dir)
  logging.info('Wrote %d records to %d shard(s) %s', n_records, count,
               _shard_name(prefix, 0, count).replace('-00000-', '-?????-'))
  return n_records


def num_shards_problem(num_shards):
  """What is wrong with a number of shards (None: any), or None."""
  if num_shards is not None and num_shards < 1:
    return f'num_shards must be >= 1, got {num_shards}'
  return None


class WriteShardedTFRecords(beam.PTransform):
  """Writes example dicts to `<prefix>-SSSSS-of-NNNNN` TFRecord files."""

  def __init__(self, prefix, num_shards=None, temp_root=None,
               write_fn=None, **side_inputs):
    """Constructor.

    Args:
      prefix: output path prefix.
      num_shards: number of output files (None: one per writer bundle).
      temp_root: folder for the temporary files (default: prefix's folder).
      write_fn: optional `fn(temp_dir, num_shards) -> DoFn` writing the
        temp files (default `_WriteTempShardsFn`, input = example dicts).
      **side_inputs: side inputs passed to the write DoFn.
    """
    super().__init__()
    self._prefix = prefix
    self._num_shards = num_shards
    self._write_fn = write_fn or _WriteTempShardsFn
    self._side_inputs = side_inputs
    self._temp_dir = os.path.join(
        temp_root or os.path.dirname(prefix) or '.',
        f'.temp-{os.path.basename(prefix)}-{uuid.uuid4().hex}')

  def expand(self, pcoll):
    temp_dir = self._temp_dir
    tf.io.gfile.makedirs(temp_dir)
    return (pcoll
            | 'WriteTemp' >> beam.ParDo(
                self._write_fn(temp_dir, self._num_shards),
                **self._side_inputs)
            | 'Collect' >> beam.combiners.ToList()
            | 'Finalize' >> beam.Map(_finalize_shards, self._prefix,
                                     self._num_shards, temp_dir))


# ---------------------------------------------------------------------------
# Pipeline.
# ---------------------------------------------------------------------------
def _direct_num_workers(pipeline_options):
  options = pipeline_options.get_all_options()
  workers = options.get('direct_num_workers') or 1
  if workers == 0:
    workers = os.cpu_count() or 1
  return workers


def make_pipeline(options):
  """beam.Pipeline; the DirectRunner default runs on Beam's FnApiRunner.

  Beam >= 2.6x's DirectRunner first tries the Prism runner (downloaded from
  GitHub on first use) and falls back to the FnApiRunner. We go to the
  FnApiRunner directly: it needs no download and honours
  --direct_num_workers / --direct_running_mode (in_memory, multi_threading,
  multi_processing). Any other --runner (Dataflow, Flink, Spark, Prism) is
  used as given.
  """
  runner_name = options.view_as(
      beam.options.pipeline_options.StandardOptions).runner
  if runner_name in (None, 'DirectRunner', 'direct', 'Direct'):
    from apache_beam.runners.portability.fn_api_runner import fn_runner  # pylint: disable=g-import-not-at-top
    return beam.Pipeline(runner=fn_runner.FnApiRunner(), options=options)
  try:
    return beam.Pipeline(options=options)
  except ValueError as e:  # An unknown runner.
    raise errors.BadValueError(f'--pipeline_options: {e}') from e


def _check_layout(sample_rate, frame_rate, example_secs, hop_secs, center):
  """Raises ValueError for rates or hops the TFRecord layout refuses."""
  layout = tfrecord_layout.TFRecordLayout(sample_rate, frame_rate,
                                          example_secs or 0, center)
  layout.check_writable()
  if example_secs:
    layout.hops(hop_secs)


def _check_lengths(example_secs, hop_secs, chunk_secs, eval_split_fraction,
                   num_shards):
  """Raises ValueError for lengths, fractions or counts that make no sense."""
  problems = []
  if example_secs is not None and example_secs < 0:
    problems.append(f'example_secs must be >= 0 (0: whole chunks), got '
                    f'{example_secs}')
  if example_secs and not hop_secs > 0:
    problems.append(f'hop_secs must be > 0, got {hop_secs}')
  if chunk_secs is not None and chunk_secs < 0:
    problems.append(f'chunk_secs must be >= 0 (0: whole files), got '
                    f'{chunk_secs}')
  if not 0.0 <= (eval_split_fraction or 0.0) < 1.0:
    problems.append('eval_split_fraction must be in [0, 1), got '
                    f'{eval_split_fraction}')
  problems += [p for p in [num_shards_problem(num_shards)] if p]
  if problems:
    raise errors.BadValueError('; '.join(problems) + '.')


def _shard_stats(output_tfrecord_path):
  """{path: (mtime_nsec, length)} of the shards of an output prefix."""
  stats = {}
  for path in tf.io.gfile.glob(output_tfrecord_path + '-*-of-*'):
    stat = tf.io.gfile.stat(path)
    stats[path] = (stat.mtime_nsec, stat.length)
  return stats


def _remove_if_empty(output_tfrecord_path, before):
  """Removes this run's shards when none holds a record (0-byte files).

  Args:
    output_tfrecord_path: The output prefix.
    before: `_shard_stats` before the run: a shard is this run's when it is
      new or changed (file times are too coarse to compare with the clock).
  """
  stats = _shard_stats(output_tfrecord_path)
  written = [p for p, st in stats.items() if before.get(p) != st]
  if written and all(stats[p][1] == 0 for p in written):
    for path in written:
      tf.io.gfile.remove(path)


def _query_counters(result):
  """{counter name: value} of this pipeline's counters (0 if unavailable)."""
  values = {}
  try:
    query = result.metrics().query(MetricsFilter().with_namespace(_NAMESPACE))
    for counter in query['counters']:
      value = counter.committed
      if value is None:
        value = counter.attempted
      name = counter.key.metric.name
      values[name] = values.get(name, 0) + (value or 0)
  except Exception as e:  # pylint: disable=broad-except
    logging.warning('Could not read pipeline metrics: %s', e)
  return values


def _run_pipeline(options, paths, output_tfrecord_path, num_shards,
                  process_fn, sample_rate, chunk_secs, eval_split_fraction,
                  temp_root, report_path):
  """Runs the Beam pipeline of `prepare_tfrecord`; its result (or None)."""
  with make_pipeline(options) as pipeline:
    planned = (pipeline
               | 'Create' >> beam.Create(paths)
               | 'PlanFiles' >> beam.ParDo(
                   _PlanFileFn(sample_rate, chunk_secs)).with_outputs(
                       SKIPPED_TAG, main='tasks'))
    tasks = planned.tasks
    _ = (planned[SKIPPED_TAG]
         | 'CollectSkipped' >> beam.combiners.ToList()
         | 'ReportSkipped' >> beam.Map(_write_skip_report, report_path))
    totals = beam.pvalue.AsSingleton(
        tasks
        | 'Totals' >> beam.combiners.ToList()
        | 'CountTotals' >> beam.Map(lambda ts: (  # pylint: disable=g-long-lambda
            len(ts), sum(1 for t in ts if t['index'] == 0),
            sum(t['seconds'] for t in ts))))

    def postprocess(split_tasks, output_path, suffix):
      return (split_tasks
              | f'Reshuffle{suffix}' >> beam.Reshuffle()
              | f'ProcessAndWrite{suffix}' >> WriteShardedTFRecords(
                  output_path, num_shards, temp_root,
                  write_fn=lambda d, n: _ProcessAndWriteFn(process_fn, d, n),
                  totals=totals))

    if eval_split_fraction:
      eval_keys = beam.pvalue.AsSingleton(
          tasks
          | 'Keys' >> beam.Map(lambda t: t['key'])
          | 'AllKeys' >> beam.combiners.ToList()
          | 'EvalKeys' >> beam.Map(_select_eval_keys, eval_split_fraction))
      eval_split, train_split = (
          tasks
          | 'AddKey' >> beam.Map(lambda t: (t['key'], t))
          | 'EvalSplit' >> beam.Partition(_partition_by_eval_keys, 2,
                                          eval_keys))
      postprocess(eval_split | 'DropKey_eval' >> beam.Values(),
                  f'{output_tfrecord_path}-eval', '_eval')
      postprocess(train_split | 'DropKey_train' >> beam.Values(),
                  f'{output_tfrecord_path}-train', '_train')
    else:
      postprocess(tasks, output_tfrecord_path, '')
  return pipeline.result if hasattr(pipeline, 'result') else None


def prepare_tfrecord(input_audio_paths,
                     output_tfrecord_path,
                     num_shards=None,
                     sample_rate=16000,
                     frame_rate=250,
                     example_secs=4,
                     hop_secs=1,
                     eval_split_fraction=0.0,
                     chunk_secs=20.0,
                     center=False,
                     viterbi=True,
                     pipeline_options=(),
                     crepe_model=None,
                     padded_examples=False):
  """Prepares TFRecords of audio, f0 and loudness from audio files.

  Args:
    input_audio_paths: audio file paths (wav, flac, ogg, mp3, ...; any
      sample rate and channel count; local or any tf.io.gfile filesystem).
    output_tfrecord_path: output prefix; files are
      `<prefix>-SSSSS-of-NNNNN` (or `<prefix>-train-...` and
      `<prefix>-eval-...` with an eval split).
    num_shards: number of output shards per split (None: one per writer
      bundle).
    sample_rate: rate of the 'audio' feature.
    frame_rate: rate of f0/loudness features; 0 or None: no such features.
    example_secs: example length in seconds; 0 or None: whole chunks/files.
    hop_secs: hop between examples in seconds.
    eval_split_fraction: fraction of chunks written to the eval split.
    chunk_secs: chunk length on which features are computed; 0 or None:
      whole files.
    center: 'center' padding for the frame features (one extra frame) rather
      than 'same'.
    viterbi: Viterbi decoding of the CREPE pitch.
    pipeline_options: Beam pipeline options (list of flag strings or a
      `PipelineOptions`).
    crepe_model: CREPE model size 'tiny' | 'small' | 'medium' | 'large' |
      'full'; None: 'full' like the original (unless the environment variable
      DDSP_CREPE_MODEL_CAPACITY names another size).
    padded_examples: Also cut examples out of the zero padding of each
      file's last chunk, as the original does (an 8 s file then gives 17
      examples of 4 s, 9 of them silent). By default an example after a
      chunk's first holds at least half an example of real audio.

  Returns:
    Summary dict: files_ok, files_skipped, skipped ([(path, reason)] of the
    skipped files), examples, audio_hours, seconds.

  Raises:
    errors.BadValueError: a negative length, a fraction outside [0, 1)
      or fewer than one shard; a frame rate whose hop is not a whole number
      of samples (the message lists nearby valid ones), or a hop_secs that
      is not a whole number of frames.
    errors.MissingPathError: no input file.
    errors.UnwritablePathError: the output path cannot be written.

  When no example comes out (every file skipped), the empty shards are
  removed, and so are the output folders the call made: nothing is left
  that a training run would take for data (`require_examples` tells).
  """
  start = time.time()
  _check_lengths(example_secs, hop_secs, chunk_secs, eval_split_fraction,
                 num_shards)
  _check_layout(sample_rate, frame_rate, example_secs, hop_secs, center)
  paths = list(input_audio_paths)
  if not paths:
    raise errors.MissingPathError('No input audio files given.')
  output_paths.check_file(output_tfrecord_path, 'output_tfrecord_path')
  if isinstance(pipeline_options, beam.options.pipeline_options.PipelineOptions):
    options = pipeline_options
  else:
    options = beam.options.pipeline_options.PipelineOptions(
        list(pipeline_options))
  n_workers = _direct_num_workers(options)
  process_fn = _ProcessChunkFn(sample_rate, frame_rate, example_secs,
                               hop_secs, center, viterbi, crepe_model,
                               n_workers, padded_examples)
  temp_root = os.path.dirname(output_tfrecord_path) or '.'
  report_path = os.path.join(temp_root, f'.skipped-{uuid.uuid4().hex}.json')

  before = _shard_stats(output_tfrecord_path)
  with output_paths.new_folders_removed(temp_root):
    result = _run_pipeline(options, paths, output_tfrecord_path, num_shards,
                           process_fn, sample_rate, chunk_secs,
                           eval_split_fraction, temp_root, report_path)
    _remove_if_empty(output_tfrecord_path, before)
    skipped = _log_skip_report(report_path)
  counters = _query_counters(result) if result is not None else {}
  summary = {
      'files_ok': int(counters.get('files-ok', 0)),
      'files_skipped': max(int(counters.get('files-skipped', 0)),
                           len(skipped)),
      'skipped': skipped,
      # None when the runner reports no metrics.
      'examples': (int(counters['examples']) if 'examples' in counters
                   else (0 if 'files-ok' in counters else None)),
      'audio_hours': counters.get('audio-ms', 0) / 3.6e6,
      'seconds': time.time() - start,
  }
  logging.info(
      'prepare_tfrecord summary: %d files ok, %d files skipped, %s examples, '
      '%.3f hours of audio, %.1f s wall time.', summary['files_ok'],
      summary['files_skipped'], summary['examples'], summary['audio_hours'],
      summary['seconds'])
  return summary


class NoExamplesError(errors.UserError):
  """A preparation that wrote no example: every input file was skipped."""


def require_examples(summary, output_tfrecord_path):
  """Raises NoExamplesError when the run of `summary` wrote no example.

  Args:
    summary: What `prepare_tfrecord` returned.
    output_tfrecord_path: Its output prefix (a runner without metrics,
      `summary['examples']` None, is judged by the bytes written there).
  """
  examples = summary['examples']
  if examples is None:
    examples = sum(tf.io.gfile.stat(p).length
                   for p in tf.io.gfile.glob(output_tfrecord_path + '*'))
  if examples:
    return
  n_files = summary['files_ok'] + summary['files_skipped']
  lines = [f'No examples were written to {output_tfrecord_path}: none of '
           f'the {n_files} input files produced an example; give readable '
           'audio files.']
  lines += [f'Skipped {path}: {reason}'
            for path, reason in summary.get('skipped', ())]
  raise NoExamplesError('\n'.join(lines))
