"""Export a trained model for deployment.

    python export.py --model crnn --ckpt best.ckpt --file_format MINDIR --file_name crnn
    python export.py --model crnn --ckpt best.ckpt --file_format ONNX --batch_size 1

MINDIR gets a dynamic batch dimension unless --batch_size is given. AIR needs an Ascend device.
"""
import sys

from src.cli import parse, run_main, task_module
from src.runtime import setup_run

FORMATS = ("MINDIR", "ONNX", "AIR")


def add_arguments(parser):
    parser.add_argument("--ckpt", help="checkpoint (random weights when omitted, for smoke tests)")
    parser.add_argument("--file_format", default="MINDIR", type=str.upper, choices=FORMATS)
    parser.add_argument("--file_name", help="output path without extension (default: the model name)")
    parser.add_argument("--batch_size", type=int, default=None)


class ExportNotSupported(ValueError):
    pass


def main(argv=None):
    args, cfg = parse(argv, __doc__, add_arguments)
    target = cfg["system"]["device_target"]
    if args.file_format == "AIR" and target != "Ascend":
        raise ExportNotSupported("AIR export needs an Ascend device (--device_target Ascend with CANN "
                                 "installed); use MINDIR or ONNX on CPU/GPU")
    batch_size = args.batch_size
    if args.file_format in ("ONNX", "AIR") and batch_size is None:
        batch_size = 1
    setup_run(target, seed=cfg["system"]["seed"])
    task = task_module(args.model)
    try:
        path = task.export(cfg, args.ckpt, args.file_format, args.file_name or args.model, batch_size)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportNotSupported(f"MindSpore cannot export {args.model} to {args.file_format}: {first}") from None
    print(f"exported {path}")
    return path


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
