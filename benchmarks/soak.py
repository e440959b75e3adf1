"""A sustained crowd: N raw-HTTP clients, each uploading a new drawing and asking /predict for it,
for T seconds after a warm-up; the server's RSS sampled throughout.

    python benchmarks/soak.py [--clients 16] [--warmup 60] [--seconds 300]

Goal (issue 12): after the warm-up, RSS grows ≤ 100 MB over 5 minutes and throughput stays within
10 %. Last line: {"rss_start_mb", "rss_end_mb", "req_s_first", "req_s_last", "errors", …}; the
first/last throughput are over the first and last fifth of the measured time.
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

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench_app import call, upload  # noqa: E402
from mnist_mlp.synthetic_handwriting import draw_digit  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--warmup", type=float, default=60)
    p.add_argument("--seconds", type=float, default=300)
    p.add_argument("--app", default="app.py", help="the app to start (a script taking --port)")
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, args.app, "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    folder = pathlib.Path(tempfile.mkdtemp())
    drawings = []
    for digit in range(10):  # ten different drawings, as different visitors' strokes
        path = folder / f"{digit}.png"
        draw_digit(digit, pen=20 + 2 * digit, left=150 + 20 * digit, height=480).convert("RGBA").save(path)
        drawings.append((digit, path))
    done: list[tuple[float, bool]] = []  # (time, right)
    errors = [0]
    stop = threading.Event()

    def client(k):
        i = k
        while not stop.is_set():
            digit, path = drawings[i % 10]
            i += 1
            try:
                server_path = upload(base, path)
                value = {"path": server_path, "meta": {"_type": "gradio.FileData"}}
                result = call(base, "predict", [{"background": None, "layers": [], "composite": value}])
                done.append((time.perf_counter(), result[0]["label"] == str(digit)))
            except Exception:
                errors[0] += 1
                time.sleep(0.1)

    try:
        deadline = time.perf_counter() + 180
        while True:
            try:
                urllib.request.urlopen(base, timeout=2)
                break
            except OSError:
                if time.perf_counter() > deadline:
                    raise SystemExit("the app did not start") from None
                time.sleep(0.2)
        rss_idle = rss_mb(proc.pid)
        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.warmup)
        start = time.perf_counter()
        rss_start = rss_mb(proc.pid)
        samples = []
        while time.perf_counter() - start < args.seconds:
            time.sleep(5)
            samples.append((round(time.perf_counter() - start), round(rss_mb(proc.pid))))
            print(f"  {samples[-1][0]:4d} s  RSS {samples[-1][1]} MB  {len(done)} predictions", flush=True)
        end = time.perf_counter()
        rss_end = rss_mb(proc.pid)
        stop.set()
        for t in threads:
            t.join(30)
    finally:
        proc.terminate()
        proc.wait(15)
    fifth = (end - start) / 5

    def rate(a, b):
        return sum(1 for t, _ in done if a <= t < b) / (b - a)

    result = {"clients": args.clients, "seconds": args.seconds, "rss_idle_mb": round(rss_idle),
              "rss_start_mb": round(rss_start), "rss_end_mb": round(rss_end),
              "rss_max_mb": max(r for _, r in samples), "req_s_first": round(rate(start, start + fifth), 1),
              "req_s_last": round(rate(end - fifth, end), 1), "errors": errors[0],
              "wrong": sum(1 for t, right in done if not right and start <= t)}
    print(f"RSS {result['rss_start_mb']} → {result['rss_end_mb']} MB over {args.seconds:.0f} s (after "
          f"{args.warmup:.0f} s warm-up); {result['req_s_first']} → {result['req_s_last']} predictions/s; "
          f"{result['errors']} errors")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
