"""Evaluate a trained model (``sceneocr eval``, or eval.py).

    sceneocr eval --model crnn --dataset PATH [PATH ...]            # the shipped weights (weights/)
    sceneocr eval --model crnn --dataset PATH [PATH ...] --ckpt runs/crnn_cpu/checkpoints/best.ckpt
    sceneocr eval --model crnn --dataset PATH --mindir crnn.mindir
    sceneocr eval --model crnn --dataset PATH --backend onnxruntime-int8   # see sceneocr/backends.py

    sceneocr eval --model deeptext --dataset ic15:IMAGE_DIR:GT_DIR --ckpt best.ckpt --visualize vis/
    sceneocr eval --model e2e --dataset ic15:IMAGE_DIR:GT_DIR --det_ckpt det.ckpt --rec_ckpt rec.ckpt

A CRNN dataset is an LMDB folder, a folder with labels.tsv, or 'synthetic' (held-out synthetic words).
A DeepText dataset is 'synthetic' or FORMAT:IMAGE_DIR:ANNOTATIONS[:SPLIT] with FORMAT one of ic13, ic11,
scut, ic15, cocotext, ic03, svt (for ic03/svt/ic15 the fourth part is only/exclude: the held-back scenes).
With several datasets, a last result pools them all (counts added, not averages: results["pooled"]).
"""
import sys

from sceneocr.backends import CHOICES as BACKENDS
from sceneocr.cli.common import parse, run_main, task_module
from sceneocr.runtime import setup_run


def add_arguments(parser):
    parser.add_argument("--det_ckpt", help="e2e: detector checkpoint")
    parser.add_argument("--rec_ckpt", help="e2e: recogniser checkpoint")
    parser.add_argument("--det_mindir", help="e2e: exported detector (.mindir or .onnx)")
    parser.add_argument("--rec_mindir", help="e2e: exported recogniser (.mindir or .onnx)")
    parser.add_argument("--rec_widths", nargs="+", type=int, metavar="WIDTH",
                        help="crnn, e2e: recogniser input widths (as infer.py's; the same as --eval.rec_widths for crnn)")
    parser.add_argument("--tall_crop_ratio", type=float, metavar="RATIO",
                        help="crnn, e2e: read crops this many times as tall as wide turned as well, 0: never "
                             "(as infer.py's; the same as --eval.tall_crop_ratio for crnn)")
    parser.add_argument("--word_prior", type=int, metavar="WORDS",
                        help="crnn, e2e: the CRNN word prior's vocabulary, 0 = greedy readings (as infer.py's; "
                             "the same as --eval.word_prior.vocabulary for crnn)")
    parser.add_argument("--dataset", nargs="+", required=True, help="one or more datasets")
    parser.add_argument("--ckpt", help="checkpoint to evaluate (default: the shipped weights in weights/)")
    parser.add_argument("--mindir", help="exported MINDIR to evaluate instead of a checkpoint")
    parser.add_argument("--report", help="JSON report with metrics and per-sample predictions")
    parser.add_argument("--visualize", metavar="DIR", help="deeptext: draw ground truth and predictions into DIR")
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="what runs the checkpoint (sceneocr/backends.py): auto picks the fastest that keeps accuracy; "
                             "mindspore always works; --mindir files run as they are")


def evaluate_e2e(args):
    from sceneocr.deeptext.task import build_samples, parse_dataset_arg
    from sceneocr.e2e import ocr_predictor
    from sceneocr.e2e.evaluate import WordSpotting, evaluate, log_spotting
    from sceneocr.metrics import POOLED
    from sceneocr.model_config import resolve_config
    from sceneocr.weights import shipped_checkpoint

    det_ckpt = args.det_ckpt or (None if args.det_mindir else shipped_checkpoint("deeptext"))
    # Dataset settings (--val_seed, --val_samples, ...) are the detector config's.
    det_cfg = resolve_config("deeptext", det_ckpt, args.config, getattr(args, "overrides", ()))
    setup_run(det_cfg["system"]["device_target"], seed=det_cfg["system"]["seed"])
    predictor = ocr_predictor(det_ckpt=det_ckpt, rec_ckpt=args.rec_ckpt, det_exported=args.det_mindir,
                              rec_exported=args.rec_mindir, det_cfg=det_cfg, backend=args.backend,
                              rec_widths=args.rec_widths, tall_crop_ratio=args.tall_crop_ratio,
                              word_prior=args.word_prior,
                              log=lambda line: print(line, file=sys.stderr))
    results, pages, pooled = {}, {}, WordSpotting()
    for spec in args.dataset:
        parsed = "synthetic" if spec == "synthetic" else parse_dataset_arg(spec)
        samples = build_samples(det_cfg, parsed, det_cfg["data"]["val_samples"], det_cfg["data"]["val_seed"])
        print(f"evaluating {samples.name}")
        results[spec], pages[spec] = evaluate(predictor, samples, pooled=pooled)
    if len(args.dataset) > 1:
        results[POOLED] = pooled.result()
        log_spotting(results[POOLED], name=f"all {len(args.dataset)} datasets pooled")
    if args.report:
        from sceneocr.metrics import write_report

        write_report(args.report, {"results": results, "pages": pages})
    return results


def main(argv=None, prog=None):
    args, cfg = parse(argv, __doc__, add_arguments, models=("crnn", "deeptext", "e2e"), shipped_default=True,
                      prog=prog)
    if args.word_prior is not None and args.model == "deeptext":
        raise ValueError("--word_prior: the detector reads no words (use it with --model crnn or e2e)")
    if args.tall_crop_ratio is not None and args.model == "deeptext":
        raise ValueError("--tall_crop_ratio: the detector reads no words (use it with --model crnn or e2e)")
    if args.model == "crnn":
        from sceneocr.config_schema import RANGES
        from sceneocr.crnn.word_prior import with_word_prior

        cfg = with_word_prior(cfg, args.word_prior)
        for flag in ("rec_widths", "tall_crop_ratio"):  # the read flags, as eval.* settings of the CRNN config
            value = getattr(args, flag)
            if value is None:
                continue
            problem = RANGES[f"eval.{flag}"](value)
            if problem:
                raise ValueError(f"--{flag} {value}: {problem}")
            cfg = {**cfg, "eval": {**cfg["eval"], flag: value}}
    if args.model == "e2e":
        return evaluate_e2e(args)
    setup_run(cfg["system"]["device_target"], seed=cfg["system"]["seed"])
    options = {"visualize_dir": args.visualize} if args.visualize else {}
    if args.model == "deeptext":  # one model per eval.test_scales size, each on the backend
        from sceneocr.backends import load_detector

        options["detector"] = load_detector(cfg, args.ckpt, args.mindir, args.backend, cfg["eval"]["batch_size"])
        print(f"running deeptext on {options['detector'].backend}", file=sys.stderr)
    else:  # exported once per input width it reads crops at (eval.rec_widths), on the backend
        from sceneocr.backends import load_recognizer

        options["recognizer"] = load_recognizer(cfg, args.ckpt, args.mindir, args.backend, cfg["eval"]["batch_size"])
        print(f"running crnn on {options['recognizer'].backend}, {options['recognizer'].decoding}", file=sys.stderr)
    return task_module(args.model).evaluate(cfg, args.dataset, args.ckpt, args.mindir, args.report, **options)


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
