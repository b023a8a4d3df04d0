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

"""Hops, frame rates and seconds in frames, each computed in one place."""

from ddsp import crepe_frontend
from ddsp import errors
from ddsp import framing
from ddsp.features import frame_rates
from ddsp.training.playback import blocks
import pytest


@pytest.mark.parametrize('sample_rate,frame_rate,hop', [
    (16000, 250, 64), (48000, 250, 192), (44100, 50, 882),
    (22050, 50, 441)])
def test_whole_hops_are_exact(sample_rate, frame_rate, hop):
  assert frame_rates.hop_size(sample_rate, frame_rate) == hop
  assert framing.floor_hop(sample_rate, frame_rate) == hop
  assert frame_rates.frame_rate_of(sample_rate, hop) == pytest.approx(
      sample_rate / hop)


@pytest.mark.parametrize('sample_rate,frame_rate,quotient', [
    (44100, 250, 176.4), (16000, 3, 5333.33), (22050, 300, 73.5)])
def test_a_fractional_hop_is_refused_with_nearby_rates(sample_rate,
                                                        frame_rate, quotient):
  with pytest.raises(errors.BadValueError, match='Nearby valid frame rates'):
    frame_rates.hop_size(sample_rate, frame_rate)
  # The original's formula floors it instead; checkpoints rely on that.
  assert framing.floor_hop(sample_rate, frame_rate) == int(quotient)


def test_a_hop_within_rounding_of_whole_is_whole():
  frame_rate = 48000 / 31
  assert 48000 / frame_rate == 30.999999999999996  # Floating point.
  assert frame_rates.hop_size(48000, frame_rate) == 31
  assert framing.floor_hop(48000, frame_rate) == 30.0  # The original's.


def test_floor_hop_keeps_the_type_of_its_arguments():
  assert isinstance(framing.floor_hop(16000, 250), int)
  assert framing.floor_hop(16000.0, 250) == 64.0


def test_frame_rate_of_a_hop_round_trips():
  for sample_rate, frame_rate in [(16000, 250), (48000, 200), (44100, 100)]:
    hop = frame_rates.hop_size(sample_rate, frame_rate)
    assert frame_rates.frame_rate_of(sample_rate, hop) == frame_rate


def test_crepe_steps_by_its_own_hop_where_the_floor_differs():
  """The two CREPE hops of compute_f0: the same at whole rates."""
  for frame_rate in (50, 100, 250, 31.25):
    assert crepe_frontend.crepe_hop(frame_rate) == framing.floor_hop(
        crepe_frontend.SAMPLE_RATE, frame_rate)
  assert crepe_frontend.crepe_hop(6.4) == 2500
  assert framing.floor_hop(crepe_frontend.SAMPLE_RATE, 6.4) == 2499


@pytest.mark.parametrize('seconds,frame_rate,frames', [
    (4.0, 250, 1000), (0.5, 31.25, 15), (0.0, 250, 0), (0.0139, 250, 3)])
def test_seconds_in_frames_are_truncated(seconds, frame_rate, frames):
  assert blocks.frames_in(seconds, frame_rate) == frames


@pytest.mark.parametrize('block_seconds', [0.0, -1.0, float('nan')])
def test_a_block_of_no_length_is_refused(block_seconds):
  with pytest.raises(errors.BadValueError, match='block_seconds must be > 0'):
    blocks.block_frames(block_seconds, 250)
  with pytest.raises(errors.BadValueError, match='block_seconds must be > 0'):
    blocks.BlockPlan.from_seconds(250, block_seconds, 0.1, 0.05)


def test_a_block_is_at_least_one_frame():
  assert blocks.block_frames(0.001, 250) == 1  # 0.25 frames.
  assert blocks.block_frames(4.0, 250) == 1000


def test_block_plan_from_seconds():
  plan = blocks.BlockPlan.from_seconds(250, 4.0, 0.1, 0.05)
  assert plan == blocks.BlockPlan(block=1000, preroll=25, crossfade=12)
