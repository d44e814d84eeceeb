"""Convert IIIT5K words: the model zoo's script for ``sceneocr.cli.convert_iiit5k`` (the same program as ``python -m sceneocr.cli.convert_iiit5k``).

    python convert_iiit5k.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.convert_iiit5k", run_name="__main__")
