#!/usr/bin/env bash
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
#
# A model for the DDSP-VST plugin from your recordings (the original's
# Train_VST notebook as one command):
#   1. ddsp_prepare_tfrecord at 50 frames/s with centered frames,
#   2. ddsp_run with models/vst/vst.gin (progress and ETA as it trains),
#   3. ddsp_export --inference_model=vst_stateless_predict_controls --tflite,
#   4. ddsp_export --check: the plugin's contract (names, shapes, metadata).
#
#   bash scripts/make_vst_model.sh 'my_recordings/*.wav' [OUTPUT_DIR]
# (default OUTPUT_DIR: vst_output/). The model to load in the plugin is
# OUTPUT_DIR/run/<VST_NAME>/tflite/<VST_NAME>.tflite.
# Environment: VST_STEPS (training steps, default 30000 as the original's
# notebook; a few hundred to try the journey), VST_BATCH (default 16),
# VST_NAME (file name, default 'model'), VST_CREPE (CREPE size, default full).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: bash scripts/make_vst_model.sh 'AUDIO_GLOB' [OUTPUT_DIR]" >&2
  exit 2
fi
AUDIO="$1"
OUT="$(mkdir -p "${2:-vst_output}" && cd "${2:-vst_output}" && pwd)"
STEPS="${VST_STEPS:-30000}"
BATCH="${VST_BATCH:-16}"
NAME="${VST_NAME:-model}"
CREPE="${VST_CREPE:-full}"
START=$(date +%s)
export PATH="$ROOT/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
stamp() { echo "[vst $(( $(date +%s) - START )) s] $*"; }

DATA="$OUT/data"
MODEL="$OUT/run"
if ls "$DATA"/train.tfrecord* > /dev/null 2>&1; then
  stamp "1/4 reusing the dataset in $DATA"
else
  stamp "1/4 preparing $AUDIO at 50 frames/s, centered frames"
  ddsp_prepare_tfrecord \
    --input_audio_filepatterns="$AUDIO" \
    --output_tfrecord_path="$DATA/train.tfrecord" \
    --frame_rate=50 --center=True --crepe_model="$CREPE" \
    --alsologtostderr
fi

stamp "2/4 training models/vst/vst.gin for $STEPS steps in $MODEL"
ddsp_run \
  --mode=train \
  --save_dir="$MODEL" \
  --gin_file=models/vst/vst.gin \
  --gin_file=datasets/tfrecord.gin \
  --gin_param="TFRecordProvider.file_pattern='$DATA/train.tfrecord*'" \
  --gin_param=TFRecordProvider.centered=True \
  --gin_param=TFRecordProvider.frame_rate=50 \
  --gin_param="batch_size=$BATCH" \
  --gin_param="train.num_steps=$STEPS" \
  --alsologtostderr

stamp "3/4 exporting the control model for the plugin"
ddsp_export \
  --model_path="$MODEL" \
  --name="$NAME" \
  --inference_model=vst_stateless_predict_controls \
  --tflite --notfjs

TFLITE="$MODEL/$NAME/tflite/$NAME.tflite"
stamp "4/4 checking $TFLITE against the plugin's contract"
ddsp_export --check="$TFLITE"
stamp "done: load $TFLITE in DDSP-VST"
