"""Batched detection: a DeepText (checkpoint or MINDIR) -> boxes in original image coordinates; several input
sizes merged into one answer (multi-scale testing)."""
import numpy as np

from sceneocr.data.detection_pipeline import normalize, resize
from sceneocr.geometry import box_area, pairwise_intersection


class TextDetector:
    """Runs a runner (:mod:`sceneocr.runners`; or a MindSpore cell) mapping images (N, 3, H, W) to (boxes, scores,
    classes, valid) on RGB images, and gives boxes in their pixels."""

    def __init__(self, runner, height, width, keep_ratio=True, score_threshold=0.5, box_scale=(1.0, 1.0)):
        from sceneocr.runners import as_runner

        self.runner = as_runner(runner)
        self.height, self.width = height, width
        self.keep_ratio = keep_ratio
        self.score_threshold = score_threshold
        self.box_scale = tuple(float(v) for v in box_scale)

    @property
    def backend(self):
        return self.runner.backend

    def preprocess(self, rgb):
        image, _, scale = resize(rgb, np.zeros((0, 4), np.float32), self.height, self.width, self.keep_ratio)
        return normalize(image), scale

    def detect_batch(self, batch, scales, sizes):
        """batch: preprocessed (N, 3, H, W); returns per image dicts of boxes, scores, classes."""
        boxes, scores, classes, valid = self.runner(batch)
        results = []
        for i, ((sx, sy), (h, w)) in enumerate(zip(scales, sizes)):
            keep = valid[i] & (scores[i] >= self.score_threshold)
            b = boxes[i][keep] / np.array([sx, sy, sx, sy], np.float32)
            b = scale_boxes(b, *self.box_scale, w, h)
            results.append({"boxes": b, "scores": scores[i][keep], "classes": classes[i][keep]})
        return results

    def detect(self, images, batch_size=1):
        """images: list of RGB uint8 arrays."""
        results = []
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            prepared = [self.preprocess(img) for img in chunk]
            batch = np.stack([p[0] for p in prepared])
            pad = batch_size - len(chunk)
            if pad:
                batch = np.concatenate([batch, np.repeat(batch[-1:], pad, axis=0)])
            out = self.detect_batch(batch, [p[1] for p in prepared] + [(1, 1)] * pad,
                                    [img.shape[:2] for img in chunk] + [(1, 1)] * pad)
            results.extend(out[:len(chunk)])
        return results


def scale_boxes(boxes, scale_x, scale_y, width, height):
    """(N, 4) x1, y1, x2, y2 boxes widened by ``scale_x`` and heightened by ``scale_y`` about their centres, then
    clipped to a ``width`` x ``height`` image. ``eval.box_scale``: the margin a dataset's annotators leave round
    a word differs from the tight boxes painted training text teaches (scripts/tune_box_scale.py fits it)."""
    # Clipped before and after: a box reaching past the image (into its padding) grows from the part inside, the
    # same whether it comes from one input size or from several merged (those are clipped as found).
    limits = np.array([width, height, width, height], np.float32)
    boxes = np.clip(np.asarray(boxes, np.float32).reshape(-1, 4), 0, limits)
    if (scale_x, scale_y) != (1.0, 1.0):
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        halves = (boxes[:, 2:] - boxes[:, :2]) / 2 * np.array([scale_x, scale_y], np.float32)
        boxes = np.clip(np.concatenate([centres - halves, centres + halves], axis=1), 0, limits)
    return boxes


def scaled_size(height, width, scale, multiple=16):
    """The input size ``scale`` times (height, width), rounded to a multiple of the backbone's stride."""
    return (max(multiple, int(round(height * scale / multiple)) * multiple),
            max(multiple, int(round(width * scale / multiple)) * multiple))


def suppress_contained(boxes, scores, overlap=0.5):
    """Indices of the boxes kept, best score first: a box goes when more than ``overlap`` of the smaller of it
    and a kept box lies in both (the same word found at two input sizes, or a piece of a word already kept).
    Intersection over the smaller box, not IoU: a word cut short at one size barely overlaps the whole word
    found at the other by IoU."""
    # Every pair once, then a greedy pass in score order (a photo has tens of boxes, not thousands).
    areas = box_area(boxes)
    shared = pairwise_intersection(boxes, boxes) > overlap * np.maximum(np.minimum.outer(areas, areas), 1e-6)
    kept = []
    for i in np.argsort(-np.asarray(scores), kind="stable"):
        if not shared[i, kept].any():
            kept.append(int(i))
    return np.asarray(kept, np.int64)


class MultiScaleDetector:
    """The same detector at several input sizes (``detectors``: one :class:`TextDetector` each) with their boxes
    merged by :func:`suppress_contained`: small words are found at the larger size, large ones at the smaller."""

    def __init__(self, detectors, overlap=0.5, box_scale=(1.0, 1.0)):
        self.detectors = list(detectors)
        self.overlap = overlap
        # Boxes are merged as found and scaled once merged (the sizes' own detectors keep box_scale 1, 1).
        self.box_scale = tuple(float(v) for v in box_scale)
        if any(getattr(d, "box_scale", (1.0, 1.0)) != (1.0, 1.0) for d in self.detectors):
            raise ValueError("MultiScaleDetector: give box_scale to it, not to the detectors it merges")

    @property
    def backend(self):
        """The sizes' backends, e.g. ``onnxruntime-int8/onnxruntime`` where one size fell back."""
        return "/".join(dict.fromkeys(getattr(d, "backend", "mindspore") for d in self.detectors))

    def detect(self, images, batch_size=1):
        results = []
        for image, found in zip(images, zip(*(d.detect(images, batch_size) for d in self.detectors))):
            merged = {key: np.concatenate([f[key] for f in found]) for key in ("boxes", "scores", "classes")}
            keep = suppress_contained(merged["boxes"], merged["scores"], self.overlap)
            result = {key: value[keep] for key, value in merged.items()}
            if self.box_scale != (1.0, 1.0):
                result["boxes"] = scale_boxes(result["boxes"], *self.box_scale, image.shape[1], image.shape[0])
            results.append(result)
        return results
