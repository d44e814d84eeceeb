"""DeepText exports: the ONNX graph, run by onnxruntime through a runner (load_exported), gives the checkpoint's detections."""
import os

import mindspore as ms
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.config import load_config
from sceneocr.deeptext import task as deeptext_task
from sceneocr.deeptext.model import DeepTextDetector
from sceneocr.runners import load_exported

DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")


def test_onnx_export_matches_checkpoint(tmp_path):
    pytest.importorskip("onnxruntime")
    cfg = load_config(DEEPTEXT_TINY, ["--score_threshold", "0.0"])
    ms.set_seed(0)
    model = deeptext_task.build_model(cfg)
    # Untrained heads give every box nearly the same score, and then the order is arbitrary: widen them.
    rng = np.random.default_rng(0)
    for name, std in (("rcnn_head.fc6.weight", 0.1), ("rcnn_head.fc7.weight", 0.7), ("rcnn_head.scores.weight", 1.0)):
        param = model.parameters_dict()[name]
        param.set_data(ms.Tensor(rng.normal(0, std, param.shape).astype(np.float32)))
    ckpt = str(tmp_path / "det.ckpt")
    ms.save_checkpoint(model, ckpt)
    path = deeptext_task.export(cfg, ckpt, "ONNX", str(tmp_path / "deeptext"), batch_size=1)

    h, w = cfg["model"]["image_height"], cfg["model"]["image_width"]
    # Noise, not a scene: flat regions give untrained heads equal scores, whose order is arbitrary.
    batch = rng.normal(0, 1, (1, 3, h, w)).astype(np.float32)
    model.set_train(False)
    expected = [o.asnumpy() for o in DeepTextDetector(model)(ms.Tensor(batch))]
    got = list(load_exported(path)(batch))  # a runner: NumPy in, NumPy out
    valid, got_valid = expected[3][0], got[3][0]
    assert valid.sum() > 0 and got_valid.sum() == valid.sum()
    scores, got_scores = expected[1][0][valid], got[1][0][got_valid]
    np.testing.assert_allclose(np.sort(got_scores), np.sort(scores), atol=1e-5)
    # Scores a float rounding apart may swap places (and, at the cut, members): compare as sets.
    boxes, got_boxes = expected[0][0][valid], got[0][0][got_valid]
    classes, got_classes = expected[2][0][valid], got[2][0][got_valid]
    matched = [((np.abs(scores - score) < 1e-5) & (np.abs(boxes - box).max(axis=1) < 1e-2) & (classes == cls)).any()
               for box, score, cls in zip(got_boxes, got_scores, got_classes)]
    assert np.mean(matched) >= 0.9, matched
