"""Whole numbers: split a drawing of several digits into one image per digit, left to right.

Strokes are connected components of the ink; components that share most of their horizontal
extent belong to one digit (the detached bar of a 5, the second stroke of a 4). Each digit is then
read by the same preprocessing as a single drawing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .inference import Prediction, Predictor
from .preprocess import SCAN_SIZE, NothingToRead, bounding_box, raw_ink, scale_box, strokes, to_mnist

MAX_DIGITS = 12


@dataclass(frozen=True)
class NumberReading:
    digits: list[Prediction]

    @property
    def text(self) -> str:
        return "".join(str(p.digit) for p in self.digits)

    @property
    def confidence(self) -> float:
        """Chance that every digit is right, if the digits' errors were independent."""
        return float(np.prod([p.confidence for p in self.digits]))


def _group_by_columns(boxes: list[tuple[slice, slice]]) -> list[list[int]]:
    """Components whose x-ranges overlap by half the narrower one (or nest) form one digit."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1].start)
    groups: list[list[int]] = []
    spans: list[list[int]] = []  # [x0, x1) of each group
    for i in order:
        x0, x1 = boxes[i][1].start, boxes[i][1].stop
        if spans:
            g0, g1 = spans[-1]
            overlap = min(x1, g1) - max(x0, g0)
            if overlap >= 0.5 * min(x1 - x0, g1 - g0):
                groups[-1].append(i)
                spans[-1] = [min(g0, x0), max(g1, x1)]
                continue
        groups.append([i])
        spans.append([x0, x1])
    return groups


def split_digits(image) -> list[np.ndarray]:
    """A drawing of one or more digits → one float ink image per digit (light on dark), left to right."""
    raw = raw_ink(image)
    factor = math.ceil(max(raw.shape) / SCAN_SIZE)
    labels, kept, boxes = strokes(raw.ink(factor=factor))
    groups = _group_by_columns(boxes)
    if len(groups) > MAX_DIGITS:
        raise NothingToRead(f"Found {len(groups)} separate marks — draw at most {MAX_DIGITS} digits.")
    digits = []
    for group in groups:
        rows, cols = bounding_box([boxes[i] for i in group])
        # this digit's strokes only (a neighbour's ink can reach into the box), at full resolution
        mask = ndimage.binary_dilation(np.isin(labels[rows, cols], [kept[i] for i in group]), iterations=1)
        mask = mask.repeat(factor, axis=0).repeat(factor, axis=1)  # to full size (np.kron took 7× as long)
        crop = raw.ink(*scale_box((rows, cols), factor))
        crop = crop * mask[:crop.shape[0], :crop.shape[1]]
        margin = max(2, max(crop.shape) // 10)  # a dark border, so the crop reads as light ink on dark
        digits.append(np.pad(crop, margin))
    return digits


def read_number(predictor: Predictor, image) -> NumberReading:
    images = np.stack([to_mnist(digit) for digit in split_digits(image)])
    return NumberReading(predictor.predict_mnist(images))
