"""Shipped weights: shipping a checkpoint, finding it by default, and one-line errors when it is
missing or altered."""
import importlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHARED
from sceneocr.weights import WEIGHTS_DIR, WeightsUnavailable, read_manifest, shipped_checkpoint

TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")


@pytest.fixture
def tiny_checkpoint(tmp_path):
    import mindspore as ms

    from sceneocr.model_config import resolve_config
    from sceneocr.crnn.task import build_charset, build_network
    from sceneocr.engine.checkpoint import atomic_save, checkpoint_info

    cfg = resolve_config("crnn", config=TINY)
    net = build_network(cfg, build_charset(cfg))
    path = str(tmp_path / "run" / "best.ckpt")
    os.makedirs(os.path.dirname(path))
    atomic_save(net, path, {"global_step": 3}, checkpoint_info(cfg, "crnn"))
    return path, net, cfg, ms


def _ship(ckpt, folder):
    return importlib.import_module("sceneocr.cli.ship_weights").ship("crnn", ckpt, "crnn.md", folder=folder)


def test_shipped_weights_are_float16_carry_their_config_and_read_back(tiny_checkpoint, tmp_path):
    from sceneocr.model_config import resolve_config
    from sceneocr.crnn.task import load_recognizer

    ckpt, net, cfg, ms = tiny_checkpoint
    folder = str(tmp_path / "weights")
    shipped = _ship(ckpt, folder)
    assert shipped_checkpoint("crnn", folder) == shipped
    assert read_manifest(folder)["crnn"]["card"] == "crnn.md"
    params = ms.load_checkpoint(shipped)
    assert all(p.dtype == ms.float16 for k, p in params.items() if not k.startswith("train_state."))
    assert not any(k.startswith(("moment", "global_step")) for k in params)
    # The config comes from the file itself: the model name of the tiny variant, not the default's.
    shipped_cfg = resolve_config("crnn", shipped)
    assert shipped_cfg["model"]["name"] == cfg["model"]["name"] == "crnn_vgg_tiny"
    images = np.random.default_rng(0).uniform(-1, 1, (4, 3, 32, 100)).astype(np.float32)
    reference = load_recognizer(cfg, ckpt).recognize(images)
    from_shipped = load_recognizer(shipped_cfg, shipped).recognize(images)
    assert [r["text"] for r in reference] == [r["text"] for r in from_shipped]


def test_release_settings_of_the_manifest_are_read_over_the_stored_config(tiny_checkpoint, tmp_path):
    import json

    from sceneocr.model_config import resolve_config
    from sceneocr.config import ConfigError

    def write_manifest(folder, manifest):
        with open(os.path.join(folder, "manifest.json"), "w") as handle:
            json.dump(manifest, handle)

    ckpt = tiny_checkpoint[0]
    folder = str(tmp_path / "weights")
    shipped = _ship(ckpt, folder)
    assert resolve_config("crnn", shipped)["eval"]["lexicon_max_distance"] == 3  # the stored config's own
    manifest = read_manifest(folder)
    manifest["crnn"]["config"] = {"eval": {"lexicon_max_distance": 1}}
    write_manifest(folder, manifest)
    assert resolve_config("crnn", shipped)["eval"]["lexicon_max_distance"] == 1
    link = tmp_path / "link.ckpt"
    link.symlink_to(shipped)  # the file it points to is the shipped one
    assert resolve_config("crnn", str(link))["eval"]["lexicon_max_distance"] == 1
    # The command line wins; a copy elsewhere is just a checkpoint; shipping does not read them.
    assert resolve_config("crnn", shipped, overrides=["--eval.lexicon_max_distance", "2"])["eval"][
        "lexicon_max_distance"] == 2
    copy = str(tmp_path / "copy.ckpt")
    shutil.copy(shipped, copy)
    assert resolve_config("crnn", copy)["eval"]["lexicon_max_distance"] == 3
    assert resolve_config("crnn", shipped, release=False)["eval"]["lexicon_max_distance"] == 3
    # Settings are checked like any config value, naming the manifest.
    bad = {"eval": {"lexicon_max_distance": "far"}}
    write_manifest(folder, {**manifest, "crnn": {**manifest["crnn"], "config": bad}})
    with pytest.raises(ConfigError, match="manifest.json"):
        resolve_config("crnn", shipped)
    write_manifest(folder, {**manifest, "crnn": {**manifest["crnn"], "config": [1.0, 1.5]}})
    with pytest.raises(WeightsUnavailable, match="config must be a mapping"):
        resolve_config("crnn", shipped)
    # New weights drop the old settings (they were measured on the old ones).
    write_manifest(folder, manifest)
    _ship(ckpt, folder)
    assert "config" not in read_manifest(folder)["crnn"]
    # Some other manifest.json beside a checkpoint (not a weights manifest) changes nothing.
    with open(tmp_path / "manifest.json", "w") as handle:
        handle.write("[1, 2]")
    assert resolve_config("crnn", copy)["eval"]["lexicon_max_distance"] == 3


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


@pytest.mark.slow
@pytest.mark.skipif(not read_manifest().get("crnn"), reason="no shipped CRNN weights in weights/")
def test_eval_and_infer_default_to_the_shipped_recogniser(tmp_path):
    crops = os.path.join(SHARED, "fixtures", "ic13_rec")
    if not os.path.isdir(crops):
        pytest.skip("../shared/fixtures not present")
    images = tmp_path / "crops"
    images.mkdir()
    crops = os.path.join(crops, "Challenge2_Test_Task3_Images")
    for name in sorted(os.listdir(crops))[:6]:
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
    assert "using the shipped crnn weights" in result.stderr and "word prior of" in result.stderr
    accuracy = float(result.stdout.split("'CRNNAccuracy': ")[1].split("}")[0])
    assert accuracy > 0.75  # the shipped recogniser reads real words (weights/crnn.md: IC03_860 91.5 %)
    # Its release settings' word prior reads more words than the greedy readings (crnn.md: 91.5 against 87.2 %).
    greedy = subprocess.run([sys.executable, os.path.join(ROOT, "eval.py"), "--model", "crnn", "--word_prior", "0",
                             "--dataset", os.path.join(SHARED, "dev", "ic03_860", "gt.tsv")], capture_output=True,
                            text=True, cwd=tmp_path)
    assert greedy.returncode == 0 and "greedy readings, no word prior" in greedy.stderr, greedy.stderr
    assert accuracy > float(greedy.stdout.split("'CRNNAccuracy': ")[1].split("}")[0])


def test_shipped_manifest_matches_the_files():
    for task, entry in read_manifest().items():
        assert shipped_checkpoint(task) == os.path.join(WEIGHTS_DIR, entry["file"])
        assert os.path.isfile(os.path.join(WEIGHTS_DIR, entry["card"]))
        # Release settings name real config keys with valid values (read with the weights' own config).
        from sceneocr.model_config import resolve_config
        from sceneocr.config import merge

        cfg = resolve_config(task, shipped_checkpoint(task))
        assert merge(cfg, entry.get("config", {})) == cfg


@pytest.mark.skipif(not (read_manifest().get("crnn") and read_manifest().get("deeptext")),
                    reason="no shipped DeepText + CRNN weights in weights/")
@pytest.mark.slow
def test_from_pretrained_reads_real_photographs():
    """The shipped pair on the three genuine ICDAR 2003 test photographs of the fixtures (never trained on)."""
    root = os.path.join(SHARED, "fixtures", "ic03", "SceneTrialTest")
    if not os.path.isdir(root):
        pytest.skip("../shared/fixtures not present")
    from sceneocr.data.detection import read_detection_dataset
    from sceneocr.e2e import OCRPredictor
    from sceneocr.geometry import pairwise_iou
    from sceneocr.metrics.text import standard_normalize

    samples, _ = read_detection_dataset({"format": "ic03", "images": root,
                                      "annotations": os.path.join(root, "words.xml")})
    predictor = OCRPredictor.from_pretrained()
    found = read = 0
    for sample in samples:
        page = predictor(sample.image_path)
        if not page.words or not len(sample.boxes):
            continue
        iou = pairwise_iou(np.asarray(sample.boxes, np.float32), np.array([w.box for w in page.words], np.float32))
        for g, text in enumerate(sample.texts):
            best = int(iou[g].argmax())
            if iou[g, best] >= 0.5:
                found += 1
                read += standard_normalize(page.words[best].text) == standard_normalize(text)
    # Modest on purpose (weights/deeptext.md: F 0.66 on held-back scenes): words are found and read.
    assert found >= 2 and read >= 1, (found, read)


def test_inference_wrapper_keeps_names_and_prefixed_checkpoints_still_load(tmp_path):
    import mindspore as ms

    from sceneocr.model_config import resolve_config
    from sceneocr.crnn.model import CRNNInference
    from sceneocr.crnn.task import build_charset, build_network
    from sceneocr.engine.checkpoint import load_checkpoint, save_release_weights

    cfg = resolve_config("crnn", config=TINY)
    net = build_network(cfg, build_charset(cfg))
    names = [p.name for p in net.get_parameters()]
    CRNNInference(net)  # validation wraps the training network: its names must not change
    assert [p.name for p in net.get_parameters()] == names
    # A checkpoint written by the earlier wrapper ('network.rnn...', Adam slots under the old names).
    items = [{"name": ("network." + p.name if p.name.startswith(("rnn", "classifier")) else p.name),
              "data": p.data} for p in net.get_parameters()]
    items += [{"name": "moment1." + p.name, "data": p.data} for p in net.get_parameters()]
    old = str(tmp_path / "old.ckpt")
    ms.save_checkpoint(items, old)
    fresh = build_network(cfg, build_charset(cfg))
    load_checkpoint(old, fresh)
    released = str(tmp_path / "released.ckpt")
    save_release_weights(old, released, ms.float16)
    stored = [k for k in ms.load_checkpoint(released) if not k.startswith("train_state.")]
    assert sorted(stored) == sorted(names)
