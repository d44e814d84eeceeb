#!/usr/bin/env bash
# DeepText on one Ascend device.
# usage: bash scripts/run_standalone_train_ascend.sh IMGS_PATH ANNOS_PATH PRETRAINED_PATH [COCO_TEXT_PARSER_PATH] [DEVICE_ID]
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || die "usage: $0 IMGS_PATH ANNOS_PATH PRETRAINED_PATH [COCO_TEXT_PARSER_PATH] [DEVICE_ID]"
coco_parser_note "${4:-}"
spec="$(detection_spec "$1" "$2")"
pretrained="$(absolute "$3")"
[ -f "$pretrained" ] || die "pretrained checkpoint not found: $pretrained"
export DEVICE_ID="${5:-0}"
cd "$ROOT"
exec python train.py --model deeptext --config configs/deeptext/deeptext_reference.yaml --device_target Ascend \
    --train "$spec" --pretrained "$pretrained" --output_dir runs/deeptext_standalone
