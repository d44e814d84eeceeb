"""ROIAlign with a native CPU kernel (src/native/roi_align.cc), built with g++ on first use.

On CPU the native kernel replaces ``ops.ROIAlign`` (same forward; 10x faster) and its gradient,
which MindSpore's CPU ROIAlignGrad gets wrong (it disagrees with finite differences of the forward;
see tests/test_roi_align.py). Elsewhere, when no compiler is found, when ``OCR_NATIVE_KERNELS=0``, or
for export (an "aot" op is a path to a local .so, which no exported graph can carry), ``ops.ROIAlign``
runs instead.
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np

from src.native import library


class ROIAlign(nn.Cell):
    """``(features (N, C, H, W), rois (R, 5) of (batch index, x1, y1, x2, y2)) -> (R, C, out_h, out_w)``,
    continuous coordinates (``ops.ROIAlign`` with ``roi_end_mode=0``).

    ``native``: None picks the native kernel on CPU when it builds; False forces ``ops.ROIAlign``."""

    def __init__(self, out_h, out_w, spatial_scale, sampling_ratio=2, native=None):
        super().__init__()
        self.reference = ops.ROIAlign(out_h, out_w, spatial_scale, sampling_ratio, 0)
        if native is None:
            native = ms.get_context("device_target") == "CPU"
        path = library("roi_align") if native else None
        self.available = path is not None
        self.native = self.available
        if self.available:
            self.config = ms.Tensor(np.array([spatial_scale, out_h, out_w, sampling_ratio], np.float32))
            backward = ops.Custom(f"{path}:RoiAlignBackward", out_shape=lambda grad, rois, feats, cfg: feats,
                                  out_dtype=lambda grad, rois, feats, cfg: feats, func_type="aot")

            def bprop(features, rois, config, out, dout):
                return backward(dout, rois, features, config), ops.zeros_like(rois), ops.zeros_like(config)

            self.kernel = ops.Custom(f"{path}:RoiAlignForward",
                                     out_shape=lambda feats, rois, cfg: [rois[0], feats[1], out_h, out_w],
                                     out_dtype=lambda feats, rois, cfg: feats, func_type="aot", bprop=bprop)

    def construct(self, features, rois):
        if self.native:
            return self.kernel(features.astype(ms.float32), rois.astype(ms.float32), self.config)
        return self.reference(features, rois)
