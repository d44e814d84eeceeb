"""``sceneocr.cli.tune_box_scale`` as a script (needs the package installed: pip install -e .).

    python scripts/tune_box_scale.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.tune_box_scale", run_name="__main__")
