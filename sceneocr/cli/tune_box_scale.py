"""Choose DeepText's box scale (eval.box_scale: detected boxes widened and heightened about their centres) on
annotated scenes: the detector runs once, then every (width, height) factor is scored on the same detections.

    S=../shared/train
    sceneocr tune-box-scale --dataset ic03:$S/ic03_train/SceneTrialTrain:$S/ic03_train/SceneTrialTrain/words.xml:exclude \\
                                               svt:$S/svt_train:$S/svt_train/train.xml:exclude
    sceneocr tune-box-scale --ckpt runs/deeptext_photo_cpu/checkpoints/best.ckpt --dataset SPEC [SPEC ...] \\
        --width 1.0 1.05 --height 1.0 1.1 1.2
    sceneocr tune-box-scale --report report.json --dataset SPEC [SPEC ...]   # eval.py --report's boxes

Why: the standard protocol needs IoU >= 0.5 with the annotated box, and datasets leave different margins round a
word (SVT's boxes are loose, painted training text's tight); a word found with a box too tight counts as missed
and as a false detection at once. The datasets are read and detected as eval.py does (the checkpoint's config:
eval.test_scales, eval.score_threshold, the backend; eval.box_scale itself is ignored). The table gives pooled
standard precision / recall / F per setting, best first; ties go to the smaller change. Choose on scenes you do
not report (the training scenes: ``:exclude``), then measure the choice with eval.py on held-back ones.
"""
import itertools
import sys

import numpy as np


from sceneocr.cli.common import parse, run_main
from sceneocr.runtime import setup_run


def add_arguments(parser):
    from sceneocr.backends import CHOICES

    parser.add_argument("--dataset", nargs="+", required=True, help="detection datasets, as eval.py takes them")
    parser.add_argument("--ckpt", help="default: the shipped weights")
    parser.add_argument("--backend", default="auto", choices=CHOICES)
    parser.add_argument("--width", nargs="+", type=float, default=[1.0, 1.05, 1.1])
    parser.add_argument("--height", nargs="+", type=float, default=[1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3])
    parser.add_argument("--top", type=int, default=10, help="rows of the table")
    parser.add_argument("--report", help="score the detections of this eval.py --report (the same datasets, "
                                         "made with eval.box_scale 1, 1) instead of running the detector")


def detect_all(cfg, args):
    """{dataset: per-image predictions as eval.py reports them}, the detector run with boxes as found."""
    from sceneocr.backends import load_detector
    from sceneocr.deeptext.task import build_samples, evaluate_samples, parse_dataset_arg

    cfg = {**cfg, "eval": {**cfg["eval"], "box_scale": [1.0, 1.0]}}
    detector = load_detector(cfg, args.ckpt, None, args.backend, cfg["eval"]["batch_size"])
    predictions = {}
    for spec in args.dataset:
        samples = build_samples(cfg, parse_dataset_arg(spec), cfg["data"]["val_samples"], cfg["data"]["val_seed"])
        _, predictions[spec] = evaluate_samples(detector, samples, cfg["eval"]["batch_size"])
        print(f"{spec}: {len(samples)} scenes detected on {detector.backend}")
    return predictions


def read_report(path, specs):
    """The predictions of an eval.py report, checked: made with boxes as found, holding every dataset."""
    import json

    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    if list(report.get("box_scale", [1.0, 1.0])) != [1.0, 1.0]:
        raise ValueError(f"{path}: made with eval.box_scale {report['box_scale']}; tune on boxes as found "
                         "(eval.py --eval.box_scale \"[1.0, 1.0]\" --report ...)")
    predictions = report.get("predictions", {})
    for spec in specs:
        if spec not in predictions:
            raise ValueError(f"{path}: no detections of {spec}; it holds "
                             f"{', '.join(predictions) or 'none'} (give --dataset as given to eval.py)")
    return {spec: predictions[spec] for spec in specs}


def with_ground_truth(cfg, predictions, source):
    """[(boxes, scores, gt boxes, gt ignore, (width, height))] per scene: the predictions paired with their
    ground truth and image size (boxes are clipped to it when scaled)."""
    from sceneocr.data.detection_pipeline import load_rgb
    from sceneocr.deeptext.task import build_samples, parse_dataset_arg

    found = []
    for spec, predicted in predictions.items():
        by_image = {p["image"]: p for p in predicted}
        samples = build_samples(cfg, parse_dataset_arg(spec), cfg["data"]["val_samples"], cfg["data"]["val_seed"])
        for i in range(len(samples)):
            sample = samples[i]
            if sample.image_path not in by_image:
                raise ValueError(f"{source}: no detections for {sample.image_path} of {spec}")
            p = by_image[sample.image_path]
            found.append((np.asarray(p["boxes"], np.float32).reshape(-1, 4), np.asarray(p["scores"], np.float32),
                          sample.boxes, sample.ignore, load_rgb(sample).shape[1::-1]))
    return found


def score_settings(found, widths, heights):
    """{(width, height): (matched, counted predictions, words)} summed over the scenes (standard protocol)."""
    from sceneocr.deeptext.detector import scale_boxes
    from sceneocr.metrics.detection import match_standard

    counts = {}
    for sx, sy in itertools.product(widths, heights):
        total = np.zeros(3, np.int64)
        for boxes, scores, gt, ignore, (w, h) in found:
            matches, counted, words = match_standard(scale_boxes(boxes, sx, sy, w, h), scores, gt, ignore)
            total += (len(matches), len(counted), words)
        counts[sx, sy] = tuple(int(v) for v in total)
    return counts


def ranked(counts):
    """Settings best first: pooled standard F, then the smaller change (distance from 1, 1)."""
    from sceneocr.metrics.detection import f_score

    def f_of(c):
        matched, predicted, words = c
        return f_score(matched / max(predicted, 1), matched / max(words, 1))

    return sorted(counts.items(), key=lambda item: (-round(f_of(item[1]), 9), abs(item[0][0] - 1) + abs(item[0][1] - 1)))


def check_ranges(args):
    from sceneocr.config_schema import box_scales

    for sx, sy in itertools.product(args.width, args.height):
        problem = box_scales([sx, sy])
        if problem:
            raise ValueError(f"--width {sx} --height {sy}: eval.box_scale {problem}")


def main(argv=None):
    # With --report only the dataset settings are read: the default config, no weights.
    args, cfg = parse(["--model", "deeptext", *argv], __doc__, add_arguments, models=("deeptext",),
                      shipped_default=not any(a == "--report" or a.startswith("--report=") for a in argv))
    from sceneocr.metrics.detection import f_score

    check_ranges(args)
    setup_run(cfg["system"]["device_target"], seed=cfg["system"]["seed"])
    predictions = read_report(args.report, args.dataset) if args.report else detect_all(cfg, args)
    found = with_ground_truth(cfg, predictions, args.report or "the detector")
    table = ranked(score_settings(found, args.width, args.height))
    print("width  height  matched  boxes  words  precision  recall  f")
    for (sx, sy), (matched, predicted, words) in table[:args.top]:
        p, r = matched / max(predicted, 1), matched / max(words, 1)
        print(f"{sx:>5}  {sy:>6}  {matched:>7}  {predicted:>5}  {words:>5}  {p:>9.4f}  {r:.4f}  {f_score(p, r):.4f}")
    (sx, sy), _ = table[0]
    print(f"best: --eval.box_scale \"[{sx}, {sy}]\"")
    return table


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
