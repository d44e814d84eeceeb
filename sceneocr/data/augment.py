"""Augmentation of real word crops, so a few thousand photographs do not overfit.

Every transform takes an explicit ``numpy.random.Generator``: the mixed dataset seeds it with
``(seed, epoch, index)``, so a resumed run draws the same augmentations.
"""
import cv2
import numpy as np


def jpeg_roundtrip(img, quality):
    """``img`` after JPEG compression at ``quality`` (unchanged if encoding fails)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else img


def jitter_crop(img, rng, outward=0.08, inward=0.08):
    """Move each edge of the crop out by up to ``outward`` or in by up to ``inward`` of the crop height
    (out = replicate border), as a detector's boxes would; cutting in teaches tight crops that clip
    the first or last letter."""
    h, w = img.shape[:2]
    edges = rng.uniform(-outward, inward, size=4) * h
    left, top, right, bottom = (int(round(e)) for e in edges)
    pad = max(0, -min(left, top, right, bottom))
    if pad:
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = pad + left, pad + top
    x1, y1 = pad + w - right, pad + h - bottom
    if x1 - x0 < 4 or y1 - y0 < 4:
        return img[pad: pad + h, pad: pad + w]
    return img[y0:y1, x0:x1]


def warp(img, rng, max_angle=4.0, max_shear=0.15, max_corner=0.04):
    """Small rotation, shear and perspective jitter around the crop centre (replicated border)."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src.copy()
    dst[[0, 1], 0] += rng.uniform(-max_shear, max_shear) * h
    angle = np.deg2rad(rng.uniform(-max_angle, max_angle))
    centre = dst.mean(axis=0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = (dst - centre) @ rot.T + centre
    dst += rng.uniform(-max_corner, max_corner, size=dst.shape).astype(np.float32) * h
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    return cv2.warpPerspective(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def photometric(img, rng):
    """Blur, resolution loss, colour and contrast changes, noise and JPEG artefacts."""
    h, w = img.shape[:2]
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.25:
        scale = rng.uniform(0.4, 0.9)
        small = cv2.resize(img, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    out = img.astype(np.float32)
    if rng.random() < 0.3:
        out = out[..., rng.permutation(3)]  # text and background hues vary freely in scenes
    if rng.random() < 0.1:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    contrast, brightness = rng.uniform(0.6, 1.3), rng.uniform(-30, 30)
    out = (out - out.mean()) * contrast + out.mean() + brightness
    if rng.random() < 0.3:
        out += rng.normal(0, rng.uniform(2, 10), size=out.shape).astype(np.float32)
    if rng.random() < 0.05:
        out = 255 - out
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = jpeg_roundtrip(out, rng.integers(20, 90))
    return out


def augment_word_crop(img, rng, crop_jitter=(0.08, 0.08)):
    """A real RGB word crop, jittered geometrically and photometrically (label unchanged).
    ``crop_jitter``: (outward, inward) edge moves as fractions of the crop height."""
    if rng.random() < 0.8:
        img = jitter_crop(img, rng, *crop_jitter)
    if rng.random() < 0.5:
        img = warp(img, rng)
    return photometric(img, rng)
