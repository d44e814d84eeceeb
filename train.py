"""Train a model: the model zoo's script for ``sceneocr.cli.train`` (the same program as ``python -m sceneocr.cli.train``).

    python train.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.train", run_name="__main__")
