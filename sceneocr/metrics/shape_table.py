"""Word accuracy by crop shape: where a recogniser's errors lie.

A word crop whose width per letter is small for its height is usually a rotated or steep word framed by an
upright box (ICDAR 2015's word crops, a horizontal detector's boxes); a short crop is a small word in its photo.
"""
from bisect import bisect_right

from sceneocr.metrics.text import standard_normalize

# Width per letter, as a fraction of the crop height; and crop height in pixels. Each bin is [edge, next edge).
WIDTH_PER_LETTER_EDGES = (0.0, 0.25, 0.4, 0.6)
HEIGHT_EDGES = (0, 12, 18, 26, 40)


def _bin_names(edges, unit=""):
    names = [f"{low:g}-{high:g}{unit}" for low, high in zip(edges, edges[1:])]
    return names + [f">= {edges[-1]:g}{unit}"]


def accuracy_by_shape(samples):
    """``samples``: (label, prediction, crop height, crop width) tuples. Returns {"width_per_letter": rows,
    "height": rows}, each row (bin name, right, total), right under the standard protocol."""
    tables = {}
    for name, edges, unit, measure in [
            ("width_per_letter", WIDTH_PER_LETTER_EDGES, "",
             lambda label, h, w: (w / max(h, 1)) / max(len(standard_normalize(label)), 1)),
            ("height", HEIGHT_EDGES, " px", lambda label, h, w: h)]:
        counts = [[0, 0] for _ in edges]
        for label, text, h, w in samples:
            k = max(bisect_right(edges, measure(label, h, w)) - 1, 0)
            counts[k][1] += 1
            counts[k][0] += standard_normalize(text) == standard_normalize(label)
        tables[name] = [(bin_name, right, total) for bin_name, (right, total) in zip(_bin_names(edges, unit), counts)]
    return tables
