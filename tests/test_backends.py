"""Inference backends (sceneocr/backends.py): ONNX Runtime gives MindSpore's outputs on real images, int8 reads
the same words on most real crops, exports are made once and cached by checkpoint, and the CLIs take
--backend. The shipped weights are used where they exist, tiny random models elsewhere."""
import glob
import json
import os

import mindspore as ms
import numpy as np
import pytest

from conftest import FIXTURES, ROOT, requires_shared
from sceneocr import backends
from sceneocr.model_config import resolve_config
from sceneocr.config import load_config
from sceneocr.crnn import task as crnn_task
from sceneocr.deeptext import task as deeptext_task
from sceneocr.e2e import load_image
from sceneocr.weights import read_manifest, shipped_checkpoint

pytest.importorskip("onnxruntime")
CRNN_TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")
DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
SHIPPED = read_manifest()


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """Exports go to a fresh cache folder, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def widened(network, rng, names):
    """Untrained heads give near-equal scores everywhere: widen them so outputs are decisive."""
    params = network.parameters_dict()
    for name, std in names:
        params[name].set_data(ms.Tensor(rng.normal(0, std, params[name].shape).astype(np.float32)))
    return network


@pytest.fixture(scope="module")
def recogniser(tmp_path_factory):
    """(config, checkpoint): the shipped CRNN, else a tiny random one with a decisive classifier."""
    if "crnn" in SHIPPED:
        ckpt = shipped_checkpoint("crnn")
        return resolve_config("crnn", ckpt), ckpt
    cfg = load_config(CRNN_TINY)
    ms.set_seed(0)
    network = crnn_task.build_network(cfg, crnn_task.build_charset(cfg))
    if os.path.isdir(FIXTURES):
        # Batch-norm statistics of real crops, so that random features differ from crop to crop.
        network.set_train(True)
        crops = ms.Tensor(crnn_batch(cfg, real_crops(16), cfg["image"]["width"]))
        for _ in range(40):
            network.features(crops)
        network.set_train(False)
    widened(network, np.random.default_rng(0), [("rnn.weight_ih_l0", 0.5), ("rnn.weight_ih_l0_reverse", 0.5),
                                                ("classifier.weight", 1.0)])
    ckpt = str(tmp_path_factory.mktemp("crnn") / "crnn.ckpt")
    ms.save_checkpoint(network, ckpt)
    return cfg, ckpt


@pytest.fixture(scope="module")
def detector_model(tmp_path_factory):
    """(config, checkpoint, photographs to use): a tiny random DeepText, so the test does not depend on the
    shipped weights. (At score threshold 0 a trained detector's near-threshold boxes can swap between backends
    by float rounding; the shipped one gives identical figures on the held-back scenes, README "Backends".)"""
    photos = sorted(glob.glob(os.path.join(FIXTURES, "ic03", "**", "*.[jJ][pP][gG]"), recursive=True))
    cfg = load_config(DEEPTEXT_TINY, ["--score_threshold", "0.0"])
    ms.set_seed(0)
    model = widened(deeptext_task.build_model(cfg), np.random.default_rng(0),
                    [("rcnn_head.fc6.weight", 0.1), ("rcnn_head.fc7.weight", 0.7), ("rcnn_head.scores.weight", 1.0)])
    ckpt = str(tmp_path_factory.mktemp("deeptext") / "deeptext.ckpt")
    ms.save_checkpoint(model, ckpt)
    return cfg, ckpt, photos


def real_crops(count=8):
    """Word crops of the ICDAR 2013 fixture (test images: only compared between backends, never scored)."""
    folder = os.path.join(FIXTURES, "ic13_rec", "Challenge2_Test_Task3_Images")
    names = sorted(os.listdir(folder), key=lambda n: int(n.split("_")[1].split(".")[0]))
    return [load_image(os.path.join(folder, name)) for name in names[:count]]


def crnn_batch(cfg, crops, width):
    from sceneocr.data.words import prepare_word

    return np.stack([prepare_word(c, cfg["image"]["height"], width, cfg["image"]["channels"]) for c in crops])


@requires_shared
def test_onnxruntime_crnn_gives_mindspore_logits_and_text_on_real_crops(recogniser):
    cfg, ckpt = recogniser
    crops = real_crops()
    reference = backends.load_recognizer(cfg, ckpt, backend="mindspore")
    onnx = backends.load_recognizer(cfg, ckpt, backend="onnxruntime", batch_size=len(crops))
    assert (reference.backend, onnx.backend) == ("mindspore", "onnxruntime")
    width = cfg["image"]["width"]
    for w in (width, 2 * width):  # OCRPredictor(rec_widths=...) may ask for several: one export each
        batch = crnn_batch(cfg, crops, w)
        expected, got = reference.log_probs(batch), onnx.log_probs(batch)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4)
        texts = [r["text"] for r in reference.recognize(batch)]
        assert [r["text"] for r in onnx.recognize(batch)] == texts
        assert len(set(texts)) > 1  # decisive outputs, not one string everywhere
    assert sorted(onnx.runner.runners) == [width, 2 * width]


def int8_and_fp32(recogniser, crops):
    cfg, ckpt = recogniser
    batch = crnn_batch(cfg, crops, cfg["image"]["width"])
    fp32 = backends.load_recognizer(cfg, ckpt, backend="onnxruntime", batch_size=len(crops))
    int8 = backends.load_recognizer(cfg, ckpt, backend="onnxruntime-int8", batch_size=len(crops))
    return batch, fp32, int8


@requires_shared
def test_int8_is_quantised_on_real_crops_and_keeps_the_best_classes(recogniser, capsys, tmp_path, monkeypatch):
    cfg, _ = recogniser
    # A cache and a message memory of its own: an earlier test may have quantised the same model already.
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(backends, "_said", set())
    batch, fp32, int8 = int8_and_fp32(recogniser, real_crops())
    assert "-int8-" in os.path.basename(int8.runner.runners[cfg["image"]["width"]].source)  # not the fallback
    err = capsys.readouterr().err  # the release's shipped ranges, else the training images
    assert "calibrated on the ranges shipped with" in err or "calibrated on 128 training images" in err
    # Per time step, the most likely class stays (random tiny weights: 86 % of 8 x 24 steps, where every
    # class is a near tie; ranges off by a scale would leave ~1 / 37).
    agree = (int8.log_probs(batch).argmax(-1) == fp32.log_probs(batch).argmax(-1)).mean()
    assert agree >= (0.9 if "crnn" in SHIPPED else 0.75), agree


@requires_shared
@pytest.mark.skipif("crnn" not in SHIPPED, reason="no shipped CRNN weights: random ones read no words")
def test_int8_reads_the_same_words_as_fp32_on_most_real_crops(recogniser):
    batch, fp32, int8 = int8_and_fp32(recogniser, real_crops())
    expected, got = [r["text"] for r in fp32.recognize(batch)], [r["text"] for r in int8.recognize(batch)]
    assert sum(a == b for a, b in zip(got, expected)) >= 6, (got, expected)


@pytest.mark.skipif(not os.path.isdir(backends.SHARED_TRAIN), reason="../shared/train not present")
def test_calibration_reads_training_images_and_leaves_the_held_out_ones():
    from sceneocr.data.holdout import is_held_out

    for task, count in (("crnn", backends.CALIBRATION_CROPS), ("deeptext", backends.CALIBRATION_SCENES)):
        paths = backends.calibration_images(task)
        assert len(paths) == count
        datasets = {os.path.join(backends.SHARED_TRAIN, root): name
                    for name, root, _ in backends.CALIBRATION_SOURCES[task]}
        roots = [next(root for root in datasets if path.startswith(root + os.sep)) for path in paths]
        for path, root in zip(paths, roots):
            assert not is_held_out(datasets[root], os.path.relpath(path, root).replace(os.sep, "/"))
        assert set(roots) == set(datasets)  # spread over every source


def unshipped_copy(ckpt, tmp_path):
    """The checkpoint under another folder: no manifest beside it, so no release settings or shipped ranges."""
    import shutil

    copy = str(tmp_path / "copy" / "model.ckpt")
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copyfile(ckpt, copy)
    return copy


def test_int8_without_calibration_runs_fp32_and_says_so(recogniser, tmp_path, monkeypatch, capsys):
    cfg, ckpt = recogniser
    ckpt = unshipped_copy(ckpt, tmp_path)
    monkeypatch.setattr(backends, "SHARED_TRAIN", str(tmp_path / "absent"))
    with pytest.raises(backends.NoCalibration, match="no calibration ranges shipped for crnn"):
        backends.model_file("crnn", cfg, ckpt, "onnxruntime-int8", 4)
    # Asked for by name or by auto, the backend that runs is named for what it is: fp32.
    chosen, path = backends.runnable_file("crnn", cfg, ckpt, "onnxruntime-int8", 4)
    assert (chosen, path) == ("onnxruntime", backends.exported_onnx("crnn", cfg, ckpt, 4))
    assert capsys.readouterr().err.count("running crnn on onnxruntime (fp32)") == 1


def write_crops(folder, count, rng):
    import cv2

    os.makedirs(folder, exist_ok=True)
    for k in range(count):
        crop = rng.integers(0, 255, (32, int(rng.integers(60, 140)), 3), dtype=np.uint8)
        cv2.imwrite(os.path.join(folder, f"word_{k}.png"), crop)


def test_shipped_ranges_build_the_int8_model_that_images_build(tmp_path, monkeypatch, capsys):
    """A release's calibration ranges (sceneocr calibrate) give every checkout the int8 model that calibrating on
    the training images gives, byte for byte; an altered ranges file is refused in one line."""
    from sceneocr.weights import WeightsUnavailable, register_calibration, register_shipped

    cfg = load_config(CRNN_TINY)
    ms.set_seed(0)
    network = crnn_task.build_network(cfg, crnn_task.build_charset(cfg))
    folder = tmp_path / "weights"
    folder.mkdir()
    ckpt = str(folder / "crnn.ckpt")
    ms.save_checkpoint(network, ckpt)
    (folder / "crnn.md").write_text("card\n")
    register_shipped("crnn", ckpt, "crnn.md", folder=str(folder))
    shared = tmp_path / "shared_train"
    write_crops(str(shared / "ic15_words_train"), 24, np.random.default_rng(0))
    monkeypatch.setattr(backends, "SHARED_TRAIN", str(shared))
    monkeypatch.setattr(backends, "CALIBRATION_SOURCES", {"crnn": [("ic15_words", "ic15_words_train", "*")]})

    ranges = backends.calibration_ranges("crnn", cfg, ckpt, 4)
    path = register_calibration("crnn", {backends.input_shape_key("crnn", cfg): ranges}, "Percentile",
                                folder=str(folder))
    from_images = str(tmp_path / "from_images.onnx")
    backends._quantize("crnn", cfg, backends.exported_onnx("crnn", cfg, ckpt, 4), from_images, 4,
                       paths=backends.calibration_images("crnn"))

    monkeypatch.setattr(backends, "SHARED_TRAIN", str(tmp_path / "absent"))  # a checkout without ../shared
    monkeypatch.setattr(backends, "_said", set())  # what earlier tests had said once
    assert backends.resolve_backend("auto", "crnn", ckpt) == "onnxruntime-int8"
    shipped = backends.quantized_onnx("crnn", cfg, ckpt, 4)
    assert "calibrated on the ranges shipped with crnn.ckpt" in capsys.readouterr().err
    assert open(shipped, "rb").read() == open(from_images, "rb").read()
    # At an input size the release has no ranges for, and no images: fp32, said once.
    with pytest.raises(backends.NoCalibration):
        backends.quantized_onnx("crnn", backends.with_width(cfg, cfg["image"]["width"] + 8), ckpt, 4)

    with open(path, "a", encoding="utf-8") as handle:
        handle.write(" ")
    with pytest.raises(WeightsUnavailable, match="crnn.calibration.json: altered int8 calibration ranges"):
        backends.quantized_onnx("crnn", backends.with_width(cfg, cfg["image"]["width"] + 16), ckpt, 4)


@requires_shared
def test_deeptext_int8_quantises_the_backbone_and_keeps_the_heads_fp32(detector_model):
    import onnx

    cfg, ckpt, _ = detector_model
    graph = onnx.load(backends.model_file("deeptext", cfg, ckpt, "onnxruntime-int8", 1)).graph
    weight = {"Conv": 1, "Gemm": 1, "MatMul": 1, "QLinearConv": 3, "QLinearMatMul": 3}
    fp32 = [n.input[1] for n in graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    int8 = [n.input[weight[n.op_type]] for n in graph.node if n.op_type.startswith("QLinear") and n.op_type in weight]
    assert "backbone.stage1.0.weight" in fp32[0]  # the first convolution reads the image itself
    heads = ("rpn_head.", "roi_align.", "rcnn_head.")
    assert all(name.startswith(heads) for name in fp32[1:])
    assert len(fp32) == 1 + 5 + 1 + 4  # + RPN (3 inception branches, objectness, deltas), ROI fuse, fc6/fc7/2 outputs
    assert len(int8) == 12 and all("backbone.stage" in name for name in int8)  # VGG16's 13 convolutions but one


@requires_shared
def test_onnxruntime_deeptext_finds_mindspore_boxes_on_real_photos(detector_model):
    cfg, ckpt, photos = detector_model
    reference = backends.load_detector(cfg, ckpt, backend="mindspore")
    onnx = backends.load_detector(cfg, ckpt, backend="onnxruntime")
    for photo in photos:
        image = load_image(photo)
        expected, got = reference.detect([image])[0], onnx.detect([image])[0]
        assert len(expected["boxes"]) > 0 and len(got["boxes"]) == len(expected["boxes"])
        np.testing.assert_allclose(np.sort(got["scores"]), np.sort(expected["scores"]), atol=1e-4)
        # Scores a float rounding apart may swap places: each box must be one of MindSpore's, same score.
        same = [((np.abs(expected["scores"] - score) < 1e-4)
                 & (np.abs(expected["boxes"] - box).max(axis=1) < 0.05 * max(image.shape))).any()
                for box, score in zip(got["boxes"], got["scores"])]
        assert np.mean(same) >= 0.9, photo


@requires_shared
def test_predictor_reads_the_same_words_on_every_fp32_backend(recogniser, detector_model):
    from sceneocr.e2e import OCRPredictor

    (rec_cfg, rec_ckpt), (det_cfg, det_ckpt, _) = recogniser, detector_model
    crops = real_crops(12)
    readings = {}
    for backend in ("mindspore", "onnxruntime"):
        predictor = OCRPredictor.from_checkpoints(det_ckpt, rec_ckpt, det_cfg=det_cfg, rec_cfg=rec_cfg, backend=backend)
        # ONNX recognisers take the few crops of a photograph in small fixed batches; MindSpore compiles one.
        assert predictor.rec_batch_size == (backends.CROP_BATCH if backend == "onnxruntime" else 32)
        readings[backend] = [text for text, _ in predictor.recognize_crops(crops)]
    assert readings["onnxruntime"] == readings["mindspore"]


def test_exports_are_cached_by_checkpoint_and_settings(recogniser, tmp_path, monkeypatch):
    cfg, ckpt = recogniser
    first = backends.exported_onnx("crnn", cfg, ckpt, 2)
    monkeypatch.setattr(crnn_task, "export", lambda *a, **k: pytest.fail("exported twice"))
    assert backends.exported_onnx("crnn", cfg, ckpt, 2) == first
    monkeypatch.undo()
    assert backends.exported_onnx("crnn", cfg, ckpt, 3) != first  # another batch size is another graph
    other = str(tmp_path / "other.ckpt")  # same name, other weights: another file
    network = crnn_task.build_network(cfg, crnn_task.build_charset(cfg))
    ms.save_checkpoint(network, other)
    assert os.path.basename(backends.exported_onnx("crnn", cfg, other, 2)).split("-")[1] != \
        os.path.basename(first).split("-")[1]
    assert not [n for n in os.listdir(os.path.dirname(first)) if n.startswith(".")]  # no temporaries left


def test_auto_runs_mindspore_where_the_export_fails(recogniser, tmp_path, monkeypatch, capsys):
    cfg, ckpt = recogniser

    def unsupported(*args, **kwargs):
        raise RuntimeError("Unsupported op for ONNX: Foo\n(traceback lines)")

    monkeypatch.setattr(crnn_task, "export", unsupported)
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path))  # nothing exported yet
    recognizer = backends.load_recognizer(cfg, ckpt, backend="auto")
    assert recognizer.backend == "mindspore" and recognizer.batch_size is None
    assert "cannot export crnn to ONNX (Unsupported op for ONNX: Foo): running crnn on mindspore" in \
        capsys.readouterr().err
    with pytest.raises(ValueError, match=r"Unsupported op for ONNX: Foo\); use --backend mindspore$"):
        backends.load_recognizer(cfg, ckpt, backend="onnxruntime")


@requires_shared
def test_auto_runs_fp32_where_int8_quantisation_fails(recogniser, tmp_path, monkeypatch, capsys):
    import onnxruntime.quantization as quantization

    def failing(*args, **kwargs):
        raise RuntimeError("calibration went wrong\n(traceback lines)")

    cfg, ckpt = recogniser
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(quantization, "quantize_static", failing)
    recognizer = backends.load_recognizer(cfg, ckpt, backend="auto")
    assert recognizer.backend == "onnxruntime" and recognizer.batch_size == backends.CROP_BATCH
    assert "onnxruntime cannot quantise crnn to int8 (calibration went wrong): running crnn on onnxruntime" in \
        capsys.readouterr().err
    with pytest.raises(ValueError, match=r"cannot quantise crnn to int8 \(calibration went wrong\); "
                                         r"use --backend mindspore$"):
        backends.load_recognizer(cfg, ckpt, backend="onnxruntime-int8")
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no half-written file left


@requires_shared
def test_auto_reads_a_width_in_fp32_where_only_its_int8_quantisation_fails(recogniser, tmp_path, monkeypatch,
                                                                           capsys):
    import onnxruntime.quantization as quantization

    cfg, ckpt = recogniser
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path))
    recognizer = backends.load_recognizer(cfg, ckpt, backend="auto")  # the config's width quantises
    assert recognizer.backend == "onnxruntime-int8"

    def failing(*args, **kwargs):
        raise RuntimeError("calibration went wrong at this width")

    monkeypatch.setattr(quantization, "quantize_static", failing)
    width = cfg["image"]["width"] + 48
    batch = crnn_batch(cfg, real_crops(backends.CROP_BATCH), width)
    texts = [r["text"] for r in recognizer.recognize(batch)]
    assert len(texts) == backends.CROP_BATCH
    assert "-int8-" not in os.path.basename(recognizer.runner.runners[width].source)
    assert recognizer.backend == "onnxruntime-int8/onnxruntime"  # the run says it is mixed
    assert f"cannot quantise crnn to int8 (calibration went wrong at this width): reading {width}-px crops in fp32" \
        in capsys.readouterr().err
    named = backends.load_recognizer(cfg, ckpt, backend="onnxruntime-int8")
    with pytest.raises(ValueError, match=r"calibration went wrong at this width\); use --backend onnxruntime$"):
        named.recognize(crnn_batch(cfg, real_crops(backends.CROP_BATCH), width + 24))


def test_backend_choice_and_errors(recogniser):
    cfg, ckpt = recogniser
    # Both models run int8 where they have shipped ranges or can be calibrated on real training images.
    for task in ("crnn", "deeptext"):
        calibrated = backends.calibration_images(task) or backends.has_shipped_ranges(task, ckpt)
        assert backends.resolve_backend("auto", task, ckpt) == ("onnxruntime-int8" if calibrated else "onnxruntime")
    assert backends.resolve_backend("auto", "deeptext", None) == "mindspore"  # nothing to export
    assert backends.resolve_backend("mindspore", "crnn", None) == "mindspore"
    with pytest.raises(ValueError, match="unknown backend 'tensorrt'"):
        backends.resolve_backend("tensorrt", "crnn", ckpt)
    with pytest.raises(ValueError, match="onnxruntime exports a checkpoint and none was given"):
        backends.resolve_backend("onnxruntime", "crnn", None)
    other = CRNN_TINY if cfg["model"]["name"] != "crnn_vgg_tiny" else os.path.join(ROOT, "configs", "crnn",
                                                                                     "crnn_cpu.yaml")
    with pytest.raises(ValueError, match=os.path.basename(ckpt)):  # weights of another model: refused at load
        backends.load_recognizer(load_config(other), ckpt, backend="onnxruntime")


def test_auto_runs_fp32_without_calibration(recogniser, tmp_path, monkeypatch):
    cfg, ckpt = recogniser
    monkeypatch.setattr(backends, "SHARED_TRAIN", str(tmp_path))  # no ../shared/train here
    copy = unshipped_copy(ckpt, tmp_path)
    assert backends.resolve_backend("auto", "crnn", copy) == "onnxruntime"
    assert backends.resolve_backend("auto", "deeptext", copy) == "onnxruntime"
    assert backends.resolve_backend("onnxruntime-int8", "crnn", copy) == "onnxruntime-int8"  # asked for: runs fp32
    if "crnn" in SHIPPED and SHIPPED["crnn"].get("calibration"):  # the release ships its ranges: int8 anywhere
        assert backends.resolve_backend("auto", "crnn", ckpt) == "onnxruntime-int8"


@pytest.mark.slow
@requires_shared
def test_infer_and_eval_take_backend(recogniser, tmp_path, capsys):
    from sceneocr.cli import evaluate as eval_cli
    from sceneocr.cli import read as infer

    from PIL import Image

    cfg, ckpt = recogniser
    crops = tmp_path / "crops"
    crops.mkdir()
    lines = []
    for k, crop in enumerate(real_crops(6)):
        Image.fromarray(crop).save(crops / f"w{k}.png")
        lines.append(f"w{k}.png\tword")
    (crops / "labels.tsv").write_text("\n".join(lines) + "\n")
    config = ["--rec_config", CRNN_TINY] if "crnn" not in SHIPPED else []
    read, scored = {}, {}
    for backend in ("mindspore", "onnxruntime"):
        out = tmp_path / f"{backend}.jsonl"
        infer.main(["--mode", "rec", "--image", str(crops), "--rec_ckpt", ckpt, *config, "--backend", backend,
                    "--jsonl", str(out)])
        read[backend] = [json.loads(line)["words"][0]["text"] for line in out.read_text().splitlines()]
        assert f"crnn on {backend}" in capsys.readouterr().err
        report = tmp_path / f"{backend}.json"
        eval_cli.main(["--model", "crnn", "--dataset", str(crops), "--ckpt", ckpt, "--backend", backend,
                       "--report", str(report)] + (["--config", CRNN_TINY] if config else []))
        assert f"running crnn on {backend}" in capsys.readouterr().err
        scored[backend] = [p["text"] for p in json.loads(report.read_text())["predictions"][str(crops)]]
    # infer.py and eval.py each agree across backends.
    assert len(read["mindspore"]) == len(scored["mindspore"]) == 6
    assert read["onnxruntime"] == read["mindspore"] and scored["onnxruntime"] == scored["mindspore"]


@pytest.mark.slow
@requires_shared
def test_benchmark_times_every_backend_and_writes_json(tmp_path, monkeypatch, capsys):
    from sceneocr.cli import benchmark
    import sceneocr.weights

    def no_weights(task, *args, **kwargs):
        raise sceneocr.weights.WeightsUnavailable(f"no shipped {task} weights")

    monkeypatch.setattr(sceneocr.weights, "shipped_checkpoint", no_weights)  # random weights of tiny models
    monkeypatch.setattr(benchmark, "SHIPPED_CONFIGS", {"crnn": CRNN_TINY, "deeptext": DEEPTEXT_TINY})
    report = benchmark.main(["--model", "e2e", "--backend", "all", "--steps", "1", "--json", str(tmp_path / "b.json")])
    assert json.loads((tmp_path / "b.json").read_text()) == report
    assert sorted(report["backends"]) == sorted(backends.BACKENDS)
    for name, result in report["backends"].items():
        assert result["crnn"]["runs_on"] == result["deeptext"]["runs_on"] == name
        assert result["crnn"]["images_per_s"] > 0 and result["deeptext"]["s_per_image"] > 0
        assert result["e2e"]["photos"] == 3 and result["e2e"]["s_per_photo"] > 0
    assert "random weights of" in report["models"]["crnn"] and "input 128x192" in report["models"]["deeptext"]
    assert "s per photograph" in capsys.readouterr().out


@pytest.mark.slow
def test_crnn_breakdown_times_each_part_of_a_training_step(capsys):
    from sceneocr.cli import benchmark

    report = benchmark.main(["--model", "crnn", "--breakdown", "--config", CRNN_TINY, "--steps", "1"])
    assert report["batch_size"] == 16 and report["config"] == CRNN_TINY  # the config's batch, not benchmark's 64
    assert all(report[key] > 0 for key in ("data_s", "forward_s", "forward_backward_s", "step_s"))
    out = capsys.readouterr().out
    assert "forward + CTC loss" in out and "whole step with the optimizer" in out
