"""``sceneocr.cli.render_words`` as a script (needs the package installed: pip install -e .).

    python scripts/render_words.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.render_words", run_name="__main__")
