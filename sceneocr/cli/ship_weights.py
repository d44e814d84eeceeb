"""Ship a trained model: its weights (float16, no optimizer state, with the config they decode with)
into ``weights/<model>.ckpt``, recorded with their SHA-256 in ``weights/manifest.json``.

    sceneocr ship-weights --model crnn --ckpt runs/crnn_real/checkpoints/best.ckpt --card crnn.md

eval.py, infer.py and OCRPredictor.from_pretrained() then use them when no checkpoint is given.
"""
import argparse
import os



def ship(model, ckpt, card, config=None, folder=None):
    import mindspore as ms

    from sceneocr.cli.common import task_module
    from sceneocr.model_config import resolve_config
    from sceneocr.engine.checkpoint import checkpoint_info, load_checkpoint, save_release_weights
    from sceneocr.weights import WEIGHTS_DIR, register_shipped

    folder = folder or WEIGHTS_DIR
    # An older checkpoint: the run's config.yaml beside it; never a shipped file's release settings.
    cfg = resolve_config(model, ckpt, config, release=False)
    os.makedirs(folder, exist_ok=True)
    destination = os.path.join(folder, f"{model}.ckpt")
    save_release_weights(ckpt, destination, ms.float16, checkpoint_info(cfg, model))
    # The shipped file must load into the model it names, with every parameter.
    task = task_module(model)
    network = task.build_network(cfg, task.build_charset(cfg)) if model == "crnn" else task.build_model(cfg)
    load_checkpoint(destination, network)
    entry, dropped = register_shipped(model, destination, card, folder)
    size = os.path.getsize(destination) / 1e6
    print(f"{destination}: {size:.1f} MB, sha256 {entry['sha256']}")
    if dropped:
        print(f"the previous {model} weights' release settings {dropped} were dropped from "
              f"{os.path.join(folder, 'manifest.json')}: measure the new weights, then add theirs ('config')")
    return destination


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=("crnn", "deeptext"))
    parser.add_argument("--ckpt", required=True, help="the training checkpoint to ship")
    parser.add_argument("--card", required=True, help="model card file name inside weights/ (e.g. crnn.md)")
    parser.add_argument("--config", help="config to record (default: the checkpoint's own, else its run's)")
    args = parser.parse_args()
    from sceneocr.cli.common import run_main

    run_main(lambda: ship(args.model, args.ckpt, args.card, args.config))


if __name__ == "__main__":
    main()
