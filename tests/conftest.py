"""Shared fixtures. Tests that need MNIST fail (never skip) when it is missing."""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # tests of the benchmarks' own functions import them

# The run's temporary files in one folder, removed when the run ends. gradio_client leaves an empty
# /tmp/<40 hex digits> folder behind for every file it downloads (364 a run, measured), and the apps
# built in-process each make a Gradio cache and a runs folder. The servers the tests start inherit
# TMPDIR; pytest's own tmp_path folders stay where they were (PYTEST_DEBUG_TEMPROOT), for debugging.
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
RUN_TMP = tempfile.mkdtemp(prefix="mnist-mlp-tests-")
os.environ["TMPDIR"] = tempfile.tempdir = RUN_TMP

from mnist_mlp.data import MnistError, load_mnist, resolve_root  # noqa: E402
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"


def pytest_unconfigure(config):
    shutil.rmtree(RUN_TMP, ignore_errors=True)


# On a developer's machine a missing MNIST is downloaded (torchvision) into ./data; in CI nothing
# is downloaded and a missing MNIST fails the tests that need it.
DOWNLOAD = not os.environ.get("CI")


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    root = resolve_root()
    try:
        load_mnist("test", root, download=DOWNLOAD)
    except MnistError as error:
        pytest.fail(f"MNIST is required for this test (set MNIST_ROOT): {error}")
    return root


@pytest.fixture(scope="session")
def mnist_test(mnist_root):
    return load_mnist("test", mnist_root, download=False)


@pytest.fixture(scope="session")
def mnist_train(mnist_root):
    return load_mnist("train", mnist_root, download=False)


@pytest.fixture(scope="session")
def predictor() -> Predictor:
    return Predictor.load(DEFAULT_WEIGHTS)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def python_env() -> dict:
    """Environment for subprocesses: the project importable, MNIST where the tests found it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MNIST_ROOT", str(resolve_root().resolve()))
    return env


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def number_canvas(digits, gap=60, pen=22, height=320, transparent=False):
    """A whole number drawn as a person would: the digits side by side on one canvas."""
    from PIL import Image

    from mnist_mlp.synthetic_handwriting import draw_digit

    width = len(digits) * (int(height * 0.75) + gap) + gap
    canvas = Image.new("RGBA" if transparent else "RGB", (width, height + 120),
                       (0, 0, 0, 0) if transparent else "white")
    for i, digit in enumerate(digits):
        tile = draw_digit(digit, canvas=height + 40, left=10, top=20, height=height, pen=pen, transparent=transparent)
        canvas.paste(tile, (gap + i * (int(height * 0.75) + gap), 40), tile if transparent else None)
    return canvas


class RunningApp:
    """`python app.py --port <free> ...` in a subprocess, stopped by the test."""

    def __init__(self, *args: str, env: dict | None = None, timeout: float = 120, port_flag: bool = True):
        """`port_flag=False` starts it exactly as the README says (`python app.py`), the port coming
        from the environment (PORT, as on a Space) so tests never collide with a real 7860."""
        import subprocess
        import tempfile
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        port_args = ["--port", str(self.port)] if port_flag else []
        port_env = {} if port_flag else {"PORT": str(self.port)}
        # Corrections go to a folder of the test's own (app.py's default is ./corrections, in the
        # checkout: each run's drawings piled up there and showed in the next run's screenshots).
        self.corrections = tempfile.mkdtemp(prefix="corrections-")
        corrections_env = {"MNIST_CORRECTIONS_DIR": self.corrections}
        self.proc = subprocess.Popen([sys.executable, "app.py", *port_args, *args], cwd=ROOT,
                                     env={**python_env(), **port_env, **corrections_env, **(env or {})},
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"app.py did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def client(self, **kwargs):
        from gradio_client import Client
        return Client(self.url, verbose=False, **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)
        import shutil
        shutil.rmtree(self.corrections, ignore_errors=True)


@pytest.fixture(scope="module")
def app_server():
    app = RunningApp()
    yield app
    app.stop()
