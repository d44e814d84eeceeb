"""DeepText end to end: every registered variant builds, the tiny one trains, detects, saves and exports."""
import os

import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from conftest import ROOT
from src.config import load_config
from src.data.synth_scenes import SyntheticScenes
from src.deeptext import DeepTextDetector, DeepTextWithLoss, task
from src.deeptext.model import feature_size
from src.engine.train_step import TrainStep
from src.models import create_model, list_models, model_defaults

TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")


@pytest.mark.parametrize("name", list_models("deeptext"))
def test_every_variant_builds_with_its_anchor_grid(name):
    d = model_defaults(name)
    model = create_model(name)
    per_cell = len(d.get("anchor_scales", (2, 4, 6, 8, 12))) * len(d.get("anchor_ratios", (0, 0, 0, 0, 0, 0)))
    expected = feature_size(d["image_height"], 16) * feature_size(d["image_width"], 16) * per_cell
    assert model.num_anchors == expected == model.anchors.shape[0]
    assert model.rpn_head.objectness.out_channels == per_cell
    assert model.rcnn_head.scores.out_channels == 3  # background, text, ambiguous


def test_reference_variant_matches_the_published_architecture():
    model = create_model("deeptext_vgg16")
    assert model.anchors.shape[0] == 36 * 60 * 30
    head = model.rpn_head
    assert (head.branch1.out_channels, head.branch3.out_channels, head.branch5.out_channels) == (128, 384, 128)
    assert model.rcnn_head.fc6.in_channels == 512 * 7 * 7 and model.rcnn_head.fc6.out_channels == 4096
    assert model.backbone.out_channels == (512, 512)


def test_input_size_must_be_a_multiple_of_16():
    with pytest.raises(ValueError, match="multiple of 16"):
        create_model("deeptext_tiny", image_height=100)


def scene_batch(scenes, indices, model_cfg):
    from src.data.detection_pipeline import DetectionDataset

    dataset = DetectionDataset(scenes, model_cfg["image_height"], model_cfg["image_width"], max_boxes=8)
    items = [dataset.load(i) for i in indices]
    return (ms.Tensor(np.stack([i[0] for i in items])), ms.Tensor(np.stack([i[1][0] for i in items])),
            ms.Tensor(np.stack([i[1][1] for i in items])))


def test_losses_and_detection_shapes():
    cfg = load_config(TINY)
    model = task.build_model(cfg)
    scenes = SyntheticScenes(2, seed=1, height=128, width=192, max_words=3)
    images, boxes, valid = scene_batch(scenes, [0, 1], cfg["model"])
    losses = [float(x.asnumpy()) for x in DeepTextWithLoss(model)(images, boxes, valid)]
    assert len(losses) == 7 and all(np.isfinite(losses))
    assert losses[0] == pytest.approx(losses[1] + losses[2], rel=1e-5)
    assert losses[1] == pytest.approx(losses[3] + losses[4], rel=1e-5)
    model.set_train(False)
    out = DeepTextDetector(model)(images)
    assert [tuple(o.shape) for o in out] == [(2, 32, 4), (2, 32), (2, 32), (2, 32)]


@pytest.mark.slow
def test_tiny_deeptext_finds_the_words_of_its_training_scenes():
    from src.deeptext.detector import TextDetector

    cfg = load_config(TINY)
    ms.set_seed(0)
    model = task.build_model(cfg)
    scenes = SyntheticScenes(2, seed=5, height=128, width=192, max_words=3, min_text_height=16, max_text_height=40)
    batch = scene_batch(scenes, [0, 1], cfg["model"])
    step = TrainStep(DeepTextWithLoss(model), nn.Momentum(model.trainable_params(), 0.01, 0.9), clip_norm=10.0)
    step.set_train()
    detector = TextDetector(DeepTextDetector(model), 128, 192, score_threshold=0.5)
    recall, number = 0.0, 0
    for number in range(1, 1501):
        step(*batch)
        if number % 100 == 0:
            model.set_train(False)
            metrics, _ = task.evaluate_samples(detector, task.SampleList([scenes], "train scenes"), 2)
            model.set_train(True)
            recall = metrics["standard"]["recall"]
            if recall >= 0.9:
                break
    assert recall >= 0.9, f"recall {recall:.2f} on the training scenes after {number} steps"
