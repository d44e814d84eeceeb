"""Convert ICDAR 2003 word crops: the model zoo's script for ``sceneocr.cli.convert_ic03`` (the same program as ``python -m sceneocr.cli.convert_ic03``).

    python convert_ic03.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.convert_ic03", run_name="__main__")
