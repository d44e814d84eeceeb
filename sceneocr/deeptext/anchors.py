"""Anchor generation: ``len(scales) * len(ratios)`` anchors centred on every feature-map cell."""
import numpy as np


class AnchorGenerator:
    """Anchors for one feature level, as (x1, y1, x2, y2) in input-image pixels.

    An anchor of scale ``s`` and ratio ``r`` (height / width) has area ``(base_size * s) ** 2``,
    width ``base_size * s / sqrt(r)`` and height ``base_size * s * sqrt(r)``. Anchors are ordered
    (y, x, anchor), matching a head output of shape (H, W, A) flattened row-major.
    """

    def __init__(self, stride=16, scales=(2, 4, 6, 8, 12), ratios=(0.2, 0.5, 0.8, 1.0, 1.2, 1.5), base_size=None):
        self.stride = stride
        self.scales = tuple(float(s) for s in scales)
        self.ratios = tuple(float(r) for r in ratios)
        self.base_size = float(base_size or stride)

    @property
    def num_anchors(self):
        return len(self.scales) * len(self.ratios)

    def base_anchors(self):
        """(A, 4) anchors centred on (0, 0); ratios vary fastest."""
        rows = []
        for scale in self.scales:
            for ratio in self.ratios:
                w = self.base_size * scale / np.sqrt(ratio)
                h = self.base_size * scale * np.sqrt(ratio)
                rows.append([-w / 2, -h / 2, w / 2, h / 2])
        return np.array(rows, dtype=np.float32)

    def grid_anchors(self, height, width):
        """(height * width * A, 4) anchors for a feature map, centred at ((x + 0.5) * stride, ...)."""
        xs = (np.arange(width, dtype=np.float32) + 0.5) * self.stride
        ys = (np.arange(height, dtype=np.float32) + 0.5) * self.stride
        cx, cy = np.meshgrid(xs, ys)
        shifts = np.stack([cx, cy, cx, cy], axis=-1).reshape(-1, 1, 4)
        return (shifts + self.base_anchors()[None]).reshape(-1, 4)
