"""plotting: the demo's spectrogram figure has real axes."""
import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position

from ddsp.training import plotting  # pylint: disable=g-import-not-at-top,wrong-import-position


def _tone(hz, seconds, sample_rate):
  t = np.arange(int(seconds * sample_rate)) / sample_rate
  return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture
def figure():
  fig = plotting.transfer_spectrograms(
      _tone(1000.0, 2.0, 16000), _tone(3000.0, 2.0, 16000), 16000,
      titles=('Input: voice', 'Output: violin model'))
  fig.canvas.draw()
  yield fig
  plt.close(fig)


def _tick_values(ax, axis):
  """Tick positions inside the axis range, with their (non-empty) labels."""
  low, high = sorted(ax.get_xlim() if axis == 'x' else ax.get_ylim())
  ticks = ax.get_xticklabels() if axis == 'x' else ax.get_yticklabels()
  return [(t.get_position()[0 if axis == 'x' else 1], t.get_text())
          for t in ticks
          if low <= t.get_position()[0 if axis == 'x' else 1] <= high]


def test_spectrograms_have_seconds_hertz_and_a_db_colorbar(figure):
  top, bottom, colorbar = figure.axes
  assert [top.get_title(), bottom.get_title()] == [
      'Input: voice', 'Output: violin model']
  assert bottom.get_xlabel() == 'Time (s)'
  for ax in (top, bottom):
    assert ax.get_ylabel() == 'Frequency (Hz)'
    assert ax.get_xlim()[0] == 0.0
    assert ax.get_xlim()[1] == pytest.approx(2.0, abs=192 / 16000)
    assert ax.get_ylim()[1] == pytest.approx(8000.0, abs=16000 / 1024)
    x_ticks = _tick_values(ax, 'x')
    y_ticks = _tick_values(ax, 'y')
    assert len(x_ticks) >= 3 and len(y_ticks) >= 3
    assert all(text for _, text in x_ticks + y_ticks)
    assert max(v for v, _ in x_ticks) >= 1.5
    assert max(v for v, _ in y_ticks) >= 6000.0
  assert 'dB' in colorbar.get_ylabel()


@pytest.mark.parametrize('index, hz', [(0, 1000.0), (1, 3000.0)])
def test_a_tone_is_drawn_at_its_frequency(figure, index, hz):
  ax = figure.axes[index]
  image = ax.get_images()[0]
  data = np.asarray(image.get_array())
  _, _, bottom, top = image.get_extent()
  rows = np.linspace(bottom, top, data.shape[0] + 1)
  loudest = int(np.argmax(data.mean(axis=1)))
  assert rows[loudest] <= hz <= rows[loudest + 1]
