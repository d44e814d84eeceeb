"""Convert ICDAR 2013 word recognition (Challenge 2 Task 3) to the recognition format.

    python convert_ic13.py --root /data/Challenge2_Test_Task3_Images \\
        --gt /data/Challenge2_Test_Task3_GT.txt --output data/ic13_857 --filter ic13_857

Ground-truth lines look like ``word_1.png, "Tiredness"`` (CRLF); a label may itself contain quotes
or commas, so each line is split at the first ", " and one pair of outer quotes is removed.
Filters: ic13_1015 keeps labels matching ^[A-Za-z0-9]+$, ic13_857 those of 3 or more characters.
"""
import os
import re

from src.data.convert import (ConversionError, RecognitionWriter, Summary, converter_parser, progress,
                              run_converter)

_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
FILTERS = {
    "none": lambda word: bool(word),
    "ic13_1015": lambda word: bool(_ALNUM.match(word)),
    "ic13_857": lambda word: bool(_ALNUM.match(word)) and len(word) >= 3,
}


def parse_gt(path):
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: file not found")
    entries = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, line in enumerate(handle.read().splitlines(), 1):
            if not line.strip():
                continue
            if ", " not in line:
                raise ConversionError(f"{path}:{number}: expected 'image.png, \"label\"', got {line!r}")
            name, label = line.split(", ", 1)
            if len(label) >= 2 and label[0] == '"' and label[-1] == '"':
                label = label[1:-1]
            entries.append((name.strip(), label))
    return entries


def convert(root, gt_path, output, fmt="lmdb", word_filter="ic13_857"):
    keep = FILTERS[word_filter]
    summary = Summary(os.path.basename(gt_path))
    entries = parse_gt(gt_path)
    with RecognitionWriter(output, fmt) as writer:
        for name, label in progress(entries, desc="ic13"):
            if not keep(label):
                summary.skip(f"filtered by {word_filter}", label)
                continue
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                summary.skip("image missing", name)
                continue
            with open(path, "rb") as handle:
                writer.add(handle.read(), label, ext=os.path.splitext(name)[1] or ".png")
            summary.written += 1
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="folder with the word images")
    parser.add_argument("--gt", required=True, help="Challenge2_Test_Task3_GT.txt (or gt.txt)")
    parser.add_argument("--filter", default="ic13_857", choices=sorted(FILTERS))
    args = parser.parse_args()
    print(convert(args.root, args.gt, args.output, args.format, args.filter).text())


if __name__ == "__main__":
    run_converter(main)
