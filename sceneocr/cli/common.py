"""Argument handling shared by the commands: ``--model``, ``--config`` and config overrides, and one-line errors.

Which config a checkpoint is read with is the library's decision (sceneocr.model_config.resolve_config).
"""
import argparse
import importlib
import os
import sys

from sceneocr.config import ConfigError
from sceneocr.model_config import MODELS, resolve_config


def parse(argv, description, add_arguments=None, models=MODELS, shipped_default=False, prog=None):
    """Parse known arguments; everything else is a ``--key value`` config override. With
    ``shipped_default``, a missing ``--ckpt`` (and ``--mindir``) means the shipped weights."""
    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Any config key can be overridden: --train.lr 0.01 or --lr 0.01")
    parser.add_argument("--model", required=True, choices=models)
    parser.add_argument("--config", help="YAML config (default: the config stored in --ckpt, else the run's "
                                         "config.yaml beside it, else configs/MODEL/MODEL_cpu.yaml)")
    if add_arguments:
        add_arguments(parser)
    args, overrides = parser.parse_known_args(argv)
    cfg = None
    if shipped_default and args.model in MODELS and not getattr(args, "ckpt", None) \
            and not getattr(args, "mindir", None):
        from sceneocr.weights import shipped_checkpoint

        args.ckpt = shipped_checkpoint(args.model)
        print(f"using the shipped {args.model} weights {os.path.relpath(args.ckpt)}", file=sys.stderr)
    if args.model in MODELS:
        cfg = resolve_config(args.model, getattr(args, "ckpt", None), args.config, overrides)
    else:
        args.overrides = overrides  # composite models (e2e) apply them to their part's config
    return args, cfg


def task_module(model):
    return importlib.import_module(f"sceneocr.{model}.task")


def run_main(main):
    """Run ``main`` turning expected user errors into one clear line and a non-zero exit."""
    from sceneocr.engine.trainer import NonFiniteLoss, TrainingInterrupted

    try:
        return main()
    except (ConfigError, OSError, ValueError, NonFiniteLoss) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except TrainingInterrupted as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("stopped: interrupted", file=sys.stderr)
        sys.exit(130)
