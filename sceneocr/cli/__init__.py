"""The ``sceneocr`` command: one entry point for reading photos, training, evaluation, export and the tools.

    sceneocr read photo.jpg --visualize out/
    sceneocr train --model crnn --config configs/crnn/crnn_real_cpu.yaml
    sceneocr eval --model deeptext --dataset ic15:IMAGES:GT
    sceneocr export --model crnn --ckpt best.ckpt --file_format ONNX
    sceneocr convert ic03 --root ... --xml words.xml --output data/ic03
    sceneocr COMMAND --help

Each command is a module of this package run as a program, so ``python -m sceneocr.cli.train`` and the model
zoo's top-level scripts (``python train.py``) are the same program.
"""
import runpy
import sys

# command -> (module, what it does)
COMMANDS = {
    "read": ("read", "read text in images: boxes and words (infer.py)"),
    "train": ("train", "train a model (train.py)"),
    "eval": ("evaluate", "evaluate a model on datasets (eval.py)"),
    "export": ("export", "export a model to MINDIR, ONNX or AIR (export.py)"),
    "benchmark": ("benchmark", "speed on this machine (benchmark.py)"),
    "average-checkpoints": ("average_checkpoints", "average checkpoints of one run"),
    "ship-weights": ("ship_weights", "make a checkpoint the shipped weights (weights/)"),
    "calibrate": ("calibrate", "ship int8 calibration ranges with the shipped weights"),
    "tune-box-scale": ("tune_box_scale", "choose the detector's box scale on annotated scenes"),
    "tune-word-prior": ("tune_word_prior", "choose the word prior's settings on held-back words"),
    "error-table": ("error_table", "a recogniser's word accuracy by crop shape, from an eval report"),
    "render-words": ("render_words", "render synthetic words into an LMDB"),
    "prepare-real-words": ("prepare_real_words", "real training words from the shared training splits"),
    "pseudo-ignore-regions": ("pseudo_ignore_regions", "do-not-care regions for text a dataset left out"),
    "convert-vgg16": ("convert_vgg16", "ImageNet VGG16 weights for DeepText's backbone"),
    "make-rank-table": ("make_rank_table", "an HCCL rank table for Ascend"),
}
CONVERTERS = {"ic03": "convert_ic03", "ic13": "convert_ic13", "ic15-scenes": "convert_ic15_scenes",
              "iiit5k": "convert_iiit5k", "svt": "convert_svt"}


def usage():
    lines = [__doc__.strip().splitlines()[0], "", "usage: sceneocr COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:22s} {summary}" for name, (_, summary) in COMMANDS.items()]
    lines.append(f"  {'convert ' + '|'.join(CONVERTERS):22s} a recognition dataset into LMDB or a folder "
                 "(convert_*.py)")
    return "\n".join(lines)


def run_command(module, argv, prog):
    """Run ``sceneocr.cli.<module>`` as a program with ``argv``, as ``python -m`` would."""
    sys.argv = [prog] + list(argv)
    runpy.run_module(f"sceneocr.cli.{module}", run_name="__main__")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from sceneocr import __version__

        print(f"sceneocr {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "convert":
        if not rest or rest[0] not in CONVERTERS:
            print(f"usage: sceneocr convert {{{','.join(CONVERTERS)}}} [ARGS...]", file=sys.stderr)
            return 2
        return run_command(CONVERTERS[rest[0]], rest[1:], f"sceneocr convert {rest[0]}")
    if command not in COMMANDS:
        print(f"error: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return run_command(COMMANDS[command][0], rest, f"sceneocr {command}")
