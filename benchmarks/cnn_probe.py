"""Is the MLP what limits the "not sure" note on real handwriting, or the data? A probe.

    python benchmarks/cnn_probe.py [--epochs 12] [--threads 2] [--semeion ../shared/handwriting/semeion.data]

Trains a small convolutional network (two 5×5 conv layers, 32 and 64 channels, each with 2×2
max-pooling, then 512 units) from scratch on the shipped default's training data — the
`sharp_outliers` recipe's digits, re-drawn and style digits, distortions and outliers, through the
project's one training engine (`training.setup` / `train_epoch`, the CNN in the MLP's place; no SAM,
a one-cycle schedule to lr 2e-3) — and reads MNIST test and the Semeion canvases through the app's
preprocessing (`to_mnist`). It prints, for the CNN, the shipped MLP (`--weights`) and the two
averaged (logits): accuracy, the confidence AUROC (how well the top probability separates right
answers from wrong ones), the "not sure" rule's threshold on MNIST (`inference.unsure_threshold`)
and the shares of Semeion's wrong / right answers under it, and the share of wrong answers under
the confidence that flags 5 % of the right ones (a bound: picked on Semeion).

Nothing here ships: issue #13 asks for a multilayer perceptron. A CNN that separates right from
wrong no better than the MLP, trained on the same data, points at the data (and the handwriting).
Last line: JSON with those figures per model.
"""
import argparse
import json
import pathlib
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from mnist_mlp import training  # noqa: E402
from mnist_mlp.config import MNIST_MEAN, MNIST_STD, SHARP_OUTLIERS, TrainConfig  # noqa: E402
from mnist_mlp.inference import Predictor, softmax, unsure_threshold  # noqa: E402
from mnist_mlp.preprocess import to_mnist  # noqa: E402
from mnist_mlp.weights import DEFAULT_WEIGHTS  # noqa: E402
from real_handwriting import SHARED, STYLES, canvases, render, separation  # noqa: E402


class SmallCNN(nn.Module):
    """LeNet-like: [N, 28, 28] in [0, 1] → [N, 10] logits (the MLP's input and output)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Dropout(0.3), nn.Linear(512, 10))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers((images.reshape(len(images), 1, 28, 28) - MNIST_MEAN) / MNIST_STD)


def figures(logits: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> dict:
    """Accuracy, AUROC, the MNIST rule's threshold and the Semeion shares under it, for one model."""
    confidence = {s: softmax(v).max(1) for s, v in logits.items()}
    right = {s: v.argmax(1) == labels[s] for s, v in logits.items()}
    rule = unsure_threshold(confidence["mnist"], right["mnist"])
    out = {"mnist_test": round(float(right["mnist"].mean()), 4), "unsure_below": rule}
    for style in STYLES:
        c, r = confidence[style], right[style]
        out[style] = {"accuracy": round(float(r.mean()), 4), "auroc": round(separation(c[r], c[~r]), 3),
                      "unsure_wrong": round(float((c[~r] < rule).mean()), 3),
                      "unsure_right": round(float((c[r] < rule).mean()), 3),
                      "wrong_at_5pc_right": round(float((c[~r] < np.quantile(c[r], 0.05)).mean()), 3)}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="the MLP to compare with")
    p.add_argument("--semeion", default=str(SHARED / "handwriting" / "semeion.data"))
    p.add_argument("--canvases", help="folder with thick/ and thin/ already rendered")
    p.add_argument("--data-dir", help="MNIST root (default $MNIST_ROOT, then ./data)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    folder = pathlib.Path(args.canvases or tempfile.mkdtemp(prefix="semeion-"))
    render(pathlib.Path(args.semeion), folder)

    recipe = {k: v for k, v in SHARP_OUTLIERS.items() if k not in ("init_weights", "sam")}
    config = TrainConfig(**{**recipe, "epochs": args.epochs, "lr": 2e-3, "seed": args.seed,
                            "threads": args.threads, "data_dir": args.data_dir})
    start = time.perf_counter()
    run = training.setup(config)  # draws the variants (minutes), builds an MLP we replace
    print(f"data drawn in {time.perf_counter() - start:.0f} s", flush=True)
    cnn = SmallCNN()
    run.model = run.net = cnn
    run.optimizer = torch.optim.AdamW(cnn.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    run.scheduler = torch.optim.lr_scheduler.OneCycleLR(run.optimizer, max_lr=config.lr,
                                                        total_steps=config.epochs * run.batches)
    run.start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        training.train_epoch(run)
        print(f"epoch {epoch}: MNIST test {run.accuracy:.2%} ({time.perf_counter() - run.start:.0f} s)", flush=True)

    inputs = {"mnist": run.test_split.images.numpy() / 255.0}
    labels = {"mnist": run.test_split.labels.numpy()}
    for style in STYLES:
        images, style_labels = canvases(folder, style)
        inputs[style], labels[style] = np.stack([to_mnist(image) for image in images]), np.array(style_labels)
    cnn.eval()
    with torch.no_grad():
        cnn_logits = {s: cnn(torch.from_numpy(x).float()).numpy() for s, x in inputs.items()}
    mlp = Predictor.load(args.weights).network
    mlp_logits = {s: mlp(x) for s, x in inputs.items()}
    results = {"cnn": figures(cnn_logits, labels), "mlp": figures(mlp_logits, labels),
               "cnn+mlp": figures({s: (cnn_logits[s] + mlp_logits[s]) / 2 for s in inputs}, labels)}
    for name, f in results.items():
        line = f"{name:8s} MNIST {f['mnist_test']:.2%}, rule {f['unsure_below']:.2f}"
        for style in STYLES:
            s = f[style]
            line += (f" | {style} {s['accuracy']:.2%}, AUROC {s['auroc']:.3f}, not sure {s['unsure_wrong']:.0%} of wrong"
                     f" / {s['unsure_right']:.1%} of right (at 5 % of right: {s['wrong_at_5pc_right']:.0%})")
        print(line)
    print(json.dumps({"epochs": args.epochs, "seed": args.seed, **results}))


if __name__ == "__main__":
    main()
