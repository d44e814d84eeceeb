"""Training loop behaviour: exact resume, NaN guard, checkpoints, export round trips, CLI errors."""
import json
import os
import re
import subprocess
import sys

import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.config import load_config
from sceneocr.crnn import task
from sceneocr.engine.checkpoint import CheckpointManager, load_checkpoint
from sceneocr.engine.trainer import NonFiniteLoss, Trainer, get_logger

TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")


def tiny_config(output_dir, *overrides):
    return load_config(TINY, ["--output_dir", str(output_dir), *overrides])


def logged_losses(output_dir):
    text = open(os.path.join(output_dir, "train.log")).read()
    return {int(g): float(l) for g, l in re.findall(r"global (\d+) loss ([\d.]+)", text)}


def run_training(cfg, name):
    logger = get_logger(cfg["train"]["output_dir"], name)
    return task.train(cfg, {"rank": 0, "group_size": 1}, logger)


def test_resume_continues_with_the_same_losses(tmp_path):
    common = ["--log_every", "1", "--save_every", "3", "--keep_last", "5", "--max_steps", "6",
              "--optimizer", "sgd", "--lr", "0.05", "--warmup_steps", "2", "--val", ""]
    run_training(tiny_config(tmp_path / "a", *common), "a")
    full = logged_losses(tmp_path / "a")
    assert sorted(full) == [1, 2, 3, 4, 5, 6]
    checkpoint = CheckpointManager(str(tmp_path / "a" / "checkpoints"), "crnn").path_for(3)
    assert os.path.isfile(checkpoint)
    run_training(tiny_config(tmp_path / "b", *common, "--resume", checkpoint), "b")
    resumed = logged_losses(tmp_path / "b")
    assert sorted(resumed) == [4, 5, 6]
    for step in (4, 5, 6):
        assert resumed[step] == pytest.approx(full[step], abs=2e-4), (step, resumed, full)
    assert len({full[s] for s in full}) > 3  # the loss moves, so equality is not trivial


def test_training_at_several_widths_batches_by_width_and_resumes_exactly(tmp_path, monkeypatch):
    widths = []
    to_inputs = task.crnn_inputs

    def spy(charset):
        convert = to_inputs(charset)

        def record(batch):
            widths.append(batch[0].shape[-1])
            return convert(batch)
        return record

    monkeypatch.setattr(task, "crnn_inputs", spy)
    common = ["--log_every", "1", "--save_every", "3", "--keep_last", "5", "--max_steps", "6", "--train.batch_size", "4",
              "--optimizer", "sgd", "--lr", "0.05", "--val", "", "--data.train_widths", "[100, 148, 200]"]
    run_training(tiny_config(tmp_path / "a", *common), "a")
    assert len(widths) == 6 and len(set(widths)) > 1 and set(widths) <= {100, 148, 200}, widths
    full = logged_losses(tmp_path / "a")
    checkpoint = CheckpointManager(str(tmp_path / "a" / "checkpoints"), "crnn").path_for(3)
    run_training(tiny_config(tmp_path / "b", *common, "--resume", checkpoint), "b")
    assert widths[6:] == widths[3:6]  # the resumed run sees the same batches
    resumed = logged_losses(tmp_path / "b")
    for step in (4, 5, 6):
        assert resumed[step] == pytest.approx(full[step], abs=2e-4), (step, resumed, full)


def test_training_at_several_widths_refuses_a_data_sink(tmp_path):
    cfg = tiny_config(tmp_path, "--max_steps", "2", "--data.train_widths", "[100, 148]")
    cfg["system"]["device_target"] = "Ascend"  # where a data sink is on by default; refused before any step
    with pytest.raises(ValueError, match="data.train_widths .* data sink"):
        run_training(cfg, "sink")
    assert not (tmp_path / "checkpoints").exists()


def test_resume_may_lengthen_the_schedule(tmp_path):
    common = ["--log_every", "1", "--save_every", "3", "--optimizer", "sgd", "--lr", "0.05", "--val", ""]
    run_training(tiny_config(tmp_path / "a", *common, "--max_steps", "3"), "a")
    checkpoint = CheckpointManager(str(tmp_path / "a" / "checkpoints"), "crnn").path_for(3)
    run_training(tiny_config(tmp_path / "b", *common, "--max_steps", "5", "--resume", checkpoint), "b")
    assert sorted(logged_losses(tmp_path / "b")) == [4, 5]


class ScaleLoss(nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = ms.Parameter(ms.Tensor(np.ones(1, np.float32)), name="weight")

    def construct(self, x):
        return (x * self.weight).sum()


class ListLoader:
    corrupt = []

    def __init__(self, values):
        self.values = values

    def steps_per_epoch(self):
        return len(self.values)

    def epoch(self, epoch, start_step=0):
        yield from self.values[start_step:]


def test_resume_with_a_longer_epoch_continues_by_global_step(tmp_path):
    # A finished one-epoch run of 2 steps, resumed with one epoch of 5: it trains steps 3-5, not nothing.
    def trainer_for(values, output_dir):
        return Trainer(ScaleLoss(), ListLoader(values), lambda v: ((ms.Tensor(np.array([v], np.float32)),), 1),
                       epochs=1, output_dir=str(output_dir), logger=get_logger(None, "longer"), save_every=1,
                       log_every=1)

    first = trainer_for([1.0, 2.0], tmp_path)
    first.fit()
    seen = []
    second = trainer_for([1.0, 2.0, 3.0, 4.0, 5.0], tmp_path)
    second.to_inputs = lambda v: (seen.append(v), ((ms.Tensor(np.array([v], np.float32)),), 1))[1]
    second.resume(first.manager.list()[-1])
    assert (second.epoch, second.step_in_epoch, second.global_step) == (0, 2, 2)
    second.fit()
    assert seen == [3.0, 4.0, 5.0] and second.global_step == 5


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    loader = ListLoader([1.0, 2.0, float("nan"), 4.0])
    trainer = Trainer(ScaleLoss(), loader, lambda v: ((ms.Tensor(np.array([v], np.float32)),), 1), epochs=1,
                      output_dir=str(tmp_path), logger=get_logger(None, "nan"), save_every=2, log_every=1)
    with pytest.raises(NonFiniteLoss, match=r"loss became nan at epoch 1 step 3 .*crnn|model-step00000002"):
        trainer.fit()
    saved = trainer.manager.list()
    assert [os.path.basename(p) for p in saved] == ["model-step00000002.ckpt"]
    meta, _ = load_checkpoint(saved[0])
    assert meta["global_step"] == 2
    assert not [f for f in os.listdir(tmp_path / "checkpoints") if "tmp" in f]


def test_validation_reads_at_the_evaluation_widths(tmp_path, monkeypatch):
    seen = []
    evaluate_dataset = task.evaluate_dataset

    def spy(*args, **kwargs):
        seen.append(kwargs.get("widths"))
        return evaluate_dataset(*args, **kwargs)

    monkeypatch.setattr(task, "evaluate_dataset", spy)
    cfg = tiny_config(tmp_path, "--max_steps", "2", "--validate_every", "2", "--val_samples", "16",
                      "--eval.rec_widths", "[100, 148]")
    run_training(cfg, "widths")
    assert seen == [[100, 148]]
    rows = [json.loads(line) for line in open(tmp_path / "validation.jsonl")]
    assert [row["global_step"] for row in rows] == [2] and 0.0 <= rows[0]["word_accuracy"] <= 1.0


def test_validation_at_several_widths_needs_plain_word_sources(tmp_path):
    cfg = tiny_config(tmp_path, "--max_steps", "2", "--validate_every", "2", "--eval.rec_widths", "[100, 148]")
    cfg["data"]["val"] = [{"source": "synthetic", "ratio": 1.0}]
    with pytest.raises(ValueError, match="data.val must be word sources"):  # at start, before any step
        run_training(cfg, "mixed")
    assert not (tmp_path / "checkpoints").exists()


def test_checkpoints_keep_last_k(tmp_path):
    manager = CheckpointManager(str(tmp_path), "m", keep_last=2)
    cell = ScaleLoss()
    for step in (1, 2, 3):
        manager.save(cell, {"epoch": 0, "step_in_epoch": step, "global_step": step, "best_metric": 0.0})
    assert [os.path.basename(p) for p in manager.list()] == ["m-step00000002.ckpt", "m-step00000003.ckpt"]
    assert manager.latest().endswith("m-step00000003.ckpt")


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="bad.ckpt: not a readable MindSpore checkpoint"):
        load_checkpoint(str(bad))


def test_mindir_export_has_a_dynamic_batch(tmp_path):
    cfg = tiny_config(tmp_path)
    ckpt = str(tmp_path / "random.ckpt")
    ms.save_checkpoint(task.build_network(cfg, task.build_charset(cfg)), ckpt)
    images = np.random.default_rng(0).normal(size=(3, 3, 32, 100)).astype(np.float32)
    reference = task.load_recognizer(cfg, ckpt=ckpt).log_probs(images)
    mindir = task.export(cfg, ckpt, "MINDIR", str(tmp_path / "crnn"))
    from_mindir = task.load_recognizer(cfg, mindir=mindir)
    np.testing.assert_allclose(from_mindir.log_probs(images), reference, atol=1e-5)
    np.testing.assert_allclose(from_mindir.log_probs(images[:1]), reference[:1], atol=1e-5)  # dynamic batch


def test_export_from_checkpoint_matches_checkpoint(tmp_path):
    import onnxruntime

    cfg = tiny_config(tmp_path, "--max_steps", "2", "--val", "")
    ckpt = run_training(cfg, "export")
    images = np.random.default_rng(1).normal(size=(1, 3, 32, 100)).astype(np.float32)
    reference = task.load_recognizer(cfg, ckpt=ckpt).log_probs(images)
    mindir = task.export(cfg, ckpt, "MINDIR", str(tmp_path / "m"))
    np.testing.assert_allclose(task.load_recognizer(cfg, mindir=mindir).log_probs(images), reference, atol=1e-5)
    onnx_path = task.export(cfg, ckpt, "ONNX", str(tmp_path / "m"), batch_size=1)
    session = onnxruntime.InferenceSession(onnx_path)
    out = session.run(None, {session.get_inputs()[0].name: images})[0]
    np.testing.assert_allclose(out, reference, atol=1e-4)


def run_script(*args, cwd):
    return subprocess.run([sys.executable, os.path.join(ROOT, args[0]), *args[1:]], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def test_cli_train_eval_and_errors(tmp_path):
    out = run_script("train.py", "--model", "crnn", "--config", TINY, "--output_dir", str(tmp_path / "run"),
                     "--max_steps", "2", "--val", "", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert os.path.isfile(tmp_path / "run" / "config.yaml")
    ckpt = CheckpointManager(str(tmp_path / "run" / "checkpoints"), "crnn").latest()
    # No --config: the run's saved config.yaml beside checkpoints/ is used.
    out = run_script("eval.py", "--model", "crnn", "--dataset", "synthetic", "--ckpt", ckpt,
                     "--report", str(tmp_path / "report.json"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"result: \{'CRNNAccuracy': \d\.\d{4}\}", out.stdout)
    report = json.load(open(tmp_path / "report.json"))
    assert len(report["predictions"]["synthetic"]) == 32
    out = run_script("train.py", "--model", "crnn", "--config", TINY, "--no_such_key", "1", cwd=tmp_path)
    assert out.returncode == 2 and "unknown config key 'no_such_key'" in out.stderr
    out = run_script("eval.py", "--model", "crnn", "--dataset", str(tmp_path / "none"), "--ckpt", ckpt,
                     cwd=tmp_path)
    assert out.returncode == 2 and "dataset path does not exist" in out.stderr
    out = run_script("eval.py", "--model", "crnn", "--config", os.path.join(ROOT, "configs/crnn/crnn_cpu.yaml"),
                     "--dataset", "synthetic", "--ckpt", ckpt, cwd=tmp_path)
    assert out.returncode == 2 and "does not fit this model" in out.stderr
    out = run_script("export.py", "--model", "crnn", "--file_format", "AIR", cwd=tmp_path)
    assert out.returncode == 2 and "AIR export needs an Ascend device" in out.stderr
