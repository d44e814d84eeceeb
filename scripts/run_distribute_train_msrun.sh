#!/usr/bin/env bash
# Data-parallel training on GPU or CPU with MindSpore's msrun (one machine, or several with MASTER_ADDR).
# usage: bash scripts/run_distribute_train_msrun.sh MODEL WORKERS PLATFORM [train.py overrides ...]
#   env: MASTER_ADDR (127.0.0.1), MASTER_PORT (8118), NODES (1), NODE_RANK (0), PYTHON (python)
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || die "usage: $0 MODEL WORKERS PLATFORM [overrides ...]"
model="$1"
workers="$2"
platform="$3"
shift 3
cd "$ROOT"
exec "$PYTHON" -m sceneocr.launch msrun --workers "$workers" --device_target "$platform" \
    --nodes "${NODES:-1}" --node_rank "${NODE_RANK:-0}" --master_addr "${MASTER_ADDR:-127.0.0.1}" \
    --master_port "${MASTER_PORT:-8118}" --log_dir "runs/${model}_msrun/logs" ${DRY_RUN:+--dry_run} -- \
    train.py --model "$model" --output_dir "runs/${model}_msrun" "$@"
