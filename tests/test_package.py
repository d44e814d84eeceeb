"""The installable package: what a wheel carries, where an installed package finds its configs and weights, the
one inference factory."""
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import ROOT
from sceneocr import resources


def test_the_wheel_carries_the_package_configs_weights_and_the_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                          str(tmp_path), ROOT], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = [p for p in os.listdir(tmp_path) if p.endswith(".whl")]
    names = zipfile.ZipFile(tmp_path / wheel).namelist()
    data = "sceneocr-{}.data/data/share/sceneocr/".format(wheel.split("-")[1])
    shipped = sorted(os.listdir(os.path.join(ROOT, "weights")))
    assert sorted(n[len(data + "weights/"):] for n in names if n.startswith(data + "weights/")) == shipped
    assert data + "configs/crnn/crnn_cpu.yaml" in names and data + "configs/deeptext/deeptext_cpu.yaml" in names
    assert not [n for n in names if "/history/" in n]  # stage records stay in the checkout
    assert "sceneocr/cli/read.py" in names and "sceneocr/native/roi_align.cc" in names
    assert not [n for n in names if n.startswith(("tests/", "train.py", "scripts/"))]
    entry_points = zipfile.ZipFile(tmp_path / wheel).read(wheel.rsplit("-", 3)[0] + ".dist-info/entry_points.txt")
    assert b"sceneocr = sceneocr.cli:main" in entry_points


def test_configs_and_weights_come_from_the_checkout_the_install_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SCENEOCR_HOME", raising=False)
    monkeypatch.delenv("OCR_WEIGHTS_DIR", raising=False)
    assert resources.project_dir() == ROOT  # a source checkout reads its own
    # An installed package: no configs beside it, the copies pip put under <prefix>/share/sceneocr.
    site = tmp_path / "site-packages" / "sceneocr"
    site.mkdir(parents=True)
    share = tmp_path / "prefix" / "share" / "sceneocr"
    (share / "configs" / "crnn").mkdir(parents=True)
    (share / "configs" / "crnn" / "crnn_cpu.yaml").write_text("model: {name: crnn_vgg}\n")
    monkeypatch.setattr(resources, "PACKAGE_DIR", str(site))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert resources.project_dir() == str(share)
    assert resources.weights_dir() == str(share / "weights")
    monkeypatch.setenv("SCENEOCR_HOME", str(tmp_path / "home"))
    assert resources.configs_dir() == str(tmp_path / "home" / "configs")
    monkeypatch.setenv("OCR_WEIGHTS_DIR", str(tmp_path / "mirror"))
    assert resources.weights_dir() == str(tmp_path / "mirror")


@pytest.fixture(scope="module")
def tiny_recogniser(tmp_path_factory):
    import mindspore as ms

    from sceneocr.config import load_config
    from sceneocr.crnn import task as crnn_task

    cfg = load_config(os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml"))
    path = str(tmp_path_factory.mktemp("tiny") / "crnn.ckpt")
    ms.save_checkpoint(crnn_task.build_network(cfg, crnn_task.build_charset(cfg)), path)
    return cfg, path


def test_ocr_predictor_builds_either_stage_alone_and_refuses_other_models(tiny_recogniser, tmp_path):
    from sceneocr import OCRPredictor, ocr_predictor
    from sceneocr.e2e import RecognitionPredictor

    cfg, ckpt = tiny_recogniser
    (tmp_path / "words.txt").write_text("exit, hotel\nopen\n")
    reader = ocr_predictor(det=None, rec_ckpt=ckpt, rec_cfg=cfg, backend="mindspore", rec_widths=[148, 100],
                           lexicon=str(tmp_path / "words.txt"), rec_batch_size=4)
    assert isinstance(reader, OCRPredictor) and reader.det_predictor is None
    assert isinstance(reader.rec_predictor, RecognitionPredictor)
    assert reader.rec_widths == (100, 148) and reader.rec_batch_size == 4 and reader.lexicon == ["exit", "hotel", "open"]
    assert reader.rec_predictor.backend == "mindspore"
    crops = [np.full((20, w, 3), 200, np.uint8) for w in (30, 60, 90, 120, 150)]
    readings = reader.recognize_crops(crops)
    assert len(readings) == 5 and all(text in ("exit", "hotel", "open") for text, _ in readings)
    for bad, message in ((dict(det="east"), "det='east'"), (dict(rec="parseq"), "rec='parseq'")):
        with pytest.raises(ValueError, match=message):
            ocr_predictor(**bad, pretrained=False)
