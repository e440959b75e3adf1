"""The multilayer perceptron: 784 → hidden layers → 10 logits."""
from __future__ import annotations

import torch
from torch import nn

from .config import MNIST_MEAN, MNIST_STD, check_architecture

ACTIVATION_MODULES = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


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
            layers += [nn.Linear(width, size), ACTIVATION_MODULES[activation](), nn.Dropout(dropout)]
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

    def deepened(self, layers: int = 1) -> "MLP":
        """This network with `layers` more hidden layers, as wide as its last, each an identity map
        (bias 0) before the output layer: the same function, since a ReLU layer's outputs are ≥ 0 and
        ReLU(I·h) = h. A fine-tune then trains the extra depth (`TrainConfig.deepen`)."""
        if self.activation != "relu":
            raise ValueError("only a ReLU network can be deepened by identity layers (ReLU(h) = h for h ≥ 0)")
        deep = MLP(self.hidden + (self.hidden[-1],) * layers, self.activation, self.dropout)
        old = [m for m in self.layers if isinstance(m, nn.Linear)]
        new = [m for m in deep.layers if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for source, target in zip(old[:-1], new):
                target.weight.copy_(source.weight)
                target.bias.copy_(source.bias)
            for target in new[len(old) - 1:-1]:
                target.weight.copy_(torch.eye(self.hidden[-1]))
                target.bias.zero_()
            new[-1].weight.copy_(old[-1].weight)
            new[-1].bias.copy_(old[-1].bias)
        return deep.train(self.training)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
