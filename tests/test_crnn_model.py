import mindspore as ms
import numpy as np
import pytest

from src.crnn.model import CRNNInference, sequence_length
from src.registry import create_model, list_models, model_defaults


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
