"""Detection samples -> fixed-size network inputs: decoding, augmentation (zoom in, zoom out, flip), resizing with or
without keeping the aspect ratio, normalisation, and ground truth padded to a fixed number of boxes."""
import cv2
import numpy as np

from sceneocr.data.images import decode_image, read_image

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def load_rgb(sample):
    if sample.image is not None:
        return sample.image
    if sample.encoded is not None:
        return decode_image(sample.encoded, sample.image_path)
    return read_image(sample.image_path)


def expand(image, boxes, rng, max_ratio=2.0):
    """Zoom out: put the image at a random place on a larger mean-coloured canvas."""
    h, w = image.shape[:2]
    ratio = rng.uniform(1.0, max_ratio)
    canvas = np.empty((int(h * ratio), int(w * ratio), 3), np.uint8)
    canvas[...] = MEAN.astype(np.uint8)
    top, left = int(rng.uniform(0, canvas.shape[0] - h)), int(rng.uniform(0, canvas.shape[1] - w))
    canvas[top: top + h, left: left + w] = image
    return canvas, boxes + np.array([left, top, left, top], np.float32)


def crop_whole_words(image, boxes, ignore, rng, min_side=0.3, tries=20):
    """Zoom in: a random crop (width 30-100 % of the image's, height 0.8-1.25x that fraction, at most the
    whole height: so 24-100 %) that cuts no word (every box lies wholly
    inside or wholly outside it) and keeps at least one cared-for word when the image has one. Boxes outside
    are dropped. Returns ``(image, boxes, ignore)``, unchanged when ``tries`` draws find no such crop."""
    h, w = image.shape[:2]
    cared = ~ignore
    for _ in range(tries):
        side = rng.uniform(min_side, 1.0)
        crop_w = int(w * side)
        crop_h = int(h * min(1.0, side * rng.uniform(0.8, 1.25)))
        if crop_w < 8 or crop_h < 8:
            continue
        left, top = int(rng.integers(0, w - crop_w + 1)), int(rng.integers(0, h - crop_h + 1))
        right, bottom = left + crop_w, top + crop_h
        inside = ((boxes[:, 0] >= left) & (boxes[:, 1] >= top) & (boxes[:, 2] <= right) & (boxes[:, 3] <= bottom))
        outside = ((boxes[:, 2] <= left) | (boxes[:, 0] >= right) | (boxes[:, 3] <= top) | (boxes[:, 1] >= bottom))
        if not (inside | outside).all() or (cared.any() and not (inside & cared).any()):
            continue
        shifted = boxes[inside] - np.array([left, top, left, top], np.float32)
        return image[top:bottom, left:right], shifted, ignore[inside]
    return image, boxes, ignore


def rescale_and_crop(image, boxes, ignore, rng, height, width, scale_range, tries=10):
    """Multi-scale training (detectron2's ``ResizeShortestEdge`` then ``RandomCrop``, MMOCR's ``RandomResize``):
    the image is scaled to fit ``height x width``, times a factor drawn log-uniformly from ``scale_range``, then
    a ``height x width`` window is cut from it where it is larger (padded bottom/right with the mean where smaller).

    Windows are drawn around a random cared-for word; the first of ``tries`` that cuts no cared-for word and keeps
    one is taken, else the one cutting fewest. A word the window cuts becomes a do-not-care region (neither text
    nor background); words wholly outside are dropped. Returns ``(image, boxes, ignore, (scale, scale))``."""
    h, w = image.shape[:2]
    low, high = scale_range
    scale = min(height / h, width / w) * float(np.exp(rng.uniform(np.log(low), np.log(high))))
    new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    scaled = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    boxes = boxes * np.float32(scale)
    cared = np.flatnonzero(~ignore)
    best = None
    for _ in range(tries):
        word = boxes[cared[rng.integers(len(cared))]] if len(cared) else None  # one word for both axes
        left, top = _window_start(new_w, width, word, 0, rng), _window_start(new_h, height, word, 1, rng)
        right, bottom = left + width, top + height
        inside = (boxes[:, 0] >= left) & (boxes[:, 1] >= top) & (boxes[:, 2] <= right) & (boxes[:, 3] <= bottom)
        outside = (boxes[:, 2] <= left) | (boxes[:, 0] >= right) | (boxes[:, 3] <= top) | (boxes[:, 1] >= bottom)
        cut = ~inside & ~outside
        rank = (int((cut & ~ignore).sum()), -int((inside & ~ignore).sum()))
        if best is None or rank < best[0]:
            best = (rank, left, top, inside, cut)
        if rank[0] == 0 and (rank[1] < 0 or not len(cared)):
            break
    _, left, top, inside, cut = best
    out = np.empty((height, width, 3), np.uint8)
    out[...] = MEAN.astype(np.uint8)
    window = scaled[top: top + height, left: left + width]
    out[: window.shape[0], : window.shape[1]] = window
    keep = inside | cut
    shifted = boxes[keep] - np.array([left, top, left, top], np.float32)
    shifted = np.clip(shifted, 0, [width, height, width, height])
    return out, shifted, (ignore | cut)[keep], (scale, scale)


def _window_start(size, window, word, axis, rng):
    """Start of a ``window``-long span of ``size`` pixels (0 when it fits), drawn so that it holds ``word`` (a box,
    or None) along ``axis`` where the word fits in it."""
    if size <= window:
        return 0
    low, high = 0, size - window
    if word is not None:
        start, end = word[axis], word[axis + 2]
        if end - start <= window:
            low, high = max(low, int(np.ceil(end - window))), min(high, int(np.floor(start)))
            if low > high:
                low, high = 0, size - window
    return int(rng.integers(low, high + 1))


def flip(image, boxes):
    w = image.shape[1]
    flipped = boxes.copy()
    flipped[:, 0], flipped[:, 2] = w - boxes[:, 2], w - boxes[:, 0]
    return image[:, ::-1], flipped


def resize(image, boxes, height, width, keep_ratio=True):
    """Resize into height x width; with keep_ratio, scale to fit and pad bottom/right.
    Returns (image, boxes, (scale_x, scale_y))."""
    h, w = image.shape[:2]
    if keep_ratio:
        scale = min(height / h, width / w)
        sx = sy = scale
        new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    else:
        sx, sy = width / w, height / h
        new_w, new_h = width, height
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((height, width, 3), np.uint8)
    out[...] = MEAN.astype(np.uint8)
    out[:new_h, :new_w] = resized[:height, :width]
    return out, boxes * np.array([sx, sy, sx, sy], np.float32), (sx, sy)


def normalize(image):
    return ((image.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)


def pad_boxes(boxes, ignore, max_boxes, min_size=2.0):
    """(max_boxes, 4) boxes, a validity mask of the cared-for boxes large enough to learn from (first), and a
    mask of the do-not-care regions that follow them in the free rows (so their text is not taught as background;
    regions beyond ``max_boxes`` rows in all are left out)."""
    large = (boxes[:, 2] - boxes[:, 0] >= min_size) & (boxes[:, 3] - boxes[:, 1] >= min_size)
    cared = boxes[~ignore & large][:max_boxes]
    regions = boxes[ignore & large][: max_boxes - len(cared)]
    out = np.zeros((max_boxes, 4), np.float32)
    valid, ignored = np.zeros((max_boxes,), bool), np.zeros((max_boxes,), bool)
    out[: len(cared)] = cared
    out[len(cared): len(cared) + len(regions)] = regions
    valid[: len(cared)] = True
    ignored[len(cared): len(cared) + len(regions)] = True
    return out, valid, ignored


class DetectionDataset:
    """Samples (from readers or the synthetic generator) prepared for DeepText.

    ``load(k, epoch)`` returns (CHW image, (gt boxes (max_boxes, 4), valid (max_boxes,), ignored (max_boxes,))):
    see :func:`pad_boxes`. Training
    augmentation is drawn from ``(seed, epoch, k)`` so resumed runs see the same batches."""

    takes_epoch = True

    def __init__(self, samples, height, width, max_boxes=64, augment=False, keep_ratio=True, seed=0,
                 expand_prob=0.5, flip_prob=0.5, crop_prob=0.0, scale_range=(1.0, 1.0)):
        """``scale_range``: multi-scale training (:func:`rescale_and_crop`, which then replaces zoom in and out);
        ``[1.0, 1.0]`` leaves it off."""
        if tuple(scale_range) != (1.0, 1.0) and not keep_ratio:
            raise ValueError("multi-scale training (data.augment.scale_range) needs data.keep_ratio: true")
        self.scale_range = tuple(float(v) for v in scale_range)
        self.samples = samples
        self.height, self.width = height, width
        self.max_boxes = max_boxes
        self.augment, self.keep_ratio = augment, keep_ratio
        self.seed = seed
        self.expand_prob, self.flip_prob, self.crop_prob = expand_prob, flip_prob, crop_prob
        self.name = getattr(samples, "name", f"{len(samples)} images")

    def __len__(self):
        return len(self.samples)

    def summary(self):
        return self.name

    def sample(self, k, epoch=0):
        """Sample ``k`` (of ``epoch``, for sources mixed by ratio, whose draws change every epoch)."""
        draw = getattr(self.samples, "draw", None)
        return draw(k, epoch) if draw is not None else self.samples[k]

    def prepare(self, sample, rng=None):
        image = load_rgb(sample)
        boxes = sample.boxes.astype(np.float32).reshape(-1, 4)
        ignore = sample.ignore.astype(bool)
        # Readers drop them already; this keeps an inf box from being clipped into a full-image box.
        finite = np.isfinite(boxes).all(axis=1)
        boxes, ignore = boxes[finite], ignore[finite]
        if rng is not None and self.scale_range != (1.0, 1.0):
            if rng.random() < self.flip_prob:
                image, boxes = flip(image, boxes)
            return rescale_and_crop(image, boxes, ignore, rng, self.height, self.width, self.scale_range)
        if rng is not None:
            # Zoom in or out, not both: a crop of an expanded canvas would undo the expansion.
            if self.crop_prob and rng.random() < self.crop_prob:
                image, boxes, ignore = crop_whole_words(image, boxes, ignore, rng)
            elif rng.random() < self.expand_prob:
                image, boxes = expand(image, boxes, rng)
            if rng.random() < self.flip_prob:
                image, boxes = flip(image, boxes)
        image, boxes, scale = resize(image, boxes, self.height, self.width, self.keep_ratio)
        boxes = np.clip(boxes, 0, [self.width, self.height, self.width, self.height])
        return image, boxes, ignore, scale

    def load(self, k, epoch=0):
        rng = np.random.default_rng([self.seed, epoch, k]) if self.augment else None
        image, boxes, ignore, _ = self.prepare(self.sample(k, epoch), rng)
        return normalize(image), pad_boxes(boxes, ignore, self.max_boxes)
