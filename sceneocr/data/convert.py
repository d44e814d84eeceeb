"""Shared pieces of the dataset converters: writers for the project's recognition formats,
safe XML parsing, box clamping and cropping, and a summary of what was written or skipped."""
import argparse
import collections
import os
import shutil
import sys
import tempfile
import unicodedata

import cv2
import numpy as np

from sceneocr.data.lmdb_store import LmdbWriter
from sceneocr.data.paths import inside_root  # noqa: F401 (re-exported for the converters)


class ConversionError(ValueError):
    pass


def parse_xml(path):
    """Parse an untrusted XML file with defusedxml; one clear error for missing or malformed files."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    if not os.path.isfile(path):
        raise ConversionError(f"{path}: file not found")
    try:
        return SafeET.parse(path).getroot()
    except ParseError as exc:
        raise ConversionError(f"{path}: malformed XML ({exc})") from None
    except DefusedXmlException as exc:  # entity declarations (XML bombs), external references
        raise ConversionError(f"{path}: refused, the XML declares entities or external references "
                              f"(possible XML bomb: {exc!r})") from None


def xml_images(xml_path, what):
    """The <image> entries of an SVT / ICDAR 2003 style XML file."""
    images = parse_xml(xml_path).findall("image")
    if not images:
        raise ConversionError(f"{xml_path}: no <image> entries (is this {what}?)")
    return images


def tagged_crop(rect, image, xml_path, name):
    """The image region of a <taggedRectangle x y width height>, clamped; None when empty."""
    try:
        box = clamp_box(*(float(rect.get(k)) for k in ("x", "y", "width", "height")), image.shape[1], image.shape[0])
    except (TypeError, ValueError):
        raise ConversionError(f"{xml_path}: taggedRectangle of {name} lacks numeric x/y/width/height") from None
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1]


def clamp_box(x, y, w, h, width, height):
    """Clamp a float x, y, w, h box to the image; returns integer (x0, y0, x1, y1) or None if empty."""
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(width, int(np.ceil(x + w))), min(height, int(np.ceil(y + h)))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return x0, y0, x1, y1


def read_image(path):
    """BGR image or None when missing/undecodable."""
    if not os.path.isfile(path):
        return None
    data = np.fromfile(path, dtype=np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None


def read_image_bytes(path):
    """The file's bytes when it is a decodable image, else None (never copy arbitrary files into a dataset)."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        data = handle.read()
    if not data or cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is None:
        return None
    return data


def check_root(root):
    """The dataset folder must exist: a typo must not turn into an empty dataset."""
    if not os.path.isdir(root):
        raise ConversionError(f"{root}: --root folder not found")
    return root


OUTSIDE_ROOT = "path outside --root"


def label_problem(label):
    """Why a label cannot be stored, or None. Control characters (\\r \\n \\t ...) would split a
    labels.tsv record when read back, so such samples are dropped rather than silently rewritten."""
    if not label:
        return "empty label"
    if any(unicodedata.category(c) == "Cc" for c in label):
        return "label contains a control character (line break, tab, ...)"
    return None


def clean_lexicon(lexicon):
    """Lexicon words that survive the comma-joined storage (no commas, no control characters)."""
    if not lexicon:
        return None
    words = [w for w in lexicon if w and "," not in w and label_problem(w) is None]
    return words or None


def encode_jpeg(bgr, quality=95):
    return _encode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])


def encode_png(bgr):
    """Lossless, for crops that must differ from their source only by the geometry applied."""
    return _encode(".png", bgr, [])


def _encode(ext, bgr, params):
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:
        raise ConversionError("cannot encode crop")
    return buf.tobytes()


class RecognitionWriter:
    """Writes word images to an LMDB (default) or a folder with labels.tsv.

    The dataset is built in a temporary folder beside ``output`` and moved into place by
    :meth:`close`, so an interrupted conversion leaves ``output`` untouched and old and new records
    never mix. A non-empty ``output`` is refused unless ``overwrite``; then it is replaced whole.
    ``protect`` lists input paths (the dataset root, annotation files) that ``output`` must not contain.
    """

    def __init__(self, output, fmt="lmdb", overwrite=False, protect=()):
        if fmt not in ("lmdb", "folder"):
            raise ConversionError(f"unknown output format '{fmt}' (use lmdb or folder)")
        check_output(output, overwrite, protect)
        self.output, self.fmt = output, fmt
        self.count = 0
        parent = os.path.dirname(os.path.abspath(output))
        os.makedirs(parent, exist_ok=True)
        self.stale_removed, self.stale_unknown = remove_stale_partials(output)
        if self.stale_removed:
            print(f"removed {len(self.stale_removed)} half-built folder(s) of killed conversions, e.g. "
                  f"{self.stale_removed[0]}", file=sys.stderr)
        if self.stale_unknown:
            print(f"{len(self.stale_unknown)} half-built folder(s) of an older conversion beside {output}, e.g. "
                  f"{self.stale_unknown[0]}: remove them if no conversion is running", file=sys.stderr)
        # The pid in the name tells a later conversion whether this one still runs (see remove_stale_partials).
        self.building = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(output))}.{os.getpid()}.",
                                         suffix=".partial", dir=parent)
        os.chmod(self.building, 0o777 & ~_umask())  # mkdtemp's 0700 would otherwise become the dataset's mode
        if fmt == "lmdb":
            self._lmdb = LmdbWriter(self.building)
        else:
            os.makedirs(os.path.join(self.building, "images"))
            self._index = open(os.path.join(self.building, "labels.tsv"), "w", encoding="utf-8", newline="\n")

    def add(self, image_bytes, label, lexicon=None, ext=".jpg"):
        problem = label_problem(label)
        if problem:  # converters check first (and count); this guards every other caller
            raise ConversionError(f"{self.output}: cannot store label {label!r}: {problem}")
        lexicon = clean_lexicon(lexicon)
        self.count += 1
        if self.fmt == "lmdb":
            self._lmdb.add(image_bytes, label, lexicon)
            return
        name = f"images/{self.count:09d}{ext}"
        with open(os.path.join(self.building, name), "wb") as handle:
            handle.write(image_bytes)
        self._index.write(f"{name}\t{label}" + (f"\t{','.join(lexicon)}" if lexicon else "") + "\n")

    def close(self):
        if self.fmt == "lmdb":
            self._lmdb.close()
        else:
            self._index.close()
        swap_in(self.building, self.output)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
            return
        if self.fmt == "lmdb":
            self._lmdb.__exit__(exc_type, exc, tb)
        else:
            self._index.close()
        shutil.rmtree(self.building, ignore_errors=True)  # output was never touched


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(output):
    """Remove the half-built folders that killed conversions into ``output`` left beside it
    (``.<name>.<pid>.<random>.partial`` whose process is gone); returns (removed, left: ones of unknown owner)."""
    parent = os.path.dirname(os.path.abspath(output))
    prefix = f".{os.path.basename(os.path.abspath(output))}."
    removed, unknown = [], []
    if not os.path.isdir(parent):
        return removed, unknown
    for name in sorted(os.listdir(parent)):
        if not (name.startswith(prefix) and name.endswith((".partial", ".old"))):
            continue
        path = os.path.join(parent, name)
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        elif not pid.isdigit():
            unknown.append(path)
    return removed, unknown


def check_output(output, overwrite, protect=()):
    """Refuse an output that is a file, holds anything (unless ``overwrite``) or contains an input."""
    if os.path.exists(output) and not os.path.isdir(output):
        raise ConversionError(f"{output}: --output exists and is not a folder")
    real = os.path.realpath(output)
    for path in protect:
        if path and os.path.commonpath([real, os.path.realpath(path)]) == real:
            raise ConversionError(f"{output}: --output contains the input {path}; choose another folder")
    if os.path.isdir(output) and os.listdir(output) and not overwrite:
        raise ConversionError(f"{output}: --output exists and is not empty; pass --overwrite to replace it "
                              f"(its contents are deleted)")


def swap_in(building, output):
    """Replace ``output`` by the finished folder ``building`` (same parent, so renames are atomic)."""
    old = None
    if os.path.lexists(output):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(output))}.{os.getpid()}.", suffix=".old",
                               dir=os.path.dirname(os.path.abspath(output)))
        old = os.path.join(old, "previous")
        os.rename(output, old)
    os.rename(building, output)
    if old:
        shutil.rmtree(os.path.dirname(old), ignore_errors=True)


class Summary:
    def __init__(self, name):
        self.name = name
        self.written = 0
        self.skipped = collections.Counter()
        self.examples = {}

    def skip(self, reason, example=None):
        self.skipped[reason] += 1
        if example is not None:
            self.examples.setdefault(reason, example)

    def text(self):
        lines = [f"{self.name}: wrote {self.written} words"]
        for reason, count in self.skipped.most_common():
            example = self.examples.get(reason)
            lines.append(f"  skipped {count}: {reason}" + (f" (e.g. {example})" if example else ""))
        return "\n".join(lines)


def write_sample(writer, summary, image_bytes, label, lexicon=None, ext=".jpg", where=None):
    """Write one sample, or skip and count it when its label cannot be stored; True when written."""
    problem = label_problem(label)
    if problem:
        summary.skip(problem, where or repr(label))
        return False
    writer.add(image_bytes, label, lexicon, ext)
    summary.written += 1
    return True


def progress(iterable, total=None, desc=None):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, disable=not sys.stderr.isatty(), leave=False)


def converter_parser(description):
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="output folder (must be new or empty)")
    parser.add_argument("--format", default="lmdb", choices=("lmdb", "folder"))
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a non-empty --output (built aside, then swapped in whole)")
    return parser


def run_converter(main):
    try:
        main()
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
