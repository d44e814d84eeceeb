"""DeepText end to end: every registered variant builds, the tiny one trains, detects, saves and exports."""
import os

import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.runners import as_runner
from sceneocr.config import load_config
from sceneocr.data.synth_scenes import SyntheticScenes
from sceneocr.deeptext import DeepTextDetector, DeepTextWithLoss, task
from sceneocr.deeptext.model import feature_size
from sceneocr.engine.train_step import TrainStep
from sceneocr.models import create_model, list_models, model_defaults

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
    from sceneocr.data.detection_pipeline import DetectionDataset

    dataset = DetectionDataset(scenes, model_cfg["image_height"], model_cfg["image_width"], max_boxes=8)
    items = [dataset.load(i) for i in indices]
    return (ms.Tensor(np.stack([i[0] for i in items])), ms.Tensor(np.stack([i[1][0] for i in items])),
            ms.Tensor(np.stack([i[1][1] for i in items])))


def test_a_do_not_care_region_over_a_wordless_image_leaves_no_background_to_learn():
    cfg = load_config(TINY)
    model = task.build_model(cfg)
    height, width = cfg["model"]["image_height"], cfg["model"]["image_width"]
    images = ms.Tensor(np.random.default_rng(0).normal(size=(1, 3, height, width)).astype(np.float32))
    boxes = ms.Tensor(np.array([[[0, 0, width, height], [0, 0, 0, 0]]], np.float32))
    valid = ms.Tensor(np.array([[False, False]]))
    loss = DeepTextWithLoss(model)
    plain = [float(x.asnumpy()) for x in loss(images, boxes, valid)]
    careful = [float(x.asnumpy()) for x in loss(images, boxes, valid, ms.Tensor(np.array([[True, False]])))]
    assert plain[3] > 0.1 and plain[5] > 0.1  # without the region: every anchor and proposal is background
    assert careful == [0.0] * 7  # inside it nothing is sampled


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
    from sceneocr.deeptext.detector import TextDetector

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


def test_scaled_input_sizes_keep_the_stride():
    from sceneocr.deeptext.detector import scaled_size

    assert scaled_size(384, 640, 1.0) == (384, 640)
    assert scaled_size(384, 640, 1.5) == (576, 960)
    assert scaled_size(384, 640, 1.25) == (480, 800)
    assert scaled_size(128, 192, 0.3) == (32, 64)  # 38.4 x 57.6 to the nearest multiples of 16


def test_suppress_contained_keeps_the_best_of_each_word_and_separate_words():
    from sceneocr.deeptext.detector import suppress_contained

    boxes = np.array([[0, 0, 100, 20],     # a word
                      [2, 1, 98, 21],      # the same word at the other size, lower score: dropped
                      [0, 0, 45, 20],      # its first half (IoU 0.45, all inside): dropped
                      [60, 0, 160, 20],    # the next word, 40 % of it over the first: kept
                      [0, 30, 50, 50]],    # a word below: kept
                     np.float32)
    scores = np.array([0.9, 0.8, 0.95, 0.7, 0.6], np.float32)
    # The half word scores best, so it is kept and the whole word (it holds all of the half) goes.
    assert suppress_contained(boxes, scores).tolist() == [2, 3, 4]
    scores[2] = 0.5
    assert suppress_contained(boxes, scores).tolist() == [0, 3, 4]
    # At 0.99 only a box wholly inside a kept one goes (the half word); the shifted copy (95 % inside) stays.
    assert suppress_contained(boxes, scores, overlap=0.99).tolist() == [0, 1, 3, 4]
    assert suppress_contained(np.zeros((0, 4)), np.zeros(0)).tolist() == []


def test_multi_scale_detector_merges_what_each_size_found():
    from sceneocr.deeptext.detector import MultiScaleDetector

    class Fixed:  # a detector at one size that always finds the same boxes
        def __init__(self, boxes, scores):
            self.found = {"boxes": np.array(boxes, np.float32).reshape(-1, 4), "scores": np.array(scores, np.float32),
                          "classes": np.ones(len(scores), np.int32)}

        def detect(self, images, batch_size=1):
            return [self.found for _ in images]

    small_size = Fixed([[0, 0, 100, 20], [200, 0, 400, 80]], [0.9, 0.8])   # misses the small word
    large_size = Fixed([[1, 0, 99, 21], [10, 40, 30, 46]], [0.95, 0.6])     # finds it, loses the large one
    merged = MultiScaleDetector([small_size, large_size]).detect([None, None])
    assert len(merged) == 2
    np.testing.assert_array_equal(merged[0]["boxes"], [[1, 0, 99, 21], [200, 0, 400, 80], [10, 40, 30, 46]])
    np.testing.assert_array_equal(merged[0]["scores"], np.array([0.95, 0.8, 0.6], np.float32))


def test_test_scales_build_one_detector_per_input_size(tmp_path):
    from sceneocr import backends
    from sceneocr.config import ConfigError

    cfg = load_config(os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml"), ["--eval.test_scales", "[1.0, 1.5]"])
    ckpt = str(tmp_path / "tiny.ckpt")
    ms.save_checkpoint(task.build_model(cfg), ckpt)
    detector = backends.load_detector(cfg, ckpt, backend="mindspore")
    assert [(d.height, d.width) for d in detector.detectors] == [(128, 192), (192, 288)]
    assert detector.backend == "mindspore"

    def same_word_at_each_size(images):  # a model cell that finds one word, scoring it higher at the larger size
        n, _, height, width = images.shape
        box = np.array([[[0.1 * width, 0.2 * height, 0.5 * width, 0.4 * height]]], np.float32).repeat(n, 0)
        score = np.full((n, 1), 0.6 if height == 128 else 0.9, np.float32)
        return tuple(ms.Tensor(x) for x in (box, score, np.ones((n, 1), np.int32), np.ones((n, 1), bool)))

    for sized in detector.detectors:
        sized.runner = as_runner(same_word_at_each_size)
    found = detector.detect([np.full((100, 150, 3), 127, np.uint8)])[0]
    # 100x150 fits 128x192 at 1.28 and 192x288 at 1.92: both map back to one box, kept once at its best score.
    np.testing.assert_allclose(found["boxes"], [[15, 20, 75, 40]], atol=1e-4)
    np.testing.assert_allclose(found["scores"], [0.9])
    twice = load_config(os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml"), ["--eval.test_scales", "[1.0, 1.01]"])
    assert not hasattr(backends.load_detector(twice, ckpt, backend="mindspore"), "detectors")  # one size: run once
    for bad in ("[]", "[1.0, 5]"):
        with pytest.raises(ConfigError, match="eval.test_scales"):
            load_config(os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml"), ["--eval.test_scales", bad])


def test_infer_takes_detector_scales(tmp_path):
    from sceneocr.cli import read as infer

    config = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
    ckpt = str(tmp_path / "tiny.ckpt")
    ms.save_checkpoint(task.build_model(load_config(config)), ckpt)
    common = ["--image", str(tmp_path), "--mode", "det", "--det_ckpt", ckpt, "--det_config", config, "--backend", "mindspore"]
    predictor = infer.build_predictor(infer.parse_args(common + ["--det_scales", "1", "2"]))
    assert [(d.height, d.width) for d in predictor.detector.detectors] == [(128, 192), (256, 384)]
    assert not hasattr(infer.build_predictor(infer.parse_args(common)).detector, "detectors")  # one size by default
    with pytest.raises(ValueError, match=r"detector scales \[1.0, 9.0\]: must be a non-empty list"):
        infer.build_predictor(infer.parse_args(common + ["--det_scales", "1", "9"]))
