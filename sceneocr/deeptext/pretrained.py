"""Load ImageNet VGG16 weights into DeepText's backbone (``train.pretrained``).

Two kinds of file:

* VGG16 weights that :mod:`sceneocr.vgg16_weights` reads: a checkpoint from ``scripts/convert_vgg16.py``
  (``vgg16.conv1_1.weight`` ...), or the ONNX / wheel / torchvision / Keras file itself. The 13
  convolutions go to conv1_1 ... conv5_3 in order, in DeepText's input convention. With
  ``model.backbone.norm: none`` the biases are the convolutions' biases; with batch norm (the
  convolutions have none) each batch norm starts as the identity plus the bias (gamma 1, beta = bias,
  mean 0, variance 1 - eps), so frozen_bn computes exactly the ImageNet network.
* Any other MindSpore checkpoint (e.g. the model zoo's VGG16-BN): parameters are matched by name first
  (``backbone.stageK.I.weight`` or the same without ``backbone.``), then in order of appearance by role
  (convolution weights, batch-norm gamma/beta/mean/variance) when the shapes agree.

A file of which nothing fits, or whose VGG16 convolutions do not have the backbone's shapes (a narrowed
variant), is an error with counts, never a silent random initialisation.
"""
import os

import mindspore as ms
import numpy as np

from sceneocr.vgg16_weights import CHECKPOINT_PREFIX, LAYER_NAMES, IMAGENET_RGB, WeightsError, load_vgg16_convs

ROLES = ("weight", "gamma", "beta", "moving_mean", "moving_variance")
# DeepText's pipeline normalises RGB by ImageNet's mean and std (sceneocr/data/detection_pipeline.py).
DEEPTEXT_INPUT = IMAGENET_RGB


def _role(name):
    last = name.rsplit(".", 1)[-1]
    return last if last in ROLES else None


def assign_vgg16(backbone, convs, where, log=print):
    """Copy 13 ``(weight, bias)`` pairs into the backbone's convolutions (see the module docstring)."""
    layers = backbone.conv_layers()
    misfits = [f"{name} {tuple(w.shape)} vs {tuple(conv.weight.shape)}"
               for name, (conv, _), (w, _) in zip(LAYER_NAMES, layers, convs) if tuple(conv.weight.shape) != w.shape]
    if len(layers) != len(convs) or misfits:
        raise ValueError(f"{where}: {len(misfits) or abs(len(layers) - len(convs))} of {len(convs)} VGG16 "
                         f"convolutions do not fit the backbone ({'; '.join(misfits[:2]) or 'layer count'}); "
                         "a narrowed variant (width_divisor > 1) cannot take ImageNet VGG16")
    for (conv, norm), (weight, bias) in zip(layers, convs):
        conv.weight.set_data(ms.Tensor(weight, conv.weight.dtype))
        if conv.has_bias:
            conv.bias.set_data(ms.Tensor(bias, conv.bias.dtype))
        else:
            width = bias.shape[0]
            norm.gamma.set_data(ms.Tensor(np.ones(width, np.float32)))
            norm.beta.set_data(ms.Tensor(bias.astype(np.float32)))
            norm.moving_mean.set_data(ms.Tensor(np.zeros(width, np.float32)))
            norm.moving_variance.set_data(ms.Tensor(np.full(width, 1.0 - norm.eps, np.float32)))
    into = "convolution biases" if backbone.norm == "none" else "batch-norm offsets (identity batch norms)"
    log(f"pretrained {where}: VGG16 conv1_1 ... conv5_3 -> backbone ({len(convs)} convolutions; "
        f"biases as {into}; norm {backbone.norm}, frozen stages {backbone.frozen_stages})")


def _load_by_name_and_role(model, source, path, log):
    targets = {p.name: p for p in model.backbone.get_parameters()}
    assigned, used = {}, set()
    for name, param in targets.items():
        for candidate in (name, name[len("backbone."):]):
            if candidate in source and tuple(source[candidate].shape) == tuple(param.shape):
                assigned[name], _ = source[candidate], used.add(candidate)
                break
    for role in ROLES:
        wanted = [n for n in targets if _role(n) == role and n not in assigned]
        offered = [n for n in source if _role(n) == role and n not in used and len(source[n].shape) == len(targets[wanted[0]].shape)] if wanted else []
        for name, candidate in zip(wanted, offered):
            if tuple(source[candidate].shape) == tuple(targets[name].shape):
                assigned[name] = source[candidate]
                used.add(candidate)
    if not assigned:
        raise ValueError(f"{path}: none of its {len(source)} parameters fits the {len(targets)} backbone "
                         "parameters (use scripts/convert_vgg16.py for ImageNet VGG16 files)")
    for name, value in assigned.items():
        targets[name].set_data(value.astype(targets[name].dtype) if hasattr(value, "astype") else value)
    missing = sorted(set(targets) - set(assigned))
    unexpected = sorted(n for n in source if n not in used)
    log(f"pretrained {path}: loaded {len(assigned)} of {len(targets)} backbone parameters")
    if missing:
        log(f"  missing ({len(missing)}): {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    if unexpected:
        log(f"  unexpected ({len(unexpected)}): {', '.join(unexpected[:8])}{' ...' if len(unexpected) > 8 else ''}")
    return missing, unexpected


def load_backbone(model, path, log=print):
    """Initialise ``model.backbone`` from ``path``; returns (missing, unexpected) parameter names."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: pretrained weights not found (python scripts/convert_vgg16.py --download "
                         f"--output {path} writes ImageNet VGG16 there)")
    source = None
    if str(path).lower().endswith(".ckpt"):
        try:
            source = ms.load_checkpoint(path)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ValueError(f"{path}: not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None
    if source is None or f"{CHECKPOINT_PREFIX}{LAYER_NAMES[0]}.weight" in source:
        try:
            convs = load_vgg16_convs(path, convention=DEEPTEXT_INPUT)
        except WeightsError as exc:
            raise ValueError(str(exc)) from None
        assign_vgg16(model.backbone, convs, path, log)
        return [], []
    return _load_by_name_and_role(model, source, path, log)
