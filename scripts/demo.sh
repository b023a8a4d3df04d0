#!/usr/bin/env bash
# End-to-end demo on the bundled example audio (examples/audio/):
#   1. install (scripts/venv.sh),
#   2. ddsp_prepare_tfrecord on two short violin clips (CREPE tiny),
#   3. ddsp_run: a short training run of models/solo_instrument.gin
#      (narrower decoder so that it trains in minutes on 2 CPU cores),
#   4. dataset statistics -> dataset_statistics.pkl,
#   5. ddsp_timbre_transfer of the bundled voice clip,
#   6. a wav and spectrogram PNGs in the output folder.
#
#   bash scripts/demo.sh [OUTPUT_DIR]        (default: demo_output/)
# Environment: DEMO_STEPS (training steps, default 100), DEMO_CREPE (tiny),
# DEMO_SKIP_INSTALL=1 to use an existing .venv as is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/demo_output}" && cd "${1:-$ROOT/demo_output}" && pwd)"
STEPS="${DEMO_STEPS:-100}"
CREPE="${DEMO_CREPE:-tiny}"
START=$(date +%s)

if [ "${DEMO_SKIP_INSTALL:-0}" = "1" ]; then
  export PATH="$ROOT/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2
else
  source "$ROOT/scripts/venv.sh"
fi
cd "$ROOT"
stamp() { echo "[demo $(( $(date +%s) - START )) s] $*"; }

DATA="$OUT/data"
MODEL="$OUT/model"
mkdir -p "$DATA"

if ls "$DATA"/train.tfrecord* > /dev/null 2>&1; then
  stamp "1/5 reusing the dataset in $DATA"
else
  stamp "1/5 preparing the dataset from examples/audio/violin_*.flac"
  ddsp_prepare_tfrecord \
    --input_audio_filepatterns="$ROOT/examples/audio/violin_*.flac" \
    --output_tfrecord_path="$DATA/train.tfrecord" \
    --num_shards=1 \
    --crepe_model="$CREPE" 2>&1 | grep -E "summary|Error|error" || true
fi
ls "$DATA"/train.tfrecord* > /dev/null

stamp "2/5 training $STEPS steps (models/solo_instrument.gin, small decoder)"
ddsp_run \
  --mode=train \
  --save_dir="$MODEL" \
  --gin_file=models/solo_instrument.gin \
  --gin_file=datasets/tfrecord.gin \
  --gin_param="TFRecordProvider.file_pattern='$DATA/train.tfrecord*'" \
  --gin_param="batch_size=4" \
  --gin_param="learning_rate=0.001" \
  --gin_param="RnnFcDecoder.rnn_channels=128" \
  --gin_param="RnnFcDecoder.ch=128" \
  --gin_param="train_util.train.num_steps=$STEPS" \
  --gin_param="train_util.train.steps_per_save=$STEPS" \
  --gin_param="train_util.train.steps_per_summary=50" \
  --gin_param="trainers.Trainer.checkpoints_to_keep=1" \
  2>&1 | grep -E "step: *([0-9]*[05]0|1)\b|Error" || true
ls "$MODEL"/ckpt-*.index > /dev/null

stamp "3/5 dataset statistics"
python - "$DATA" "$MODEL" <<'EOF'
import sys
from ddsp.colab import colab_utils
from ddsp.training import data
provider = data.TFRecordProvider(sys.argv[1] + '/train.tfrecord*')
stats = colab_utils.save_dataset_statistics(
    provider, sys.argv[2] + '/dataset_statistics.pkl', batch_size=4,
    power_frame_size=1024)
print('mean pitch (MIDI) %.1f, note range %.1f..%.1f' % (
    stats['mean_pitch'], stats['min_pitch_note'], stats['max_pitch_note']))
EOF

stamp "4/5 timbre transfer of examples/audio/voice.flac"
ddsp_timbre_transfer \
  --checkpoint_dir="$MODEL" \
  --input="$ROOT/examples/audio/voice.flac" \
  --output="$OUT/voice_to_violin.wav" \
  --crepe_model="$CREPE" 2>&1 | grep -v "^I0000\|^W0000\|oneDNN\|cuda\|^I1\|^W1" || true
test -s "$OUT/voice_to_violin.wav"

stamp "5/5 spectrograms"
MPLBACKEND=Agg python - "$ROOT/examples/audio/voice.flac" "$OUT" <<'EOF'
import sys
from ddsp.colab import colab_utils
from ddsp.training import plotting
voice = colab_utils.load_audio(sys.argv[1])  # 16 kHz.
out = colab_utils.load_audio(sys.argv[2] + '/voice_to_violin.wav')
fig = plotting.transfer_spectrograms(
    voice, out, 16000, titles=('Input: voice', 'Output: violin model'))
fig.savefig(sys.argv[2] + '/spectrograms.png', dpi=100)
print('Saved', sys.argv[2] + '/spectrograms.png')
EOF

stamp "done. Outputs in $OUT:"
ls -la "$OUT" "$MODEL" | grep -v "^total"
