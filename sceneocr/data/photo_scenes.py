"""Text painted on photographs (SynthText-style) for training text detection.

A scene is a window of a natural photograph (``data.backgrounds`` folders; procedural backgrounds when
there are none) with blocks of text painted on its smooth regions, as SynthText (Gupta et al., CVPR 2016)
does without its depth and segmentation networks:

* smooth regions are where the local grey-level spread and edge density are low; a block is centred on
  a pixel drawn in proportion to its distance from texture (large flat areas first), sized to that
  region half the time (else drawn from the size range), and shrunk until its footprint is smooth
  (at most 8 % textured) and free of other blocks;
* a block is 1-3 lines of 1-3 words in one font, size and colour (contrasting with the region, shaded by
  the photo's own lighting, sometimes with an outline or a shadow), slightly rotated, sheared and put in
  perspective as a whole;
* the scene is blurred, noised and JPEG-compressed as one image afterwards, text and photo alike.

Each word's box is the exact bounding box of its own painted ink (coverage above a quarter). Scene ``i`` of
seed ``s`` is a pure function of ``(s, i)``, like :class:`sceneocr.data.synth_scenes.SyntheticScenes`.
"""
import functools

import cv2
import numpy as np

from sceneocr.data.detection import DetectionSample
from sceneocr.data.photos import backgrounds_from_config, find_images
from sceneocr.data.render import (contrasting_color, discover_fonts, group_by_family, load_font, pick_font,
                             random_background, sample_text, text_mask)

INK_THRESHOLD = 0.25   # a pixel belongs to a word's box when the word covers more than this much of it
MAX_TEXTURED = 0.08    # the share of a block's footprint that may be textured


@functools.lru_cache(maxsize=64)
def _photo(path):
    data = np.fromfile(path, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def photo_window(rng, photo, height, width):
    """A random window of ``photo`` with the scene's aspect ratio (60-100 % of the largest one), resized."""
    ph, pw = photo.shape[:2]
    aspect = width / height
    full_h = min(ph, pw / aspect)
    win_h = full_h * rng.uniform(0.6, 1.0)
    win_w = win_h * aspect
    y, x = rng.uniform(0, ph - win_h), rng.uniform(0, pw - win_w)
    window = photo[int(y): int(y + win_h), int(x): int(x + win_w)]
    if rng.random() < 0.5:
        window = window[:, ::-1]
    interp = cv2.INTER_AREA if win_h > height else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(window), (width, height), interpolation=interp)


def texture_map(image):
    """(textured bool mask, distance of each pixel to the nearest textured one) of an RGB image."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    k = max(5, (min(image.shape[:2]) // 60) | 1)
    mean = cv2.blur(grey, (k, k))
    spread = np.sqrt(np.maximum(cv2.blur(grey * grey, (k, k)) - mean * mean, 0))
    edges = cv2.Canny(image, 60, 160) > 0
    edge_density = cv2.blur(edges.astype(np.float32), (k, k))
    textured = (spread > 10.0) | (edge_density > 0.04)
    distance = cv2.distanceTransform((~textured).astype(np.uint8), cv2.DIST_L2, 3)
    return textured, distance


def _integral(mask):
    return cv2.integral(mask.astype(np.uint8)).astype(np.int64)


def _box_sum(integral, x0, y0, x1, y1):
    return integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]


def _line_words(rng, max_length=20):
    count = int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
    return [sample_text(rng, max_length=max_length) for _ in range(count)]


def render_block(rng, font, lines):
    """Word ink layers of a text block in its own frame: (list of (H, W) float masks in [0, 1], one per
    word; the block's (H, W)). Words of a line share a baseline; lines are 1.1-1.5 line heights apart."""
    ascent, descent = font.getmetrics()
    line_height = ascent + descent + 2
    space = max(2.0, font.getlength(" ") * rng.uniform(1.0, 1.6))
    leading = int(line_height * rng.uniform(1.1, 1.5))
    rendered = [[text_mask(word, font) for word in words] for words in lines]
    line_widths = [sum(m.shape[1] for m in masks) + space * (len(masks) - 1) for masks in rendered]
    width = int(np.ceil(max(line_widths))) + 2
    height = leading * (len(lines) - 1) + line_height + 2
    align = rng.choice(["left", "center", "right"], p=[0.5, 0.35, 0.15])
    layers = []
    for row, (masks, line_width) in enumerate(zip(rendered, line_widths)):
        offset = {"left": 0.0, "center": (width - line_width) / 2, "right": width - line_width}[align]
        x = 1.0 + offset
        for mask in masks:
            layer = np.zeros((height, width), np.float32)
            top, left = 1 + row * leading, int(round(x))
            h, w = mask.shape
            w = min(w, width - left)
            layer[top: top + h, left: left + w] = mask[:, :w] / 255.0
            layers.append(layer)
            x += mask.shape[1] + space
    return layers, (height, width)


def block_warp(rng, height, width, max_angle=8.0):
    """A homography for a (height, width) block: small rotation, shear and perspective; and the size of
    the frame that holds the warped block."""
    angle = np.deg2rad(np.clip(rng.normal(0, max_angle / 3), -max_angle, max_angle))
    shear = np.clip(rng.normal(0, 0.08), -0.25, 0.25)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    centred = corners - [width / 2, height / 2]
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = centred @ np.array([[1, 0], [shear, 1]]).T @ rotate.T
    jitter = rng.normal(0, 0.03, (4, 2)) * [width, height] * (rng.random() < 0.5)  # perspective, half the time
    moved = (moved + jitter).astype(np.float32)
    moved -= moved.min(axis=0)
    frame = np.ceil(moved.max(axis=0)).astype(int) + 1
    return cv2.getPerspectiveTransform(corners, moved), (int(frame[1]), int(frame[0]))


def _paint(rng, image, alpha, region, colour, effects=True):
    """Alpha-blend ``colour`` into ``image`` (in place) where ``alpha`` (frame-sized) says, at ``region``
    (x, y); the colour follows the photo's lighting, and an outline or a shadow is added sometimes."""
    x, y = region
    h, w = alpha.shape
    patch = image[y: y + h, x: x + w].astype(np.float32)
    grey = patch.mean(axis=2)
    shade = np.clip(cv2.GaussianBlur(grey, (0, 0), max(2.0, h / 4)) / max(grey.mean(), 1.0), 0.6, 1.4) ** 0.5
    effect = rng.random() if effects else 1.0
    if effect < 0.12:   # outline in a second contrasting colour
        ring = np.clip(cv2.dilate(alpha, np.ones((3, 3), np.uint8), iterations=int(rng.integers(1, 3))) - alpha, 0, 1)
        edge = contrasting_color(rng, colour.astype(np.float32), 80).astype(np.float32)
        patch = patch * (1 - ring[..., None]) + edge * ring[..., None]
    elif effect < 0.22:  # soft drop shadow
        dx, dy = (int(v) for v in rng.integers(1, max(2, h // 12) + 1, size=2))
        shadow = np.zeros_like(alpha)
        shadow[dy:, dx:] = alpha[: h - dy, : w - dx]
        shadow = cv2.GaussianBlur(shadow, (0, 0), 1.0) * rng.uniform(0.3, 0.7)
        patch = patch * (1 - shadow[..., None])
    opacity = rng.uniform(0.8, 1.0) if effects else 1.0
    painted = np.clip(colour[None, None] * shade[..., None], 0, 255)
    a = (alpha * opacity)[..., None]
    image[y: y + h, x: x + w] = np.clip(patch * (1 - a) + painted * a, 0, 255).astype(np.uint8)


class PhotoScenes:
    """``num_samples`` scenes of ``height`` x ``width`` with up to ``max_words`` words each."""

    def __init__(self, num_samples=1000, seed=0, height=448, width=768, max_words=12, backgrounds=(),
                 font_dirs=(), fonts=None, min_text_height=10, max_text_height=None, effects=True):
        self.num_samples, self.seed = int(num_samples), int(seed)
        self.height, self.width = int(height), int(width)
        self.max_words = int(max_words)
        self.min_text_height = int(min_text_height)
        self.max_text_height = int(max_text_height or max(self.min_text_height + 1, height // 3))
        self.effects = bool(effects)  # False: no outline, shadow, blur, noise or JPEG (tests check the ink)
        self.photos = find_images(backgrounds_from_config(backgrounds))
        # ``fonts`` (explicit files) makes scenes independent of what the machine has installed.
        self.families = group_by_family(tuple(fonts) if fonts else discover_fonts(tuple(font_dirs)))
        where = f"{len(self.photos)} photos" if self.photos else "procedural backgrounds"
        self.name = f"text painted on photos ({where}; seed={self.seed}, n={self.num_samples})"

    def __len__(self):
        return self.num_samples

    def background(self, rng):
        if self.photos:
            photo = _photo(self.photos[int(rng.integers(len(self.photos)))])
            if photo is not None and min(photo.shape[:2]) >= 16:
                return photo_window(rng, photo, self.height, self.width)
        return random_background(rng, self.height, self.width).astype(np.uint8)

    def _place_block(self, rng, image, textured_sum, distance, centre_cdf, occupied, boxes, texts):
        """Try to paint one block; returns the number of words painted (0 when nothing fitted).
        ``centre_cdf``: cumulative weights of the pixels as block centres."""
        h, w = self.height, self.width
        if centre_cdf[-1] <= 0:
            return 0
        centre = int(np.searchsorted(centre_cdf, rng.random() * centre_cdf[-1], side="right"))
        centre = min(centre, centre_cdf.size - 1)
        cy, cx = divmod(centre, w)
        lines = [_line_words(rng) for _ in range(int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1])))]
        room = 2 * float(distance[cy, cx])
        log_low, log_high = np.log(self.min_text_height), np.log(self.max_text_height)
        text_height = float(np.exp(rng.uniform(log_low, log_high)))
        if rng.random() < 0.5:  # sized to the region; otherwise as drawn, shrunk below until it fits
            text_height = min(text_height, room / (1.2 * len(lines)))
        font_path = pick_font(rng, self.families)
        for _shrink in range(5):
            if text_height < self.min_text_height:
                return 0
            font = load_font(font_path, max(8, int(text_height * 1.4)))  # capitals about text_height high
            layers, (bh, bw) = render_block(rng, font, lines)
            matrix, (fh, fw) = block_warp(rng, bh, bw)
            x, y = int(round(cx - fw / 2)), int(round(cy - fh / 2))
            x, y = min(max(x, 1), w - fw - 1), min(max(y, 1), h - fh - 1)
            fits = fw < w - 2 and fh < h - 2
            if fits:
                area = fw * fh
                fits = (_box_sum(textured_sum, x, y, x + fw, y + fh) <= MAX_TEXTURED * area
                        and not occupied[max(0, y - 2): y + fh + 2, max(0, x - 2): x + fw + 2].any())
            if fits:
                break
            text_height *= 0.8
            if len(lines) > 1 and rng.random() < 0.5:
                lines = lines[:-1]
        else:
            return 0
        warped = [cv2.warpPerspective(layer, matrix, (fw, fh), flags=cv2.INTER_LINEAR) for layer in layers]
        alpha = np.clip(np.sum(warped, axis=0), 0, 1)
        region = image[y: y + fh, x: x + fw]
        under = region[alpha > INK_THRESHOLD] if (alpha > INK_THRESHOLD).any() else region.reshape(-1, 3)
        background = under.reshape(-1, 3).mean(axis=0)
        colour = contrasting_color(rng, background, min_delta=rng.uniform(50, 110)).astype(np.float32)
        _paint(rng, image, alpha, (x, y), colour, self.effects)
        occupied[y: y + fh, x: x + fw] = True
        words = [word for line in lines for word in line]
        painted = 0
        for word, layer in zip(words, warped):
            rows, cols = np.nonzero(layer > INK_THRESHOLD)
            if rows.size == 0:
                continue
            boxes.append([x + cols.min(), y + rows.min(), x + cols.max() + 1, y + rows.max() + 1])
            texts.append(word)
            painted += 1
        return painted

    def __getitem__(self, index):
        if not 0 <= index < self.num_samples:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index, 11])
        wanted = int(rng.integers(1, self.max_words + 1))
        for _background in range(3):  # a window too busy for any word is replaced (SynthText drops those)
            image = np.ascontiguousarray(self.background(rng))
            textured, distance = texture_map(image)
            textured_sum = _integral(textured)
            centre_cdf = np.cumsum(distance.ravel().astype(np.float64) ** 1.5)  # large flat areas first
            occupied = np.zeros(image.shape[:2], bool)
            boxes, texts = [], []
            for _attempt in range(3 * wanted):
                if len(boxes) >= wanted:
                    break
                self._place_block(rng, image, textured_sum, distance, centre_cdf, occupied, boxes, texts)
            if boxes:
                break
        if self.effects and rng.random() < 0.5:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
        if self.effects and rng.random() < 0.5:
            image = np.clip(image + rng.normal(0, rng.uniform(1, 5), image.shape), 0, 255).astype(np.uint8)
        if self.effects and rng.random() < 0.3:
            ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1] if ok else image
        boxes = np.array(boxes, np.float32).reshape(-1, 4)
        return DetectionSample(f"photo-scene-{self.seed}-{index}", boxes, np.zeros(len(boxes), bool), texts,
                               image=np.ascontiguousarray(image))
