"""Native-gradient max-pooling: identical gradients to MindSpore's MaxPoolGrad, ties and padding included."""
import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from sceneocr.native import library
from sceneocr.native.layers import NativeGradMaxPool2d, max_pool

pytestmark = pytest.mark.skipif(library("max_pool") is None, reason="native kernels unavailable (no g++, or OCR_NATIVE_KERNELS=0)")


class _WeightedSum(nn.Cell):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def construct(self, x, weights):
        return (self.cell(x) * weights).sum()


@pytest.mark.parametrize("kernel,shape", [((2, 2), (2, 3, 8, 10)), ((2, 2), (2, 3, 7, 9)),
                                          ((2, 1), (2, 3, 8, 5)), ((1, 2), (2, 2, 3, 7))])
def test_native_max_pool_gradient_equals_maxpoolgrad(kernel, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    x[0] = np.round(x[0])          # many ties inside windows
    x[1, 0] = 1.0                  # a constant plane: every window tied
    native, reference = max_pool(kernel), nn.MaxPool2d(kernel, kernel, pad_mode="same")
    assert isinstance(native, NativeGradMaxPool2d)
    out = reference(ms.Tensor(x))
    np.testing.assert_array_equal(native(ms.Tensor(x)).asnumpy(), out.asnumpy())
    weights = ms.Tensor(rng.normal(size=out.shape).astype(np.float32))
    got = ms.grad(_WeightedSum(native), grad_position=0)(ms.Tensor(x), weights).asnumpy()
    expected = ms.grad(_WeightedSum(reference), grad_position=0)(ms.Tensor(x), weights).asnumpy()
    np.testing.assert_array_equal(got, expected)


def test_max_pool_falls_back_and_checks_its_kernel():
    assert isinstance(max_pool(2, native=False), nn.MaxPool2d)
    with pytest.raises(ValueError, match="1 or 2 only"):
        max_pool(3)
