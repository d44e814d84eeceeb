import mindspore as ms
import numpy as np
import pytest

from sceneocr.crnn.model import CRNNInference, sequence_length
from sceneocr.models import create_model, list_models, model_defaults


@pytest.mark.parametrize("name", list_models("crnn"))
@pytest.mark.parametrize("batch,width", [(1, 100), (3, 100), (2, 160)])
def test_every_crnn_variant_output_shape(name, batch, width):
    net = create_model(name)
    net.set_train(False)
    out = net(ms.Tensor(np.zeros((batch, 3, 32, width), np.float32)))
    assert out.shape == (sequence_length(width), batch, model_defaults(name)["num_classes"])
    assert sequence_length(100) == 24


def test_inference_graph_returns_normalised_log_probs():
    net = create_model("crnn_vgg_tiny", in_channels=1, num_classes=11)
    net.set_train(False)
    out = CRNNInference(net)(ms.Tensor(np.random.rand(2, 1, 32, 100).astype(np.float32))).asnumpy()
    assert out.shape == (2, 24, 11)
    np.testing.assert_allclose(np.exp(out).sum(-1), 1.0, rtol=1e-5)


def test_create_model_rejects_unknown_arguments():
    with pytest.raises(TypeError, match="no argument"):
        create_model("crnn_vgg", depth=3)
    with pytest.raises(KeyError, match="unknown model"):
        create_model("nope")
    with pytest.raises(ValueError, match="image_height must be 32"):
        create_model("crnn_vgg_tiny", image_height=48)


class _WeightedSum(ms.nn.Cell):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def construct(self, x, weights):
        out = self.cell(x)
        out = out[0] if isinstance(out, tuple) else out
        return (out * weights).sum()


def _gradients(cell, x, weights):
    loss = _WeightedSum(cell)
    params = loss.trainable_params()
    grad = ms.grad(loss, grad_position=0, weights=params if params else None)(x, weights)
    dx, dparams = grad if params else (grad, ())
    return dx.asnumpy(), [g.asnumpy() for g in dparams]


def test_fused_bidirectional_lstm_equals_nn_lstm():
    from sceneocr.crnn.model import BidirectionalLSTM
    rng = np.random.default_rng(0)
    lstm = BidirectionalLSTM(12, 8, num_layers=2, fused=True)
    x = ms.Tensor(rng.normal(size=(5, 3, 12)).astype(np.float32))
    weights = ms.Tensor(rng.normal(size=(5, 3, 16)).astype(np.float32))
    fused_out = lstm(x)[0].asnumpy()
    fused_dx, fused_dw = _gradients(lstm, x, weights)
    lstm.fused = False
    generic_out = lstm(x)[0].asnumpy()
    generic_dx, generic_dw = _gradients(lstm, x, weights)
    np.testing.assert_allclose(fused_out, generic_out, atol=1e-6)
    np.testing.assert_allclose(fused_dx, generic_dx, atol=1e-5)
    assert len(fused_dw) == len(generic_dw) == 16
    for a, b in zip(fused_dw, generic_dw):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_folded_batchnorm_inference_equals_the_network():
    rng = np.random.default_rng(0)
    net = create_model("crnn_vgg_tiny")
    for p in net.get_parameters():   # batch norms with non-trivial statistics
        if any(k in p.name for k in ("moving_mean", "beta")):
            p.set_data(ms.Tensor(rng.normal(0, 0.5, p.shape).astype(np.float32)))
        if any(k in p.name for k in ("moving_variance", "gamma")):
            p.set_data(ms.Tensor(rng.uniform(0.5, 2.0, p.shape).astype(np.float32)))
    net.set_train(False)
    images = ms.Tensor(rng.normal(size=(3, 3, 32, 100)).astype(np.float32))
    folded = CRNNInference(net, fold_bn=True)
    assert not any(isinstance(c, ms.nn.BatchNorm2d) for c in folded.features.cell_list)
    np.testing.assert_allclose(folded(images).asnumpy(), CRNNInference(net)(images).asnumpy(), atol=2e-5)
