"""Synthetic word crops: the built-in recognition dataset.

Sample ``i`` of a generator with seed ``s`` is a pure function of ``(s, i)``: the same crop on every
run, in every worker process, and on every rank, so it can be produced on the fly or written to LMDB.
"""
import cv2
import numpy as np

from sceneocr.data.augment import jpeg_roundtrip
from sceneocr.data.photos import BackgroundPhotos, find_images
from sceneocr.data.render import (contrasting_color, discover_fonts, group_by_family, load_font, pick_font,
                             random_background, random_color, sample_text, text_mask)


def _tight(mask):
    rows = np.flatnonzero(mask.max(axis=1) > 0)
    cols = np.flatnonzero(mask.max(axis=0) > 0)
    if rows.size == 0:
        return mask
    return mask[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


# Real word crops are tight, sometimes clipping ascenders or the first and last letters: small or
# slightly negative margins, (low, high) fractions of the text height for each side.
DEFAULT_MARGINS = {"x": (-0.03, 0.25), "y": (-0.06, 0.18)}


# Rotated words: a share ``prob`` of the words is turned by up to ``max_degrees`` either way and framed by its
# axis-aligned box, as a scene word's quadrilateral is cut by its bounding box (ICDAR 2015's word crops, a
# horizontal detector's boxes); the rest keep a slight tilt. ``prob`` 0 draws no extra numbers.
DEFAULT_ROTATION = {"prob": 0.0, "max_degrees": 30.0}


def _warp(mask, rng, height, margins=None, rotation=None):
    """Random margins, rotation, shear and perspective jitter applied to a tight text mask."""
    h, w = mask.shape
    margins = margins or DEFAULT_MARGINS
    rotation = rotation or DEFAULT_ROTATION
    margin_x = rng.uniform(*margins["x"]) * h, rng.uniform(*margins["x"]) * h
    margin_y = rng.uniform(*margins["y"]) * h, rng.uniform(*margins["y"]) * h
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    shear = rng.normal(0, 0.12) * h
    degrees = rng.normal(0, 2.0)
    if rotation["prob"] and rng.random() < rotation["prob"]:
        degrees = rng.uniform(-rotation["max_degrees"], rotation["max_degrees"])
    angle = np.deg2rad(degrees)
    dst = src.copy()
    dst[[0, 1], 0] += shear  # italic-like slant: shift the top edge
    centre = dst.mean(axis=0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = (dst - centre) @ rot.T + centre
    dst += rng.normal(0, 0.03 * h, size=dst.shape).astype(np.float32)
    dst -= dst.min(axis=0)
    dst += np.float32([margin_x[0], margin_y[0]])
    out_w = int(np.ceil(dst[:, 0].max() + margin_x[1]))
    out_h = int(np.ceil(dst[:, 1].max() + margin_y[1]))
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(mask, matrix, (max(out_w, 2), max(out_h, 2)), flags=cv2.INTER_LINEAR)


# Camera degradations of synthetic words: probabilities and ranges. ``motion_length`` is the blur
# kernel's length in pixels at the generator's height; ``motion_angle`` the largest tilt of the motion
# from horizontal in degrees (0 keeps it horizontal); ``lowres_scale`` the factor a word is shrunk by
# before it is scaled back up, as a small word in a photograph is.
DEFAULT_DEGRADATION = {"blur_prob": 0.5, "blur_sigma": (0.3, 1.4),
                       "motion_prob": 0.15, "motion_length": (3, 5), "motion_angle": 0.0,
                       "lowres_prob": 0.4, "lowres_scale": (0.3, 0.8)}


def motion_kernel(length, angle_degrees=0.0):
    """A normalised line kernel of ``length`` pixels tilted by ``angle_degrees`` from horizontal."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    if angle_degrees:
        centre = ((length - 1) / 2.0, (length - 1) / 2.0)
        rotation = cv2.getRotationMatrix2D(centre, float(angle_degrees), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length), flags=cv2.INTER_LINEAR)
    return kernel / kernel.sum()


def _degrade(img, rng, degradation=None):
    """Camera-like degradations: blur, low resolution, noise, JPEG, contrast, shadows."""
    d = degradation or DEFAULT_DEGRADATION
    h, w = img.shape[:2]
    if rng.random() < d["blur_prob"]:
        sigma = rng.uniform(*d["blur_sigma"])
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < d["motion_prob"]:
        length = int(rng.integers(d["motion_length"][0], d["motion_length"][1] + 1))
        # Drawn only when tilted, so the default settings draw the same numbers as before they existed.
        angle = rng.uniform(-d["motion_angle"], d["motion_angle"]) if d["motion_angle"] else 0.0
        img = cv2.filter2D(img, -1, motion_kernel(length, angle))
    if rng.random() < d["lowres_prob"]:
        scale = rng.uniform(*d["lowres_scale"])
        small = cv2.resize(img, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    img = img.astype(np.float32)
    if rng.random() < 0.3:
        # Uneven illumination: a smooth multiplicative light field.
        ramp = np.linspace(rng.uniform(0.5, 1.0), rng.uniform(0.8, 1.2), w, dtype=np.float32)
        img *= ramp[None, :, None]
    contrast, brightness = rng.uniform(0.6, 1.2), rng.uniform(-30, 30)
    img = (img - 128) * contrast + 128 + brightness
    if rng.random() < 0.5:
        img += rng.normal(0, rng.uniform(1, 10), size=img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        img = jpeg_roundtrip(img, rng.integers(15, 90))
    return img


def _region_colour(rng, region_mean):
    """A text colour taken from the region under the text: its hue, pushed darker or lighter far
    enough to stay legible (signs are often tone-on-tone), else a contrasting colour."""
    if rng.random() < 0.4:
        lum = float(np.dot(region_mean, [0.299, 0.587, 0.114]))
        if lum > 127:
            colour = region_mean * rng.uniform(0.05, 0.45)
        else:
            colour = region_mean + (255 - region_mean) * rng.uniform(0.6, 0.95)
        return np.clip(colour, 0, 255)
    return contrasting_color(rng, region_mean).astype(np.float32)


class SyntheticWords:
    """Renders word crops with the fonts found on the machine, reproducible by ``(seed, index)``.

    With ``backgrounds`` (image files) a share ``photo_ratio`` of the words is painted onto windows of
    natural photographs, the rest onto procedural textures. Returns RGB uint8 arrays of varying size
    and the label as drawn (case preserved).
    """

    def __init__(self, num_samples=100000, seed=0, charset="0123456789abcdefghijklmnopqrstuvwxyz",
                 max_length=23, font_dirs=(), height=48, words=None, fonts=None, background_dirs=(),
                 backgrounds=None, photo_ratio=0.6, margins=None, degradation=None,
                 rotation=None):
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.charset = charset
        self.max_length = max_length
        self.height = height
        self.margins = {**DEFAULT_MARGINS, **(margins or {})}
        self.degradation = {**DEFAULT_DEGRADATION, **(degradation or {})}
        self.rotation = {**DEFAULT_ROTATION, **(rotation or {})}
        # ``fonts`` (explicit files) makes samples independent of what the machine has installed.
        self.fonts = tuple(fonts) if fonts else discover_fonts(tuple(font_dirs))
        self.families = group_by_family(self.fonts)
        self.words = words
        paths = tuple(backgrounds) if backgrounds else find_images(tuple(background_dirs))
        self.photos = BackgroundPhotos(paths)
        self.photo_ratio = photo_ratio if paths else 0.0

    def describe(self):
        return f"{len(self.families)} font families, {len(self.photos)} background photos"

    def __len__(self):
        return self.num_samples

    def label(self, index):
        """The label alone, without rendering (cheap)."""
        return sample_text(np.random.default_rng([self.seed, index, 1]), self.charset,
                           self.max_length, self.words)

    def __getitem__(self, index):
        if not 0 <= index < self.num_samples:
            raise IndexError(index)
        text = self.label(index)
        rng = np.random.default_rng([self.seed, index, 2])
        font = load_font(pick_font(rng, self.families), int(rng.integers(28, 52)))
        stroke = 1 if rng.random() < 0.12 else 0
        spacing = float(rng.uniform(1, 8)) if rng.random() < 0.1 else 0.0
        mask = _warp(_tight(text_mask(text, font, stroke, spacing)), rng, self.height, self.margins,
                     self.rotation)
        # Work at a fixed height so later steps cost the same whatever the font size.
        h, w = mask.shape
        new_w = max(4, int(round(w * self.height / h)))
        mask = cv2.resize(mask, (new_w, self.height), interpolation=cv2.INTER_AREA)
        alpha = mask.astype(np.float32)[..., None] / 255.0
        background = None
        if rng.random() < self.photo_ratio:
            background = self.photos.window(rng, self.height, new_w)
        if background is None:
            background = random_background(rng, self.height, new_w)
        colour = _region_colour(rng, background.reshape(-1, 3).mean(axis=0))
        if rng.random() < 0.2:
            # Shadow or outline in a third colour, a common style on signs.
            offset = int(rng.integers(1, 3))
            shadow = np.roll(np.roll(alpha, offset, axis=0), offset, axis=1)
            background = background * (1 - shadow) + random_color(rng) * shadow
        img = background * (1 - alpha) + colour.astype(np.float32) * alpha
        img = _degrade(np.clip(img, 0, 255).astype(np.uint8), rng, self.degradation)
        if rng.random() < 0.1:
            img = 255 - img
        return img, text
