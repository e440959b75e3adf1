"""Digits in styles no shipped recipe trains on: how many does the app read right, and is it sure?

    python benchmarks/unseen_styles.py [--weights W ...] [--count 300]

Two styles a visitor may well draw, from `mnist_mlp/styles.py` (training draws them only with
`train.py --crossed-zeros` or `--looped-twos`, which no preset sets):
* crossed 0s: a `0` with a slash through it (`Ø`, as programmers write it) or a bar across it (`θ`);
* looped 2s: a cursive `2` turning round a loop at the lower left, as many continental writers do.
Each is drawn on the Draw tab's canvas with its thick pen and a fine one at random sizes and places
(`not_digits.py`'s placements), from a seed no training run uses, and read through the app's path
(`Predictor.predict`). Prints per weights file and style the share read right, what the wrong ones
were read as, and the "not sure" note's share of the wrong and the right answers (each with its 95 %
interval, as `real_handwriting.py` prints them). Last line: one JSON
object with the first weights file's {"crossed_zero", "looped_two"} (shares read right, per weights
file beside).
"""
import argparse
import collections
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.styles import crossed_zero, looped_two  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402
from not_digits import canvas_of, placements  # noqa: E402
from real_handwriting import share_with_interval  # noqa: E402

STYLES = {"crossed_zero": (0, crossed_zero), "looped_two": (2, looped_two)}
SEED = 9361  # no training run draws its styles from this seed


def style_canvases(style: str, count: int) -> list:
    """`count` canvases of one style, half with the Draw tab's pen and half with a fine one."""
    _, draw = STYLES[style]
    rng = np.random.default_rng([SEED, list(STYLES).index(style)])
    return [canvas_of(draw(rng), *placement) for placement in placements(rng, count)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)])
    p.add_argument("--count", type=int, default=300, help="canvases of each style")
    args = p.parse_args()
    canvases = {style: style_canvases(style, args.count) for style in STYLES}
    results = {}
    for path in args.weights:
        predictor = Predictor.load(path)
        print(pathlib.Path(path).name)
        results[path] = {}
        for style, (digit, _) in STYLES.items():
            reads = [predictor.predict(c) for c in canvases[style]]
            right = [r for r in reads if r.digit == digit]
            wrong = [r for r in reads if r.digit != digit]
            read_as = collections.Counter(r.digit for r in wrong).most_common(3)
            print(f"  {style:12s} read right {share_with_interval(len(right), len(reads))}"
                  f" (wrong ones read as {', '.join(f'{d} ×{n}' for d, n in read_as) or 'nothing'});"
                  f" not sure on {share_with_interval(sum(r.unsure for r in wrong), len(wrong))} of wrong,"
                  f" {share_with_interval(sum(r.unsure for r in right), len(right))} of right")
            results[path][style] = round(len(right) / len(reads), 4)
    print(json.dumps({**results[args.weights[0]], "per_weights": results}))


if __name__ == "__main__":
    main()
