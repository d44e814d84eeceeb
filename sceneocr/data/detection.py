"""Text-detection datasets: readers for ICDAR 2013 / 2011 born-digital / 2015, SCUT-FORU, COCO-Text v2,
ICDAR 2003 (words.xml / locations.xml) and SVT (train.xml / test.xml), and the common sample type.

Every reader returns a list of :class:`DetectionSample` with axis-aligned boxes (x1, y1, x2, y2) and a
``ignore`` flag per box (do-not-care regions: ``###`` in ICDAR 2015, illegible words in COCO-Text).

Ground truth is cleaned where it is read (:func:`clean_boxes`): boxes with NaN/inf are dropped, the rest
are clipped to the image (its real size, read from the file header), and boxes left under a pixel wide or
high (inverted, off the image, empty) are dropped. ``read_detection_dataset(spec, counts)`` adds what it
clipped and dropped to ``counts``, for the training summary and evaluation reports.
"""
import glob
import json
import os
import re
from dataclasses import dataclass, field

import numpy as np

from sceneocr.data.mindrecord_store import read_records as read_mindrecord_records
from sceneocr.geometry import box_corners

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
    quads: np.ndarray = None              # optional (K, 8) quadrilaterals the boxes bound (ICDAR 2015), for scoring


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


def parse_icdar15_quad(line, where):
    """``x1,y1,...,x4,y4,transcription`` -> ((4, 2) corners, transcription)."""
    parts = line.split(",", 8)
    try:
        coords = np.array([float(v) for v in parts[:8]]).reshape(4, 2)
    except (ValueError, IndexError):
        raise AnnotationError(f"{where}: expected 8 coordinates and a transcription, got {line!r}") from None
    return coords, parts[8] if len(parts) > 8 else ""


def parse_icdar15_line(line, where):
    """``x1,y1,...,x4,y4,transcription`` -> the quadrilateral's axis-aligned box."""
    coords, text = parse_icdar15_quad(line, where)
    x1, y1 = coords.min(axis=0)
    x2, y2 = coords.max(axis=0)
    return [x1, y1, x2, y2], text


LINE_PARSERS = {"ic13": parse_icdar13_line, "ic11": parse_icdar11_line, "scut": parse_scut_line,
                "ic15": parse_icdar15_line}


def read_gt_folder(image_dir, annotation_dir, fmt, counts=None, holdout=None):
    """Pairs ``gt_<stem>.txt`` (or ``<stem>.txt``) with ``<stem>.<ext>`` in ``image_dir``. ``holdout`` (formats
    with a hold-out rule, :data:`sceneocr.data.holdout.HOLDOUT_EVERY`): ``exclude`` or ``only`` the held-back images,
    named by their file name."""
    from sceneocr.data.holdout import is_held_out

    if fmt not in LINE_PARSERS:
        raise AnnotationError(f"unknown detection format '{fmt}' "
                              f"(use {', '.join(sorted(LINE_PARSERS))}, cocotext, ic03, svt or mindrecord)")
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
        if holdout in HOLDOUT_CHOICES and is_held_out(fmt, os.path.basename(image)) != (holdout == "only"):
            continue
        boxes, ignore, texts, quads = [], [], [], []
        for number, line in enumerate(_read_lines(path), 1):
            box, text = parse(line, f"{path}:{number}")
            if fmt == "ic15":
                quads.append(parse_icdar15_quad(line, f"{path}:{number}")[0].reshape(8))
            boxes.append(box)
            texts.append(text)
            ignore.append(text == "###")
        size = image_size(image)
        if size is None:
            _count(counts, "unreadable images")
            continue
        sample = DetectionSample(image, np.array(boxes, np.float32).reshape(-1, 4), np.array(ignore, bool), texts,
                                 quads=np.array(quads, np.float32).reshape(-1, 8) if fmt == "ic15" else None)
        samples.append(clean_sample(sample, size, counts))
    if not samples and not missing and holdout not in HOLDOUT_CHOICES:
        raise AnnotationError(f"{annotation_dir}: no .txt annotation files")
    return samples, missing


def read_cocotext(image_dir, json_path, split="train", counts=None):
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
        size = (info["width"], info["height"]) if "width" in info and "height" in info else image_size(path)
        samples.append(clean_sample(DetectionSample(path, np.array(boxes, np.float32).reshape(-1, 4),
                                                    np.array(ignore, bool), texts), size, counts))
    return samples, missing


# --- ground-truth cleaning ---------------------------------------------------------------------------

BOX_PROBLEMS = ("clipped to the image", "dropped: NaN/inf", "dropped: inverted or under 1 px", "dropped: off the image")


def _count(counts, what, number=1):
    if counts is not None:
        counts[what] = counts.get(what, 0) + number


def image_size(path):
    """(width, height) from the image file's header, or None when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


def clean_boxes(boxes, width=None, height=None, min_size=1.0):
    """``(keep mask, cleaned (K, 4) boxes, {problem: count})`` for x1, y1, x2, y2 boxes of an image of
    ``width`` x ``height`` (None: size unknown, no clipping). Non-finite boxes and boxes under
    ``min_size`` pixels are dropped; boxes reaching outside the image are clipped to it."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    finite = np.isfinite(boxes).all(axis=1)
    safe = np.where(finite[:, None], boxes, 0.0)
    inverted = finite & ((safe[:, 2] - safe[:, 0] < min_size) | (safe[:, 3] - safe[:, 1] < min_size))
    clipped = safe if width is None else np.clip(safe, 0, [width, height, width, height])
    moved = finite & ~inverted & (clipped != safe).any(axis=1)
    too_small = (clipped[:, 2] - clipped[:, 0] < min_size) | (clipped[:, 3] - clipped[:, 1] < min_size)
    off_image = finite & ~inverted & too_small
    keep = finite & ~inverted & ~off_image
    counts = {"clipped to the image": int((moved & keep).sum()), "dropped: NaN/inf": int((~finite).sum()),
              "dropped: inverted or under 1 px": int(inverted.sum()), "dropped: off the image": int(off_image.sum())}
    return keep, clipped[keep].astype(np.float32), counts


def clean_sample(sample, size, counts=None):
    """``sample`` with its boxes cleaned for an image of ``size`` (width, height) or None; adds the
    number of boxes read and the problems to ``counts`` (a dict) when given."""
    keep, boxes, problems = clean_boxes(sample.boxes, *(size or (None, None)))
    _count(counts, "boxes", len(keep))
    for problem, number in problems.items():
        _count(counts, problem, number)
    sample.boxes = boxes
    sample.ignore = np.asarray(sample.ignore, bool)[keep]
    if sample.quads is not None:
        sample.quads = np.asarray(sample.quads, np.float32).reshape(-1, 8)[keep]
    if sample.texts and len(sample.texts) == len(keep):
        sample.texts = [text for text, kept in zip(sample.texts, keep) if kept]
    return sample


def describe_box_counts(counts):
    """``889 boxes (12 clipped to the image, 1 dropped: NaN/inf)`` from :func:`clean_sample`'s counts."""
    problems = ", ".join(f"{counts[p]} {p}" for p in BOX_PROBLEMS if counts.get(p))
    text = f"{counts.get('boxes', 0)} boxes" + (f" ({problems})" if problems else " (all inside their images)")
    added = counts.get("do-not-care regions added")
    return text + (f", {added} do-not-care regions added" if added else "")


# --- ICDAR 2003 and SVT XML ---------------------------------------------------------------------------

HOLDOUT_CHOICES = ("exclude", "only")


def read_tagged_rectangles(image_root, xml_path, fmt, holdout=None, counts=None):
    """ICDAR 2003 ``words.xml``/``locations.xml`` and SVT ``train.xml``/``test.xml``: ``<image>`` entries
    with ``<imageName>`` (relative to ``image_root``) and ``<taggedRectangle x y width height>`` (floats;
    ``<tag>`` is the word, absent in locations.xml). Image names that leave ``image_root`` are skipped and
    counted (``counts['outside the dataset folder']``). ``holdout``: ``exclude`` drops the scenes that
    :func:`sceneocr.data.holdout.is_held_out` keeps back for validation, ``only`` keeps just those."""
    from sceneocr.data.convert import parse_xml
    from sceneocr.data.holdout import is_held_out
    from sceneocr.data.paths import RootGuard

    if holdout not in (None, "", "none") + HOLDOUT_CHOICES:
        raise AnnotationError(f"{xml_path}: holdout must be exclude, only or none, got {holdout!r}")
    entries = parse_xml(xml_path).findall("image")
    if not entries:
        raise AnnotationError(f"{xml_path}: no <image> entries (is this an ICDAR 2003 or SVT XML file?)")
    guard = RootGuard(image_root)
    samples, missing = [], []
    for entry in entries:
        name = (entry.findtext("imageName") or "").strip()
        if holdout in HOLDOUT_CHOICES and is_held_out(fmt, name) != (holdout == "only"):
            continue
        path = guard.resolve(name) if name else None
        if path is None:
            _count(counts, "outside the dataset folder")
            continue
        if not os.path.isfile(path):
            missing.append(name)
            continue
        size = image_size(path)
        if size is None:  # not an image: never trained on or scored
            _count(counts, "unreadable images")
            continue
        boxes, texts = [], []
        for rect in entry.findall("taggedRectangles/taggedRectangle"):
            try:
                x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            except (TypeError, ValueError):
                raise AnnotationError(f"{xml_path}: a taggedRectangle of {name} lacks numeric "
                                      "x/y/width/height") from None
            boxes.append([x, y, x + w, y + h])
            texts.append((rect.findtext("tag") or "").strip())
        sample = DetectionSample(path, np.array(boxes, np.float32).reshape(-1, 4), np.zeros(len(boxes), bool), texts)
        samples.append(clean_sample(sample, size, counts))
    return samples, missing


# --- one entry point ----------------------------------------------------------------------------------

SPEC_KEYS = ("format", "images", "annotations", "split", "holdout", "ratio", "path", "ignore_regions")
XML_FORMATS = ("ic03", "svt")
HOLDOUT_FORMATS = ("ic03", "svt", "ic15")  # the scene formats with a hold-out rule (sceneocr/data/holdout.py)


def add_ignore_regions(samples, images, path):
    """Add the do-not-care regions of the JSON file ``path`` (``{"image path relative to images": [[x1, y1, x2,
    y2], ...]}``, e.g. text a partial annotation left out; written by scripts/pseudo_ignore_regions.py) to
    ``samples``, flagged ``ignore``. Returns how many were added; a name no sample has or a malformed box is an error."""
    try:
        with open(path, encoding="utf-8") as handle:
            regions = json.load(handle)
    except (OSError, ValueError) as exc:
        raise AnnotationError(f"{path}: cannot read do-not-care regions ({exc})") from None
    if not isinstance(regions, dict):
        raise AnnotationError(f"{path}: expected an object of image name -> list of [x1, y1, x2, y2]")
    root = os.path.realpath(images)  # readers return resolved paths; the folder may be reached through a link
    by_name = {os.path.relpath(os.path.realpath(s.image_path), root).replace(os.sep, "/"): s for s in samples}
    added = 0
    for name, boxes in regions.items():
        if name not in by_name:
            raise AnnotationError(f"{path}: image {name!r} is not among the dataset's {len(by_name)} images")
        problem = f"{path}: image {name!r}: boxes must be a list of finite [x1, y1, x2, y2] with x1 < x2, y1 < y2"
        try:
            array = np.asarray(boxes if boxes else np.zeros((0, 4)), np.float32)
        except (TypeError, ValueError):
            raise AnnotationError(problem) from None
        if array.ndim != 2 or array.shape[1] != 4 or not np.isfinite(array).all() \
                or (array[:, 2] <= array[:, 0]).any() or (array[:, 3] <= array[:, 1]).any():
            raise AnnotationError(problem)
        sample = by_name[name]
        sample.boxes = np.concatenate([sample.boxes.reshape(-1, 4), array]).astype(np.float32)
        sample.ignore = np.concatenate([sample.ignore.astype(bool), np.ones(len(array), bool)])
        if sample.quads is not None:
            sample.quads = np.concatenate([sample.quads, box_corners(array).reshape(-1, 8)]).astype(np.float32)
        sample.texts = list(sample.texts) + ["###"] * len(array) if sample.texts else sample.texts
        added += len(array)
    return added


def read_detection_dataset(spec, counts=None):
    """``spec``: dict with ``format`` (ic13, ic11, scut, ic15, cocotext, ic03, svt), ``images``,
    ``annotations`` and, for COCO-Text, ``split``; for ic03/svt/ic15 optionally ``holdout`` (exclude | only);
    or ``{format: mindrecord, path: FILE}``; optionally ``ignore_regions`` (a JSON file of extra do-not-care
    regions, :func:`add_ignore_regions`). Returns (samples, names of images that were missing);
    ``counts`` (a dict) receives the ground-truth cleaning counts (see :func:`clean_sample`)."""
    if isinstance(spec, dict) and spec.get("ignore_regions") and spec.get("format") == "mindrecord":
        raise AnnotationError(f"detection dataset {spec!r}: ignore_regions applies to image folders, not MindRecord")
    samples, missing = _read_detection_dataset(spec, counts)
    if isinstance(spec, dict) and spec.get("ignore_regions"):
        added = add_ignore_regions(samples, spec["images"], spec["ignore_regions"])
        if counts is not None:
            counts["do-not-care regions added"] = counts.get("do-not-care regions added", 0) + added
    return samples, missing


def _read_detection_dataset(spec, counts=None):
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(SPEC_KEYS))
        if unknown:
            raise AnnotationError(f"detection dataset {spec!r}: unknown key(s) {', '.join(unknown)} "
                                  f"(known: {', '.join(SPEC_KEYS)})")
    if isinstance(spec, dict) and spec.get("format") == "mindrecord":
        spec = {"images": "", **spec, "annotations": spec.get("annotations") or spec.get("path")}
    try:
        fmt, images, annotations = spec["format"], spec["images"], spec["annotations"]
    except (KeyError, TypeError):
        raise AnnotationError(f"detection dataset {spec!r} needs format, images and annotations") from None
    holdout = spec.get("holdout")
    if holdout not in (None, "", "none") and fmt not in HOLDOUT_FORMATS:
        raise AnnotationError(f"detection dataset {spec!r}: holdout is defined for {', '.join(HOLDOUT_FORMATS)} only")
    if holdout not in (None, "", "none") + HOLDOUT_CHOICES:
        raise AnnotationError(f"detection dataset {spec!r}: holdout must be exclude, only or none, got {holdout!r}")
    if fmt != "mindrecord" and not os.path.isdir(images):
        raise AnnotationError(f"{images}: image folder not found")
    if fmt == "cocotext":
        return read_cocotext(images, annotations, spec.get("split", "train"), counts)
    if fmt in XML_FORMATS:
        return read_tagged_rectangles(images, annotations, fmt, spec.get("holdout"), counts)
    if fmt == "mindrecord":
        return [DetectionSample(**record) for record in read_mindrecord_records(annotations)], []
    return read_gt_folder(images, annotations, fmt, counts, holdout)
