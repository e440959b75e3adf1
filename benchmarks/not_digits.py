"""Drawings that are not digits: how many does the app answer with its "not sure" note?

    python benchmarks/not_digits.py [--weights W ...] [--count 300]

Visitors test a digit demo with letters, stars and doodles. Two sets of 560-px canvases (the Draw
tab's), each shape drawn with a thick and a fine pen at a few sizes and places, read through the
app's path (`Predictor.predict`):
* taught: the kinds `mnist_mlp/outliers.py` draws (letters A E F H K M N R W X, + # * ★ → ←, smileys,
  zig-zags), from a seed no training run uses — for weights trained with `--outliers`, shapes of
  the kinds they were shown;
* unseen: other shapes, written out below and drawn by no training code (V, Y, π, ✓, ~, =, ≠, Ж,
  an envelope, a sun, a house, a flower).
Prints per weights file the share of each set under the "not sure" threshold and under the "doesn't
look like a digit" one (`inference.UNSURE_BELOW`, `NOT_A_DIGIT_BELOW`), the median top probability,
and what each unseen shape was read as. Last line: one JSON object with the first weights file's
{"taught_unsure", "unseen_unsure", "taught_not_a_digit", "unseen_not_a_digit"} (+ per weights file).
"""
import argparse
import json
import math
import pathlib
import statistics
import sys

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.outliers import not_a_digit  # noqa: E402
from mnist_mlp.synthetic_handwriting import arc, draw_strokes, placed  # noqa: E402
from mnist_mlp.ui.common import DIGIT_CANVAS, DIGIT_PEN  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402

CANVAS = DIGIT_CANVAS[0]  # the Draw tab's canvas ...
PENS = {"thick": DIGIT_PEN, "fine": 6}  # ... its pen, and a fine one
SEED = 2026  # the taught kinds' drawings; a training run's pool uses its seed + 13 (training.setup)


def _circle(cx, cy, r, n=24):
    return arc(cx, cy, r, r, 0, 360, n)


UNSEEN = {  # unit box, x to the right, y down (like styles.py and outliers.py)
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.45), (1.0, 0.0)], [(0.5, 0.45), (0.5, 1.0)]],
    "pi": [[(0.0, 0.1), (1.0, 0.1)], [(0.3, 0.1), (0.25, 1.0)], [(0.7, 0.1), (0.8, 1.0)]],
    "tick": [[(0.0, 0.6), (0.3, 1.0), (1.0, 0.0)]],
    "wave": [[(x / 20, 0.5 - 0.3 * math.sin(x / 20 * 2 * math.pi)) for x in range(21)]],
    "equals": [[(0.0, 0.35), (1.0, 0.35)], [(0.0, 0.65), (1.0, 0.65)]],
    "not-equal": [[(0.0, 0.35), (1.0, 0.35)], [(0.0, 0.65), (1.0, 0.65)], [(0.7, 0.0), (0.3, 1.0)]],
    "zhe": [[(0.5, 0.0), (0.5, 1.0)], [(0.0, 0.0), (0.5, 0.5), (0.0, 1.0)], [(1.0, 0.0), (0.5, 0.5), (1.0, 1.0)]],
    "envelope": [[(0.0, 0.2), (1.0, 0.2), (1.0, 0.8), (0.0, 0.8), (0.0, 0.2)], [(0.0, 0.2), (0.5, 0.55), (1.0, 0.2)]],
    "sun": [_circle(0.5, 0.5, 0.22)] + [[(0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)),
                                        (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))]
                                       for a in (k * math.pi / 4 for k in range(8))],
    "house": [[(0.1, 0.45), (0.5, 0.0), (0.9, 0.45)], [(0.2, 0.35), (0.2, 1.0), (0.8, 1.0), (0.8, 0.35)],
              [(0.4, 1.0), (0.4, 0.7), (0.6, 0.7), (0.6, 1.0)]],
    "flower": [_circle(0.5, 0.3, 0.1)] + [_circle(0.5 + 0.18 * math.cos(a), 0.3 + 0.18 * math.sin(a), 0.08, 16)
                                         for a in (k * math.pi / 3 for k in range(6))]
              + [[(0.5, 0.5), (0.5, 1.0)], [(0.5, 0.8), (0.75, 0.65)]],
}


def canvas_of(strokes, pen: int, left: float, top: float, height: float, aspect: float = 1.0) -> Image.Image:
    """Strokes in a unit box → a white CANVAS × CANVAS drawing, the box's top-left at (left, top)."""
    image = Image.new("RGB", (CANVAS, CANVAS), "white")
    draw_strokes(ImageDraw.Draw(image), placed(strokes, left, top, height, aspect=aspect), pen, (0, 0, 0))
    return image


def placements(rng, count):
    """`count` (pen, left, top, height, aspect): half thick, half fine, at random sizes and places."""
    for i in range(count):
        height = rng.uniform(0.35, 0.75) * CANVAS
        aspect = math.exp(rng.uniform(math.log(0.7), math.log(1.2)))
        yield (PENS["thick"] if i % 2 == 0 else PENS["fine"], rng.uniform(0.05, 0.95) * (CANVAS - height * aspect),
               rng.uniform(0.05, 0.95) * (CANVAS - height), height, aspect)


def taught_canvases(count: int) -> list[Image.Image]:
    rng = np.random.default_rng(SEED)
    return [canvas_of(not_a_digit(rng), *placement) for placement in placements(rng, count)]


def unseen_canvases(per_shape: int = 6) -> list[tuple[str, Image.Image]]:
    rng = np.random.default_rng(SEED + 1)
    return [(name, canvas_of(strokes, *placement)) for name, strokes in UNSEEN.items()
            for placement in placements(rng, per_shape)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)])
    p.add_argument("--count", type=int, default=300, help="taught-kind canvases")
    args = p.parse_args()
    taught, unseen = taught_canvases(args.count), unseen_canvases()
    results = {}
    for path in args.weights:
        predictor = Predictor.load(path)
        read_taught = [predictor.predict(c) for c in taught]
        read_unseen = [(name, predictor.predict(c)) for name, c in unseen]
        result = {"taught_unsure": round(100 * sum(r.unsure for r in read_taught) / len(read_taught), 1),
                  "unseen_unsure": round(100 * sum(r.unsure for _, r in read_unseen) / len(read_unseen), 1),
                  "taught_not_a_digit": round(100 * sum(r.not_a_digit for r in read_taught) / len(read_taught), 1),
                  "unseen_not_a_digit": round(100 * sum(r.not_a_digit for _, r in read_unseen) / len(read_unseen), 1),
                  "taught_median_confidence": round(statistics.median(r.confidence for r in read_taught), 3),
                  "unseen_median_confidence": round(statistics.median(r.confidence for _, r in read_unseen), 3)}
        results[path] = result
        print(f"{path}: not sure on {result['taught_unsure']} % of {len(taught)} taught-kind drawings "
              f"(median top probability {result['taught_median_confidence']}), "
              f"{result['unseen_unsure']} % of {len(unseen)} unseen ones ({result['unseen_median_confidence']}); "
              f"\"doesn't look like a digit\" on {result['taught_not_a_digit']} % / {result['unseen_not_a_digit']} %")
        for name in UNSEEN:
            reads = [r for n, r in read_unseen if n == name]
            print(f"  {name:10s} " + "  ".join(f"{r.digit}:{r.confidence:.2f}{'?' if r.unsure else ''}" for r in reads))
    first = results[args.weights[0]]
    print(json.dumps({**{k: first[k] for k in ("taught_unsure", "unseen_unsure", "taught_not_a_digit",
                                                "unseen_not_a_digit")}, "per_weights": results}))


if __name__ == "__main__":
    main()
