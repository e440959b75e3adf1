"""Several MLPs of one depth, averaged, as one wider MLP.

The weighted average of the logits of networks that read the same input is itself an MLP: their
hidden units sit side by side (the first layers' weights stacked; each later hidden layer
block-diagonal, so one network's units never feed another's) and the output layer adds their
logits, weighted. So the app, its "where it looked" and "inside" panels, the CLI and retraining
read an average as the plain MLP it is, in one forward pass. (Issue #13 allows an average of a few
MLPs while one canvas still reads in p50 ≤ 2 ms: `benchmarks/bench_inference.py`.)
"""
from __future__ import annotations

import math
import time

import torch
from torch import nn

from .model import MLP

# What a member's card keeps inside the average's card: how it was trained, not its history.
MEMBER_FIELDS = ("test_accuracy", "epochs", "seed", "seconds", "train_samples", "config", "command", "date",
                 "torch_version", "parameters")


def average_mlps(models: list[MLP], weights: list[float] | None = None) -> MLP:
    """One MLP whose logits are the `weights`-weighted average of the logits of `models`
    (equal weights by default). ValueError when they cannot be one MLP: different depths,
    activations or input normalisations, or wider together than an MLP may be."""
    if not models:
        raise ValueError("no networks to average")
    weights = [1.0] * len(models) if weights is None else [float(w) for w in weights]
    if len(weights) != len(models) or not all(math.isfinite(w) and w > 0 for w in weights):
        raise ValueError("each network needs a weight, a positive number")
    first = models[0]
    for model in models[1:]:
        if len(model.hidden) != len(first.hidden):
            raise ValueError(f"networks with {len(first.hidden)} and {len(model.hidden)} hidden layers "
                             "cannot be averaged as one MLP (their layers must line up)")
        if model.activation != first.activation:
            raise ValueError(f"networks with {first.activation} and {model.activation} activations cannot "
                             "be averaged as one MLP")
        if not (torch.equal(model.mean, first.mean) and torch.equal(model.std, first.std)):
            raise ValueError("networks with different input normalisations cannot be averaged as one MLP")
    widths = [sum(model.hidden[i] for model in models) for i in range(len(first.hidden))]
    merged = MLP(widths, first.activation, first.dropout)  # check_architecture: width and size limits
    shares = [w / sum(weights) for w in weights]
    linears = [[layer for layer in model.layers if isinstance(layer, nn.Linear)] for model in models]
    targets = [layer for layer in merged.layers if isinstance(layer, nn.Linear)]
    last = len(targets) - 1
    with torch.no_grad():
        for depth, target in enumerate(targets):
            target.weight.zero_()
            target.bias.zero_()
            row = col = 0  # where this member's block starts in the merged layer
            for member, share in zip(linears, shares):
                source = member[depth]
                rows, cols = source.weight.shape
                if depth == last:  # the output layer: every member's logits, weighted, summed
                    target.weight[:, col:col + cols] = share * source.weight
                    target.bias += share * source.bias
                else:  # a hidden layer: the member's units below the previous members'
                    target.weight[row:row + rows, col:col + cols] = source.weight
                    target.bias[row:row + rows] = source.bias
                    row += rows
                if depth > 0:  # the first layer's inputs are the pixels, shared by all
                    col += cols
        merged.mean.copy_(first.mean)
        merged.std.copy_(first.std)
    return merged.eval()


def average_files(members: list[tuple[str, float]], data_dir=None) -> tuple[MLP, dict]:
    """Read the weights files `members` ((path, weight) pairs), average them as one MLP and measure
    it on MNIST's test set. Returns the MLP and its card; WeightsError names a file that cannot be
    read, ValueError networks that cannot be averaged."""
    from .data import load_mnist
    from .training import evaluate
    from .weights import load_weights, make_card

    start = time.perf_counter()
    loaded = [load_weights(path) for path, _ in members]
    merged = average_mlps([model for model, _ in loaded], [weight for _, weight in members])
    test = load_mnist("test", data_dir)
    accuracy, _ = evaluate(merged, test.images, test.labels)
    card = make_card(merged, test_accuracy=round(accuracy, 6),
                     epochs=max([c["epochs"] for _, c in loaded if type(c.get("epochs")) is int] or [0]),
                     seconds=round(time.perf_counter() - start, 1),
                     averaged_from=[{"weights": str(path), "weight": weight,
                                     **{k: card[k] for k in MEMBER_FIELDS if k in card}}
                                    for (path, weight), (_, card) in zip(members, loaded)])
    # Which units are whose: the file stores the block-diagonal layers as their blocks (weights.py).
    card["architecture"]["members"] = [list(model.hidden) for model, _ in loaded]
    return merged, card

