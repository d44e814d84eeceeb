"""Text-detection datasets: readers for ICDAR 2013 / 2011 born-digital / 2015, SCUT-FORU and COCO-Text v2,
and the common sample type.

Every reader returns a list of :class:`DetectionSample` with axis-aligned boxes (x1, y1, x2, y2) and a
``ignore`` flag per box (do-not-care regions: ``###`` in ICDAR 2015, illegible words in COCO-Text).
"""
import glob
import json
import os
import re
from dataclasses import dataclass, field

import numpy as np

from src.data.mindrecord_store import read_records as read_mindrecord_records

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".JPG", ".JPEG", ".PNG")


class AnnotationError(ValueError):
    pass


@dataclass
class DetectionSample:
    image_path: str
    boxes: np.ndarray                     # (K, 4) float32 x1, y1, x2, y2
    ignore: np.ndarray                    # (K,) bool
    texts: list = field(default_factory=list)
    image: object = None                  # optional in-memory RGB array (synthetic scenes)
    encoded: bytes = None                 # optional encoded image bytes (MindRecord)


def _find_image(image_dir, stem):
    for ext in IMAGE_EXTENSIONS:
        path = os.path.join(image_dir, stem + ext)
        if os.path.isfile(path):
            return path
    return None


def _read_lines(path):
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return [line.strip() for line in handle.read().splitlines() if line.strip()]


def _strip_quotes(text):
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else text


def parse_icdar13_line(line, where):
    """``xmin ymin xmax ymax "word"`` (space separated)."""
    parts = line.split(None, 4)
    try:
        x1, y1, x2, y2 = (float(v.rstrip(",")) for v in parts[:4])
    except (ValueError, IndexError):
        raise AnnotationError(f"{where}: expected 'xmin ymin xmax ymax \"word\"', got {line!r}") from None
    return [x1, y1, x2, y2], _strip_quotes(parts[4]) if len(parts) > 4 else ""


def parse_icdar11_line(line, where):
    """``xmin, ymin, xmax, ymax, "word"`` (comma separated)."""
    parts = line.split(",", 4)
    try:
        x1, y1, x2, y2 = (float(v) for v in parts[:4])
    except (ValueError, IndexError):
        raise AnnotationError(f"{where}: expected 'xmin,ymin,xmax,ymax,\"word\"', got {line!r}") from None
    return [x1, y1, x2, y2], _strip_quotes(parts[4]) if len(parts) > 4 else ""


def parse_scut_line(line, where):
    """``x,y,w,h[,word]``."""
    parts = re.split(r"[,\s]+", line, maxsplit=4)
    try:
        x, y, w, h = (float(v) for v in parts[:4])
    except (ValueError, IndexError):
        raise AnnotationError(f"{where}: expected 'x,y,w,h[,word]', got {line!r}") from None
    return [x, y, x + w, y + h], _strip_quotes(parts[4]) if len(parts) > 4 else ""


def parse_icdar15_line(line, where):
    """``x1,y1,...,x4,y4,transcription`` -> the quadrilateral's axis-aligned box."""
    parts = line.split(",", 8)
    try:
        coords = np.array([float(v) for v in parts[:8]]).reshape(4, 2)
    except (ValueError, IndexError):
        raise AnnotationError(f"{where}: expected 8 coordinates and a transcription, got {line!r}") from None
    x1, y1 = coords.min(axis=0)
    x2, y2 = coords.max(axis=0)
    return [x1, y1, x2, y2], parts[8] if len(parts) > 8 else ""


LINE_PARSERS = {"ic13": parse_icdar13_line, "ic11": parse_icdar11_line, "scut": parse_scut_line,
                "ic15": parse_icdar15_line}


def read_gt_folder(image_dir, annotation_dir, fmt):
    """Pairs ``gt_<stem>.txt`` (or ``<stem>.txt``) with ``<stem>.<ext>`` in ``image_dir``."""
    if fmt not in LINE_PARSERS:
        raise AnnotationError(f"unknown detection format '{fmt}' (use {', '.join(sorted(LINE_PARSERS))} or cocotext)")
    if not os.path.isdir(annotation_dir):
        raise AnnotationError(f"{annotation_dir}: annotation folder not found")
    parse = LINE_PARSERS[fmt]
    samples, missing = [], []
    for path in sorted(glob.glob(os.path.join(annotation_dir, "*.txt"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        stem = stem[3:] if stem.startswith("gt_") else stem
        image = _find_image(image_dir, stem)
        if image is None:
            missing.append(stem)
            continue
        boxes, ignore, texts = [], [], []
        for number, line in enumerate(_read_lines(path), 1):
            box, text = parse(line, f"{path}:{number}")
            boxes.append(box)
            texts.append(text)
            ignore.append(text == "###")
        samples.append(DetectionSample(image, np.array(boxes, np.float32).reshape(-1, 4),
                                       np.array(ignore, bool), texts))
    if not samples and not missing:
        raise AnnotationError(f"{annotation_dir}: no .txt annotation files")
    return samples, missing


def read_cocotext(image_dir, json_path, split="train"):
    """COCO-Text v2: legible words are text, illegible ones do-not-care; images of ``split`` only."""
    if not os.path.isfile(json_path):
        raise AnnotationError(f"{json_path}: file not found")
    try:
        with open(json_path, encoding="utf-8") as handle:
            data = json.load(handle)
        images, anns, index = data["imgs"], data["anns"], data["imgToAnns"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AnnotationError(f"{json_path}: not a COCO-Text v2 file ({type(exc).__name__}: {exc})") from None
    samples, missing = [], []
    for image_id, info in sorted(images.items(), key=lambda kv: int(kv[0])):
        if info.get("set") != split:
            continue
        path = os.path.join(image_dir, info["file_name"])
        if not os.path.isfile(path):
            missing.append(info["file_name"])
            continue
        boxes, ignore, texts = [], [], []
        for ann_id in index.get(str(image_id), []):
            ann = anns[str(ann_id)]
            x, y, w, h = ann["bbox"]
            boxes.append([x, y, x + w, y + h])
            ignore.append(ann.get("legibility") != "legible")
            texts.append(ann.get("utf8_string", ""))
        samples.append(DetectionSample(path, np.array(boxes, np.float32).reshape(-1, 4), np.array(ignore, bool), texts))
    return samples, missing


def read_detection_dataset(spec):
    """``spec``: dict with ``format`` (ic13, ic11, scut, ic15, cocotext), ``images``, ``annotations`` and,
    for COCO-Text, ``split``; or ``{format: mindrecord, path: FILE}``. Returns (samples, names of images
    that were missing)."""
    if isinstance(spec, dict) and spec.get("format") == "mindrecord":
        spec = {"images": "", **spec, "annotations": spec.get("annotations") or spec.get("path")}
    try:
        fmt, images, annotations = spec["format"], spec["images"], spec["annotations"]
    except (KeyError, TypeError):
        raise AnnotationError(f"detection dataset {spec!r} needs format, images and annotations") from None
    if fmt != "mindrecord" and not os.path.isdir(images):
        raise AnnotationError(f"{images}: image folder not found")
    if fmt == "cocotext":
        return read_cocotext(images, annotations, spec.get("split", "train"))
    if fmt == "mindrecord":
        return [DetectionSample(**record) for record in read_mindrecord_records(annotations)], []
    return read_gt_folder(images, annotations, fmt)
