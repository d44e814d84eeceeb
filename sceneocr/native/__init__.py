"""Native CPU kernels for MindSpore "aot" Custom ops: C++ sources beside this file, built with g++ on
first use into a cache directory (``OCR_CACHE_DIR``, default ``~/.cache/mindspore_ocr``), keyed by the
source's hash. ``OCR_NATIVE_KERNELS=0`` turns them off; so does the lack of a compiler. Callers then
fall back to MindSpore's own ops (``library`` returns None and says why once)."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

_BUILT = {}


def _cache_dir():
    root = os.environ.get("OCR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mindspore_ocr")
    os.makedirs(root, exist_ok=True)
    return root


def _build(source, target):
    # Build beside the target and rename: ranks started together never load a half-written file.
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=os.path.dirname(target))
    os.close(fd)
    cmd = ["g++", "-O3", "-std=c++17", "-shared", "-fPIC", "-pthread", "-o", tmp, source]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        os.unlink(tmp)
        return f"g++ failed on {source}: {' '.join(result.stderr.strip().splitlines()[-1:])}"
    os.replace(tmp, target)
    return None


def library(name):
    """Path of the compiled ``<name>.cc``, or None if native kernels are unavailable here (a device
    target other than CPU, no g++, or ``OCR_NATIVE_KERNELS=0``)."""
    import mindspore as ms

    if ms.get_context("device_target") != "CPU":
        return None
    if name in _BUILT:
        return _BUILT[name]
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.cc")
    path, reason = None, None
    if os.environ.get("OCR_NATIVE_KERNELS", "1") == "0":
        reason = "OCR_NATIVE_KERNELS=0"
    elif shutil.which("g++") is None:
        reason = "g++ not found"
    else:
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:16]
        path = os.path.join(_cache_dir(), f"{name}-{digest}.so")
        if not os.path.isfile(path):
            reason = _build(source, path)
            path = None if reason else path
    if reason:
        print(f"native kernel {name}: unavailable ({reason}); using MindSpore's op", file=sys.stderr)
    _BUILT[name] = path
    return path
