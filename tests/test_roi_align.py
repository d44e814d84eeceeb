"""The native CPU ROIAlign: the same forward as ops.ROIAlign, and a gradient that matches finite
differences (MindSpore's CPU ROIAlignGrad does not: e.g. 0.357 where the forward's slope is -0.393)."""
import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from sceneocr.native.layers import ROIAlign
from sceneocr.native import library

pytestmark = pytest.mark.skipif(library("roi_align") is None, reason="native kernels unavailable (no g++, or OCR_NATIVE_KERNELS=0)")

# Inside, across and entirely outside the map, sub-pixel, tiny, on the far border, on both images.
ROIS = np.array([[0, 8, 8, 80, 40], [1, -20, -10, 30, 20], [0, 140, 80, 190, 120], [1, 3, 3, 4, 4],
                 [0, 0, 0, 159, 95], [1, 150, 90, 400, 300], [0, -50, -50, -10, -5],
                 [1, 10.5, 20.25, 77.7, 31.3]], np.float32)


class _WeightedSum(nn.Cell):
    def __init__(self, align):
        super().__init__()
        self.align = align

    def construct(self, features, rois, weights):
        return (self.align(features, rois) * weights).sum()


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(2, 3, 12, 20)).astype(np.float32)
    weights = rng.normal(size=(len(ROIS), 3, 7, 7)).astype(np.float32)
    return features, weights


def test_native_forward_equals_mindspore_roialign():
    features, _ = _inputs()
    native, reference = ROIAlign(7, 7, 0.125, 2), ROIAlign(7, 7, 0.125, 2, native=False)
    assert native.native and not reference.native
    got = native(ms.Tensor(features), ms.Tensor(ROIS)).asnumpy()
    expected = reference(ms.Tensor(features), ms.Tensor(ROIS)).asnumpy()
    assert got.shape == (len(ROIS), 3, 7, 7)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(got[6]).max() == 0   # a box entirely outside the map pools zeros


def test_native_gradient_matches_finite_differences():
    features, weights = _inputs(1)
    loss = _WeightedSum(ROIAlign(7, 7, 0.125, 2))
    rois, w = ms.Tensor(ROIS), ms.Tensor(weights)
    grad = ms.grad(loss, grad_position=0)(ms.Tensor(features), rois, w).asnumpy()
    assert grad.shape == features.shape
    # Interior, corner, far border and untouched positions; the loss is linear in the features,
    # so a central difference is exact up to float rounding.
    for index in [(0, 0, 1, 1), (1, 2, 0, 0), (0, 2, 11, 19), (1, 1, 2, 2), (0, 1, 0, 0), (0, 0, 5, 12),
                  (1, 0, 11, 19), (0, 2, 6, 3)]:
        step = np.zeros_like(features)
        step[index] = 0.05
        numeric = (loss(ms.Tensor(features + step), rois, w).asnumpy()
                   - loss(ms.Tensor(features - step), rois, w).asnumpy()) / 0.1
        assert grad[index] == pytest.approx(float(numeric), abs=2e-3), index
