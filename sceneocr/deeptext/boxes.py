"""Box arithmetic in MindSpore ops (graph-friendly, static shapes); the NumPy twins live in sceneocr.geometry.

Boxes are (x1, y1, x2, y2) in pixels; widths are x2 - x1 (continuous coordinates).
"""
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np

from sceneocr.geometry import pairwise_iou as pairwise_iou_np  # noqa: F401  (the NumPy twin, kept under its old name)


def _pairwise_overlap(boxes_a, boxes_b):
    """(intersection (A, B), area of each box of A (A, 1), area of each box of B (1, B))."""
    a = boxes_a.expand_dims(1)
    b = boxes_b.expand_dims(0)
    width = ops.relu(ops.minimum(a[..., 2], b[..., 2]) - ops.maximum(a[..., 0], b[..., 0]))
    height = ops.relu(ops.minimum(a[..., 3], b[..., 3]) - ops.maximum(a[..., 1], b[..., 1]))
    return width * height, (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]), (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def pairwise_iou(boxes_a, boxes_b):
    """IoU matrix (A, B) of two box sets (MindSpore tensors)."""
    inter, area_a, area_b = _pairwise_overlap(boxes_a, boxes_b)
    return inter / ops.maximum(area_a + area_b - inter, 1e-6)


def pairwise_iof(boxes_a, boxes_b):
    """Intersection over the area of each box of ``boxes_a``, matrix (A, B): how much of it lies in each of B."""
    inter, area_a, _ = _pairwise_overlap(boxes_a, boxes_b)
    return inter / ops.maximum(area_a, 1e-6)


class BoxCoder(nn.Cell):
    """Faster R-CNN box deltas (dx, dy, dw, dh), normalised by ``means`` and ``stds``."""

    def __init__(self, means=(0.0, 0.0, 0.0, 0.0), stds=(1.0, 1.0, 1.0, 1.0), max_ratio=float(np.log(1000 / 16))):
        super().__init__()
        self.means = tuple(float(m) for m in means)
        self.stds = tuple(float(s) for s in stds)
        self.max_ratio = max_ratio

    def encode(self, anchors, targets):
        aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
        ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
        tw, th = targets[:, 2] - targets[:, 0], targets[:, 3] - targets[:, 1]
        tx, ty = targets[:, 0] + 0.5 * tw, targets[:, 1] + 0.5 * th
        aw, ah = ops.maximum(aw, 1e-3), ops.maximum(ah, 1e-3)
        deltas = (
            ((tx - ax) / aw - self.means[0]) / self.stds[0],
            ((ty - ay) / ah - self.means[1]) / self.stds[1],
            (ops.log(ops.maximum(tw, 1e-3) / aw) - self.means[2]) / self.stds[2],
            (ops.log(ops.maximum(th, 1e-3) / ah) - self.means[3]) / self.stds[3],
        )
        return ops.stack(deltas, axis=1)

    def decode(self, anchors, deltas, image_height, image_width):
        """Apply deltas to anchors and clip the boxes to the image."""
        aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
        ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
        dx = deltas[:, 0] * self.stds[0] + self.means[0]
        dy = deltas[:, 1] * self.stds[1] + self.means[1]
        dw = ops.clip_by_value(deltas[:, 2] * self.stds[2] + self.means[2], -self.max_ratio, self.max_ratio)
        dh = ops.clip_by_value(deltas[:, 3] * self.stds[3] + self.means[3], -self.max_ratio, self.max_ratio)
        cx, cy = ax + dx * aw, ay + dy * ah
        w, h = aw * ops.exp(dw), ah * ops.exp(dh)
        x1 = ops.clip_by_value(cx - 0.5 * w, 0.0, image_width)
        y1 = ops.clip_by_value(cy - 0.5 * h, 0.0, image_height)
        x2 = ops.clip_by_value(cx + 0.5 * w, 0.0, image_width)
        y2 = ops.clip_by_value(cy + 0.5 * h, 0.0, image_height)
        return ops.stack((x1, y1, x2, y2), axis=1)
