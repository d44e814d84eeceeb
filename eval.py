"""Evaluate a model: the model zoo's script for ``sceneocr.cli.evaluate`` (the same program as ``python -m sceneocr.cli.evaluate``).

    python eval.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.evaluate", run_name="__main__")
