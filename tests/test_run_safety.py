"""Runs and checkpoints are never destroyed or misread: refused reuse of a run folder, overwrite that moves
the old run aside, run files written only after validation, checkpoints that carry their config and
fit their model, finished runs, interrupted saves and Ctrl-C (issue 9 items 1-4, 12, 13)."""
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import mindspore as ms
import numpy as np
import pytest

from sceneocr.cli import export, train
from conftest import ROOT
from sceneocr.model_config import resolve_config
from sceneocr.config import load_config, save_config
from sceneocr.crnn import task as crnn_task
from sceneocr.deeptext import task as deeptext_task
from sceneocr.engine import checkpoint as checkpoint_module
from sceneocr.engine.checkpoint import (CheckpointManager, atomic_save, load_checkpoint, read_checkpoint_config,
                                   average_checkpoints, read_checkpoint_state, save_release_weights)
from sceneocr.engine.trainer import Trainer, TrainingInterrupted, get_logger

CRNN_TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")
DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
CRNN_CPU = os.path.join(ROOT, "configs", "crnn", "crnn_cpu.yaml")


def train_tiny(output_dir, *overrides):
    return train.main(["--model", "crnn", "--config", CRNN_TINY, "--output_dir", str(output_dir),
                       "--max_steps", "2", "--save_every", "2", "--val", "", *overrides])


def snapshot(folder):
    """Every file under ``folder`` with its bytes."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = open(path, "rb").read()
    return out


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 2-step tiny CRNN run; tests copy it before changing anything."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    train_tiny(folder)
    return folder


@pytest.fixture
def run_copy(finished_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(finished_run, folder)
    return folder


@pytest.fixture(scope="module")
def deeptext_ckpt(tmp_path_factory):
    """Weights of the other model (no stored config, like an old or foreign checkpoint)."""
    path = str(tmp_path_factory.mktemp("det") / "deeptext.ckpt")
    ms.save_checkpoint(deeptext_task.build_model(load_config(DEEPTEXT_TINY)), path)
    return path


def latest(run):
    return CheckpointManager(str(run / "checkpoints"), "crnn").latest()


# --- item 1: a run folder is never reused silently ---------------------------------------------------

def test_second_run_into_a_run_folder_is_refused_and_changes_nothing(run_copy):
    before = snapshot(run_copy)
    with pytest.raises(ValueError, match=r"already holds a run.*--train\.resume auto.*--train\.overwrite true"):
        train_tiny(run_copy, "--charset.alphabet", "0123456789")
    assert snapshot(run_copy) == before


def test_overwrite_moves_the_old_run_aside(run_copy):
    before = snapshot(run_copy)
    train_tiny(run_copy, "--train.overwrite", "true")
    moved = [p for p in os.listdir(run_copy.parent) if p.startswith("run.old-")]
    assert len(moved) == 1
    assert snapshot(run_copy.parent / moved[0]) == before  # the old run, untouched
    log = open(run_copy / "train.log").read()
    assert log.count("training:") == 1 and f"moved to {run_copy}.old-" in log
    assert load_config(str(run_copy / "config.yaml"))["train"]["overwrite"] is False  # never re-applied


def test_overwrite_and_resume_auto_contradict(run_copy):
    with pytest.raises(ValueError, match="give one of them"):
        train_tiny(run_copy, "--train.overwrite", "true", "--train.resume", "auto")


# --- items 2 and 12: run files only after validation; finished runs; output_dir a file ------------------

def test_a_run_that_fails_at_start_writes_nothing(run_copy, tmp_path):
    before = snapshot(run_copy)
    bad = run_copy / "checkpoints" / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.ckpt: not a readable MindSpore checkpoint"):
        train_tiny(run_copy, "--train.resume", str(bad), "--charset.alphabet", "0123456789")
    bad.unlink()
    assert snapshot(run_copy) == before  # config.yaml (alphabet) and train.log as they were
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint either")
    with pytest.raises(ValueError, match="garbage.ckpt: not a readable"):
        train_tiny(tmp_path / "fresh", "--train.resume", str(garbage))
    assert not (tmp_path / "fresh").exists()


def test_resume_auto_on_a_finished_run_says_so_and_a_longer_run_appends(run_copy):
    before = snapshot(run_copy)
    with pytest.raises(ValueError, match=r"the run is finished \(global step 2 of 2\).*--train\.max_steps"):
        train_tiny(run_copy, "--train.resume", "auto")
    assert snapshot(run_copy) == before
    train_tiny(run_copy, "--train.resume", "auto", "--max_steps", "3")
    log = open(run_copy / "train.log").read()
    assert log.count("training:") == 2  # appended, not replaced
    assert read_checkpoint_state(latest(run_copy))[0]["global_step"] == 3


def test_data_parallel_resume_auto_continues_rank_0s_checkpoint_on_every_rank(run_copy, monkeypatch):
    # Only rank 0 writes checkpoints: rank 1 (logging into rank_1/) must resume the same one, not start afresh.
    def rank_1(device_target, seed=0, distributed=False):
        return {"rank": 1, "group_size": 2, "device_target": device_target}

    monkeypatch.setattr(train, "setup_run", rank_1)
    before = snapshot(run_copy)
    train_tiny(run_copy, "--train.resume", "auto", "--max_steps", "3")
    log = open(run_copy / "rank_1" / "train.log").read()
    assert f"resumed from {latest(run_copy)}" in log and "global step 2" in log and "starting from scratch" not in log
    assert {k: v for k, v in snapshot(run_copy).items() if not k.startswith("rank_1")} == before  # rank 1 wrote no checkpoint
    assert not (run_copy / "rank_1" / "checkpoints").exists() or not os.listdir(run_copy / "rank_1" / "checkpoints")


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "run"
    target.write_text("notes")
    with pytest.raises(ValueError, match="run: --train.output_dir is a file"):
        train_tiny(target)
    assert target.read_text() == "notes"


# --- item 2: a checkpoint carries its config -----------------------------------------------------------

def test_checkpoint_is_read_with_its_own_config_not_the_file_beside_it(run_copy):
    ckpt = latest(run_copy)
    stored = read_checkpoint_config(ckpt)
    assert stored["model"]["name"] == "crnn_vgg_tiny" and stored["charset"]["alphabet"].startswith("0123")
    assert read_checkpoint_state(ckpt)[1]["task"] == "crnn"
    other = load_config(CRNN_CPU)
    other["charset"]["alphabet"] = "abc"
    save_config(other, str(run_copy / "config.yaml"))  # the file beside it now says something else
    cfg = resolve_config("crnn", ckpt)
    assert cfg["model"]["name"] == "crnn_vgg_tiny" and cfg["charset"]["alphabet"] == stored["charset"]["alphabet"]
    crnn_task.load_recognizer(cfg, ckpt)
    assert resolve_config("crnn", ckpt, overrides=["--eval.batch_size", "8"])["eval"]["batch_size"] == 8


def test_float16_release_weights_load_into_the_float32_model(run_copy, tmp_path):
    ckpt = latest(run_copy)
    release = save_release_weights(ckpt, str(tmp_path / "crnn.ckpt"), ms.float16)
    params = ms.load_checkpoint(release)
    assert not [k for k in params if k.startswith(("moment", "global_step", "beta"))]
    assert {str(v.dtype) for k, v in params.items() if not k.startswith("train_state.")} == {"Float16"}
    assert os.path.getsize(release) < os.path.getsize(ckpt) / 2
    cfg = resolve_config("crnn", release)  # the config travels with the weights
    images = np.random.default_rng(0).normal(size=(2, 3, 32, 100)).astype(np.float32)
    reference = crnn_task.load_recognizer(cfg, ckpt).log_probs(images)
    np.testing.assert_allclose(crnn_task.load_recognizer(cfg, release).log_probs(images), reference, atol=2e-2)


# --- weight averaging (scripts/average_checkpoints.py) ---------------------------------------------------

def scaled_copy(ckpt, path, factor):
    """``ckpt``'s model weights times ``factor`` (float ones), with its decoding info, as a release file."""
    params = ms.load_checkpoint(ckpt)
    model = {k: v for k, v in ms.load_checkpoint(save_release_weights(ckpt, str(path) + ".plain.ckpt")).items()
             if not k.startswith("train_state.")}
    items = [{"name": k, "data": ms.Tensor(v.asnumpy() * factor) if v.dtype == ms.float32 else v}
             for k, v in model.items()]
    atomic_save(items, str(path), None, {k: params["train_state." + k] for k in ("task", "model", "config")})
    return str(path)


def test_averaged_checkpoint_is_the_mean_of_the_weights_and_reads_like_any_other(run_copy, tmp_path):
    ckpt = latest(run_copy)
    tripled = scaled_copy(ckpt, tmp_path / "tripled.ckpt", 3.0)
    average = str(tmp_path / "average.ckpt")
    assert average_checkpoints([ckpt, tripled], average) > 20
    original = {k: v for k, v in ms.load_checkpoint(ckpt).items() if not k.startswith("train_state.")}
    averaged = ms.load_checkpoint(average)
    release = ms.load_checkpoint(save_release_weights(ckpt, str(tmp_path / "release.ckpt")))
    assert set(averaged) == set(release)  # the model's weights, no optimizer state
    floats = [k for k in averaged if not k.startswith("train_state.") and averaged[k].dtype == ms.float32]
    assert len(floats) > 20
    for name in floats:  # (w + 3w) / 2 = 2w
        np.testing.assert_allclose(averaged[name].asnumpy(), 2 * original[name].asnumpy(), rtol=1e-6, err_msg=name)
    cfg = resolve_config("crnn", average)  # the first checkpoint's config travels with the average
    assert cfg["model"]["name"] == "crnn_vgg_tiny"
    images = np.random.default_rng(0).normal(size=(1, 3, 32, 100)).astype(np.float32)
    assert np.isfinite(crnn_task.load_recognizer(cfg, average).log_probs(images)).all()


def test_averaging_refuses_other_models_and_never_overwrites(run_copy, deeptext_ckpt, tmp_path):
    ckpt = latest(run_copy)
    target = tmp_path / "average.ckpt"
    with pytest.raises(ValueError, match="holds other weights than"):
        average_checkpoints([ckpt, deeptext_ckpt], str(target))
    assert not target.exists()
    target.write_bytes(b"earlier work")
    with pytest.raises(ValueError, match="given twice"):
        average_checkpoints([ckpt, ckpt], str(tmp_path / "twice.ckpt"))
    assert not (tmp_path / "twice.ckpt").exists()
    with pytest.raises(FileExistsError, match="not overwritten"):
        average_checkpoints([ckpt, ckpt], str(target))
    assert target.read_bytes() == b"earlier work"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "average_checkpoints.py"), ckpt,
                             str(tmp_path / "missing.ckpt"), "--output", str(tmp_path / "new.ckpt")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "missing.ckpt: checkpoint not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "new.ckpt").exists()


# --- fine-tuning: train.load_from ------------------------------------------------------------------------

def moving_statistics(name):
    return "moving_" in name  # batch-norm statistics follow the data even at learning rate ~0


def test_load_from_release_weights_starts_a_new_run_from_those_weights(run_copy, tmp_path):
    release = save_release_weights(latest(run_copy), str(tmp_path / "crnn.ckpt"), ms.float16)
    # lr ~0: after its two steps the new run still holds the weights it started from (a run that ignored
    # load_from would hold the seeded initial weights, which the release's two steps of lr 1e-3 moved)
    train_tiny(tmp_path / "tuned", "--train.load_from", release, "--lr", "1e-12", "--min_lr", "1e-12",
               "--warmup_steps", "0")
    tuned = ms.load_checkpoint(CheckpointManager(str(tmp_path / "tuned" / "checkpoints"), "crnn").latest())
    start = {k: v for k, v in ms.load_checkpoint(release).items()
             if not k.startswith("train_state.") and not moving_statistics(k)}
    assert len(start) > 20  # convolutions, LSTM and classifier
    for name, value in start.items():
        np.testing.assert_allclose(tuned[name].asnumpy(), value.asnumpy().astype(np.float32), atol=1e-6,
                                   err_msg=name)


def test_load_from_a_finished_runs_checkpoint_takes_its_weights_not_its_step(run_copy, tmp_path):
    finished = latest(run_copy)  # global step 2 of a 2-step run: resuming it would be refused as finished
    last = train_tiny(tmp_path / "tuned", "--train.load_from", finished)
    assert last.endswith("crnn-step00000002.ckpt")
    assert read_checkpoint_state(last)[0]["global_step"] == 2
    trained, loaded = ms.load_checkpoint(last), ms.load_checkpoint(finished)
    assert not np.allclose(trained["classifier.weight"].asnumpy(), loaded["classifier.weight"].asnumpy())


def test_a_load_from_run_resumes_without_its_load_from_file(run_copy, tmp_path):
    release = save_release_weights(latest(run_copy), str(tmp_path / "crnn.ckpt"), ms.float16)
    train_tiny(tmp_path / "tuned", "--train.load_from", release)
    os.remove(release)  # the resumed checkpoint holds every weight: load_from is not read again
    last = train_tiny(tmp_path / "tuned", "--train.load_from", release, "--train.resume", "auto", "--max_steps", "4")
    assert last.endswith("crnn-step00000004.ckpt")
    assert f"train.load_from {release} not loaded: the run starts from " in open(tmp_path / "tuned" / "train.log").read()


def test_load_from_that_does_not_fit_is_one_line_and_writes_nothing(deeptext_ckpt, wide_crnn_ckpt, run_copy,
                                                                      tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^--train.load_from \S*absent.ckpt: checkpoint not found$"):
        train_tiny(tmp_path / "new_run", "--train.load_from", str(tmp_path / "absent.ckpt"))
    with pytest.raises(ValueError, match=r"deeptext.ckpt: does not fit this model: \d+ model parameters missing"):
        train_tiny(tmp_path / "new_run", "--train.load_from", deeptext_ckpt)
    with pytest.raises(ValueError, match=r"crnn_vgg.ckpt: does not fit this model: .*\d+ with another shape"):
        train_tiny(tmp_path / "new_run", "--train.load_from", wide_crnn_ckpt)
    # Same shapes, other characters: the classifier's rows would decode the wrong letters.
    alphabet = load_config(CRNN_TINY)["charset"]["alphabet"]
    with pytest.raises(ValueError, match=r"decodes another alphabet .*--train.load_from needs the same characters"):
        train_tiny(tmp_path / "new_run", "--train.load_from", latest(run_copy), "--charset.alphabet", alphabet[::-1])
    assert not (tmp_path / "new_run").exists()


# --- items 3, 4 and 12: checkpoints that do not fit ---------------------------------------------------

@pytest.fixture(scope="module")
def wide_crnn_ckpt(tmp_path_factory):
    """The published CRNN's weights: same names as the tiny one, other shapes."""
    cfg = load_config(CRNN_CPU)
    path = str(tmp_path_factory.mktemp("wide") / "crnn_vgg.ckpt")
    ms.save_checkpoint(crnn_task.build_network(cfg, crnn_task.build_charset(cfg)), path)
    return path


def test_resume_with_the_other_models_checkpoint_is_an_error_with_counts(deeptext_ckpt, tmp_path):
    with pytest.raises(ValueError, match=r"deeptext.ckpt: does not fit this model: \d+ model parameters missing "
                                         r".*; \d+ unexpected"):
        train_tiny(tmp_path / "run", "--train.resume", deeptext_ckpt)
    assert not (tmp_path / "run").exists()


def test_resume_with_other_shapes_is_an_error_with_counts(wide_crnn_ckpt, tmp_path):
    with pytest.raises(ValueError, match=r"does not fit this model: .*\d+ with another shape \(e\.g\. "):
        train_tiny(tmp_path / "run", "--train.resume", wide_crnn_ckpt)
    assert not (tmp_path / "run").exists()


def test_loading_weights_without_training_state_for_resume_is_refused(run_copy, tmp_path):
    release = save_release_weights(latest(run_copy), str(tmp_path / "weights.ckpt"))
    with pytest.raises(ValueError, match=r"weights.ckpt: does not fit this model .*model parameters missing"):
        train_tiny(tmp_path / "new_run", "--train.resume", release, "--max_steps", "4")


def test_export_refuses_a_checkpoint_that_does_not_fit(deeptext_ckpt, wide_crnn_ckpt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for ckpt in (deeptext_ckpt, wide_crnn_ckpt):
        with pytest.raises(ValueError, match=r"does not fit this model: \d+"):
            export.main(["--model", "crnn", "--config", CRNN_TINY, "--ckpt", ckpt, "--file_name", "out"])
    assert not [f for f in os.listdir(tmp_path) if f.startswith("out")]


def test_export_without_weights_needs_a_flag_and_batch_size_is_checked_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="give --ckpt FILE .*--random_weights"):
        export.main(["--model", "crnn", "--config", CRNN_TINY, "--file_name", "out"])
    for size in ("0", "-3"):
        with pytest.raises(ValueError, match=f"--batch_size must be at least 1.*got {size}"):
            export.main(["--model", "crnn", "--config", CRNN_TINY, "--random_weights", "--batch_size", size])
    assert os.listdir(tmp_path) == []  # no rank_0/om/analyze_fail.ir either
    path = export.main(["--model", "crnn", "--config", CRNN_TINY, "--random_weights", "--file_name", "out"])
    assert os.path.isfile(path)


def test_export_reads_the_checkpoints_own_config(run_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.remove(run_copy / "config.yaml")  # no --config and nothing beside it: the checkpoint says tiny
    path = export.main(["--model", "crnn", "--ckpt", latest(run_copy), "--file_name", "tiny"])
    assert os.path.isfile(path)


def test_other_models_checkpoint_is_refused_by_config_resolution(run_copy, deeptext_ckpt):
    with pytest.raises(ValueError, match=r"crnn-step\d+\.ckpt: a crnn checkpoint \(model crnn_vgg_tiny\), "
                                         r"but a deeptext checkpoint is needed"):
        resolve_config("deeptext", latest(run_copy))
    with pytest.raises(ValueError, match="deeptext.ckpt: does not fit this model: .* missing"):
        crnn_task.load_recognizer(resolve_config("crnn", deeptext_ckpt), deeptext_ckpt)


def test_swapped_checkpoints_of_old_runs_are_one_line_errors(tmp_path, deeptext_ckpt):
    # A checkpoint saved before checkpoints stored their config, in a run folder with config.yaml.
    cfg = load_config(CRNN_TINY)
    run = tmp_path / "old_run"
    (run / "checkpoints").mkdir(parents=True)
    ckpt = str(run / "checkpoints" / "crnn-step00000002.ckpt")
    ms.save_checkpoint(crnn_task.build_network(cfg, crnn_task.build_charset(cfg)), ckpt)
    save_config(cfg, str(run / "config.yaml"))
    image = tmp_path / "a.png"
    from PIL import Image

    Image.new("RGB", (64, 32), "white").save(image)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "infer.py"), "--image", str(image),
                          "--det_ckpt", ckpt, "--rec_ckpt", deeptext_ckpt, "--output", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert [line for line in out.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {ckpt}: a crnn checkpoint (model crnn_vgg_tiny, says {run / 'config.yaml'}), "
        f"but a deeptext checkpoint is needed here (swapped the detector's and the recogniser's checkpoints?)"]


# --- item 13: interrupted saves, stale temporaries, fsync, Ctrl-C ---------------------------------------

class ScaleLoss(ms.nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = ms.Parameter(ms.Tensor(np.ones(1, np.float32)), name="weight")

    def construct(self, x):
        return (x * self.weight).sum()


def test_an_interrupted_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    def killed_midway(cell, path, append_dict=None):
        open(path, "wb").write(b"partial")
        open(path[:-len(".ckpt")] + ".tmp", "wb").write(b"partial")  # MindSpore's own temporary
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_module.ms, "save_checkpoint", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        atomic_save(ScaleLoss(), str(tmp_path / "m.ckpt"), {"global_step": 1})
    assert os.listdir(tmp_path) == []


def test_checkpoint_renames_are_fsynced(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_save(ScaleLoss(), str(tmp_path / "m.ckpt"), {"global_step": 1})
    assert events == ["fsync file", "rename", "fsync dir"]


class StepLoader:
    """``n`` one-element batches per epoch; raises KeyboardInterrupt before step ``interrupt_at``."""
    corrupt = []
    batch_size = 1

    def __init__(self, n, interrupt_at=None):
        self.n, self.interrupt_at = n, interrupt_at

    def steps_per_epoch(self):
        return self.n

    def epoch(self, epoch, start_step=0):
        for step in range(start_step, self.n):
            if self.interrupt_at is not None and epoch * self.n + step == self.interrupt_at:
                raise KeyboardInterrupt
            yield float(step + 1)

    def close(self):
        pass


def make_trainer(output_dir, loader, metrics):
    return Trainer(ScaleLoss(), loader, lambda v: ((ms.Tensor(np.array([v], np.float32)),), 1), epochs=1,
                   output_dir=str(output_dir), logger=get_logger(None, "safety"), prefix="scale", save_every=2,
                   log_every=1, validate=lambda: {"acc": metrics.pop(0)}, validate_every=3, metric="acc",
                   config={"model": {"name": "scale"}, "train": {"output_dir": str(output_dir)}})


def test_ctrl_c_names_the_checkpoint_and_resume_keeps_the_runs_best(tmp_path):
    # Steps 1-3 run, step 2 is saved, validation at step 3 (0.9) writes best.ckpt; Ctrl-C before step 4.
    with pytest.raises(TrainingInterrupted, match=r"interrupted at global step 3; newest checkpoint "
                                                  r".*scale-step00000002\.ckpt; resume with: python train.py "
                                                  r"--model scale --config .*config.yaml --train.resume auto"):
        make_trainer(tmp_path, StepLoader(6, interrupt_at=3), [0.9]).run()
    assert "stopped: interrupted at global step 3" in open(tmp_path / "train.log").read()
    stale = tmp_path / "checkpoints" / "scale-step00000009.ckpt.tmp.ckpt"
    stale.write_bytes(b"left by a killed save")
    # Resumed from step 2 (whose own best is still -inf): a worse validation must not replace best.ckpt.
    make_trainer(tmp_path, StepLoader(6), [0.5, 0.4]).run("auto")
    best = read_checkpoint_state(str(tmp_path / "checkpoints" / "best.ckpt"))[0]
    assert best["best_metric"] == pytest.approx(0.9)
    assert not stale.exists()
    assert len(open(tmp_path / "validation.jsonl").read().splitlines()) == 3  # appended: 0.9, 0.5, 0.4
    assert open(tmp_path / "train.log").read().count("training:") == 2


def test_ctrl_c_in_the_command_line_exits_naming_the_checkpoint(tmp_path):
    # MindSpore turns SIGINT during a graph into SIGTERM; both must end with the resume line.
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "train.py"), "--model", "crnn", "--config",
                                CRNN_TINY, "--output_dir", "run", "--max_steps", "100000", "--epochs", "10000",
                                "--save_every", "2", "--val", ""], cwd=tmp_path, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and not os.path.isdir(tmp_path / "run" / "checkpoints"):
        time.sleep(0.2)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("stopped: interrupted at global step ") and "newest checkpoint run/checkpoints/crnn-step" \
        in last and last.endswith("--config run/config.yaml --train.resume auto")
    assert "Traceback" not in err
    meta, _ = load_checkpoint(CheckpointManager(str(tmp_path / "run" / "checkpoints"), "crnn").latest())
    assert meta["global_step"] >= 2
