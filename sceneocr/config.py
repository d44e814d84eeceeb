"""YAML configs with command-line overrides: one loader for every model and entry point.

A config is a nested dict. ``--section.key value`` (or ``--section.key=value``) overrides any key;
a bare ``--key value`` works when exactly one leaf in the config has that name. Values are parsed
as YAML scalars (``yaml.safe_load``), never evaluated as Python.

A file may start from another with ``_base_: other.yaml`` (relative to the file). The keys a config may
have, and the type of each value, are those of the model's default config (``defaults``, i.e.
``configs/MODEL/MODEL_cpu.yaml``; without it, the root of the file's ``_base_`` chain): a file or an
override with a key the default does not have, or a value that does not fit (see
:mod:`sceneocr.config_schema`), is refused at load, with every problem on its own line.
"""
import copy
import os

import yaml

from sceneocr.config_schema import all_paths, check_value, leaf_paths, lookup, unknown_key, validate

COMMAND_LINE = "command line"


class ConfigError(ValueError):
    """A bad config: one problem, or several (``problems``), each a line naming where it came from."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            text = f"{len(self.problems)} config problems:\n  " + "\n  ".join(self.problems)
        super().__init__(text)


def _read_mapping(path):
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: config file not found")
    with open(path, encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the config as UTF-8") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def read_chain(path, including=()):
    """``[(file, mapping), ...]`` from the root of ``path``'s ``_base_`` chain to ``path`` itself.
    ``including`` are the files on the way here, to refuse a chain that includes itself."""
    chain = list(including) + [path]
    if os.path.realpath(path) in [os.path.realpath(p) for p in including]:
        raise ConfigError(f"{chain[0]}: _base_ chain includes itself: {' -> '.join(chain)}")
    data = _read_mapping(path)
    base = data.pop("_base_", None)
    if base is None:
        return [(path, data)]
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{path}: _base_ must be a file name, got {base!r}")
    return read_chain(os.path.join(os.path.dirname(path), base), chain) + [(path, data)]


def load_yaml(path):
    """A file merged over its ``_base_`` chain, unchecked."""
    cfg = {}
    for _, data in read_chain(path):
        cfg = merge(cfg, data)
    return cfg


def merge(base, override):
    """Recursively merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def resolve_key(schema, dotted):
    """Map a dotted or bare key to its full path in ``schema`` (the defaults); unknown keys are errors."""
    parts = tuple(dotted.split("."))
    leaves = list(leaf_paths(schema))
    if parts in leaves:
        return parts
    if len(parts) == 1:
        matches = [p for p in leaves if p[-1] == parts[0]]
        if len(matches) > 1:
            names = ", ".join(".".join(m) for m in matches)
            raise ConfigError(f"config key '{dotted}' is ambiguous: use one of {names}")
        if matches:
            return matches[0]
    try:
        lookup(schema, parts)  # a section (--model "{name: x}") or a key below a free-form one
        return parts
    except KeyError:
        raise ConfigError(unknown_key(dotted, schema, bare=len(parts) == 1)) from None


def set_by_path(cfg, path, value):
    node = cfg
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


def get_by_path(cfg, dotted, default=None):
    node = cfg
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _split_overrides(args):
    """``(key, text)`` pairs from ``--key value`` / ``--key=value`` tokens, and the problems found."""
    pairs, problems, i = [], [], 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--"):
            problems.append(f"unexpected argument '{token}' (overrides look like --key value)")
            i += 1
        elif "=" in token:
            pairs.append(tuple(token[2:].split("=", 1)))
            i += 1
        elif i + 1 >= len(args) or args[i + 1].startswith("--"):
            problems.append(f"override {token} needs a value")
            i += 1
        else:
            pairs.append((token[2:], args[i + 1]))
            i += 2
    return pairs, problems


def _override_value(dotted, text, default):
    """The YAML reading of ``text``, or the text as typed when YAML reads a scalar that does not fit the key
    but the text does (``--output_dir 2024``, ``--alphabet 01234567`` are strings, not numbers)."""
    if text == "":
        return text  # --train.resume "" clears a path (YAML would read null)
    value = parse_value(text)
    misread = not isinstance(value, (list, dict)) and check_value(dotted, value, default)[1]
    return text if misread and not check_value(dotted, text, default)[1] else value


def _apply(cfg, args, schema, origins):
    """Apply overrides to a copy of ``cfg``: ``(cfg, problems)``. ``origins`` records what they set."""
    cfg = copy.deepcopy(cfg)
    pairs, problems = _split_overrides(list(args))
    for key, text in pairs:
        try:
            path = resolve_key(schema, key)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        default = lookup(schema, path)
        value = _override_value(".".join(path), text, default)
        current = get_by_path(cfg, ".".join(path))
        if isinstance(value, dict) and isinstance(current, dict):
            value = merge(current, value)  # --model "{name: x}" changes a section's keys, keeps the rest
        set_by_path(cfg, path, value)
        for sub in [()] + (list(all_paths(value)) if isinstance(value, dict) else []):
            origins[path + sub] = COMMAND_LINE
    return cfg, [f"{COMMAND_LINE}: {problem}" for problem in problems]


def apply_overrides(cfg, args, schema=None):
    """Apply ``--key value`` / ``--key=value`` pairs from a list of strings. Returns a new dict.
    Keys must exist in ``schema`` (default: ``cfg`` itself); values are not validated here."""
    cfg, problems = _apply(cfg, args, cfg if schema is None else schema, {})
    if problems:
        raise ConfigError(problems)
    return cfg


def _origin_finder(origins):
    def origin_of(path):
        for end in range(len(path), 0, -1):
            if path[:end] in origins:
                return origins[path[:end]]
        return "config"
    return origin_of


def load_config(path, overrides=(), defaults=None):
    """``path`` over its ``_base_`` chain, with ``overrides``, checked against ``defaults`` (the model's
    default config file; a ``path`` whose chain does not include it is read on top of it)."""
    return load_layers(read_chain(path), overrides, defaults)


def load_layers(layers, overrides=(), defaults=None):
    """Configs ``layers`` (a list of ``(source name, mapping)``, later over earlier: files of a ``_base_`` chain,
    or mappings held in memory, such as a checkpoint's stored config) as :func:`load_config` reads a file's
    chain; every problem names the source of the key it is about."""
    layers = list(layers)
    schema_layers = layers[:1]
    if defaults:
        files = [os.path.realpath(file) for file, _ in layers]
        if os.path.realpath(defaults) in files:
            schema_layers = layers[:files.index(os.path.realpath(defaults)) + 1]
        else:
            schema_layers = read_chain(defaults)
            layers = schema_layers + layers
    schema = {}
    for _, data in schema_layers:
        schema = merge(schema, data)
    cfg, origins = {}, {}
    for file, data in layers:
        cfg = merge(cfg, data)
        origins.update({p: file for p in all_paths(data)})
    cfg, override_problems = _apply(cfg, list(overrides), schema, origins)
    cfg, problems = validate(cfg, schema, _origin_finder(origins))
    if problems or override_problems:  # the files' problems first, then the command line's
        ordered = sorted(problems, key=lambda p: p.startswith(f"{COMMAND_LINE}:")) + override_problems
        raise ConfigError(ordered)
    return cfg


def save_config(cfg, path):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        yaml.safe_dump(cfg, handle, sort_keys=False)
    os.replace(tmp, path)
