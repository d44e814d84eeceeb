"""Images in, RGB uint8 arrays out, with one clear error for anything that is not an image we can read.

Every path the project decodes (``sceneocr read`` and the predictors, evaluation and training data) goes
through :func:`decode_image`, which reads the image's size from its header first and refuses images over a
pixel limit before decoding them (as Pillow's ``MAX_IMAGE_PIXELS`` does): a small file may unpack to gigabytes.
The limit is ``max_pixels``, else ``SCENEOCR_MAX_IMAGE_PIXELS``, else :data:`DEFAULT_MAX_PIXELS`.

:func:`to_rgb` takes what a Python caller may pass instead of a path: a NumPy array (uint8; bool; uint16, read as
16-bit like a 16-bit PNG; float in [0, 1] or in [0, 255]; integers in [0, 255]), grey, RGB or RGBA, or a PIL image
of any mode. Anything else is refused in one line.
"""
import io
import os
import threading

import cv2
import numpy as np

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's decompression-bomb error threshold (twice its warning one)
_PIL_LIMIT = threading.Lock()


class UnreadableImage(ValueError):
    """An image that cannot be read: the message names it and says why, in one line."""


def max_image_pixels(max_pixels=None):
    if max_pixels is not None:
        return int(max_pixels)
    value = os.environ.get("SCENEOCR_MAX_IMAGE_PIXELS")
    if not value:
        return DEFAULT_MAX_PIXELS
    try:
        limit = int(value)
    except ValueError:
        raise UnreadableImage(f"SCENEOCR_MAX_IMAGE_PIXELS={value!r}: expected a whole number of pixels") from None
    if limit < 1:
        raise UnreadableImage(f"SCENEOCR_MAX_IMAGE_PIXELS={value!r}: must be at least 1")
    return limit


def header_size(data):
    """(width, height) from an encoded image's header without decoding its pixels, or None if Pillow cannot
    tell (then OpenCV's decoder gets to try)."""
    from PIL import Image, UnidentifiedImageError

    with _PIL_LIMIT:  # Pillow's limit is process-wide: lifted here, for the size of whatever image this is
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = limit


def _check_pixels(width, height, where, max_pixels):
    limit = max_image_pixels(max_pixels)
    if width * height > limit:
        raise UnreadableImage(f"{where}: {width}x{height} = {width * height:,} pixels is over the limit of "
                              f"{limit:,} (SCENEOCR_MAX_IMAGE_PIXELS)")


def decode_image(data, where, max_pixels=None):
    """RGB uint8 array of the encoded image ``data`` (bytes or a uint8 array); ``where`` names it in errors."""
    data = bytes(data) if not isinstance(data, bytes) else data
    if not data:
        raise UnreadableImage(f"{where}: empty file")
    size = header_size(data)
    if size is not None:
        _check_pixels(size[0], size[1], where, max_pixels)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        first = (str(exc).strip().splitlines() or ["OpenCV error"])[-1][:200]
        raise UnreadableImage(f"{where}: cannot decode image ({first})") from None
    if image is None:
        raise UnreadableImage(f"{where}: cannot decode image (not a JPEG, PNG, BMP, TIFF or WebP file?)")
    if size is None:
        _check_pixels(image.shape[1], image.shape[0], where, max_pixels)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_image(path, max_pixels=None):
    """RGB uint8 array of the image file ``path``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UnreadableImage(f"{path}: not found")
    if os.path.isdir(path):
        raise UnreadableImage(f"{path}: is a folder, not an image")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UnreadableImage(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode_image(data, path, max_pixels)


def _to_uint8(array, where):
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return (array >> 8).astype(np.uint8)  # as OpenCV reads a 16-bit PNG
    if np.issubdtype(array.dtype, np.floating):
        if array.size and not np.isfinite(array).all():
            raise UnreadableImage(f"{where}: float image with NaN or infinite values")
        low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        if low >= 0 and high <= 1:
            return np.round(array * 255).astype(np.uint8)
        if low >= 0 and high <= 255:
            return np.round(array).astype(np.uint8)
        raise UnreadableImage(f"{where}: float image values must lie in [0, 1] or [0, 255], got "
                              f"[{low:g}, {high:g}]")
    if np.issubdtype(array.dtype, np.integer):
        if array.size and (int(array.min()) < 0 or int(array.max()) > 255):
            raise UnreadableImage(f"{where}: {array.dtype} image values must lie in [0, 255] (or pass uint16, "
                                  f"read as 16-bit)")
        return array.astype(np.uint8)
    raise UnreadableImage(f"{where}: unsupported image dtype {array.dtype} (use uint8, uint16, bool or float)")


def _pil_to_array(image):
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(image.convert("I")).astype(np.uint16)  # 16-bit grey, scaled as 16-bit files are
    if image.mode in ("I", "F"):
        array = np.asarray(image)
        high = float(array.max()) if array.size else 0.0
        if high > 255 and high <= 65535 and float(array.min()) >= 0:
            return array.astype(np.uint16)
        return array.astype(np.float32) if image.mode == "F" else array
    return np.asarray(image.convert("RGB"))


def to_rgb(image, where="image", max_pixels=None):
    """An RGB uint8 (H, W, 3) array from a path, a NumPy array or a PIL image (see the module docstring)."""
    if isinstance(image, (str, os.PathLike)):
        return read_image(image, max_pixels)
    if hasattr(image, "convert") and hasattr(image, "size") and hasattr(image, "mode"):  # PIL
        _check_pixels(image.size[0], image.size[1], where, max_pixels)
        array = _pil_to_array(image)
    else:
        try:
            array = np.asarray(image)
        except (TypeError, ValueError) as exc:
            raise UnreadableImage(f"{where}: not an image ({exc})") from None
        if array.dtype == object:
            raise UnreadableImage(f"{where}: not an image (give a path, a NumPy array or a PIL image)")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise UnreadableImage(f"{where}: expected an H x W grey, RGB or RGBA image, got shape {array.shape}")
    return np.ascontiguousarray(_to_uint8(array[..., :3], where))
