"""Batched detection: a DeepText (checkpoint or MINDIR) -> boxes in original image coordinates."""
import numpy as np

from src.data.detection_pipeline import normalize, resize


class TextDetector:
    """Wraps a cell mapping images (N, 3, H, W) to (boxes, scores, classes, valid)."""

    def __init__(self, predict_cell, height, width, keep_ratio=True, score_threshold=0.5):
        self.predict_cell = predict_cell
        self.height, self.width = height, width
        self.keep_ratio = keep_ratio
        self.score_threshold = score_threshold

    def preprocess(self, rgb):
        image, _, scale = resize(rgb, np.zeros((0, 4), np.float32), self.height, self.width, self.keep_ratio)
        return normalize(image), scale

    def detect_batch(self, batch, scales, sizes):
        """batch: preprocessed (N, 3, H, W); returns per image dicts of boxes, scores, classes."""
        import mindspore as ms

        boxes, scores, classes, valid = (o.asnumpy() for o in self.predict_cell(ms.Tensor(batch)))
        results = []
        for i, ((sx, sy), (h, w)) in enumerate(zip(scales, sizes)):
            keep = valid[i] & (scores[i] >= self.score_threshold)
            b = boxes[i][keep] / np.array([sx, sy, sx, sy], np.float32)
            b = np.clip(b, 0, [w, h, w, h])
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
