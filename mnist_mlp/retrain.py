"""One background training run per server, for the Retrain tab (no Gradio in here).

The run uses the same engine as `train.py`, in a thread with fewer torch threads than the machine
has, so the Draw tab keeps answering. Its state is read as snapshots by any number of browsers.
"""
from __future__ import annotations

import dataclasses
import datetime
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .data import load_mnist
from .inference import Predictor
from .messages import for_visitors
from .training import Progress, TrainConfig, TrainingCancelled, TrainResult, evaluate, train
from .weights import DEFAULT_WEIGHTS, load_weights, make_card, save_weights

MAX_MISTAKES_SHOWN = 24


@dataclass
class RunState:
    status: str = "idle"  # idle | running | done | cancelled | failed
    config: TrainConfig | None = None
    started: float = 0.0
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    losses: list[tuple[float, float]] = field(default_factory=list)  # (fractional epoch, loss)
    accuracies: list[tuple[int, float]] = field(default_factory=list)  # (epoch, test accuracy)
    log: list[str] = field(default_factory=list)
    message: str = ""
    result: TrainResult | None = None
    confusion: np.ndarray | None = None  # [true, predicted] counts on the test set
    mistakes: list[tuple[np.ndarray, int, int]] = field(default_factory=list)  # (image, true, predicted)

    @property
    def running(self) -> bool:
        return self.status == "running"


class TrainingJob:
    def __init__(self, predictor: Predictor, data_dir: str | None = None, threads: int | None = None,
                 save_dir: str | Path | None = None):
        """`save_dir`: where "Save" writes (default: beside the weights the app started with, whose
        file "make default" replaces and "Revert" goes back to)."""
        self.predictor = predictor
        self.data_dir = data_dir
        # Leave at least one core to the prediction endpoints.
        self.threads = threads or max(1, (torch.get_num_threads() or 2) - 1)
        self.default_weights = Path(predictor.path or DEFAULT_WEIGHTS)
        self.weights_dir = Path(save_dir) if save_dir else self.default_weights.parent
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._state = RunState()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> RunState:
        with self._lock:
            s = self._state
            return RunState(**{**s.__dict__, "losses": list(s.losses), "accuracies": list(s.accuracies),
                               "log": list(s.log), "mistakes": list(s.mistakes)})

    def start(self, config: TrainConfig, corrections: tuple[np.ndarray, np.ndarray] | None = None) -> bool:
        """Start a run in the background; False (and nothing started) if one is already running.

        With `corrections` (uint8 images, labels), fine-tune the model in use on them mixed with
        MNIST instead of training a new network, and report accuracy on MNIST test and on a
        held-out fifth of the corrections, before and after."""
        config.validate()
        with self._lock:
            if self._state.running:
                return False
            self._cancel.clear()
            self._state = RunState(status="running", config=config, started=time.time(),
                                   epochs=config.epochs, message="loading MNIST …")
            self._last_report = (0, 0, 0.0)
            self._thread = threading.Thread(target=self._run, args=(config, corrections), daemon=True,
                                            name="retrain")
            self._thread.start()
        return True

    def cancel(self) -> bool:
        with self._lock:
            if not self._state.running:
                return False
        self._cancel.set()
        return True

    def wait(self, timeout: float | None = None) -> RunState:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.snapshot()

    def _log(self, line: str) -> None:
        self._state.log.append(f"{time.strftime('%H:%M:%S')}  {line}")
        del self._state.log[:-200]

    def _on_progress(self, event: Progress) -> None:
        with self._lock:
            s = self._state
            s.epoch, s.batch, s.batches = event.epoch, event.batch, event.batches
            position = event.epoch - 1 + event.batch / event.batches
            if event.stage == "batch":
                # The engine reports the epoch's running mean; plot the mean since the last report
                # instead, so the curve does not jump at every epoch start.
                last_epoch, last_batch, last_loss = self._last_report
                if last_epoch != event.epoch or last_batch >= event.batch:
                    last_batch, last_loss = 0, 0.0
                window = (event.loss * event.batch - last_loss * last_batch) / (event.batch - last_batch)
                s.losses.append((position, window))
                self._last_report = (event.epoch, event.batch, event.loss)
            s.message = f"epoch {event.epoch}/{event.epochs}, batch {event.batch}/{event.batches}"
            if event.stage == "epoch":
                s.accuracies.append((round(position, 3), event.test_accuracy))
                self._log(f"epoch {event.epoch}: loss {event.loss:.4f}, test accuracy "
                          f"{event.test_accuracy:.2%} ({event.elapsed:.1f} s)")

    def _run(self, config: TrainConfig, corrections=None) -> None:
        torch.set_num_threads(self.threads)  # this thread only: predictions keep their threads
        try:
            train_split = load_mnist("train", self.data_dir)
            test_split = load_mnist("test", self.data_dir)
            init_model, held_out = None, None
            if corrections is not None:
                config, train_split, held_out, init_model = self._fine_tune_setup(
                    config, corrections, train_split, test_split)
            else:
                with self._lock:
                    self._log(f"training {list(config.hidden)} on {config.limit_train or len(train_split)} images")
            result = train(config, self._on_progress, self._cancel, train_split, test_split,
                           init_model=init_model, report_every=5)
            if held_out is not None:
                after = evaluate(result.model, held_out.images, held_out.labels)[0]
                with self._lock:
                    self._log(f"after: MNIST test {result.test_accuracy:.2%}, held-out corrections {after:.2%}")
            predicted, truth = result.test_predictions, test_split.labels
            confusion = torch.zeros(10, 10, dtype=torch.long)
            confusion.index_put_((truth, predicted), torch.ones_like(truth), accumulate=True)
            wrong = torch.nonzero(predicted != truth).flatten()[:MAX_MISTAKES_SHOWN].tolist()
            mistakes = [(test_split.images[i].numpy(), int(truth[i]), int(predicted[i])) for i in wrong]
            with self._lock:
                s = self._state
                s.result, s.confusion, s.mistakes = result, confusion.numpy(), mistakes
                s.status = "done"
                s.message = f"finished: test accuracy {result.test_accuracy:.2%} in {result.seconds:.1f} s"
                self._log(s.message)
        except TrainingCancelled:
            with self._lock:
                self._state.status = "cancelled"
                self._state.message = "cancelled — the model in use is unchanged"
                self._log(self._state.message)
        except Exception as error:  # reported to the page; the server and the model in use stay
            traceback.print_exc()
            with self._lock:
                self._state.status = "failed"
                self._state.message = f"training failed: {for_visitors(error)}"
                self._log(self._state.message)

    def _fine_tune_setup(self, config, corrections, mnist_train, mnist_test):
        """Mix the corrections (oversampled to ~10 %) into an MNIST subset; hold out a fifth.
        Returns (config to train with, mixed split, held-out corrections, starting model)."""
        from .corrections import MIN_CORRECTIONS, as_split

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
        model = self.predictor.model
        init = type(model).from_architecture({**model.architecture(), "dropout": config.dropout})
        init.load_state_dict(model.state_dict())
        before_mnist = evaluate(model, mnist_test.images, mnist_test.labels)[0]
        before_held = evaluate(model, held_out.images, held_out.labels)[0]
        with self._lock:
            self._log(f"fine-tuning the model in use on {len(train_part)} corrections (x{repeat}) + {subset} MNIST images")
            self._log(f"before: MNIST test {before_mnist:.2%}, held-out corrections {before_held:.2%} ({len(held)})")
        # Fine-tuning keeps the architecture of the model in use; the mixed split is the whole subset.
        config = dataclasses.replace(config, hidden=tuple(model.hidden), limit_train=None)
        return config, as_split(mixed_images, mixed_labels, "mnist+corrections"), held_out, init

    def _finished_result(self) -> TrainResult:
        with self._lock:
            result = self._state.result
            if self._state.status != "done" or result is None:
                raise ValueError("No finished training run yet — start one first.")
            return result

    @staticmethod
    def card(result: TrainResult) -> dict:
        return make_card(result.model, result, command="Retrain tab: " + str(result.config.as_dict()),
                         trained_in="retrain tab")

    def use_result(self) -> str:
        result = self._finished_result()
        self.predictor.swap(result.model, self.card(result))
        return f"Now predicting with the new model ({result.test_accuracy:.2%} on MNIST test)."

    def save(self, make_default: bool = False) -> Path:
        """Write the new weights atomically: a new file, or the default (after a backup). Neither
        a new file nor a backup ever replaces an existing file, however fast saves follow each other."""
        result = self._finished_result()
        if make_default:
            if self.default_weights.exists():  # the backup is a complete, loadable weights file
                old_model, old_card = load_weights(self.default_weights)
                _save_new(old_model, old_card, self.default_weights.parent, f"{self.default_weights.stem}.backup")
            return save_weights(result.model, self.card(result), self.default_weights)
        return _save_new(result.model, self.card(result), self.weights_dir, "retrained")

    def revert(self) -> str:
        model, card = load_weights(self.default_weights)
        self.predictor.swap(model, card, self.default_weights)
        return f"Back to the default model ({card.get('test_accuracy', 0):.2%} on MNIST test)."


def _save_new(model, card: dict, folder: Path, prefix: str) -> Path:
    """Save under a new name `<prefix>-<time>[-n].safetensors` that no file has yet."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = folder / f"{prefix}-{stamp}{f'-{n}' if n else ''}.safetensors"
        try:
            return save_weights(model, card, path, overwrite=False)
        except FileExistsError:
            continue
    raise OSError(f"could not find a free file name for {prefix} in {folder.name}")
