"""Convert ICDAR 2013 word recognition (Challenge 2 Task 3) to the recognition format.

    sceneocr convert ic13 --root /data/Challenge2_Test_Task3_Images \\
        --gt /data/Challenge2_Test_Task3_GT.txt --output data/ic13_857 --filter ic13_857

Ground-truth lines look like ``word_1.png, "Tiredness"`` (CRLF); a label may itself contain quotes
or commas, so each line is split at the first ", " and one pair of outer quotes is removed.
Filters: ic13_1015 keeps labels matching ^[A-Za-z0-9]+$, ic13_857 those of 3 or more characters.
Image names must stay inside --root and be decodable images; other lines are skipped and counted.

ICDAR 2015 Task 4.3 (incidental word crops) has the same layout plus ``coords.txt``, each crop's quadrilateral
(``word_1.png,x1,y1,...,x4,y4``). With ``--coords coords.txt`` each crop is written with its quadrilateral warped
upright (:func:`sceneocr.geometry.warp_quad_upright`): the word as a reader that knows its exact outline would
see it, for measuring how much rotated and foreshortened words cost a recogniser.
"""
import os
import re

import numpy as np

from sceneocr.data.convert import (OUTSIDE_ROOT, ConversionError, RecognitionWriter, Summary, check_root,
                              converter_parser, encode_png, inside_root, progress, read_image, read_image_bytes,
                              run_converter, write_sample)
from sceneocr.geometry import warp_quad_upright

_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
FILTERS = {
    "none": lambda word: bool(word),
    "ic13_1015": lambda word: bool(_ALNUM.match(word)),
    "ic13_857": lambda word: bool(_ALNUM.match(word)) and len(word) >= 3,
}


def parse_gt(path, summary=None):
    """[(image name, label)]; lines that are not UTF-8 are skipped and counted in ``summary``."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: file not found")
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    entries = []
    # Records end at LF or CRLF only: a lone CR inside a label is kept (and then refused) rather
    # than splitting the record in two.
    for number, data in enumerate(raw.split(b"\n"), 1):
        try:
            line = data.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError:
            if summary is not None:
                summary.skip("line is not UTF-8", f"{path}:{number}")
            continue
        if not line.strip():
            continue
        if ", " not in line:
            raise ConversionError(f"{path}:{number}: expected 'image.png, \"label\"', got {line!r}")
        name, label = line.split(", ", 1)
        if len(label) >= 2 and label[0] == '"' and label[-1] == '"':
            label = label[1:-1]
        entries.append((name.strip(), label))
    return entries


def parse_coords(path):
    """{image name: (4, 2) corners} from an ICDAR 2015 Task 4.3 ``coords.txt`` (``word_1.png,x1,y1,...,x4,y4``,
    pixel indices in the crop, clockwise). A line without exactly 8 finite numbers, or a name given twice, is an
    error naming the line."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: file not found")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConversionError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    quads, lines = {}, {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, rest = line.partition(",")
        name = name.strip()
        try:
            values = [float(v) for v in rest.split(",")]
        except ValueError:
            values = []
        if len(values) != 8 or not np.isfinite(values).all():
            raise ConversionError(f"{path}:{number}: expected 'word_N.png,x1,y1,...,x4,y4', got {line!r}")
        if name in quads:
            raise ConversionError(f"{path}:{number}: {name} already has a quadrilateral (line {lines[name]})")
        quads[name], lines[name] = np.array(values, np.float64).reshape(4, 2), number
    if not quads:
        raise ConversionError(f"{path}: no quadrilaterals")
    return quads


def quad_problem(corners, image_shape):
    """Why a crop's quadrilateral cannot be warped upright, or None."""
    height, width = image_shape[:2]
    if corners.min() < 0 or corners[:, 0].max() > width or corners[:, 1].max() > height:
        return "quadrilateral outside its crop (a coords file of other crops?)"
    x, y = corners[:, 0], corners[:, 1]
    # Shoelace area in image coordinates (y down): positive when the corners run clockwise on screen.
    area = 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    if area <= 1.0:
        return "quadrilateral degenerate or not clockwise"
    return None


def rectified_png(path, corners):
    """(PNG bytes of the crop at ``path`` with its quadrilateral warped upright, None) or (None, why not)."""
    if corners is None:
        return None, "no quadrilateral in --coords"
    image = read_image(path)
    if image is None:
        return None, "not a decodable image"
    problem = quad_problem(corners, image.shape)
    return (None, problem) if problem else (encode_png(warp_quad_upright(image, corners)), None)


def convert(root, gt_path, output, fmt="lmdb", word_filter="ic13_857", overwrite=False, coords=None):
    keep = FILTERS[word_filter]
    check_root(root)
    summary = Summary(os.path.basename(gt_path))
    entries = parse_gt(gt_path, summary)
    quads = parse_coords(coords) if coords else None
    if quads is not None and not any(name in quads for name, _ in entries):
        raise ConversionError(f"{coords}: no quadrilateral for any crop of {gt_path}")
    protect = (root, gt_path) + ((coords,) if coords else ())
    with RecognitionWriter(output, fmt, overwrite, protect=protect) as writer:
        for name, label in progress(entries, desc="ic13"):
            if not label:
                summary.skip("empty label", name)
                continue
            if not keep(label):
                summary.skip(f"filtered by {word_filter}", label)
                continue
            path = inside_root(root, name)
            if path is None:
                summary.skip(OUTSIDE_ROOT, name)
                continue
            if not os.path.isfile(path):
                summary.skip("image missing", name)
                continue
            if quads is not None:
                (data, problem), ext = rectified_png(path, quads.get(name)), ".png"
            else:
                data, ext = read_image_bytes(path), os.path.splitext(name)[1] or ".png"
                problem = None if data is not None else "not a decodable image"
            if problem:
                summary.skip(problem, name)
                continue
            write_sample(writer, summary, data, label, ext=ext, where=name)
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="folder with the word images")
    parser.add_argument("--gt", required=True, help="Challenge2_Test_Task3_GT.txt (or gt.txt)")
    parser.add_argument("--filter", default="ic13_857", choices=sorted(FILTERS))
    parser.add_argument("--coords", metavar="FILE",
                        help="ICDAR 2015 Task 4.3 coords.txt: write each crop with its quadrilateral warped upright")
    args = parser.parse_args()
    print(convert(args.root, args.gt, args.output, args.format, args.filter, args.overwrite, args.coords).text())


if __name__ == "__main__":
    run_converter(main)
