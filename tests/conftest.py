import os

import numpy as np
import pytest

from sceneocr.runtime import setup_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
FIXTURES = os.path.join(SHARED, "fixtures")

requires_shared = pytest.mark.skipif(not os.path.isdir(FIXTURES), reason="../shared/fixtures not present")


@pytest.fixture(scope="session", autouse=True)
def mindspore_cpu(tmp_path_factory):
    # MindSpore writes graph dumps (rank_0/) into the working directory; keep them out of the repo.
    os.chdir(tmp_path_factory.mktemp("cwd"))
    setup_run("CPU", seed=0)
    yield


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory):
    # Models the tests export for ONNX Runtime (sceneocr/backends.py) stay out of the user's cache.
    os.environ["OCR_ONNX_CACHE_DIR"] = str(tmp_path_factory.mktemp("onnx_cache"))
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
