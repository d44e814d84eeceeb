"""Natural photographs as backgrounds for synthetic text (``data.backgrounds`` folders)."""
import functools
import glob
import os

import cv2
import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def find_images(folders):
    """Every image file under ``folders`` (recursively), sorted so indices are stable."""
    found = []
    for folder in folders:
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{folder}: background folder not found")
        for path in glob.glob(os.path.join(folder, "**", "*"), recursive=True):
            if path.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(path):
                found.append(path)
    return tuple(sorted(found))


def backgrounds_from_config(value):
    """The ``data.backgrounds`` value: a folder, a list of folders, or empty."""
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@functools.lru_cache(maxsize=128)
def _load_rgb(path):
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class BackgroundPhotos:
    """Random windows of natural photographs, resized to the requested size."""

    def __init__(self, paths):
        self.paths = tuple(paths)

    def __len__(self):
        return len(self.paths)

    def window(self, rng, height, width, min_height=12):
        """A float32 RGB ``height x width`` patch, or None when the drawn photo is unreadable."""
        img = _load_rgb(self.paths[rng.integers(len(self.paths))])
        if img is None:
            return None
        ih, iw = img.shape[:2]
        aspect = width / height
        # Text occupies small to medium parts of a photo; the window keeps the target's aspect.
        win_h = rng.uniform(min_height, max(min_height + 1, min(ih, iw / aspect)))
        win_h = int(max(4, min(win_h, ih)))
        win_w = int(max(4, min(iw, round(win_h * aspect))))
        y = int(rng.integers(0, ih - win_h + 1))
        x = int(rng.integers(0, iw - win_w + 1))
        patch = img[y: y + win_h, x: x + win_w]
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        interp = cv2.INTER_AREA if win_h > height else cv2.INTER_LINEAR
        return cv2.resize(np.ascontiguousarray(patch), (width, height), interpolation=interp).astype(np.float32)
