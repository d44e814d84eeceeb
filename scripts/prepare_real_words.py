"""``sceneocr.cli.prepare_real_words`` as a script (needs the package installed: pip install -e .).

    python scripts/prepare_real_words.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.prepare_real_words", run_name="__main__")
