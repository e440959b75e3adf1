"""Hostile inputs, crashes mid-save, and arrays of any shape (property-based)."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import ROOT, python_env
from mnist_mlp.preprocess import NothingToRead, to_mnist
from mnist_mlp.weights import DEFAULT_WEIGHTS, card_path, load_weights

DTYPES = st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64, np.bool_])
SHAPES = st.one_of(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=40),
                   st.tuples(st.integers(1, 90), st.integers(1, 90), st.sampled_from([1, 2, 3, 4])))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(DTYPES, SHAPES, elements=None))
def test_any_array_gives_a_valid_digit_or_nothing_to_read(array):
    try:
        out = to_mnist(array)
    except NothingToRead:
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 255), st.integers(1, 300), st.integers(1, 300))
def test_uniform_images_are_nothing_to_read(level, h, w):
    with pytest.raises(NothingToRead):
        to_mnist(np.full((h, w), level, np.uint8))


def test_nan_and_inf_arrays_are_handled():
    digit = np.zeros((100, 100))
    digit[20:80, 45:55] = 1.0
    digit[0, 0] = np.nan
    digit[99, 99] = np.inf
    assert to_mnist(digit).max() == pytest.approx(1)
    with pytest.raises(NothingToRead):
        to_mnist(np.full((50, 50), np.nan))


SAVER = """
import sys, torch
from mnist_mlp.model import MLP
from mnist_mlp.weights import save_weights, make_card
path = sys.argv[1]
for i in range(10**6):
    torch.manual_seed(i)
    model = MLP(hidden=(256,))
    save_weights(model, make_card(model, command=f"save {i}"), path)
    print(i, flush=True)
"""


def test_kill_9_during_saving_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "w.safetensors"
    rng = random.Random(0)
    seen_commands = set()
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], cwd=ROOT, env=python_env(),
                                stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # at least one save completed
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        model, card = load_weights(path)  # always a complete file
        seen_commands.add(card["command"])
    assert len(seen_commands) > 1  # the kills did land at different moments


def test_kill_9_during_training_leaves_the_default_weights_unchanged(tmp_path, mnist_root):
    target = tmp_path / "default.safetensors"
    target.write_bytes(DEFAULT_WEIGHTS.read_bytes())
    card_path(target).write_bytes(card_path(DEFAULT_WEIGHTS).read_bytes())
    before = target.read_bytes()
    rng = random.Random(1)
    for _ in range(3):
        # a run far longer than the wait: the kill always lands mid-training
        proc = subprocess.Popen([sys.executable, "train.py", "--preset", "default", "--epochs", "30",
                                 "--out", str(target)],
                                cwd=ROOT, env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(3, 8))
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        load_weights(target)
        assert target.read_bytes() == before


def test_train_py_runs_under_torchrun_with_two_processes(tmp_path, mnist_root):
    out = tmp_path / "ddp.safetensors"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "train.py",
         "--preset", "default", "--hidden", "128", "--epochs", "1", "--limit-train", "6000", "--batch-size", "64",
         "--lr", "4e-3", "--threads", "1", "--device", "cpu", "--out", str(out)],
        cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["test_accuracy"] > 0.85
    assert proc.stdout.count('"test_accuracy"') == 1  # only rank 0 reports and saves
    model, card = load_weights(out)
    assert card["processes"] == 2
