"""Axis-aligned box geometry in NumPy, shared by data readers, metrics and models.

Boxes are (x1, y1, x2, y2) in pixels with continuous coordinates (width = x2 - x1). This module imports
no model package, so ``src.data`` and ``src.metrics`` can use it without pulling in a network.
"""
import numpy as np


def as_boxes(boxes):
    """Any box-like input as a float64 (N, 4) array."""
    return np.asarray(boxes, np.float64).reshape(-1, 4)


def box_area(boxes):
    """(N,) areas; inverted boxes have area 0."""
    boxes = as_boxes(boxes)
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def pairwise_intersection(a, b):
    """(A, B) intersection areas of two box sets."""
    a, b = as_boxes(a)[:, None], as_boxes(b)[None]
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    return w * h


def pairwise_iou(a, b):
    """(A, B) intersection over union; 0 where the union is empty."""
    inter = pairwise_intersection(a, b)
    union = box_area(a)[:, None] + box_area(b)[None] - inter
    return inter / np.maximum(union, 1e-6)


def clip_boxes(boxes, width, height):
    """Boxes clipped to an image of ``width`` x ``height`` (NaN stays NaN: see :func:`valid_boxes`)."""
    return np.clip(as_boxes(boxes), 0, [width, height, width, height])


def valid_boxes(boxes, min_size=1.0):
    """(N,) mask of finite boxes at least ``min_size`` pixels wide and high."""
    boxes = as_boxes(boxes)
    finite = np.isfinite(boxes).all(axis=1)
    with np.errstate(invalid="ignore"):
        return finite & (boxes[:, 2] - boxes[:, 0] >= min_size) & (boxes[:, 3] - boxes[:, 1] >= min_size)
