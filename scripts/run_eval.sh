#!/usr/bin/env bash
# CRNN evaluation: word accuracy (standard protocol), case-sensitive accuracy, 1-NED, lexicon accuracy.
# usage: bash scripts/run_eval.sh DATASET_NAME DATASET_PATH CHECKPOINT_PATH PLATFORM
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || die "usage: $0 DATASET_NAME DATASET_PATH CHECKPOINT_PATH PLATFORM"
name="$1"
dataset="$2"
checkpoint="$(absolute "$3")"
platform="$4"
[ "$dataset" = synthetic ] || [ -e "$dataset" ] || die "dataset not found: $dataset"
[ "$dataset" = synthetic ] || dataset="$(absolute "$dataset")"
[ -f "$checkpoint" ] || die "checkpoint not found: $checkpoint"
cd "$ROOT"
exec python eval.py --model crnn --dataset "$dataset" --ckpt "$checkpoint" --device_target "$platform" \
    --report "runs/crnn_eval/${name}.json"
