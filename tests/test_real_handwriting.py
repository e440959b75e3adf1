"""The shipped models on real handwriting from writers outside MNIST (Semeion), drawn as canvases
with a thick and a fine pen by the shared renderer and read through the app's own path.

Only for measuring: nothing here trains or tunes on it. Each model's accuracy is checked on the first
600 digits (60 of each, in the data set's order), which keeps twelve models to about a minute; the
shipped default's "not sure" note on all 1,593, as `benchmarks/real_handwriting.py` reads them.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from mnist_mlp.inference import UNSURE_BELOW, Predictor
from mnist_mlp.preprocess import open_image, to_mnist
from mnist_mlp.weights import DEFAULT_WEIGHTS
from real_handwriting import share_with_interval, wilson_interval

WEIGHTS = DEFAULT_WEIGHTS.parent

SEMEION = Path(os.environ.get("SEMEION", ROOT.parent / "shared" / "handwriting" / "semeion.data"))
RENDERER = SEMEION.parent.parent / "tools" / "render_semeion.py"
DIGITS = 600
STYLES = ("thick", "thin")
# What the shipped models read of these 600 as the app reads them since the thirty-fourth session (a
# digit the network is unsure of read at nine positions, inference.READ_SHIFTED_BELOW; read once,
# as before, in brackets): the default since the thirty-fifth session, the average of the two deepened
# networks, 97.83 / 97.17 %; those two 97.67 / 97.17 % and 98.00 / 97.17 %; the upweighted pair before
# it 97.83 / 97.50 % (97.50 / 97.17); its two 97.83 / 97.00 % (97.50 / 96.83) and 97.50 / 97.17 %
# (96.83 / 96.50); the sharp_outliers pair before them 97.50 / 96.83 % and 97.67 / 97.33 %; the sharp pair without the
# drawings that are not digits 97.67 / 97.67 % and 97.33 / 97.67 %; the styles networks they all started
# from 95.83 / 93.83 % (95.83 / 94.50) and 96.00 / 94.67 %; MNIST-only 91.83 / 89.00 % — rounded down to
# the point or half point below (strictly below where a reading falls on one).
FLOOR = {"mnist_mlp.safetensors": {"thick": 0.975, "thin": 0.97},
         "deepened_seed104.safetensors": {"thick": 0.975, "thin": 0.97},
         "deepened_seed105.safetensors": {"thick": 0.975, "thin": 0.97},
         "upweighted_seed102.safetensors": {"thick": 0.975, "thin": 0.965},
         "upweighted_seed103.safetensors": {"thick": 0.97, "thin": 0.97},
         "sharp_outliers_seed0.safetensors": {"thick": 0.97, "thin": 0.965},
         "sharp_outliers_seed1.safetensors": {"thick": 0.975, "thin": 0.97},
         "sharp_seed0.safetensors": {"thick": 0.975, "thin": 0.975},
         "sharp_seed1.safetensors": {"thick": 0.97, "thin": 0.975},
         "styles_seed0.safetensors": {"thick": 0.955, "thin": 0.935},
         "styles_seed1.safetensors": {"thick": 0.955, "thin": 0.945},
         "mnist_only.safetensors": {"thick": 0.915, "thin": 0.885}}


@pytest.fixture(scope="module")
def canvases(tmp_path_factory):
    if not SEMEION.exists() or not RENDERER.exists():
        pytest.fail(f"the Semeion data and its renderer are required (set SEMEION): {SEMEION}, {RENDERER}")
    folder = tmp_path_factory.mktemp("semeion")
    sets = {}
    for style in STYLES:
        subprocess.run([sys.executable, str(RENDERER), str(SEMEION), str(folder / style), style], check=True,
                       stdout=subprocess.DEVNULL)
        rows = [line.split() for line in (folder / style / "labels.txt").read_text().splitlines() if line]
        sets[style] = (np.stack([to_mnist(open_image(folder / style / name)) for name, _ in rows]),
                       np.array([int(label) for _, label in rows]))
    return sets


@pytest.fixture(scope="module")
def first_digits(canvases):
    """The first DIGITS of each pen's canvases (the renderer draws each digit's size and place in turn
    from one seeded generator, so these are the canvases it draws of the first DIGITS alone)."""
    return {style: (images[:DIGITS], labels[:DIGITS]) for style, (images, labels) in canvases.items()}


@pytest.fixture(scope="module")
def accuracy(first_digits):
    """{model name: {pen: share of the canvases read right}}, each model loaded once."""
    result = {}
    for name in FLOOR:
        predictor = Predictor.load(WEIGHTS / name)
        result[name] = {style: (predictor.probabilities(images).argmax(1) == labels).mean()
                        for style, (images, labels) in first_digits.items()}
    return result


@pytest.mark.parametrize("name", sorted(FLOOR))
def test_real_handwriting_is_read(first_digits, accuracy, name):
    for style, (images, labels) in first_digits.items():
        assert len(labels) == DIGITS and np.bincount(labels).min() >= 55
        read = accuracy[name][style]
        assert read >= FLOOR[name][style], f"{name}, {style} pen: {read:.2%} of {DIGITS} Semeion canvases"


def test_the_models_trained_on_restyled_digits_read_more_of_it_than_the_mnist_only_one(accuracy):
    for style in STYLES:
        for name in set(FLOOR) - {"mnist_only.safetensors"}:
            assert accuracy[name][style] > accuracy["mnist_only.safetensors"][style], (name, style)


def test_the_default_is_not_sure_of_most_of_its_wrong_answers_and_few_of_its_right_ones(canvases):
    # Issue #13's goal, over all of Semeion's canvases, both pens: the note on at least 70 % of the
    # wrong answers and at most 5 % of the right ones (the rule behind the note is set on MNIST:
    # test_inference.py). Measured: 79 of 105 wrong (75.2 %), 153 of 3,081 right (4.97 %).
    predictor = Predictor.load(DEFAULT_WEIGHTS)
    counts, per_pen = np.zeros((2, 2), int), []
    for style, (images, labels) in canvases.items():
        assert len(labels) == 1593
        probabilities = predictor.probabilities(images)
        right, unsure = probabilities.argmax(1) == labels, probabilities.max(1) < UNSURE_BELOW
        pen = np.array([[(unsure & ~right).sum(), (~right).sum()], [(unsure & right).sum(), right.sum()]])
        counts += pen
        per_pen.append(f"{style}: {pen[0, 0]}/{pen[0, 1]} wrong, {pen[1, 0]}/{pen[1, 1]} right")
    (unsure_wrong, wrong), (unsure_right, right) = counts
    assert unsure_wrong / wrong >= 0.70 and unsure_right / right <= 0.05, "; ".join(per_pen)


def test_the_note_shares_carry_their_wilson_interval():
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → 0.2553–0.3662; 0/10 → 0–0.2775.
    assert np.allclose(wilson_interval(81, 263), (0.2553, 0.3662), atol=5e-5)
    assert np.allclose(wilson_interval(0, 10), (0.0, 0.2775), atol=5e-5)
    # More answers, a narrower interval around the same share; it always holds the share itself.
    few, many = wilson_interval(37, 53), wilson_interval(370, 530)
    assert few[0] < many[0] < 37 / 53 < many[1] < few[1]
    assert share_with_interval(37, 53) == "37/53 = 69.8% (56.5%–80.5%)"
