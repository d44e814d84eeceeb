#!/usr/bin/env bash
# DeepText evaluation (precision / recall / F under the three protocols) on one Ascend device.
# usage: bash scripts/run_eval_ascend.sh IMGS_PATH ANNOS_PATH CHECKPOINT_PATH [COCO_TEXT_PARSER_PATH] [DEVICE_ID]
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || die "usage: $0 IMGS_PATH ANNOS_PATH CHECKPOINT_PATH [COCO_TEXT_PARSER_PATH] [DEVICE_ID]"
coco_parser_note "${4:-}"
annos="$2"
case "$annos" in *:*) ;; *.json) annos="cocotext:$annos:val" ;; *) annos="ic13:$(absolute "$1"):$(absolute "$annos")" ;; esac
checkpoint="$(absolute "$3")"
[ -f "$checkpoint" ] || die "checkpoint not found: $checkpoint"
export DEVICE_ID="${5:-0}"
cd "$ROOT"
exec python eval.py --model deeptext --config configs/deeptext/deeptext_reference.yaml --device_target Ascend \
    --dataset "$annos" --ckpt "$checkpoint" --report runs/deeptext_eval/report.json
