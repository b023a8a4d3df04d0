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

"""DDSP models.

The model classes are made gin-configurable here (in place, same class
objects) under the module name `ddsp.training.models`, so bindings such as
`Autoencoder.decoder = ...` also apply to direct Python calls
`ddsp.training.models.Autoencoder()`.
"""

from ddsp.training.models.autoencoder import Autoencoder
from ddsp.training.models.inverse_synthesis import InverseSynthesis
from ddsp.training.models.midi_autoencoder import MidiAutoencoder
from ddsp.training.models.midi_autoencoder import ZMidiAutoencoder
from ddsp.training.models.model import Model
import gin

_configurable = lambda cls: gin.configurable(cls, module='ddsp.training.models')

Autoencoder = _configurable(Autoencoder)
InverseSynthesis = _configurable(InverseSynthesis)
MidiAutoencoder = _configurable(MidiAutoencoder)
ZMidiAutoencoder = _configurable(ZMidiAutoencoder)


@gin.configurable
def get_model(model=gin.REQUIRED):
  """Returns the model given by gin (`get_model.model = @models.X()`).

  Args:
    model: A model instance, normally built by a gin reference.

  Returns:
    The model.
  """
  return model
