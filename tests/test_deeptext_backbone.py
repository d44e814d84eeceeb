"""DeepText's backbone config: batch norm, frozen batch norm or none, and frozen early stages."""
import os

import mindspore as ms
import mindspore.nn as nn
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.config import ConfigError, load_config
from sceneocr.data.synth_scenes import SyntheticScenes
from sceneocr.deeptext import DeepTextWithLoss, task
from sceneocr.engine.train_step import TrainStep

TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
DEFAULTS = os.path.join(ROOT, "configs", "deeptext", "deeptext_cpu.yaml")


def tiny_model(*overrides):
    cfg = load_config(TINY, list(overrides), defaults=DEFAULTS)
    ms.set_seed(0)
    return task.build_model(cfg)


def one_training_step(model):
    from sceneocr.data.detection_pipeline import DetectionDataset

    scenes = SyntheticScenes(2, seed=1, height=128, width=192, max_words=3)
    dataset = DetectionDataset(scenes, 128, 192, max_boxes=8)
    items = [dataset.load(i) for i in range(2)]
    batch = [ms.Tensor(np.stack(x)) for x in ([i[0] for i in items], [i[1][0] for i in items], [i[1][1] for i in items])]
    step = TrainStep(DeepTextWithLoss(model), nn.Momentum(model.trainable_params(), 0.01, 0.9), clip_norm=10.0)
    step.set_train()
    step(*batch)


def snapshot(model):
    return {p.name: p.asnumpy().copy() for p in model.get_parameters()}


def test_frozen_stages_get_no_update_and_the_rest_trains():
    model = tiny_model("--model.backbone.norm", "none", "--model.backbone.frozen_stages", "2")
    assert model.backbone.conv_layers()[0][0].has_bias and model.backbone.conv_layers()[0][1] is None
    before = snapshot(model)
    one_training_step(model)
    after = snapshot(model)
    frozen = [n for n in before if n.startswith(("backbone.stage1.", "backbone.stage2."))]
    trained = [n for n in before if n.startswith(("backbone.stage3.", "backbone.stage5.", "rpn_head.", "rcnn_head."))
               and n.endswith(("weight", "bias"))]
    assert len(frozen) == 8 and trained  # 4 convolutions with weight and bias
    assert all(np.array_equal(before[n], after[n]) for n in frozen)
    changed = [n for n in trained if not np.array_equal(before[n], after[n])]
    assert len(changed) == len(trained), sorted(set(trained) - set(changed))
    assert not any(p.name in frozen for p in model.trainable_params())


def test_frozen_batch_norm_is_a_fixed_affine_map(rng):
    from sceneocr.deeptext.backbone import VGG16Backbone

    backbone = VGG16Backbone(width_divisor=8, norm="frozen_bn")
    trainable = {p.name for p in backbone.trainable_params()}
    assert trainable and not any(".gamma" in n or ".beta" in n for n in trainable)
    x = ms.Tensor(rng.normal(0, 1, (2, 3, 32, 32)).astype(np.float32))
    backbone.set_train(False)
    evaluated = backbone(x)[1].asnumpy()
    backbone.set_train(True)
    trained = backbone(x)[1].asnumpy()  # training mode: running statistics still, and none updated
    np.testing.assert_allclose(trained, evaluated, rtol=1e-6)
    assert all(np.array_equal(p.asnumpy(), np.zeros_like(p.asnumpy()))
               for p in backbone.get_parameters() if "moving_mean" in p.name)


def test_trainable_batch_norm_stays_the_default():
    model = tiny_model()
    assert model.backbone.norm == "bn" and model.backbone.frozen_stages == 0
    names = {p.name for p in model.trainable_params()}
    assert "backbone.stage1.1.gamma" in names and "backbone.stage1.0.weight" in names


@pytest.mark.parametrize("key,value,message", [
    ("model.backbone.norm", "batch", "must be one of bn, frozen_bn, none"),
    ("model.backbone.frozen_stages", "6", r"must be in \[0, 5\]"),
])
def test_backbone_keys_are_validated_at_load(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(TINY, [f"--{key}", value], defaults=DEFAULTS)
