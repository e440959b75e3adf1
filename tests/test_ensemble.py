"""An average of MLPs is one wider MLP: same logits as averaging the networks, built by train.py."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, python_env
from mnist_mlp.config import AVERAGES, MAX_WIDTH
from mnist_mlp.ensemble import average_mlps
from mnist_mlp.inference import Predictor
from mnist_mlp.model import MLP
from mnist_mlp.weights import DEFAULT_WEIGHTS, load_weights, make_card, read_weights, save_weights


def trained_looking(hidden, seed, activation="relu"):
    """An MLP with random (not zero-mean) weights, so that many units are active and all differ."""
    torch.manual_seed(seed)
    model = MLP(hidden, activation, dropout=0.3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_the_average_reads_as_the_weighted_average_of_the_networks_logits():
    a, b, c = trained_looking((40, 30), 0), trained_looking((24, 50), 1), trained_looking((8, 8), 2)
    merged = average_mlps([a, b, c], [1, 3, 0.5])
    assert merged.hidden == (72, 88) and not merged.training
    x = torch.rand(64, 28, 28)
    expected = (a(x) * 1 + b(x) * 3 + c(x) * 0.5) / 4.5
    assert torch.allclose(merged(x), expected, atol=1e-5)
    assert torch.allclose(average_mlps([a, b])(x), (a(x) + b(x)) / 2, atol=1e-5)  # equal weights by default


def test_one_network_averaged_is_itself_and_the_members_are_left_as_they_were():
    a = trained_looking((16,), 3, "gelu")
    before = {k: v.clone() for k, v in a.state_dict().items()}
    merged = average_mlps([a])
    x = torch.rand(8, 28, 28)
    assert torch.allclose(merged(x), a(x), atol=1e-6) and merged.activation == "gelu"
    assert all(torch.equal(before[k], v) for k, v in a.state_dict().items())


@pytest.mark.parametrize("models, weights, says", [
    ([], None, "no networks"),
    ([(16,), (16, 16)], None, "1 and 2 hidden layers"),
    ([(16,), (16,)], [1, 0], "positive number"),
    ([(16,), (16,)], [1], "positive number"),
    ([(16,), (16,)], [1, float("nan")], "positive number"),
    ([(MAX_WIDTH // 2 + 1,), (MAX_WIDTH // 2,)], None, "hidden layer sizes"),
])
def test_networks_that_cannot_be_one_mlp_are_refused_with_the_reason(models, weights, says):
    with pytest.raises(ValueError, match=says):
        average_mlps([MLP(hidden) for hidden in models], weights)


def test_networks_with_other_activations_or_normalisations_are_refused():
    with pytest.raises(ValueError, match="relu and tanh activations"):
        average_mlps([MLP((8,)), MLP((8,), "tanh")])
    odd = MLP((8,))
    odd.std.fill_(0.5)
    with pytest.raises(ValueError, match="input normalisations"):
        average_mlps([MLP((8,)), odd])


def test_the_shipped_default_is_what_train_py_preset_best_makes_of_its_members():
    """weights/mnist_mlp is exactly the average of the files that --preset best names, and the app's
    NumPy forward pass reads it as the mean of their logits."""
    arrays, card = read_weights(DEFAULT_WEIGHTS)
    members = AVERAGES["best"]
    assert card["preset"] == "best" and card["command"] == "train.py"
    assert [(m["weights"], m["weight"]) for m in card["averaged_from"]] == [tuple(m) for m in members]
    networks = [load_weights(ROOT / path)[0] for path, _ in members]
    rebuilt = average_mlps(networks, [weight for _, weight in members]).state_dict()
    assert set(rebuilt) == set(arrays)
    assert all(np.array_equal(rebuilt[k].numpy(), arrays[k]) for k in arrays)
    images = np.random.default_rng(0).random((16, 28, 28), dtype=np.float32)
    logits = [Predictor.load(ROOT / path).network(images) for path, _ in members]
    assert np.allclose(Predictor.load(DEFAULT_WEIGHTS).network(images), np.mean(logits, axis=0), atol=1e-4)


def run_train_py(*flags):
    return subprocess.run([sys.executable, "train.py", *flags], cwd=ROOT, env=python_env(),
                          capture_output=True, text=True, timeout=300)


def test_train_py_average_writes_one_mlp_with_its_members_on_the_card(tmp_path, mnist_root):
    files = []
    for i, hidden in enumerate(((64,), (32,))):
        model = trained_looking(hidden, i)
        files.append(save_weights(model, make_card(model, command="t", test_accuracy=0.5, epochs=7),
                                  tmp_path / f"m{i}.safetensors"))
    out = tmp_path / "avg.safetensors"
    proc = run_train_py("--average", str(files[0]), "--average", f"{files[1]}:3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(summary) == {"test_accuracy", "epochs", "seconds", "weights"} and summary["epochs"] == 7
    merged, card = load_weights(out)
    assert card["architecture"]["hidden"] == [96] and "preset" not in card
    assert [(m["weights"], m["weight"], m["test_accuracy"]) for m in card["averaged_from"]] == \
        [(str(files[0]), 1.0, 0.5), (str(files[1]), 3.0, 0.5)]
    x = torch.rand(8, 28, 28)
    a, b = load_weights(files[0])[0], load_weights(files[1])[0]
    assert torch.allclose(merged(x), (a(x) + 3 * b(x)) / 4, atol=1e-5)
    assert 0 <= card["test_accuracy"] <= 1 and card["test_accuracy"] == summary["test_accuracy"]


def test_train_py_average_names_a_file_it_cannot_use_and_writes_nothing(tmp_path):
    out = tmp_path / "avg.safetensors"
    proc = run_train_py("--average", str(tmp_path / "missing.safetensors"), "--out", str(out))
    assert proc.returncode == 1 and "missing.safetensors: no such weights file" in proc.stderr
    deep, shallow = MLP((8, 8)), MLP((8,))
    a = save_weights(deep, make_card(deep, command="t"), tmp_path / "deep.safetensors")
    b = save_weights(shallow, make_card(shallow, command="t"), tmp_path / "shallow.safetensors")
    proc = run_train_py("--average", str(a), "--average", str(b), "--out", str(out))
    assert proc.returncode == 1 and "2 and 1 hidden layers" in proc.stderr
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_train_py_preset_best_trains_nothing_so_a_training_flag_is_refused(tmp_path):
    proc = run_train_py("--epochs", "3", "--out", str(tmp_path / "x.safetensors"))
    assert proc.returncode == 2 and "averaging trains nothing, so --epochs has no effect" in proc.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_an_average_is_stored_as_its_diagonal_blocks_and_read_back_as_the_one_mlp(tmp_path, mnist_root):
    """The later hidden layers of an average are zero outside their members' blocks: the file keeps
    the blocks only (its card names the members' sizes) and reading puts the zeros back; a copy is
    stored the same way; a card whose members do not add up, or weights outside the blocks, are refused."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    from mnist_mlp.weights import CARD_KEY, WeightsError, copy_weights

    networks = [trained_looking((40, 30), 0), trained_looking((24, 50), 1)]
    files = [save_weights(m, make_card(m, command="t"), tmp_path / f"m{i}.safetensors") for i, m in enumerate(networks)]
    out = tmp_path / "avg.safetensors"
    proc = run_train_py("--average", str(files[0]), "--average", str(files[1]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with safe_open(str(out), "numpy") as f:
        stored = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    assert stored["layers.3.weight.block0"] == (30, 40) and stored["layers.3.weight.block1"] == (50, 24)
    assert "layers.3.weight" not in stored and stored["layers.0.weight"] == (64, 784)
    arrays, card = read_weights(out)
    assert card["architecture"]["members"] == [[40, 30], [24, 50]]
    dense = average_mlps(networks).state_dict()
    assert set(arrays) == set(dense) and all(np.allclose(arrays[k], dense[k].numpy()) for k in arrays)
    assert out.stat().st_size < sum(v.numel() * 4 for v in dense.values())  # the zeros are not stored
    copied = copy_weights(out, tmp_path / "copy.safetensors")
    assert copied.stat().st_size == out.stat().st_size
    assert all(np.array_equal(read_weights(copied)[0][k], arrays[k]) for k in arrays)

    odd = json.loads(json.dumps(card))
    odd["architecture"]["members"] = [[40, 30], [24, 49]]
    save_file(dict(arrays), str(tmp_path / "odd.safetensors"), metadata={CARD_KEY: json.dumps(odd)})
    with pytest.raises(WeightsError, match="odd.safetensors: its card does not describe a usable MLP .*members"):
        read_weights(tmp_path / "odd.safetensors")
    tuned = {k: v.copy() for k, v in arrays.items()}
    tuned["layers.3.weight"][0, -1] = 0.01  # a fine-tune fills the zeros: no longer an average
    with pytest.raises(WeightsError, match="weights outside their diagonal blocks"):
        save_weights(tuned, card, tmp_path / "tuned.safetensors")
    assert not (tmp_path / "tuned.safetensors").exists()
