"""Axis-aligned box geometry in NumPy, shared by data readers, metrics and models, and the few quadrilateral
operations that scoring against ICDAR 2015's quadrilaterals needs.

Boxes are (x1, y1, x2, y2) in pixels with continuous coordinates (width = x2 - x1); quadrilaterals are
(x1, y1, ..., x4, y4), corners in order. This module imports
no model package, so ``sceneocr.data`` and ``sceneocr.metrics`` can use it without pulling in a network.
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


def crop_with_margin(image, box, margin):
    """Crop ``box`` enlarged by ``margin`` x its height on every side, clamped to the image."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    pad = margin * max(y2 - y1, 1.0)
    x1, y1 = int(max(0, np.floor(x1 - pad))), int(max(0, np.floor(y1 - pad)))
    x2, y2 = int(min(w, np.ceil(x2 + pad))), int(min(h, np.ceil(y2 + pad)))
    return image[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]


def warp_quad_upright(image, quad):
    """The quadrilateral ``quad`` (4 corners in pixel indices, clockwise from the start of the text's top edge) of
    ``image`` warped to an upright rectangle as long and as high as its mean edges, corner pixels included: a
    rotated or foreshortened word, level."""
    import cv2

    corners = np.asarray(quad, np.float32).reshape(4, 2)
    width = 0.5 * (np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3]))
    height = 0.5 * (np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1]))
    width, height = int(round(width)) + 1, int(round(height)) + 1
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def as_quads(quads):
    """Any quadrilateral-like input as a float64 (N, 4, 2) array of corners."""
    return np.asarray(quads, np.float64).reshape(-1, 4, 2)


def box_corners(boxes):
    """(N, 4, 2) corners of axis-aligned boxes, clockwise from the top left."""
    b = as_boxes(boxes)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


def polygon_area(points):
    """Area of a simple polygon given as (K, 2) corners in order (shoelace), whichever the direction."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if len(points) < 3:
        return 0.0
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def clip_polygon_to_box(points, box):
    """The part of polygon ``points`` (K, 2) inside the axis-aligned ``box`` (Sutherland-Hodgman: a convex
    clip region, so any simple subject polygon is clipped right)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    polygon = [tuple(p) for p in np.asarray(points, np.float64).reshape(-1, 2)]
    # Each edge of the box: (is the point inside, where the segment a-b crosses the edge).
    edges = [
        (lambda p: p[0] >= x1, lambda a, b: (x1, a[1] + (b[1] - a[1]) * (x1 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[0] <= x2, lambda a, b: (x2, a[1] + (b[1] - a[1]) * (x2 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[1] >= y1, lambda a, b: (a[0] + (b[0] - a[0]) * (y1 - a[1]) / (b[1] - a[1]), y1)),
        (lambda p: p[1] <= y2, lambda a, b: (a[0] + (b[0] - a[0]) * (y2 - a[1]) / (b[1] - a[1]), y2)),
    ]
    for inside, cross in edges:
        if not polygon:
            break
        clipped = []
        for k, current in enumerate(polygon):
            previous = polygon[k - 1]
            if inside(current):
                if not inside(previous):
                    clipped.append(cross(previous, current))
                clipped.append(current)
            elif inside(previous):
                clipped.append(cross(previous, current))
        polygon = clipped
    return np.array(polygon, np.float64).reshape(-1, 2)


def pairwise_box_quad_intersection(boxes, quads):
    """(A, B) areas where axis-aligned ``boxes`` overlap quadrilaterals ``quads``."""
    boxes, quads = as_boxes(boxes), as_quads(quads)
    out = np.zeros((len(boxes), len(quads)))
    if not len(boxes) or not len(quads):
        return out
    hull = np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)
    candidates = pairwise_intersection(boxes, hull) > 0  # only pairs whose bounding boxes meet need clipping
    for a, b in zip(*np.nonzero(candidates)):
        out[a, b] = polygon_area(clip_polygon_to_box(quads[b], boxes[a]))
    return out


def pairwise_box_quad_iou(boxes, quads):
    """(A, B) intersection over union of axis-aligned ``boxes`` and quadrilaterals ``quads``."""
    inter = pairwise_box_quad_intersection(boxes, quads)
    quad_areas = np.array([polygon_area(q) for q in as_quads(quads)])
    union = box_area(boxes)[:, None] + quad_areas[None] - inter
    return inter / np.maximum(union, 1e-6)
