"""Read text in photographs: the model zoo's script for ``sceneocr.cli.read`` (the same program as ``python -m sceneocr.cli.read``).

    python infer.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.read", run_name="__main__")
