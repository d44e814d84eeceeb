"""The tiny CRNN must learn: 100 % training accuracy on a few dozen fixed synthetic words."""
import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from sceneocr.crnn.decode import greedy_decode
from sceneocr.crnn.loss import CRNNWithLoss
from sceneocr.crnn.model import CRNNInference
from sceneocr.data.charset import Charset
from sceneocr.data.words import WordDataset, open_word_source
from sceneocr.engine.train_step import TrainStep
from sceneocr.models import create_model

MAX_STEPS = 600


@pytest.mark.slow
def test_tiny_crnn_memorises_32_synthetic_words():
    ms.set_seed(0)
    charset = Charset()
    dataset = WordDataset(open_word_source("synthetic", num_samples=32, seed=11), charset, 32, 100, 3)
    images = np.stack([dataset.load(k)[0] for k in range(32)])
    labels = [dataset.label(k) for k in range(32)]
    targets, lengths = charset.encode_batch(labels)
    network = create_model("crnn_vgg_tiny")
    step = TrainStep(CRNNWithLoss(network), nn.Adam(network.trainable_params(), learning_rate=3e-3), clip_norm=5.0)
    predict = CRNNInference(network)
    inputs = (ms.Tensor(images), ms.Tensor(targets), ms.Tensor(lengths))
    expected = [charset.normalize(label) for label in labels]
    accuracy, first_loss = 0.0, None
    for number in range(1, MAX_STEPS + 1):
        step.set_train(True)
        loss = float(step(*inputs).asnumpy())
        first_loss = first_loss or loss
        if number % 25 == 0:
            network.set_train(False)
            decoded = [text for text, _ in greedy_decode(predict(inputs[0]).asnumpy(), charset)]
            accuracy = np.mean([d == e for d, e in zip(decoded, expected)])
            if accuracy == 1.0:
                break
    assert accuracy == 1.0, f"training accuracy {accuracy:.2f} after {MAX_STEPS} steps (loss {first_loss} -> {loss})"
