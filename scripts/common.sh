#!/usr/bin/env bash
# Helpers shared by the launch scripts (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# The interpreter to run; set PYTHON=/path/to/venv/bin/python to use a virtualenv that is not activated.
PYTHON="${PYTHON:-python}"

die() {
    echo "error: $*" >&2
    exit 2
}

absolute() {
    case "$1" in
        /*) echo "$1" ;;
        *) echo "$PWD/$1" ;;
    esac
}

# A YAML single-quoted scalar: a quote inside is written twice (a folder named it's stays one value).
yaml_quote() {
    local text="${1//\'/\'\'}"
    printf "'%s'" "$text"
}

# IMGS_PATH and ANNOS_PATH are comma-separated lists of equal length. An entry may carry its format
# as FORMAT:PATH (ic13, ic11, scut, ic15, cocotext); plain folders are ICDAR 2013, .json files COCO-Text.
detection_spec() {
    local imgs="$1" annos="$2"
    local -a img_list anno_list
    IFS=',' read -r -a img_list <<< "$imgs"
    IFS=',' read -r -a anno_list <<< "$annos"
    [ "${#img_list[@]}" -eq "${#anno_list[@]}" ] || die "IMGS_PATH has ${#img_list[@]} entries but ANNOS_PATH ${#anno_list[@]}"
    local spec="[" i fmt anno
    for i in "${!img_list[@]}"; do
        anno="${anno_list[$i]}"
        case "$anno" in
            *:*) fmt="${anno%%:*}"; anno="${anno#*:}" ;;
            *.json) fmt=cocotext ;;
            *) fmt=ic13 ;;
        esac
        [ -e "$anno" ] || die "annotations not found: $anno"
        [ -d "${img_list[$i]}" ] || die "image folder not found: ${img_list[$i]}"
        spec+="{format: $fmt, images: $(yaml_quote "$(absolute "${img_list[$i]}")"), annotations: $(yaml_quote "$(absolute "$anno")")},"
    done
    echo "${spec%,}]"
}

coco_parser_note() {
    if [ -n "${1:-}" ]; then
        echo "note: COCO_TEXT_PARSER_PATH is accepted for compatibility and not needed; COCO-Text v2 JSON is read directly." >&2
    fi
}
