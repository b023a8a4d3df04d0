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

"""Playing trained models: loading, instruments by name, ...

`load_instrument(name_or_path)` is where a model is taken: a name of the
catalogue (`ddsp_instruments` lists them), a checkpoint folder, prefix or
zip, or a DDSP-VST .tflite.
"""


def __getattr__(name):
  # Imported on first use: `ddsp.training.inference` imports
  # `playback.vst_contract`, so this package must not import the
  # inference models (through `loading`) when it is first imported.
  if name == 'load_instrument':
    from ddsp.training.playback import loading  # pylint: disable=g-import-not-at-top
    return loading.load_instrument
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
