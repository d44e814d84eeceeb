"""Every model of the zoo by name: ``create_model(name, **overrides)``, ``list_models(prefix)``.

The one place that imports all model packages (each registers its variants in ``sceneocr.registry`` when
imported). The import happens on first use, so importing this module stays cheap.
"""
from sceneocr.registry import build_registered, registered_defaults, registered_names


def import_all_models():
    """Import every model package; each registers itself. Repeated calls cost nothing."""
    import sceneocr.crnn  # noqa: F401
    import sceneocr.deeptext  # noqa: F401


def list_models(prefix=""):
    import_all_models()
    return registered_names(prefix)


def model_defaults(name):
    import_all_models()
    return registered_defaults(name)


def create_model(name, **overrides):
    import_all_models()
    return build_registered(name, **overrides)
