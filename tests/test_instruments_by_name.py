"""Instruments by name wherever a model is taken: load_instrument, the
commands' --model, and DDSP-VST .tflite models played in Python.

The instruments are served by `storage_emulator` (no network), made by
`instrument_host`: a tiny checkpoint with random weights as a listed folder
(violin) and as the zip of a folder whose listing is refused (flute), and a
tiny DDSP-VST control model exported by the project's own export inside the
DDSP-VST zip. Random weights still follow f0: the harmonic synthesis is
driven by it.
"""
import os

import command_runner
import instrument_host
import numpy as np
import pytest
import soundfile as sf

from ddsp import errors
from ddsp import spectral_ops
from ddsp.training import command_flags
from ddsp.training.playback import blocks
from ddsp.training.playback import catalogue
from ddsp.training.playback import loading
from ddsp.training.playback import transfer
from ddsp.training.playback import vst_contract
from ddsp.training.playback import vst_instrument

VOICE_SECONDS = instrument_host.VOICE_SECONDS
METADATA = instrument_host.METADATA


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
  """{'ckpt': tiny checkpoint folder, 'tflite': tiny DDSP-VST model,
  'voice': 3 s of the bundled voice}."""
  return instrument_host.write_instruments(
      tmp_path_factory.mktemp('instruments'))


@pytest.fixture
def host(fixtures, tmp_path, monkeypatch):
  """The emulated host serving violin (folder), flute (zip only) and the
  DDSP-VST zip; a cache of the test's own."""
  emulator = instrument_host.start_host(fixtures)
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', emulator.base_url)
  monkeypatch.setenv('DDSP_CACHE', str(tmp_path / 'cache'))
  yield emulator
  emulator.stop()


# ---------------------------------------------------------------------------
# Names and paths.
# ---------------------------------------------------------------------------
def test_a_path_is_itself_and_a_name_is_downloaded(fixtures, host, tmp_path):
  assert loading.locate_instrument(fixtures['ckpt']) == fixtures['ckpt']
  assert loading.locate_instrument(fixtures['tflite']) == fixtures['tflite']
  violin = loading.locate_instrument('Violin', progress=False)
  assert violin.startswith(str(tmp_path / 'cache'))
  assert loading.find_model_dir(violin).model_dir == violin
  vst = loading.locate_instrument('vst:violin', progress=False)
  assert vst.endswith('Violin.tflite') and loading.is_tflite(vst)
  assert not loading.is_tflite(os.path.join(fixtures['ckpt'],
                                            'operative_config-0.gin'))


def test_a_local_folder_wins_over_a_name(fixtures, tmp_path, monkeypatch):
  os.symlink(fixtures['ckpt'], tmp_path / 'violin')
  monkeypatch.chdir(tmp_path)
  assert loading.locate_instrument('violin') == 'violin'


@pytest.mark.parametrize('given,error,mentions', [
    ('no_such_instrument', catalogue.UnknownInstrumentError,
     'Nor is there a file or folder'),
    ('vst:flutte', catalogue.UnknownInstrumentError, 'vst:flute'),
    ('missing/model', errors.MissingPathError, 'missing/model'),
    ('model.tflite', errors.MissingPathError, 'model.tflite'),
    ('', errors.MissingPathError, 'instrument name'),
])
def test_what_is_neither_a_path_nor_a_name(given, error, mentions,
                                           tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  monkeypatch.setenv('DDSP_MODEL_BASE_URL', 'http://127.0.0.1:9')
  with pytest.raises(error, match=mentions):
    loading.locate_instrument(given)


def test_a_file_that_is_not_a_control_model_is_refused(tmp_path):
  bad = tmp_path / 'bad.tflite'
  bad.write_bytes(b'1234TFL3 not a flatbuffer')  # Root offset too far.
  with pytest.raises(vst_contract.VSTExportError, match='bad.tflite'):
    loading.load_instrument(str(bad))


def test_load_instrument_is_the_package_s_own():
  import ddsp.training.playback as playback  # pylint: disable=g-import-not-at-top
  assert playback.load_instrument is loading.load_instrument


def test_both_flags_are_an_error():
  values = command_flags.new_flag_values()
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.DEFINE_string('model', None, 'Model.', flag_values=values)
  flags.DEFINE_string('checkpoint_dir', None, 'Older name.',
                      flag_values=values)
  values(['prog', '--checkpoint_dir=a'])
  assert command_flags.one_of(values, 'model', 'checkpoint_dir') == 'a'
  values(['prog', '--checkpoint_dir=a', '--model=b'])
  with pytest.raises(errors.BadValueError, match='both given'):
    command_flags.one_of(values, 'model', 'checkpoint_dir')
  values['model'].value = values['checkpoint_dir'].value = None
  with pytest.raises(errors.UserError, match='--model is required'):
    command_flags.one_of(values, 'model', 'checkpoint_dir')


# ---------------------------------------------------------------------------
# The DDSP-VST player.
# ---------------------------------------------------------------------------
def _features(n=130):
  t = np.arange(n) / 50.0
  f0 = (300.0 * 2 ** (np.sin(2 * np.pi * t) / 12)).astype(np.float32)
  power = (-30.0 + 10 * np.sin(2 * np.pi * 0.7 * t)).astype(np.float32)
  return f0, power


def test_vst_blocks_carry_their_state(fixtures):
  f0, power = _features()
  whole = vst_instrument.VstInstrument(fixtures['tflite'], block_seconds=100,
                                       noise_seed=3)
  pieces = vst_instrument.VstInstrument(fixtures['tflite'], block_seconds=0.3,
                                        noise_seed=3)
  one = np.concatenate(list(blocks.synthesize_stream(whole, f0, power)))
  many = list(blocks.synthesize_stream(pieces, f0, power))
  assert len(many) == 9  # 130 frames in blocks of 15.
  assert one.size == f0.size * vst_contract.HOP_SIZE
  np.testing.assert_allclose(np.concatenate(many), one, atol=1e-6)
  assert np.std(one) > 1e-4  # Something sounds.
  # Not carrying the state would differ: a fresh start at the 2nd block.
  fresh = np.concatenate(list(blocks.synthesize_stream(
      pieces, f0[15:], power[15:])))
  assert np.max(np.abs(fresh[:960] - one[15 * 320:18 * 320])) > 1e-3


def test_vst_statistics_come_from_the_metadata(fixtures):
  player = loading.load_instrument(fixtures['tflite'])
  stats = player.statistics
  assert stats['mean_min_pitch_note'] == pytest.approx(57.0)  # 220 Hz.
  assert stats['mean_max_pitch_note'] == pytest.approx(69.0)  # 440 Hz.
  assert stats['mean_pitch'] == pytest.approx(63.0)
  assert (stats['mean_min_power_note'], stats['mean_max_power_note']) == (
      -50.0, -20.0)
  assert player.db_key == 'power_db' and player.frame_rate == 50.0


def test_vst_metadata_with_a_reversed_range_is_refused():
  with pytest.raises(vst_contract.VSTExportError, match='above'):
    vst_instrument.metadata_statistics(
        dict(METADATA, mean_min_power_note=0.0))


@pytest.mark.parametrize('kind,db_key', [('ckpt', 'loudness_db'),
                                          ('tflite', 'power_db')])
def test_features_are_what_the_instrument_is_fed(kind, db_key, fixtures):
  """Loudness for the checkpoint, power for the DDSP-VST model (as
  `PowerFeatureExtractor` computes it), at 50 frames/s either way; the same
  from one array as from blocks of it."""
  from ddsp.features import f0_loudness  # pylint: disable=g-import-not-at-top
  player = loading.load_instrument(fixtures[kind])
  audio, _ = sf.read(fixtures['voice'], dtype='float32')
  whole = transfer.instrument_features(player, [audio], 'tiny', False)
  assert sorted(whole) == sorted(['f0_hz', 'f0_confidence', db_key,
                                  'n_samples'])
  assert whole['f0_hz'].size == audio.size // 320 + player.extra_frames
  pieces = transfer.instrument_features(
      player, (audio[i:i + 7000] for i in range(0, audio.size, 7000)),
      'tiny', False, block_seconds=1.0)
  np.testing.assert_allclose(pieces[db_key], whole[db_key], atol=1e-3)
  if db_key == 'power_db':
    power = f0_loudness.PowerFeatureExtractor(
        50, vst_contract.FRAME_SIZE, model_capacity='tiny',
        viterbi=False).stream([audio])['power_db']
    np.testing.assert_allclose(whole['power_db'], power, atol=1e-4)


# ---------------------------------------------------------------------------
# ddsp_timbre_transfer --model=NAME, end to end.
# ---------------------------------------------------------------------------
def _f0(path):
  """CREPE tiny f0 (Hz) and confidence of a file at 16 kHz, 50 frames/s."""
  audio, rate = sf.read(path, dtype='float32')
  assert rate == 16000
  f0, confidence = spectral_ops.compute_f0(audio, 50, viterbi=False,
                                           padding='center',
                                           model_capacity='tiny')
  return np.asarray(f0), np.asarray(confidence)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['violin', 'flute', 'vst:Violin'])
def test_timbre_transfer_by_name(name, fixtures, host, tmp_path):
  out = str(tmp_path / 'out.wav')
  outcome = command_runner.run_in_process(
      'ddsp.training.playback.ddsp_timbre_transfer',
      ['ddsp_timbre_transfer', f'--model={name}',
       f'--input={fixtures["voice"]}', f'--output={out}',
       '--crepe_model=tiny', '--noviterbi', '--noauto_adjust',
       '--pitch_shift=1', '--block_seconds=1'], timeout=300)
  assert outcome.code in (None, 0), outcome.stderr[-3000:]
  n_in = int(VOICE_SECONDS * 16000)
  assert sf.info(out).frames == n_in // 320 * 320  # Whole hops of the input.
  f0_in, conf_in = _f0(fixtures['voice'])
  f0_out, conf_out = _f0(out)
  n = min(f0_in.size, f0_out.size)
  sure = (conf_in[:n] > 0.8) & (conf_out[:n] > 0.5)
  assert sure.sum() > 20, sure.sum()
  cents = 1200 * np.log2(f0_out[:n][sure] / (2 * f0_in[:n][sure]))
  assert np.median(np.abs(cents)) < 50, np.percentile(np.abs(cents),
                                                      [25, 50, 75])


def test_vst_auto_adjust_follows_the_metadata(fixtures):
  """A voice 1.97 octaves below the middle of the model's notes (MIDI 63)
  moves up one (above 1.5 octaves the Colab rounds down); its note power
  range lands on the metadata's."""
  from ddsp.training.playback import adjustments  # pylint: disable=g-import-not-at-top
  stats = vst_instrument.read_statistics(fixtures['tflite'])
  n = 400
  power = np.where(np.arange(n) % 100 < 70, -15.0 + 10 * np.sin(
      np.arange(n) / 9.0), -75.0).astype(np.float32)
  features = {'f0_hz': np.full([n], 80.0, np.float32),  # MIDI 39.4.
              'f0_confidence': np.full([n], 0.95, np.float32),
              'power_db': power}
  adjusted, mask_on, _ = adjustments.auto_adjust(features, stats,
                                                 verbose=False)
  np.testing.assert_allclose(adjusted['f0_hz'], 160.0, rtol=1e-5)
  on = adjusted['power_db'][mask_on]
  assert on.min() == pytest.approx(-50.0, abs=0.01)
  assert on.max() == pytest.approx(-20.0, abs=0.01)


def test_midi_notes_on_a_vst_instrument(fixtures):
  from ddsp.training.playback import midi_performance  # pylint: disable=g-import-not-at-top
  from ddsp.training.playback import midi_synthesis  # pylint: disable=g-import-not-at-top
  notes = [midi_performance.Note(48, 0.0, 1.0, 100),  # Below the range.
           midi_performance.Note(62, 1.0, 2.0, 100)]
  rendering = midi_synthesis.render_midi(fixtures['tflite'], notes,
                                         verbose=False)
  assert rendering.sample_rate == 16000
  assert rendering.audio.size == rendering.curves.f0_hz.size * 320
  assert rendering.report.moved == [(48.0, 60.0, 0.0)]  # Into 57..69.
  assert np.std(rendering.audio) > 1e-4
  assert rendering.real_time_factor < 1.0
