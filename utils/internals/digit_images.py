"""Read pictures of digits as grey arrays, the way students save them (provided code).

Students draw in paint programs, browser and tablet apps, or photograph paper. The files come
as grey, RGB, 16-bit grey, palette and transparent PNGs, JPEGs with a rotation in their EXIF
data. Every one becomes a 2-D float array in [0, 1] with white paper = 1: transparent parts are
composited onto white paper, whatever colour lies under them (apps often store black there).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from utils.internals.errors import HandwritingError

MAX_SIDE_HINT = 4000


def _full_scale(array):
    """The value that means "full" (white, opaque) for an array of this type and range."""
    largest = float(array.max()) if array.size else 0.0
    if np.issubdtype(array.dtype, np.integer):
        nominal = 255.0 if largest <= 255 else 65535.0 if largest <= 65535 else largest
    else:
        nominal = 1.0 if largest <= 1.0 else 255.0 if largest <= 255 else 65535.0 if largest <= 65535 else largest
    return max(nominal, largest)


def to_grey(image):
    """Any 2-D (grey) or 3-D (grey, grey + alpha, RGB, RGBA) array of numbers -> 2-D float64 grey.

    A channel of transparency (alpha) is composited onto white paper: fully transparent pixels
    become white, whatever colour is stored under them.
    """
    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise HandwritingError(f"an image must hold numbers, not {array.dtype}.")
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4) and min(array.shape[:2]) >= 1:
        channels = array.shape[2]
        colour = array[..., :1] if channels <= 2 else array[..., :3]
        alpha = array[..., -1] if channels in (2, 4) else None
        white = _full_scale(colour)
        opaque = _full_scale(alpha) if alpha is not None else 1.0
        colour = colour.astype(np.float64)
        if not np.isfinite(colour).all() or (alpha is not None and not np.isfinite(alpha.astype(np.float64)).all()):
            raise HandwritingError("the image holds NaN or infinite values.")
        scale = max(white, float(np.abs(colour).max()))  # dividing first keeps the mean from overflowing
        grey = (colour / scale).mean(axis=2) if scale > 0 else colour.mean(axis=2)
        if alpha is not None:
            coverage = np.clip(alpha.astype(np.float64) / opaque, 0.0, 1.0)
            grey = grey * coverage + 1.0 * (1.0 - coverage)  # white paper under transparent parts
        array = grey
    else:
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise HandwritingError("the image holds NaN or infinite values.")
    largest = np.abs(array).max() if array.size else 0.0
    if largest > 1e6:  # only the relative grey values matter; keep the arithmetic far from overflow
        array = array / largest
    if array.ndim != 2 or min(array.shape) < 1:
        raise HandwritingError(f"an image must be 2-D grey or RGB(A), got shape {array.shape}.")
    return array


def picture_to_grey(picture):
    """A PIL image of any mode -> 2-D float64 array in [0, 1], transparency composited onto white."""
    mode = picture.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):  # 16- or 32-bit grey, no alpha
        grey = np.asarray(picture).astype(np.float64)
        if not np.isfinite(grey).all():
            raise HandwritingError("the image holds NaN or infinite values.")
        low, high = (float(grey.min()), float(grey.max())) if grey.size else (0.0, 0.0)
        if mode.startswith("I") and 0 <= low and high <= 65535:
            return grey / 65535.0  # 16-bit grey (PNG opens as I;16 or I): white paper is 65535
        if mode == "F" and 0 <= low and high <= 1:
            return grey
        return (grey - low) / (high - low) if high > low else np.ones_like(grey)
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info:
        rgba = np.asarray(picture.convert("RGBA")).astype(np.float64) / 255.0
        coverage = rgba[..., 3]
        return rgba[..., :3].mean(axis=2) * coverage + (1.0 - coverage)  # onto white paper
    if mode == "L":
        return np.asarray(picture).astype(np.float64) / 255.0
    return np.asarray(picture.convert("RGB")).astype(np.float64).mean(axis=2) / 255.0


def load_image(path):
    """Read an image file (PNG, JPEG, ...) as a grey float array in [0, 1] (white paper = 1).

    Raises
    ------
    HandwritingError
        When there is no such file, it is not an image, or it is too large to open safely.
    """
    path = Path(path)
    if not path.is_file():
        raise HandwritingError(f"no image file at {path}.")
    too_large = (f"{path} is too large an image to open safely (a decompression bomb, or a huge photo); "
                 f"save it smaller, e.g. under {MAX_SIDE_HINT}x{MAX_SIDE_HINT} pixels.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                picture.load()
                try:
                    picture = ImageOps.exif_transpose(picture)  # phone photos: upright as shown
                except Exception:  # noqa: BLE001 - broken EXIF data only loses the rotation
                    pass
                return picture_to_grey(picture)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise HandwritingError(too_large) from error
    except HandwritingError:
        raise
    except MemoryError as error:
        raise HandwritingError(too_large) from error
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError, EOFError) as error:
        raise HandwritingError(f"{path} is not an image this program can read ({error}); "
                               "save it as PNG or JPEG.") from error
