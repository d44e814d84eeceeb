"""Slow: tiny DeepText and CRNN trained briefly on one synthetic scene; the pipeline must read it."""
import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from sceneocr.crnn.loss import CRNNWithLoss
from sceneocr.crnn.model import CRNNInference
from sceneocr.crnn.recognizer import Recognizer
from sceneocr.data.charset import Charset
from sceneocr.data.render import BUILTIN_FONT
from sceneocr.data.detection_pipeline import DetectionDataset
from sceneocr.data.synth_scenes import SyntheticScenes
from sceneocr.deeptext import DeepTextDetector, DeepTextWithLoss
from sceneocr.deeptext.boxes import pairwise_iou_np
from sceneocr.deeptext.detector import TextDetector
from sceneocr.e2e import OCRPredictor, RecognitionPredictor
from sceneocr.e2e.predictor import crop_with_margin
from sceneocr.engine.train_step import TrainStep
from sceneocr.metrics.text import edit_distance, standard_normalize
from sceneocr.models import create_model


def train_detector(scene, steps):
    model = create_model("deeptext_tiny")
    item = DetectionDataset([scene], 128, 192, max_boxes=8).load(0)
    inputs = (ms.Tensor(np.stack([item[0]] * 2)), ms.Tensor(np.stack([item[1][0]] * 2)),
              ms.Tensor(np.stack([item[1][1]] * 2)))
    step = TrainStep(DeepTextWithLoss(model), nn.Momentum(model.trainable_params(), 0.02, 0.9), clip_norm=10.0)
    step.set_train()
    detector = TextDetector(DeepTextDetector(model), 128, 192, score_threshold=0.3)
    for number in range(1, steps + 1):
        step(*inputs)
        if number % 100 == 0:
            model.set_train(False)
            found = detector.detect([scene.image])[0]["boxes"]
            model.set_train(True)
            if len(found) and (pairwise_iou_np(scene.boxes, found).max(axis=1) >= 0.5).all():
                break
    model.set_train(False)
    return detector


def train_recognizer(image, boxes, labels, steps):
    charset = Charset()
    rng = np.random.default_rng(0)
    network = create_model("crnn_vgg_tiny")
    reader = RecognitionPredictor(None, widths=(100,))
    # Crops around jittered boxes, as an imperfect detector would cut them, with brightness changes.
    images, texts = [], []
    for _ in range(96 // len(boxes) + 1):
        for box, label in zip(boxes, labels):
            h = box[3] - box[1]
            jittered = np.asarray(box) + rng.uniform(-0.12, 0.12, 4) * np.array([h, 0.5 * h, h, 0.5 * h])
            crop = crop_with_margin(image, jittered, 0.08).astype(np.float32) * rng.uniform(0.85, 1.15)
            images.append(reader.prepare(np.clip(crop, 0, 255).astype(np.uint8), 100))
            texts.append(label)
    targets, lengths = charset.encode_batch(texts)
    inputs = (ms.Tensor(np.stack(images)), ms.Tensor(targets), ms.Tensor(lengths))
    step = TrainStep(CRNNWithLoss(network), nn.Adam(network.trainable_params(), learning_rate=3e-3), clip_norm=5.0)
    step.set_train()
    for _ in range(steps):
        step(*inputs)
    network.set_train(False)
    return Recognizer(CRNNInference(network), charset)


@pytest.mark.slow
def test_pipeline_reads_a_synthetic_scene():
    ms.set_seed(0)
    # Pillow's bundled font only: the scene must not depend on the fonts the machine has installed.
    scene = SyntheticScenes(1, seed=29, height=128, width=192, max_words=3, min_text_height=18, max_text_height=36,
                            fonts=(BUILTIN_FONT,))[0]
    assert len(scene.boxes) >= 2
    detector = train_detector(scene, 1200)
    # The recogniser learns from crops around the true boxes and around the boxes this detector cuts
    # (as a recogniser fine-tuned on its detector's crops would): a tiny model trained for seconds
    # does not generalise from one to the other reliably.
    found = detector.detect([scene.image])[0]["boxes"]
    boxes, texts = list(scene.boxes), list(scene.texts)
    if len(found):
        overlap = pairwise_iou_np(scene.boxes, found)
        for g, text in enumerate(scene.texts):
            if overlap[g].max() >= 0.5:
                boxes.append(found[int(overlap[g].argmax())])
                texts.append(text)
    recognizer = train_recognizer(scene.image, boxes, texts, 600)
    page = OCRPredictor(detector, recognizer, rec_widths=(100,), rec_batch_size=8)(scene.image)
    predicted = np.array([w.box for w in page.words]).reshape(-1, 4)
    assert len(predicted), "no words detected"
    iou = pairwise_iou_np(scene.boxes, predicted)
    read = []
    for g, text in enumerate(scene.texts):
        best = int(iou[g].argmax())
        assert iou[g, best] >= 0.5, f"word {text!r} not found (best IoU {iou[g, best]:.2f})"
        read.append((standard_normalize(page.words[best].text), standard_normalize(text)))
    # A briefly trained tiny recogniser on crops cut by a briefly trained detector: one character
    # slip over the whole scene is tolerated (CPU float reductions make runs differ slightly).
    assert sum(edit_distance(p, t) for p, t in read) <= 1, read
