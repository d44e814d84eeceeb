"""Cells backed by native CPU kernels (see :mod:`sceneocr.native`), with MindSpore's ops as the fallback."""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np

from sceneocr.native import library


class NativeGradMaxPool2d(nn.Cell):
    """``nn.MaxPool2d(kernel, kernel, "same")`` for kernels of at most 2 x 2, whose gradient runs in
    sceneocr/native/max_pool.cc: the same result as MindSpore's MaxPoolGrad (ties to the first maximum in
    row-major order), 10-30x faster on CPU."""

    def __init__(self, kernel, path):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel, kernel, pad_mode="same")
        self.config = ms.Tensor(np.array(kernel, np.float32))
        self.grad_kernel = ops.Custom(f"{path}:MaxPoolGrad", out_shape=lambda x, y, dy, cfg: x,
                                      out_dtype=lambda x, y, dy, cfg: x, func_type="aot")

    def construct(self, x):
        return self.pool(x)

    def bprop(self, x, out, dout):
        return (self.grad_kernel(x.astype(ms.float32), out.astype(ms.float32), dout.astype(ms.float32),
                                 self.config).astype(x.dtype),)


def max_pool(kernel, native=None):
    """Non-overlapping max-pooling (stride = kernel, "same" padding): the native-gradient cell on CPU
    when the kernel builds, else ``nn.MaxPool2d``. ``kernel``: an int or (height, width), each 1 or 2."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    if not all(k in (1, 2) for k in kernel):
        raise ValueError(f"max_pool: kernel sizes of 1 or 2 only, got {kernel}")
    path = library("max_pool") if native is not False else None
    return NativeGradMaxPool2d(kernel, path) if path else nn.MaxPool2d(kernel, kernel, pad_mode="same")


class ROIAlign(nn.Cell):
    """``(features (N, C, H, W), rois (R, 5) of (batch index, x1, y1, x2, y2)) -> (R, C, out_h, out_w)``,
    continuous coordinates (``ops.ROIAlign`` with ``roi_end_mode=0``).

    On CPU the native kernel (sceneocr/native/roi_align.cc) replaces ``ops.ROIAlign``: the same forward, 10x
    faster, and a gradient that matches finite differences, which MindSpore's CPU ROIAlignGrad does not
    (tests/test_roi_align.py). Exports need ``ops.ROIAlign`` (set ``native`` False before exporting: an
    "aot" op is a path to a local .so). ``native=False`` forces ``ops.ROIAlign`` from the start."""

    def __init__(self, out_h, out_w, spatial_scale, sampling_ratio=2, native=None):
        super().__init__()
        self.reference = ops.ROIAlign(out_h, out_w, spatial_scale, sampling_ratio, 0)
        path = library("roi_align") if native is not False else None
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
