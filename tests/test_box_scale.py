"""eval.box_scale: detected boxes widened / heightened about their centres, after the sizes are merged; and the
script that chooses it on annotated scenes."""
import importlib
import os

import mindspore as ms
import numpy as np
import pytest

from conftest import FIXTURES, ROOT
from sceneocr.runners import as_runner
from sceneocr.config import ConfigError, load_config
from sceneocr.deeptext import task
from sceneocr.deeptext.detector import MultiScaleDetector, TextDetector, scale_boxes

TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")


def test_scale_boxes_grows_about_the_centre_and_clips_to_the_image():
    boxes = np.array([[10, 10, 30, 20], [0, 0, 20, 10]], np.float32)
    # The second box's top would go to -1: clipped to the image.
    np.testing.assert_allclose(scale_boxes(boxes, 1.0, 1.2, 100, 100), [[10, 9, 30, 21], [0, 0, 20, 11]], atol=1e-5)
    # (1.5, 2) in a 25-wide image: the first box is cut to x 10-25 first (centre 17.5, half width 7.5 -> 11.25);
    # the corner box's centre (10, 5) and half sizes (15, 10) reach past the image: clipped.
    np.testing.assert_allclose(scale_boxes(boxes, 1.5, 2.0, 25, 100), [[6.25, 5, 25, 25], [0, 0, 25, 15]], atol=1e-5)
    np.testing.assert_array_equal(scale_boxes(boxes, 1.0, 1.0, 100, 100), boxes)  # no scale: only clipped
    np.testing.assert_array_equal(scale_boxes(boxes, 0.5, 1.0, 100, 100), [[15, 10, 25, 20], [5, 0, 15, 10]])
    # A box reaching past the image grows from its part inside (90-100, centre 95), not from 90-110.
    np.testing.assert_allclose(scale_boxes([[0, 90, 50, 110]], 1.0, 1.5, 100, 100), [[0, 87.5, 50, 100]])
    assert scale_boxes(np.zeros((0, 4)), 1.1, 1.2, 10, 10).shape == (0, 4)


class Fixed:  # a detector at one size that always finds the same boxes
    box_scale = (1.0, 1.0)

    def __init__(self, boxes, scores):
        self.found = {"boxes": np.array(boxes, np.float32).reshape(-1, 4), "scores": np.array(scores, np.float32),
                      "classes": np.ones(len(scores), np.int32)}

    def detect(self, images, batch_size=1):
        return [self.found for _ in images]


def test_multi_scale_detector_scales_the_merged_boxes():
    small_size = Fixed([[0, 0, 100, 20]], [0.9])
    # The same word a little tighter at the other size: merged away before scaling, whatever the scale.
    large_size = Fixed([[1, 2, 99, 18], [10, 40, 30, 46]], [0.6, 0.8])
    image = np.zeros((50, 200, 3), np.uint8)
    found = MultiScaleDetector([small_size, large_size], box_scale=(1.1, 1.5)).detect([image])[0]
    # (1.1, 1.5) about the centres (50, 10) and (20, 43); the first clipped at the image's top and left.
    np.testing.assert_allclose(found["boxes"], [[0, 0, 105, 25], [9, 38.5, 31, 47.5]], atol=1e-4)
    np.testing.assert_allclose(found["scores"], [0.9, 0.8])
    # Merged before scaling: the small word shares 20 % of itself with the big one as found (kept), 67 % once
    # both are 1.5x taller (scaling first would drop it).
    big, small = Fixed([[0, 0, 100, 22]], [0.9]), Fixed([[10, 20, 30, 30]], [0.8])
    found = MultiScaleDetector([big, small], box_scale=(1.0, 1.5)).detect([image])[0]
    np.testing.assert_allclose(found["boxes"], [[0, 0, 100, 27.5], [10, 17.5, 30, 32.5]], atol=1e-4)
    sized = Fixed([[0, 0, 10, 10]], [0.9])
    sized.box_scale = (1.0, 1.2)
    with pytest.raises(ValueError, match="give box_scale to it"):
        MultiScaleDetector([small_size, sized])


def two_word_cell(images):
    """A model cell that finds two words: 0.1-0.5 of the width, at 0.2-0.4 and 0.8-1.1 of the height (the
    second reaching past the image)."""
    n, _, height, width = images.shape
    box = np.array([[[0.1 * width, 0.2 * height, 0.5 * width, 0.4 * height],
                     [0.1 * width, 0.8 * height, 0.5 * width, 1.1 * height]]], np.float32).repeat(n, 0)
    return tuple(ms.Tensor(x) for x in (box, np.full((n, 2), 0.9, np.float32), np.ones((n, 2), np.int32),
                                        np.ones((n, 2), bool)))


@pytest.mark.parametrize("scales", ["[1.0]", "[1.0, 1.5]"])
def test_the_config_box_scale_reaches_the_detected_boxes(tmp_path, scales):
    from sceneocr import backends

    cfg = load_config(TINY, ["--eval.test_scales", scales, "--eval.box_scale", "[1.0, 1.5]"])
    ckpt = str(tmp_path / "tiny.ckpt")
    ms.save_checkpoint(task.build_model(cfg), ckpt)
    detector = backends.load_detector(cfg, ckpt, backend="mindspore")
    sizes = getattr(detector, "detectors", [detector])
    assert len(sizes) == (2 if "1.5" in scales else 1)
    for sized in sizes:
        sized.runner = as_runner(two_word_cell)
    found = detector.detect([np.full((100, 150, 3), 127, np.uint8)])[0]
    # The words are 15-75 x 20-40 and 80-100 (110 clipped) in the image; 1.5 times their height about their
    # centres (y 30 and 90): 15-45 and 75-100 (105 clipped), at one size as at two.
    np.testing.assert_allclose(found["boxes"], [[15, 15, 75, 45], [15, 75, 75, 100]], atol=1e-4)
    assert isinstance(detector, MultiScaleDetector if len(sizes) == 2 else TextDetector)


@pytest.mark.parametrize("bad", ["[1.0]", "[1.0, 3.0]", "[0.2, 1.0]"])
def test_box_scale_out_of_range_is_refused(bad):
    with pytest.raises(ConfigError, match="eval.box_scale"):
        load_config(TINY, ["--eval.box_scale", bad])


def load_tuning_script():
    return importlib.import_module("sceneocr.cli.tune_box_scale")


def test_tuning_script_counts_matches_per_setting_and_ranks_them():
    tune = load_tuning_script()
    words = np.array([[0, 0, 100, 40], [0, 60, 100, 100]], np.float32)
    # The first word found too tight (IoU 0.4: missed and a false box at 1.0), the second as annotated.
    found = [(np.array([[0, 12, 100, 28], [0, 60, 100, 100]], np.float32), np.array([0.9, 0.8]), words,
              np.zeros(2, bool), (200, 200))]
    counts = tune.score_settings(found, [1.0], [1.0, 1.3, 1.4])
    # At 1.3 the tight box is 20.8 high (IoU 0.52) and the other 52 (IoU 40 / 52 = 0.77): both match.
    assert counts == {(1.0, 1.0): (1, 2, 2), (1.0, 1.3): (2, 2, 2), (1.0, 1.4): (2, 2, 2)}
    assert [setting for setting, _ in tune.ranked(counts)] == [(1.0, 1.3), (1.0, 1.4), (1.0, 1.0)]


@pytest.mark.skipif(not os.path.isdir(os.path.join(FIXTURES, "svt")), reason="needs ../shared/fixtures")
def test_tuning_script_scores_an_eval_report_of_real_scenes(tmp_path):
    import json

    from sceneocr.data.detection import read_detection_dataset

    tune = load_tuning_script()
    svt = os.path.join(FIXTURES, "svt")
    spec = f"svt:{svt}:{os.path.join(svt, 'test.xml')}"
    samples, _ = read_detection_dataset({"format": "svt", "images": svt, "annotations": os.path.join(svt, "test.xml")})
    words = sum(len(s.boxes) for s in samples)
    # Every word "found" at 0.45 of its height about its centre: IoU 0.45, missed; 1.3 times that (0.585) matches.
    predictions = []
    for s in samples:
        centre, half = (s.boxes[:, 1] + s.boxes[:, 3]) / 2, (s.boxes[:, 3] - s.boxes[:, 1]) / 2 * 0.45
        tight = np.stack([s.boxes[:, 0], centre - half, s.boxes[:, 2], centre + half], axis=1)
        predictions.append({"image": s.image_path, "boxes": tight.tolist(), "scores": [0.9] * len(tight)})
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"predictions": {spec: predictions}}))
    table = tune.main(["--report", str(report), "--dataset", spec, "--width", "1.0", "--height", "1.0", "1.3"])
    assert dict(table) == {(1.0, 1.3): (words, words, words), (1.0, 1.0): (0, words, words)}
    report.write_text(json.dumps({"box_scale": [1.0, 1.1], "predictions": {spec: predictions}}))
    with pytest.raises(ValueError, match=r"made with eval.box_scale \[1.0, 1.1\]"):
        tune.main(["--report", str(report), "--dataset", spec])
    report.write_text(json.dumps({"predictions": {spec: predictions[1:]}}))
    with pytest.raises(ValueError, match="no detections for"):
        tune.main(["--report", str(report), "--dataset", spec])
    with pytest.raises(ValueError, match=f"no detections of svt:elsewhere; it holds {spec}"):
        tune.main(["--report", str(report), "--dataset", "svt:elsewhere"])
