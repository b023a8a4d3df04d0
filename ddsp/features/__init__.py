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


"""The features layer: from audio files to the features models train on.

It sits above `ddsp.spectral_ops` and below training, data preparation,
timbre transfer and the notebooks, which all use it:

  resampling       the one resampling policy (soxr 'HQ' on a block grid)
  audio            the one audio decoder, whole files and streams
  frame_rates      which frame rates give whole hops, and the message when
                   one does not
  f0_loudness      CREPE f0 and loudness of audio at any rate, whole or
                   streamed
  tfrecord_layout  names, dtypes and lengths of the dataset TFRecords

CREPE's own constants and front end (framing, normalisation) are one level
lower, in `ddsp.crepe_frontend`, because `ddsp.crepe_model` needs them. This
package imports neither `ddsp.training` nor absl flags.
"""

# pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp.features import audio
from ddsp.features import f0_loudness
from ddsp.features import frame_rates
from ddsp.features import resampling
from ddsp.features import tfrecord_layout
