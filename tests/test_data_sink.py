"""Data sink (Ascend): the setting's resolution, the dataset the device would read, and the trainer's
step bookkeeping with a sink. ``ms.data_sink`` itself refuses the CPU, so the trainer test runs
with a stand-in that pulls the same batches from the same source and runs the same training step."""
import os
import re

import mindspore as ms
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.config import load_config
from sceneocr.crnn import task
from sceneocr.data.loader import BatchLoader
from sceneocr.engine import sink
from sceneocr.engine.trainer import get_logger
from sceneocr.runtime import seed_everything

TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")


def test_sink_setting_is_on_for_ascend_only_and_refused_on_cpu():
    assert sink.resolve_sink_size("auto", "Ascend", 50) == 50
    assert sink.resolve_sink_size("auto", "CPU", 50) == 0
    assert sink.resolve_sink_size("auto", "GPU", 50) == 0
    assert sink.resolve_sink_size(False, "Ascend", 50) == 0
    assert sink.resolve_sink_size(20, "GPU", 50) == 20
    assert sink.resolve_sink_size(True, "Ascend", 50) == 50
    with pytest.raises(ValueError, match="Ascend and GPU only, not CPU"):
        sink.resolve_sink_size(10, "CPU", 50)
    with pytest.raises(ValueError, match="expected auto, false or a number"):
        sink.resolve_sink_size("often", "Ascend", 50)


def test_sink_size_divides_every_interval():
    assert sink.aligned_sink_size(50, 50, 500, 500, 1000, 0) == 50
    assert sink.aligned_sink_size(50, 50, 500, 500, 1000, 120) == 10   # resumed at step 120
    assert sink.aligned_sink_size(8, 5, 0, 0, 12) == 1
    assert sink.aligned_sink_size(6, 0, 0, 0, 0) == 6


class _Numbers:
    """A dataset of 10 samples whose image holds its own index."""
    def __len__(self):
        return 10

    def load(self, index):
        return np.full((1, 2, 2), index, np.float32), str(index)


def test_sink_dataset_reads_the_loaders_batches_across_epochs():
    loader = BatchLoader(_Numbers(), 3, shuffle=True, seed=7, workers=0)   # 3 steps per epoch

    def to_arrays(batch):
        images, labels, _ = batch
        return images, np.array([int(label) for label in labels], np.int32)

    expected = [b[1] for e in (1, 2, 3) for b in map(to_arrays, loader.epoch(e))][2:7]   # epoch 1 step 2 on
    source = sink.LoaderBatches(loader, to_arrays, epoch=1, start_step=2, count=5)
    dataset = sink.sink_dataset(source, 2)
    assert dataset.get_dataset_size() == 5
    got = [labels for _, labels in dataset.create_tuple_iterator(output_numpy=True, num_epochs=1)]
    assert len(got) == 5
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def _emulated_sink(calls):
    """What ``ms.data_sink`` does, on the host: each call runs ``sink_size`` steps on the next batches."""
    def make(step_cell, batches, sink_size):
        iterator = iter(batches)

        def run():
            calls.append(sink_size)
            for _ in range(sink_size):
                outputs = step_cell(*[ms.Tensor(a) for a in next(iterator)])
            return outputs
        return run
    return make


def _train(output_dir, overrides, name):
    cfg = load_config(TINY, ["--output_dir", str(output_dir), "--optimizer", "sgd", "--lr", "0.05",
                             "--val", "", *overrides])
    seed_everything(cfg["system"]["seed"])   # both runs start from the same weights
    task.train(cfg, {"rank": 0, "group_size": 1}, get_logger(str(output_dir), name))
    text = open(os.path.join(output_dir, "train.log")).read()
    losses = {int(g): float(v) for g, v in re.findall(r"global (\d+) loss ([\d.]+)", text)}
    saved = sorted(os.listdir(os.path.join(output_dir, "checkpoints")))
    return losses, saved, text


def test_trainer_with_a_sink_takes_the_same_steps_and_saves_at_the_same_steps(tmp_path, monkeypatch):
    common = ["--log_every", "2", "--save_every", "4", "--keep_last", "5", "--max_steps", "8"]
    plain_losses, plain_saved, _ = _train(tmp_path / "plain", common, "plain")

    calls = []
    monkeypatch.setattr(sink, "resolve_sink_size", lambda value, device, log_every: 6)
    monkeypatch.setattr(sink, "mindspore_sink", _emulated_sink(calls))
    sunk_losses, sunk_saved, text = _train(tmp_path / "sunk", common, "sunk")

    assert "data sink: 2 steps per call (asked 6" in text   # gcd with log 2, save 4, run 8
    assert calls == [2, 2, 2, 2]
    assert sunk_saved == plain_saved
    assert sorted(sunk_losses) == sorted(plain_losses) == [2, 4, 6, 8]
    for step in plain_losses:
        assert sunk_losses[step] == pytest.approx(plain_losses[step], abs=2e-4), (step, sunk_losses, plain_losses)

    # Resuming with a sink continues from the checkpoint's step on the batches a plain run would see.
    checkpoint = os.path.join(tmp_path, "plain", "checkpoints", plain_saved[0])
    assert plain_saved[0].endswith("00000004.ckpt")
    resumed_losses, _, _ = _train(tmp_path / "resumed", [*common, "--resume", checkpoint], "resumed")
    assert sorted(resumed_losses) == [6, 8]
    for step in (6, 8):
        assert resumed_losses[step] == pytest.approx(plain_losses[step], abs=2e-4)
