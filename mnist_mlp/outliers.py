"""Drawings that are not digits, for teaching the network to say so (outlier exposure).

Visitors test a digit demo with letters, stars and doodles. Trained on digits only, the network
read an `A`, an `M` or a heart as a digit at 97 % (thirteenth session, `/tmp` check). Outlier exposure
(Hendrycks et al. 2019) adds such drawings to training with the target "every digit equally
likely", so that a shape unlike any digit gets a low top probability, and the "not sure" note.

Only shapes that no way of writing a digit resembles: no `O`, `S`, `Z`, `B`, `G`, `I`, `L`, `T`,
`b`, `g`, `q`, spirals, triangles or boxes (a boxy 0, a closed 4, a curled 6 are all written).
Coordinates are in a unit box, x to the right, y down, like `styles.py`'s, and drawn the same way
(`styles.draw_in_normal_form`: random pen and aspect, MNIST's normal form).
"""
from __future__ import annotations

import math

import numpy as np

from .synthetic_handwriting import Point, arc


def _jitter(strokes: list[list[Point]], r: np.random.Generator, amount: float = 0.04) -> list[list[Point]]:
    """Each point moved a little: a hand does not draw straight to the corners."""
    return [[(x + r.normal(0, amount), y + r.normal(0, amount)) for x, y in stroke] for stroke in strokes]


def letter_a(r):
    apex = r.uniform(0.35, 0.65)
    bar = r.uniform(0.5, 0.75)
    return [[(0.0, 1.0), (apex, 0.0), (1.0, 1.0)], [(apex * (1 - bar), bar), (1 - (1 - apex) * (1 - bar), bar)]]


def letter_e(r):
    middle = r.uniform(0.4, 0.6)
    return [[(1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 1.0)], [(0.0, middle), (r.uniform(0.6, 0.95), middle)]]


def letter_f(r):
    middle = r.uniform(0.4, 0.6)
    return [[(1.0, 0.0), (0.0, 0.0), (0.0, 1.0)], [(0.0, middle), (r.uniform(0.6, 0.9), middle)]]


def letter_h(r):
    middle = r.uniform(0.4, 0.6)
    return [[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (1.0, 1.0)], [(0.0, middle), (1.0, middle)]]


def letter_k(r):
    joint = r.uniform(0.4, 0.6)
    return [[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (0.0, joint), (1.0, 1.0)]]


def letter_m(r):
    dip = r.uniform(0.4, 0.8)
    return [[(0.0, 1.0), (0.05, 0.0), (0.5, dip), (0.95, 0.0), (1.0, 1.0)]]


def letter_n(r):
    return [[(0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (1.0, 0.0)]]


def letter_r(r):
    bowl = r.uniform(0.4, 0.55)
    return [[(0.0, 1.0), (0.0, 0.0), (0.55, 0.0)] + arc(0.55, bowl / 2, 0.4, bowl / 2, -90, 90)[1:]
            + [(0.0, bowl), (1.0, 1.0)]]


def letter_w(r):
    rise = r.uniform(0.2, 0.6)
    return [[(0.0, 0.0), (0.25, 1.0), (0.5, rise), (0.75, 1.0), (1.0, 0.0)]]


def letter_x(r):
    return [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]]


def plus_sign(r):
    across = r.uniform(0.35, 0.65)
    down = r.uniform(0.35, 0.65)
    return [[(down, 0.0), (down, 1.0)], [(0.0, across), (1.0, across)]]


def hash_sign(r):
    lean = r.uniform(0.0, 0.25)
    return [[(0.35 + lean, 0.0), (0.3, 1.0)], [(0.75 + lean, 0.0), (0.7, 1.0)],
            [(0.0, 0.33), (1.0, 0.33)], [(0.0, 0.67), (1.0, 0.67)]]


def asterisk(r):
    turn = r.uniform(0, math.pi)
    arms = int(r.integers(3, 5))
    return [[(0.5 + 0.5 * math.cos(turn + k * math.pi / arms), 0.5 + 0.5 * math.sin(turn + k * math.pi / arms)),
             (0.5 - 0.5 * math.cos(turn + k * math.pi / arms), 0.5 - 0.5 * math.sin(turn + k * math.pi / arms))]
            for k in range(arms)]


def star(r):
    turn = r.uniform(0, 2 * math.pi)
    corners = [(0.5 + 0.5 * math.cos(turn + k * 4 * math.pi / 5), 0.5 + 0.5 * math.sin(turn + k * 4 * math.pi / 5))
               for k in range(6)]
    return [corners]


def arrow(r):
    head = r.uniform(0.2, 0.4)
    shaft = [(0.0, 0.5), (1.0, 0.5)]
    strokes = [shaft, [(1.0 - head, 0.5 - head), (1.0, 0.5), (1.0 - head, 0.5 + head)]]
    if r.random() < 0.5:  # ← as often as →; never ↑ or ↓, which look like a 1 with a flag or a foot
        strokes = [[(1.0 - x, y) for x, y in stroke] for stroke in strokes]
    return strokes


def smiley(r):
    eyes = r.uniform(0.1, 0.2)
    return [arc(0.5, 0.5, 0.5, 0.5, 0, 360, 32), arc(0.35, 0.35, eyes / 3, eyes / 3, 0, 360, 8),
            arc(0.65, 0.35, eyes / 3, eyes / 3, 0, 360, 8), arc(0.5, 0.55, 0.25, 0.2, 20, 160, 12)]


def scribble(r):
    """A zig-zag back and forth: 7–12 corners, each side of the box in turn."""
    n = int(r.integers(7, 13))
    return [[(float(i % 2) * r.uniform(0.7, 1.0) + (1 - i % 2) * r.uniform(0.0, 0.3), r.uniform(0, 1))
             for i in range(n)]]


SHAPES = (letter_a, letter_e, letter_f, letter_h, letter_k, letter_m, letter_n, letter_r, letter_w, letter_x,
          plus_sign, hash_sign, asterisk, star, arrow, smiley, scribble)


def not_a_digit(r: np.random.Generator) -> list[list[Point]]:
    """The strokes of one shape of `SHAPES`, picked at random, slightly shaken."""
    return _jitter(SHAPES[int(r.integers(len(SHAPES)))](r), r)


def outlier_images(n: int, seed: int = 0) -> np.ndarray:
    """uint8 [n, 28, 28]: drawings that are not digits, in MNIST's normal form."""
    from .styles import draw_in_normal_form

    r = np.random.default_rng(seed)
    return np.stack([np.round(draw_in_normal_form(not_a_digit(r), r) * 255).astype(np.uint8) for _ in range(n)]) \
        if n else np.zeros((0, 28, 28), np.uint8)
