"""Ship int8 calibration ranges with the released weights, so that every checkout builds the same int8 models.

    sceneocr calibrate --model crnn          # at each of the release's input widths (eval.rec_widths)
    sceneocr calibrate --model deeptext      # at each of the release's input sizes (eval.test_scales)

The ranges are computed on the training images under ../shared/train (the way the int8 backend calibrates
where no ranges are shipped) and written to weights/<model>.calibration.json, named with its SHA-256 in
weights/manifest.json. Run it after ``sceneocr ship-weights``, which drops the ranges of the weights it replaces.
"""
import argparse
import sys

from sceneocr.cli.common import run_main


def release_inputs(model, cfg):
    """[(config at one release input size, exported batch size)]: the sizes the shipped model runs at."""
    from sceneocr.backends import CROP_BATCH, with_width

    if model == "crnn":
        widths = (cfg.get("eval") or {}).get("rec_widths") or [cfg["image"]["width"]]
        return [(with_width(cfg, width), CROP_BATCH) for width in widths]
    from sceneocr.deeptext.task import at_scale

    return [(at_scale(cfg, scale), 1) for scale in (cfg["eval"].get("test_scales") or [1.0])]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=("crnn", "deeptext"))
    args = parser.parse_args(argv)
    from sceneocr.backends import CALIBRATION, calibration_ranges, input_shape_key
    from sceneocr.model_config import resolve_config
    from sceneocr.runtime import setup_run
    from sceneocr.weights import register_calibration, shipped_checkpoint

    ckpt = shipped_checkpoint(args.model)
    cfg = resolve_config(args.model, ckpt)
    setup_run(cfg["system"]["device_target"], seed=cfg["system"]["seed"])
    ranges = {}
    for sized, batch_size in release_inputs(args.model, cfg):
        key = input_shape_key(args.model, sized)
        ranges[key] = calibration_ranges(args.model, sized, ckpt, batch_size)
        print(f"{args.model} at {key}: ranges of {len(ranges[key].get('data', ranges[key]))} tensors")
    path = register_calibration(args.model, ranges, CALIBRATION[args.model][0])
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
