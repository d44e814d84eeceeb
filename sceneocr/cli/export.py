"""Export a trained model for deployment.

    sceneocr export --model crnn --ckpt best.ckpt --file_format MINDIR --file_name crnn
    sceneocr export --model crnn --ckpt best.ckpt --file_format ONNX --batch_size 1
    sceneocr export --model crnn --random_weights          # untrained graph, for smoke tests

MINDIR gets a dynamic batch dimension unless --batch_size is given. AIR needs an Ascend device. An existing
file is never replaced without --overwrite.
The checkpoint is read with the config stored in it (else its run's config.yaml, else the default);
a checkpoint that does not fit the model is refused, never exported with random weights.
"""
import os
import sys
import tempfile

from sceneocr.cli.common import parse, run_main, task_module
from sceneocr.e2e.outputs import place_new
from sceneocr.runtime import setup_run

FORMATS = ("MINDIR", "ONNX", "AIR")


def add_arguments(parser):
    parser.add_argument("--ckpt", help="checkpoint to export")
    parser.add_argument("--random_weights", action="store_true",
                        help="export an untrained model (no --ckpt), e.g. to test a deployment pipeline")
    parser.add_argument("--file_format", default="MINDIR", type=str.upper, choices=FORMATS)
    parser.add_argument("--file_name", help="output path without extension (default: the model name)")
    parser.add_argument("--batch_size", type=int, default=None)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing exported file")


class ExportNotSupported(ValueError):
    pass


def check_arguments(args, target):
    """Refuse bad arguments before MindSpore runs (a failed graph build litters the working folder)."""
    if args.batch_size is not None and args.batch_size < 1:
        raise ValueError(f"--batch_size must be at least 1 (or omitted for a dynamic MINDIR batch), "
                         f"got {args.batch_size}")
    if args.file_format == "AIR" and target != "Ascend":
        raise ExportNotSupported("AIR export needs an Ascend device (--device_target Ascend with CANN "
                                 "installed); use MINDIR or ONNX on CPU/GPU")
    if args.ckpt and args.random_weights:
        raise ValueError("give --ckpt FILE or --random_weights, not both")
    if not args.ckpt and not args.random_weights:
        raise ValueError("give --ckpt FILE to export trained weights (or --random_weights for an untrained model)")


def main(argv=None):
    args, cfg = parse(argv, __doc__, add_arguments)
    target = cfg["system"]["device_target"]
    check_arguments(args, target)
    batch_size = args.batch_size
    if args.file_format in ("ONNX", "AIR") and batch_size is None:
        batch_size = 1
    name = args.file_name or args.model
    final = f"{name}.{args.file_format.lower()}"
    if os.path.lexists(final) and not args.overwrite:  # checked before MindSpore starts, and again at the end
        raise ValueError(f"{final}: exists; choose another --file_name or pass --overwrite")
    setup_run(target, seed=cfg["system"]["seed"])
    task = task_module(args.model)
    folder = os.path.dirname(os.path.abspath(final))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as tmp:
        try:
            written = task.export(cfg, args.ckpt, args.file_format, os.path.join(tmp, "model"), batch_size)
        except (RuntimeError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportNotSupported(f"MindSpore cannot export {args.model} to {args.file_format}: {first}") from None
        if args.overwrite:
            os.replace(written, final)  # replaces a symbolic link itself, never its target
        else:
            place_new(written, final)  # only if nothing is there: a concurrent export is never replaced
    print(f"exported {final}" + (" (random weights)" if args.random_weights else ""))
    return final


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
