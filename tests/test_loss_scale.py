"""Loss-scaled training step: same update as the plain step when nothing overflows; overflowing
steps are skipped and a dynamic scale shrinks."""
import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from sceneocr.engine.train_step import LossScaledTrainStep, TrainStep, build_train_step
from sceneocr.engine.precision import resolve_loss_scale, resolve_precision


class SquaredError(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x, y):
        loss = ((self.net(x) - y) ** 2).mean()
        return loss, loss * 2


def make(step_factory, weight=1.0):
    dense = nn.Dense(3, 1, weight_init=ms.common.initializer.Constant(weight), bias_init="zeros")
    step = step_factory(SquaredError(dense), nn.SGD(dense.trainable_params(), learning_rate=0.1))
    step.set_train()
    return dense, step


def test_fixed_scale_matches_plain_step():
    x = ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    y = ms.Tensor(np.ones((2, 1), np.float32))
    plain, plain_step = make(lambda n, o: TrainStep(n, o))
    scaled, scaled_step = make(lambda n, o: build_train_step(n, o, loss_scale=1024))
    assert isinstance(scaled_step, LossScaledTrainStep)
    for _ in range(3):
        plain_step(x, y)
        outputs = scaled_step(x, y)
    assert len(outputs) == 2
    np.testing.assert_allclose(scaled.weight.asnumpy(), plain.weight.asnumpy(), rtol=1e-5)
    assert not np.allclose(plain.weight.asnumpy(), 1.0)


def test_overflow_skips_update_and_dynamic_scale_halves():
    x = ms.Tensor(np.full((2, 3), 1e30, np.float32))  # gradients overflow to inf
    y = ms.Tensor(np.zeros((2, 1), np.float32))
    dense, step = make(lambda n, o: build_train_step(n, o, loss_scale="dynamic"))
    step(x, y)
    np.testing.assert_array_equal(dense.weight.asnumpy(), np.ones((1, 3), np.float32))
    assert float(step.scale.asnumpy()) == 2.0 ** 15


def test_precision_and_loss_scale_rules():
    assert resolve_precision("auto", "Ascend") == "float16"
    assert resolve_precision("auto", "CPU") == "float32"
    with pytest.raises(ValueError, match="float16.*CPU"):
        resolve_precision("float16", "CPU")
    assert resolve_loss_scale("auto", "float16") == "dynamic"
    assert resolve_loss_scale("auto", "float32") == "none"
    assert resolve_loss_scale(128, "float32") == 128
    with pytest.raises(ValueError, match="loss_scale"):
        build_train_step(None, None, loss_scale="sometimes")
