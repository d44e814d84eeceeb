"""Detection readers on the genuine ICDAR 2015 sample and on files built from the format descriptions."""
import json
import os

import cv2
import numpy as np
import pytest

from conftest import FIXTURES, ROOT, requires_shared
from sceneocr.data.detection import AnnotationError, clean_boxes, read_detection_dataset
from sceneocr.data.detection_pipeline import DetectionDataset, crop_whole_words, flip, load_rgb, pad_boxes, resize
from sceneocr.data.detection_sources import MixedSamples, build_detection_samples, source_entries
from sceneocr.data.synth_scenes import SyntheticScenes


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
    make_image(tmp_path / "img" / "img_1.jpg", size=(300, 1000))  # boxes inside the image stay as written
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
    padded, valid, ignored = pad_boxes(np.array([[0, 0, 10, 10], [0, 0, 1, 1], [5, 5, 20, 20]], np.float32),
                                       np.array([False, False, True]), 4)
    # The cared-for word first (the 1 px one is too small to learn from), then the do-not-care region.
    assert valid.tolist() == [True, False, False, False] and ignored.tolist() == [False, True, False, False]
    np.testing.assert_allclose(padded[:2], [[0, 0, 10, 10], [5, 5, 20, 20]])
    _, valid, ignored = pad_boxes(np.array([[0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 9, 9]], np.float32),
                                  np.array([True, False, True]), 2)
    assert valid.tolist() == [True, False] and ignored.tolist() == [False, True]  # words first when rows run out


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


def test_zoom_in_crop_never_cuts_a_word():
    image = np.arange(200 * 300 * 3, dtype=np.uint32).reshape(200, 300, 3)  # every pixel distinct
    boxes = np.array([[10, 10, 60, 30], [100, 90, 180, 120], [220, 150, 290, 190]], np.float32)
    ignore = np.array([False, False, True])
    rng = np.random.default_rng(3)
    zoomed = 0
    for _ in range(200):
        crop, kept, kept_ignore = crop_whole_words(image, boxes, ignore, rng)
        if crop.shape == image.shape:
            continue
        zoomed += 1
        top, left = divmod(int(crop[0, 0, 0]) // 3, 300)  # where the crop came from
        assert crop.shape[0] >= 0.3 * 0.8 * 200 - 1 and crop.shape[1] >= 0.3 * 300 - 1
        assert len(kept) >= 1 and (~kept_ignore).any()  # a cared-for word stays
        for box in kept:  # each kept box is a whole original box, shifted with the crop
            original = box + [left, top, left, top]
            assert any(np.allclose(original, b) for b in boxes)
            assert box[0] >= 0 and box[1] >= 0 and box[2] <= crop.shape[1] and box[3] <= crop.shape[0]
        dropped = [b for b in boxes if not any(np.allclose(b, k + [left, top, left, top]) for k in kept)]
        for b in dropped:  # a box left out lies wholly outside the crop
            assert b[2] <= left or b[0] >= left + crop.shape[1] or b[3] <= top or b[1] >= top + crop.shape[0]
    assert zoomed > 100
    # a word that spans the image cannot be kept whole by any smaller crop: no zoom
    wide = np.array([[0, 0, 300, 200]], np.float32)
    assert crop_whole_words(image, wide, np.array([False]), rng)[0].shape == image.shape


def test_zoom_in_is_configurable_and_off_by_default(monkeypatch):
    import sceneocr.data.detection_pipeline as pipeline
    from sceneocr.model_config import default_config
    from sceneocr.config import load_config
    from sceneocr.deeptext.task import build_dataset

    scenes = SyntheticScenes(4, seed=2, height=128, width=192, max_words=4)
    always = DetectionDataset(scenes, 128, 192, max_boxes=8, augment=True, crop_prob=1.0, expand_prob=0.0,
                              flip_prob=0.0)
    plain = DetectionDataset(scenes, 128, 192, max_boxes=8, augment=True, expand_prob=0.0, flip_prob=0.0)
    assert not np.array_equal(always.load(0)[0], plain.load(0)[0])
    # Off by default, and off means the augmentation draws of earlier runs (expand, then flip) are unchanged,
    # so a resumed pre-zoom run sees the same batches.
    monkeypatch.setattr(pipeline, "crop_whole_words", lambda *a: pytest.fail("zoom-in drawn while off"))
    default = DetectionDataset(scenes, 128, 192, max_boxes=8, augment=True, seed=7)
    for k in range(4):
        rng = np.random.default_rng([7, 3, k])
        image, boxes = scenes[k].image, scenes[k].boxes.astype(np.float32)
        if rng.random() < 0.5:
            image, boxes = pipeline.expand(image, boxes, rng)
        if rng.random() < 0.5:
            image, boxes = flip(image, boxes)
        expected = resize(image, boxes, 128, 192)[0]
        assert np.array_equal(default.load(k, epoch=3)[0], pipeline.normalize(expected))
    # the config's data.augment reaches the training dataset
    cfg = load_config(default_config("deeptext"), ["--data.augment.crop_prob", "0.3", "--data.augment.flip_prob", "0"],
                      defaults=default_config("deeptext"))
    dataset = build_dataset(cfg, "synthetic", 2, 1, True, logger=lambda *a: None)
    assert (dataset.crop_prob, dataset.expand_prob, dataset.flip_prob) == (0.3, 0.5, 0.0)


@requires_shared
def test_mindrecord_round_trip_and_waiting_ranks(tmp_path):
    from sceneocr.data.mindrecord import convert_for_rank

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


# --- ICDAR 2003 and SVT XML, hold-out, ground-truth cleaning, mixing by ratio ------------------------------

IC03_TEST = os.path.join(FIXTURES, "ic03", "SceneTrialTest")
TRAIN = os.path.join(os.path.dirname(FIXTURES), "train")
IC03_TRAIN = {"format": "ic03", "images": os.path.join(TRAIN, "ic03_train", "SceneTrialTrain"),
              "annotations": os.path.join(TRAIN, "ic03_train", "SceneTrialTrain", "words.xml")}
SVT_TRAIN = {"format": "svt", "images": os.path.join(TRAIN, "svt_train"),
             "annotations": os.path.join(TRAIN, "svt_train", "train.xml")}


def xml_dataset(tmp_path, rects, name="scene/a.jpg", size=(100, 200), encoding="ISO-8859-1"):
    """A words.xml with one image of ``size`` (height, width) and the given taggedRectangles."""
    (tmp_path / "scene").mkdir(exist_ok=True)
    make_image(tmp_path / "scene" / "a.jpg", size=size)
    body = "".join(f'<taggedRectangle x="{x}" y="{y}" width="{w}" height="{h}"><tag>{tag}</tag></taggedRectangle>'
                   for x, y, w, h, tag in rects)
    xml = (f'<?xml version="1.0" encoding="{encoding}"?><tagset><image><imageName>{name}</imageName>'
           f'<taggedRectangles>{body}</taggedRectangles></image></tagset>')
    (tmp_path / "words.xml").write_bytes(xml.encode(encoding))
    return {"format": "ic03", "images": str(tmp_path), "annotations": str(tmp_path / "words.xml")}


@requires_shared
def test_icdar2003_words_and_locations_and_svt_fixtures():
    words, missing = read_detection_dataset({"format": "ic03", "images": IC03_TEST,
                                             "annotations": os.path.join(IC03_TEST, "words.xml")})
    assert len(words) == 3 and len(missing) == 246  # the fixture keeps 3 of the 249 images
    sample = next(s for s in words if s.image_path.endswith("PICT0015.JPG"))
    assert len(sample.boxes) == len(sample.texts) > 0 and not sample.ignore.any()
    locations, _ = read_detection_dataset({"format": "ic03", "images": IC03_TEST,
                                           "annotations": os.path.join(IC03_TEST, "locations.xml")})
    by_path = {s.image_path: s for s in locations}
    np.testing.assert_allclose(by_path[sample.image_path].boxes, sample.boxes)
    assert set(by_path[sample.image_path].texts) == {""}  # locations.xml has no words
    svt_root = os.path.join(FIXTURES, "svt")
    svt, missing = read_detection_dataset({"format": "svt", "images": svt_root,
                                           "annotations": os.path.join(svt_root, "test.xml")})
    assert len(svt) == 3 and len(missing) == 246
    assert all(t.isupper() for s in svt for t in s.texts)


def test_xml_boxes_are_floats_clamped_to_the_image_and_names_stay_in_the_root(tmp_path):
    spec = xml_dataset(tmp_path, [(10.5, 20.0, 30.0, 15.5, "Caf\xe9"), (-5, 90, 50, 30, "edge"), (150, 10, 100, 20, "out")])
    counts = {}
    samples, missing = read_detection_dataset(spec, counts)
    assert not missing and len(samples) == 1
    np.testing.assert_allclose(samples[0].boxes, [[10.5, 20, 40.5, 35.5], [0, 90, 45, 100], [150, 10, 200, 30]])
    assert samples[0].texts == ["Caf\xe9", "edge", "out"]  # ISO-8859-1 decoded
    assert counts["boxes"] == 3 and counts["clipped to the image"] == 2
    root = tmp_path / "root"
    root.mkdir()
    make_image(tmp_path / "outside.jpg")  # a real image, but not the dataset's
    for outside in ("../outside.jpg", str(tmp_path / "outside.jpg"), "scene/../../outside.jpg"):
        counts = {}
        escaped = xml_dataset(root, [(1, 1, 5, 5, "x")], name=outside)
        assert read_detection_dataset(escaped, counts) == ([], [])
        assert counts["outside the dataset folder"] == 1
    (root / "scene" / "notes.jpg").write_text("not an image")
    counts = {}
    assert read_detection_dataset(xml_dataset(root, [(1, 1, 5, 5, "x")], name="scene/notes.jpg"), counts) == ([], [])
    assert counts == {"unreadable images": 1}


def test_nan_inf_inverted_and_off_image_boxes_are_dropped_and_counted(tmp_path):
    keep, boxes, problems = clean_boxes([[1, 1, 9, 9], [np.nan, 0, 5, 5], [0, 0, np.inf, 5], [8, 8, 2, 2],
                                         [50, 50, 60, 60], [-10, 2, 5, 8], [3, 3, 3.5, 9]], width=20, height=10)
    assert keep.tolist() == [True, False, False, False, False, True, False]
    np.testing.assert_allclose(boxes, [[1, 1, 9, 9], [0, 2, 5, 8]])
    assert problems == {"clipped to the image": 1, "dropped: NaN/inf": 2, "dropped: inverted or under 1 px": 2,
                        "dropped: off the image": 1}
    # The same through an ICDAR 2013 ground-truth file, with the words and do-not-care flags kept aligned.
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    make_image(tmp_path / "img" / "img_1.jpg", size=(40, 60))
    (tmp_path / "gt" / "gt_img_1.txt").write_text('1 2 10 12 "ok"\nnan 2 10 12 "nan"\n0 0 inf 9 "inf"\n'
                                                   '30 20 10 5 "inverted"\n70 0 90 9 "off"\n50 30 80 50 "###"\n')
    counts = {}
    samples, _ = read_detection_dataset({"format": "ic13", "images": str(tmp_path / "img"),
                                         "annotations": str(tmp_path / "gt")}, counts)
    assert samples[0].texts == ["ok", "###"] and samples[0].ignore.tolist() == [False, True]
    np.testing.assert_allclose(samples[0].boxes, [[1, 2, 10, 12], [50, 30, 60, 40]])
    assert counts == {"boxes": 6, "clipped to the image": 1, "dropped: NaN/inf": 2,
                      "dropped: inverted or under 1 px": 1, "dropped: off the image": 1}


def test_a_non_finite_box_never_becomes_a_full_image_training_box():
    from sceneocr.data.detection import DetectionSample

    sample = DetectionSample("mem", np.array([[-np.inf, 0, np.inf, 8], [2, 2, 12, 9]], np.float32), np.zeros(2, bool),
                             image=np.zeros((32, 48, 3), np.uint8))
    _, (boxes, valid, _) = DetectionDataset([sample], 32, 48, max_boxes=4).load(0)
    assert valid.sum() == 1
    np.testing.assert_allclose(boxes[0], [2, 2, 12, 9])


def test_ignore_regions_join_the_annotations_as_do_not_care(tmp_path):
    import subprocess
    import sys

    spec = xml_dataset(tmp_path, [(10, 10, 40, 20, "word")])  # the box [10, 10, 50, 30]
    report = {"predictions": {"x": [{"image": str(tmp_path / "scene" / "a.jpg"),
                                     "boxes": [[11, 10, 50, 31], [100, 50, 160, 70], [100, 10, 150, 30]],
                                     "scores": [0.99, 0.95, 0.5]}]}}
    (tmp_path / "report.json").write_text(json.dumps(report))
    script = os.path.join(ROOT, "scripts", "pseudo_ignore_regions.py")
    command = [sys.executable, script, "--report", str(tmp_path / "report.json"), "--output",
               str(tmp_path / "regions.json"), "--dataset", f"ic03:{spec['images']}:{spec['annotations']}"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "1 do-not-care regions in 1 of 1 images" in done.stdout
    # The box on the word (0.95 of it inside) and the low-scoring box are left out.
    assert json.loads((tmp_path / "regions.json").read_text()) == {"scene/a.jpg": [[100.0, 50.0, 160.0, 70.0]]}
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert again.returncode != 0 and "exists" in again.stderr  # never overwritten
    counts = {}
    (sample,), _ = read_detection_dataset({**spec, "ignore_regions": str(tmp_path / "regions.json")}, counts)
    assert sample.ignore.tolist() == [False, True] and counts["do-not-care regions added"] == 1
    np.testing.assert_allclose(sample.boxes[1], [100, 50, 160, 70])
    _, (_, valid, ignored) = DetectionDataset([sample], 100, 200, max_boxes=4).load(0)
    assert valid.tolist() == [True, False, False, False] and ignored.tolist() == [False, True, False, False]
    (tmp_path / "bad.json").write_text(json.dumps({"scene/b.jpg": [[0, 0, 5, 5]]}))
    with pytest.raises(AnnotationError, match="bad.json: image 'scene/b.jpg' is not among"):
        read_detection_dataset({**spec, "ignore_regions": str(tmp_path / "bad.json")})
    for boxes in ([[5, 5, 1, 1]], [[1, 2, 3]], [["a", 0, 1, 1]]):
        (tmp_path / "bad.json").write_text(json.dumps({"scene/a.jpg": boxes}))
        with pytest.raises(AnnotationError, match="bad.json: image 'scene/a.jpg': boxes must be"):
            read_detection_dataset({**spec, "ignore_regions": str(tmp_path / "bad.json")})


def test_spec_mistakes_are_one_line_errors(tmp_path):
    spec = xml_dataset(tmp_path, [(1, 1, 5, 5, "x")])
    with pytest.raises(AnnotationError, match="unknown key.*holdot"):
        read_detection_dataset({**spec, "holdot": "only"})
    with pytest.raises(AnnotationError, match="holdout must be exclude, only or none"):
        read_detection_dataset({**spec, "holdout": "some"})
    with pytest.raises(AnnotationError, match="holdout is defined for ic03, svt, ic15 only"):
        read_detection_dataset({"format": "ic13", "images": str(tmp_path), "annotations": str(tmp_path), "holdout": "only"})
    with pytest.raises(AnnotationError, match="use synthetic or photo_synth"):
        source_entries("ic03")
    with pytest.raises(AnnotationError, match="ratio must be a number >= 0"):
        source_entries([{"format": "photo_synth", "ratio": -1}])


@requires_shared
def test_held_out_scenes_partition_the_real_training_sets():
    from sceneocr.data.holdout import is_held_out

    sizes = {}
    for spec in (IC03_TRAIN, SVT_TRAIN):
        everything, _ = read_detection_dataset(spec)
        kept, _ = read_detection_dataset({**spec, "holdout": "exclude"})
        held, _ = read_detection_dataset({**spec, "holdout": "only"})
        names = {s.image_path for s in everything}
        assert {s.image_path for s in kept} | {s.image_path for s in held} == names
        assert not {s.image_path for s in kept} & {s.image_path for s in held}
        relative = [os.path.relpath(s.image_path, spec["images"]) for s in held]
        assert all(is_held_out(spec["format"], name) for name in relative)
        sizes[spec["format"]] = (len(held), len(everything), sum(len(s.boxes) for s in held))
    assert sizes == {"ic03": (24, 201, 86), "svt": (13, 100, 36)}


def test_mixing_by_ratio_draws_shares_and_sees_every_real_sample_before_repeating():
    real = [f"real{i}" for i in range(5)]
    generated = [f"gen{i}" for i in range(40)]
    mixed = MixedSamples([generated, real], [0.6, 0.4], num_samples=10, seed=3)
    assert len(mixed) == 10 and mixed.counts.tolist() == [6, 4]
    epoch0 = [mixed.draw(k, 0) for k in range(10)]
    epoch1 = [mixed.draw(k, 1) for k in range(10)]
    assert sum(x.startswith("real") for x in epoch0) == 4
    assert set([x for x in epoch0 + epoch1 if x.startswith("real")][:5]) == set(real)
    assert [mixed.draw(k, 1) for k in range(10)] == epoch1  # a pure function of (seed, epoch, k)
    assert len(set(x for x in epoch0 + epoch1 if x.startswith("gen"))) == 12  # generated scenes never repeat


def test_config_sources_mix_photo_scenes_with_a_real_set_and_report_its_boxes(tmp_path):
    spec = xml_dataset(tmp_path, [(1, 1, 5, 5, "ok"), (300, 1, 5, 5, "gone")])
    logged = []
    scene = {"height": 64, "width": 96, "max_words": 3, "font_dirs": (), "backgrounds": ()}
    samples = build_detection_samples([{"format": "photo_synth", "ratio": 3}, {**spec, "ratio": 1}], 8, 1, scene,
                                      epochs=2, log=logged.append)
    assert len(samples) == 8 and samples.counts.tolist() == [6, 2]
    assert len(samples.parts[0]) == 12  # 6 draws x 2 epochs of distinct generated scenes
    assert "ratio 3 (6 draws): text painted on photos" in samples.name
    assert "1 dropped: off the image" in samples.name and samples.box_counts["dropped: off the image"] == 1
    dataset = DetectionDataset(samples, 64, 96, max_boxes=4, augment=True)
    assert dataset.load(7, epoch=1)[0].shape == (3, 64, 96)
