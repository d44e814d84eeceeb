"""Train a model.

    python train.py --model crnn                          # CPU default config, synthetic data
    python train.py --model crnn --config configs/crnn/crnn_reference.yaml --train /data/mjsynth
    python train.py --model crnn --train.resume auto      # continue the newest checkpoint
"""
import os
import sys

from src.cli import parse, run_main, task_module
from src.runtime import setup_run


def main(argv=None):
    args, cfg = parse(argv, __doc__)
    system = cfg["system"]
    run = setup_run(system["device_target"], seed=system["seed"], distributed=system["distributed"])

    from src.engine.trainer import get_logger

    if run["rank"] > 0:
        # Every rank but 0 logs (and, with save_all_ranks, saves) into its own folder.
        cfg["train"]["output_dir"] = os.path.join(cfg["train"]["output_dir"], f"rank_{run['rank']}")
    logger = get_logger(cfg["train"]["output_dir"], args.model, run["rank"])
    logger.info(f"device {run['device_target']}, rank {run['rank']} of {run['group_size']}")
    return task_module(args.model).train(cfg, run, logger)


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
