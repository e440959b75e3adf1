"""Server time per stroke on the Draw tab: the prediction alone (panels closed) and with the Inside,
Compare and plain-resize panels open — the same handlers the page's one stroke event calls.

    python benchmarks/bench_panels.py [--runs 300]

Last line: one JSON object (milliseconds, p50 / p99).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mnist_mlp.corrections import CorrectionStore  # noqa: E402
from mnist_mlp.inference import Predictor, one_blas_thread  # noqa: E402
from mnist_mlp.shelf import ModelShelf  # noqa: E402
from mnist_mlp.synthetic_handwriting import draw_digit  # noqa: E402
from mnist_mlp.ui.common import read_drawing  # noqa: E402
from mnist_mlp.ui.compare import CompareLogic  # noqa: E402
from mnist_mlp.ui.draw import DrawLogic  # noqa: E402
from mnist_mlp.ui.inside import InsideLogic  # noqa: E402
from mnist_mlp.ui.plain import PlainLogic  # noqa: E402
from mnist_mlp.weights import WEIGHTS_DIR  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=300)
    args = p.parse_args()
    one_blas_thread()  # as the app runs (app.py)
    predictor = Predictor.load()
    draw = DrawLogic(predictor, CorrectionStore("/nonexistent"))
    inside, plain = InsideLogic(predictor), PlainLogic(predictor)
    compare = CompareLogic(predictor, ModelShelf([WEIGHTS_DIR]))
    values = [{"background": None, "layers": [], "composite": np.asarray(draw_digit(d, pen=30).convert("RGBA"))}
              for d in range(10)]

    def closed(value):
        draw.view(read_drawing(value))

    def inside_open(value):
        reading = read_drawing(value)
        draw.view(reading)
        inside.panel(reading, True)

    def all_open(value):
        reading = read_drawing(value, plain=True)
        draw.view(reading)
        inside.panel(reading, True)
        compare.panel(reading, "mnist_mlp.safetensors", True)
        plain.panel(reading, True)

    result = {}
    for name, stroke in (("closed", closed), ("inside_open", inside_open), ("all_open", all_open)):
        for value in values:
            stroke(value)  # warm
        samples = []
        for i in range(args.runs):
            t = time.perf_counter()
            stroke(values[i % 10])
            samples.append((time.perf_counter() - t) * 1000)
        result[f"{name}_p50_ms"] = round(float(np.percentile(samples, 50)), 2)
        result[f"{name}_p99_ms"] = round(float(np.percentile(samples, 99)), 2)
    result["inside_extra_p50_ms"] = round(result["inside_open_p50_ms"] - result["closed_p50_ms"], 2)
    result["all_panels_extra_p50_ms"] = round(result["all_open_p50_ms"] - result["closed_p50_ms"], 2)
    print(f"per stroke: panels closed {result['closed_p50_ms']} ms, Inside open {result['inside_open_p50_ms']} ms "
          f"(+{result['inside_extra_p50_ms']}), all three open {result['all_open_p50_ms']} ms "
          f"(+{result['all_panels_extra_p50_ms']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
