"""Predictor: load weights once, predict from any image, swap models atomically."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy import special
from torch import nn

from .model import MLP
from .preprocess import to_mnist
from .weights import DEFAULT_WEIGHTS, load_weights


# Top probability under this → the app says "not sure" and names the runner-up.
UNSURE_BELOW = 0.6


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float
    probabilities: list[float]  # 10 floats summing to 1
    image: np.ndarray  # the 28×28 float32 image the model saw

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(d), float(self.probabilities[d])) for d in order]

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW

    def as_json(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 6),
                "probabilities": [round(p, 6) for p in self.probabilities]}


# The MLP's layers, evaluated by NumPy (Dropout is the identity at inference).
NUMPY_LAYERS = {
    nn.ReLU: lambda h: np.maximum(h, 0, out=h),
    nn.Tanh: lambda h: np.tanh(h, out=h),
    nn.SiLU: lambda h: h * special.expit(h),
    nn.GELU: lambda h: h * (np.float32(0.5) + np.float32(0.5) * special.erf(h * np.float32(0.5 ** 0.5))),
    nn.Dropout: lambda h: h,
}
SMALL_BATCH = 4  # up to this many images (one request's) use NumpyForward; more use torch


class NumpyForward:
    """An MLP's forward pass for the few images of one request, by NumPy, reading only the weights
    that matter.

    Most inputs of each layer are zero: the paper around a digit, and after a ReLU ~90 % of the
    hidden units of a drawn digit (measured: 40–130 of 1,200 active). A product with a zero input
    needs no weight, so each layer keeps its weights input-major (a transposed copy) and reads the
    rows of the active inputs only — a tenth of the 9.6 MB of the shipped model instead of all of
    it. The input normalisation is folded into the first layer so that paper stays zero.

    Why not torch: for one image its per-call overhead and MKL's matrix-vector product on this
    2-core AMD CPU took ~0.85 ms, this ~0.2 ms (benchmarks/bench_inference.py), on the calling
    thread with no BLAS worker left spinning. Batches stay on `MLP.forward`; tests check that the
    two agree for every activation.
    """

    def __init__(self, model: MLP):
        mean, std = float(model.mean), float(model.std)
        self.layers = []
        for layer in model.layers:
            if isinstance(layer, nn.Linear):
                weight = layer.weight.detach().double()
                bias = layer.bias.detach().double()
                if not self.layers:  # W((x - mean) / std) + b = (W / std) x + (b - mean / std · W 1)
                    weight, bias = weight / std, bias - mean / std * weight.sum(dim=1)
                self.layers.append((np.ascontiguousarray(weight.T.float().numpy()), bias.float().numpy()))
            elif type(layer) in NUMPY_LAYERS:
                self.layers.append(NUMPY_LAYERS[type(layer)])
            else:
                raise TypeError(f"no NumPy version of {type(layer).__name__}")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] images in [0, 1] → [N, 10] logits."""
        h = images.reshape(len(images), -1)
        for layer in self.layers:
            if isinstance(layer, tuple):
                weight_t, bias = layer  # [in, out], [out]
                active = np.flatnonzero(h.any(axis=0))
                if len(active) < len(weight_t) // 2:
                    h, weight_t = h[:, active], weight_t[active]
                h = np.einsum("ni,ij->nj", h, weight_t) + bias  # no BLAS threads: see above
            else:
                h = layer(h)
        return h


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    """Thread-safe: predictions read one (model, card) state; `swap` replaces it in one assignment."""

    def __init__(self, model: MLP, card: dict, path: str | os.PathLike | None = None):
        self._state = self._state_of(model, card, path)
        self._swap_lock = threading.Lock()

    @staticmethod
    def _state_of(model: MLP, card: dict, path: str | os.PathLike | None) -> tuple:
        return model.eval(), card, Path(path) if path else None, NumpyForward(model)

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_WEIGHTS) -> "Predictor":
        model, card = load_weights(path)
        return cls(model, card, path)

    @property
    def model(self) -> MLP:
        return self._state[0]

    @property
    def card(self) -> dict:
        return self._state[1]

    @property
    def path(self) -> Path | None:
        return self._state[2]

    def swap(self, model: MLP, card: dict, path: str | os.PathLike | None = None) -> None:
        """Use another model from the next prediction on; in-flight predictions finish on the old one."""
        state = self._state_of(model, card, path)  # built outside the lock, assigned at once
        with self._swap_lock:
            self._state = state

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] MNIST-form images → [N, 10] probabilities (one batched forward pass)."""
        model, _, _, numpy_forward = self._state  # one read: a concurrent swap can't mix two models
        batch = np.ascontiguousarray(images, dtype=np.float32)
        if len(batch) <= SMALL_BATCH:
            return softmax(numpy_forward(batch))
        with torch.inference_mode():
            return torch.softmax(model(torch.from_numpy(batch)), dim=1).numpy()

    def predict_mnist(self, images: np.ndarray) -> list[Prediction]:
        probs = self.probabilities(images)
        return [Prediction(int(p.argmax()), float(p.max()), p.tolist(), img) for p, img in zip(probs, images)]

    def predict(self, image) -> Prediction:
        """Any PIL image / numpy array → Prediction. Raises NothingToRead / ImageProblem for bad input."""
        return self.predict_mnist(to_mnist(image)[None])[0]

    def where_it_looked(self, image28: np.ndarray, digit: int | None = None) -> np.ndarray:
        """Input × gradient of the digit's logit: how much each pixel pushed the prediction towards
        `digit` (default: the top class). [28, 28] in [0, 1]; one forward and backward pass."""
        model = self._state[0]
        x = torch.from_numpy(np.ascontiguousarray(image28, dtype=np.float32)[None]).requires_grad_(True)
        with torch.enable_grad():
            logits = model(x)
            target = int(logits.argmax()) if digit is None else int(digit)
            (gradient,) = torch.autograd.grad(logits[0, target], x)  # no parameter .grad touched
        push = np.clip((gradient * x).detach()[0].numpy(), 0, None)
        if not push.any():
            return push
        # Scale by a high percentile rather than the single strongest pixel, so the picture shows
        # the strokes that mattered, not one hot spot.
        return np.clip(push / np.percentile(push[push > 0], 90), 0, 1)
