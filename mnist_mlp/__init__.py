"""Draw-a-digit MNIST MLP: preprocessing, model, training engine, weights I/O and inference."""
from .model import MLP, MNIST_MEAN, MNIST_STD
from .weights import DEFAULT_WEIGHTS, WeightsError, load_weights, save_weights

__all__ = ["MLP", "MNIST_MEAN", "MNIST_STD", "DEFAULT_WEIGHTS", "WeightsError", "load_weights", "save_weights"]
