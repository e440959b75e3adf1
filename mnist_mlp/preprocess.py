"""Any drawing or photo → the 28×28 digit MNIST would have made of it.

MNIST's procedure: fit the digit into a 20×20 box keeping its aspect ratio (anti-aliased), then
place it in a 28×28 field so that its centre of mass is at the centre; white digit on black.
People draw on big canvases with any brush, so before that we find the ink (alpha or polarity),
drop specks, and bring the stroke width to what MNIST strokes have, so that a 3-px line on a
2,000-px canvas still reads as a stroke and a fat marker does not become a blob.

One path for everything: the sketchpad, uploads, the CLI, the tests and the benchmarks.
"""
from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

MAX_PIXELS = 50_000_000  # refuse bigger images before decoding them (decompression bombs)
MAX_FILE_BYTES = 50 * 1024 * 1024
BOX = 20  # MNIST fits the digit's longer side into 20 px ...
FIELD = 28  # ... and centres it by mass in 28 × 28
CENTRE = 14.0  # MNIST's mean centre of mass, in pixel-index coordinates (measured: 14.0, 14.0)
STROKE_WIDTH = 2.3  # MNIST's median stroke width in px at the 20-px-box scale (measured)
STROKE_RANGE = (1.8, 3.3)  # MNIST's middle 80 % is ~1.7–3.1 px: strokes in this range stay as drawn
# Thinner strokes are grown to the median, fatter ones shrunk only to the range's top: eroding a fat
# stroke all the way to 2.3 px wore away its shape. Measured (twenty-seventh session) on our own data,
# the shipped model: 10,000 MNIST test digits drawn thick as canvases, 170 read wrong shrunk to 2.3 px,
# 143 / 127 / 122 to 2.6 / 2.9 / 3.3 px; the re-drawn check 31 → 29 of 2,000. Growing thin strokes
# to 1.8 or 2.0 px instead of 2.3 read the same digits drawn with a fine pen no better (255 / 251 / 248).
WORK_SIZE = 48  # strokes are normalised with the digit's longer side at about this many px
# (measured against 64: 3 fewer of 8,000 re-drawn canvases read right, 9 % less time)
SCAN_SIZE = 256  # the digit is located on a max-pooled copy no larger than this
SPECK_FRACTION = 0.015  # ink blobs smaller than this fraction of the image are specks
MIN_CONTRAST = 0.08  # an opaque image whose ink differs less than this from its paper is blank
INK_THRESHOLD = 0.25  # after contrast normalisation, fainter than this is paper noise
EMPTY_MESSAGE = "Draw a digit first — there is nothing to read yet."


class ImageProblem(ValueError):
    """The input cannot be turned into a digit; the message is meant for the person."""


class NothingToRead(ImageProblem):
    """Blank, uniform, transparent or specks only: no digit to read."""

    def __init__(self, message: str = EMPTY_MESSAGE):
        super().__init__(message)


class Blank(NothingToRead):
    """Nothing drawn at all (an empty or uniform canvas): the app just asks for a digit."""


# ---------------------------------------------------------------- decoding files safely

def check_size(width: int, height: int) -> None:
    """Refuse images over MAX_PIXELS (decompression bombs, absurd arrays)."""
    if width * height > MAX_PIXELS:
        raise ImageProblem(f"image is {width}×{height} = {width * height / 1e6:.0f} megapixels; "
                           f"the limit is {MAX_PIXELS / 1e6:.0f}")


def open_image(source: str | os.PathLike | bytes | io.IOBase, decode: bool = True) -> Image.Image:
    """Open an image file (path, bytes or file object) refusing bombs, truncation and non-images.

    Animated images give their first frame; EXIF orientation is applied. `decode=False` only reads
    and checks the header (size, pixel count) and returns the image undecoded.
    """
    name = str(source) if isinstance(source, (str, os.PathLike)) else "upload"
    try:
        if isinstance(source, (str, os.PathLike)):
            size = Path(source).stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImageProblem(f"{name}: file is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
            source = Path(source).read_bytes()
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)  # reads the header only
        check_size(*image.size)
        if not decode:
            return image
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        image.load()
        return ImageOps.exif_transpose(image)
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(f"image is too large to decode safely; the limit is {MAX_PIXELS / 1e6:.0f} megapixels") from None
    except UnidentifiedImageError:
        raise ImageProblem("not an image this app can read (PNG, JPEG, GIF, WebP, BMP, TIFF …)") from None
    except FileNotFoundError:
        raise ImageProblem(f"{name}: no such file") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageProblem(f"the image file is truncated or corrupt ({error})") from None


def check_image_header(source: str | os.PathLike | bytes) -> None:
    """Raise ImageProblem unless `source` is an image within the limits, from its header alone:
    for images that something else (Gradio) is about to decode."""
    open_image(source, decode=False).close()


# ---------------------------------------------------------------- finding the ink

def _as_float(array: np.ndarray) -> np.ndarray:
    """Any numeric array → float32 scaled to [0, 1] by its dtype (or its range for floats)."""
    if array.dtype == bool:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        low = 0 if info.min >= 0 else info.min
        return ((array.astype(np.float64) - low) / (info.max - low)).astype(np.float32)
    if not np.issubdtype(array.dtype, np.floating):
        raise NothingToRead(f"Can't read a digit from an array of type {array.dtype}.")
    a = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    high = float(a.max()) if a.size else 0.0
    low = float(a.min()) if a.size else 0.0
    if low < 0 or high > 255:  # arbitrary floats: use their own range (scaled first: no overflow)
        magnitude = max(abs(low), abs(high))
        a, low, high = a / magnitude, low / magnitude, high / magnitude
        a = (a - low) / (high - low) if high > low else np.zeros_like(a)
    elif high > 1:  # 0–255 floats
        a = a / 255
    return a.astype(np.float32)


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return _as_float(np.asarray(image.convert("I"), dtype=np.int32).clip(0, 65535).astype(np.uint16))
    if image.mode == "F":
        return _as_float(np.asarray(image, dtype=np.float32))
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.float32) / 255
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32) / 255


class RawInk:
    """Where the ink is, kept as a view of the input so that full-size passes stay few and cheap.

    `values` is [H, W] (grey or alpha) or uint8 [H, W, 3|4] (colour, read by its luminance), and
    ink = clip((luminance(values) - offset) * scale, 0, 1); `scale` is negative when the ink is
    darker than the paper. `ink()` converts only the region asked for, while pooling it.
    """

    def __init__(self, values: np.ndarray, offset: float = 0.0, scale: float = 1.0):
        self.values, self.offset, self.scale = values, offset, scale

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape[:2]

    def ink(self, rows: slice = slice(None), cols: slice = slice(None), factor: int = 1) -> np.ndarray:
        """float32 [h, w] in [0, 1] for values[rows, cols], pooled by `factor` keeping each block's
        strongest ink. Colour is pooled channel by channel before its luminance is taken (on 1/factor
        of the rows): exact for one ink colour on paper, as a block's pixels all lie between the two."""
        keep = np.maximum if self.scale > 0 else np.minimum
        values = _luminance(_pool(self.values[rows, cols], factor, keep, axis=0))
        out = np.subtract(_pool(values, factor, keep, axis=1), np.float32(self.offset), dtype=np.float32)
        out *= np.float32(self.scale)
        return np.clip(out, 0, 1, out=out)


def _luminance(values: np.ndarray) -> np.ndarray:
    """uint8 colour [h, w, 3|4] → uint8 grey [h, w] (PIL's ITU-R 601 "L"); grey passes through."""
    if values.ndim == 2:
        return values
    return np.asarray(Image.fromarray(np.ascontiguousarray(values)).convert("L"))


def _border(values: np.ndarray) -> np.ndarray:
    """Pixels along the four edges, [1, N] or [1, N, C]: the top and bottom rows whole, the side
    columns sampled (each of their pixels is a separate trip to memory on a big image)."""
    step = max(1, len(values) // 256)
    return np.concatenate([values[0], values[-1], values[::step, 0], values[::step, -1]])[None]


def _paper_and_ink(values: np.ndarray, full: float, border: np.ndarray | None = None) -> RawInk:
    """Opaque image (grey or colour, 0..full) → raw ink. The paper is what the border (`_border`, if
    not given) mostly is (its median luminance); ink is what differs from it, so dark-on-light and
    light-on-dark both work."""
    border = _luminance(_border(values) if border is None else border)
    paper = median(border.ravel())
    if paper >= full / 2:  # dark ink on light paper
        return RawInk(values, paper, -1 / max(paper, 1e-6))
    return RawInk(values, paper, 1 / max(full - paper, 1e-6))


def raw_ink(image) -> RawInk:
    """Any PIL image / array → RawInk. A transparent background (e.g. a sketchpad layer) makes the
    alpha channel the ink, whatever the stroke colour; an opaque image is read by its paper. Like
    the paper, the background is read from the border (so no full-size pass is spent on it)."""
    if isinstance(image, Image.Image) and image.mode in ("L", "LA", "RGB", "RGBA"):
        image = np.asarray(image)
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim in (2, 3) and image.size:
        if image.ndim == 2:
            return _paper_and_ink(image, 255)
        border = _border(image)  # read once: its side columns are a trip to memory per pixel
        if image.shape[2] in (2, 4) and border[..., -1].min() < 253:
            return RawInk(image[:, :, -1], 0, 1 / 255)
        if image.shape[2] == 2:
            return _paper_and_ink(image[:, :, 0], 255)
        if image.shape[2] in (3, 4):
            return _paper_and_ink(image, 255, border)
    a = _pil_to_array(image) if isinstance(image, Image.Image) else _as_float(np.asarray(image))
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise NothingToRead(f"Can't read a digit from an array of shape {tuple(np.shape(image))}.")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise Blank()
    if a.ndim == 3:
        if a.shape[2] in (2, 4) and _border(a)[..., -1].min() < 0.99:
            return RawInk(np.ascontiguousarray(a[:, :, -1], dtype=np.float32))
        a = a[:, :, :3].mean(axis=2) if a.shape[2] >= 3 else a[:, :, 0]
    return _paper_and_ink(a.astype(np.float32), 1.0)


def ink_map(image) -> np.ndarray:
    """float32 [H, W] in [0, 1]: how much ink each pixel holds (1 = full stroke)."""
    return raw_ink(image).ink()


def plain_resize(image) -> np.ndarray:
    """The naive way, for comparison only: the whole canvas's ink squashed to 28×28 (no crop, no
    20-px box, no centring, no stroke width)."""
    return _resize(ink_map(image), FIELD, FIELD)


def _pool(values: np.ndarray, factor: int, keep, axis: int) -> np.ndarray:
    """Downscale one axis (0: rows, 1: columns) by an integer factor keeping each block's maximum or
    minimum (`keep`), so thin lines survive; the last block may be partial."""
    if factor <= 1:
        return values
    if axis == 0:  # rows: one reduction over the blocks of a reshaped view. On bench_inference.py's
        # 800×800 RGBA canvases, to_mnist p50 1.68 against 1.78 ms with the strided slices below (the two
        # alternated ten times in one process). For columns the slices are faster: a reduction along
        # the last, 4-long axis took 1.0 ms.
        blocks = len(values) // factor
        pooled = np.empty((-(-len(values) // factor),) + values.shape[1:], values.dtype)
        keep.reduce(values[:blocks * factor].reshape((blocks, factor) + values.shape[1:]), axis=1,
                    out=pooled[:blocks])
        if len(pooled) > blocks:
            keep.reduce(values[blocks * factor:], axis=0, out=pooled[blocks])
        return pooled
    # Columns: in-place maxima (minima) of strided slices.
    step = (slice(None),) * axis
    pooled = values[step + (slice(0, None, factor),)].copy()
    for i in range(1, factor):
        part = values[step + (slice(i, None, factor),)]
        target = pooled[step + (slice(0, part.shape[axis]),)]
        keep(target, part, out=target)
    return pooled


def _pool2d(values: np.ndarray, factor: int, keep) -> np.ndarray:
    return _pool(_pool(values, factor, keep, axis=0), factor, keep, axis=1)


def _resize(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize (area-like when shrinking, bilinear when enlarging)."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32)).resize(
        (width, height), Image.BILINEAR), dtype=np.float32)


def strokes(ink: np.ndarray) -> tuple[np.ndarray, list[int], list[tuple[slice, slice]]]:
    """The strokes of a drawing: connected blobs of ink, faint noise and specks left out.

    Returns (label image, kept labels, their bounding boxes). Raises NothingToRead when there is
    no stroke (blank, uniform, a few specks).
    """
    high = float(ink.max()) if ink.size else 0.0
    if not high >= MIN_CONTRAST:
        raise Blank()
    solid = ink > high * 0.5
    # Label only the part of the image that holds ink: a canvas is mostly empty paper.
    rows, cols = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    extent = np.s_[top:rows[-1] + 1, left:cols[-1] + 1]
    labels = np.zeros(solid.shape, np.int32)
    count = ndimage.label(solid[extent], structure=np.ones((3, 3)), output=labels[extent])
    if count == 1:  # one blob, as most digits are: its box is the extent (no search over the labels)
        boxes = [extent]
    else:
        boxes = [(slice(r.start + top, r.stop + top), slice(c.start + left, c.stop + left))
                 for r, c in ndimage.find_objects(labels[extent])]
    sizes = np.array([max(b[0].stop - b[0].start, b[1].stop - b[1].start) for b in boxes])
    speck = max(3, SPECK_FRACTION * max(ink.shape))
    if count == 0 or sizes.max() < speck:
        raise NothingToRead("Only specks found — draw a bigger digit.") if count else Blank()
    kept = [i for i, size in enumerate(sizes) if size >= speck or size >= 0.25 * sizes.max()]
    return labels, [i + 1 for i in kept], [boxes[i] for i in kept]


def bounding_box(boxes: list[tuple[slice, slice]]) -> tuple[slice, slice]:
    return (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
            slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))


def scale_box(box: tuple[slice, slice], factor: int) -> tuple[slice, slice]:
    """A box on a copy pooled by `factor` → the same box on the input."""
    return tuple(slice(s.start * factor, s.stop * factor) for s in box)


def digit_box(ink: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of the digit's strokes, ignoring faint noise and specks."""
    return bounding_box(strokes(ink)[2])


def stroke_width(solid: np.ndarray) -> float:
    """Typical stroke width in px: twice the distance-to-edge along the stroke's ridge, minus one."""
    if not solid.any():
        return 1.0
    distance = ndimage.distance_transform_edt(solid)
    ridge = solid & (distance >= ndimage.maximum_filter(distance, size=3))
    return max(1.0, 2 * median(distance[ridge]) - 1)


def median(values: np.ndarray) -> float:
    """np.median of a 1-D array (the same value), without its generic machinery: 4 µs, not 22."""
    middle = ((len(values) - 1) // 2, len(values) // 2)
    low, high = np.partition(values, middle)[list(middle)]
    return (float(low) + float(high)) / 2  # as floats: two uint8 values would wrap


def normalise_stroke(ink: np.ndarray) -> np.ndarray:
    """Re-draw strokes that are much thinner or fatter than MNIST's at the 20-px scale.

    Thin strokes are grown to MNIST's median width and fat ones shrunk to the top of its usual
    range, by a distance transform, which gives round, anti-aliased edges at any (fractional)
    radius. Strokes in MNIST's usual range are untouched.
    """
    px_per_unit = max(ink.shape) / BOX
    solid = ink > 0.5
    width = stroke_width(solid)
    if width < STROKE_RANGE[0] * px_per_unit:
        grow = (STROKE_WIDTH * px_per_unit - width) / 2
        pad = int(math.ceil(grow)) + 1
        outside = ndimage.distance_transform_edt(~np.pad(solid, pad))
        return _crop(np.clip(grow + 1.0 - outside, 0, 1).astype(np.float32))
    if width > STROKE_RANGE[1] * px_per_unit:
        inside = ndimage.distance_transform_edt(np.pad(solid, 1))
        shrink = (width - STROKE_RANGE[1] * px_per_unit) / 2
        for _ in range(3):  # a blob-like digit can't lose the whole excess: take less if needed
            thinner = np.clip(inside - shrink, 0, 1).astype(np.float32)
            if (thinner > 0.5).sum() > 0.3 * solid.sum():  # never erode a digit away
                return _crop(thinner)
            shrink /= 2
    return ink


def _crop(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` (at most 20×20) in 28×28 with its centre of mass at MNIST's centre.

    The shift is sub-pixel (bilinear), so the centre lands within a small fraction of a pixel.
    """
    h, w = digit.shape
    field = np.zeros((FIELD, FIELD), np.float32)
    top, left = (FIELD - h) // 2, (FIELD - w) // 2
    field[top:top + h, left:left + w] = digit
    mass = float(field.sum())
    cy = float(field.sum(axis=1) @ np.arange(FIELD)) / mass
    cx = float(field.sum(axis=0) @ np.arange(FIELD)) / mass
    return ndimage.shift(field, (CENTRE - cy, CENTRE - cx), order=1, mode="constant")


def to_mnist(image, stages: dict | None = None) -> np.ndarray:
    """PIL image or numpy array (grey/RGB/RGBA, any dtype and size) → float32 [28, 28] in [0, 1].

    Raises NothingToRead when there is no digit to read. Pass a dict as `stages` to receive the
    intermediate images (crop, strokes, box) — the About tab draws the pipeline from them.
    """
    if isinstance(image, Image.Image):
        check_size(*image.size)
    else:
        height, width = (np.shape(image) + (0, 0))[:2]
        check_size(width, height)
    raw = raw_ink(image)
    # Find the digit on a small pooled copy (cheap; thin lines survive) ...
    factor = math.ceil(max(raw.shape) / SCAN_SIZE)
    scan = raw.ink(factor=factor)
    rows, cols = digit_box(scan)
    length = max(rows.stop - rows.start, cols.stop - cols.start)
    # ... and bring the box to about WORK_SIZE px. Most drawings fill enough of the scan to be
    # pooled on from it (a max of block maxima is the max of the bigger block: exact); a small
    # drawing on a big canvas is read again from the input, finer.
    if factor == 1 or length >= WORK_SIZE // 2:
        ink = _pool2d(scan[rows, cols], max(1, round(length / WORK_SIZE)), np.maximum)
    else:
        ink = raw.ink(*scale_box((rows, cols), factor), factor=max(1, round(length * factor / WORK_SIZE)))
    # Contrast: the darkest stroke becomes full ink, paper noise below INK_THRESHOLD goes.
    ink = _crop(np.clip((ink / ink.max() - INK_THRESHOLD) / (1 - INK_THRESHOLD), 0, 1))
    if stages is not None:
        stages["crop"] = ink
    length = max(ink.shape)
    if length < WORK_SIZE // 2:
        # Tiny drawings (MNIST's own 28×28 too) are enlarged for the stroke pass, to twice the work
        # size (96 px): their upsampled strokes need it (enlarged to 64 px, MNIST's test set read
        # through this path lost 0.07 pt; at 96 px, nothing).
        scale = 2 * WORK_SIZE / length
        ink = _resize(ink, max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    ink = normalise_stroke(ink)
    if stages is not None:
        stages["strokes"] = ink
    h, w = ink.shape
    scale = BOX / max(h, w)
    digit = _resize(ink, max(1, round(h * scale)), max(1, round(w * scale)))
    if stages is not None:
        stages["box"] = digit
    digit = centre_by_mass(np.clip(digit, 0, None))
    high = float(digit.max())
    if not math.isfinite(high) or high <= 0:
        raise Blank()
    return np.clip(digit / high, 0, 1).astype(np.float32)
