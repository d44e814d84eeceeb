"""End-to-end OCR: result structure, JSON round trip, rendering, lexicon mode, batching, exported backends."""
import json
import os

import mindspore as ms
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from sceneocr.config import load_config
from sceneocr.crnn import task as crnn_task
from sceneocr.data.synth_scenes import SyntheticScenes
from sceneocr.deeptext import task as deeptext_task
from sceneocr.e2e import OCRPredictor, Page, RecognitionPredictor, load_image
from sceneocr.e2e.evaluate import WordSpotting
from sceneocr.e2e.predictor import UnreadableImage, crop_with_margin

CRNN_TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")
DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")


class FixedDetector:
    """A detector double that reports given boxes, to exercise cropping and batching exactly."""

    def __init__(self, boxes, scores):
        self.boxes, self.scores = np.asarray(boxes, np.float32), np.asarray(scores, np.float32)

    def detect(self, images, batch_size=1):
        return [{"boxes": self.boxes, "scores": self.scores, "classes": np.ones(len(self.boxes), np.int32)}
                for _ in images]


class CountingRecognizer:
    """Wraps a real Recognizer and records the batch shapes it is given."""

    def __init__(self, inner):
        self.inner, self.shapes = inner, []

    def recognize(self, images, lexicons=None, count=None):
        self.shapes.append(images.shape)
        return self.inner.recognize(images, lexicons, count)


@pytest.fixture(scope="module")
def recognizer_ckpt(tmp_path_factory):
    cfg = load_config(CRNN_TINY)
    path = str(tmp_path_factory.mktemp("rec") / "crnn.ckpt")
    ms.save_checkpoint(crnn_task.build_network(cfg, crnn_task.build_charset(cfg)), path)
    return cfg, path


def scene():
    return SyntheticScenes(1, seed=3, height=128, width=192, max_words=3)[0]


def test_result_structure_json_round_trip_and_rendering(tmp_path, recognizer_ckpt):
    cfg, ckpt = recognizer_ckpt
    sample = scene()
    recognizer = CountingRecognizer(crnn_task.load_recognizer(cfg, ckpt))
    predictor = OCRPredictor(FixedDetector(sample.boxes, np.linspace(0.9, 0.6, len(sample.boxes))), recognizer,
                             rec_widths=(100, 200), rec_batch_size=4)
    for image in (sample.image, Image.fromarray(sample.image)):
        page = predictor(image)
        assert (page.width, page.height) == (192, 128) and len(page.words) == len(sample.boxes)
        for word in page.words:
            assert len(word.box) == 4 and isinstance(word.text, str)
            assert 0 <= word.det_score <= 1 and 0 <= word.rec_confidence <= 1
    assert all(shape[0] == 4 and shape[2] == 32 and shape[3] in (100, 200) for shape in recognizer.shapes)
    again = Page.from_dict(json.loads(page.to_json()))
    assert again == page
    out = tmp_path / "vis" / "page.png"
    page.render(sample.image, str(out))
    assert Image.open(out).size == (192, 128)


def test_paths_and_unreadable_images(tmp_path, recognizer_ckpt):
    cfg, ckpt = recognizer_ckpt
    sample = scene()
    path = tmp_path / "scene.png"
    Image.fromarray(sample.image).save(path)
    assert np.array_equal(load_image(str(path)), sample.image)
    predictor = OCRPredictor(FixedDetector(sample.boxes, [0.9] * len(sample.boxes)),
                             crnn_task.load_recognizer(cfg, ckpt))
    assert predictor(str(path)).source == str(path)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(UnreadableImage, match="broken.jpg: cannot decode image"):
        predictor(str(tmp_path / "broken.jpg"))


def test_lexicon_mode_only_returns_lexicon_words(recognizer_ckpt):
    cfg, ckpt = recognizer_ckpt
    sample = scene()
    predictor = OCRPredictor(FixedDetector(sample.boxes, [0.9] * len(sample.boxes)),
                             crnn_task.load_recognizer(cfg, ckpt), lexicon=["exit", "Hotel", "42"])
    assert {w.text for w in predictor(sample.image).words} <= {"exit", "hotel", "42"}


def test_crops_keep_a_margin_inside_the_image():
    image = np.zeros((50, 100, 3), np.uint8)
    assert crop_with_margin(image, (10, 10, 60, 30), 0.1).shape == (24, 54, 3)
    assert crop_with_margin(image, (0, 0, 100, 50), 0.5).shape == (50, 100, 3)


@pytest.mark.slow
def test_exported_models_give_the_same_words(tmp_path, recognizer_ckpt):
    rec_cfg, rec_ckpt = recognizer_ckpt
    det_cfg = load_config(DEEPTEXT_TINY, ["--score_threshold", "0.0"])
    det_ckpt = str(tmp_path / "det.ckpt")
    ms.save_checkpoint(deeptext_task.build_model(det_cfg), det_ckpt)
    rec_mindir = crnn_task.export(rec_cfg, rec_ckpt, "MINDIR", str(tmp_path / "crnn"))
    det_mindir = deeptext_task.export(det_cfg, det_ckpt, "MINDIR", str(tmp_path / "deeptext"))
    from_ckpt = OCRPredictor.from_checkpoints(det_ckpt, rec_ckpt, det_cfg=det_cfg, rec_cfg=rec_cfg, backend="mindspore")
    # Crops are read at the width the recogniser was trained at (wider lost 8 points of IC03_860, CRNN release 5).
    assert from_ckpt.rec_widths == (rec_cfg["image"]["width"],)
    from_mindir = OCRPredictor.from_checkpoints(det_mindir=det_mindir, rec_mindir=rec_mindir, det_cfg=det_cfg,
                                                rec_cfg=rec_cfg)
    image = scene().image
    a, b = from_ckpt(image), from_mindir(image)
    assert len(a.words) > 0
    assert [w.text for w in a.words] == [w.text for w in b.words]
    np.testing.assert_allclose([w.box for w in a.words], [w.box for w in b.words], atol=0.1)
    # ONNX recogniser (fixed batch 1; the predictor's batches are run in chunks) behind the same detector.
    rec_onnx = crnn_task.export(rec_cfg, rec_ckpt, "ONNX", str(tmp_path / "crnn"), batch_size=1)
    from_onnx = OCRPredictor.from_checkpoints(det_ckpt, rec_mindir=rec_onnx, det_cfg=det_cfg, rec_cfg=rec_cfg,
                                              backend="mindspore")
    assert [w.text for w in from_onnx(image).words] == [w.text for w in a.words]
    # An exported recogniser has one input width: configured widths do not apply to it.
    widened = {**rec_cfg, "eval": {**rec_cfg["eval"], "rec_widths": [100, 148, 200]}}
    assert OCRPredictor.from_checkpoints(det_ckpt, rec_mindir=rec_onnx, det_cfg=det_cfg, rec_cfg=widened,
                                         backend="mindspore").rec_widths == (rec_cfg["image"]["width"],)


def test_infer_reads_crops_at_the_trained_width_or_the_configured_ones(tmp_path, recognizer_ckpt):
    from sceneocr.cli import read as infer

    cfg, ckpt = recognizer_ckpt
    args = infer.parse_args(["--image", str(tmp_path), "--mode", "rec", "--rec_ckpt", ckpt, "--rec_config", CRNN_TINY,
                             "--backend", "mindspore"])
    predictor = infer.build_predictor(args)
    assert predictor.rec_widths == (cfg["image"]["width"],)
    widened = {**cfg, "eval": {**cfg["eval"], "rec_widths": [100, 148, 200]}}
    wide = RecognitionPredictor.from_config(widened, predictor.recognizer)
    assert wide.widths == (100, 148, 200)
    assert [wide.width_for(np.zeros((20, w, 3), np.uint8)) for w in (40, 62, 63, 90, 300)] == [100, 100, 148, 148, 200]
    args = infer.parse_args(["--image", str(tmp_path), "--mode", "rec", "--rec_ckpt", ckpt, "--rec_config", CRNN_TINY,
                             "--backend", "mindspore", "--rec_widths", "148", "100"])
    assert infer.build_predictor(args).rec_widths == (100, 148)


def test_word_spotting_needs_box_and_text():
    page = Page(100, 100, [])
    from sceneocr.e2e import Word

    page.words = [Word((0, 0, 50, 20), "EXIT", 0.9), Word((0, 30, 50, 50), "open", 0.8),
                  Word((0, 30, 50, 50), "Open", 0.7), Word((60, 60, 90, 90), "", 0.5)]
    metric = WordSpotting()
    correct = metric.update(page, [[0, 0, 50, 20], [0, 30, 50, 50], [60, 0, 90, 10]], ["exit!", "shut", "###"],
                            [False, False, True])
    r = metric.result()
    assert correct == 1 and r["words"] == 2 and r["predictions"] == 3  # the empty reading is not a prediction
    assert r["precision"] == pytest.approx(1 / 3) and r["recall"] == pytest.approx(0.5)


@pytest.mark.slow
def test_infer_cli_on_a_folder_with_a_bad_image(tmp_path, recognizer_ckpt):
    import subprocess
    import sys

    _, rec_ckpt = recognizer_ckpt
    det_cfg = load_config(DEEPTEXT_TINY, ["--score_threshold", "0.0"])
    det_ckpt = str(tmp_path / "det.ckpt")
    ms.save_checkpoint(deeptext_task.build_model(det_cfg), det_ckpt)
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(scene().image).save(images / "a.png")
    Image.fromarray(scene().image[:, ::-1]).save(images / "c.png")
    (images / "b.jpg").write_bytes(b"garbage")
    common = [sys.executable, os.path.join(ROOT, "infer.py"), "--image", str(images), "--det_ckpt", det_ckpt,
              "--rec_ckpt", rec_ckpt, "--det_config", DEEPTEXT_TINY, "--rec_config", CRNN_TINY]
    out = subprocess.run(common + ["--visualize", str(tmp_path / "vis"), "--jsonl", str(tmp_path / "r.jsonl")],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "skipped: " in out.stderr and "b.jpg: cannot decode image" in out.stderr
    assert "read 2 image(s), skipped 1 unreadable" in out.stdout
    assert "then " in out.stderr and "s per image (mean of 1)" in out.stderr  # warm time, after the first image
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["width"] == 192
    assert Image.open(tmp_path / "vis" / "a.png.png").size == (192, 128)
    out = subprocess.run(common[:4] + ["--mode", "rec", "--rec_ckpt", rec_ckpt, "--rec_config", CRNN_TINY,
                                       "--output", str(tmp_path / "rec")], capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert out.returncode == 0 and os.path.isfile(tmp_path / "rec" / "a.png.json")
    # Without checkpoints infer.py uses the shipped weights; where there are none, it says so in one line.
    out = subprocess.run(common[:4] + ["--mode", "e2e"], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env={**os.environ, "OCR_WEIGHTS_DIR": str(tmp_path / "no_weights")})
    assert out.returncode == 2 and "no shipped deeptext weights" in out.stderr


def files_in(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_infer_outputs_never_overwrite_inputs_or_each_other(tmp_path, recognizer_ckpt, monkeypatch, capsys):
    from sceneocr.cli import read as infer

    cfg, ckpt = recognizer_ckpt
    sample = scene()
    predictor = OCRPredictor(FixedDetector(sample.boxes, [0.9] * len(sample.boxes)), crnn_task.load_recognizer(cfg, ckpt))
    monkeypatch.setattr(infer, "build_predictor", lambda args: predictor)
    monkeypatch.setattr(infer, "setup_run", lambda device_target: None)
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(sample.image).save(photos / "a.jpg")
    Image.fromarray(sample.image[:, ::-1].copy()).save(photos / "a.png")
    inputs = files_in(photos)
    models = ["--det_ckpt", "det.ckpt", "--rec_ckpt", "rec.ckpt"]

    # Drawings and JSON go into the input folder itself: a.jpg and a.png keep apart, the inputs stay,
    # and the drawings written on the way are not read as inputs.
    done, skipped = infer.main(["--image", str(photos), "--visualize", str(photos), *models])
    assert (done, skipped) == (2, [])
    written = files_in(photos)
    assert sorted(written) == ["a.jpg", "a.jpg.json", "a.jpg.png", "a.png", "a.png.json", "a.png.png"]
    assert {k: written[k] for k in inputs} == inputs
    assert json.loads(written["a.jpg.json"])["source"] == str(photos / "a.jpg")
    assert json.loads(written["a.png.json"])["source"] == str(photos / "a.png")
    assert Image.open(photos / "a.jpg.png").size == (192, 128)

    def refused(argv, message):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            infer.main(argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err

    # Run again: a.jpg.png is now an input image and would be the drawing of a.jpg; even --overwrite keeps it.
    refused(["--image", str(photos), "--visualize", str(photos), "--overwrite", *models],
            f"{photos / 'a.jpg.png'}: the drawing of {photos / 'a.jpg'} would overwrite the input image")
    # --jsonl may not name an input image.
    refused(["--image", str(photos / "a.png"), "--jsonl", str(photos / "a.png"), "--overwrite", *models],
            "--jsonl would overwrite the input image")
    assert files_in(photos) == written

    # Another folder: a second run does not replace the first run's outputs unless told to.
    out = tmp_path / "out"
    argv = ["--image", str(photos / "a.jpg"), "--visualize", str(out), "--jsonl", str(out / "all.jsonl"), *models]
    assert infer.main(argv) == (1, [])
    assert sorted(os.listdir(out)) == ["a.jpg.png", "all.jsonl"]
    refused(argv, f"{out / 'all.jsonl'}: exists and was not written by this run")
    (out / "a.jpg.png").write_bytes(b"mine")
    assert infer.main(argv + ["--overwrite"]) == (1, [])
    assert Image.open(out / "a.jpg.png").size == (192, 128)


def test_a_drawing_never_replaces_its_source(tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(scene().image).save(path)
    before = path.read_bytes()
    page = Page(192, 128, [], str(path))
    with pytest.raises(ValueError, match="is the source image"):
        page.render(scene().image, str(path))
    with pytest.raises(ValueError, match="is the source image"):
        Page(192, 128, []).render(str(path), str(path))
    assert path.read_bytes() == before
