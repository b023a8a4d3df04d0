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

"""DDSP Studio: a local web app for timbre transfer, MIDI and training.

`ddsp_studio` serves plain HTML/JS (`static/`) and a JSON API on the
standard library's HTTP server (`server`); long work runs as background
jobs whose state lives in the work folder (`jobs`, `tasks`).
"""
