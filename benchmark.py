"""Speed of the models on this machine: the model zoo's script for ``sceneocr.cli.benchmark`` (the same program as ``python -m sceneocr.cli.benchmark``).

    python benchmark.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.benchmark", run_name="__main__")
