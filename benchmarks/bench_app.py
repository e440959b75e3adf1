"""App figures: seconds from `python app.py` to the page answering, API latency over raw HTTP
(`/gradio_api/call/<api_name>`, as DESIGN.md advises: gradio_client adds its own waiting), and RSS.

    python benchmarks/bench_app.py [--calls 200]

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
import time
import urllib.request
import uuid

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mnist_mlp.strokes import draw_digit  # noqa: E402


def post(url, body: bytes, content_type: str) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def upload(base, path):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return json.loads(post(base + "gradio_api/upload", body, f"multipart/form-data; boundary={boundary}"))[0]


def call(base, api_name, data):
    event = json.loads(post(f"{base}gradio_api/call/{api_name}", json.dumps({"data": data}).encode(),
                            "application/json"))["event_id"]
    with urllib.request.urlopen(f"{base}gradio_api/call/{api_name}/{event}", timeout=30) as response:
        text = response.read().decode()
    assert "event: complete" in text, text
    return json.loads(text.split("data: ", 1)[1].splitlines()[0])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--calls", type=int, default=200)
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(base, timeout=2)
                break
            except OSError:
                if time.perf_counter() - started > 180:
                    raise SystemExit("the app did not start") from None
                time.sleep(0.1)
        startup = time.perf_counter() - started
        folder = pathlib.Path(tempfile.mkdtemp())
        path = folder / "seven.png"
        draw_digit(7, pen=30).convert("RGBA").save(path)
        server_path = upload(base, path)
        file_data = {"path": server_path, "meta": {"_type": "gradio.FileData"}}
        times = {}
        for api_name, data in (("predict", [{"background": None, "layers": [], "composite": file_data}]),
                               ("predict_image", [file_data])):
            result = call(base, api_name, data)
            assert result[0]["label"] == "7", result
            samples = []
            for _ in range(args.calls):
                t = time.perf_counter()
                call(base, api_name, data)
                samples.append((time.perf_counter() - t) * 1000)
            times[api_name] = samples
        # The same, while the Retrain tab trains a full-size network in the background.
        from gradio_client import Client
        trainer = Client(base, verbose=False)
        job = trainer.submit(preset="default", hidden="512, 256", dropout=0.2, epochs=20, batch_size=128,
                             lr=0.001, optimizer="adam", augment=False, subset=60000, seed=0, fine_tune=False,
                             api_name="/train")
        time.sleep(3)
        samples = []
        for _ in range(args.calls):
            t = time.perf_counter()
            call(base, "predict", [{"background": None, "layers": [], "composite": file_data}])
            samples.append((time.perf_counter() - t) * 1000)
        times["predict_while_training"] = samples
        trainer.predict(api_name="/cancel_training")
        job.result(timeout=60)
        rss_mb = int(next(line for line in open(f"/proc/{proc.pid}/status") if line.startswith("VmRSS")).split()[1]) / 1024
    finally:
        proc.terminate()
        proc.wait(15)
    result = {"startup_seconds": round(startup, 2), "rss_mb": round(rss_mb)}
    for name, samples in times.items():
        result[f"{name}_p50_ms"] = round(float(np.percentile(samples, 50)), 1)
        result[f"{name}_p99_ms"] = round(float(np.percentile(samples, 99)), 1)
    print(f"page answering {startup:.1f} s after launch; RSS {rss_mb:.0f} MB; "
          + ", ".join(f"{k} {v}" for k, v in result.items() if k.endswith("ms")))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
