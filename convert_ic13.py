"""Convert ICDAR 2013 word crops: the model zoo's script for ``sceneocr.cli.convert_ic13`` (the same program as ``python -m sceneocr.cli.convert_ic13``).

    python convert_ic13.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.convert_ic13", run_name="__main__")
