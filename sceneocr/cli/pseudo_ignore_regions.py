"""Do-not-care regions for partially annotated training scenes, from a detector's confident boxes that no
annotated word explains.

SVT annotates only some of the words in a scene; trained as they are, its other words are background. A
detector's ``eval.py --report`` over those scenes lists its boxes; the confident ones lying (almost) outside
every annotated word become do-not-care regions (``ignore_regions`` of a detection dataset entry), which
training never samples as background (sceneocr/deeptext/sampling.py):

    S=../shared/train
    sceneocr eval --model deeptext --dataset svt:$S/svt_train:$S/svt_train/train.xml:exclude --report svt.json
    sceneocr pseudo-ignore-regions --report svt.json \\
        --dataset svt:$S/svt_train:$S/svt_train/train.xml:exclude --output data/pseudo_ignore/svt_train.json

The report's boxes are in the images' own pixels, as the annotations are.
"""
import argparse
import json
import os


import numpy as np

from sceneocr.data.detection import read_detection_dataset
from sceneocr.deeptext.task import parse_dataset_arg  # eval's reading of --dataset
from sceneocr.geometry import box_area, pairwise_intersection


def unexplained_boxes(boxes, scores, words, min_score, max_overlap):
    """The ``boxes`` scoring at least ``min_score`` of which at most ``max_overlap`` of the area lies in any of
    ``words`` (the annotated boxes)."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    keep = scores >= min_score
    if len(words):
        inside = pairwise_intersection(boxes, np.asarray(words, np.float32).reshape(-1, 4))
        keep &= (inside / np.maximum(box_area(boxes), 1e-6)[:, None]).max(axis=1) <= max_overlap
    return boxes[keep]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", required=True, help="eval.py --model deeptext --report file over the dataset")
    parser.add_argument("--dataset", required=True, help="FORMAT:IMAGES:ANNOTATIONS[:only|exclude], as evaluated")
    parser.add_argument("--output", required=True, help="JSON file to write (not overwritten)")
    parser.add_argument("--min-score", type=float, default=0.9)
    parser.add_argument("--max-overlap", type=float, default=0.2,
                        help="largest fraction of a box inside an annotated word")
    args = parser.parse_args(argv)
    if os.path.exists(args.output):
        raise SystemExit(f"{args.output}: exists; remove it or choose another --output")
    try:
        spec = parse_dataset_arg(args.dataset)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if not isinstance(spec, dict):
        raise SystemExit(f"--dataset {args.dataset}: expected FORMAT:IMAGES:ANNOTATIONS[:only|exclude]")
    samples, _ = read_detection_dataset(spec)
    words = {os.path.realpath(s.image_path): s.boxes[~s.ignore.astype(bool)] for s in samples}
    try:
        with open(args.report, encoding="utf-8") as handle:
            report = json.load(handle)
        predictions = [p for per_dataset in report["predictions"].values() for p in per_dataset]
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise SystemExit(f"{args.report}: not a detection report of eval.py ({exc})") from None
    regions, images, missing = {}, 0, 0
    for prediction in predictions:
        path = os.path.realpath(prediction["image"])
        if path not in words:
            missing += 1
            continue
        found = unexplained_boxes(prediction["boxes"], prediction["scores"], words[path], args.min_score,
                                  args.max_overlap)
        images += 1
        if len(found):
            name = os.path.relpath(path, os.path.realpath(spec["images"])).replace(os.sep, "/")
            regions[name] = found.round(1).tolist()
    if missing:
        raise SystemExit(f"{args.report}: {missing} images are not in {args.dataset}; evaluate the same dataset")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(regions, handle, indent=0, sort_keys=True)
    count = sum(len(v) for v in regions.values())
    print(f"{args.output}: {count} do-not-care regions in {len(regions)} of {images} images "
          f"(score >= {args.min_score}, at most {args.max_overlap} of each inside an annotated word)")


if __name__ == "__main__":
    main()
