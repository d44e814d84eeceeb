"""Evaluation metrics shared by every model."""
import json
import os

# The results key of one result over all evaluated datasets (their counts added, not their metrics averaged).
POOLED = "pooled"


def write_report(path, report):
    """Write an evaluation report as JSON, creating its folder."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1)
