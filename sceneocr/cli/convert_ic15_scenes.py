"""Cut recognition crops out of ICDAR 2015 Challenge 4 scenes, the way `sceneocr read` cuts detected words.

    sceneocr convert ic15-scenes --root data/ic15 --output data/ic15_scene_words --format folder \\
        --exclude_words ../shared/train/ic15_words_train

Each legible word (not ``###``) becomes the axis-aligned box of its quadrilateral, enlarged by ``--margin`` x
its height on every side (the reader's crop margin), so the recogniser trains on the context and slant that
detected boxes bring. ``--root`` holds the standard layout (``ch4_training_images/`` and
``ch4_training_localization_transcription_gt/``). Scenes that the detector holds back
(:mod:`sceneocr.data.holdout`) are left out. ``--exclude_words`` names an IC15 Task 4.3 word folder (``gt.txt``
and ``coords.txt``): the scene words whose Task 4.3 crop is held back from the recogniser are left out too,
matched by transcription and the quadrilateral's shape (a Task 4.3 crop is the quadrilateral's bounding box,
so its ``coords.txt`` corners are the scene corners less the box's corner). Skips are counted.
"""
import os

import numpy as np

from sceneocr.data.convert import (ConversionError, RecognitionWriter, Summary, converter_parser, encode_jpeg, progress,
                                   read_image, run_converter, write_sample)
from sceneocr.data.holdout import is_held_out
from sceneocr.geometry import crop_with_margin

IMAGES, ANNOTATIONS = "ch4_training_images", "ch4_training_localization_transcription_gt"


def shape_key(label, corners):
    """Transcription and the quadrilateral's corners relative to its bounding box's corner, in whole pixels."""
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    return label, tuple(np.rint(corners - corners.min(axis=0)).astype(int).ravel().tolist())


def held_out_word_keys(words_dir):
    """:func:`shape_key` of every Task 4.3 crop in ``words_dir`` that the recogniser holds back."""
    from sceneocr.cli.convert_ic13 import parse_coords, parse_gt

    paths = {name: os.path.join(words_dir, name) for name in ("gt.txt", "coords.txt")}
    for path in paths.values():
        if not os.path.isfile(path):
            raise ConversionError(f"{path}: not found (--exclude_words needs an IC15 Task 4.3 folder)")
    # Task 4.3 escapes quotes inside labels (\"); the scene files do not.
    labels = {name: label.replace('\\"', '"') for name, label in parse_gt(paths["gt.txt"])}
    keys = set()
    for name, corners in parse_coords(paths["coords.txt"]).items():
        if name in labels and is_held_out("ic15_words", name):
            keys.add(shape_key(labels[name], corners))
    return keys


def convert(root, output, fmt="lmdb", overwrite=False, margin=0.08, exclude_words=None):
    from sceneocr.data.detection import read_gt_folder

    images, annotations = os.path.join(root, IMAGES), os.path.join(root, ANNOTATIONS)
    for folder in (images, annotations):
        if not os.path.isdir(folder):
            raise ConversionError(f"{folder}: not found (--root must hold {IMAGES}/ and {ANNOTATIONS}/)")
    excluded = held_out_word_keys(exclude_words) if exclude_words else set()
    counts = {}
    samples, missing = read_gt_folder(images, annotations, "ic15", counts, holdout="exclude")
    summary = Summary(os.path.basename(os.path.normpath(root)))
    for stem in missing:
        summary.skip("annotation without its image", stem)
    with RecognitionWriter(output, fmt, overwrite, protect=(root,)) as writer:
        for sample in progress(samples, desc="ic15 scenes"):
            image = read_image(sample.image_path)
            name = os.path.basename(sample.image_path)
            if image is None:
                summary.skip("image unreadable", name)
                continue
            for box, ignore, label, quad in zip(sample.boxes, sample.ignore, sample.texts, sample.quads):
                if ignore or label == "###":
                    continue
                if shape_key(label, quad) in excluded:
                    summary.skip("held back from the recogniser (its Task 4.3 crop)", name)
                    continue
                crop = crop_with_margin(image, box, margin)
                if min(crop.shape[:2]) < 2:
                    summary.skip("box under 2 px", name)
                    continue
                write_sample(writer, summary, encode_jpeg(crop), label, where=name)
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help=f"folder holding {IMAGES}/ and {ANNOTATIONS}/")
    parser.add_argument("--margin", type=float, default=0.08, help="crop margin on every side, x the box height")
    parser.add_argument("--exclude_words", metavar="DIR",
                        help="IC15 Task 4.3 word folder (gt.txt, coords.txt) whose held-back words to leave out")
    args = parser.parse_args()
    print(convert(args.root, args.output, args.format, args.overwrite, args.margin, args.exclude_words).text())


if __name__ == "__main__":
    run_converter(main)
