"""Weights on disk: safetensors + card, atomic writes, clear refusals."""
import json
import os
import pickle

import pytest
import torch

from mnist_mlp.config import TrainConfig, config_from_preset
from mnist_mlp.model import MLP
from mnist_mlp.weights import DEFAULT_WEIGHTS, WeightsError, card_path, load_weights, make_card, save_weights


def saved(tmp_path, hidden=(32,)):
    model = MLP(hidden=hidden).eval()
    path = save_weights(model, make_card(model, command="test"), tmp_path / "m.safetensors")
    return model, path


def test_save_load_round_trip_gives_the_same_predictions(tmp_path):
    model, path = saved(tmp_path)
    loaded, card = load_weights(path)
    x = torch.rand(4, 28, 28)
    assert torch.equal(model(x), loaded(x))
    assert card["architecture"]["hidden"] == [32]
    assert json.loads(card_path(path).read_text())["parameters"] == model.parameter_count()
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob("*.tmp"))


def test_truncated_file_names_file_and_reason(tmp_path):
    _, path = saved(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(WeightsError, match=f"{path}.*not a valid safetensors"):
        load_weights(path)


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(os.urandom(5000))
    with pytest.raises(WeightsError, match="junk.safetensors"):
        load_weights(path)


def test_shapes_that_do_not_match_the_card_are_refused(tmp_path):
    _, path = saved(tmp_path, hidden=(32,))
    other = MLP(hidden=(48,))
    from safetensors.torch import save_file
    card = make_card(MLP(hidden=(32,)), command="test")
    save_file(other.state_dict(), str(path), metadata={"mnist_mlp_card": json.dumps(card)})
    with pytest.raises(WeightsError, match=r"layers.0.weight has shape \[48, 784\], expected \[32, 784\]"):
        load_weights(path)


def test_pickles_are_refused_without_being_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    for name in ("model.pt", "model.safetensors"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(Boom()))
        with pytest.raises(WeightsError, match="pickle"):
            load_weights(path)
    torch.save(MLP(hidden=(8,)).state_dict(), tmp_path / "real.pt")
    with pytest.raises(WeightsError, match="pickle"):
        load_weights(tmp_path / "real.pt")
    assert not (tmp_path / "pwned").exists()


def test_a_safetensors_header_length_starting_with_0x80_is_not_taken_for_a_pickle(tmp_path):
    """A real file was refused once: its header length's first byte was 0x80, pickle's opcode."""
    model = MLP(hidden=(8,))
    path = tmp_path / "m.safetensors"
    for pad in range(300):
        save_weights(model, make_card(model, note="x" * pad), path)
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    assert load_weights(path)[1]["note"] == "x" * pad


def test_missing_file_is_named(tmp_path):
    with pytest.raises(WeightsError, match="no such weights file"):
        load_weights(tmp_path / "absent.safetensors")


def test_a_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    _, path = saved(tmp_path)
    before = path.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save_weights(MLP(hidden=(64,)), {"architecture": {}}, path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def forged(tmp_path, card_changes: dict, hidden=(32,)) -> "os.PathLike":
    """A file with real (small) tensors whose embedded card says something else."""
    from safetensors.torch import save_file
    model = MLP(hidden=hidden)
    card = make_card(model, command="test")
    for key, value in card_changes.items():
        card[key] = {**card[key], **value} if isinstance(value, dict) else value
    path = tmp_path / "forged.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path),
              metadata={"mnist_mlp_card": json.dumps(card)})
    return path


@pytest.mark.parametrize("changes,reason", [
    ({"architecture": {"hidden": [-1]}}, "whole numbers from 1"),
    ({"architecture": {"hidden": [10_000_000, 10_000_000]}}, "whole numbers from 1|parameters"),
    ({"architecture": {"hidden": [8192, 8192, 8192]}}, "parameters; the limit"),
    ({"architecture": {"hidden": "1200"}}, "list"),
    ({"normalization": {"std": 0}}, "std"),
    ({"architecture": {"activation": "os.system"}}, "activation"),
])
def test_cards_that_describe_impossible_models_are_refused_before_allocating(tmp_path, changes, reason):
    import time
    path = forged(tmp_path, changes)
    start = time.perf_counter()
    with pytest.raises(WeightsError, match=reason) as error:
        load_weights(path)
    assert str(path) in str(error.value) and time.perf_counter() - start < 1


def test_a_zero_std_tensor_is_refused(tmp_path):
    from safetensors.torch import save_file
    model = MLP(hidden=(32,))
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    tensors["std"] = torch.tensor(0.0)
    path = tmp_path / "zero-std.safetensors"
    save_file(tensors, str(path), metadata={"mnist_mlp_card": json.dumps(make_card(model, command="t"))})
    with pytest.raises(WeightsError, match="std"):
        load_weights(path)


def test_the_app_falls_back_to_the_shipped_weights_for_an_impossible_card(tmp_path):
    import app
    from mnist_mlp.weights import DEFAULT_WEIGHTS
    predictor = app.load_predictor(str(forged(tmp_path, {"architecture": {"hidden": [10_000_000, 10_000_000]}})))
    assert predictor.path == DEFAULT_WEIGHTS


def test_save_without_overwrite_never_replaces_a_file(tmp_path):
    model, path = saved(tmp_path)
    before = path.read_bytes()
    other = MLP(hidden=(16,))
    with pytest.raises(FileExistsError):
        save_weights(other, make_card(other, command="t"), path, overwrite=False)
    assert path.read_bytes() == before and not list(tmp_path.glob(".*.tmp"))


def test_whatever_training_accepts_the_loader_accepts(tmp_path):
    """One size limit: the biggest network a TrainConfig validates is a file load_weights reads."""
    from mnist_mlp.config import MAX_PARAMETERS, parameter_count
    from mnist_mlp.config import TrainConfig
    with pytest.raises(ValueError, match="parameters"):
        TrainConfig(hidden=(8192, 8192, 8192)).validate()
    widest = (5000, 5000)  # 29 M parameters: under the limit
    assert parameter_count(widest) <= MAX_PARAMETERS
    TrainConfig(hidden=widest).validate()
    model = MLP(hidden=widest)
    path = save_weights(model, make_card(model, command="t"), tmp_path / "wide.safetensors")
    assert load_weights(path)[0].hidden == widest


# Each shipped weights file and the `train.py --preset NAME [--seed N]` that trains it.
SHIPPED = {"styles_seed0.json": ("styles", {}),
           "styles_seed1.json": ("styles", {"seed": 1}), "mnist_only.json": ("mnist_only", {}),
           "sharp_seed0.json": ("sharp", {}),
           "sharp_seed1.json": ("sharp", {"init_weights": "weights/styles_seed1.safetensors", "seed": 101}),
           "sharp_outliers_seed0.json": ("sharp_outliers", {}),
           "sharp_outliers_seed1.json": ("sharp_outliers", {"init_weights": "weights/styles_seed1.safetensors",
                                                            "seed": 101}),
           "upweighted_seed102.json": ("upweighted", {}),
           "upweighted_seed103.json": ("upweighted", {"init_weights": "weights/styles_seed1.safetensors", "seed": 103}),
           "deepened_seed104.json": ("deepened", {}),
           "deepened_seed105.json": ("deepened", {"init_weights": "weights/styles_seed1.safetensors", "seed": 105})}


@pytest.mark.parametrize("card_name, preset, overrides", sorted((k, *v) for k, v in SHIPPED.items()))
def test_each_shipped_card_was_trained_with_its_preset(card_name, preset, overrides):
    """`train.py --preset NAME` reproduces the shipped weights: the card's training config is the
    preset's (a field older than the card is at its default, which is what that run used)."""
    card = json.loads((DEFAULT_WEIGHTS.parent / card_name).read_text())
    expected, defaults = config_from_preset(preset, **overrides).as_dict(), TrainConfig().as_dict()
    for field, value in expected.items():
        if field in ("threads", "data_dir", "device"):  # where the run happened, not the recipe
            continue
        assert card["config"].get(field, defaults[field]) == value, f"{card_name}: {field}"
    assert card["epochs"] == expected["epochs"] and card["test_accuracy"] >= 0.99
