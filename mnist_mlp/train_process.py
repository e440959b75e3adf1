"""The Retrain tab's training run, in a child process of the web server (started by `retrain.py`).

Only this process imports torch and reads MNIST: when the run ends the process exits and the
server is back at its own size. Everything goes back over one queue as plain tuples:
    ("progress", Progress fields as a dict)   from the one training engine's callback
    ("log", line)
    ("done", {"path", "test_accuracy", "seconds", "confusion", "mistakes", "card"})
    ("cancelled", message) | ("failed", message)
The new weights are written by `save_weights` (temp file, fsync, rename): a run killed at any
moment leaves either no file or a complete one.
"""
from __future__ import annotations

import dataclasses
import os
import traceback

import numpy as np

MAX_MISTAKES_SHOWN = 24


def run_training(request: dict, messages, cancel) -> None:
    """`request`: {"config": TrainConfig as a dict, "data_dir", "threads", "out" (weights path),
    "corrections": (uint8 images, labels) or None, "start_from": (arrays, card) of the model in use,
    for fine-tuning}. `cancel`: a multiprocessing Event, polled between batches."""
    try:
        import torch

        from .config import TrainConfig
        from .data import load_mnist
        from .training import DRAWING_VARIANTS, TrainingCancelled, evaluate, train
        from .weights import make_card, save_weights

        torch.set_num_threads(request["threads"])  # leave the server's core free
        run_when_idle()  # and let the server go first whenever it wants a core
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cores) > request["threads"]:  # keep to the last cores: the others stay the server's
            os.sched_setaffinity(0, cores[-request["threads"]:])
        config = TrainConfig(**{**request["config"], "hidden": tuple(request["config"]["hidden"])}).validate()
        train_split = load_mnist("train", request["data_dir"])
        test_split = load_mnist("test", request["data_dir"])
        init_model, held_out = None, None
        if request.get("corrections") is not None:
            config, train_split, held_out, init_model = fine_tune_setup(
                config, request["corrections"], request["start_from"], train_split, test_split, messages)
        else:
            messages.put(("log", f"training {list(config.hidden)} on {config.limit_train or len(train_split)} images"))
        if config.draws_variants:
            messages.put(("log", DRAWING_VARIANTS))
        result = train(config, lambda event: messages.put(("progress", dataclasses.asdict(event))), cancel,
                       train_split, test_split, init_model=init_model, report_every=5)
        if held_out is not None:
            after = evaluate(result.model, held_out.images, held_out.labels)[0]
            messages.put(("log", f"after: MNIST test {result.test_accuracy:.2%}, held-out corrections {after:.2%}"))
        predicted, truth = result.test_predictions.numpy(), test_split.labels.numpy()
        confusion = np.zeros((10, 10), dtype=np.int64)
        np.add.at(confusion, (truth, predicted), 1)
        wrong = np.flatnonzero(predicted != truth)[:MAX_MISTAKES_SHOWN]
        mistakes = [(test_split.images[i].numpy(), int(truth[i]), int(predicted[i])) for i in wrong]
        card = make_card(result.model, result, command="Retrain tab: " + str(config.as_dict()),
                         trained_in="retrain tab")
        save_weights(result.model, card, request["out"], overwrite=False)
        messages.put(("done", {"path": request["out"], "test_accuracy": result.test_accuracy,
                               "seconds": result.seconds, "confusion": confusion, "mistakes": mistakes,
                               "card": card}))
    except TrainingCancelled:
        messages.put(("cancelled", "cancelled — the model in use is unchanged"))
    except BaseException as error:  # reported to the page; the server and the model in use stay
        traceback.print_exc()
        from .messages import for_visitors
        messages.put(("failed", f"training failed: {for_visitors(error)}"))


def run_when_idle() -> None:
    """Lowest CPU priority: Linux's SCHED_IDLE (the process runs only on a core nothing else wants,
    and a request waking up preempts it at once), else nice 19. With nice 10, the server's /predict
    p99 while a run trained was 1.08–1.40 × idle (benchmarks/bench_app.py)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def fine_tune_setup(config, corrections, start_from, mnist_train, mnist_test, messages):
    """Mix the corrections (oversampled to ~10 %) into an MNIST subset; hold out a fifth.
    Returns (config to train with, mixed split, held-out corrections, starting model)."""
    import torch

    from .corrections import MIN_CORRECTIONS, as_split
    from .model import MLP
    from .training import evaluate

    images, labels = corrections
    if len(labels) < MIN_CORRECTIONS:
        raise ValueError(f"fine-tuning needs at least {MIN_CORRECTIONS} corrections")
    order = np.random.default_rng(config.seed).permutation(len(labels))
    held = order[: max(1, len(labels) // 5)]
    train_part = order[len(held):]
    subset = min(config.limit_train or 10_000, len(mnist_train))
    repeat = max(1, round(0.1 * subset / max(1, len(train_part))))
    mixed_images = np.concatenate([mnist_train.images[:subset].numpy()] + [images[train_part]] * repeat)
    mixed_labels = np.concatenate([mnist_train.labels[:subset].numpy()] + [labels[train_part]] * repeat)
    held_out = as_split(images[held], labels[held], "held-out corrections")
    arrays, card = start_from
    model = MLP.from_architecture({**card["architecture"], "dropout": config.dropout})
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    before_mnist = evaluate(model, mnist_test.images, mnist_test.labels)[0]
    before_held = evaluate(model, held_out.images, held_out.labels)[0]
    messages.put(("log", f"fine-tuning the model in use on {len(train_part)} corrections (x{repeat}) + {subset} MNIST images"))
    messages.put(("log", f"before: MNIST test {before_mnist:.2%}, held-out corrections {before_held:.2%} ({len(held)})"))
    # Fine-tuning keeps the architecture of the model in use (nothing deepened: the preset's --deepen is
    # for a file it starts from); the mixed split is the whole subset.
    config = dataclasses.replace(config, hidden=tuple(model.hidden), limit_train=None, init_weights=None, deepen=0)
    return config, as_split(mixed_images, mixed_labels, "mnist+corrections"), held_out, model
