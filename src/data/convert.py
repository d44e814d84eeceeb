"""Shared pieces of the dataset converters: writers for the project's recognition formats,
safe XML parsing, box clamping and cropping, and a summary of what was written or skipped."""
import argparse
import collections
import os
import sys

import cv2
import numpy as np

from src.data.lmdb_store import LmdbWriter


class ConversionError(ValueError):
    pass


def parse_xml(path):
    """Parse an untrusted XML file with defusedxml; one clear error for missing or malformed files."""
    import defusedxml.ElementTree as SafeET
    from xml.etree.ElementTree import ParseError

    if not os.path.isfile(path):
        raise ConversionError(f"{path}: file not found")
    try:
        return SafeET.parse(path).getroot()
    except ParseError as exc:
        raise ConversionError(f"{path}: malformed XML ({exc})") from None


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


def encode_jpeg(bgr, quality=95):
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ConversionError("cannot encode crop")
    return buf.tobytes()


class RecognitionWriter:
    """Writes word images to an LMDB (default) or a folder with labels.tsv."""

    def __init__(self, output, fmt="lmdb"):
        self.output, self.fmt = output, fmt
        self.count = 0
        if fmt == "lmdb":
            self._lmdb = LmdbWriter(output)
        elif fmt == "folder":
            os.makedirs(os.path.join(output, "images"), exist_ok=True)
            self._index = open(os.path.join(output, "labels.tsv.tmp"), "w", encoding="utf-8")
        else:
            raise ConversionError(f"unknown output format '{fmt}' (use lmdb or folder)")

    def add(self, image_bytes, label, lexicon=None, ext=".jpg"):
        self.count += 1
        if self.fmt == "lmdb":
            self._lmdb.add(image_bytes, label, lexicon)
            return
        name = f"images/{self.count:09d}{ext}"
        with open(os.path.join(self.output, name), "wb") as handle:
            handle.write(image_bytes)
        clean = label.replace("\t", " ").replace("\n", " ")
        self._index.write(f"{name}\t{clean}" + (f"\t{','.join(lexicon)}" if lexicon else "") + "\n")

    def close(self):
        if self.fmt == "lmdb":
            self._lmdb.close()
        else:
            self._index.close()
            os.replace(os.path.join(self.output, "labels.tsv.tmp"), os.path.join(self.output, "labels.tsv"))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        elif self.fmt == "lmdb":
            self._lmdb.__exit__(exc_type, exc, tb)  # abort: no num-samples, readers reject it
        else:
            self._index.close()  # labels.tsv is not written: the folder stays unusable


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


def progress(iterable, total=None, desc=None):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, disable=not sys.stderr.isatty(), leave=False)


def converter_parser(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--output", required=True, help="output folder")
    parser.add_argument("--format", default="lmdb", choices=("lmdb", "folder"))
    return parser


def run_converter(main):
    try:
        main()
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
