"""Hand-made pen strokes for each digit, as a person would draw them on a canvas.

Used for the app's example drawings, the tests (PIL drawings and browser mouse drags follow the
same paths) and the handwriting check in `benchmarks/`. Coordinates are in a unit box: x to the
right, y down, (0, 0) top-left.
"""
from __future__ import annotations

import math

from PIL import Image, ImageDraw

Point = tuple[float, float]


def arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 24) -> list[Point]:
    """Points along an ellipse arc; angles in degrees, 0 = right, 90 = down (screen coordinates)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start_deg + (end_deg - start_deg) * i / (n - 1) for i in range(n))]


DIGIT_STROKES: dict[int, list[list[Point]]] = {
    0: [arc(0.5, 0.5, 0.3, 0.45, -90, 270, 40)],
    1: [[(0.45, 0.15), (0.58, 0.04), (0.55, 0.96)]],
    2: [arc(0.5, 0.3, 0.3, 0.25, 190, 370, 20) + [(0.15, 0.95), (0.88, 0.95)]],
    3: [arc(0.48, 0.27, 0.3, 0.22, 200, 450, 20) + arc(0.48, 0.72, 0.34, 0.25, -90, 160, 24)],
    4: [[(0.5, 0.04), (0.15, 0.62), (0.88, 0.62)], [(0.66, 0.3), (0.66, 0.97)]],
    5: [[(0.82, 0.05), (0.3, 0.05), (0.25, 0.45)] + arc(0.5, 0.68, 0.32, 0.28, -130, 150, 24)],
    6: [[(0.72, 0.04)] + arc(0.5, 0.7, 0.32, 0.27, 200, 560, 36)],
    7: [[(0.12, 0.05), (0.88, 0.05), (0.42, 0.96)]],
    8: [arc(0.5, 0.27, 0.25, 0.22, 90, 450, 30) + arc(0.5, 0.72, 0.3, 0.25, -90, 270, 30)],
    9: [arc(0.47, 0.3, 0.28, 0.25, 0, 360, 30) + [(0.75, 0.3), (0.7, 0.97)]],
}


def placed(strokes: list[list[Point]], left: float, top: float, height: float, slant: float = 0.0,
           aspect: float = 0.7) -> list[list[Point]]:
    """Strokes in a unit box → canvas pixels: the box's top-left corner and height, its width
    `aspect` × height; `slant` shifts x by slant × (distance from the baseline), like italic handwriting."""
    width = height * aspect
    return [[(left + (x + slant * (1 - y)) * width, top + y * height) for x, y in stroke] for stroke in strokes]


def stroke_paths(digit: int, left: float, top: float, height: float, slant: float = 0.0,
                 aspect: float = 0.7) -> list[list[Point]]:
    """The digit's strokes in canvas pixels (`placed`)."""
    return placed(DIGIT_STROKES[digit], left, top, height, slant, aspect)


def draw_digit(digit: int, canvas: int = 800, left: float = 250, top: float = 150, height: float = 500,
               pen: int = 20, slant: float = 0.0, transparent: bool = False, ink=(0, 0, 0),
               paper=(255, 255, 255)) -> Image.Image:
    """Render a digit as a person would draw it: round-capped pen strokes on a square canvas.

    `transparent=True` gives an RGBA sketchpad layer (strokes on a fully transparent background).
    """
    image = (Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0)) if transparent
             else Image.new("RGB", (canvas, canvas), paper))
    draw_strokes(ImageDraw.Draw(image), stroke_paths(digit, left, top, height, slant), pen,
                 (*ink, 255) if transparent else ink)
    return image


# Paper and pens as visitors photograph them (the Upload tab's examples and the tests' photos).
PHOTO_STYLES = {
    "ballpoint-on-ruled-paper": dict(ink=(25, 40, 120), paper=(236, 232, 214), rule_lines=(160, 185, 215), slant=0.1),
    "chalk-on-a-board": dict(ink=(225, 228, 220), paper=(40, 62, 52), pen=18),
    "pencil": dict(ink=(105, 105, 110), paper=(245, 245, 242), pen=8),
}


def photo_of_digit(digit: int, ink, paper, rule_lines=None, shade: float = 0.15, pen: int = 12,
                   slant: float = 0.0, size: tuple[int, int] = (480, 640), seed: int = 0) -> Image.Image:
    """A digit as a phone photo of paper shows it: `ink` on `paper` (optionally ruled with
    `rule_lines`), lit unevenly (up to `shade` darker towards one corner), with sensor noise."""
    import numpy as np

    width, height = size
    image = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(image)
    if rule_lines is not None:
        for y in range(40, height, 48):
            draw.line([(0, y), (width, y)], fill=rule_lines, width=2)
    draw_strokes(draw, stroke_paths(digit, 0.3 * width, 0.22 * height, 0.5 * height, slant), pen, ink)
    across, down = 1 - shade * np.linspace(0, 1, width), 1 - shade / 2 * np.linspace(0, 1, height)
    light = across[None, :, None] * down[:, None, None]
    noise = np.random.default_rng(seed).normal(0, 4, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float64) * light + noise, 0, 255).astype(np.uint8))


def draw_strokes(draw: ImageDraw.ImageDraw, paths: list[list[Point]], pen: float, colour) -> None:
    """Pen strokes along `paths` (pixel coordinates), `pen` px wide, with round joints and caps."""
    for path in paths:
        draw.line(path, fill=colour, width=round(pen), joint="curve")
        for x, y in (path[0], path[-1]):  # round caps
            r = pen / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)


def redraw_as_canvas(digit28, rng, canvas: int = 800, transparent: bool = False) -> Image.Image:
    """An MNIST digit (28×28, white on black) re-drawn as a person's canvas drawing: black ink at a
    random size and place, a random pen width (thin to fat) and slant, on white or transparency.

    This is the "real handwriting" check: writers' shapes, canvas-scale strokes, none of MNIST's
    normalisation.
    """
    import numpy as np
    from scipy import ndimage

    height = int(rng.integers(120, 620))
    scale = height / 20  # MNIST digits are 20 px tall in their 28×28 field
    big = np.asarray(Image.fromarray(np.asarray(digit28, dtype=np.uint8)).resize(
        (round(28 * scale), round(28 * scale)), Image.BICUBIC)) > 127
    pen = float(rng.uniform(3, 0.16 * height))  # from a fine pen to a fat marker
    width_now = 2.3 * scale
    if pen < width_now:  # thinner: erode, but never below a visible stroke
        inside = ndimage.distance_transform_edt(big)
        thinner = inside > (width_now - pen) / 2
        big = thinner if thinner.sum() > 0.3 * big.sum() else big
    else:
        big = ndimage.distance_transform_edt(~big) <= (pen - width_now) / 2
    rows, cols = np.flatnonzero(big.any(1)), np.flatnonzero(big.any(0))
    big = big[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    ink = Image.fromarray((big * 255).astype(np.uint8))
    slant = float(rng.uniform(-0.35, 0.35))
    extra = int(abs(slant) * ink.height)
    ink = ink.transform((ink.width + extra, ink.height), Image.AFFINE,
                        (1, slant, -extra if slant > 0 else 0, 0, 1, 0), Image.BILINEAR)
    if max(ink.size) > canvas - 10:
        ink.thumbnail((canvas - 10, canvas - 10))
    x = int(rng.integers(0, canvas - ink.width))
    y = int(rng.integers(0, canvas - ink.height))
    if transparent:
        image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
        image.paste((0, 0, 0, 255), (x, y), ink)
    else:
        image = Image.new("RGB", (canvas, canvas), "white")
        image.paste((0, 0, 0), (x, y), ink)
    return image


# The re-drawn MNIST check (benchmarks/handwriting_check.py; issue #13's floor for MNIST's own writers
# drawn as canvases, and the figures the app states for the shipped model): this many test digits,
# picked and drawn from this seed.
REDRAWN_CHECK_SIZE = 2000
REDRAWN_CHECK_SEED = 2026


def redrawn_test_canvases(test, n: int, rng) -> list[tuple[Image.Image, int]]:
    """`n` digits of the MNIST split `test` (a data.Split), picked by the numpy Generator `rng` and
    each re-drawn as a canvas (`redraw_as_canvas`, on white or transparency at random), with labels."""
    picks = rng.choice(len(test), size=n, replace=False)
    return [(redraw_as_canvas(test.images[i].numpy(), rng, transparent=bool(rng.integers(2))), int(test.labels[i]))
            for i in picks]
