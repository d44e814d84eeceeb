"""Synthetic scenes for text detection: words (and distractor shapes) rendered on varied backgrounds with
exact word boxes. Scene ``i`` of seed ``s`` is a pure function of ``(s, i)``."""
import cv2
import numpy as np
from PIL import Image, ImageDraw

from sceneocr.data.detection import DetectionSample
from sceneocr.data.render import (contrasting_color, discover_fonts, group_by_family, load_font, pick_font,
                             random_background, random_color, sample_text, text_mask)


def _distractors(rng, img, count):
    """Lines, rectangles and ellipses: text-like clutter that is not text."""
    canvas = Image.fromarray(img)
    draw = ImageDraw.Draw(canvas)
    h, w = img.shape[:2]
    for _ in range(count):
        colour = tuple(int(c) for c in random_color(rng))
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(5, w // 3)), y0 + int(rng.integers(5, h // 3))
        kind = rng.random()
        if kind < 0.35:
            draw.line([(x0, y0), (x1, y1)], fill=colour, width=int(rng.integers(1, 5)))
        elif kind < 0.7:
            draw.rectangle([x0, y0, x1, y1], outline=colour if rng.random() < 0.5 else None,
                           fill=None if rng.random() < 0.5 else colour, width=int(rng.integers(1, 4)))
        else:
            draw.ellipse([x0, y0, x1, y1], outline=colour, width=int(rng.integers(1, 4)))
    return np.asarray(canvas).copy()


class SyntheticScenes:
    """Scenes of ``height`` x ``width`` with 1..``max_words`` non-overlapping words of varied size."""

    def __init__(self, num_samples=1000, seed=0, height=320, width=512, max_words=10, min_text_height=10,
                 max_text_height=64, font_dirs=(), fonts=None):
        self.num_samples, self.seed = int(num_samples), int(seed)
        self.height, self.width = height, width
        self.max_words = max_words
        self.min_text_height, self.max_text_height = min_text_height, max_text_height
        # ``fonts`` (explicit files) makes scenes independent of what the machine has installed.
        self.families = group_by_family(tuple(fonts) if fonts else discover_fonts(tuple(font_dirs)))

    def __len__(self):
        return self.num_samples

    def __getitem__(self, index):
        if not 0 <= index < self.num_samples:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index, 3])
        h, w = self.height, self.width
        img = random_background(rng, h, w).astype(np.uint8)
        img = _distractors(rng, img, int(rng.integers(0, 8)))
        occupied = np.zeros((h, w), bool)
        boxes, texts = [], []
        wanted = int(rng.integers(1, self.max_words + 1))
        for _attempt in range(4 * wanted):
            if len(boxes) == wanted:
                break
            text = sample_text(rng, max_length=14)
            size = int(rng.integers(self.min_text_height, self.max_text_height + 1))
            font = load_font(pick_font(rng, self.families), max(8, int(size * 1.25)))
            mask = text_mask(text, font, 1 if rng.random() < 0.1 else 0)
            rows, cols = np.flatnonzero(mask.max(1) > 0), np.flatnonzero(mask.max(0) > 0)
            if rows.size == 0:
                continue
            mask = mask[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
            mh, mw = mask.shape
            if mw > w - 8 or mh > h - 8:
                # Too wide for the scene: shrink it, unless that makes it smaller than the minimum.
                factor = min((w - 8) / mw, (h - 8) / mh) * rng.uniform(0.6, 1.0)
                if mh * factor < self.min_text_height * 0.7:
                    continue
                mw, mh = max(1, int(mw * factor)), max(1, int(mh * factor))
                mask = cv2.resize(mask, (mw, mh), interpolation=cv2.INTER_AREA)
            for _place in range(10):
                x, y = int(rng.integers(2, w - mw - 1)), int(rng.integers(2, h - mh - 1))
                pad = max(2, mh // 4)
                region = occupied[max(0, y - pad): y + mh + pad, max(0, x - pad): x + mw + pad]
                if not region.any():
                    break
            else:
                continue
            occupied[y: y + mh, x: x + mw] = True
            alpha = mask.astype(np.float32)[..., None] / 255.0
            patch = img[y: y + mh, x: x + mw].astype(np.float32)
            colour = contrasting_color(rng, patch.reshape(-1, 3).mean(axis=0)).astype(np.float32)
            img[y: y + mh, x: x + mw] = np.clip(patch * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
            boxes.append([x, y, x + mw, y + mh])
            texts.append(text)
        if rng.random() < 0.4:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
        if rng.random() < 0.5:
            img = np.clip(img + rng.normal(0, rng.uniform(1, 6), img.shape), 0, 255).astype(np.uint8)
        boxes = np.array(boxes, np.float32).reshape(-1, 4)
        return DetectionSample(f"synthetic-scene-{self.seed}-{index}", boxes, np.zeros(len(boxes), bool), texts,
                               image=img)
