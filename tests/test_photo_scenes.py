"""Text painted on photographs: reproducible scenes, exact word boxes, smooth regions, procedural fallback."""
import os

import cv2
import numpy as np
import pytest

from conftest import SHARED
from sceneocr.data.photo_scenes import PhotoScenes, texture_map

FONTS = os.path.join(SHARED, "train", "fonts")
BSDS = os.path.join(SHARED, "train", "backgrounds", "bsds500")


def flat_photo_folder(tmp_path, grey=128):
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "flat.png"), np.full((200, 300, 3), grey, np.uint8))
    return str(folder)


def test_scenes_are_a_pure_function_of_seed_and_index(tmp_path):
    folder = flat_photo_folder(tmp_path)
    a = PhotoScenes(4, seed=3, height=96, width=160, max_words=6, backgrounds=[folder])
    b = PhotoScenes(4, seed=3, height=96, width=160, max_words=6, backgrounds=[folder])
    for i in (2, 0):
        np.testing.assert_array_equal(a[i].image, b[i].image)
        np.testing.assert_array_equal(a[i].boxes, b[i].boxes)
        assert a[i].texts == b[i].texts
    assert not np.array_equal(a[0].image, a[1].image)
    with pytest.raises(IndexError):
        a[4]


def test_boxes_are_the_exact_extent_of_each_painted_word(tmp_path):
    grey = 128
    scenes = PhotoScenes(6, seed=1, height=128, width=224, max_words=8, backgrounds=[flat_photo_folder(tmp_path, grey)],
                         min_text_height=12, effects=False)
    total = 0
    for i in range(len(scenes)):
        sample = scenes[i]
        assert sample.image.shape == (128, 224, 3) and sample.image.dtype == np.uint8
        assert len(sample.boxes) == len(sample.texts) == len(sample.ignore)
        difference = np.abs(sample.image.astype(int) - grey).max(axis=2)
        # Words contrast with the background by >= 50 grey levels of luminance, so a pixel more than a
        # quarter covered (the box rule) differs by > 8 and solid ink by > 30.
        inked, changed = difference > 8, difference > 30
        covered = np.zeros_like(changed)
        for x1, y1, x2, y2 in sample.boxes.astype(int):
            assert 0 <= x1 < x2 <= 224 and 0 <= y1 < y2 <= 128
            inside = inked[y1:y2, x1:x2]
            # Tight: ink reaches every side of the box.
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            covered[max(0, y1 - 2): y2 + 2, max(0, x1 - 2): x2 + 2] = True
        # Complete: no ink outside the boxes (beyond the anti-aliased fringe).
        assert not (changed & ~covered).any()
        total += len(sample.boxes)
    assert total >= 6


def test_words_go_on_smooth_regions_of_a_real_photo():
    if not os.path.isdir(BSDS):
        pytest.skip("../shared/train/backgrounds not present")
    scenes = PhotoScenes(8, seed=2, height=192, width=320, backgrounds=[BSDS], font_dirs=(FONTS,) if os.path.isdir(FONTS) else ())
    assert "500 photos" in scenes.name
    inside, everywhere = [], []
    for i in range(len(scenes)):
        sample = scenes[i]
        # The texture of the scene without its words is unknown here; the words' own boxes must not sit
        # on more texture than the photo has on average, once the words' ink is discounted by a blur.
        textured, _ = texture_map(cv2.medianBlur(sample.image, 5))
        everywhere.append(textured.mean())
        for x1, y1, x2, y2 in sample.boxes.astype(int):
            ring = np.concatenate([textured[max(0, y1 - 4): y1, x1:x2].ravel(), textured[y2: y2 + 4, x1:x2].ravel()])
            if ring.size:
                inside.append(ring.mean())
    assert len(inside) >= 16 and np.mean(inside) < np.mean(everywhere)


def test_procedural_backgrounds_without_photos_and_a_missing_folder_is_named(tmp_path):
    scenes = PhotoScenes(3, seed=0, height=96, width=160, max_words=4)
    assert "procedural backgrounds" in scenes.name
    assert scenes[0].image.shape == (96, 160, 3)
    with pytest.raises(FileNotFoundError, match="nowhere: background folder not found"):
        PhotoScenes(1, backgrounds=[str(tmp_path / "nowhere")])
