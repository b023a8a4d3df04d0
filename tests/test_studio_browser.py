"""DDSP Studio in a real browser (Chromium, driven by Playwright).

Specification: in the page, the bundled voice uploaded and transferred by
a small instrument gives an audio element of the input's duration and
rendered plots; a text file uploaded as audio shows a clear message and
the page keeps working; two tabs transferring at once each get their own
result; a MIDI file renders; the training page trains on the bundled
violin for a budget of 2 minutes (set-up included: on a 2-core x86-64
CPU at load average 7 the first step came 2.5 minutes after the start,
so 1.5 minutes gave one step), showing a rising step count and a loss curve, and the
new instrument then transfers. Each page's screenshot is saved into
docs/studio/.

Chromium is Debian's (`/usr/bin/chromium`), launched through Playwright's
Python API (`pip install playwright`; its own browser download is not
needed). The tests skip, saying why, where either is missing.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import streaming_models

from ddsp.training.playback import midi_file
from ddsp.training.playback import midi_performance

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUDIO = os.path.join(REPO, 'examples', 'audio')
SHOTS = os.path.join(REPO, 'docs', 'studio')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update',
        '--disable-sync']
VOICE_SECONDS, VIOLIN_SECONDS = 6.0, 8.0
sync_api = pytest.importorskip(
    'playwright.sync_api',
    reason='needs playwright (pip install "ddsp-modern[test]")')
if not os.path.exists(CHROMIUM):
  pytest.skip('needs Chromium (Debian package chromium: apt-get install -y '
              'chromium)', allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def studio_url(tmp_path_factory):
  """A studio subprocess on a free port; models: one random instrument."""
  root = tmp_path_factory.mktemp('studio')
  models = root / 'models'
  streaming_models.write_random_model(str(models / 'tiny'),
                                      streaming_models.model_gin())
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
             DDSP_CACHE=str(root / 'cache'),
             DDSP_MODEL_BASE_URL='http://127.0.0.1:9')
  process = subprocess.Popen(
      [sys.executable, '-m', 'ddsp.training.studio.ddsp_studio',
       f'--models={models}', '--port=0', '--min_training_minutes=0'],
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
  lines = []
  for line in process.stdout:
    lines.append(line)
    match = re.search(r'DDSP Studio on (http://\S+/)', line)
    if match:
      break
  else:
    raise AssertionError('the studio did not start:\n' + ''.join(lines))
  yield match.group(1)
  process.terminate()
  process.wait(30)


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
  with sync_api.sync_playwright() as playwright:
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp('chromium-profile')),
        executable_path=CHROMIUM, headless=True, args=ARGS,
        viewport={'width': 1100, 'height': 900})
    yield context
    context.close()


def _open(browser, url):
  page = browser.new_page()
  page.goto(url)
  page.wait_for_selector('body[data-ready=true]')
  return page


def _set(page, control_id, value):
  """Sets a slider or select of a form (as the user would)."""
  page.eval_on_selector(
      f'#{control_id}', '(el, v) => { el.value = v; '
      'el.dispatchEvent(new Event("input")); }', value)


def _upload_voice(page, path):
  page.set_input_files('#transfer-file', path)
  page.wait_for_function(
      '() => /: [0-9.]+ s$/.test('
      'document.getElementById("transfer-upload-status").textContent)')


def _start_transfer(page, instrument='models/tiny'):
  page.select_option('#transfer-instrument', instrument)
  _set(page, 'transfer-controls-crepe_model', 'tiny')
  page.click('#transfer-button')


def _result(page, prefix, timeout=180_000):
  """{duration, plots (natural widths), src} of a page's result."""
  page.wait_for_selector(f'#{prefix}-result:not([hidden])', timeout=timeout)
  page.wait_for_function(
      f'() => document.getElementById("{prefix}-audio").readyState >= 1 && '
      f'[...document.querySelectorAll("#{prefix}-plots img")]'
      '.every((img) => img.complete)', timeout=30_000)
  return page.evaluate(f'''() => ({{
      duration: document.getElementById("{prefix}-audio").duration,
      src: document.getElementById("{prefix}-audio").src,
      plots: [...document.querySelectorAll("#{prefix}-plots img")]
          .map((img) => img.naturalWidth * img.naturalHeight)}})''')


def _shot(page, name):
  os.makedirs(SHOTS, exist_ok=True)
  page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_transfer_of_the_bundled_voice(browser, studio_url):
  page = _open(browser, studio_url)
  _upload_voice(page, os.path.join(AUDIO, 'voice.flac'))
  _start_transfer(page)
  result = _result(page, 'transfer')
  assert result['duration'] == pytest.approx(VOICE_SECONDS, abs=0.02)
  assert len(result['plots']) == 2 and all(result['plots'])
  _shot(page, 'transfer.png')
  page.close()


def test_a_text_file_as_audio_shows_a_message_and_the_page_keeps_working(
    browser, studio_url, tmp_path):
  page = _open(browser, studio_url)
  text = tmp_path / 'notes.wav'
  text.write_text('These are my notes, not a recording.\n')
  page.set_input_files('#transfer-file', str(text))
  page.wait_for_selector('#transfer-upload-status.error')
  message = page.text_content('#transfer-upload-status')
  assert message.startswith('Cannot read audio from notes.wav')
  assert page.is_disabled('#transfer-button')
  _upload_voice(page, os.path.join(AUDIO, 'voice.flac'))
  assert page.is_enabled('#transfer-button')
  page.close()


def test_two_tabs_transferring_at_once_each_get_their_own_result(
    browser, studio_url):
  tabs = [_open(browser, studio_url) for _ in range(2)]
  inputs = [('voice.flac', VOICE_SECONDS), ('violin_a.flac', VIOLIN_SECONDS)]
  for tab, (name, _) in zip(tabs, inputs):
    _upload_voice(tab, os.path.join(AUDIO, name))
  for tab in tabs:
    _start_transfer(tab)
  results = [_result(tab, 'transfer') for tab in tabs]
  for result, (_, seconds) in zip(results, inputs):
    assert result['duration'] == pytest.approx(seconds, abs=0.02)
  assert results[0]['src'] != results[1]['src']
  for tab in tabs:
    tab.close()


def test_a_midi_file_renders(browser, studio_url, tmp_path):
  path = str(tmp_path / 'tune.mid')
  midi_file.write_notes(path, [
      midi_performance.Note(60.0 + p, 0.4 * i, 0.4 * i + 0.35, 100)
      for i, p in enumerate((0, 4, 7, 12))])
  page = _open(browser, studio_url)
  page.click('nav button[data-page=midi]')
  page.set_input_files('#midi-file', path)
  page.wait_for_function('() => !document.getElementById("midi-button")'
                         '.disabled')
  page.click('#midi-button')
  result = _result(page, 'midi')
  assert result['duration'] > 1.6
  assert all(result['plots'])
  _shot(page, 'midi.png')
  page.close()


def test_training_shows_progress_and_the_new_instrument_transfers(
    browser, studio_url):
  page = _open(browser, studio_url)
  page.click('nav button[data-page=train]')
  page.set_input_files('#train-files', os.path.join(AUDIO, 'violin_a.flac'))
  page.wait_for_function('() => !document.getElementById("train-button")'
                         '.disabled')
  page.fill('#train-name', 'violin')
  _set(page, 'train-controls-minutes', '2')
  page.click('#train-button')
  steps, deadline = [], time.time() + 300
  while not page.is_visible('#train-done') and time.time() < deadline:
    steps.append(int(page.text_content('#train-step') or 0))
    if page.query_selector('#train-status.error'):
      raise AssertionError(page.text_content('#train-status'))
    time.sleep(1.0)
  assert page.is_visible('#train-done'), page.text_content('#train-status')
  rising = sorted(set(s for s in steps if s > 0))
  assert len(rising) >= 2, steps
  assert steps == sorted(steps)
  loss_points = page.get_attribute('#loss-curve', 'points').split()
  assert len(loss_points) >= 2
  _shot(page, 'train.png')
  page.click('nav button[data-page=transfer]')
  _upload_voice(page, os.path.join(AUDIO, 'voice.flac'))
  _start_transfer(page, 'models/violin')
  result = _result(page, 'transfer')
  assert result['duration'] == pytest.approx(VOICE_SECONDS, abs=0.03)
  page.close()
