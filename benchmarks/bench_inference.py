"""Preprocess + predict latency of one canvas as the Draw tab sends it (560×560; `--canvas 800` for
the size it had until 2026-12-02), and batch throughput; and the CPU a reading costs the whole
process when readings come with pauses between them, as a visitor's strokes do, with NumPy's BLAS
as it comes (its threads) against one thread, as the app runs it.

    python benchmarks/bench_inference.py [--weights W] [--runs 1000] [--canvas 560]

Last line: one JSON object with p50_ms, p99_ms and images_per_second (and unsure_p50_ms: a drawing
the plain reading is unsure of, read again at eight one-pixel shifts).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.inference import Predictor, jittered_logits, one_blas_thread  # noqa: E402
from mnist_mlp.preprocess import to_mnist  # noqa: E402
from mnist_mlp.synthetic_handwriting import draw_digit  # noqa: E402
from mnist_mlp.ui.common import DIGIT_CANVAS  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402


def cpu_per_reading(predictor, canvases, pause=0.3, readings=20):
    """ms of the process's CPU (all threads) per canvas read — prediction and where it looked —
    with `pause` s between readings: a BLAS thread spinning after a product shows here."""
    start = time.process_time()
    for i in range(readings):
        prediction = predictor.predict(canvases[i % len(canvases)])
        predictor.where_it_looked(prediction.image, prediction.digit)
        time.sleep(pause)
    return (time.process_time() - start) / readings * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--canvas", type=int, default=DIGIT_CANVAS[0], help="side in px (the Draw tab's by default)")
    args = p.parse_args()
    predictor = Predictor.load(args.weights)
    # What the browser sends: an opaque RGBA composite, black strokes on white, as a numpy array
    # (the digits as they were drawn on the 800-px canvas, scaled to this one).
    scale = args.canvas / 800
    canvases = [np.asarray(draw_digit(d % 10, canvas=args.canvas, pen=36 * scale, left=(150 + 10 * d) * scale,
                                      top=120 * scale, height=520 * scale).convert("RGBA")) for d in range(10)]
    for canvas in canvases:  # warm-up
        predictor.predict(canvas)
    cpu_blas_threads = cpu_per_reading(predictor, canvases)  # the reference: BLAS as it comes
    one_blas_thread()  # as the app runs (app.py), from here on
    cpu_one_thread = cpu_per_reading(predictor, canvases)
    times = []
    for i in range(args.runs):
        start = time.perf_counter()
        predictor.predict(canvases[i % 10])
        times.append((time.perf_counter() - start) * 1000)
    pre, forward = [], []  # the two halves of predict(), timed apart
    for i in range(args.runs):
        start = time.perf_counter()
        image = to_mnist(canvases[i % 10])
        middle = time.perf_counter()
        predictor.predict_mnist(image[None])
        pre.append((middle - start) * 1000)
        forward.append((time.perf_counter() - middle) * 1000)
    # A drawing the plain reading is under READ_SHIFTED_BELOW sure of is read at eight one-pixel shifts
    # too: the same canvases, all made to take that path (of the ten, only the 1 does by itself).
    unsure = []
    for i in range(args.runs):
        start = time.perf_counter()
        image = to_mnist(canvases[i % 10])[None]
        jittered_logits(predictor.network, image, predictor.network(image))
        unsure.append((time.perf_counter() - start) * 1000)
    looked = []
    seen = predictor.predict(canvases[0]).image
    for _ in range(args.runs):
        start = time.perf_counter()
        predictor.where_it_looked(seen)
        looked.append((time.perf_counter() - start) * 1000)
    batch = np.stack([to_mnist(canvases[i % 10]) for i in range(args.batch)])
    start = time.perf_counter()
    predictor.predict_mnist(batch)
    forward_per_second = args.batch / (time.perf_counter() - start)
    start = time.perf_counter()
    predictor.predict_mnist(np.stack([to_mnist(canvases[i % 10]) for i in range(args.batch)]))
    end_to_end_per_second = args.batch / (time.perf_counter() - start)
    result = {"p50_ms": round(float(np.percentile(times, 50)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3),
              "preprocess_p50_ms": round(float(np.percentile(pre, 50)), 3),
              "forward_p50_ms": round(float(np.percentile(forward, 50)), 3),
              "unsure_p50_ms": round(float(np.percentile(unsure, 50)), 3),
              "unsure_p99_ms": round(float(np.percentile(unsure, 99)), 3),
              "where_it_looked_p50_ms": round(float(np.percentile(looked, 50)), 3),
              "batched_forward_images_per_second": round(forward_per_second),
              "canvases_per_second_preprocess_and_batched_predict": round(end_to_end_per_second),
              "cpu_ms_per_reading_with_pauses": round(cpu_one_thread, 1),
              "cpu_ms_per_reading_with_pauses_blas_threads": round(cpu_blas_threads, 1),
              "runs": args.runs, "canvas": args.canvas, "weights": args.weights}
    print(f"one {args.canvas}×{args.canvas} canvas, preprocess + predict: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
          f"(preprocess {result['preprocess_p50_ms']} ms, forward {result['forward_p50_ms']} ms); a drawing read at the "
          f"nine positions (its plain reading unsure): p50 {result['unsure_p50_ms']} ms, p99 {result['unsure_p99_ms']} ms")
    print(f"CPU per reading (with where it looked), 0.3 s between readings: {result['cpu_ms_per_reading_with_pauses']} ms "
          f"on one BLAS thread, {result['cpu_ms_per_reading_with_pauses_blas_threads']} ms with BLAS's own threads "
          f"(×{cpu_blas_threads / cpu_one_thread:.0f})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
