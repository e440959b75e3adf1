"""The whole app: its API contract, HTTP round trips through gradio_client, flags."""

import pytest
from gradio_client import handle_file
from PIL import Image

from conftest import RunningApp, number_canvas
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui import EMPTY_LABEL, build_demo


def test_build_demo_registers_the_api_contract(predictor):
    demo = build_demo(predictor)
    names = {dep.get("api_name") for dep in demo.config["dependencies"]}
    assert {"predict", "predict_image", "predict_number", "correct", "train", "cancel_training", "inside",
            "compare", "predict_plain"} <= names


def test_http_api_looks_inside_compares_and_reads_plainly(app_server, tmp_path):
    client = app_server.client()
    path = tmp_path / "eight.png"
    draw_digit(8, height=200, left=80, top=80).save(path)  # small, in a corner
    sketch = {"background": None, "layers": [], "composite": handle_file(str(path))}
    inside = client.predict(sketch, api_name="/inside")
    assert inside["digit"] == 8 and [layer["size"] for layer in inside["layers"]] == [2400, 2400, 2400]
    assert all(0 < layer["active"] < 2400 and len(layer["top"]) == 8 for layer in inside["layers"])
    assert len(inside["logits"]) == 10 and max(range(10), key=inside["logits"].__getitem__) == 8
    compared = client.predict(sketch, "mnist_mlp.safetensors", api_name="/compare")
    assert compared["first"]["label"] == compared["second"]["label"] == "8"
    assert compared["second"]["test_accuracy"] > 0.99
    assert "no model named" in client.predict(sketch, "../../weights/mnist_mlp.safetensors",
                                              api_name="/compare")["message"]
    plain = client.predict(sketch, api_name="/predict_plain")
    assert len(plain["confidences"]) == 10  # a label, whatever it says: the corner digit is tiny there
    blank = tmp_path / "blank.png"
    Image.new("RGB", (800, 800), "white").save(blank)
    empty = {"background": None, "layers": [], "composite": handle_file(str(blank))}
    assert client.predict(empty, api_name="/predict_plain")["label"] == EMPTY_LABEL
    assert "message" in client.predict(empty, api_name="/inside")


def test_http_api_predicts_drawn_digits(app_server, tmp_path):
    client = app_server.client()
    for digit in (0, 3, 7):
        path = tmp_path / f"{digit}.png"
        draw_digit(digit, transparent=True).save(path)
        result = client.predict({"background": None, "layers": [], "composite": handle_file(str(path))},
                                api_name="/predict")
        assert result["label"] == str(digit), result
        confidences = [c["confidence"] for c in result["confidences"]]
        assert len(confidences) == 10 and confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1, abs=1e-4)
        photo = tmp_path / f"photo{digit}.jpg"
        draw_digit(digit, ink=(30, 30, 90), paper=(235, 230, 220), pen=14).save(photo, quality=85)
        assert client.predict(handle_file(str(photo)), api_name="/predict_image")["label"] == str(digit)


def test_http_api_answers_bad_input_with_a_message(app_server, tmp_path):
    client = app_server.client()
    blank = tmp_path / "blank.png"
    Image.new("RGBA", (800, 800), (0, 0, 0, 0)).save(blank)
    result = client.predict({"background": None, "layers": [], "composite": handle_file(str(blank))},
                            api_name="/predict")
    assert result["label"] == EMPTY_LABEL
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300)
    result = client.predict(handle_file(str(junk)), api_name="/predict_image")
    assert "Can't read that image" in result["label"]
    # still serving
    good = tmp_path / "one.png"
    draw_digit(1).save(good)
    assert client.predict(handle_file(str(good)), api_name="/predict_image")["label"] == "1"


def test_share_without_internet_keeps_serving_locally(tmp_path):
    app = RunningApp("--share")
    try:
        image = tmp_path / "four.png"
        draw_digit(4).save(image)
        assert app.client().predict(handle_file(str(image)), api_name="/predict_image")["label"] == "4"
        import time
        for _ in range(60):  # the tunnel attempt finishes after the server is up
            if "Public" in app.output():
                break
            time.sleep(0.5)
        output = app.output()
        assert "Traceback" not in output and "Running on local URL" in output
        assert app.proc.poll() is None
    finally:
        app.stop()


@pytest.mark.parametrize("flags,message", [(["--port", "seventy"], "invalid int value"),
                                           (["--auth", "nocolon"], "expected user:password"),
                                           (["--bogus"], "unrecognized arguments")])
def test_bad_flags_get_an_argparse_message(flags, message):
    import subprocess
    import sys
    from conftest import ROOT, python_env
    proc = subprocess.run([sys.executable, "app.py", *flags], cwd=ROOT, env=python_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def server_cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc, in clock ticks)."""
    import os
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_server_rests_between_requests(app_server, tmp_path):
    """Answering one visitor at a time, the server's CPU time stays well under its wall time: no
    BLAS worker thread spins on after a product, as OpenBLAS's did for ~120 ms after each (measured
    on /predict_number: 0.5 s of CPU per second, a core taken from the other visitors; now 0.15)."""
    import time

    client = app_server.client()
    draw_digit(3, height=300, left=200, top=150).save(tmp_path / "three.png")
    number_canvas([3, 1, 4, 1, 5, 9]).save(tmp_path / "number.png")
    for name, api_name in [("number.png", "/predict_number"), ("three.png", "/predict")]:
        sketch = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / name))}
        client.predict(sketch, api_name=api_name)  # warm-up
        cpu, wall = server_cpu_seconds(app_server.proc.pid), time.perf_counter()
        for _ in range(3):
            client.predict(sketch, api_name=api_name)
        time.sleep(0.6)  # and then no one
        cpu, wall = server_cpu_seconds(app_server.proc.pid) - cpu, time.perf_counter() - wall
        assert cpu < 0.35 * wall, f"{api_name}: the server used {cpu:.2f} s of CPU in {wall:.2f} s"
