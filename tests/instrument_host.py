"""Tiny instruments served by `storage_emulator` as the instruments' host.

Shared by the tests of instruments by name (`test_instruments_by_name`) and
of the timbre-transfer notebook's picker (`test_notebooks`):

* `write_instruments(folder)`: a tiny checkpoint with random weights, a
  tiny DDSP-VST control model exported by the project's own export
  (`export.ckpt_to_saved_model`, `saved_model_to_tflite`) with METADATA
  packed, and VOICE_SECONDS of the bundled voice;
* `start_host(instruments)`: an emulator serving the checkpoint as the
  listed folder of violin and as the zip of flute (whose listing is
  refused), and the DDSP-VST zip with the .tflite as Violin and Flute.

Random weights still follow f0: the harmonic synthesis is driven by it.
"""
import json
import os

import gin
import soundfile as sf
import storage_emulator
import streaming_models
import tensorflow as tf

from ddsp.training import export
from ddsp.training import models
from ddsp.training.playback import vst_contract

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOICE = os.path.join(REPO, 'examples', 'audio', 'voice.flac')
VOICE_SECONDS = 3.0
COLAB = 'models/timbre_transfer_colab/2021-07-08/solo_{}_ckpt/'
FLUTE_ZIP = 'models/tf2/solo_flute_ckpt.zip'
VST_ZIP = 'releases/DDSP-VST-Models.zip'
METADATA = {'mean_min_pitch_note_hz': 220.0, 'mean_max_pitch_note_hz': 440.0,
            'mean_min_power_note': -50.0, 'mean_max_power_note': -20.0,
            'version': '0', 'export_time': '0'}


def folder_files(folder):
  """{file name: bytes} of the files directly in `folder`."""
  return {f: open(os.path.join(folder, f), 'rb').read()
          for f in os.listdir(folder)}


def write_vst_tflite(folder):
  """An untrained models/vst/vst.gin control model, exported to .tflite
  with METADATA packed; -> its path."""
  run = os.path.join(folder, 'run')
  os.makedirs(run)
  with open(os.path.join(REPO, 'gin', 'models', 'vst', 'vst.gin')) as f:
    config = f.read() + '\nRnnFcDecoder.ch = 8\n'
  with open(os.path.join(run, 'operative_config-0.gin'), 'w') as f:
    f.write(config)
  with gin.unlock_config():
    gin.clear_config()
    gin.parse_config(config)
  tf.random.set_seed(0)
  model = models.Autoencoder()
  zeros = tf.zeros([1, 10, 1])
  model.decoder({'f0_scaled': zeros, 'pw_scaled': zeros})
  tf.train.Checkpoint(model=model).save(os.path.join(run, 'ckpt'))
  with gin.unlock_config():
    gin.clear_config()
  save_dir = os.path.join(folder, 'export')
  export.ckpt_to_saved_model(run, save_dir, vst_contract.CONTROL_MODEL)
  metadata = os.path.join(folder, 'metadata.json')
  with open(metadata, 'w') as f:
    json.dump(METADATA, f)
  return export.saved_model_to_tflite(save_dir, metadata_file=metadata)


def write_instruments(folder):
  """Writes the instruments into `folder` (a str or path).

  Returns:
    {'ckpt': tiny checkpoint folder (16 kHz, 50 frames/s), 'tflite': tiny
    DDSP-VST model, 'voice': VOICE_SECONDS of the bundled voice (WAV)}.
  """
  folder = str(folder)
  ckpt = streaming_models.write_random_model(
      os.path.join(folder, 'ckpt'), streaming_models.model_gin(
          sample_rate=16000, frame_rate=50, n_harmonics=8, n_bands=8,
          reverb_samples=64, rnn_channels=8))
  audio, rate = sf.read(VOICE, dtype='float32')
  voice = os.path.join(folder, 'voice.wav')
  sf.write(voice, audio[:int(VOICE_SECONDS * rate)], rate)
  return {'ckpt': ckpt,
          'tflite': write_vst_tflite(os.path.join(folder, 'vst')),
          'voice': voice}


def start_host(instruments):
  """A started StorageEmulator serving violin (a listed folder), flute
  (the zip of a folder whose listing is refused) and the DDSP-VST zip
  (Violin and Flute), made of `write_instruments`' files. Stop it."""
  files = folder_files(instruments['ckpt'])
  objects = {('ddsp', COLAB.format('violin') + f): d for f, d in files.items()}
  objects[('ddsp', FLUTE_ZIP)] = storage_emulator.zip_bytes(
      {f'solo_flute_ckpt/{f}': d for f, d in files.items()})
  tflite = open(instruments['tflite'], 'rb').read()
  objects[('ddsp-vst', VST_ZIP)] = storage_emulator.zip_bytes(
      {f'DDSP-VST-Models/{n}.tflite': tflite for n in ('Violin', 'Flute')})
  emulator = storage_emulator.StorageEmulator(objects).start()
  emulator.refused_listings.add(COLAB.format('flute'))
  return emulator
