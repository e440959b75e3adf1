"""A crowd drawing at once: N gradio_client users calling /predict for T seconds on a local server.

    python benchmarks/load_test.py [--users 32] [--seconds 30] [--url URL]

Without --url it starts `python app.py` on a free 127.0.0.1 port and stops it afterwards.
Reports throughput, p50/p99 latency, errors (must be 0) and "busy" answers from the full queue.
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

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mnist_mlp.synthetic_handwriting import draw_digit  # noqa: E402


def start_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not start")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--url")
    args = p.parse_args()
    from gradio_client import Client, handle_file

    proc, url = (None, args.url) if args.url else start_server()
    folder = pathlib.Path(tempfile.mkdtemp())
    drawings = []
    for digit in range(10):
        path = folder / f"{digit}.png"
        draw_digit(digit, pen=30, left=200 + 10 * digit).convert("RGBA").save(path)
        drawings.append((digit, str(path)))
    latencies, errors, busy, wrong = [], [], [0], [0]
    lock = threading.Lock()
    start_gate = threading.Barrier(args.users + 1)

    def user(index):
        client = Client(url, verbose=False)
        start_gate.wait()
        stop_at = time.time() + args.seconds
        i = index
        while time.time() < stop_at:
            digit, path = drawings[i % 10]
            i += 1
            started = time.perf_counter()
            try:
                result = client.predict({"background": None, "layers": [], "composite": handle_file(path)},
                                        api_name="/predict")
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    wrong[0] += result.get("label") != str(digit)
            except Exception as error:  # counted, never fatal
                with lock:
                    if "queue is full" in str(error).lower():
                        busy[0] += 1
                    else:
                        errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.time()
    for t in threads:
        t.join()
    wall = time.time() - began
    if proc:
        proc.terminate()
        proc.wait(15)
    ms = np.array(latencies) * 1000
    result = {"users": args.users, "seconds": round(wall, 1), "requests": len(latencies),
              "throughput_per_s": round(len(latencies) / wall, 1),
              "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
              "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
              "errors": len(errors), "busy": busy[0], "wrong_digit": wrong[0]}
    for line in sorted(set(errors))[:5]:
        print("error:", line)
    print(f"{result['requests']} predictions by {args.users} users in {wall:.1f} s: "
          f"{result['throughput_per_s']}/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
          f"{result['errors']} errors, {result['busy']} busy")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
