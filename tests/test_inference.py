"""Predictor: one request's images go through NumPy, batches through torch — and they agree."""
import numpy as np
import pytest
import torch

from mnist_mlp.inference import SMALL_BATCH, NumpyForward, Predictor
from mnist_mlp.model import MLP


@pytest.mark.parametrize("activation", ["relu", "gelu", "silu", "tanh"])
def test_numpy_forward_matches_the_module_for_every_activation(activation):
    model = MLP(hidden=(64, 32), activation=activation, dropout=0.3).eval()
    images = torch.rand(5, 28, 28)
    with torch.no_grad():
        expected = model(images).numpy()
    logits = NumpyForward(model)(images.numpy())
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, expected, atol=1e-5)


def test_one_image_at_a_time_gives_the_batched_probabilities(predictor, mnist_test):
    images = mnist_test.images[:300].numpy() / 255.0
    batched = predictor.probabilities(images)  # > SMALL_BATCH: torch
    assert len(images) > SMALL_BATCH
    one_by_one = np.concatenate([predictor.probabilities(image[None]) for image in images])  # NumPy
    np.testing.assert_allclose(one_by_one, batched, atol=1e-5)
    assert (one_by_one.argmax(1) == batched.argmax(1)).all()
    np.testing.assert_allclose(one_by_one.sum(1), 1, atol=1e-5)


def test_swap_changes_what_the_next_prediction_uses():
    first, second = MLP(hidden=(16,)).eval(), MLP(hidden=(32,)).eval()
    predictor = Predictor(first, {"name": "first"})
    image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected_first = torch.softmax(first(torch.from_numpy(image)), 1).numpy()
        expected_second = torch.softmax(second(torch.from_numpy(image)), 1).numpy()
    np.testing.assert_allclose(predictor.probabilities(image), expected_first, atol=1e-6)
    predictor.swap(second, {"name": "second"})
    np.testing.assert_allclose(predictor.probabilities(image), expected_second, atol=1e-6)
    assert predictor.card == {"name": "second"} and predictor.model is second
