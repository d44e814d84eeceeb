"""Multi-scale training (rescale, then an input-sized window), the ICDAR 2015 scene hold-out, validation at the
test size, and scoring axis-aligned boxes against quadrilaterals."""
import os

import numpy as np
import pytest

from sceneocr.data.detection import DetectionSample, read_detection_dataset
from sceneocr.data.detection_pipeline import DetectionDataset, rescale_and_crop
from sceneocr.data.holdout import is_held_out
from sceneocr.geometry import box_corners, clip_polygon_to_box, pairwise_box_quad_iou, pairwise_iou, polygon_area
from sceneocr.metrics.detection import DetectionMetrics, match_quads, match_standard


def test_a_fixed_factor_scales_boxes_exactly_and_pads_a_smaller_image():
    image = np.full((100, 200, 3), 200, np.uint8)
    boxes = np.array([[10, 20, 50, 40], [100, 60, 180, 90]], np.float32)
    rng = np.random.default_rng(0)
    out, scaled, ignore, scale = rescale_and_crop(image, boxes, np.zeros(2, bool), rng, 160, 320, (0.5, 0.5))
    # fits 160x320 at 1.6, times 0.5: the image is 80x160 in the top left corner, the rest is padding
    assert scale == pytest.approx((0.8, 0.8)) and out.shape == (160, 320, 3)
    np.testing.assert_allclose(scaled, boxes * 0.8, atol=1e-4)
    assert not ignore.any()
    assert (out[:80, :160] == 200).all() and (out[80:, :] != 200).all() and (out[:, 160:] != 200).all()


def test_a_window_cuts_no_word_when_one_exists_and_cut_words_become_do_not_care():
    image = np.zeros((200, 400, 3), np.uint8)
    # Two words far apart: at 2x (800x1600 scaled, 200x400 windows) no window can hold both.
    boxes = np.array([[20, 20, 60, 40], [300, 150, 380, 180]], np.float32)
    cared = np.zeros(2, bool)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out, kept, ignore, scale = rescale_and_crop(image, boxes, cared, rng, 200, 400, (2.0, 2.0))
        assert out.shape == (200, 400, 3) and scale == pytest.approx((2.0, 2.0))
        assert len(kept) >= 1 and (~ignore).sum() >= 1  # the window holds a whole cared-for word
        whole = kept[~ignore]
        sizes = np.stack([whole[:, 2] - whole[:, 0], whole[:, 3] - whole[:, 1]], axis=1)
        assert {tuple(s) for s in sizes.round(3)} <= {(80.0, 40.0), (160.0, 60.0)}  # never clipped
        assert (kept >= 0).all() and (kept[:, [0, 2]] <= 400).all() and (kept[:, [1, 3]] <= 200).all()

    # A word wider than any window is cut wherever the window falls: it stays, as a do-not-care region.
    wide = np.array([[0, 90, 400, 110]], np.float32)
    _, kept, ignore, _ = rescale_and_crop(image, wide, np.zeros(1, bool), np.random.default_rng(1), 200, 400,
                                          (2.0, 2.0))
    assert ignore.tolist() == [True] and kept[0, 2] - kept[0, 0] == 400


def test_multiscale_draws_are_reproducible_and_off_keeps_the_old_path():
    image = (np.arange(120 * 160 * 3) % 251).astype(np.uint8).reshape(120, 160, 3)
    sample = DetectionSample("a.jpg", np.array([[10, 10, 60, 30]], np.float32), np.zeros(1, bool), image=image)
    on = DetectionDataset([sample], 64, 96, max_boxes=4, augment=True, seed=3, scale_range=(0.8, 2.0))
    first, again = on.load(0, epoch=2), on.load(0, epoch=2)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1][0], again[1][0])
    scales = {round(on.prepare(sample, np.random.default_rng([3, e, 0]))[3][0], 4) for e in range(30)}
    fit = min(64 / 120, 96 / 160)
    assert len(scales) > 20 and fit * 0.8 <= min(scales) and max(scales) <= fit * 2.0
    off = DetectionDataset([sample], 64, 96, max_boxes=4, augment=True, seed=3)
    plain = DetectionDataset([sample], 64, 96, max_boxes=4, augment=True, seed=3, scale_range=(1.0, 1.0))
    assert np.array_equal(off.load(0, 1)[0], plain.load(0, 1)[0])
    with pytest.raises(ValueError, match="keep_ratio"):
        DetectionDataset([sample], 64, 96, keep_ratio=False, scale_range=(0.5, 2.0))


def test_the_config_checks_and_passes_the_scale_range():
    from sceneocr.model_config import default_config
    from sceneocr.config import ConfigError, load_config
    from sceneocr.deeptext.task import build_dataset, validation_config

    defaults = default_config("deeptext")
    cfg = load_config(defaults, ["--data.augment.scale_range", "[0.5, 1.5]", "--eval.test_scales", "[1.25]"],
                      defaults=defaults)
    assert build_dataset(cfg, "synthetic", 2, 1, True, logger=lambda *a: None).scale_range == (0.5, 1.5)
    sized = validation_config(cfg)
    assert (sized["model"]["image_height"], sized["model"]["image_width"]) == (400, 640)  # 320x512 x 1.25
    plain = load_config(defaults, [], defaults=defaults)
    assert validation_config(plain) is plain
    for bad in ("[2.0, 1.0]", "[0.1, 1.0]", "[1.0]"):
        with pytest.raises(ConfigError, match="scale_range"):
            load_config(defaults, ["--data.augment.scale_range", bad], defaults=defaults)


def write_ic15(tmp_path, names):
    images, gt = tmp_path / "ch4_training_images", tmp_path / "ch4_training_localization_transcription_gt"
    images.mkdir()
    gt.mkdir()
    import cv2

    for name in names:
        cv2.imwrite(str(images / f"{name}.jpg"), np.zeros((72, 128, 3), np.uint8))
        (gt / f"gt_{name}.txt").write_text("10,10,50,12,49,30,9,28,Word\n60,40,100,40,100,60,60,60,###\n",
                                           encoding="utf-8-sig")
    return {"format": "ic15", "images": str(images), "annotations": str(gt)}


def test_ic15_scenes_are_held_back_by_file_name_and_keep_their_quadrilaterals(tmp_path):
    names = [f"img_{i}" for i in range(1, 41)]
    spec = write_ic15(tmp_path, names)
    everything, _ = read_detection_dataset(spec)
    kept, _ = read_detection_dataset({**spec, "holdout": "exclude"})
    held, _ = read_detection_dataset({**spec, "holdout": "only"})
    expected = {f"{n}.jpg" for n in names if is_held_out("ic15", f"{n}.jpg")}
    assert {os.path.basename(s.image_path) for s in held} == expected and expected
    assert len(kept) + len(held) == len(everything) == 40
    sample = everything[0]
    np.testing.assert_allclose(sample.boxes, [[9, 10, 50, 30], [60, 40, 100, 60]])
    np.testing.assert_allclose(sample.quads[0], [10, 10, 50, 12, 49, 30, 9, 28])
    assert sample.ignore.tolist() == [False, True]


def test_parse_dataset_arg_reads_the_ic15_holdout():
    from sceneocr.deeptext.task import parse_dataset_arg

    assert parse_dataset_arg("ic15:I:G:only") == {"format": "ic15", "images": "I", "annotations": "G",
                                                  "holdout": "only"}
    assert parse_dataset_arg("cocotext:I:G:val")["split"] == "val"


def test_polygon_clipping_and_box_quad_iou_exact_values():
    diamond = np.array([[5, 0], [10, 5], [5, 10], [0, 5]], float)
    assert polygon_area(diamond) == 50.0
    assert polygon_area(clip_polygon_to_box(diamond, [0, 0, 5, 5])) == pytest.approx(12.5)
    assert polygon_area(clip_polygon_to_box(diamond, [20, 20, 30, 30])) == 0.0
    boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(pairwise_box_quad_iou(boxes, box_corners(boxes)), pairwise_iou(boxes, boxes))
    # the box around a diamond: intersection 50, union 100
    assert pairwise_box_quad_iou([[0, 0, 10, 10]], diamond[None])[0, 0] == pytest.approx(0.5)


def test_quad_protocol_scores_against_the_quadrilateral_not_its_bounding_box():
    # A slanted word: its bounding box is 0..100 x 0..42, the word itself a parallelogram of area 2,000.
    quad = np.array([[0, 22, 100, 0, 100, 20, 0, 42]], float)
    bounding = [[0, 0, 100, 42]]
    tight = [[0, 8, 100, 34]]
    assert pairwise_box_quad_iou(bounding, quad)[0, 0] == pytest.approx(20 / 42)
    assert pairwise_box_quad_iou(tight, quad)[0, 0] == pytest.approx(0.5912, abs=1e-4)
    assert match_standard(bounding, [0.9], bounding, [False])[0] == [(0, 0)]
    assert match_quads(bounding, [0.9], quad, [False])[0] == []
    assert match_quads(tight, [0.9], quad, [False])[0] == [(0, 0)]
    # A prediction mostly inside a do-not-care quadrilateral is not judged.
    dont_care = np.array([[200, 0, 300, 0, 300, 40, 200, 40]], float)
    both = np.concatenate([quad, dont_care])
    gt_boxes = [[0, 0, 100, 42], [200, 0, 300, 40]]
    metrics = DetectionMetrics()
    metrics.update(tight + [[210, 5, 290, 35], [400, 0, 450, 20]], [0.9, 0.8, 0.7], gt_boxes, [False, True], both)
    metrics.update(tight, [0.9], [[0, 0, 100, 40]], [False])  # a scene without quadrilaterals: not in quad
    result = metrics.result()
    assert result["quad"] == {"precision": 0.5, "recall": 1.0, "f": pytest.approx(2 / 3), "images": 1}
    assert "quad" not in DetectionMetrics().result()


def test_test_time_proposals_are_a_config_setting():
    from sceneocr.config import ConfigError, load_config
    from sceneocr.deeptext.task import build_model
    from sceneocr.model_config import default_config

    tiny = os.path.join(os.path.dirname(default_config("deeptext")), "deeptext_tiny.yaml")
    defaults = default_config("deeptext")
    few = build_model(load_config(tiny, ["--model.test_proposals", "40"], defaults=defaults))
    many = build_model(load_config(tiny, ["--model.test_proposals", "400"], defaults=defaults))
    own = build_model(load_config(tiny, [], defaults=defaults))
    assert (few.test_proposals.post_nms, many.test_proposals.post_nms, own.test_proposals.post_nms) == (40, 400, 100)
    assert many.test_proposals.pre_nms == 400  # never fewer candidates than proposals kept
    with pytest.raises(ConfigError, match="model.test_proposals"):
        load_config(tiny, ["--model.test_proposals", "-1"], defaults=defaults)


def test_quad_protocol_follows_the_icdar2015_scorer_at_its_edges():
    square = np.array([[0, 0, 10, 0, 10, 10, 0, 10]], float)
    half = [[0, 0, 10, 5]]  # IoU exactly 0.5: a match for the standard protocol, not for ICDAR 2015's
    assert match_standard(half, [0.9], [[0, 0, 10, 10]], [False])[0] == [(0, 0)]
    assert match_quads(half, [0.9], square, [False])[0] == []
    # A prediction mostly inside a do-not-care region is removed before matching, even if it fits a word.
    word_in_region = np.array([[0, 0, 10, 0, 10, 10, 0, 10], [0, 0, 12, 0, 12, 10, 0, 10]], float)
    matches, counted, words = match_quads([[0, 0, 10, 10]], [0.9], word_in_region, [False, True])
    assert (matches, counted, words) == ([], [], 1)
