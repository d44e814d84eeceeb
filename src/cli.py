"""Argument handling shared by the top-level scripts: ``--model``, ``--config`` and config overrides."""
import argparse
import importlib
import os
import sys

from src.config import ConfigError, load_config

MODELS = ("crnn", "deeptext")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_config(model):
    return os.path.join(ROOT, "configs", model, f"{model}_cpu.yaml")


def saved_config(args):
    """The config.yaml a training run saved beside its checkpoints/ folder, if --ckpt points there."""
    ckpt = getattr(args, "ckpt", None)
    if not ckpt:
        return None
    candidate = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ckpt))), "config.yaml")
    return candidate if os.path.isfile(candidate) else None


def config_for(model, ckpt=None, explicit=None, overrides=()):
    """A model's config: ``explicit``, else the run's config.yaml beside ``ckpt``, else the CPU default."""
    return load_config(explicit or saved_config(argparse.Namespace(ckpt=ckpt)) or default_config(model),
                       list(overrides))


def parse(argv, description, add_arguments=None, models=MODELS):
    """Parse known arguments; everything else is a ``--key value`` config override."""
    parser = argparse.ArgumentParser(description=description,
                                     epilog="Any config key can be overridden: --train.lr 0.01 or --lr 0.01")
    parser.add_argument("--model", required=True, choices=models)
    parser.add_argument("--config", help="YAML config (default: the run's config.yaml beside --ckpt, "
                                         "else configs/MODEL/MODEL_cpu.yaml)")
    if add_arguments:
        add_arguments(parser)
    args, overrides = parser.parse_known_args(argv)
    cfg = None
    if args.model in MODELS:
        cfg = load_config(args.config or saved_config(args) or default_config(args.model), overrides)
    else:
        args.overrides = overrides  # composite models (e2e) apply them to their part's config
    return args, cfg


def task_module(model):
    return importlib.import_module(f"src.{model}.task")


def run_main(main):
    """Run ``main`` turning expected user errors into one clear line and a non-zero exit."""
    from src.engine.trainer import NonFiniteLoss

    try:
        return main()
    except (ConfigError, FileNotFoundError, ValueError, NonFiniteLoss) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
