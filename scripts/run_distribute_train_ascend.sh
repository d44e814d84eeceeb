#!/usr/bin/env bash
# DeepText on the 8 (or N) Ascend devices of an HCCL rank table.
# usage: bash scripts/run_distribute_train_ascend.sh IMGS_PATH ANNOS_PATH RANK_TABLE_FILE PRETRAINED_PATH [COCO_TEXT_PARSER_PATH]
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -ge 4 ] || die "usage: $0 IMGS_PATH ANNOS_PATH RANK_TABLE_FILE PRETRAINED_PATH [COCO_TEXT_PARSER_PATH]"
coco_parser_note "${5:-}"
spec="$(detection_spec "$1" "$2")"
rank_table="$(absolute "$3")"
pretrained="$(absolute "$4")"
[ -f "$pretrained" ] || die "pretrained checkpoint not found: $pretrained"
cd "$ROOT"
exec python -m sceneocr.launch ascend --rank_table "$rank_table" --bind_cores --log_dir runs/deeptext_ascend/logs ${DRY_RUN:+--dry_run} -- \
    train.py --model deeptext --config configs/deeptext/deeptext_reference.yaml \
    --train "$spec" --pretrained "$pretrained" --output_dir runs/deeptext_ascend
