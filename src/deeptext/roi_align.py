"""ROIAlign with a native CPU kernel (src/deeptext/native/roi_align.cc), built with g++ on first use.

On CPU the native kernel replaces ``ops.ROIAlign`` (same forward; 10x faster) and its gradient,
which MindSpore's CPU ROIAlignGrad gets wrong (it disagrees with finite differences of the forward;
see tests/test_roi_align.py). Elsewhere, when no compiler is found, when ``OCR_NATIVE_KERNELS=0``, or
for export (an "aot" op is a path to a local .so, which no exported graph can carry), ``ops.ROIAlign``
runs instead.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "native", "roi_align.cc")
_BUILT = {}


def _cache_dir():
    root = os.environ.get("OCR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mindspore_ocr")
    os.makedirs(root, exist_ok=True)
    return root


def native_library():
    """Path of the compiled kernel library, or None (with the reason printed once) if unavailable."""
    if "path" in _BUILT:
        return _BUILT["path"]
    path, reason = None, None
    if os.environ.get("OCR_NATIVE_KERNELS", "1") == "0":
        reason = "OCR_NATIVE_KERNELS=0"
    elif shutil.which("g++") is None:
        reason = "g++ not found"
    else:
        with open(SOURCE, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:16]
        path = os.path.join(_cache_dir(), f"roi_align-{digest}.so")
        if not os.path.isfile(path):
            # Build beside the target and rename: ranks started together never load a half-written file.
            fd, tmp = tempfile.mkstemp(suffix=".so", dir=os.path.dirname(path))
            os.close(fd)
            cmd = ["g++", "-O3", "-std=c++17", "-shared", "-fPIC", "-pthread", "-o", tmp, SOURCE]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                os.unlink(tmp)
                path, reason = None, f"g++ failed: {result.stderr.strip().splitlines()[-1:]}"
            else:
                os.replace(tmp, path)
    if reason:
        print(f"ROIAlign: native CPU kernel unavailable ({reason}); using ops.ROIAlign", file=sys.stderr)
    _BUILT["path"] = path
    return path


class ROIAlign(nn.Cell):
    """``(features (N, C, H, W), rois (R, 5) of (batch index, x1, y1, x2, y2)) -> (R, C, out_h, out_w)``,
    continuous coordinates (``ops.ROIAlign`` with ``roi_end_mode=0``).

    ``native``: None picks the native kernel on CPU when it builds; False forces ``ops.ROIAlign``."""

    def __init__(self, out_h, out_w, spatial_scale, sampling_ratio=2, native=None):
        super().__init__()
        self.reference = ops.ROIAlign(out_h, out_w, spatial_scale, sampling_ratio, 0)
        if native is None:
            native = ms.get_context("device_target") == "CPU"
        library = native_library() if native else None
        self.available = library is not None
        self.native = self.available
        if self.available:
            self.config = ms.Tensor(np.array([spatial_scale, out_h, out_w, sampling_ratio], np.float32))
            backward = ops.Custom(f"{library}:RoiAlignBackward", out_shape=lambda grad, rois, feats, cfg: feats,
                                  out_dtype=lambda grad, rois, feats, cfg: feats, func_type="aot")

            def bprop(features, rois, config, out, dout):
                return backward(dout, rois, features, config), ops.zeros_like(rois), ops.zeros_like(config)

            self.kernel = ops.Custom(f"{library}:RoiAlignForward",
                                     out_shape=lambda feats, rois, cfg: [rois[0], feats[1], out_h, out_w],
                                     out_dtype=lambda feats, rois, cfg: feats, func_type="aot", bprop=bprop)

    def construct(self, features, rois):
        if self.native:
            return self.kernel(features.astype(ms.float32), rois.astype(ms.float32), self.config)
        return self.reference(features, rois)
