"""Shared fixtures. Tests that need MNIST fail (never skip) when it is missing."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_mlp.data import MnistError, load_mnist, resolve_root  # noqa: E402
from mnist_mlp.inference import Predictor  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    root = resolve_root()
    try:
        load_mnist("test", root, download=False)
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
