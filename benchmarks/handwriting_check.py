"""How well the whole path reads handwriting drawn as canvases, not MNIST's tidy 28×28 images.

Two sets, both drawn fresh with a fixed seed:
  * MNIST test digits (real writers) re-drawn on 800×800 canvases at random size, place, pen width
    and slant, black on white or on transparency (`synthetic_handwriting.redraw_as_canvas`);
  * the hand-made stroke digits (`synthetic_handwriting.draw_digit`) with random pens, slants, sizes and places.
Each is read by our preprocessing and, for comparison, by a plain resize of the canvas to 28×28.

    python benchmarks/handwriting_check.py [--weights W ...] [--n 2000]

Last line: JSON with the accuracy of each weights file on each set.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.data import load_mnist  # noqa: E402
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.preprocess import plain_resize, to_mnist  # noqa: E402
from mnist_mlp.synthetic_handwriting import (REDRAWN_CHECK_SEED, REDRAWN_CHECK_SIZE, draw_digit,  # noqa: E402
                                             redrawn_test_canvases)
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402


def canvases(n, seed, data_dir=None):
    rng = np.random.default_rng(seed)
    redrawn = redrawn_test_canvases(load_mnist("test", data_dir), n, rng)
    stroked = []
    for i in range(n // 4):
        digit = i % 10
        height = float(rng.uniform(150, 650))
        stroked.append((draw_digit(digit, height=height, left=float(rng.uniform(0, 800 - 0.9 * height)),
                                   top=float(rng.uniform(0, 790 - height)), pen=int(rng.uniform(3, 0.15 * height)),
                                   slant=float(rng.uniform(-0.3, 0.3)), transparent=bool(rng.integers(2))), digit))
    return {"mnist_redrawn": redrawn, "stroke_digits": stroked}


def accuracy(predictor, images, labels):
    return float((predictor.probabilities(np.stack(images)).argmax(1) == np.array(labels)).mean())


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)])
    p.add_argument("--n", type=int, default=REDRAWN_CHECK_SIZE)
    p.add_argument("--seed", type=int, default=REDRAWN_CHECK_SEED)
    p.add_argument("--data-dir")
    args = p.parse_args()
    sets = canvases(args.n, args.seed, args.data_dir)
    processed = {name: ([to_mnist(im) for im, _ in items], [plain_resize(im) for im, _ in items],
                        [label for _, label in items]) for name, items in sets.items()}
    results = {}
    for weights in args.weights:
        predictor = Predictor.load(weights)
        name = pathlib.Path(weights).name
        for set_name, (ours, naive, labels) in processed.items():
            results[f"{name}:{set_name}"] = round(accuracy(predictor, ours, labels), 4)
            results[f"{name}:{set_name}:plain_resize"] = round(accuracy(predictor, naive, labels), 4)
            print(f"{name:32s} {set_name:14s} ours {results[f'{name}:{set_name}']:.2%}   "
                  f"plain resize {results[f'{name}:{set_name}:plain_resize']:.2%}   ({len(labels)} canvases)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
