#!/usr/bin/env bash
# CRNN on the Ascend devices of an HCCL rank table.
# usage: bash scripts/run_distribute_train.sh DATASET_NAME RANK_TABLE_FILE DATASET_PATH
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -eq 3 ] || die "usage: $0 DATASET_NAME RANK_TABLE_FILE DATASET_PATH"
name="$1"
rank_table="$(absolute "$2")"
dataset="$3"
[ "$dataset" = synthetic ] || [ -e "$dataset" ] || die "dataset not found: $dataset"
[ "$dataset" = synthetic ] || dataset="$(absolute "$dataset")"
cd "$ROOT"
exec python -m sceneocr.launch ascend --rank_table "$rank_table" --bind_cores --log_dir "runs/crnn_${name}/logs" ${DRY_RUN:+--dry_run} -- \
    train.py --model crnn --config configs/crnn/crnn_reference.yaml --train "$dataset" --output_dir "runs/crnn_${name}"
