"""Predictor: load weights once, predict from any image, swap models atomically."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .model import MLP
from .preprocess import to_mnist
from .weights import DEFAULT_WEIGHTS, load_weights


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float
    probabilities: list[float]  # 10 floats summing to 1
    image: np.ndarray  # the 28×28 float32 image the model saw

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(d), float(self.probabilities[d])) for d in order]

    def as_json(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 6),
                "probabilities": [round(p, 6) for p in self.probabilities]}


class Predictor:
    """Thread-safe: predictions read one (model, card) pair; `swap` replaces it in one assignment."""

    def __init__(self, model: MLP, card: dict, path: str | os.PathLike | None = None):
        self._state = (model.eval(), card, Path(path) if path else None)
        self._swap_lock = threading.Lock()

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
        with self._swap_lock:
            self._state = (model.eval(), card, Path(path) if path else None)

    @torch.inference_mode()
    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] MNIST-form images → [N, 10] probabilities (one batched forward pass)."""
        model = self._state[0]  # one read: a concurrent swap can't mix two models in one call
        batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        return torch.softmax(model(batch), dim=1).numpy()

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
