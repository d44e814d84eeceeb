"""Detection datasets to MindRecord and back.

    python -m sceneocr.data.mindrecord --dataset "{format: ic13, images: IMGS, annotations: GTS}" --output data/ic13.mindrecord

Each record holds the encoded image, its boxes and do-not-care flags. In a distributed run only rank 0
writes; the other ranks wait for the finished file (with a timeout and a clear error). Reading loads the
records into memory, which suits ICDAR-sized sets; very large sets are better read from their own
format with the readers in ``sceneocr.data.detection``.
"""
import argparse
import os
import sys
import time

import numpy as np
import yaml

from sceneocr.data.convert import progress
from sceneocr.data.detection import DetectionSample, read_detection_dataset
from sceneocr.data.mindrecord_store import SCHEMA, read_records


def write_mindrecord(samples, output, chunk=64):
    from mindspore.mindrecord import FileWriter

    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    writer = FileWriter(output, shard_num=1, overwrite=True)
    writer.add_schema(SCHEMA, "scene-text detection")
    rows = []
    for sample in progress(samples, total=len(samples), desc="mindrecord"):
        with open(sample.image_path, "rb") as handle:
            image = handle.read()
        rows.append({"name": os.path.basename(sample.image_path), "image": image,
                     "boxes": np.asarray(sample.boxes, np.float32).reshape(-1, 4),
                     "ignore": np.asarray(sample.ignore, np.int32).reshape(-1)})
        if len(rows) == chunk:
            writer.write_raw_data(rows)
            rows = []
    if rows:
        writer.write_raw_data(rows)
    writer.commit()
    return output


def read_mindrecord(path):
    """[DetectionSample] holding the encoded images; they are decoded when loaded."""
    return [DetectionSample(**record) for record in read_records(path)]


def convert_for_rank(spec, output, rank=0, timeout=1800, poll=5.0):
    """Rank 0 converts; the others wait until the file is complete (its .db index exists)."""
    if rank == 0:
        samples, missing = read_detection_dataset(spec)
        if missing:
            print(f"{len(missing)} annotated images not found, e.g. {missing[0]}", file=sys.stderr)
        return write_mindrecord(samples, output)
    deadline = time.time() + timeout
    while not (os.path.isfile(output) and os.path.isfile(output + ".db")):
        if time.time() > deadline:
            raise TimeoutError(f"{output}: rank {rank} waited {timeout:.0f} s for rank 0 to write the MindRecord file")
        time.sleep(poll)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="YAML mapping: {format, images, annotations[, split]}")
    parser.add_argument("--output", required=True)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds ranks > 0 wait for rank 0")
    args = parser.parse_args(argv)
    rank = int(os.environ.get("RANK_ID", os.environ.get("RANK", 0)))
    try:
        path = convert_for_rank(yaml.safe_load(args.dataset), args.output, rank, args.timeout)
    except (ValueError, FileNotFoundError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"rank {rank}: {path} ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
