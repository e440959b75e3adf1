"""Shipped vs another model on the same drawing; only files of the app's own folders can be named."""
import shutil

import numpy as np
import pytest

from mnist_mlp.inference import Predictor
from mnist_mlp.model import MLP
from mnist_mlp.shelf import MAX_LOADED, THIS_RUN, ModelShelf
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.compare import CompareLogic
from mnist_mlp.weights import DEFAULT_WEIGHTS, make_card, save_weights


def value_of(image):
    return {"background": None, "layers": [], "composite": np.asarray(image.convert("RGBA"))}


@pytest.fixture
def folders(tmp_path):
    weights, saved = tmp_path / "weights", tmp_path / "saved"
    weights.mkdir()
    shutil.copy(DEFAULT_WEIGHTS, weights / "mnist_mlp.safetensors")
    untrained = MLP(hidden=(32,))
    save_weights(untrained, make_card(untrained, command="untrained"), saved / "untrained.safetensors")
    return weights, saved


def test_compare_reads_one_drawing_with_both_models(folders):
    weights, saved = folders
    predictor = Predictor.load(weights / "mnist_mlp.safetensors")
    logic = CompareLogic(predictor, ModelShelf([weights, saved]))
    assert logic.choices() == ["mnist_mlp.safetensors", "untrained.safetensors"]
    assert logic.default_choice() == "untrained.safetensors"  # not the one in use
    result = logic.compare_json(value_of(draw_digit(7)))
    assert result["first"]["label"] == "7" and result["first"]["test_accuracy"] > 0.99
    assert result["second"]["name"] == "untrained.safetensors" and result["second"]["hidden"] == [32]
    assert sum(result["second"]["confidences"].values()) == pytest.approx(1, abs=1e-3)
    line = logic.panel(__import__("mnist_mlp.ui.common", fromlist=["read_drawing"]).read_drawing(
        value_of(draw_digit(7))), "mnist_mlp.safetensors")
    assert line.count("**7**") == 2 and f"{predictor.card['test_accuracy']:.2%}" in line


def test_only_listed_names_can_be_chosen(folders, tmp_path):
    weights, saved = folders
    outside = tmp_path / "elsewhere.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, outside)
    logic = CompareLogic(Predictor.load(DEFAULT_WEIGHTS), ModelShelf([weights, saved]))
    for name in (str(outside), "../elsewhere.safetensors", "elsewhere.safetensors", "/etc/passwd"):
        assert "no model named" in logic.compare_json(value_of(draw_digit(1)), name)["message"]


def test_the_last_run_is_offered_and_few_models_stay_loaded(folders, tmp_path):
    weights, saved = folders
    paths = []
    for i in range(MAX_LOADED + 2):
        model = MLP(hidden=(8 + i,))
        paths.append(save_weights(model, make_card(model), saved / f"m{i}.safetensors"))
    shelf = ModelShelf([weights, saved], latest_run=lambda: paths[0])
    assert list(shelf.listing())[0] == THIS_RUN
    for i in range(MAX_LOADED + 2):
        assert shelf.predictor(f"m{i}.safetensors").network.hidden == [8 + i]
    assert len(shelf._loaded) == MAX_LOADED
