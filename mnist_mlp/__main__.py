"""Command line: `python -m mnist_mlp predict FILE...` and `python -m mnist_mlp evaluate`.

Output is a contract other tools rely on: one JSON object per line (see README).
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .weights import DEFAULT_WEIGHTS, WeightsError

CHUNK = 512  # files preprocessed, then predicted in one forward pass


def predict_files(predictor, files: list[str], out=sys.stdout) -> int:
    """Print one JSON line per file, in order; return how many failed."""
    from .preprocess import ImageProblem, open_image, to_mnist

    failed = 0
    for start in range(0, len(files), CHUNK):
        rows: list[dict] = []
        images = []
        for name in files[start:start + CHUNK]:
            try:
                images.append(to_mnist(open_image(name)))
                rows.append({"file": name})
            except ImageProblem as error:
                rows.append({"file": name, "error": str(error)})
            except Exception as error:  # an unexpected decoder failure is still this file's error
                rows.append({"file": name, "error": f"could not read image ({type(error).__name__}: {error})"})
        predictions = iter(predictor.predict_mnist(np.stack(images)) if images else [])
        for row in rows:
            if "error" in row:
                failed += 1
            else:
                row.update(next(predictions).as_json())
            out.write(json.dumps(row) + "\n")
        out.flush()
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_mlp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="predict the digit in each image file")
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    evaluate = commands.add_parser("evaluate", help="accuracy on the 10,000 MNIST test images")
    evaluate.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    evaluate.add_argument("--data-dir", help="MNIST root (ROOT/MNIST/raw); default $MNIST_ROOT, then ./data")
    args = parser.parse_args(argv)

    from .inference import Predictor

    try:
        predictor = Predictor.load(args.weights)
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "predict":
        return 1 if predict_files(predictor, args.files) else 0

    from .data import MnistError, load_mnist

    try:
        test = load_mnist("test", args.data_dir)
    except MnistError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    predicted = predictor.probabilities(test.images.numpy() / np.float32(255)).argmax(axis=1)
    accuracy = float((predicted == test.labels.numpy()).mean())
    print(json.dumps({"accuracy": accuracy, "samples": len(test), "weights": args.weights}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
