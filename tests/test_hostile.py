"""Hostile inputs through the CLI and the HTTP API: a clear message, the server stays up, nothing
on disk changes. Also: auth, the upload size limit and broken weights at start-up."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from conftest import ROOT, RunningApp, python_env
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.weights import DEFAULT_WEIGHTS


def hostile_files(folder):
    """name → (path, expected digit or None for 'must be an error')."""
    files = {}

    def save(name, writer, digit):
        path = folder / name
        writer(path)
        files[name] = (path, digit)

    rgb = draw_digit(4, pen=24)
    save("white.png", lambda p: Image.new("RGB", (400, 400), "white").save(p), None)
    save("black.png", lambda p: Image.new("L", (400, 400), 0).save(p), None)
    save("transparent.png", lambda p: Image.new("RGBA", (400, 400), (0, 0, 0, 0)).save(p), None)
    save("one-pixel.png", lambda p: Image.new("L", (1, 1), 0).save(p), None)
    save("random-bytes.png", lambda p: p.write_bytes(os.urandom(4096)), None)
    save("notes.txt", lambda p: p.write_text("a text file, not an image\n"), None)

    def truncated(p):
        buffer = io.BytesIO()
        rgb.save(buffer, "PNG")
        p.write_bytes(buffer.getvalue()[:3000])
    save("truncated.png", truncated, None)
    save("bomb.png", lambda p: Image.new("1", (30_000, 30_000)).save(p), None)

    def animated(p):
        frames = [draw_digit(4, pen=24).convert("P"), draw_digit(1).convert("P")]
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("animated.gif", animated, 4)
    save("sixteen-bit.png", lambda p: Image.fromarray(np.asarray(rgb.convert("L"), np.uint16) * 257).save(p), 4)
    save("cmyk.jpg", lambda p: rgb.convert("CMYK").save(p, quality=90), 4)

    def palette_transparent(p):
        layer = draw_digit(4, pen=24, transparent=True).convert("P")  # transparency in the palette
        layer.save(p, transparency=0)
    save("palette-transparent.png", palette_transparent, 4)

    def exif_rotated(p):
        # stored lying on its side; EXIF orientation 6 says "rotate 90° clockwise to view"
        stored = rgb.rotate(90, expand=True)
        exif = Image.Exif()
        exif[0x0112] = 6
        stored.save(p, exif=exif, quality=90)
    save("exif-rotated.jpg", exif_rotated, 4)
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return hostile_files(tmp_path_factory.mktemp("hostile"))


def test_cli_answers_every_hostile_file_in_order(files):
    names = list(files)
    proc = subprocess.run([sys.executable, "-m", "mnist_mlp", "predict", *[str(files[n][0]) for n in names]],
                          cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(files[n][0]) for n in names]
    for name, row in zip(names, rows):
        expected = files[name][1]
        if expected is None:
            assert "error" in row and row["error"], (name, row)
        else:
            assert row.get("digit") == expected, (name, row)


def test_http_api_answers_every_hostile_file_and_stays_up(app_server, files):
    client = app_server.client()
    weights_before = DEFAULT_WEIGHTS.read_bytes()
    for name, (path, expected) in files.items():
        if name == "bomb.png":
            continue  # a small file that decodes to 900 megapixels: checked on its own below
        result = client.predict(handle_file(str(path)), api_name="/predict_image")
        if expected is None:
            assert "confidences" not in result or not result["confidences"], (name, result)
            assert result["label"], name
        else:
            assert result["label"] == str(expected), (name, result)
    bomb = client.predict(handle_file(str(files["bomb.png"][0])), api_name="/predict_image")
    assert "megapixels" in bomb["label"]
    assert DEFAULT_WEIGHTS.read_bytes() == weights_before


@pytest.mark.parametrize("value", [
    {"background": None, "layers": None, "composite": None},
    {"layers": [], "composite": None},
    {"background": None, "layers": [], "composite": "not a file"},
    {"background": None, "layers": [], "composite": {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}},
    [1, 2, 3],
    "just a string",
])
def test_malformed_sketchpad_values_over_http_never_break_the_server(app_server, value, tmp_path):
    client = app_server.client()
    try:
        result = client.predict(value, api_name="/predict")
        assert isinstance(result, dict) and result.get("label")
    except Exception as error:  # Gradio may refuse the payload itself: that is a clear error too
        assert "Traceback" not in str(error)
    good = tmp_path / "two.png"
    draw_digit(2).save(good)
    assert client.predict(handle_file(str(good)), api_name="/predict_image")["label"] == "2"


def test_auth_is_required_when_set(tmp_path):
    from gradio_client import Client
    app = RunningApp(env={"MNIST_APP_AUTH": "ada:lovelace"})
    try:
        from gradio_client.exceptions import AuthenticationError
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(app.url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):
            Client(app.url, auth=("ada", "wrong"), verbose=False)
        image = tmp_path / "eight.png"
        draw_digit(8).save(image)
        client = Client(app.url, auth=("ada", "lovelace"), verbose=False)
        assert client.predict(handle_file(str(image)), api_name="/predict_image")["label"] == "8"
    finally:
        app.stop()


def test_uploads_over_the_size_limit_are_refused(app_server, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    with pytest.raises(Exception, match="(?i)size|large|413"):
        app_server.client().predict(handle_file(str(big)), api_name="/predict_image")


def test_broken_weights_fall_back_to_the_shipped_ones_with_a_message(tmp_path):
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00" * 64)
    app = RunningApp("--weights", str(broken))
    try:
        output = app.output()
        assert str(broken) in output and "using the shipped weights" in output
    finally:
        app.stop()


def test_broken_shipped_weights_refuse_to_start(tmp_path, monkeypatch):
    import app
    broken = tmp_path / "mnist_mlp.safetensors"
    broken.write_bytes(b"junk")
    monkeypatch.setattr(app, "DEFAULT_WEIGHTS", broken)
    with pytest.raises(SystemExit, match="shipped weights are unusable.*mnist_mlp.safetensors"):
        app.load_predictor(str(broken))


def test_absurd_sketchpad_sizes_over_http_are_refused_and_the_server_stays_up(app_server, files, tmp_path):
    client = app_server.client()
    bomb = {"background": None, "layers": [], "composite": handle_file(str(files["bomb.png"][0]))}
    try:
        result = client.predict(bomb, api_name="/predict")
        assert "confidences" not in result or not result["confidences"]
    except Exception as error:  # refused by Gradio's own decoder: still a clear error, not a crash
        assert "Traceback" not in str(error)
    good = tmp_path / "six.png"
    draw_digit(6).save(good)
    assert client.predict(handle_file(str(good)), api_name="/predict_image")["label"] == "6"


def test_the_app_listens_on_loopback_by_default(app_server):
    assert "http://127.0.0.1:" in app_server.output()
