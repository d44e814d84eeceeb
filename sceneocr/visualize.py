"""Drawing results onto images (PNG files)."""
import os

import cv2
import numpy as np


def _save(image_rgb, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: cannot write image")
    return path


def draw_detections(image, boxes, gt_boxes=None, gt_ignore=None, path=None):
    """Predictions in red, ground truth in green (do-not-care in grey)."""
    canvas = np.ascontiguousarray(image.copy())
    thickness = max(1, round(max(canvas.shape[:2]) / 500))
    if gt_boxes is not None:
        ignore = np.zeros(len(gt_boxes), bool) if gt_ignore is None else np.asarray(gt_ignore, bool)
        for box, dont_care in zip(np.asarray(gt_boxes).reshape(-1, 4).astype(int), ignore):
            cv2.rectangle(canvas, tuple(box[:2]), tuple(box[2:]), (160, 160, 160) if dont_care else (0, 200, 0), thickness)
    for box in np.asarray(boxes).reshape(-1, 4).astype(int):
        cv2.rectangle(canvas, tuple(box[:2]), tuple(box[2:]), (230, 0, 0), thickness)
    return _save(canvas, path) if path else canvas
