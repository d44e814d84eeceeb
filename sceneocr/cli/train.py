"""Train a model.

    sceneocr train --model crnn                          # CPU default config, synthetic data
    sceneocr train --model crnn --config configs/crnn/crnn_reference.yaml --train /data/mjsynth
    sceneocr train --model crnn --train.resume auto      # continue the newest checkpoint

A folder that holds a run is never reused silently: continue it with --train.resume auto, or start
over with --train.overwrite true (the old run is moved to OUTPUT_DIR.old-<time>, not deleted).
Nothing is written into the folder before the run is validated (datasets open, resume checkpoint fits).
"""
import os
import sys

from sceneocr.cli.common import parse, run_main, task_module
from sceneocr.runtime import setup_run


def main(argv=None):
    args, cfg = parse(argv, __doc__)
    from sceneocr.engine.trainer import check_output_dir, get_logger

    t = cfg["train"]
    # Before MindSpore starts: a refused run costs nothing and writes nothing.
    check_output_dir(t["output_dir"], t.get("resume"), t.get("overwrite", False))
    if t.get("load_from") and not t.get("resume") and not os.path.isfile(t["load_from"]):
        raise FileNotFoundError(f"--train.load_from {t['load_from']}: checkpoint not found")
    system = cfg["system"]
    run = setup_run(system["device_target"], seed=system["seed"], distributed=system["distributed"])

    note = None
    if run["rank"] > 0:
        # Every rank but 0 logs (and, with save_all_ranks, saves) into its own folder.
        shared_output_dir = t["output_dir"]
        t["output_dir"] = os.path.join(shared_output_dir, f"rank_{run['rank']}")
        if t.get("resume") == "auto" and not t.get("save_all_ranks", False):
            # Rank 0 alone wrote checkpoints: every rank continues the one rank 0 continues (else rank 0
            # would resume while the others start afresh, and the ranks' steps and weights would differ).
            from sceneocr.engine.checkpoint import resume_checkpoint

            t["resume"] = resume_checkpoint("auto", shared_output_dir, args.model) or ""
            note = (f"resume=auto: rank 0's {t['resume']}" if t["resume"] else
                    f"resume=auto: no checkpoint in {shared_output_dir} (rank 0's folder: on several machines it "
                    f"must be one shared folder), so this rank starts afresh")
    # No log file yet: the trainer opens train.log once the run is validated.
    logger = get_logger(None, args.model, run["rank"])
    logger.info(f"device {run['device_target']}, rank {run['rank']} of {run['group_size']}")
    if note:
        logger.info(note)
    return task_module(args.model).train(cfg, run, logger)


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
