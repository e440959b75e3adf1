"""Whole-number accuracy: MNIST test digits placed side by side with random gaps (0–7 px at 28-px
scale, so some touch), 2–5 digits, upscaled to a canvas; a number counts only if every digit is right.

    python benchmarks/number_check.py [--n 500]

Last line: JSON with number and per-digit accuracy.
"""
import argparse
import json
import pathlib
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.data import load_mnist  # noqa: E402
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.numbers import read_number  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--data-dir")
    args = p.parse_args()
    predictor = Predictor.load(args.weights)
    test = load_mnist("test", args.data_dir)
    rng = np.random.default_rng(args.seed)
    right_numbers = right_digits = total_digits = wrong_count = 0
    for _ in range(args.n):
        picks = rng.choice(len(test), size=int(rng.integers(2, 6)), replace=False)
        parts = []
        for i in picks:
            parts += [255 - test.images[i].numpy(), np.full((28, int(rng.integers(0, 8))), 255, np.uint8)]
        strip = np.pad(np.concatenate(parts, axis=1), 6, constant_values=255)
        image = Image.fromarray(strip).resize((strip.shape[1] * 10, strip.shape[0] * 10), Image.BICUBIC)
        expected = "".join(str(int(test.labels[i])) for i in picks)
        got = read_number(predictor, image).text
        right_numbers += got == expected
        wrong_count += len(got) != len(expected)
        if len(got) == len(expected):
            right_digits += sum(a == b for a, b in zip(got, expected))
        total_digits += len(expected)
    result = {"numbers": args.n, "number_accuracy": round(right_numbers / args.n, 4),
              "digit_accuracy": round(right_digits / total_digits, 4),
              "wrong_digit_count": round(wrong_count / args.n, 4)}
    print(f"{args.n} numbers: {result['number_accuracy']:.1%} fully right, {result['digit_accuracy']:.1%} of digits, "
          f"{result['wrong_digit_count']:.1%} split into the wrong number of digits")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
