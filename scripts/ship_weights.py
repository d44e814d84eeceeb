"""``sceneocr.cli.ship_weights`` as a script (needs the package installed: pip install -e .).

    python scripts/ship_weights.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.ship_weights", run_name="__main__")
