"""The multilayer perceptron: 784 → hidden layers → 10 logits."""
from __future__ import annotations

import torch
from torch import nn

# MNIST training-set pixel statistics on a 0–1 scale. They live inside the model (as buffers) so
# every caller feeds plain [0, 1] images and training and inference cannot disagree.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
MAX_WIDTH = 8192  # units in one hidden layer
MAX_LAYERS = 8  # hidden layers
# One size limit for everything the Retrain tab, train.py or a weights file can build: 50 M
# parameters = 200 MB of float32 (the shipped 784-1200-1200-10 has 2.4 M). Checked before any
# allocation, so whatever can be trained can also be loaded by the app.
MAX_PARAMETERS = 50_000_000


def parameter_count(hidden) -> int:
    widths = [28 * 28, *hidden, 10]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def check_architecture(hidden, activation: str = "relu", dropout: float = 0.0) -> None:
    """Raise ValueError (a message for people) unless this MLP is one the project can build and load."""
    if not isinstance(hidden, (list, tuple)) or not hidden:
        raise ValueError("hidden layer sizes must be a non-empty list of whole numbers")
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} hidden layers")
    if any(isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= MAX_WIDTH for h in hidden):
        raise ValueError(f"hidden layer sizes must be whole numbers from 1 to {MAX_WIDTH}")
    count = parameter_count(hidden)
    if count > MAX_PARAMETERS:
        raise ValueError(f"{list(hidden)} has {count:,} parameters; the limit is {MAX_PARAMETERS:,}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {activation!r}")
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError("dropout must be a number in [0, 1)")


class MLP(nn.Module):
    def __init__(self, hidden: tuple[int, ...] | list[int] = (512, 256), activation: str = "relu",
                 dropout: float = 0.2):
        super().__init__()
        check_architecture(list(hidden), activation, dropout)
        self.hidden = tuple(int(h) for h in hidden)
        self.activation = activation
        self.dropout = float(dropout)
        layers: list[nn.Module] = []
        width = 28 * 28
        for size in self.hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation](), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 10))
        self.layers = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(MNIST_MEAN))
        self.register_buffer("std", torch.tensor(MNIST_STD))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: [N, 28, 28] (or [N, 1, 28, 28] / [N, 784]) floats in [0, 1], white on black."""
        x = images.reshape(images.shape[0], -1)
        return self.layers((x - self.mean) / self.std)

    def architecture(self) -> dict:
        """What is needed to rebuild this module (stored in the weights card)."""
        return {"type": "mlp", "input": 784, "hidden": list(self.hidden), "activation": self.activation,
                "dropout": self.dropout, "classes": 10}

    @classmethod
    def from_architecture(cls, arch: dict) -> "MLP":
        return cls(hidden=arch["hidden"], activation=arch.get("activation", "relu"),
                   dropout=arch.get("dropout", 0.0))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
