"""``sceneocr.cli.convert_vgg16`` as a script (needs the package installed: pip install -e .).

    python scripts/convert_vgg16.py --help
"""
import runpy

if __name__ == "__main__":
    runpy.run_module("sceneocr.cli.convert_vgg16", run_name="__main__")
