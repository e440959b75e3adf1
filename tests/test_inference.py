"""Predictor: the server's NumPy forward and backward passes agree with torch's MLP and autograd;
the "not sure" threshold is the rule applied to the default on MNIST."""
import numpy as np
import pytest
import torch

from mnist_mlp.ensemble import average_mlps
from mnist_mlp.inference import (NOT_A_DIGIT_BELOW, ONE_PIXEL_SHIFTS, READ_SHIFTED_BELOW, UNSURE_BELOW, NumpyMLP,
                                 Predictor, diagonal_blocks, jittered_logits, not_a_digit_threshold,
                                 read_at_nine_positions, shifted, softmax, unsure_threshold)
from mnist_mlp.model import MLP
from mnist_mlp.preprocess import to_mnist
from mnist_mlp.synthetic_handwriting import draw_digit


def arrays(model):
    return {k: v.numpy() for k, v in model.state_dict().items()}


def numpy_copy(model):
    return NumpyMLP(arrays(model), model.architecture())


@pytest.mark.parametrize("activation", ["relu", "gelu", "silu", "tanh"])
def test_numpy_forward_matches_the_module_for_every_activation(activation):
    model = MLP(hidden=(64, 32), activation=activation, dropout=0.3).eval()
    images = torch.rand(5, 28, 28)
    with torch.no_grad():
        expected = model(images).numpy()
    network = numpy_copy(model)
    logits = network(images.numpy())  # a batch
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, expected, atol=1e-5)
    np.testing.assert_allclose(network(images[:1].numpy()), expected[:1], atol=1e-5)  # one image


@pytest.mark.parametrize("activation", ["relu", "gelu", "silu", "tanh"])
def test_input_gradient_matches_autograd_for_every_activation(activation):
    model = MLP(hidden=(48, 24), activation=activation, dropout=0.0).eval()
    image = torch.rand(28, 28) * (torch.rand(28, 28) > 0.6)  # mostly paper, like a digit
    x = image[None].clone().requires_grad_(True)
    for digit in (0, 7):
        (expected,) = torch.autograd.grad(model(x)[0, digit], x)
        gradient = numpy_copy(model).input_gradient(image.numpy(), digit)
        np.testing.assert_allclose(gradient, expected[0].numpy(), rtol=1e-4, atol=1e-6)


def test_diagonal_blocks_are_found_only_where_every_other_weight_is_zero():
    weights = np.zeros((6, 5), np.float32)  # [in, out]: units 0-1 feed outputs 0-1, units 2-5 outputs 2-4
    weights[0:2, 0:2] = 1
    weights[2:6, 2:5] = 1
    assert diagonal_blocks(weights) == [(0, 2, 0, 2), (2, 6, 2, 5)]
    weights[4] = 0  # a silent unit and a zero weight inside a block change nothing
    weights[3, 4] = 0
    assert diagonal_blocks(weights) == [(0, 2, 0, 2), (2, 6, 2, 5)]
    for row, column in ((5, 1), (1, 3)):  # one weight across the blocks, either way: no blocks
        crossed = weights.copy()
        crossed[row, column] = 0.1
        assert diagonal_blocks(crossed) is None
    assert diagonal_blocks(np.ones((4, 4), np.float32)) is None  # dense: one block


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_an_average_of_networks_is_read_block_by_block_with_the_modules_results(activation):
    torch.manual_seed(0)
    members = [MLP(hidden=(40, 30, 20), activation=activation, dropout=0.0).eval() for _ in range(3)]
    if activation == "relu":  # most units off, as for a drawing: both passes read active units' rows only
        with torch.no_grad():
            for member in members:
                for layer in member.layers[:-1:3]:  # the hidden layers
                    layer.bias -= 0.3
    merged = average_mlps(members, [1, 2, 1])
    network = numpy_copy(merged)
    assert network.blocks == [[(0, 784, 0, 120)], [(0, 40, 0, 30), (40, 80, 30, 60), (80, 120, 60, 90)],
                              [(0, 30, 0, 20), (30, 60, 20, 40), (60, 90, 40, 60)], [(0, 60, 0, 10)]]
    image = torch.rand(28, 28) * (torch.rand(28, 28) > 0.6)
    x = image[None].clone().requires_grad_(True)
    if activation == "relu":
        assert all((z > 0).mean() < 0.4 for z in network.pre_activations(image[None].numpy())[:-1])
    with torch.no_grad():
        expected = merged(image[None]).numpy()
    np.testing.assert_allclose(network(image[None].numpy()), expected, atol=1e-5)  # one image: by blocks
    for digit in (0, 7):
        (gradient,) = torch.autograd.grad(merged(x)[0, digit], x)
        np.testing.assert_allclose(network.input_gradient(image.numpy(), digit), gradient[0].numpy(),
                                   rtol=1e-4, atol=1e-6)


def test_where_it_looked_highlights_the_strokes(predictor):
    image = to_mnist(draw_digit(7))
    heat = predictor.where_it_looked(image)
    assert heat.shape == (28, 28) and heat.max() == pytest.approx(1)
    assert heat[image == 0].max() == 0  # only ink can push (input × gradient)
    assert heat[image > 0.5].mean() > 0.05


def test_one_image_at_a_time_gives_the_batched_probabilities(predictor, mnist_test):
    images = mnist_test.images[:300].numpy() / 255.0
    batched = predictor.probabilities(images)  # the rows active in any of the 300 (most of them)
    one_by_one = np.concatenate([predictor.probabilities(image[None]) for image in images])  # a tenth
    np.testing.assert_allclose(one_by_one, batched, atol=1e-5)
    assert (one_by_one.argmax(1) == batched.argmax(1)).all()
    np.testing.assert_allclose(one_by_one.sum(1), 1, atol=1e-5)


def test_shifted_moves_the_image_one_pixel_and_paper_comes_in():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 5, 7] = 1
    image[0, 0, :] = 0.5  # the top row
    up_right = shifted(image, 1, -1)
    assert up_right[0, 4, 8] == 1 and up_right.sum() == 1  # the top row went out of the image
    down_left = shifted(image, -1, 1)
    assert down_left[0, 6, 6] == 1 and down_left[0, 0].sum() == 0
    assert (down_left[0, 1, :27] == 0.5).all() and down_left[0, 1, 27] == 0  # paper came in on the right
    assert len(set(ONE_PIXEL_SHIFTS)) == 8 and (0, 0) not in ONE_PIXEL_SHIFTS


def test_a_digit_read_unsurely_is_read_again_at_its_eight_one_pixel_shifts(predictor, mnist_test):
    images = mnist_test.images[:2000].numpy() / 255.0
    network = predictor.network
    plain_logits = network(images)
    plain, read = softmax(plain_logits), predictor.probabilities(images)
    sure = plain.max(axis=1) >= READ_SHIFTED_BELOW
    assert sure.mean() > 0.8 and (~sure).sum() >= 20
    np.testing.assert_allclose(read[sure], plain[sure], atol=1e-6)  # read once
    unsure = images[~sure]
    nine = [plain_logits[~sure]] + [network(shifted(unsure, dx, dy)) for dx, dy in ONE_PIXEL_SHIFTS]
    np.testing.assert_allclose(read[~sure], softmax(np.mean(nine, axis=0)), atol=1e-5)
    assert np.abs(read[~sure] - plain[~sure]).max() > 0.05  # and the other eight readings change something


def test_the_gate_of_the_nine_readings_is_the_lowest_at_which_mnist_reads_as_if_every_digit_were_read_nine_times(
        predictor, mnist_test):
    """READ_SHIFTED_BELOW only saves passes: of 0.8, 0.85, 0.9, 0.95 it is the lowest at which MNIST test gets
    the same answers and the same "not sure" notes as with every digit read at nine positions (the
    comment beside it gives the same rule on our own Semeion-style canvases too)."""
    images = mnist_test.images.numpy().astype(np.float32) / 255.0
    labels = mnist_test.labels.numpy()
    plain = predictor.network(images)
    nine = np.concatenate([jittered_logits(predictor.network, part, predictor.network(part))
                           for part in np.array_split(images, 10)])

    def reading(gate):
        chosen = softmax(np.where(read_at_nine_positions(plain, gate)[:, None], nine, plain))
        right = chosen.argmax(axis=1) == labels
        return right, right & (chosen.max(axis=1) < UNSURE_BELOW), ~right & (chosen.max(axis=1) < UNSURE_BELOW)

    everywhere = reading(2.0)
    same = [gate for gate in (0.8, 0.85, 0.9, 0.95)
            if all(np.array_equal(a, b) for a, b in zip(reading(gate), everywhere))]
    assert same and same[0] == READ_SHIFTED_BELOW, same


def test_the_unsure_rule_is_the_lowest_threshold_with_seventy_percent_of_the_wrong_answers_under_it():
    confidence = np.array([0.5, 0.62, 0.68, 0.72, 0.9, 0.99, 0.3])
    right = np.array([False, False, False, False, False, True, True])  # right answers do not count
    assert unsure_threshold(confidence, right) == 0.75  # under 0.7: 3 of 5 wrong; under 0.75: 4 of 5
    assert unsure_threshold(confidence, right, share=0.6) == 0.7
    assert unsure_threshold(np.array([0.97, 0.99]), np.array([False, False])) == 0.95  # none reaches it: the highest
    assert unsure_threshold(np.array([0.5, 0.9]), np.array([True, True])) == 0.6  # no wrong answers: the lowest


def test_the_not_a_digit_rule_is_the_highest_threshold_with_few_right_answers_under_it():
    right = np.ones(2000, bool)
    confidence = np.full(2000, 0.99)
    confidence[:2] = 0.27  # 1 in 1,000 of the right answers under every threshold from 0.3 on
    assert not_a_digit_threshold(confidence, right) == 0.5
    confidence[2] = 0.33  # 3 in 2,000 under 0.35 and above
    assert not_a_digit_threshold(confidence, right) == 0.3
    confidence[:3] = 0.1  # all three under the lowest threshold: the lowest
    assert not_a_digit_threshold(confidence, right) == 0.2
    assert not_a_digit_threshold(np.array([0.1, 0.99]), np.array([False, True])) == 0.5  # wrong answers do not count


def test_the_apps_thresholds_are_the_rules_on_mnist_test(predictor, mnist_test):
    probabilities = predictor.probabilities(mnist_test.images.numpy() / 255.0)
    right = probabilities.argmax(axis=1) == mnist_test.labels.numpy()
    assert unsure_threshold(probabilities.max(axis=1), right) == UNSURE_BELOW
    assert not_a_digit_threshold(probabilities.max(axis=1), right) == NOT_A_DIGIT_BELOW


def test_swap_changes_what_the_next_prediction_uses():
    first, second = MLP(hidden=(16,)).eval(), MLP(hidden=(32,)).eval()
    predictor = Predictor(arrays(first), {"name": "first", "architecture": first.architecture()})
    image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)

    def read_by_torch(model):  # an untrained network is unsure: the nine positions' logits averaged
        positions = [image] + [shifted(image, dx, dy) for dx, dy in ONE_PIXEL_SHIFTS]
        with torch.no_grad():
            return torch.softmax(torch.stack([model(torch.from_numpy(x)) for x in positions]).mean(0), 1).numpy()

    expected_first, expected_second = read_by_torch(first), read_by_torch(second)
    np.testing.assert_allclose(predictor.probabilities(image), expected_first, atol=1e-6)
    predictor.swap(arrays(second), {"name": "second", "architecture": second.architecture()})
    np.testing.assert_allclose(predictor.probabilities(image), expected_second, atol=1e-6)
    assert predictor.card["name"] == "second" and predictor.network.hidden == [32]


def test_the_server_side_of_the_package_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys; import mnist_mlp.inference, mnist_mlp.numbers, mnist_mlp.corrections, mnist_mlp.weights, "
            "mnist_mlp.config, mnist_mlp.retrain, mnist_mlp.ui, mnist_mlp.guard, mnist_mlp.sessions, app; "
            "print('torch' in sys.modules)")
    from conftest import ROOT, python_env
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=python_env(), capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
