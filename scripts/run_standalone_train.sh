#!/usr/bin/env bash
# CRNN on one device.
# usage: bash scripts/run_standalone_train.sh DATASET_NAME DATASET_PATH PLATFORM   (PLATFORM: Ascend, GPU or CPU)
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -eq 3 ] || die "usage: $0 DATASET_NAME DATASET_PATH PLATFORM"
name="$1"
dataset="$2"
platform="$3"
case "$platform" in Ascend|GPU|CPU) ;; *) die "PLATFORM must be Ascend, GPU or CPU, got $platform" ;; esac
[ "$dataset" = synthetic ] || [ -e "$dataset" ] || die "dataset not found: $dataset"
[ "$dataset" = synthetic ] || dataset="$(absolute "$dataset")"
config=configs/crnn/crnn_reference.yaml
[ "$platform" = CPU ] && config=configs/crnn/crnn_cpu.yaml
cd "$ROOT"
exec python train.py --model crnn --config "$config" --device_target "$platform" --train "$dataset" \
    --output_dir "runs/crnn_${name}_${platform}"
