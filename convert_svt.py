"""Convert SVT word crops: the model zoo's script for ``sceneocr.cli.convert_svt`` (the same program as ``python -m sceneocr.cli.convert_svt``).

    python convert_svt.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.convert_svt", run_name="__main__")
