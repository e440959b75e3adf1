import pytest
import torch

from mnist_mlp.model import MLP


def test_mlp_maps_images_to_ten_logits_in_every_input_layout():
    model = MLP(hidden=(64, 32)).eval()
    x = torch.rand(5, 28, 28)
    logits = model(x)
    assert logits.shape == (5, 10)
    assert torch.allclose(model(x.view(5, 1, 28, 28)), logits)
    assert torch.allclose(model(x.view(5, 784)), logits)


def test_normalisation_lives_in_the_model_as_buffers():
    model = MLP(hidden=(16,))
    state = model.state_dict()
    assert state["mean"].item() == pytest.approx(0.1307)
    assert state["std"].item() == pytest.approx(0.3081)
    assert "mean" not in dict(model.named_parameters())


def test_architecture_round_trips_and_counts_parameters():
    model = MLP(hidden=(128, 64), activation="gelu", dropout=0.1)
    clone = MLP.from_architecture(model.architecture())
    assert clone.architecture() == model.architecture()
    assert model.parameter_count() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation"):
        MLP(activation="sigmoidish")


def test_a_deepened_network_has_identity_layers_before_its_output_and_computes_the_same_logits():
    model = MLP(hidden=(64, 32), dropout=0.2).eval()
    x = torch.rand(50, 28, 28)
    deep = model.deepened(2).eval()
    assert deep.hidden == (64, 32, 32, 32) and deep.dropout == 0.2
    assert torch.allclose(deep(x), model(x), atol=1e-6)
    linear = [m for m in deep.layers if isinstance(m, torch.nn.Linear)]
    old = [m for m in model.layers if isinstance(m, torch.nn.Linear)]
    assert torch.equal(linear[0].weight, old[0].weight) and torch.equal(linear[1].weight, old[1].weight)
    for identity in linear[2:4]:
        assert torch.equal(identity.weight, torch.eye(32)) and not identity.bias.any()
    assert torch.equal(linear[4].weight, old[2].weight) and torch.equal(linear[4].bias, old[2].bias)
    with pytest.raises(ValueError, match="ReLU"):
        MLP(hidden=(16,), activation="tanh").deepened()  # tanh(h) ≠ h: not the same function
