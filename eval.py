"""Evaluate a trained model.

    python eval.py --model crnn --dataset PATH [PATH ...] --ckpt runs/crnn_cpu/checkpoints/best.ckpt
    python eval.py --model crnn --dataset PATH --mindir crnn.mindir

    python eval.py --model deeptext --dataset ic15:IMAGE_DIR:GT_DIR --ckpt best.ckpt --visualize vis/

A CRNN dataset is an LMDB folder, a folder with labels.tsv, or 'synthetic' (held-out synthetic words).
A DeepText dataset is 'synthetic' or FORMAT:IMAGE_DIR:ANNOTATIONS[:SPLIT] with FORMAT one of ic13, ic11,
scut, ic15, cocotext.
"""
import sys

from src.cli import parse, run_main, task_module
from src.runtime import setup_run


def add_arguments(parser):
    parser.add_argument("--dataset", nargs="+", required=True, help="one or more datasets")
    parser.add_argument("--ckpt", help="checkpoint to evaluate")
    parser.add_argument("--mindir", help="exported MINDIR to evaluate instead of a checkpoint")
    parser.add_argument("--report", help="JSON report with metrics and per-sample predictions")
    parser.add_argument("--visualize", metavar="DIR", help="deeptext: draw ground truth and predictions into DIR")


def main(argv=None):
    args, cfg = parse(argv, __doc__, add_arguments)
    if not args.ckpt and not args.mindir:
        raise ValueError("give --ckpt FILE or --mindir FILE")
    setup_run(cfg["system"]["device_target"], seed=cfg["system"]["seed"])
    options = {"visualize_dir": args.visualize} if args.visualize else {}
    return task_module(args.model).evaluate(cfg, args.dataset, args.ckpt, args.mindir, args.report, **options)


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
