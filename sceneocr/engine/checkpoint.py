"""Atomic checkpoints with keep-last-K, the best checkpoint by a validation metric, and resume.

A checkpoint holds the whole training cell (weights, optimizer moments, the optimizer's global
step that indexes the learning-rate schedule) plus the epoch and step it was taken at, and what
decoding needs: the task, the model name and the whole resolved config as YAML text. So a
checkpoint is read with its own settings and never depends on the config.yaml beside it.

Loading checks that the parameters fit the model (missing / unexpected / other shape, counted)
instead of silently keeping random weights, and casts float16 weights to the model's dtype.
"""
import glob
import os
import re

import mindspore as ms
import yaml

_NAME = re.compile(r"-step(\d+)\.ckpt$")
META_KEYS = ("epoch", "step_in_epoch", "global_step", "best_metric")
# Stored under a prefix: the optimizer has a parameter called 'global_step' of its own.
_META_PREFIX = "train_state."
INFO_KEYS = ("task", "model", "config")
# What an interrupted save leaves: our temporary name, and MindSpore's own temporary beside it.
_TMP_PATTERNS = ("*.ckpt.tmp.ckpt", "*.ckpt.tmp.tmp")


def _temporary_names(path):
    tmp = f"{path}.tmp.ckpt"
    return tmp, f"{path}.tmp.tmp"  # MindSpore writes 'x.tmp.ckpt' via 'x.tmp.tmp'


def _fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_info(cfg, task):
    """The decoding information a checkpoint carries: task, model name and the config as YAML."""
    return {"task": task, "model": str(cfg.get("model", {}).get("name", "")),
            "config": yaml.safe_dump(cfg, sort_keys=False)}


def atomic_save(cell, path, meta=None, info=None):
    """Write ``cell`` to ``path`` through a temporary file: a crash or Ctrl-C never leaves a partial
    checkpoint under the final name, nor a temporary one behind. The rename is fsynced (file and folder)."""
    tmp, inner_tmp = _temporary_names(path)
    append = {_META_PREFIX + k: v for k, v in (meta or {}).items()}
    append.update({_META_PREFIX + k: str(v) for k, v in (info or {}).items()})
    try:
        ms.save_checkpoint(cell, tmp, append_dict=append)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, inner_tmp):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    _fsync_path(os.path.dirname(os.path.abspath(path)))


def remove_stale_temporaries(directory):
    """Delete the temporary files of saves that were killed before they could clean up."""
    removed = []
    for pattern in _TMP_PATTERNS:
        for path in glob.glob(os.path.join(directory, pattern)):
            os.remove(path)
            removed.append(path)
    return removed


class CheckpointManager:
    def __init__(self, directory, prefix="model", keep_last=3):
        self.directory = directory
        self.prefix = prefix
        self.keep_last = keep_last

    def path_for(self, global_step):
        return os.path.join(self.directory, f"{self.prefix}-step{global_step:08d}.ckpt")

    def list(self):
        found = []
        for path in glob.glob(os.path.join(self.directory, f"{self.prefix}-step*.ckpt")):
            match = _NAME.search(path)
            if match:
                found.append((int(match.group(1)), path))
        return [p for _, p in sorted(found)]

    def save(self, cell, meta, info=None):
        os.makedirs(self.directory, exist_ok=True)
        path = self.path_for(int(meta["global_step"]))
        atomic_save(cell, path, meta, info)
        for old in self.list()[: -self.keep_last] if self.keep_last > 0 else []:
            os.remove(old)
        return path

    @property
    def best_path(self):
        return os.path.join(self.directory, "best.ckpt")

    def save_best(self, cell, meta, info=None):
        os.makedirs(self.directory, exist_ok=True)
        atomic_save(cell, self.best_path, meta, info)
        return self.best_path

    def latest(self):
        found = self.list()
        return found[-1] if found else None


def _read(path, choice_func=None):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        return ms.load_checkpoint(path, choice_func=choice_func)
    except (ValueError, RuntimeError, OSError, TypeError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path}: not a readable MindSpore checkpoint ({text})") from None


def read_meta(param_dict):
    meta = {}
    for key in META_KEYS:
        if _META_PREFIX + key in param_dict:
            value = param_dict[_META_PREFIX + key]
            meta[key] = float(value.asnumpy()) if hasattr(value, "asnumpy") else value
    return meta


def _metadata_and_one_parameter():
    # MindSpore refuses a filter that keeps nothing, so checkpoints without metadata keep their first tensor.
    seen = []

    def choose(name):
        if name.startswith(_META_PREFIX):
            return True
        seen.append(name)
        return len(seen) == 1

    return choose


def read_checkpoint_state(path):
    """(training metadata, decoding info) of ``path`` without loading its weights."""
    params = _read(path, choice_func=_metadata_and_one_parameter())
    info = _stored_info(params)
    if "config" in info:
        try:
            config = yaml.safe_load(info["config"])
        except yaml.YAMLError:
            config = None
        if not isinstance(config, dict):
            raise ValueError(f"{path}: the config stored in the checkpoint is not a YAML mapping")
        info["config"] = config
    return read_meta(params), info


def read_checkpoint_info(path):
    """``{task, model, config}`` stored in ``path`` (keys absent for checkpoints saved before they were)."""
    return read_checkpoint_state(path)[1]


def read_checkpoint_config(path):
    """The resolved config ``path`` was trained with (a dict), or None for an older checkpoint."""
    return read_checkpoint_info(path).get("config")


def _is_training_state(name, model_names):
    # Optimizer and loss-scale state: slots named '<slot>.<parameter>' ('moment1.fc.weight') and
    # undotted scalars ('global_step', 'beta1_power'); model parameters always have dotted names.
    return "." not in name or name.split(".", 1)[1] in model_names


def _example(names, limit=2):
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def check_fit(path, weights, cell, weights_only, info=None):
    """Raise one line with counts unless ``weights`` (name -> Parameter) fit ``cell`` exactly.

    ``weights_only``: ``cell`` is a bare model and the checkpoint may also hold training state,
    which is ignored; otherwise (resume) the checkpoint must hold every parameter of ``cell``."""
    expected = {p.name: p for p in cell.get_parameters()}
    missing = sorted(n for n in expected if n not in weights)
    unexpected = sorted(n for n in weights if n not in expected
                        and not (weights_only and _is_training_state(n, expected)))
    reshaped = sorted(n for n in expected if n in weights and tuple(weights[n].shape) != tuple(expected[n].shape))
    if not (missing or unexpected or reshaped):
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} model parameters missing (e.g. {_example(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected (e.g. {_example(unexpected)})")
    if reshaped:
        first = reshaped[0]
        parts.append(f"{len(reshaped)} with another shape (e.g. {first}: checkpoint "
                     f"{tuple(weights[first].shape)}, model {tuple(expected[first].shape)})")
    origin = ""
    if info and info.get("model"):
        origin = f" (a checkpoint of {info['model']})"
    raise ValueError(f"{path}: does not fit this model{origin}: {'; '.join(parts)}. "
                     f"Different model or config?")


def _cast_to_model(weights, cell):
    """Float weights stored in another float dtype (float16 release weights) take the model's dtype."""
    dtypes = {p.name: p.dtype for p in cell.get_parameters()}
    out = {}
    for name, value in weights.items():
        target = dtypes.get(name)
        if target is not None and value.dtype != target and value.dtype in (ms.float16, ms.bfloat16, ms.float32) \
                and target in (ms.float16, ms.bfloat16, ms.float32):
            value = ms.Parameter(value.astype(target), name=name, requires_grad=value.requires_grad)
        out[name] = value
    return out


def load_checkpoint(path, cell=None, skip=(), weights_only=True):
    """Load ``path`` into ``cell`` (when given) and return (metadata, []).

    Parameters that do not fit ``cell`` are an error (see :func:`check_fit`); ``weights_only=False``
    (resume) also refuses checkpoints that lack training state. Parameters named in ``skip`` keep the
    cell's values (the learning-rate table, which a resumed run may lengthen)."""
    params = _read(path)
    meta = read_meta(params)
    if cell is not None:
        info = {k: params[_META_PREFIX + k] for k in ("task", "model")
                if isinstance(params.get(_META_PREFIX + k), str)}
        weights = _undo_wrapper_prefix({k: v for k, v in params.items() if not k.startswith(_META_PREFIX)}, cell)
        check_fit(path, {k: v for k, v in weights.items() if k not in skip},
                  _SkippingView(cell, skip), weights_only, info)
        weights = _cast_to_model({k: v for k, v in weights.items() if k not in skip}, cell)
        try:
            ms.load_param_into_net(cell, weights, strict_load=False)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}: does not fit this model (different model or config?): "
                             f"{str(exc).strip().splitlines()[0][:300]}") from None
    return meta, []


def resume_checkpoint(resume, output_dir, prefix):
    """The checkpoint ``train.resume`` continues: the path given, the newest in ``output_dir`` for 'auto'
    (None when there is none yet), None when not resuming."""
    if resume == "auto":
        return CheckpointManager(os.path.join(output_dir, "checkpoints"), prefix).latest()
    return resume or None


def starting_weights(train_cfg, prefix, log=print):
    """Where a run's first weights come from: 'resume' (the resumed checkpoint holds them all), 'load_from'
    (a whole-model checkpoint, ``train.load_from``), 'pretrained' (ImageNet VGG16 into the backbone) or None
    (initialisation). The first that applies wins; skipped settings are logged."""
    resumes = resume_checkpoint(train_cfg.get("resume"), train_cfg["output_dir"], prefix)
    choices = [("load_from", train_cfg.get("load_from")), ("pretrained", train_cfg.get("pretrained"))]
    start = "resume" if resumes else next((key for key, value in choices if value), None)
    for key, value in choices:
        if value and key != start:
            log(f"train.{key} {value} not loaded: the run starts from {resumes or train_cfg.get(start)}")
    return start


def load_from(path, cell, charset=None, log=print):
    """Fine-tuning start (``train.load_from``): every parameter of ``cell`` from a whole-model checkpoint,
    a run's or a shipped weights file; its optimizer state, step and schedule are not taken. A recogniser's
    checkpoint must decode the same alphabet (``charset``: the config's ``charset`` section)."""
    stored = (read_checkpoint_config(path) or {}).get("charset") if charset is not None else None
    if stored is not None and (stored.get("alphabet"), stored.get("case_fold", True)) != \
            (charset.get("alphabet"), charset.get("case_fold", True)):
        raise ValueError(f"{path}: decodes another alphabet ({stored.get('alphabet')!r}) than this config "
                         f"({charset.get('alphabet')!r}); --train.load_from needs the same characters")
    load_checkpoint(path, cell, weights_only=True)
    count = sum(1 for _ in cell.get_parameters())
    log(f"load_from {path}: {count} parameters (weights only: optimizer, step and schedule start fresh)")


def _own_name(name):
    """A parameter name without the 'network.' an inference wrapper once prefixed (CRNN checkpoints
    saved after a validation, before CRNNInference kept its network's names)."""
    return name[len("network."):] if name.startswith("network.") else name


def _undo_wrapper_prefix(weights, cell):
    expected = {p.name for p in cell.get_parameters()}
    return {(_own_name(name) if name not in expected and _own_name(name) in expected else name): value
            for name, value in weights.items()}


class _SkippingView:
    """``cell`` as :func:`check_fit` sees it, without the parameters named in ``skip``."""

    def __init__(self, cell, skip):
        self.cell, self.skip = cell, set(skip)

    def get_parameters(self):
        return [p for p in self.cell.get_parameters() if p.name not in self.skip]


def _model_weights(params):
    """A checkpoint's model weights under their own names, without optimizer or loss-scale state."""
    names = {k for k in params if not k.startswith(_META_PREFIX)}
    # A prefixed parameter (see _own_name) goes under its own name, and optimizer slots named after that
    # own name are training state too.
    own_names = {_own_name(n) for n in names}
    return {_own_name(name): params[name] for name in params if name in names
            and not (_own_name(name) == name and _is_training_state(name, own_names - {name}))}


def _stored_info(params):
    return {k: params[_META_PREFIX + k] for k in INFO_KEYS if isinstance(params.get(_META_PREFIX + k), str)}


def save_release_weights(source, destination, dtype=None, info=None):
    """Copy a training checkpoint's model weights (no optimizer state) with its decoding info into
    ``destination``, optionally cast to ``dtype`` (e.g. ``mindspore.float16``) to halve the file.
    ``info`` ({task, model, config}) fills in what an older checkpoint does not carry itself."""
    params = _read(source)
    items = []
    for name, value in _model_weights(params).items():
        if dtype is not None and value.dtype in (ms.float32, ms.float16, ms.bfloat16):
            value = value.astype(dtype)
        items.append({"name": name, "data": value})
    atomic_save(items, destination, None, {**(info or {}), **_stored_info(params)})
    return destination


def average_checkpoints(sources, destination):
    """Write the element-wise mean of the model weights of ``sources`` (checkpoints of one model, e.g. a run's
    checkpoints along a constant learning rate: weight averaging, SWA) into ``destination``, float32, without
    optimizer state, with the first checkpoint's decoding info. Integer tensors must agree and are kept.
    A batch-norm model's running statistics are averaged as well (an approximation: SWA recomputes them).
    Returns the number of weights averaged."""
    import numpy as np

    if not sources:
        raise ValueError("average_checkpoints: no checkpoints given")
    if os.path.exists(destination):
        raise FileExistsError(f"{destination}: already exists (not overwritten)")
    seen = set()
    for path in sources:
        if os.path.realpath(path) in seen:
            raise ValueError(f"{path}: given twice (each checkpoint counts once in the mean)")
        seen.add(os.path.realpath(path))
    floats = (ms.float16, ms.bfloat16, ms.float32, ms.float64)
    total, names, stored = None, None, {}
    for path in sources:
        params = _read(path)
        model = _model_weights(params)
        if names is None:
            names = sorted(model)
            total = {k: np.zeros(model[k].shape, np.float64) if model[k].dtype in floats else model[k].asnumpy()
                     for k in names}
            stored = _stored_info(params)
        elif sorted(model) != names:
            extra, missing = sorted(set(model) - set(names)), sorted(set(names) - set(model))
            raise ValueError(f"{path}: holds other weights than {sources[0]} ({len(missing)} missing, e.g. "
                             f"{_example(missing)}; {len(extra)} others, e.g. {_example(extra)})")
        for key in ("task", "model"):
            other = params.get(_META_PREFIX + key)
            if isinstance(other, str) and key in stored and other != stored[key]:
                raise ValueError(f"{path}: a checkpoint of {key} {other!r}, {sources[0]} of {stored[key]!r}")
        for name in names:
            value = model[name]
            if tuple(value.shape) != total[name].shape:
                raise ValueError(f"{path}: {name} has shape {tuple(value.shape)}, {sources[0]} "
                                 f"{total[name].shape}")
            if total[name].dtype == np.float64:
                total[name] += value.astype(ms.float32).asnumpy()
            elif not np.array_equal(total[name], value.asnumpy()):
                raise ValueError(f"{path}: integer tensor {name} differs from {sources[0]}'s")
    items = [{"name": name, "data": ms.Tensor((value / len(sources)).astype(np.float32)
                                              if value.dtype == np.float64 else value)}
             for name, value in total.items()]
    atomic_save(items, destination, None, stored)
    return len(items)
