"""Export a model for deployment: the model zoo's script for ``sceneocr.cli.export`` (the same program as ``python -m sceneocr.cli.export``).

    python export.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.export", run_name="__main__")
