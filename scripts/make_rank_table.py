"""``sceneocr.cli.make_rank_table`` as a script (needs the package installed: pip install -e .).

    python scripts/make_rank_table.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.make_rank_table", run_name="__main__")
