"""App figures, all over raw HTTP (`/gradio_api/call/<api_name>`; DESIGN.md: gradio_client adds its
own waiting):
  - seconds from `python app.py` to the first HTTP 200, and the server's idle RSS;
  - `/predict` and `/predict_image` latency, one call at a time (p50 / p99);
  - throughput with 16 clients on `/predict`, and the same against a bare Gradio Sketchpad → Label
    app with a trivial model (`bare_app.py`), started here too: the ratio is ours / bare;
  - `/predict` p99 while the Retrain tab trains (ratio to the idle p99);
  - the server's RSS before and after a fast Retrain run (which runs in a child process).

    python benchmarks/bench_app.py [--calls 200] [--seconds 20] [--clients 16]

Last line: one JSON object.
"""
import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mnist_mlp.synthetic_handwriting import draw_digit  # noqa: E402


def post(url, body: bytes, content_type: str) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def upload(base, path):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return json.loads(post(base + "gradio_api/upload", body, f"multipart/form-data; boundary={boundary}"))[0]


def call(base, api_name, data):
    event = json.loads(post(f"{base}gradio_api/call/{api_name}", json.dumps({"data": data}).encode(),
                            "application/json"))["event_id"]
    with urllib.request.urlopen(f"{base}gradio_api/call/{api_name}/{event}", timeout=60) as response:
        text = response.read().decode()
    assert "event: complete" in text, text
    return json.loads(text.split("data: ", 1)[1].splitlines()[0])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str]) -> tuple[subprocess.Popen, str, float]:
    """Start a server; → (process, base URL, seconds to the first HTTP 200)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *command, "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(base, timeout=2)
            return proc, base, time.perf_counter() - started
        except OSError:
            if time.perf_counter() - started > 180 or proc.poll() is not None:
                proc.kill()
                raise SystemExit(f"{command[0]} did not start") from None
            time.sleep(0.05)


def sketch_of(base, path):
    file_data = {"path": upload(base, path), "meta": {"_type": "gradio.FileData"}}
    return file_data, [{"background": None, "layers": [], "composite": file_data}]


def latencies(base, api_name, data, calls):
    samples = []
    for _ in range(calls):
        t = time.perf_counter()
        call(base, api_name, data)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def throughput(base, data, clients: int, seconds: float) -> float:
    """Predictions per second with `clients` threads calling `/predict` back to back."""
    done, errors, stop = [0], [], time.perf_counter() + seconds
    lock = threading.Lock()

    def client():
        while time.perf_counter() < stop:
            try:
                call(base, "predict", data)
            except Exception as error:  # counted, not fatal: the figure says how many failed
                errors.append(error)
                continue
            with lock:
                done[0] += 1
    call(base, "predict", data)  # warm
    threads = [threading.Thread(target=client) for _ in range(clients)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  {len(errors)} failed calls, e.g. {errors[0]!r}")
    return done[0] / (time.perf_counter() - t)


def percentile(samples, q):
    return round(float(np.percentile(samples, q)), 1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20, help="length of each throughput run")
    p.add_argument("--clients", type=int, default=16)
    args = p.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp())
    path = folder / "seven.png"
    draw_digit(7, pen=30).convert("RGBA").save(path)
    result = {}

    proc, base, result["startup_seconds"] = start(["app.py"])
    try:
        time.sleep(2)
        result["idle_rss_mb"] = round(rss_mb(proc.pid))
        file_data, sketch = sketch_of(base, path)
        assert call(base, "predict", sketch)[0]["label"] == "7"
        assert call(base, "predict_image", [file_data])[0]["label"] == "7"
        for api_name, data in (("predict", sketch), ("predict_image", [file_data])):
            samples = latencies(base, api_name, data, args.calls)
            result[f"{api_name}_p50_ms"], result[f"{api_name}_p99_ms"] = percentile(samples, 50), percentile(samples, 99)
        result["throughput_per_s"] = round(throughput(base, sketch, args.clients, args.seconds), 1)

        from gradio_client import Client
        trainer = Client(base, verbose=False)
        form = dict(preset="default", dropout=0.2, batch_size=128, lr=0.001, optimizer="adam", augment=False,
                    subset=60000, seed=0, fine_tune=False)
        # A fast run to the end: what the server holds afterwards, against just before it (the
        # throughput run's 1,000 sessions stay in memory either way).
        time.sleep(2)
        result["rss_before_run_mb"] = round(rss_mb(proc.pid))
        fast = trainer.predict(**{**form, "preset": "fast", "hidden": "512", "epochs": 1, "lr": 0.003},
                               api_name="/train")
        assert "Done" in fast[-1], fast[-1]
        time.sleep(2)
        result["rss_after_run_mb"] = round(rss_mb(proc.pid))
        # A long run, sampled while it trains, then cancelled.
        job = trainer.submit(**{**form, "hidden": "512, 256", "epochs": 20}, api_name="/train")
        deadline = time.time() + 60
        while time.time() < deadline and "epoch 1/" not in str(job.outputs()[-1:]):
            time.sleep(0.2)
        samples = latencies(base, "predict", sketch, args.calls)
        result["predict_while_training_p50_ms"] = percentile(samples, 50)
        result["predict_while_training_p99_ms"] = percentile(samples, 99)
        trainer.predict(api_name="/cancel_training")
        job.result(timeout=60)
    finally:
        proc.terminate()
        proc.wait(15)

    proc, base, result["bare_startup_seconds"] = start(["benchmarks/bare_app.py"])
    try:
        time.sleep(2)
        result["bare_idle_rss_mb"] = round(rss_mb(proc.pid))
        _, sketch = sketch_of(base, path)
        result["bare_throughput_per_s"] = round(throughput(base, sketch, args.clients, args.seconds), 1)
    finally:
        proc.terminate()
        proc.wait(15)

    result["throughput_ratio"] = round(result["throughput_per_s"] / result["bare_throughput_per_s"], 2)
    result["training_p99_ratio"] = round(result["predict_while_training_p99_ms"] / result["predict_p99_ms"], 2)
    result["rss_run_growth_mb"] = result["rss_after_run_mb"] - result["rss_before_run_mb"]
    print(f"startup {result['startup_seconds']} s, idle RSS {result['idle_rss_mb']} MB, a Retrain run "
          f"{result['rss_before_run_mb']} → {result['rss_after_run_mb']} MB; /predict p50 {result['predict_p50_ms']} / p99 "
          f"{result['predict_p99_ms']} ms, while training p99 {result['predict_while_training_p99_ms']} ms "
          f"(x{result['training_p99_ratio']}); {args.clients} clients: {result['throughput_per_s']}/s vs bare "
          f"{result['bare_throughput_per_s']}/s (ratio {result['throughput_ratio']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
