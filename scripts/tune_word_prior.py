"""``sceneocr.cli.tune_word_prior`` as a script (needs the package installed: pip install -e .).

    python scripts/tune_word_prior.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.tune_word_prior", run_name="__main__")
