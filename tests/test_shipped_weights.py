"""Shipped weights: shipping a checkpoint, finding it by default, and one-line errors when it is
missing or altered."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHARED
from src.weights import WEIGHTS_DIR, WeightsUnavailable, read_manifest, shipped_checkpoint

TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")


@pytest.fixture
def tiny_checkpoint(tmp_path):
    import mindspore as ms

    from src.cli import config_for
    from src.crnn.task import build_charset, build_network
    from src.engine.checkpoint import atomic_save, checkpoint_info

    cfg = config_for("crnn", explicit=TINY)
    net = build_network(cfg, build_charset(cfg))
    path = str(tmp_path / "run" / "best.ckpt")
    os.makedirs(os.path.dirname(path))
    atomic_save(net, path, {"global_step": 3}, checkpoint_info(cfg, "crnn"))
    return path, net, cfg, ms


def _ship(ckpt, folder):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ship", os.path.join(ROOT, "scripts", "ship_weights.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ship("crnn", ckpt, "crnn.md", folder=folder)


def test_shipped_weights_are_float16_carry_their_config_and_read_back(tiny_checkpoint, tmp_path):
    from src.cli import config_for
    from src.crnn.task import load_recognizer

    ckpt, net, cfg, ms = tiny_checkpoint
    folder = str(tmp_path / "weights")
    shipped = _ship(ckpt, folder)
    assert shipped_checkpoint("crnn", folder) == shipped
    assert read_manifest(folder)["crnn"]["card"] == "crnn.md"
    params = ms.load_checkpoint(shipped)
    assert all(p.dtype == ms.float16 for k, p in params.items() if not k.startswith("train_state."))
    assert not any(k.startswith(("moment", "global_step")) for k in params)
    # The config comes from the file itself: the model name of the tiny variant, not the default's.
    shipped_cfg = config_for("crnn", shipped)
    assert shipped_cfg["model"]["name"] == cfg["model"]["name"] == "crnn_vgg_tiny"
    images = np.random.default_rng(0).uniform(-1, 1, (4, 3, 32, 100)).astype(np.float32)
    reference = load_recognizer(cfg, ckpt).recognize(images)
    from_shipped = load_recognizer(shipped_cfg, shipped).recognize(images)
    assert [r["text"] for r in reference] == [r["text"] for r in from_shipped]


def test_missing_or_altered_weights_are_one_clear_error(tiny_checkpoint, tmp_path):
    ckpt = tiny_checkpoint[0]
    folder = str(tmp_path / "weights")
    shipped = _ship(ckpt, folder)
    with open(shipped, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(WeightsUnavailable, match="corrupt shipped crnn weights"):
        shipped_checkpoint("crnn", folder)
    os.remove(shipped)
    with pytest.raises(WeightsUnavailable, match="shipped crnn weights are missing"):
        shipped_checkpoint("crnn", folder)
    with pytest.raises(WeightsUnavailable, match="no shipped deeptext weights"):
        shipped_checkpoint("deeptext", folder)


@pytest.mark.skipif(not read_manifest().get("crnn"), reason="no shipped CRNN weights in weights/")
def test_eval_and_infer_default_to_the_shipped_recogniser(tmp_path):
    crops = os.path.join(SHARED, "fixtures", "ic13_rec")
    if not os.path.isdir(crops):
        pytest.skip("../shared/fixtures not present")
    images = tmp_path / "crops"
    images.mkdir()
    for name in sorted(os.listdir(crops))[:6]:
        if name.endswith(".png"):
            shutil.copy(os.path.join(crops, name), images / name)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "infer.py"), "--mode", "rec", "--image", str(images),
                             "--jsonl", str(tmp_path / "out.jsonl")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == len(list(images.iterdir()))
    # eval.py without --ckpt: the shipped model, and its result line.
    result = subprocess.run([sys.executable, os.path.join(ROOT, "eval.py"), "--model", "crnn", "--dataset",
                             os.path.join(SHARED, "dev", "ic03_860", "gt.tsv")], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "using the shipped crnn weights" in result.stderr
    accuracy = float(result.stdout.split("'CRNNAccuracy': ")[1].split("}")[0])
    assert accuracy > 0.7  # the shipped recogniser reads real words (README gives the exact figure)


def test_shipped_manifest_matches_the_files():
    for task, entry in read_manifest().items():
        assert shipped_checkpoint(task) == os.path.join(WEIGHTS_DIR, entry["file"])
        assert os.path.isfile(os.path.join(WEIGHTS_DIR, entry["card"]))
