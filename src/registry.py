"""Model registry in the timm style: ``create_model(name, **overrides)``.

Each model module registers its variants with a small table of defaults; entry points and tests
look models up by name and can loop over every registered variant.
"""
_REGISTRY = {}


def register_model(name, builder, **defaults):
    if name in _REGISTRY:
        raise ValueError(f"model '{name}' is registered twice")
    _REGISTRY[name] = (builder, defaults)


def _load_model_modules():
    # Importing a model package registers its variants.
    import src.crnn  # noqa: F401
    import src.deeptext  # noqa: F401


def list_models(prefix=""):
    _load_model_modules()
    return sorted(n for n in _REGISTRY if n.startswith(prefix))


def model_defaults(name):
    _load_model_modules()
    if name not in _REGISTRY:
        raise KeyError(f"unknown model '{name}'; registered: {', '.join(sorted(_REGISTRY))}")
    return dict(_REGISTRY[name][1])


def create_model(name, **overrides):
    defaults = model_defaults(name)
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f"model '{name}' has no argument(s) {sorted(unknown)}; it takes {sorted(defaults)}")
    builder = _REGISTRY[name][0]
    return builder(**{**defaults, **overrides})
