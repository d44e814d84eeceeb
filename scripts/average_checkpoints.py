"""``sceneocr.cli.average_checkpoints`` as a script (needs the package installed: pip install -e .).

    python scripts/average_checkpoints.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.average_checkpoints", run_name="__main__")
