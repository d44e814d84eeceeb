"""Detection readers on the genuine ICDAR 2015 sample and on files built from the format descriptions."""
import json
import os

import cv2
import numpy as np
import pytest

from conftest import FIXTURES, requires_shared
from src.data.detection import AnnotationError, read_detection_dataset
from src.data.detection_pipeline import DetectionDataset, flip, load_rgb, pad_boxes, resize
from src.data.synth_scenes import SyntheticScenes


def make_image(path, size=(40, 60)):
    cv2.imwrite(str(path), np.full(size + (3,), 127, np.uint8))


@requires_shared
def test_icdar15_fixture():
    spec = {"format": "ic15", "images": os.path.join(FIXTURES, "ic15", "imgs"),
            "annotations": os.path.join(FIXTURES, "ic15", "gt")}
    samples, missing = read_detection_dataset(spec)
    assert len(samples) == 10 and not missing
    first = next(s for s in samples if s.image_path.endswith("img_1.jpg"))
    np.testing.assert_allclose(first.boxes[0], [377, 117, 465, 130])  # quadrilateral -> its bounding box
    assert first.texts[0] == "Genaxis Theatre" and first.ignore.tolist()[:3] == [False, False, True]


@pytest.mark.parametrize("fmt,line,box,text", [
    ("ic13", '38 43 920 215 "Tiredness"', [38, 43, 920, 215], "Tiredness"),
    ("ic11", '38, 43, 920, 215, "Hi, there"', [38, 43, 920, 215], "Hi, there"),
    ("scut", "10,20,30,40,word", [10, 20, 40, 60], "word"),
    ("ic15", "1,2,11,2,11,9,1,9,###", [1, 2, 11, 9], "###"),
])
def test_gt_folder_formats(tmp_path, fmt, line, box, text):
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    make_image(tmp_path / "img" / "img_1.jpg")
    (tmp_path / "gt" / "gt_img_1.txt").write_text(line + "\n")
    (tmp_path / "gt" / "gt_img_2.txt").write_text(line + "\n")  # its image is missing
    samples, missing = read_detection_dataset({"format": fmt, "images": str(tmp_path / "img"),
                                               "annotations": str(tmp_path / "gt")})
    assert missing == ["img_2"] and len(samples) == 1
    np.testing.assert_allclose(samples[0].boxes[0], box)
    assert samples[0].texts == [text] and samples[0].ignore.tolist() == [text == "###"]


def test_malformed_annotation_names_file_and_line(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    make_image(tmp_path / "img" / "img_1.jpg")
    (tmp_path / "gt" / "gt_img_1.txt").write_text('1 2 3 4 "ok"\nbroken line\n')
    with pytest.raises(AnnotationError, match=r"gt_img_1.txt:2: expected 'xmin ymin xmax ymax"):
        read_detection_dataset({"format": "ic13", "images": str(tmp_path / "img"), "annotations": str(tmp_path / "gt")})
    with pytest.raises(AnnotationError, match="unknown detection format"):
        read_detection_dataset({"format": "voc", "images": str(tmp_path / "img"), "annotations": str(tmp_path / "gt")})


def test_cocotext_legible_words_and_split(tmp_path):
    make_image(tmp_path / "a.jpg")
    make_image(tmp_path / "b.jpg")
    data = {"imgs": {"1": {"file_name": "a.jpg", "set": "train"}, "2": {"file_name": "b.jpg", "set": "val"}},
            "anns": {"10": {"bbox": [1, 2, 10, 5], "legibility": "legible", "image_id": 1, "utf8_string": "EXIT"},
                     "11": {"bbox": [20, 2, 5, 5], "legibility": "illegible", "image_id": 1}},
            "imgToAnns": {"1": [10, 11], "2": []}}
    (tmp_path / "cocotext.v2.json").write_text(json.dumps(data))
    spec = {"format": "cocotext", "images": str(tmp_path), "annotations": str(tmp_path / "cocotext.v2.json")}
    samples, _ = read_detection_dataset(spec)
    assert len(samples) == 1 and samples[0].texts == ["EXIT", ""]
    np.testing.assert_allclose(samples[0].boxes, [[1, 2, 11, 7], [20, 2, 25, 7]])
    assert samples[0].ignore.tolist() == [False, True]
    assert len(read_detection_dataset({**spec, "split": "val"})[0]) == 1
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(AnnotationError, match="bad.json: not a COCO-Text v2 file"):
        read_detection_dataset({**spec, "annotations": str(tmp_path / "bad.json")})


def test_resize_flip_and_padding():
    image = np.zeros((100, 200, 3), np.uint8)
    boxes = np.array([[10, 10, 50, 30]], np.float32)
    out, scaled, scale = resize(image, boxes, 64, 64, keep_ratio=True)
    assert out.shape == (64, 64, 3) and scale == (0.32, 0.32)
    np.testing.assert_allclose(scaled, [[3.2, 3.2, 16, 9.6]], rtol=1e-5)
    _, stretched, scale = resize(image, boxes, 64, 64, keep_ratio=False)
    np.testing.assert_allclose(stretched, [[3.2, 6.4, 16, 19.2]], rtol=1e-5)
    flipped_image, flipped = flip(image, boxes)
    np.testing.assert_allclose(flipped, [[150, 10, 190, 30]])
    padded, valid = pad_boxes(np.array([[0, 0, 10, 10], [0, 0, 1, 1], [5, 5, 20, 20]], np.float32),
                              np.array([False, False, True]), 4)
    assert valid.tolist() == [True, False, False, False] and padded.shape == (4, 4)


def test_synthetic_scenes_reproducible_with_tight_boxes():
    scenes = SyntheticScenes(5, seed=2, height=128, width=192, max_words=4)
    a, b = scenes[3], SyntheticScenes(5, seed=2, height=128, width=192, max_words=4)[3]
    assert np.array_equal(a.image, b.image) and np.array_equal(a.boxes, b.boxes) and a.texts == b.texts
    assert len(a.boxes) >= 1 and a.image.shape == (128, 192, 3)
    assert (a.boxes[:, 2] <= 192).all() and (a.boxes[:, 3] <= 128).all()


def test_detection_dataset_augmentation_is_reproducible_per_epoch():
    scenes = SyntheticScenes(3, seed=2, height=128, width=192, max_words=4)
    dataset = DetectionDataset(scenes, 128, 192, max_boxes=8, augment=True, seed=7)
    first, again, other = dataset.load(1, epoch=4), dataset.load(1, epoch=4), dataset.load(1, epoch=5)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1][0], again[1][0])
    assert first[0].shape == (3, 128, 192) and first[1][1].sum() == len(scenes[1].boxes)
    assert not (np.array_equal(first[0], other[0]) and np.array_equal(first[1][0], other[1][0]))


@requires_shared
def test_mindrecord_round_trip_and_waiting_ranks(tmp_path):
    from src.data.mindrecord import convert_for_rank

    spec = {"format": "ic15", "images": os.path.join(FIXTURES, "ic15", "imgs"),
            "annotations": os.path.join(FIXTURES, "ic15", "gt")}
    output = str(tmp_path / "ic15.mindrecord")
    with pytest.raises(TimeoutError, match="rank 1 waited 0 s for rank 0"):
        convert_for_rank(spec, output, rank=1, timeout=0.0, poll=0.01)
    convert_for_rank(spec, output, rank=0)
    assert convert_for_rank(spec, output, rank=1, timeout=1.0, poll=0.01) == output
    original, _ = read_detection_dataset(spec)
    stored, _ = read_detection_dataset({"format": "mindrecord", "path": output})
    assert len(stored) == len(original) == 10
    by_name = {os.path.basename(s.image_path): s for s in original}
    for sample in stored:
        source = by_name[sample.image_path.split(":")[-1]]
        np.testing.assert_allclose(sample.boxes, source.boxes)
        assert sample.ignore.tolist() == source.ignore.tolist()
        assert load_rgb(sample).shape == (720, 1280, 3)
