"""Which config a model is built and read with, resolved in one place for every entry point and the Python API.

``resolve_config(model, ckpt, config, overrides)``: the explicit ``config`` file when given; else the config
stored in the checkpoint itself, with a shipped file's release settings (weights/manifest.json) over it; else
(checkpoints saved before they stored one) the config.yaml of the run the checkpoint lies in; else the model's
CPU default. Overrides go over all of these. A checkpoint of the other model is refused in one line.
"""
import os

from sceneocr.config import load_config, load_layers, load_yaml
from sceneocr.resources import configs_dir

MODELS = ("crnn", "deeptext")


def default_config(model):
    """The model's CPU default config file, which is also the schema every config of the model is checked against."""
    return os.path.join(configs_dir(), model, f"{model}_cpu.yaml")


def saved_config(ckpt):
    """The config.yaml a training run saved beside the checkpoints/ folder ``ckpt`` lies in, if any."""
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
                         f"is needed here (swapped the detector's and the recogniser's checkpoints?)")


def _stored_layers(ckpt, stored, model, release):
    """The checkpoint's stored config and, for a shipped file and ``release``, its release settings over it,
    each named for error messages."""
    from sceneocr.weights import MANIFEST, release_settings

    layers = [(f"{ckpt} (its stored config)", stored)]
    settings = release_settings(ckpt, model) if release else {}
    if settings:
        manifest = os.path.join(os.path.dirname(os.path.realpath(ckpt)), MANIFEST)
        layers.append((f"{manifest} (release settings of {os.path.basename(ckpt)})", settings))
    return layers


def resolve_config(model, ckpt=None, config=None, overrides=(), release=True):
    """A model's config (see the module docstring): ``config``, else the one stored in ``ckpt`` (with its
    release settings if it is a shipped file and ``release``), else the run's config.yaml beside ``ckpt``, else
    the CPU default; ``overrides`` (``--key value`` strings) over it."""
    defaults = default_config(model)
    if ckpt:
        from sceneocr.engine.checkpoint import read_checkpoint_info

        info = read_checkpoint_info(ckpt)  # also: not found / unreadable, in one line
        stored = info.get("config")
        family = info.get("task") if info.get("task") in MODELS else (model_family(stored) if stored else None)
        _refuse_other_model(ckpt, model, family, info.get("model", ""))
        if config:
            return load_config(config, list(overrides), defaults=defaults)
        if stored:
            return load_layers(_stored_layers(ckpt, stored, model, release), list(overrides), defaults=defaults)
        beside = saved_config(ckpt)
        if beside:
            run_cfg = load_yaml(beside)
            _refuse_other_model(ckpt, model, model_family(run_cfg), (run_cfg.get("model") or {}).get("name"),
                                f", says {beside}")
            return load_config(beside, list(overrides), defaults=defaults)
    return load_config(config or defaults, list(overrides), defaults=defaults)
