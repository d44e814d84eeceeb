"""DeepText's data settings: bad ground truth is reported, not scored; the photo config and its hold-out."""
import json
import os

import cv2
import numpy as np
import pytest

from conftest import ROOT, SHARED
from sceneocr.config import load_config
from sceneocr.deeptext import task

TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
PHOTO = os.path.join(ROOT, "configs", "deeptext", "deeptext_photo_cpu.yaml")
DEFAULTS = os.path.join(ROOT, "configs", "deeptext", "deeptext_cpu.yaml")


class OracleDetector:
    """Predicts the boxes it is given per image size (the clean ground truth)."""

    def __init__(self, boxes):
        self.boxes = np.asarray(boxes, np.float32)

    def detect(self, images, batch_size=1):
        return [{"boxes": self.boxes, "scores": np.ones(len(self.boxes), np.float32)} for _ in images]


def test_eval_scores_clean_ground_truth_and_reports_what_it_dropped(tmp_path, monkeypatch):
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "img_1.jpg"), np.full((40, 60, 3), 127, np.uint8))
    (tmp_path / "gt" / "gt_img_1.txt").write_text('1 2 10 12 "ok"\n0 0 inf 30 "inf"\nnan 1 5 5 "nan"\n'
                                                   '20 5 10 9 "inverted"\n40 30 90 50 "edge"\n')
    cfg = load_config(TINY, defaults=DEFAULTS)
    monkeypatch.setattr(task, "load_detector", lambda *args: OracleDetector([[1, 2, 10, 12], [40, 30, 60, 40]]))
    logged = []
    spec = f"ic13:{tmp_path / 'img'}:{tmp_path / 'gt'}"
    results = task.evaluate(cfg, [spec], ckpt="unused", report=str(tmp_path / "report.json"), logger=logged.append)
    # The inf box would otherwise be a full-image word to find, and the inverted one a word never found.
    assert results[spec]["standard"]["recall"] == 1.0 and results[spec]["standard"]["precision"] == 1.0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["results"][spec]["ground_truth"] == {
        "boxes": 5, "clipped to the image": 1, "dropped: NaN/inf": 2, "dropped: inverted or under 1 px": 1,
        "dropped: off the image": 0}
    assert any("ground truth: 5 boxes (1 clipped to the image, 2 dropped: NaN/inf, 1 dropped: inverted" in line
               for line in logged)



def test_real_scenes_are_read_where_the_configs_font_and_photo_folders_are_absent(tmp_path):
    # The shipped config names ../shared/train/fonts: evaluating one's own scenes elsewhere must not need it.
    # (Photo folders are checked only when painted scenes are drawn.)
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "img_1.jpg"), np.full((40, 60, 3), 127, np.uint8))
    (tmp_path / "gt" / "gt_img_1.txt").write_text('1 2 10 12 "ok"\n')
    missing = str(tmp_path / "no_fonts")
    cfg = load_config(TINY, ["--data.fonts", f"['{missing}']"], defaults=DEFAULTS)
    samples = task.build_samples(cfg, task.parse_dataset_arg(f"ic13:{tmp_path / 'img'}:{tmp_path / 'gt'}"), 0, 0,
                                 logger=lambda _: None)
    assert len(samples) == 1 and samples[0].boxes.tolist() == [[1, 2, 10, 12]]
    with pytest.raises(FileNotFoundError, match="no_fonts: font folder not found"):
        task.build_samples(cfg, "synthetic", 2, 0, logger=lambda _: None)


def test_eval_over_two_datasets_adds_a_pooled_result(tmp_path, monkeypatch):
    # Two one-image datasets: the detector finds the single word of the first and none of the three of
    # the second. Pooled recall counts words (1 of 4), it does not average the datasets' recalls (1/2).
    specs = []
    for name, lines in (("a", '1 2 10 12 "one"\n'), ("b", '30 2 40 12 "x"\n30 20 40 30 "y"\n45 2 55 12 "z"\n')):
        (tmp_path / name / "img").mkdir(parents=True)
        (tmp_path / name / "gt").mkdir()
        cv2.imwrite(str(tmp_path / name / "img" / "img_1.jpg"), np.full((40, 60, 3), 127, np.uint8))
        (tmp_path / name / "gt" / "gt_img_1.txt").write_text(lines)
        specs.append(f"ic13:{tmp_path / name / 'img'}:{tmp_path / name / 'gt'}")
    cfg = load_config(TINY, defaults=DEFAULTS)
    monkeypatch.setattr(task, "load_detector", lambda *args: OracleDetector([[1, 2, 10, 12]]))
    logged = []
    results = task.evaluate(cfg, specs, ckpt="unused", logger=logged.append)
    assert results[specs[0]]["standard"]["recall"] == 1.0 and results[specs[1]]["standard"]["recall"] == 0.0
    pooled = results["pooled"]
    assert pooled["images"] == 2
    assert pooled["standard"]["recall"] == pytest.approx(1 / 4)
    assert pooled["standard"]["precision"] == pytest.approx(1 / 2)
    assert any(line.startswith("all 2 datasets pooled (2 images)") for line in logged)

def test_training_summary_names_each_source_and_its_box_counts(tmp_path):
    cfg = load_config(TINY, defaults=DEFAULTS)
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.jpg"), np.full((40, 60, 3), 127, np.uint8))
    (tmp_path / "gt" / "a.txt").write_text("1,2,10,12,word\n0,0,nan,5,bad\n")
    cfg["data"]["train"] = ["photo_synth", {"format": "ic11", "images": str(tmp_path / "img"),
                                            "annotations": str(tmp_path / "gt"), "ratio": 0.5}]
    dataset = task.build_dataset(cfg, cfg["data"]["train"], 8, 1, True, logger=lambda _: None)
    summary = dataset.summary()
    assert "8 draws per epoch from 2 sources" in summary
    assert "ratio 1 (5 draws): text painted on photos (procedural backgrounds" in summary
    assert "ratio 0.5 (3 draws): ic11:" in summary and "2 boxes (1 dropped: NaN/inf)" in summary


def test_photo_config_is_valid_and_holds_out_the_same_scenes_as_the_rule(monkeypatch):
    cfg = load_config(PHOTO, defaults=DEFAULTS)
    m = cfg["model"]
    assert m["name"] == "deeptext_vgg16_cpu" and m["backbone"]["norm"] in ("none", "frozen_bn")
    assert m["backbone"]["frozen_stages"] >= 2
    formats = [s["format"] for s in cfg["data"]["train"]]
    assert formats == ["photo_synth", "ic03", "svt"]
    assert all(s.get("holdout") == "exclude" for s in cfg["data"]["train"][1:])
    assert [(s["format"], s["holdout"]) for s in cfg["data"]["val"]] == [("ic03", "only"), ("svt", "only")]
    if not os.path.isdir(os.path.join(SHARED, "train", "ic03_train")):
        pytest.skip("../shared/train not present")
    monkeypatch.chdir(ROOT)  # the config's data paths are relative to the project
    val = task.build_samples(cfg, "val", 50, 0, logger=lambda _: None)
    assert len(val) == 37  # 24 IC03 + 13 SVT scenes (sceneocr/data/holdout.py)
