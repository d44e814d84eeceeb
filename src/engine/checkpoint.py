"""Atomic checkpoints with keep-last-K, the best checkpoint by a validation metric, and resume.

A checkpoint holds the whole training cell (weights, optimizer moments, the optimizer's global
step that indexes the learning-rate schedule) plus the epoch and step it was taken at.
"""
import glob
import os
import re

import mindspore as ms

_NAME = re.compile(r"-step(\d+)\.ckpt$")
META_KEYS = ("epoch", "step_in_epoch", "global_step", "best_metric")
# Stored under a prefix: the optimizer has a parameter called 'global_step' of its own.
_META_PREFIX = "train_state."


def atomic_save(cell, path, meta=None):
    tmp = f"{path}.tmp.ckpt"
    append = {_META_PREFIX + k: v for k, v in (meta or {}).items()}
    ms.save_checkpoint(cell, tmp, append_dict=append)
    os.replace(tmp, path)


class CheckpointManager:
    def __init__(self, directory, prefix="model", keep_last=3):
        self.directory = directory
        self.prefix = prefix
        self.keep_last = keep_last
        os.makedirs(directory, exist_ok=True)

    def path_for(self, global_step):
        return os.path.join(self.directory, f"{self.prefix}-step{global_step:08d}.ckpt")

    def list(self):
        found = []
        for path in glob.glob(os.path.join(self.directory, f"{self.prefix}-step*.ckpt")):
            match = _NAME.search(path)
            if match:
                found.append((int(match.group(1)), path))
        return [p for _, p in sorted(found)]

    def save(self, cell, meta):
        path = self.path_for(int(meta["global_step"]))
        atomic_save(cell, path, meta)
        for old in self.list()[: -self.keep_last] if self.keep_last > 0 else []:
            os.remove(old)
        return path

    def save_best(self, cell, meta):
        path = os.path.join(self.directory, "best.ckpt")
        atomic_save(cell, path, meta)
        return path

    def latest(self):
        found = self.list()
        return found[-1] if found else None


def read_meta(param_dict):
    meta = {}
    for key in META_KEYS:
        if _META_PREFIX + key in param_dict:
            value = param_dict[_META_PREFIX + key]
            meta[key] = float(value.asnumpy()) if hasattr(value, "asnumpy") else value
    return meta


def load_checkpoint(path, cell=None, strict=False, skip=()):
    """Load ``path`` into ``cell`` (when given) and return (metadata, parameters not loaded).
    Parameters named in ``skip`` keep the cell's values."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        params = ms.load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ValueError(f"{path}: not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None
    meta = read_meta(params)
    not_loaded = []
    if cell is not None:
        weights = {k: v for k, v in params.items() if not k.startswith(_META_PREFIX) and k not in skip}
        try:
            not_loaded, _ = ms.load_param_into_net(cell, weights, strict_load=strict)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"{path}: does not fit this model (different model or config?): "
                             f"{str(exc).strip().splitlines()[0][:300]}") from None
    return meta, not_loaded
