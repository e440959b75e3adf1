"""The "not sure" rule on MNIST's test set, and other confidence scores set the same way.

    python benchmarks/unsure_rule.py [--weights W ...] [--data-dir DIR] [--semeion ../shared/handwriting/semeion.data]
                                     [--temperatures T ...] [--feature-distances]

For each weights file: the share of its wrong and right MNIST test answers under each threshold of
`inference.UNSURE_GRID`, and the rule's pick (`inference.unsure_threshold`: the lowest with 70 % of
the wrong answers under it — what `UNSURE_BELOW` must be for the default). Then each confidence
score computed from the logits (top probability, its margin to the runner-up, the logits' margin,
entropy, log-sum-exp), its threshold set exactly on MNIST's wrong answers (70 % flagged), and the
shares it flags; with `--semeion`, also on the Semeion canvases (`real_handwriting.py`'s, read
through the app's path) — for measuring: the thresholds never see them. Also how well the top
probability is calibrated: the temperature that fits MNIST test best (least negative log-likelihood,
Guo et al. 2017), the expected calibration error at temperature 1 and at that one, and the top
probability at that temperature (and at each of `--temperatures`) as one more score (a temperature
other than 1 reorders the top probabilities of different drawings: the lower it is, the more the
margin to the runner-up counts). With `--feature-distances`, three scores of how far a drawing lies
from MNIST's training digits in the last hidden layer, the features the output layer reads: the
cosine similarity to the 10th nearest training digit of the answer's class, the trust score
(Jiang et al. 2018: 1 − that similarity for the nearest other class, over 1 − it for the answer's
class) and the Mahalanobis distance to the answer's class mean (Lee et al. 2018, in the top 64
principal directions) — about a minute more.
Last line: {"unsure_below", "mnist_wrong", "mnist_right", "temperature", "ece", "ece_at_temperature"}
for the first weights (+ per weights file).
"""
import argparse
import json
import pathlib
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from mnist_mlp.data import load_mnist  # noqa: E402
from mnist_mlp.inference import UNSURE_GRID, UNSURE_WRONG_SHARE, Predictor, softmax, unsure_threshold  # noqa: E402
from mnist_mlp.preprocess import to_mnist  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402
from real_handwriting import STYLES, canvases, render  # noqa: E402


TEMPERATURES = tuple(np.round(np.arange(0.3, 2.0001, 0.01), 2))  # the grid the fit searches


def scores(logits: np.ndarray, temperatures: tuple[float, ...] = ()) -> dict[str, np.ndarray]:
    """Confidence scores, higher = surer, from [N, 10] logits (and the top probability of
    logits / T for each of `temperatures`)."""
    p = softmax(logits)
    top = np.sort(p, axis=1)
    ranked = np.sort(logits, axis=1)
    high = logits.max(axis=1, keepdims=True)
    return {"top probability": top[:, -1], "margin to runner-up": top[:, -1] - top[:, -2],
            "logits' margin": ranked[:, -1] - ranked[:, -2],
            "minus entropy": (p * np.log(np.clip(p, 1e-12, None))).sum(axis=1),
            "log-sum-exp": (np.log(np.exp(logits - high).sum(axis=1)) + high[:, 0]),
            **{f"top probability at T={t:.2f}": softmax(logits / t).max(axis=1) for t in temperatures}}


def last_hidden_features(network, images: np.ndarray, batch: int = 5000) -> np.ndarray:
    """[N, width]: the last hidden layer's activations, what the output layer reads."""
    return np.concatenate([network.activation(network.pre_activations(images[i:i + batch])[-2])
                           for i in range(0, len(images), batch)])


class FeatureDistances:
    """Distances from a drawing's last-hidden-layer features to those of the training digits."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, neighbour: int = 10, dimensions: int = 64):
        self.neighbour, self.labels = neighbour, labels
        self.reference = self._unit(features)
        self.mean = features.mean(axis=0)
        # Principal directions from every third digit: 20,000 × width is enough and takes seconds.
        self.directions = np.linalg.svd(features[::3] - self.mean, full_matrices=False)[2][:dimensions].T
        projected = (features - self.mean) @ self.directions
        self.class_means = np.stack([projected[labels == c].mean(axis=0) for c in range(10)])
        centred = projected - self.class_means[labels]
        self.precision = np.linalg.inv(centred.T @ centred / len(centred) + 1e-6 * np.eye(dimensions))

    @staticmethod
    def _unit(features: np.ndarray) -> np.ndarray:
        return (features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-6)).astype(np.float32)

    def class_similarities(self, features: np.ndarray, batch: int = 1000) -> np.ndarray:
        """[N, 10]: the cosine similarity to the `neighbour`-th nearest training digit of each class."""
        queries, out = self._unit(features), np.empty((len(features), 10), np.float32)
        for i in range(0, len(queries), batch):
            similarity = queries[i:i + batch] @ self.reference.T
            for c in range(10):
                of_class = similarity[:, self.labels == c]
                out[i:i + batch, c] = -np.partition(-of_class, self.neighbour - 1, axis=1)[:, self.neighbour - 1]
        return out

    def scores(self, features: np.ndarray, answers: np.ndarray) -> dict[str, np.ndarray]:
        """Higher = nearer the training digits of the answer's class."""
        rows = np.arange(len(answers))
        similarity = self.class_similarities(features)
        own = similarity[rows, answers]
        others = similarity.copy()
        others[rows, answers] = -np.inf
        offset = (features - self.mean) @ self.directions - self.class_means[answers]
        return {f"similarity, {self.neighbour}th neighbour": own,
                "trust score": (1 - others.max(axis=1)) / np.maximum(1 - own, 1e-6),
                "minus Mahalanobis": -np.einsum("ij,jk,ik->i", offset, self.precision, offset)}


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """The mean of −log p(label) under softmax(logits / temperature)."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fitted_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of TEMPERATURES under which the logits fit the labels best (least NLL)."""
    return min(TEMPERATURES, key=lambda t: negative_log_likelihood(logits, labels, t))


def calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: over equal-width bins of the top probability, how far each
    bin's share of right answers lies from its mean top probability, weighted by its size."""
    confidence, right = probabilities.max(axis=1), probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum((which == b).mean() * abs(right[which == b].mean() - confidence[which == b].mean())
                     for b in range(bins) if (which == b).any()))


def shares(score: np.ndarray, right: np.ndarray, threshold: float) -> str:
    flagged = score <= threshold
    return f"{flagged[~right].mean():.0%} of wrong / {flagged[right].mean():.1%} of right"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)])
    p.add_argument("--data-dir", help="MNIST root (default $MNIST_ROOT, then ./data)")
    p.add_argument("--semeion", help="semeion.data: also show each score's shares on its canvases")
    p.add_argument("--canvases", help="with --semeion: folder with thick/ and thin/ already rendered")
    p.add_argument("--temperatures", nargs="*", type=float, default=[],
                   help="also score the top probability at these temperatures")
    p.add_argument("--feature-distances", action="store_true",
                   help="also score distances to MNIST's training digits in the last hidden layer")
    args = p.parse_args()
    test = load_mnist("test", args.data_dir)
    train = load_mnist("train", args.data_dir) if args.feature_distances else None
    images, labels = test.images.numpy() / 255.0, test.labels.numpy()
    semeion = {}
    if args.semeion:
        folder = pathlib.Path(args.canvases or tempfile.mkdtemp(prefix="semeion-"))
        render(pathlib.Path(args.semeion), folder)
        semeion = {style: canvases(folder, style) for style in STYLES}
    results = {}
    for weights in args.weights:
        predictor = Predictor.load(weights)
        logits = predictor.logits(images)  # as the app reads them
        temperature = fitted_temperature(logits, labels)
        temperatures = (temperature, *args.temperatures)
        answers = logits.argmax(axis=1)
        on_mnist, right = scores(logits, temperatures), answers == labels
        distances = None
        if train is not None:
            distances = FeatureDistances(last_hidden_features(predictor.network, train.images.numpy() / 255.0),
                                         train.labels.numpy())
            on_mnist |= distances.scores(last_hidden_features(predictor.network, images), answers)
        confidence = on_mnist["top probability"]
        rule = unsure_threshold(confidence, right)
        print(f"{pathlib.Path(weights).name}: MNIST test {right.mean():.2%}, {int((~right).sum())} wrong")
        for threshold in UNSURE_GRID:
            under = confidence < threshold
            print(f"  top probability under {threshold:.2f}: {under[~right].mean():.0%} of wrong, "
                  f"{under[right].mean():.1%} of right{'   ← the rule' if threshold == rule else ''}")
        on_semeion = {}  # style → (its scores, which answers are right); the app's preprocessing, one batched pass
        calibration = {"MNIST": (logits, labels)}
        for style, (canvas_images, canvas_labels) in semeion.items():
            style_images = np.stack([to_mnist(image) for image in canvas_images])
            style_logits, style_labels = predictor.logits(style_images), np.array(canvas_labels)
            style_answers, style_scores = style_logits.argmax(axis=1), scores(style_logits, temperatures)
            if distances is not None:
                style_scores |= distances.scores(last_hidden_features(predictor.network, style_images), style_answers)
            on_semeion[style] = style_scores, style_answers == style_labels
            calibration[style] = style_logits, style_labels
        ece = {name: (calibration_error(softmax(z), y), calibration_error(softmax(z / temperature), y))
               for name, (z, y) in calibration.items()}
        print(f"  temperature fitted on MNIST test: {temperature:.2f} (NLL {negative_log_likelihood(logits, labels):.4f} "
              f"at 1, {negative_log_likelihood(logits, labels, temperature):.4f} at it); calibration error at 1 → at it: "
              + ", ".join(f"{name} {at_one:.4f} → {at_fit:.4f}" for name, (at_one, at_fit) in ece.items()))
        print(f"  each score's threshold set exactly on MNIST test ({UNSURE_WRONG_SHARE:.0%} of its wrong answers "
              "at or under it), the shares it flags:")
        for name, score in on_mnist.items():
            threshold = float(np.quantile(score[~right], UNSURE_WRONG_SHARE, method="higher"))
            line = f"    {name:26s} {threshold:8.4f}  MNIST {shares(score, right, threshold)}"
            for style, (style_scores, style_right) in on_semeion.items():
                line += f" | {style} {shares(style_scores[name], style_right, threshold)}"
            print(line)
        under = confidence < rule
        results[pathlib.Path(weights).name] = {"unsure_below": rule, "mnist_wrong": round(float(under[~right].mean()), 4),
                                               "mnist_right": round(float(under[right].mean()), 4),
                                               "temperature": temperature, "ece": round(ece["MNIST"][0], 4),
                                               "ece_at_temperature": round(ece["MNIST"][1], 4)}
    print(json.dumps({**results[pathlib.Path(args.weights[0]).name], "weights": results}))


if __name__ == "__main__":
    main()
