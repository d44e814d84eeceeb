"""Argument handling shared by the top-level scripts: ``--model``, ``--config`` and config overrides.

Which config a checkpoint is read with: ``--config`` when given, else the config stored in the
checkpoint itself, else (checkpoints saved before they stored one) the config.yaml of the run it lies
in, else the model's CPU default. A checkpoint of the other model is refused in one line.
"""
import argparse
import importlib
import os
import shutil
import sys
import tempfile

from src.config import ConfigError, load_config, load_yaml

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


def model_family(cfg):
    """'crnn' or 'deeptext' from a config's model name (every registered name starts with it), or None."""
    name = str((cfg.get("model") or {}).get("name", "")) if isinstance(cfg.get("model"), dict) else ""
    return next((m for m in MODELS if name.startswith(m)), None)


def _refuse_other_model(ckpt, model, family, name, evidence=""):
    if family and family != model:
        raise ValueError(f"{ckpt}: a {family} checkpoint (model {name}{evidence}), but a {model} checkpoint "
                         f"is needed here (swapped --det_ckpt and --rec_ckpt?)")


def _load_stored_config(ckpt, stored, model, overrides, release=True):
    """A checkpoint's stored config, checked like a file (defaults fill keys it predates); with ``release``, a
    shipped file's release settings (weights/manifest.json) over it; ``overrides`` over both."""
    from src.config import merge, save_config
    from src.weights import MANIFEST, release_settings

    settings = release_settings(ckpt, model) if release else {}
    folder = tempfile.mkdtemp(prefix="ckpt-config-")
    path = os.path.join(folder, "config.yaml")
    try:
        save_config(merge(stored, settings), path)
        if settings:  # a bad setting is the manifest's fault, not the checkpoint's
            try:
                load_config(path, (), defaults=default_config(model))
            except ConfigError as exc:
                manifest = os.path.join(os.path.dirname(os.path.realpath(ckpt)), MANIFEST)
                source = f"{manifest} (release settings of {os.path.basename(ckpt)})"
                raise ConfigError([p.replace(path, source) for p in getattr(exc, "problems", [str(exc)])]) from None
        try:
            return load_config(path, list(overrides), defaults=default_config(model))
        except ConfigError as exc:
            problems = getattr(exc, "problems", [str(exc)])
            raise ConfigError([p.replace(path, f"{ckpt} (its stored config)") for p in problems]) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def config_for(model, ckpt=None, explicit=None, overrides=(), release=True):
    """A model's config: ``explicit``, else the one stored in ``ckpt`` (with its release settings if it is a
    shipped file and ``release``), else the run's config.yaml beside ``ckpt``, else the CPU default.
    ``ckpt`` of another model is an error naming the file."""
    if ckpt:
        from src.engine.checkpoint import read_checkpoint_info

        info = read_checkpoint_info(ckpt)  # also: not found / unreadable, in one line
        stored = info.get("config")
        family = info.get("task") if info.get("task") in MODELS else (model_family(stored) if stored else None)
        _refuse_other_model(ckpt, model, family, info.get("model", ""))
        if explicit:
            return load_config(explicit, list(overrides), defaults=default_config(model))
        if stored:
            return _load_stored_config(ckpt, stored, model, overrides, release)
        beside = saved_config(argparse.Namespace(ckpt=ckpt))
        if beside:
            run_cfg = load_yaml(beside)
            _refuse_other_model(ckpt, model, model_family(run_cfg), (run_cfg.get("model") or {}).get("name"),
                                f", says {beside}")
            return load_config(beside, list(overrides), defaults=default_config(model))
    return load_config(explicit or default_config(model), list(overrides), defaults=default_config(model))


def parse(argv, description, add_arguments=None, models=MODELS, shipped_default=False):
    """Parse known arguments; everything else is a ``--key value`` config override. With
    ``shipped_default``, a missing ``--ckpt`` (and ``--mindir``) means the shipped weights."""
    parser = argparse.ArgumentParser(description=description,
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
        from src.weights import shipped_checkpoint

        args.ckpt = shipped_checkpoint(args.model)
        print(f"using the shipped {args.model} weights {os.path.relpath(args.ckpt)}", file=sys.stderr)
    if args.model in MODELS:
        cfg = config_for(args.model, getattr(args, "ckpt", None), args.config, overrides)
    else:
        args.overrides = overrides  # composite models (e2e) apply them to their part's config
    return args, cfg


def task_module(model):
    return importlib.import_module(f"src.{model}.task")


def run_main(main):
    """Run ``main`` turning expected user errors into one clear line and a non-zero exit."""
    from src.engine.trainer import NonFiniteLoss, TrainingInterrupted

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
