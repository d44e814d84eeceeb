"""YAML configs with command-line overrides: one loader for every model and entry point.

A config is a nested dict. ``--section.key value`` (or ``--section.key=value``) overrides any key;
a bare ``--key value`` works when exactly one leaf in the config has that name. Values are parsed
as YAML scalars (``yaml.safe_load``), never evaluated as Python.
"""
import copy
import os

import yaml


class ConfigError(ValueError):
    pass


def load_yaml(path):
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: config file not found")
    with open(path, encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    base = data.pop("_base_", None)
    if base:
        parent = load_yaml(os.path.join(os.path.dirname(path), base))
        data = merge(parent, data)
    return data


def merge(base, override):
    """Recursively merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaf_paths(cfg, prefix=()):
    for key, value in cfg.items():
        if isinstance(value, dict) and value:
            yield from _leaf_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


def parse_value(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def resolve_key(cfg, dotted):
    """Map a dotted or bare key to its full path in ``cfg``."""
    parts = tuple(dotted.split("."))
    paths = list(_leaf_paths(cfg))
    if parts in paths or len(parts) > 1:
        return parts
    matches = [p for p in paths if p[-1] == parts[0]]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(f"unknown config key '{dotted}'")
    names = ", ".join(".".join(m) for m in matches)
    raise ConfigError(f"config key '{dotted}' is ambiguous: use one of {names}")


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


def apply_overrides(cfg, args):
    """Apply ``--key value`` / ``--key=value`` pairs from a list of strings. Returns a new dict."""
    cfg = copy.deepcopy(cfg)
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--"):
            raise ConfigError(f"unexpected argument '{token}' (overrides look like --key value)")
        token = token[2:]
        if "=" in token:
            key, text = token.split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise ConfigError(f"override --{token} needs a value")
            key, text = token, args[i + 1]
            i += 2
        set_by_path(cfg, resolve_key(cfg, key), parse_value(text))
    return cfg


def load_config(path, overrides=()):
    return apply_overrides(load_yaml(path), list(overrides))


def save_config(cfg, path):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        yaml.safe_dump(cfg, handle, sort_keys=False)
    os.replace(tmp, path)
