"""Every console command refuses bad input the same way.

The matrix below is data: one row per (command, bad command line, what the
message must name). Each flag is given missing, empty, negative, zero, of
the wrong type or naming the wrong kind of file; paths that do not exist,
an empty folder, a 0-byte file, a folder where a file is wanted, a path
under a regular file (the unwritable path: it cannot be written even as
root, which chmod does not stop), and the broken recordings of
shared/audio/bad. Adding a flag to a command adds rows here:
`test_every_flag_has_a_row` fails until it has one (or a reason not to).

Every row must end the same way:

* exit status 1, within the time limit (a timeout is a hang);
* no 'Traceback' on stderr;
* the error is the last paragraph of stderr: a line
  `<program>: error: <message>`, only lines indented by two spaces after it
  (`command_flags.fail`). absl's refusals of flag values (wrong type, out of
  an enum or of bounds) end the same way: there is one rule for all;
* the message names the offending flag or path (case-insensitive);
* nothing new is left on disk (outputs, folders, temporary files: TMPDIR
  points into the watched folder).

A Python process with TensorFlow takes seconds to start, so the rows of a
command run one after the other in one process (`command_runner`), every
flag back at its default between them. One row per command (`no_flags`, or
the one `_cases` names) runs the real command line, `python -m <module>`,
in a process of its own.
"""
import dataclasses
import json
import os
import subprocess
import sys
from typing import Dict, Tuple

import command_runner
import golden
import numpy as np
import package_tree
import pytest
import soundfile as sf
import streaming_models
import training_toys

from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance

PROGRAMS = {
    'ddsp_run': 'ddsp.training.ddsp_run',
    'ddsp_export': 'ddsp.training.ddsp_export',
    'ddsp_prepare_tfrecord':
        'ddsp.training.data_preparation.ddsp_prepare_tfrecord',
    'ddsp_generate_synthetic_dataset':
        'ddsp.training.data_preparation.ddsp_generate_synthetic_dataset',
    'ddsp_timbre_transfer': 'ddsp.training.playback.ddsp_timbre_transfer',
    'ddsp_synthesize_midi': 'ddsp.training.playback.ddsp_synthesize_midi',
    'ddsp_instruments': 'ddsp.training.playback.ddsp_instruments',
    'ddsp_studio': 'ddsp.training.studio.ddsp_studio',
    'ddsp_play': 'ddsp.training.live.ddsp_play',
}
BAD_AUDIO = golden.path('audio/bad')
CASE_SECONDS = 120  # A case running longer is a hang.


@dataclasses.dataclass(frozen=True)
class Case:
  """A bad command line and what its error message must name.

  `argv` and `mentions` hold placeholders filled by the `world` fixture:
  {tmp} the watched folder, {file} a regular file, {empty_dir},
  {empty_file} (0 bytes), {wav} a short good recording, {midi} a good MIDI
  file, {gin} a tiny training config and its data, {model} a model folder
  whose checkpoint is not one, {bad} shared/audio/bad, {out} an output
  folder of the case's own (not there yet).
  """
  program: str
  name: str
  argv: str  # The whole command line after the program name.
  varied: str  # The flags of `argv` the row is about.
  mentions: Tuple[str, ...]
  subprocess: bool = False

  @property
  def id(self) -> str:
    return f'{self.program}-{self.name}'


def _cases(program: str, base: str, rows, subprocess_row='no_flags'):
  """Cases of a program: `base` flags first, then each row's own ('!':
  the row's flags alone). `subprocess_row` runs as a real command line."""
  cases = []
  for name, flags, mentions in rows:
    varied = flags.lstrip('!')
    argv = varied if flags.startswith('!') else f'{base} {flags}'
    cases.append(Case(program, name, argv.strip(), varied, tuple(mentions),
                      subprocess=name == subprocess_row))
  return cases


RUN = _cases('ddsp_run', (
    '--save_dir={out}/run --gin_file={gin} --gin_param=train.num_steps=1'), [
    ('no_flags', '!', ['No model is configured: add a model config, e.g. '
                       '--gin_file=models/solo_instrument.gin']),
    ('gin_file_missing', '--gin_file=nonexistent.gin',
     ["Gin file 'nonexistent.gin' not found"]),
    ('gin_file_empty_value', '!--save_dir={out}/run --gin_file=',
     ['--gin_file']),
    ('gin_file_zero_bytes', '!--save_dir={out}/run --gin_file={empty_file}',
     ['No model is configured']),
    ('gin_file_audio', '--gin_file={wav}', ['{wav}']),
    ('gin_file_folder', '--gin_file={empty_dir}', ['{empty_dir}']),
    ('gin_param_unknown', '--gin_param=bogus.param=1',
     ["Unknown gin configurable 'bogus' in --gin_param 'bogus.param=1'"]),
    ('gin_param_unknown_parameter', '--gin_param=train.num_stepz=1',
     ["Configurable 'train' doesn't have a parameter named 'num_stepz'"]),
    ('gin_param_syntax', '--gin_param=train.num_steps=(', ['num_steps']),
    ('gin_search_path_missing', '--gin_search_path={tmp}/nowhere',
     ['{tmp}/nowhere']),
    ('save_dir_under_file', '--save_dir={file}/run', ['{file}/run']),
    ('save_dir_is_file', '--save_dir={file}', ['{file}']),
    ('save_dir_empty_value', '--save_dir=', ['--save_dir']),
    ('restore_dir_missing', '--restore_dir={tmp}/nowhere', ['{tmp}/nowhere']),
    ('restore_dir_empty_folder', '--restore_dir={empty_dir}',
     ['{empty_dir}']),
    ('eval_without_checkpoint', '--mode=eval --run_once '
     '--save_dir={empty_dir}', ['{empty_dir}']),
    ('mode_unknown', '--mode=bogus', ['--mode']),
    ('train_minutes_negative', '--train_minutes=-1', ['train_minutes']),
    ('train_minutes_wrong_type', '--train_minutes=abc', ['train_minutes']),
    ('seed_negative', '--seed=-1', ['seed']),
    ('seed_wrong_type', '--seed=abc', ['seed']),
    ('early_stop_loss_value_wrong_type', '--early_stop_loss_value=abc',
     ['early_stop_loss_value']),
    ('initial_delay_secs_negative', '--mode=eval --initial_delay_secs=-1',
     ['initial_delay_secs']),
    ('cluster_config_not_json', '--cluster_config=notjson',
     ['cluster_config']),
    ('data_missing',
     "--gin_param=TFRecordProvider.file_pattern='{tmp}/nowhere/x.tfrecord*'",
     ["No files match the TFRecord file_pattern '{tmp}/nowhere/x.tfrecord*'"]),
    ('data_other_layout', '--gin_param=TFRecordProvider.frame_rate=50',
     ['do not have the layout this run reads',
      'ddsp_prepare_tfrecord --sample_rate=16000 --frame_rate=50']),
    ('data_zero_bytes',
     "--gin_param=TFRecordProvider.file_pattern='{empty_file}'",
     ['{empty_file}']),
    ('data_not_tfrecord',
     "--gin_param=TFRecordProvider.file_pattern='{wav}'", ['{wav}']),
])

EXPORT = _cases('ddsp_export', '--model_path={model} --notfjs', [
    ('no_flags', '!', ['No model given: pass --model_path=<a training run '
                       'folder']),
    ('model_path_missing', '--model_path={tmp}/nowhere',
     ['--model_path {tmp}/nowhere does not exist: pass a training run '
      'folder']),
    ('model_path_empty_folder', '--model_path={empty_dir}',
     ['--model_path {empty_dir} is not a trained model (No checkpoint']),
    ('model_path_empty_value', '--model_path=', ['--model_path']),
    ('model_path_zero_bytes', '--model_path={empty_file}', ['{empty_file}']),
    ('model_path_audio', '--model_path={wav}', ['{wav}']),
    ('model_unreadable_checkpoint', '--nometadata --noreverb', ['{model}']),
    ('save_dir_under_file', '--save_dir={file}/export', ['{file}/export']),
    ('reverb_sample_rate_zero', '--reverb_sample_rate=0',
     ['reverb_sample_rate']),
    ('reverb_sample_rate_negative', '--reverb_sample_rate=-1',
     ['reverb_sample_rate']),
    ('reverb_sample_rate_wrong_type', '--reverb_sample_rate=abc',
     ['reverb_sample_rate']),
    ('dataset_path_missing', '--dataset_path={tmp}/nowhere*',
     ['{tmp}/nowhere']),
    ('dataset_path_audio', '--dataset_path={wav}', ['{wav}']),
    ('gin_param_unknown', '--gin_param=bogus.param=1', ['bogus']),
    ('inference_model_unknown', '--inference_model=bogus',
     ['--inference_model']),
    # A failed contract check exits 1 too.
    ('check_missing', '!--check={tmp}/none.tflite',
     ['{tmp}/none.tflite breaks the DDSP-VST contract', 'is not a file']),
    ('check_zero_bytes', '!--check={empty_file}',
     ['{empty_file} breaks the DDSP-VST contract', 'is empty (0 bytes)']),
    ('check_audio', '!--check={wav}',
     ['{wav} breaks the DDSP-VST contract', 'TFLite cannot load']),
    ('check_folder', '!--check={empty_dir}',
     ['{empty_dir} breaks the DDSP-VST contract', 'is not a file']),
])

PREPARE = _cases('ddsp_prepare_tfrecord', (
    '--input_audio_filepatterns={wav} --output_tfrecord_path={out}/t.tfrecord '
    '--crepe_model=tiny --frame_rate=50 --example_secs=1 --hop_secs=0.5 '
    '--chunk_secs=4'), [
        ('no_flags', '!', ['--output_tfrecord_path']),
        ('output_empty_value', '--output_tfrecord_path=',
         ['--output_tfrecord_path']),
        ('output_under_file', '--output_tfrecord_path={file}/t.tfrecord',
         ['Cannot write --output_tfrecord_path={file}/t.tfrecord']),
        ('output_is_folder', '--output_tfrecord_path={empty_dir}',
         ['{empty_dir}']),
        ('input_not_given', '!--output_tfrecord_path={out}/t.tfrecord',
         ['--input_audio_filepatterns']),
        ('input_missing', '--input_audio_filepatterns={tmp}/none.wav',
         ["No audio file matches --input_audio_filepatterns='{tmp}/none.wav'"]),
        ('input_empty_folder', '--input_audio_filepatterns={empty_dir}/*',
         ['No audio file matches --input_audio_filepatterns='
          "'{empty_dir}/*'"]),
        ('input_folder', '--input_audio_filepatterns={empty_dir}',
         ['{empty_dir}']),
        ('input_zero_bytes',
         '--input_audio_filepatterns={bad}/empty_0_bytes.wav',
         ['No examples were written', 'empty_0_bytes.wav']),
        ('input_not_audio',
         '--input_audio_filepatterns={bad}/not_audio_text.wav',
         ['No examples were written', 'not_audio_text.wav']),
        ('input_truncated',
         '--input_audio_filepatterns={bad}/truncated_header_4s_data_1p5s.wav',
         ['No examples were written', 'truncated_header_4s_data_1p5s.wav']),
        ('input_nan_samples',
         '--input_audio_filepatterns={bad}/nan_samples_float32.wav',
         ['No examples were written', 'nan_samples_float32.wav']),
        ('example_secs_negative', '--example_secs=-1',
         ['example_secs must be >= 0']),
        ('example_secs_wrong_type', '--example_secs=abc', ['example_secs']),
        ('hop_secs_zero', '--hop_secs=0', ['hop_secs must be > 0']),
        ('hop_secs_negative', '--hop_secs=-1', ['hop_secs']),
        ('eval_split_fraction_one', '--eval_split_fraction=1',
         ['eval_split_fraction must be in [0, 1)']),
        ('eval_split_fraction_negative', '--eval_split_fraction=-0.5',
         ['eval_split_fraction']),
        ('chunk_secs_negative', '--chunk_secs=-1', ['chunk_secs']),
        ('num_shards_zero', '--num_shards=0', ['num_shards']),
        ('num_shards_negative', '--num_shards=-1', ['num_shards']),
        ('sample_rate_zero', '--sample_rate=0', ['sample_rate']),
        ('sample_rate_negative', '--sample_rate=-1', ['sample_rate']),
        ('sample_rate_wrong_type', '--sample_rate=abc', ['sample_rate']),
        ('frame_rate_negative', '--frame_rate=-1', ['frame_rate']),
        ('frame_rate_fractional_hop', '--sample_rate=44100 --frame_rate=300',
         ['frame_rate 300', 'Nearby valid frame rates']),
        ('frame_rate_fractional_hop_16k', '--frame_rate=3',
         ['frame_rate 3', 'Nearby valid frame rates']),
        ('frame_rate_wrong_type', '--frame_rate=abc', ['frame_rate']),
        ('crepe_model_unknown', '--crepe_model=bogus', ['--crepe_model']),
        ('pipeline_options_unknown_runner',
         '--pipeline_options=--runner=NoSuchRunner', ['NoSuchRunner']),
    ])

SYNTHETIC = _cases('ddsp_generate_synthetic_dataset', (
    '--output_tfrecord_path={out}/s.tfrecord --num_examples=2 '
    '--gin_param=generate_examples.generate_fn=@generate_notes_v2 '
    '--gin_param=generate_notes_v2.n_timesteps=20 '
    '--gin_param=generate_notes_v2.n_harmonics=8 '
    '--gin_param=generate_notes_v2.n_mags=5'), [
        ('no_flags', '!', ['--output_tfrecord_path']),
        ('output_under_file', '--output_tfrecord_path={file}/s.tfrecord',
         ['{file}/s.tfrecord']),
        ('output_is_folder', '--output_tfrecord_path={empty_dir}',
         ['{empty_dir}']),
        ('num_examples_zero', '--num_examples=0', ['num_examples']),
        ('num_examples_negative', '--num_examples=-1', ['num_examples']),
        ('num_shards_zero', '--num_shards=0', ['num_shards']),
        ('num_shards_negative', '--num_shards=-1', ['num_shards']),
        ('random_seed_negative', '--random_seed=-1', ['random_seed']),
        ('random_seed_wrong_type', '--random_seed=abc', ['random_seed']),
        ('generate_fn_missing',
         '!--output_tfrecord_path={out}/s.tfrecord --num_examples=2',
         ['generate_examples.generate_fn']),
        ('gin_file_missing', '--gin_file=nonexistent.gin', ['nonexistent.gin']),
        ('gin_param_unknown', '--gin_param=bogus.param=1', ['bogus']),
        ('gin_search_path_missing', '--gin_search_path={tmp}/nowhere',
         ['{tmp}/nowhere']),
        ('pipeline_options_unknown_runner',
         '--pipeline_options=--runner=NoSuchRunner', ['NoSuchRunner']),
    ])

TRANSFER = _cases('ddsp_timbre_transfer', (
    '--checkpoint_dir={model} --input={wav} --output={out}/o.wav '
    '--crepe_model=tiny'), [
        ('no_flags', '!', ['--checkpoint_dir']),
        ('input_not_given', '!--checkpoint_dir={model} --output={out}/o.wav',
         ['--input']),
        ('output_not_given', '!--checkpoint_dir={model} --input={wav}',
         ['--output']),
        ('checkpoint_dir_missing', '--checkpoint_dir={tmp}/nowhere',
         ['{tmp}/nowhere']),
        ('checkpoint_dir_empty_folder', '--checkpoint_dir={empty_dir}',
         ['{empty_dir}']),
        ('checkpoint_dir_zero_bytes', '--checkpoint_dir={empty_file}',
         ['{empty_file}']),
        ('checkpoint_dir_audio', '--checkpoint_dir={wav}', ['{wav}']),
        ('checkpoint_unreadable', '', ['{model}']),
        ('input_missing', '--input={tmp}/none.wav', ['{tmp}/none.wav']),
        ('input_zero_bytes', '--input={bad}/empty_0_bytes.wav',
         ['empty_0_bytes.wav']),
        ('input_not_audio', '--input={bad}/not_audio_text.wav',
         ['not_audio_text.wav']),
        ('input_truncated', '--input={bad}/truncated_header_4s_data_1p5s.wav',
         ['truncated_header_4s_data_1p5s.wav']),
        ('input_folder', '--input={empty_dir}', ['{empty_dir}', 'folder']),
        ('output_under_file', '--output={file}/o.wav', ['{file}/o.wav']),
        ('output_is_folder', '--output={empty_dir}', ['{empty_dir}']),
        ('block_seconds_zero', '--block_seconds=0',
         ['block_seconds must be > 0, got 0.0']),
        ('block_seconds_negative', '--block_seconds=-1',
         ['block_seconds must be > 0, got -1.0']),
        ('block_seconds_wrong_type', '--block_seconds=abc', ['block_seconds']),
        ('autotune_above_one', '--autotune=2', ['autotune']),
        ('autotune_negative', '--autotune=-0.5', ['autotune']),
        ('pitch_shift_wrong_type', '--pitch_shift=abc', ['pitch_shift']),
        ('loudness_shift_wrong_type', '--loudness_shift=abc',
         ['loudness_shift']),
        ('quiet_wrong_type', '--quiet=abc', ['quiet']),
        ('threshold_wrong_type', '--threshold=abc', ['threshold']),
        ('crepe_model_unknown', '--crepe_model=bogus', ['--crepe_model']),
        ('model_and_checkpoint_dir', '--model={model}',
         ['--model and --checkpoint_dir were both given']),
        ('model_empty_value',
         '!--model= --input={wav} --output={out}/o.wav', ['--model']),
        ('model_missing',
         '!--model={tmp}/nowhere --input={wav} --output={out}/o.wav',
         ['{tmp}/nowhere']),
        ('model_unknown_name',
         '!--model=no_such_instrument --input={wav} --output={out}/o.wav',
         ['no_such_instrument']),
        ('model_name_offline',
         '!--model=violin --input={wav} --output={out}/o.wav',
         ['127.0.0.1:9']),
        ('model_audio', '!--model={wav} --input={wav} --output={out}/o.wav',
         ['{wav}']),
        ('model_zero_bytes',
         '!--model={empty_file} --input={wav} --output={out}/o.wav',
         ['{empty_file}']),
    ])

MIDI = _cases('ddsp_synthesize_midi', (
    '--checkpoint_dir={model} --midi={midi} --output={out}/m.wav'), [
        ('no_flags', '!', ['--checkpoint_dir']),
        ('midi_not_given', '!--checkpoint_dir={model} --output={out}/m.wav',
         ['--midi']),
        ('output_not_given', '!--checkpoint_dir={model} --midi={midi}',
         ['--output']),
        ('midi_missing', '--midi={tmp}/none.mid', ['{tmp}/none.mid']),
        ('midi_zero_bytes', '--midi={empty_file}', ['{empty_file}']),
        ('midi_audio', '--midi={wav}', ['{wav}']),
        ('midi_folder', '--midi={empty_dir}', ['{empty_dir}']),
        ('checkpoint_dir_missing', '--checkpoint_dir={tmp}/nowhere',
         ['{tmp}/nowhere']),
        ('checkpoint_dir_empty_folder', '--checkpoint_dir={empty_dir}',
         ['{empty_dir}']),
        ('checkpoint_unreadable', '', ['{model}']),
        ('output_under_file', '--output={file}/m.wav', ['{file}/m.wav']),
        ('output_is_folder', '--output={empty_dir}',
         ['{empty_dir}', 'folder']),
        ('output_unknown_format', '--output={out}/m.xyz', ['m.xyz']),
        ('track_negative', '--track=-1', ['track']),
        ('track_missing', '--track=9', ['track 9']),
        ('channel_zero', '--channel=0', ['channel 0']),
        ('channel_above_16', '--channel=17', ['channel 17']),
        ('attack_negative', '--attack=-1', ['attack']),
        ('decay_negative', '--decay=-1', ['decay']),
        ('release_negative', '--release=-1', ['release']),
        ('sustain_above_one', '--sustain=2', ['sustain']),
        ('velocity_sensitivity_above_one', '--velocity_sensitivity=2',
         ['velocity_sensitivity']),
        ('glide_negative', '--glide=-1', ['glide']),
        ('vibrato_hz_negative', '--vibrato_hz=-1', ['vibrato_hz']),
        ('vibrato_delay_negative', '--vibrato_delay=-1', ['vibrato_delay']),
        ('vibrato_cents_wrong_type', '--vibrato_cents=abc', ['vibrato_cents']),
        ('transpose_wrong_type', '--transpose=abc', ['transpose']),
        ('bend_range_wrong_type', '--bend_range=abc', ['bend_range']),
        ('block_seconds_zero', '--block_seconds=0', ['block_seconds']),
        ('block_seconds_negative', '--block_seconds=-1', ['block_seconds']),
        ('overlap_unknown', '--overlap=bogus', ['--overlap']),
        ('out_of_range_unknown', '--out_of_range=bogus', ['--out_of_range']),
        ('model_and_checkpoint_dir', '--model={model}',
         ['--model and --checkpoint_dir were both given']),
        ('model_empty_value', '!--model= --midi={midi} --output={out}/m.wav',
         ['--model']),
        ('model_missing',
         '!--model={tmp}/nowhere --midi={midi} --output={out}/m.wav',
         ['{tmp}/nowhere']),
        ('model_unknown_name',
         '!--model=vst:no_such --midi={midi} --output={out}/m.wav',
         ['vst:no_such']),
        ('model_name_offline',
         '!--model=flute --midi={midi} --output={out}/m.wav',
         ['127.0.0.1:9']),
        ('model_vst_name_offline',
         '!--model=vst:flute --midi={midi} --output={out}/m.wav',
         ['127.0.0.1:9']),
        ('part_not_track_equals_model',
         '!--part=violin --midi={midi} --output={out}/m.wav', ['--part']),
        ('part_track_not_a_number',
         '!--part=one={model} --midi={midi} --output={out}/m.wav',
         ['--part']),
        ('part_track_missing',
         '!--part=9={model} --midi={midi} --output={out}/m.wav',
         ['track 9']),
        ('part_model_missing',
         '!--part=0={tmp}/nowhere --midi={midi} --output={out}/m.wav',
         ['{tmp}/nowhere']),
        ('part_model_unreadable',
         '!--part=0={model} --midi={midi} --output={out}/m.wav', ['{model}']),
        ('part_track_twice',
         '!--part=0={model} --part=0={model} --midi={midi} '
         '--output={out}/m.wav', ['track 0 twice']),
        ('part_and_model', '--part=0={model}', ['--part']),
        ('pan_out_of_range',
         '!--part=0={model} --pan=0=2 --midi={midi} --output={out}/m.wav',
         ['--pan']),
        ('pan_not_track_equals_value',
         '!--part=0={model} --pan=left --midi={midi} --output={out}/m.wav',
         ['--pan']),
        ('pan_unknown_track',
         '!--part=0={model} --pan=3=0.5 --midi={midi} --output={out}/m.wav',
         ['--pan', 'track 3']),
        ('gain_not_a_number',
         '!--part=0={model} --gain=0=loud --midi={midi} --output={out}/m.wav',
         ['--gain', 'loud']),
        ('gain_without_part', '--gain=0=-6', ['--gain', '--part']),
        ('stems_dir_under_file',
         '!--part=0={model} --stems_dir={file}/stems --midi={midi} '
         '--output={out}/m.wav', ['{file}/stems']),
        ('stems_dir_without_part', '--stems_dir={out}/stems',
         ['--stems_dir']),
        ('voices_zero', '--voices=0', ['voices']),
        ('voices_wrong_type', '--voices=abc', ['voices']),
    ])

# No network: $DDSP_MODEL_BASE_URL is a closed port (see `_env`).
INSTRUMENTS = _cases('ddsp_instruments', '--noprogress', [
    ('download_unknown', '--download=no_such_instrument',
     ['no_such_instrument']),
    ('download_a_path', '--download={wav}', ['{wav}']),
    ('cache_dir_under_file', '--download=violin --cache_dir={file}/cache',
     ['{file}/cache']),
    ('cache_dir_is_file', '--download=violin --cache_dir={file}', ['{file}']),
], subprocess_row='download_unknown')

# Every row must fail before the studio starts serving (else it would run).
STUDIO = _cases('ddsp_studio', '--models={empty_dir} --port=0', [
    ('no_flags', '!', ['--models is required']),
    ('models_missing', '--models={tmp}/nowhere', ['{tmp}/nowhere']),
    ('models_is_file', '--models={file}', ['{file}']),
    ('models_empty_value', '--models=', ['--models']),
    ('work_dir_under_file', '--work_dir={file}/work', ['{file}/work']),
    ('work_dir_is_file', '--work_dir={file}', ['{file}']),
    ('host_unknown', '--host=no.such.host.invalid',
     ['--host=no.such.host.invalid']),
    ('port_negative', '--port=-1', ['port']),
    ('port_too_large', '--port=70000', ['port']),
    ('port_wrong_type', '--port=abc', ['port']),
    ('max_upload_mb_zero', '--max_upload_mb=0', ['max_upload_mb']),
    ('max_upload_mb_wrong_type', '--max_upload_mb=abc', ['max_upload_mb']),
    ('min_training_minutes_negative', '--min_training_minutes=-1',
     ['min_training_minutes']),
])

# Options are checked before the model loads, the model before an audio
# device opens: {playable} (a model that plays) reaches the devices. The
# default JACK server of these rows is one that does not exist (`_env`).
PLAY = _cases('ddsp_play', '--model={model} --seconds=1', [
    ('no_flags', '!', ['--model is required']),
    ('model_missing', '--model={tmp}/nowhere', ['{tmp}/nowhere']),
    ('model_empty_value', '--model=', ['--model']),
    ('model_audio', '--model={wav}', ['{wav}']),
    ('model_empty_folder', '--model={empty_dir}', ['{empty_dir}']),
    ('model_unreadable_checkpoint', '', ['{model}']),
    ('no_jack_server', '--model={playable}', ['JACK']),
    ('backend_unknown', '--backend=bogus', ['--backend']),
    ('portaudio_midi', '--model={playable} --backend=portaudio --midi',
     ['--backend=jack']),
    ('device_unknown', '--model={playable} --backend=portaudio '
     '--device=no_such_device', ['no_such_device']),
    ('sample_rate_zero', '--sample_rate=0', ['--sample_rate']),
    ('sample_rate_wrong_type', '--sample_rate=abc', ['sample_rate']),
    ('period_too_small', '--period=8', ['--period']),
    ('period_wrong_type', '--period=abc', ['period']),
    ('seconds_zero', '--seconds=0', ['--seconds']),
    ('seconds_negative', '--seconds=-1', ['--seconds']),
    ('pitch_shift_wrong_type', '--pitch_shift=abc', ['pitch_shift']),
    ('loudness_shift_wrong_type', '--loudness_shift=abc',
     ['loudness_shift']),
    ('crepe_model_unknown', '--crepe_model=huge', ['crepe_model']),
    ('block_ms_zero', '--block_ms=0', ['--block_ms']),
    ('margin_ms_negative', '--margin_ms=-1', ['--margin_ms']),
    ('attack_negative', '--attack=-1', ['attack']),
    ('decay_negative', '--decay=-1', ['decay']),
    ('sustain_above_one', '--sustain=2', ['sustain']),
    ('release_negative', '--release=-1', ['release']),
    ('glide_negative', '--glide=-1', ['glide']),
    ('velocity_sensitivity_above_one', '--velocity_sensitivity=2',
     ['velocity_sensitivity']),
    ('overlap_unknown', '--overlap=bogus', ['overlap']),
    ('report_under_file', '--report={file}/r.json', ['{file}/r.json']),
    ('report_is_folder', '--report={empty_dir}', ['{empty_dir}']),
])

CASES = (RUN + EXPORT + PREPARE + SYNTHETIC + TRANSFER + MIDI + INSTRUMENTS +
         STUDIO + PLAY)

# Flags no row gives a bad value, and why.
NOT_IN_MATRIX = {
    ('ddsp_run', 'tpu'): 'needs a TPU to connect to',
    ('ddsp_export', 'name'): 'any folder name is a valid name',
    ('ddsp_export', 'metadata_file'): 'unused (kept for compatibility)',
}


# ---------------------------------------------------------------------------
# The files the rows name.
# ---------------------------------------------------------------------------
def _unreadable_model(folder: str, gin_text: str) -> str:
  """A model folder whose files are all there but hold no checkpoint."""
  os.makedirs(folder)
  with open(os.path.join(folder, 'operative_config-0.gin'), 'w') as f:
    f.write(gin_text)
  with open(os.path.join(folder, 'checkpoint'), 'w') as f:
    f.write('model_checkpoint_path: "ckpt-1"\n'
            'all_model_checkpoint_paths: "ckpt-1"\n')
  for name in ('ckpt-1.index', 'ckpt-1.data-00000-of-00001'):
    with open(os.path.join(folder, name), 'wb') as f:
      f.write(b'this is not a TensorFlow checkpoint\n')
  return folder


@pytest.fixture(scope='module')
def world(tmp_path_factory) -> Dict[str, str]:
  """The placeholders of the rows (except {out}), files made once."""
  tmp = str(tmp_path_factory.mktemp('bad_inputs'))
  paths = {name: os.path.join(tmp, name) for name in (
      'file', 'empty_dir', 'empty_file', 'wav', 'midi', 'model', 'tmpdir')}
  paths.update(file=paths['file'] + '.txt', wav=paths['wav'] + '.wav',
               midi=paths['midi'] + '.mid')
  with open(paths['file'], 'w') as f:
    f.write('a regular file\n')
  open(paths['empty_file'], 'wb').close()
  os.makedirs(paths['empty_dir'])
  os.makedirs(paths['tmpdir'])
  t = np.arange(16000) / 16000.0
  sf.write(paths['wav'], 0.4 * np.sin(2 * np.pi * 330.0 * t), 16000)
  midi_file.write_notes(paths['midi'], [
      midi_performance.Note(60.0, 0.0, 0.5, 100),
      midi_performance.Note(64.0, 0.5, 1.0, 100)])
  gin_path = training_toys.write_tiny_setup(tmp)
  streaming_models.write_random_model(os.path.join(tmp, 'playable'),
                                      streaming_models.model_gin())
  with open(gin_path) as f:
    _unreadable_model(paths['model'], f.read())
  return dict(paths, tmp=tmp, gin=gin_path, bad=BAD_AUDIO,
              playable=os.path.join(tmp, 'playable'))


def _fill(text: str, world: Dict[str, str], case: Case) -> str:
  return text.format(out=os.path.join(world['tmp'], 'out', case.name),
                     **world)


def _argv(case: Case, world: Dict[str, str]) -> list:
  return [case.program] + [_fill(a, world, case) for a in case.argv.split()]


def _env(world: Dict[str, str]) -> Dict[str, str]:
  """Temporary files and the instrument cache in the watched folder; a
  model server that refuses connections (no download leaves the machine);
  a default JACK server that does not run."""
  return dict(os.environ, TMPDIR=world['tmpdir'], TF_CPP_MIN_LOG_LEVEL='2',
              TF_USE_LEGACY_KERAS='1',
              DDSP_CACHE=os.path.join(world['tmp'], 'cache'),
              DDSP_MODEL_BASE_URL='http://127.0.0.1:9',
              JACK_DEFAULT_SERVER=f'ddsp_no_server_{os.getpid()}')


# ---------------------------------------------------------------------------
# Running the rows.
# ---------------------------------------------------------------------------
_OUTCOMES = {}  # {case id: command_runner.Outcome}, filled per program.


def _run_subprocess(case: Case, world) -> command_runner.Outcome:
  """The real command line: `python -m <module> <argv>`."""
  before = command_runner.listing([world['tmp']])
  try:
    proc = subprocess.run(
        [sys.executable, '-m', PROGRAMS[case.program]] +
        _argv(case, world)[1:], capture_output=True, text=True,
        timeout=CASE_SECONDS, env=_env(world), cwd=world['tmp'],
        check=False)
    code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
  except subprocess.TimeoutExpired as e:
    code, stdout, stderr = None, str(e.stdout), str(e.stderr)
  new = sorted(command_runner.listing([world['tmp']]) - before)
  return command_runner.Outcome(code, stdout, stderr, new)


def _run_in_one_process(program: str, world, tmp_path_factory) -> None:
  """Runs every in-process row of `program` in one `command_runner`."""
  cases = [c for c in CASES if c.program == program and not c.subprocess]
  folder = tmp_path_factory.mktemp(f'runner_{program}')
  spec_path, results_path = folder / 'cases.json', folder / 'results.json'
  spec_path.write_text(json.dumps({
      'module': PROGRAMS[program],
      'cases': [{'id': c.id, 'argv': _argv(c, world),
                 'watch': [world['tmp']], 'timeout': CASE_SECONDS}
                for c in cases]}))
  subprocess.run([sys.executable, command_runner.__file__, str(spec_path),
                  str(results_path)], env=_env(world), cwd=world['tmp'],
                 timeout=CASE_SECONDS * len(cases) + 120, check=True,
                 capture_output=True)
  for case_id, outcome in json.loads(results_path.read_text()).items():
    _OUTCOMES[case_id] = command_runner.Outcome(**outcome)


def _outcome(case: Case, world, tmp_path_factory) -> command_runner.Outcome:
  if case.subprocess:
    return _run_subprocess(case, world)
  if case.id not in _OUTCOMES:
    _run_in_one_process(case.program, world, tmp_path_factory)
  return _OUTCOMES[case.id]


def error_paragraph(stderr: str, program: str) -> str:
  """The error a command ended with: its last paragraph, on one line.

  Raises:
    AssertionError: stderr does not end with `<program>: error: ...`
      followed only by lines indented by two spaces.
  """
  lines = stderr.rstrip('\n').splitlines()
  heads = [i for i, line in enumerate(lines) if not line.startswith('  ')]
  assert heads, f'nothing on stderr:\n{stderr}'
  head = lines[heads[-1]]
  assert head.startswith(f'{program}: error: '), (
      f'the last paragraph of stderr is not "{program}: error: ...":\n'
      + '\n'.join(lines[-15:]))
  return ' '.join([head] + [line.strip() for line in lines[heads[-1] + 1:]])


@pytest.mark.parametrize('case', CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused(case, world, tmp_path_factory):
  if '{bad}' in case.argv and not os.path.isdir(BAD_AUDIO):
    pytest.skip(golden.missing_reason('audio/bad'))
  outcome = _outcome(case, world, tmp_path_factory)
  assert outcome.code is not None, (
      f'still running after {CASE_SECONDS} s (a hang):\n'
      f'{outcome.stderr[-3000:]}')
  assert 'Traceback' not in outcome.stderr, outcome.stderr[-5000:]
  assert outcome.code == 1, (outcome.code, outcome.stderr[-3000:])
  message = error_paragraph(outcome.stderr, case.program)
  for mention in case.mentions:
    assert _fill(mention, world, case).lower() in message.lower(), message
  assert not outcome.new_paths, f'left behind: {outcome.new_paths}'


# ---------------------------------------------------------------------------
# The matrix itself.
# ---------------------------------------------------------------------------
def _flags_of(program: str):
  """{flag name: is boolean} of the flags a command defines."""
  module = __import__(PROGRAMS[program], fromlist=['FLAGS'])
  own = module.FLAGS.flags_by_module_dict()[PROGRAMS[program]]
  return {flag.name: flag.boolean for flag in own}


def test_every_flag_has_a_row():
  """Each non-boolean flag of each command gets a bad value in some row."""
  missing = []
  for program in PROGRAMS:
    given = ' '.join(c.varied for c in CASES if c.program == program)
    for name, boolean in _flags_of(program).items():
      if not boolean and f'--{name}=' not in given and (
          (program, name) not in NOT_IN_MATRIX):
        missing.append(f'{program} --{name}')
  assert not missing, f'flags without a row: {missing}'


def test_every_console_script_is_in_the_matrix():
  assert PROGRAMS == package_tree.console_scripts()


def test_matrix_size():
  """Every command has rows and one row run as a real command line."""
  for program in PROGRAMS:
    rows = [c for c in CASES if c.program == program]
    assert len(rows) >= 4, program
    assert sum(c.subprocess for c in rows) == 1, program
  assert len({c.id for c in CASES}) == len(CASES)
  print(f'bad-input matrix: {len(PROGRAMS)} commands x {len(CASES)} cases '
        f'({len(CASES) / len(PROGRAMS):.0f} per command)')


def test_error_paragraph_rule():
  """The rule the rows are judged by, on made-up outputs."""
  assert error_paragraph('I0101 log line\nprog: error: bad --x\n  more\n',
                         'prog') == 'prog: error: bad --x more'
  with pytest.raises(AssertionError):
    error_paragraph('prog: error: bad\nW0101 a log line after it\n', 'prog')
  with pytest.raises(AssertionError):
    error_paragraph('Traceback (most recent call last):\n  x\nValueError\n',
                    'prog')


def _patched_main(monkeypatch, main):
  """ddsp_synthesize_midi's module with its main replaced by `main`."""
  module = __import__(PROGRAMS['ddsp_synthesize_midi'], fromlist=['main'])
  monkeypatch.setattr(module, 'main', main)
  return module.__name__


def test_the_runner_shows_a_crash_as_the_interpreter_would(monkeypatch):
  module = _patched_main(monkeypatch, lambda argv: 1 / 0)
  outcome = command_runner.run_in_process(module, ['ddsp_synthesize_midi'])
  assert outcome.code == 1
  assert 'Traceback' in outcome.stderr
  assert 'ZeroDivisionError' in outcome.stderr


def test_the_runner_stops_a_hang_and_sees_new_files(monkeypatch, tmp_path):
  def main(argv):
    del argv
    (tmp_path / 'left.txt').write_text('x')
    while True:
      pass

  module = _patched_main(monkeypatch, main)
  outcome = command_runner.run_in_process(
      module, ['ddsp_synthesize_midi'], watch=[str(tmp_path)], timeout=0.5)
  assert outcome.code is None
  assert outcome.new_paths == [str(tmp_path / 'left.txt')]
