"""Draw-a-digit MNIST MLP: preprocessing, model, training engine, weights I/O and inference.

Importing the package imports nothing heavy: the web server uses its NumPy parts only, and torch
is imported by the modules that train (`model`, `training`, `data`, `augment`).
"""
from .config import MNIST_MEAN, MNIST_STD
from .weights import DEFAULT_WEIGHTS, WeightsError, load_weights, read_weights, save_weights

__all__ = ["MLP", "MNIST_MEAN", "MNIST_STD", "DEFAULT_WEIGHTS", "WeightsError", "load_weights", "read_weights",
           "save_weights"]


def __getattr__(name):
    if name == "MLP":  # torch, only when asked for
        from .model import MLP
        return MLP
    raise AttributeError(name)
