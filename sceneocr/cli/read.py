"""Read text in photographs: DeepText finds the words, CRNN reads them (``sceneocr read``, or infer.py).

    sceneocr read photo.jpg --visualize out/                            # the shipped weights (weights/)
    sceneocr read photo.jpg --det_ckpt runs/deeptext_cpu/checkpoints/best.ckpt \\
                  --rec_ckpt runs/crnn_cpu/checkpoints/best.ckpt --visualize out/
    sceneocr read photos/ --det_mindir deeptext.mindir --rec_mindir crnn.mindir --jsonl results.jsonl
    sceneocr read --mode det photos/ --det_ckpt ...                     # boxes only
    sceneocr read --mode rec crops/ --rec_ckpt ...                      # text of word crops
    sceneocr read photo.jpg --backend onnxruntime-int8                  # see sceneocr/backends.py
    python infer.py --image photo.jpg --visualize out/                  # the model zoo's script: the same

Writes one JSON per image into --output (default: next to --visualize, else ./ocr_results), or one line
per image with --jsonl. Unreadable images are reported and skipped.

Outputs are named after the input's whole file name: photos/a.jpg gives a.jpg.json and, with --visualize,
a.jpg.png, so a.jpg and a.png never share an output. Before any model is loaded, every output path is
checked: an output that is an input image, or a file that already exists (e.g. from an earlier run), is
refused with one line; --overwrite allows replacing existing outputs, never input images. The images of a
folder are listed once, before anything is written, so drawings saved into that folder are not read back.
"""
import argparse
import json
import os
import sys
import time

from sceneocr.backends import CHOICES as BACKENDS
from sceneocr.config import ConfigError
from sceneocr.runtime import setup_run

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def list_images(path):
    """(image paths, number of other files skipped): a folder's images by extension, or the one file given."""
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if os.path.isfile(os.path.join(path, f)))
        found = [os.path.join(path, f) for f in files if f.lower().endswith(IMAGE_EXTENSIONS)]
        if not found:
            raise FileNotFoundError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)})")
        return found, len(files) - len(found)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    return [path], 0


def _file_key(path):
    return os.path.normcase(os.path.realpath(path))


def plan_outputs(images, json_dir=None, drawing_dir=None, jsonl=None, overwrite=False):
    """{image: (JSON path or None, drawing path or None)} named ``<image file name>.json`` / ``.png``.

    Raises ValueError (one line) if an output would replace an input image or another output of this run, or
    an existing file unless ``overwrite``; nothing is written here."""
    inputs = {_file_key(image): image for image in images}
    taken = {}

    def claim(path, what):
        key = _file_key(path)
        if key in inputs:
            raise ValueError(f"{path}: {what} would overwrite the input image {inputs[key]}; "
                             "write outputs into another folder")
        if key in taken:
            raise ValueError(f"{path}: {what} and {taken[key]} would be the same file")
        if os.path.lexists(path) and not overwrite:
            raise ValueError(f"{path}: exists and was not written by this run; remove it, choose another folder "
                             "or pass --overwrite")
        taken[key] = what
        return path

    for folder in {d for d in (json_dir, drawing_dir) if d}:
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f"{folder}: output folder is a file")
    if jsonl:
        claim(jsonl, "--jsonl")
    plan = {}
    for image in images:
        name = os.path.basename(image)
        plan[image] = (claim(os.path.join(json_dir, name + ".json"), f"the JSON of {image}") if json_dir else None,
                       claim(os.path.join(drawing_dir, name + ".png"), f"the drawing of {image}")
                       if drawing_dir else None)
    return plan


def parse_args(argv, prog=None):
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="?", metavar="IMAGE", help="an image or a folder of images")
    parser.add_argument("--image", help="the same as IMAGE (the model zoo's spelling)")
    parser.add_argument("--mode", default="e2e", choices=("e2e", "det", "rec"))
    parser.add_argument("--det_ckpt", help="default: the shipped weights/ detector")
    parser.add_argument("--rec_ckpt", help="default: the shipped weights/ recogniser")
    parser.add_argument("--det_mindir", help="exported detector (.mindir or .onnx)")
    parser.add_argument("--rec_mindir", help="exported recogniser (.mindir or .onnx)")
    parser.add_argument("--det_config", help="default: the config.yaml of the detector's run")
    parser.add_argument("--rec_config", help="default: the config.yaml of the recogniser's run")
    parser.add_argument("--lexicon", help="file of allowed words (whitespace or comma separated)")
    parser.add_argument("--output", help="folder for one JSON per image")
    parser.add_argument("--jsonl", help="one JSON line per image instead of a folder")
    parser.add_argument("--visualize", metavar="DIR", help="draw boxes and words into DIR/<image file name>.png")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files that already exist (input images are never replaced)")
    parser.add_argument("--det_scales", nargs="+", type=float, metavar="SCALE",
                        help="detect at these input sizes (times the detector's own) and merge, e.g. 1.0 1.5: "
                             "finds smaller words, one detector run per size (default: the config's eval.test_scales; "
                             "the shipped detector's release settings in weights/manifest.json say 0.5 1 2)")
    parser.add_argument("--rec_widths", nargs="+", type=int, metavar="WIDTH",
                        help="recogniser input widths; each crop is read at the narrowest that holds its aspect "
                             "ratio, e.g. 100 for the trained width only (default: the config's eval.rec_widths; the "
                             "shipped CRNN's release settings say 100 124 148 172 200)")
    parser.add_argument("--tall_crop_ratio", type=float, metavar="RATIO",
                        help="a crop at least RATIO times as tall as wide is also read turned a quarter either way, "
                             "the most confident reading kept; 0: never (default: the config's eval.tall_crop_ratio, "
                             "1.5)")
    parser.add_argument("--word_prior", type=int, metavar="WORDS",
                        help="rescore each reading with the frequencies of this many English words, 0 for the plain "
                             "(greedy) reading (default: the config's eval.word_prior.vocabulary; the shipped CRNN's "
                             "release settings say 100000)")
    parser.add_argument("--device_target", default="CPU")
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="what runs the checkpoints (sceneocr/backends.py): auto picks the fastest that keeps "
                             "accuracy; mindspore always works; exported files (--*_mindir) run as they are")
    args = parser.parse_args(argv)
    if bool(args.images) == bool(args.image):
        parser.error("give one image or folder: IMAGE or --image IMAGE")
    args.image = args.image or args.images
    return args


def build_predictor(args, det_cfg=None):
    """The predictor the arguments ask for (:func:`sceneocr.e2e.ocr_predictor`); ``det_cfg``: the detector's config
    with any overrides (``sceneocr eval``), else the checkpoint's or --det_config."""
    from sceneocr.e2e import ocr_predictor

    mode = getattr(args, "mode", "e2e")
    return ocr_predictor(det="deeptext" if mode in ("e2e", "det") else None,
                         rec="crnn" if mode in ("e2e", "rec") else None,
                         det_ckpt=args.det_ckpt, rec_ckpt=args.rec_ckpt, det_exported=args.det_mindir,
                         rec_exported=args.rec_mindir, det_config=getattr(args, "det_config", None),
                         rec_config=getattr(args, "rec_config", None), det_cfg=det_cfg,
                         backend=getattr(args, "backend", "auto"), det_scales=getattr(args, "det_scales", None),
                         rec_widths=getattr(args, "rec_widths", None),
                         tall_crop_ratio=getattr(args, "tall_crop_ratio", None),
                         word_prior=getattr(args, "word_prior", None),
                         lexicon=getattr(args, "lexicon", None), log=lambda line: print(line, file=sys.stderr))


def run(args):
    import cv2

    from sceneocr.data.convert import progress
    from sceneocr.e2e import Page, Word, load_image
    from sceneocr.e2e.outputs import LineWriter, write_file
    from sceneocr.e2e.predictor import UnreadableImage

    images, other_files = list_images(args.image)  # listed once, before this run writes anything
    out_dir = args.output or (None if args.jsonl else (args.visualize or "ocr_results"))
    outputs = plan_outputs(images, out_dir, args.visualize, args.jsonl, args.overwrite)
    if other_files:
        print(f"skipped {other_files} file(s) of other types in {args.image} (reads {', '.join(IMAGE_EXTENSIONS)})",
              file=sys.stderr)
    setup_run(args.device_target)
    predictor = build_predictor(args)
    jsonl = LineWriter(args.jsonl, args.overwrite) if args.jsonl else None
    done, skipped, seconds = 0, [], []
    try:
        for path in progress(images, total=len(images), desc="ocr"):
            started = time.perf_counter()
            try:
                rgb = load_image(path)
            except UnreadableImage as exc:
                print(f"skipped: {exc}", file=sys.stderr)
                skipped.append(path)
                continue
            if args.mode == "e2e":
                page = predictor(rgb, source=path)
            elif args.mode == "det":
                found = predictor.detect(rgb) if min(rgb.shape[:2]) >= 2 else {"boxes": [], "scores": []}
                page = Page(rgb.shape[1], rgb.shape[0], [Word(tuple(round(float(v), 1) for v in b), "", round(float(s), 4))
                                                         for b, s in zip(found["boxes"], found["scores"])], path)
            else:
                (text, confidence), = predictor.recognize_crops([rgb])
                page = Page(rgb.shape[1], rgb.shape[0], [Word((0.0, 0.0, float(rgb.shape[1]), float(rgb.shape[0])),
                                                              text, 1.0, round(confidence, 4))], path)
            json_path, drawing_path = outputs[path]
            if jsonl:
                jsonl.write(page.to_json())
            if json_path:
                write_file(json_path, json.dumps(page.to_dict(), indent=1), args.overwrite)
            if drawing_path:
                ok, png = cv2.imencode(".png", cv2.cvtColor(page.render(rgb), cv2.COLOR_RGB2BGR))
                write_file(drawing_path, png.tobytes(), args.overwrite)
            done += 1
            seconds.append(time.perf_counter() - started)
            if len(images) == 1:
                print(" ".join(w.text for w in page.words) if args.mode != "det" else f"{len(page.words)} boxes")
    finally:
        if jsonl:
            jsonl.close() if done else jsonl.discard()
    print(f"read {done} image(s)" + (f", skipped {len(skipped)} unreadable" if skipped else "")
          + (f"; results in {args.jsonl or out_dir}" if (args.jsonl or out_dir) and done else ""))
    if len(seconds) > 1:
        # The first image also builds (or loads from the cache) the models, so warm speed is the rest.
        warm = sum(seconds[1:]) / (len(seconds) - 1)
        print(f"time: first image {seconds[0]:.2f} s (with loading the models), then {warm:.2f} s per image "
              f"(mean of {len(seconds) - 1})", file=sys.stderr)
    if not done:
        raise UnreadableImage(f"{args.image}: no image could be read")
    return done, skipped


def main(argv=None, prog=None):
    args = parse_args(sys.argv[1:] if argv is None else argv, prog)
    try:
        return run(args)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
