"""``sceneocr.cli.pseudo_ignore_regions`` as a script (needs the package installed: pip install -e .).

    python scripts/pseudo_ignore_regions.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.pseudo_ignore_regions", run_name="__main__")
