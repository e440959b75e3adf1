"""One training run per server, for the Retrain tab — in a child process (no Gradio, no torch here).

The run is `train_process.run_training` in a spawned process: the one training engine, with torch
and MNIST loaded there only, so the server goes back to its own size when the run ends (in-process
it kept +380 MB). A watcher thread turns the child's messages into a `RunState` that any number of
browsers read as snapshots. Cancel asks the child to stop between batches and terminates it after
CANCEL_GRACE_S; a child that dies (even `kill -9`) is reported as a failed run, the server and the
model in use untouched.
"""
from __future__ import annotations

import datetime
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .inference import Predictor
from .weights import DEFAULT_WEIGHTS, copy_weights

CANCEL_GRACE_S = 3.0  # after Cancel, a training child gets this long to stop by itself, then is terminated
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no server threads or sockets inherited


@dataclass
class RunResult:
    """A finished run: its weights file (written by the child) and what the page shows of it."""
    path: Path
    test_accuracy: float
    seconds: float
    card: dict


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
    accuracies: list[tuple[float, float]] = field(default_factory=list)  # (epoch, test accuracy)
    log: list[str] = field(default_factory=list)
    message: str = ""
    result: RunResult | None = None
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
        self.threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self.default_weights = Path(predictor.path or DEFAULT_WEIGHTS)
        self.weights_dir = Path(save_dir) if save_dir else self.default_weights.parent
        self.runs_dir = Path(tempfile.mkdtemp(prefix="mnist-mlp-runs-"))  # the children's results
        self._lock = threading.Lock()
        self._state = RunState()
        self._process = None
        self._cancel = None
        self._watcher: threading.Thread | None = None
        self._runs = 0

    @property
    def pid(self) -> int | None:
        """The training child's process id while a run is going (tests kill it)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def latest_result_path(self) -> Path | None:
        """The weights file of the last finished run, if any (for comparing it on the Draw tab)."""
        with self._lock:
            result = self._state.result
        return result.path if result is not None else None

    def snapshot(self) -> RunState:
        with self._lock:
            s = self._state
            return RunState(**{**s.__dict__, "losses": list(s.losses), "accuracies": list(s.accuracies),
                               "log": list(s.log), "mistakes": list(s.mistakes)})

    def start(self, config: TrainConfig, corrections: tuple[np.ndarray, np.ndarray] | None = None) -> bool:
        """Start a run in a child process; False (and nothing started) if one is already running.

        With `corrections` (uint8 images, labels), fine-tune the model in use on them mixed with
        MNIST instead of training a new network, and report accuracy on MNIST test and on a
        held-out fifth of the corrections, before and after."""
        config.validate()
        with self._lock:
            if self._state.running:
                return False
            self._runs += 1
            self._remove_old_results()
            out = self.runs_dir / f"run-{self._runs}.safetensors"
            request = {"config": config.as_dict(), "data_dir": self.data_dir, "threads": self.threads,
                       "out": str(out), "corrections": corrections,
                       "start_from": (self.predictor.arrays, self.predictor.card) if corrections else None}
            messages, cancel = SPAWN.Queue(), SPAWN.Event()
            from . import train_process  # the child imports it again; here it only names the target

            process = SPAWN.Process(target=train_process.run_training, args=(request, messages, cancel),
                                    daemon=True, name="mnist-mlp-retrain")
            self._state = RunState(status="running", config=config, started=time.time(), epochs=config.epochs,
                                   message="starting the training process …")
            self._last_report = (0, 0, 0.0)
            process.start()
            self._process, self._cancel = process, cancel
            self._watcher = threading.Thread(target=self._watch, args=(process, messages, cancel), daemon=True,
                                             name="retrain-watcher")
            self._watcher.start()
        return True

    def cancel(self) -> bool:
        with self._lock:
            if not self._state.running:
                return False
            self._cancel.set()
            self._state.message = "cancelling …"
        return True

    def wait(self, timeout: float | None = None) -> RunState:
        watcher = self._watcher
        if watcher is not None:
            watcher.join(timeout)
        return self.snapshot()

    # ------------------------------------------------------------ the watcher thread

    def _watch(self, process, messages, cancel) -> None:
        """Apply the child's messages until it has said how the run ended and exited (or died)."""
        final, cancel_asked, training = None, None, False
        while final is None:
            if cancel.is_set():
                cancel_asked = cancel_asked or time.monotonic()
                # Still starting (importing torch, reading MNIST): nothing to wait for.
                if not training or time.monotonic() - cancel_asked > CANCEL_GRACE_S:
                    _stop(process)
                    final = ("cancelled", "cancelled — the model in use is unchanged")
                    break
            try:
                kind, payload = messages.get(timeout=0.2)
            except queue.Empty:
                if process.is_alive():
                    continue
                try:  # its last words may still be in the pipe
                    kind, payload = messages.get(timeout=1.0)
                except queue.Empty:
                    final = ("failed", f"the training process stopped unexpectedly (exit code "
                                       f"{process.exitcode}); nothing was saved and the model in use is unchanged")
                    break
            if kind == "progress":
                training = True
                self._on_progress(payload)
            elif kind == "log":
                with self._lock:
                    self._log(payload)
            else:
                final = (kind, payload)
        process.join(CANCEL_GRACE_S)
        _stop(process)
        messages.close()
        self._finish(*final)

    def _finish(self, kind: str, payload) -> None:
        with self._lock:
            s = self._state
            if kind == "done":
                s.result = RunResult(Path(payload["path"]), payload["test_accuracy"], payload["seconds"],
                                     payload["card"])
                s.confusion, s.mistakes = payload["confusion"], payload["mistakes"]
                s.status = "done"
                s.message = f"finished: test accuracy {s.result.test_accuracy:.2%} in {s.result.seconds:.1f} s"
            else:
                s.status, s.message = kind, payload
            self._log(s.message)

    def _log(self, line: str) -> None:
        self._state.log.append(f"{time.strftime('%H:%M:%S')}  {line}")
        del self._state.log[:-200]

    def _on_progress(self, event: dict) -> None:
        with self._lock:
            s = self._state
            s.epoch, s.batch, s.batches = event["epoch"], event["batch"], event["batches"]
            position = event["epoch"] - 1 + event["batch"] / event["batches"]
            if event["stage"] == "batch":
                # The engine reports the epoch's running mean; plot the mean since the last report
                # instead, so the curve does not jump at every epoch start.
                last_epoch, last_batch, last_loss = self._last_report
                if last_epoch != event["epoch"] or last_batch >= event["batch"]:
                    last_batch, last_loss = 0, 0.0
                window = (event["loss"] * event["batch"] - last_loss * last_batch) / (event["batch"] - last_batch)
                s.losses.append((position, window))
                self._last_report = (event["epoch"], event["batch"], event["loss"])
            if s.message != "cancelling …":
                s.message = f"epoch {event['epoch']}/{event['epochs']}, batch {event['batch']}/{event['batches']}"
            if event["stage"] == "epoch":
                s.accuracies.append((round(position, 3), event["test_accuracy"]))
                self._log(f"epoch {event['epoch']}: loss {event['loss']:.4f}, test accuracy "
                          f"{event['test_accuracy']:.2%} ({event['elapsed']:.1f} s)")

    def _remove_old_results(self) -> None:
        """Earlier runs' files, except the one the Draw tab may be using."""
        in_use = self.predictor.path
        for old in self.runs_dir.glob("run-*"):
            if in_use is None or old.with_suffix(".safetensors") != in_use:
                old.unlink(missing_ok=True)

    # ------------------------------------------------------------ what the buttons do

    def _finished_result(self) -> RunResult:
        with self._lock:
            result = self._state.result
            if self._state.status != "done" or result is None:
                raise ValueError("No finished training run yet — start one first.")
            return result

    def use_result(self) -> str:
        result = self._finished_result()
        self.predictor.swap_to(result.path)
        return f"Now predicting with the new model ({result.test_accuracy:.2%} on MNIST test)."

    def save(self, make_default: bool = False) -> Path:
        """Copy the new weights atomically: to a new file, or over the default (after a backup).
        Neither a new file nor a backup ever replaces an existing file, however fast saves follow
        each other."""
        result = self._finished_result()
        if make_default:
            if self.default_weights.exists():  # the backup is a complete, loadable weights file
                _copy_new(self.default_weights, self.default_weights.parent, f"{self.default_weights.stem}.backup")
            return copy_weights(result.path, self.default_weights)
        return _copy_new(result.path, self.weights_dir, "retrained")

    def revert(self) -> str:
        card = self.predictor.swap_to(self.default_weights)
        return f"Back to the default model ({card.get('test_accuracy', 0):.2%} on MNIST test)."

    def close(self) -> None:
        """Stop a run that is going and remove the run files (the server is shutting down)."""
        process = self._process
        if process is not None:
            _stop(process)
        shutil.rmtree(self.runs_dir, ignore_errors=True)


def _stop(process) -> None:
    """Terminate (then kill) a child that is still running."""
    if process.is_alive():
        process.terminate()
        process.join(2)
    if process.is_alive():
        process.kill()
        process.join(2)


def _copy_new(source: Path, folder: Path, prefix: str) -> Path:
    """Copy weights to a new name `<prefix>-<time>[-n].safetensors` that no file has yet."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = folder / f"{prefix}-{stamp}{f'-{n}' if n else ''}.safetensors"
        try:
            return copy_weights(source, path, overwrite=False)
        except FileExistsError:
            continue
    raise OSError(f"could not find a free file name for {prefix} in {folder.name}")
