"""Where the project's configs and shipped weights are: the checkout's ``configs/`` and ``weights/`` when the
package runs from a source tree (``pip install -e .`` or ``python train.py`` in the clone), else the copies a
``pip install`` put under ``<prefix>/share/sceneocr/``. ``SCENEOCR_HOME`` names another folder holding both;
``OCR_WEIGHTS_DIR`` another weights folder alone (sceneocr/weights.py)."""
import os
import site
import sys

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SHARE = os.path.join("share", "sceneocr")


def _holds_project_files(folder):
    return os.path.isfile(os.path.join(folder, "configs", "crnn", "crnn_cpu.yaml"))


def project_dir():
    """The folder holding ``configs/`` and ``weights/``."""
    if os.environ.get("SCENEOCR_HOME"):
        return os.environ["SCENEOCR_HOME"]
    checkout = os.path.dirname(PACKAGE_DIR)
    candidates = [checkout] + [os.path.join(prefix, SHARE) for prefix in (sys.prefix, site.getuserbase())]
    return next((folder for folder in candidates if _holds_project_files(folder)), checkout)


def configs_dir():
    return os.path.join(project_dir(), "configs")


def weights_dir():
    return os.environ.get("OCR_WEIGHTS_DIR") or os.path.join(project_dir(), "weights")
