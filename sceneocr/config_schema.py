"""What a config value may be: the type of the model's default value, plus a few rules.

The known keys and their types come from the model's default config (``configs/MODEL/MODEL_cpu.yaml``), so
a key added there is known everywhere at once. This module only lists what a default value cannot say:
ranges, choices, and the keys that accept more than one type (``data.train`` is a name or a list of
sources, ``train.loss_scale`` is ``auto`` or a number, ...). A rule for a key the model does not have is
simply unused. Checks return a problem text (``"must be >= 1"``) or None.
"""
import difflib
import math
import numbers

FREE = object()  # below a key whose default is null or {}: any keys, any values


# --- value types --------------------------------------------------------------------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_float(value):
    """A finite number as float (YAML reads ``1e-3`` as a string, so numeric text counts), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def check_like_default(value, default):
    """``(value, problem)``: ``value`` must have the type of ``default``; a float key takes an int."""
    if default is None:
        return value, None
    if isinstance(default, bool):
        return (value, None) if isinstance(value, bool) else (value, "must be true or false")
    if _is_int(default):
        return (value, None) if _is_int(value) else (value, "must be an integer")
    if isinstance(default, float):
        number = _as_float(value)
        return (number, None) if number is not None else (value, "must be a finite number")
    if isinstance(default, str):
        return (value, None) if isinstance(value, str) else (value, "must be a string (quote it in YAML)")
    if isinstance(default, list):
        if not isinstance(value, list):
            return value, "must be a list"
        kinds = {type(item) for item in default}
        if len(kinds) == 1 and kinds <= {bool, int, float, str}:  # a typed list: check every item
            items = [check_like_default(item, default[0]) for item in value]
            problems = [problem for _, problem in items if problem]
            if problems:
                return value, f"items {problems[0]}"
            return [item for item, _ in items], None
        return value, None
    if isinstance(default, dict):
        return (value, None) if isinstance(value, dict) else (value, "must be a mapping")
    return value, None


# --- keys that accept several types (their default shows only one) ------------------------------------

def _source_list(value, allow_empty):
    """``data.train``/``data.val``: a name ('synthetic', a folder, 'a,b'), or a list of names and mappings
    (``{format: ic13, images: DIR, ...}``, ``{source: synthetic, ratio: 0.6}``)."""
    if value is None or value == "":
        return value, None if allow_empty else "must name a data source"
    if isinstance(value, str):
        return value, None
    if isinstance(value, list) and value and all(isinstance(item, (str, dict)) for item in value):
        return value, None
    return value, "must be a name, or a non-empty list of names or mappings"


def _folders(value):
    """``data.fonts``/``data.backgrounds``: nothing, a folder, or a list of folders."""
    if value is None or isinstance(value, str):
        return value, None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value, None
    return value, "must be a folder or a list of folders"


def _path_or_empty(value):
    if value is None or isinstance(value, str):
        return value, None
    return value, "must be a path (or empty)"


def _loss_scale(value):
    if value is None or value in ("auto", "none", "dynamic"):
        return value, None
    number = _as_float(value)
    if number is not None and number > 0:
        return number, None
    return value, "must be auto, none, dynamic or a number > 0"


def _data_sink(value):
    # sceneocr/engine/sink.py: auto, true/false (or on/off/none), or steps per device call.
    if value is None or isinstance(value, bool) or value in ("auto", "true", "false", "on", "off", "none"):
        return value, None
    if _is_int(value) and value >= 0:
        return value, None
    return value, "must be auto, true, false or a number of steps >= 0"


def _precision(value):
    from sceneocr.engine.precision import PRECISIONS

    if value is None or value in PRECISIONS:
        return value, None
    return value, f"must be one of {', '.join(PRECISIONS)}"


TYPE_RULES = {
    "data.train": lambda v: _source_list(v, allow_empty=False),
    "data.val": lambda v: _source_list(v, allow_empty=True),
    "data.fonts": _folders,
    "data.backgrounds": _folders,
    "train.resume": _path_or_empty,
    "train.pretrained": _path_or_empty,
    "train.load_from": _path_or_empty,
    "train.loss_scale": _loss_scale,
    "train.data_sink": _data_sink,
    "system.precision": _precision,
}


# --- ranges and choices, checked once the type is right -----------------------------------------------

def above(low):
    return lambda v: None if v > low else f"must be > {low}"


def at_least(low):
    return lambda v: None if v >= low else f"must be >= {low}"


def within(low, high, high_open=False):
    def check(v):
        inside = low <= v < high if high_open else low <= v <= high
        return None if inside else f"must be in [{low}, {high}{')' if high_open else ']'}"
    return check


def one_of(*choices):
    return lambda v: None if v in choices else f"must be one of {', '.join(map(str, choices))}"


def not_empty(v):
    return None if v else "must not be empty"


def input_scales(value):
    """eval.test_scales: input sizes as multiples of the model's (e.g. ``[1.0, 1.5]``)."""
    if value and all(0.25 <= v <= 4 for v in value):
        return None
    return "must be a non-empty list of sizes between 0.25 and 4 (times the model's input size)"


def box_scales(value):
    """eval.box_scale: [width, height] factors applied to detected boxes about their centres."""
    if len(value) == 2 and all(0.5 <= v <= 2 for v in value):
        return None
    return "must be [width, height], each between 0.5 and 2 (times the detected box)"


def training_scales(value):
    """data.augment.scale_range: [low, high] factors on the fit-to-input scale, 0.25 <= low <= high <= 4."""
    if len(value) == 2 and 0.25 <= value[0] <= value[1] <= 4:
        return None
    return "must be [low, high] with 0.25 <= low <= high <= 4 (times the scale that fits the input size)"


def edge_moves(value):
    """data.crop_jitter: [outward, inward], each in [0, 0.3] of the crop height (more inward cuts whole letters
    off a word whose label stays whole)."""
    if len(value) == 2 and all(0 <= v <= 0.3 for v in value):
        return None
    return "must be [outward, inward], each between 0 and 0.3 (of the crop height)"


def margin_range(value):
    """data.synth_margins.x / .y: [low, high] with -0.25 <= low <= high <= 1 (of the text height; below -0.25 a
    side would lose whole letters while the label keeps them)."""
    if len(value) == 2 and -0.25 <= value[0] <= value[1] <= 1:
        return None
    return "must be [low, high] with -0.25 <= low <= high <= 1 (of the text height)"


def shrink_range(value):
    """data.synth_degrade.lowres_scale: [low, high] with 0.1 <= low <= high <= 1 (below 0.1 a 48 px word is
    under 5 px tall)."""
    if len(value) == 2 and 0.1 <= value[0] <= value[1] <= 1:
        return None
    return "must be [low, high] with 0.1 <= low <= high <= 1"


def blur_sigmas(value):
    """data.synth_degrade.blur_sigma: [low, high] Gaussian sigmas in pixels, 0 < low <= high <= 5."""
    if len(value) == 2 and 0 < value[0] <= value[1] <= 5:
        return None
    return "must be [low, high] with 0 < low <= high <= 5 (pixels)"


def kernel_lengths(value):
    """data.synth_degrade.motion_length: [low, high] whole pixels, 2 <= low <= high <= 25."""
    if len(value) == 2 and all(_is_int(v) for v in value) and 2 <= value[0] <= value[1] <= 25:
        return None
    return "must be [low, high] whole pixels with 2 <= low <= high <= 25"


def input_widths(value):
    """eval.rec_widths, data.train_widths: recogniser input widths in pixels, 32-1024 (T = width / 4 - 1 time steps)."""
    if all(_is_int(w) and 32 <= w <= 1024 for w in value):
        return None
    return "must be a list of widths in pixels, each 32-1024"


def tall_crop_ratio(value):
    """eval.tall_crop_ratio: 0 (off), or at least 1 (a crop this many times as tall as wide is also read turned)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and (value == 0 or value >= 1):
        return None
    return "must be 0 (off) or a number of at least 1"


RANGES = {
    "system.seed": at_least(0),
    "system.device_target": one_of("CPU", "GPU", "Ascend"),
    "charset.alphabet": not_empty,
    "charset.max_length": at_least(1),
    "image.height": at_least(1),
    "image.width": at_least(1),
    "image.channels": one_of(1, 3),
    "model.name": not_empty,
    "model.image_height": at_least(1),
    "model.image_width": at_least(1),
    "model.backbone.norm": one_of("bn", "frozen_bn", "none"),
    "model.backbone.frozen_stages": within(0, 5),
    "model.test_proposals": within(0, 5000),
    "data.train_samples": at_least(1),
    "data.val_samples": at_least(1),
    "data.train_seed": at_least(0),
    "data.val_seed": at_least(0),
    "data.workers": at_least(0),
    "data.scene_height": at_least(1),
    "data.scene_width": at_least(1),
    "data.max_words": at_least(1),
    "data.max_boxes": at_least(1),
    "data.augment.crop_prob": within(0, 1),
    "data.augment.expand_prob": within(0, 1),
    "data.augment.flip_prob": within(0, 1),
    "data.augment.scale_range": training_scales,
    "data.crop_jitter": edge_moves,
    "data.train_widths": input_widths,
    "data.synth_margins.x": margin_range,
    "data.synth_margins.y": margin_range,
    "data.synth_degrade.blur_prob": within(0, 1),
    "data.synth_degrade.blur_sigma": blur_sigmas,
    "data.synth_degrade.motion_prob": within(0, 1),
    "data.synth_degrade.motion_length": kernel_lengths,
    "data.synth_degrade.motion_angle": within(0, 90),
    "data.synth_degrade.lowres_prob": within(0, 1),
    "data.synth_degrade.lowres_scale": shrink_range,
    "data.synth_rotation.prob": within(0, 1),
    "data.synth_rotation.max_degrees": within(0, 90),
    "train.output_dir": not_empty,
    "train.batch_size": at_least(1),
    # The loop runs min(epochs x steps per epoch, max_steps) steps: epochs 0 would train nothing.
    "train.epochs": at_least(1),
    "train.max_steps": at_least(0),
    "train.optimizer": one_of("sgd", "momentum", "adam"),
    "train.lr": above(0),
    "train.min_lr": at_least(0),
    "train.momentum": within(0, 1, high_open=True),
    "train.weight_decay": at_least(0),
    "train.lr_schedule": one_of("cosine", "constant"),
    "train.warmup_steps": at_least(0),
    "train.clip_norm": at_least(0),
    "train.log_every": at_least(1),
    "train.save_every": at_least(0),
    "train.keep_last": at_least(0),
    "train.validate_every": at_least(0),
    "eval.batch_size": at_least(1),
    "eval.lexicon_max_distance": at_least(0),
    "eval.word_prior.vocabulary": at_least(0),
    "eval.word_prior.weight": at_least(0),
    "eval.word_prior.floor": lambda v: None if 0 < v < 1 else "must be in (0, 1)",
    "eval.word_prior.max_edits": at_least(0),
    "eval.score_threshold": within(0, 1),
    "eval.test_scales": input_scales,
    "eval.box_scale": box_scales,
    "eval.rec_widths": input_widths,
    "eval.tall_crop_ratio": tall_crop_ratio,
}


def check_value(dotted, value, default):
    """``(value, problem)`` for one key: its type (from a rule or the default), then its range."""
    if default is FREE:
        return value, None
    type_rule = TYPE_RULES.get(dotted)
    value, problem = type_rule(value) if type_rule else check_like_default(value, default)
    if problem is None and dotted in RANGES:
        problem = RANGES[dotted](value)
    return value, problem


# --- key names -----------------------------------------------------------------------------------------

def lookup(schema, path):
    """The default value at ``path``; :data:`FREE` below a key whose default is null or ``{}`` (free-form);
    KeyError for a key the schema does not have."""
    node = schema
    for depth, key in enumerate(path):
        if depth > 0 and (node is None or node == {}):
            return FREE
        if not isinstance(node, dict) or key not in node:
            raise KeyError(".".join(path))
        node = node[key]
    return node


def all_paths(schema, prefix=()):
    """Every key of ``schema`` (sections and leaves) as a path tuple."""
    for key, value in schema.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from all_paths(value, prefix + (key,))


def leaf_paths(schema, prefix=()):
    for key, value in schema.items():
        if isinstance(value, dict) and value:
            yield from leaf_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


def _quoted(paths):
    return " or ".join(f"'{'.'.join(p)}'" for p in paths)


def unknown_key(dotted, schema, bare=False):
    """``unknown config key 'train.bach_size' (did you mean 'train.batch_size'?)``. A ``bare`` key
    (``--bach_size``) is compared with the leaves' names, anything else with the full dotted keys."""
    message = f"unknown config key '{dotted}'"
    parts = tuple(dotted.split("."))
    if bare:
        leaves = list(leaf_paths(schema))
        names = difflib.get_close_matches(parts[0], sorted({p[-1] for p in leaves}), n=1)
        near = [p for p in leaves if names and p[-1] == names[0]]
    else:
        paths = list(all_paths(schema))
        section = parts[:-1]
        near = [p for p in paths if p[-1] == parts[-1]]  # the right name in the wrong section
        if not near and section in paths:  # a misspelt name in the right section
            names = [p[-1] for p in paths if p[:-1] == section]
            near = [section + (m,) for m in difflib.get_close_matches(parts[-1], names, n=1)]
        elif not near:  # a misspelt section
            near = [tuple(m.split(".")) for m in
                    difflib.get_close_matches(dotted, [".".join(p) for p in paths if len(p) == len(parts)], n=1)]
    return f"{message} (did you mean {_quoted(near)}?)" if near else message


def validate(cfg, schema, origin_of):
    """``(checked cfg, problems)``: every key of ``cfg`` must be in ``schema`` and every value must fit.
    ``origin_of(path)`` names where a value came from (a file, or the command line)."""
    problems = []

    def walk(node, schema_node, path):
        out = {}
        for key, value in node.items():
            here = path + (key,)
            dotted = ".".join(str(k) for k in here)
            if key not in schema_node:
                problems.append(f"{origin_of(here)}: {unknown_key(dotted, schema)}")
                out[key] = value
                continue
            default = schema_node[key]
            if isinstance(default, dict) and default and dotted not in TYPE_RULES:  # a section
                if isinstance(value, dict):
                    out[key] = walk(value, default, here)
                else:
                    problems.append(f"{origin_of(here)}: {dotted} must be a mapping, got {value!r}")
                    out[key] = value
                continue
            out[key], problem = check_value(dotted, value, default)
            if problem:
                problems.append(f"{origin_of(here)}: {dotted} {problem}, got {value!r}")
        return out

    return walk(cfg, schema, ()), problems
