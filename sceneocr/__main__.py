"""``python -m sceneocr``: the ``sceneocr`` command."""
import sys

from sceneocr.cli import main

sys.exit(main())
