"""The detection MindRecord layout and its reader, below both ``sceneocr.data.detection`` (which reads
``{format: mindrecord}`` datasets) and ``sceneocr.data.mindrecord`` (which converts datasets into it), so that
neither of those two imports the other's importer.
"""
import os

import numpy as np

SCHEMA = {"name": {"type": "string"}, "image": {"type": "bytes"}, "boxes": {"type": "float32", "shape": [-1, 4]},
          "ignore": {"type": "int32", "shape": [-1]}}


def read_records(path):
    """The file's records as keyword arguments of ``DetectionSample`` (encoded images; decoded when loaded)."""
    from mindspore.mindrecord import FileReader

    if not os.path.isfile(path) or not os.path.isfile(path + ".db"):
        raise FileNotFoundError(f"{path}: MindRecord file (and its .db index) not found")
    reader = FileReader(path)
    records = []
    try:
        for row in reader.get_next():
            records.append({"image_path": f"{path}:{row['name']}",
                            "boxes": np.asarray(row["boxes"], np.float32).reshape(-1, 4),
                            "ignore": np.asarray(row["ignore"]).astype(bool).reshape(-1), "texts": [],
                            "encoded": bytes(row["image"])})
    finally:
        reader.close()
    return records
