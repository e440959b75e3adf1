"""Predictor: load weights once, predict from any image, swap models atomically — in NumPy.

No torch here: the web server reads the weights with safetensors' NumPy loader and runs the
forward pass (and "where it looked", its backward pass to the input) itself; tests check both
against `MLP.forward` and torch's autograd for every activation.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special
from threadpoolctl import threadpool_limits

from .preprocess import to_mnist
from .weights import DEFAULT_WEIGHTS, read_weights


# Top probability under this → the app says "not sure" and names the runner-up. Set on MNIST test
# (not on the Semeion writers) by `unsure_threshold`: the lowest of 0.6, 0.65, 0.7, … that puts the
# note on 70 % of the default's wrong answers there. The thirty-fifth session's default (its networks
# one layer deeper): 0.7, 76 % of its 63 wrong answers and 1.2 % of its right ones; the default before,
# as the app reads it since the thirty-fourth session (READ_SHIFTED_BELOW): 0.7, 72 % of its 61 wrong
# answers and 1.4 % of its right ones; the thirty-second session's (its networks also weighed the digits
# their start read wrong twice; each digit read once): 0.7, 74 % of its 66 and 1.4 %; the thirteenth
# session's (it also learnt from drawings that are not digits): 0.7, 70 / 1.1 %; the eighth to twelfth
# sessions': 0.75, 75 / 1.4 %; the seventh's: 0.7, 72 / 1.0 %; 0.6 until then.
UNSURE_BELOW = 0.7
UNSURE_GRID = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)  # the thresholds the rule picks from
UNSURE_WRONG_SHARE = 0.7  # issue #13: the note on at least 70 % of the wrong answers
# Top probability under this → the app says the drawing does not look like a digit (and still names
# its best guess). Set on MNIST test by `not_a_digit_threshold`: the highest of NOT_A_DIGIT_GRID under
# which lie at most 1 in 1,000 of the default's right answers. Since the default learnt from drawings
# that are not digits (outliers.py; thirteenth session): 0.35. For the thirty-fifth session's default
# (its networks one layer deeper) 8 of its 9,937 right answers lie under it, and 94 % of
# benchmarks/not_digits.py's canvases of the kinds it was shown, 31 % of its unseen shapes (the "not
# sure" note is on 99 / 92 % of them); for the default before, as the app reads it since the
# thirty-fourth session, 7 of its 9,939 right answers, 83 / 19 %, the note 99 / 78 %; read once, as in
# the thirty-second session: 8 of 9,934, 82 / 22 %, the note 98 / 78 %; the thirteenth session's
# default: 8 of 9,933, 86 / 24 %, the note 98 / 75 %.
NOT_A_DIGIT_BELOW = 0.35
NOT_A_DIGIT_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
NOT_A_DIGIT_RIGHT_SHARE = 0.001
# A digit the plain reading is under this sure of is read again moved one pixel each of the eight ways,
# and the nine readings' logits averaged (test-time jitter, issue #13): where the centring could as well
# have put the digit a pixel away, an answer that holds only at one position is less sure. Measured on
# the pair shipped then (thirty-fourth session; benchmarks/real_handwriting.py): MNIST 99.34 → 99.39 %,
# Semeion 97.11 / 96.55 → 97.18 / 96.42 % (thick / fine pen), the "not sure" note on 69.6 / 80.0 → 73.3 /
# 78.9 % of the wrong answers and 5.1 / 5.5 → 4.6 / 5.5 % of the right ones, AUROC 0.941 / 0.947 → 0.948
# / 0.952. The gate only saves passes: it is the lowest of 0.8, 0.85, 0.9, 0.95 at which MNIST test and
# our own canvases (MNIST's test digits drawn the way Semeion is, and re-drawn) read exactly as with every
# digit read nine times — accuracy and the note's shares. For the thirty-fifth session's deeper default,
# 0.9 (at 0.85 one more of MNIST's right answers leaves the note); 7 % of MNIST's test digits, 10–15 % of
# our own canvases and 22 % of Semeion's pay the eight more passes (at 0.95: 27 %, 53–63 %, 52 %, so that
# most drawn canvases would; the pair before read 13 / 20–27 / 30 % there). bench_inference.py: p50
# 2.7 ms a canvas for those, 1.5 ms for the rest.
READ_SHIFTED_BELOW = 0.9
ONE_PIXEL_SHIFTS = tuple((dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dx or dy)


def unsure_threshold(confidence: np.ndarray, right: np.ndarray, share: float = UNSURE_WRONG_SHARE,
                     grid: tuple[float, ...] = UNSURE_GRID) -> float:
    """The "not sure" rule: the lowest threshold of `grid` with at least `share` of the wrong answers'
    top probabilities (`confidence` where not `right`) under it; the highest if none has, the lowest
    if there are no wrong answers. Applied to the default on MNIST's test set it gives UNSURE_BELOW
    (tests/test_inference.py; `benchmarks/unsure_rule.py`)."""
    wrong = np.asarray(confidence)[~np.asarray(right, dtype=bool)]
    if not wrong.size:
        return grid[0]
    return next((t for t in grid if (wrong < t).mean() >= share), grid[-1])


def not_a_digit_threshold(confidence: np.ndarray, right: np.ndarray, share: float = NOT_A_DIGIT_RIGHT_SHARE,
                          grid: tuple[float, ...] = NOT_A_DIGIT_GRID) -> float:
    """The "not a digit" rule: the highest threshold of `grid` with at most `share` of the right
    answers' top probabilities under it (the lowest if none is). Applied to the default on MNIST's
    test set it gives NOT_A_DIGIT_BELOW (tests/test_inference.py)."""
    right_confidence = np.asarray(confidence)[np.asarray(right, dtype=bool)]
    fine = [t for t in grid if (right_confidence < t).mean() <= share] if right_confidence.size else list(grid)
    return max(fine) if fine else grid[0]


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

    @property
    def not_a_digit(self) -> bool:
        """So unsure that the drawing does not look like any digit (letters, doodles …)."""
        return self.confidence < NOT_A_DIGIT_BELOW

    def as_json(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 6),
                "probabilities": [round(p, 6) for p in self.probabilities]}


_SQRT_HALF = np.float32(0.5 ** 0.5)
_INV_SQRT_2PI = np.float32((2 * np.pi) ** -0.5)

# Each activation and its derivative, as torch's modules compute them (GELU: the exact erf form).
ACTIVATION_FUNCTIONS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "silu": (lambda z: z * special.expit(z),
             lambda z: special.expit(z) * (1 + z * (1 - special.expit(z)))),
    "gelu": (lambda z: z * (np.float32(0.5) + np.float32(0.5) * special.erf(z * _SQRT_HALF)),
             lambda z: (np.float32(0.5) + np.float32(0.5) * special.erf(z * _SQRT_HALF))
             + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)),
}


def one_blas_thread() -> None:
    """Run NumPy's BLAS on the calling thread only, in this whole process (what a server wants).

    After a product big enough to be split (one drawing's first layer is), OpenBLAS's worker
    thread spins for the next one: measured here, each drawing then kept the second of the two
    cores busy for ~120 ms after its answer — taken from the other visitors' requests, which a
    server answers on threads of its own. One thread: no worker, and the same forward time
    (bench_inference.py)."""
    threadpool_limits(1, user_api="blas")  # stays in force: not used as a context manager here


def diagonal_blocks(weight_t: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """(first row, end row, first column, end column) of each block of a layer's weights ([in, out])
    outside which every weight is zero, when there are at least two — an average of networks as one
    MLP (`ensemble.average_mlps`) has one per network — else None."""
    nonzero = weight_t != 0
    used = nonzero.any(axis=1)
    first = nonzero.argmax(axis=1)
    last = weight_t.shape[1] - nonzero[:, ::-1].argmax(axis=1)  # one past each row's last non-zero
    blocks, row0, col0, col_end = [], 0, 0, 0
    for row in np.flatnonzero(used):
        if first[row] < col0:  # reaches back into an earlier block: not block-diagonal
            return None
        if first[row] >= col_end > col0:  # starts past everything so far: a new block
            blocks.append((row0, int(row), col0, int(first[row])))
            row0, col0 = int(row), int(first[row])
        col_end = max(col_end, int(last[row]))
    blocks.append((row0, weight_t.shape[0], col0, weight_t.shape[1]))
    return blocks if len(blocks) > 1 else None


class NumpyMLP:
    """The MLP of a weights file, evaluated by NumPy (Dropout is the identity at inference).

    Most inputs of each layer are zero: the paper around a digit, and after a ReLU ~90 % of the
    hidden units of a drawn digit (measured: 40–130 of 1,200 active). A product with a zero input
    needs no weight, so each layer keeps its weights input-major ([in, out]) and reads only the rows
    of the inputs active in some image of the batch: for one drawing ~3 MB of the shipped model's
    30.7 MB (a tenth of a 9.6 MB single network when it was measured). The backward pass does the
    same with the rows of the active units (`out_major`). The input normalisation is folded into
    the first layer so that paper stays zero.

    Why not torch: for one image its per-call overhead and MKL's matrix-vector product on this
    2-core AMD CPU took ~0.85 ms, this ~0.2 ms (benchmarks/bench_inference.py); and the server need
    not import torch (646 MB). The products run on OpenBLAS: a server calls `one_blas_thread()` first.
    """

    def __init__(self, arrays: dict[str, np.ndarray], architecture: dict):
        mean, std = float(arrays["mean"]), float(arrays["std"])
        self.hidden = list(architecture["hidden"])
        self.activation, self.activation_slope = ACTIVATION_FUNCTIONS[architecture.get("activation", "relu")]
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []  # (weight [in, out], bias [out])
        for i in range(len(self.hidden) + 1):  # MLP.layers: Linear, act, Dropout, …, Linear
            weight = arrays[f"layers.{3 * i}.weight"].astype(np.float64)
            bias = arrays[f"layers.{3 * i}.bias"].astype(np.float64)
            if i == 0:  # W((x - mean) / std) + b = (W / std) x + (b - mean / std · W 1)
                weight, bias = weight / std, bias - mean / std * weight.sum(axis=1)
            self.layers.append((np.ascontiguousarray(weight.T, np.float32), bias.astype(np.float32)))
        # The backward pass ("where it looked") reads the rows of the active units of each layer's
        # weights as stored ([out, in], PyTorch's layout): for a drawing ~10 % of them, no copy kept.
        # The first layer's are not folded: its gradient is divided by std after the product.
        self.out_major = [np.asarray(arrays[f"layers.{3 * i}.weight"], np.float32) for i in range(len(self.hidden))]
        self.input_std = np.float32(std)
        # Each layer's blocks of weights (row0, row1, col0, col1), outside which all are zero: the whole
        # matrix, or for the later hidden layers of an average of networks one block per network, so
        # that their zeros are skipped (bench_inference.py, the shipped average of two: forward p50
        # 0.44–0.45 → 0.38–0.39 ms, where it looked 1.41–1.42 → 1.11–1.14 ms).
        self.blocks = [[(0, w.shape[0], 0, w.shape[1])] for w, _ in self.layers]
        for i in range(1, len(self.layers) - 1):  # the layers from one hidden layer to the next
            self.blocks[i] = diagonal_blocks(self.layers[i][0]) or self.blocks[i]

    def first_layer_weights(self) -> np.ndarray:
        """[units, 28, 28]: what each first-layer unit looks for (its incoming weights)."""
        return self.layers[0][0].T.reshape(-1, 28, 28)

    def pre_activations(self, images: np.ndarray) -> list[np.ndarray]:
        """[N, 28, 28] in [0, 1] → each layer's output before its activation ([N, width]; the last
        one is the logits)."""
        h = np.ascontiguousarray(images, dtype=np.float32).reshape(len(images), -1)
        outputs = []
        for i, (weight_t, bias) in enumerate(self.layers):
            if i:
                h = self.activation(outputs[-1])
            # Any batch: the rows of the inputs active in any of its images, block by block. Against one
            # product with all the weights for more than 4 images (until the eleventh session), on one
            # BLAS thread: a 6-digit number 5.16 → 1.73 ms, 256 images 45.8 → 30.5, MNIST's 10,000
            # test images 1.85 → 1.26 s (the same logits within 1e-6).
            out = np.empty((len(h), len(bias)), np.float32)
            for row0, row1, col0, col1 in self.blocks[i]:
                part, block = h[:, row0:row1], weight_t[row0:row1, col0:col1]
                active = np.flatnonzero(part.any(axis=0))
                if len(active) < (row1 - row0) // 2:
                    part, block = part[:, active], block[active]
                # BLAS's matrix-vector product, not einsum's loop: forward p50 0.63 → 0.55 ms on
                # bench_inference.py's canvases (the two alternated in one process; on one BLAS
                # thread or two the same: it waits on memory).
                out[:, col0:col1] = part @ block + bias[col0:col1]
            outputs.append(out)
        return outputs

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] images in [0, 1] → [N, 10] logits."""
        return self.pre_activations(images)[-1]

    def inside(self, image28: np.ndarray) -> "Inside":
        """One image's hidden activations (after each activation function) and logits."""
        pre = self.pre_activations(np.asarray(image28, dtype=np.float32)[None])
        return Inside([self.activation(z[0]) for z in pre[:-1]], pre[-1][0], self)

    def evidence(self, hidden: np.ndarray, digit: int) -> np.ndarray:
        """How much each unit of the last hidden layer adds to `digit`'s logit (activation × weight)."""
        return hidden * self.layers[-1][0][:, digit]

    def input_gradient(self, image28: np.ndarray, digit: int) -> np.ndarray:
        """d logit[digit] / d pixel for one [28, 28] image: backpropagation through the layers."""
        pre = self.pre_activations(image28[None])
        gradient = self.layers[-1][0][:, digit]  # d logit / d last hidden activations
        for i in range(len(self.layers) - 2, -1, -1):
            weight_t, slope = self.layers[i][0], gradient * self.activation_slope(pre[i][0])
            gradient = np.empty(len(weight_t), np.float32)
            for row0, row1, col0, col1 in self.blocks[i]:
                active = np.flatnonzero(slope[col0:col1])  # after a ReLU, the units that were on
                if len(active) < (col1 - col0) // 2:  # their rows only: where_it_looked p50 2.74 → 1.44 ms
                    # (ten drawings in turn, a canvas read between two; old and new alternated)
                    gradient[row0:row1] = slope[col0 + active] @ self.out_major[i][col0 + active, row0:row1]
                    if i == 0:
                        gradient[row0:row1] /= self.input_std
                else:
                    gradient[row0:row1] = weight_t[row0:row1, col0:col1] @ slope[col0:col1]
        return gradient.reshape(28, 28)


@dataclass(frozen=True)
class Inside:
    """What the network computed for one image: the `/inside` API and the Inside panel."""
    hidden: list[np.ndarray]  # each hidden layer's activations
    logits: np.ndarray  # [10]
    network: NumpyMLP

    @property
    def digit(self) -> int:
        return int(self.logits.argmax())

    def top_units(self, layer: int, k: int = 8) -> list[tuple[int, float]]:
        """The `k` most active units of a hidden layer, strongest first: (unit, activation)."""
        values = self.hidden[layer]
        order = np.argsort(values)[::-1][:k]
        return [(int(u), float(values[u])) for u in order if values[u] > 0]

    def evidence_for(self, digit: int, k: int = 6) -> list[tuple[int, float]]:
        """The last hidden layer's units that pushed most towards `digit`: (unit, contribution)."""
        push = self.network.evidence(self.hidden[-1], digit)
        order = np.argsort(push)[::-1][:k]
        return [(int(u), float(push[u])) for u in order if push[u] > 0]

    def as_json(self, top: int = 8) -> dict:
        return {"layers": [{"size": int(h.size), "active": int((h > 0).sum()),
                            "top": [{"unit": u, "activation": round(a, 5)} for u, a in self.top_units(i, top)]}
                           for i, h in enumerate(self.hidden)],
                "logits": [round(float(v), 5) for v in self.logits], "digit": self.digit}


def shifted(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """[N, 28, 28] images moved `dx` pixels right and `dy` down (|dx|, |dy| ≤ 1); paper comes in."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return padded[:, 1 - dy:29 - dy, 1 - dx:29 - dx]


def read_at_nine_positions(logits: np.ndarray, below: float = READ_SHIFTED_BELOW) -> np.ndarray:
    """Which rows of [N, 10] plain-reading logits the app reads again at ONE_PIXEL_SHIFTS: those whose
    top probability is under `below` (by default the app's gate, READ_SHIFTED_BELOW)."""
    return softmax(logits).max(axis=1) < below


def jittered_logits(network: "NumpyMLP", images: np.ndarray, plain_logits: np.ndarray) -> np.ndarray:
    """The mean of the logits of `images` as they are (`plain_logits`) and at ONE_PIXEL_SHIFTS."""
    moved = np.concatenate([shifted(images, dx, dy) for dx, dy in ONE_PIXEL_SHIFTS])
    logits = network(moved).reshape(len(ONE_PIXEL_SHIFTS), len(images), -1)
    return (plain_logits + logits.sum(axis=0)) / (len(ONE_PIXEL_SHIFTS) + 1)


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    """Thread-safe: predictions read one (network, card, path) state; `swap` replaces it in one
    assignment."""

    def __init__(self, arrays: dict[str, np.ndarray], card: dict, path: str | os.PathLike | None = None):
        self._state = self._state_of(arrays, card, path)
        self._swap_lock = threading.Lock()

    @staticmethod
    def _state_of(arrays: dict[str, np.ndarray], card: dict, path) -> tuple:
        return NumpyMLP(arrays, card["architecture"]), card, Path(path) if path else None, arrays

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_WEIGHTS) -> "Predictor":
        arrays, card = read_weights(path)
        return cls(arrays, card, path)

    @property
    def network(self) -> NumpyMLP:
        return self._state[0]

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The weights as in the file (`MLP.state_dict()` names), e.g. to fine-tune the model in use."""
        return self._state[3]

    @property
    def card(self) -> dict:
        return self._state[1]

    @property
    def path(self) -> Path | None:
        return self._state[2]

    def swap(self, arrays, card: dict, path: str | os.PathLike | None = None) -> None:
        """Use another model from the next prediction on; in-flight predictions finish on the old one."""
        state = self._state_of(arrays, card, path)  # built outside the lock, assigned at once
        with self._swap_lock:
            self._state = state

    def swap_to(self, path: str | os.PathLike) -> dict:
        """Read (and validate) a weights file and use it; returns its card. WeightsError otherwise,
        with the model in use unchanged."""
        arrays, card = read_weights(path)
        self.swap(arrays, card, path)
        return card

    def logits(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] MNIST-form images → [N, 10] logits as the app reads them: one batched forward
        pass, and for the images it is under READ_SHIFTED_BELOW sure of, the mean with one more pass
        of their eight one-pixel shifts."""
        network = self._state[0]  # one read: a concurrent swap can't mix two models
        images = np.asarray(images, dtype=np.float32)
        logits = network(images)
        unsure = read_at_nine_positions(logits)
        if unsure.any():
            logits[unsure] = jittered_logits(network, images[unsure], logits[unsure])
        return logits

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] MNIST-form images → [N, 10] probabilities (the softmax of `logits`)."""
        return softmax(self.logits(images))

    def predict_mnist(self, images: np.ndarray) -> list[Prediction]:
        probs = self.probabilities(images)
        return [Prediction(int(p.argmax()), float(p.max()), p.tolist(), img) for p, img in zip(probs, images)]

    def predict(self, image) -> Prediction:
        """Any PIL image / numpy array → Prediction. Raises NothingToRead / ImageProblem for bad input."""
        return self.predict_mnist(to_mnist(image)[None])[0]

    def where_it_looked(self, image28: np.ndarray, digit: int | None = None) -> np.ndarray:
        """Input × gradient of the digit's logit: how much each pixel pushed the prediction towards
        `digit` (default: the top class). [28, 28] in [0, 1]; one forward and backward pass."""
        network = self._state[0]
        image = np.asarray(image28, dtype=np.float32)
        if digit is None:
            digit = int(network(image[None])[0].argmax())
        push = np.clip(network.input_gradient(image, int(digit)) * image, 0, None)
        if not push.any():
            return push
        # Scale by a high percentile rather than the single strongest pixel, so the picture shows
        # the strokes that mattered, not one hot spot.
        return np.clip(push / np.percentile(push[push > 0], 90), 0, 1)
