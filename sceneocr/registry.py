"""Model registry in the timm style: model packages register their variants here.

This module imports nothing: ``sceneocr.crnn`` and ``sceneocr.deeptext`` import it and call :func:`register_model`
when they are imported. Look models up through ``sceneocr.models`` (``create_model``, ``list_models``), which
imports every model package first; the functions here only see what is registered so far.
"""
_REGISTRY = {}


def register_model(name, builder=None, **defaults):
    """Register ``builder`` (a class or function) under ``name`` with default keyword arguments.

    ``register_model("x", Net, depth=3)`` or, as a decorator, ``@register_model("x", depth=3)``."""
    def add(target):
        if name in _REGISTRY:
            raise ValueError(f"model '{name}' is registered twice")
        _REGISTRY[name] = (target, defaults)
        return target

    return add if builder is None else add(builder)


def registered_names(prefix=""):
    return sorted(n for n in _REGISTRY if n.startswith(prefix))


def registered_defaults(name):
    if name not in _REGISTRY:
        raise KeyError(f"unknown model '{name}'; registered: {', '.join(sorted(_REGISTRY))}")
    return dict(_REGISTRY[name][1])


def build_registered(name, **overrides):
    """A model built from its registered defaults; unknown arguments are an error."""
    defaults = registered_defaults(name)
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f"model '{name}' has no argument(s) {sorted(unknown)}; it takes {sorted(defaults)}")
    return _REGISTRY[name][0](**{**defaults, **overrides})
