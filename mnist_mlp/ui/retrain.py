"""The Retrain tab: a training run in a child process (`retrain.TrainingJob`), streamed to every
browser that watches; use / save / revert the result; export and import corrections.
API: `train`, `cancel_training`, `use_trained_model`, `save_trained_model`, `revert_model`,
`export_corrections`, `import_corrections`."""
from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from ..config import OPTIMIZERS, PRESETS, TrainConfig, config_from_preset
from ..corrections import MIN_CORRECTIONS, CorrectionStore
from ..messages import for_visitors
from ..retrain import TrainingJob
from ..weights import read_weights
from .common import PUBLIC_LINK_MESSAGE, Access, captioned, refusal_message, server_side, tile_gallery
from .pictures import confusion_image, enlarge, weight_grid

MAX_TRAIN_WATCHERS = 8  # browsers streaming a run at once; more wait in the queue
FOLLOW_EVERY_S = 1.0  # a training run's progress is sent to each browser at most this often
MAX_CURVE_POINTS = 120  # a long run's loss curve is thinned to this many points for the page
WEIGHT_UNITS_SHOWN = 64  # first-layer units in the "what training produced" grid
EXPORTS_DIR = Path(tempfile.gettempdir()) / "mnist-mlp-exports"
EXPORT_KEEP_S = 600  # Gradio copies a returned file into its own cache at once; ours go after this


def write_export(data: bytes) -> Path:
    """Write an export archive for Gradio to serve, removing earlier exports older than
    EXPORT_KEEP_S so they don't pile up in the temp folder."""
    EXPORTS_DIR.mkdir(exist_ok=True)
    now = time.time()
    for old in EXPORTS_DIR.glob("corrections-*.zip"):
        if now - old.stat().st_mtime > EXPORT_KEEP_S:
            old.unlink(missing_ok=True)
    path = EXPORTS_DIR / f"corrections-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.zip"
    path.write_bytes(data)
    return path


def parse_hidden(text: str) -> tuple[int, ...]:
    parts = [p for p in str(text).replace(",", " ").split() if p]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden layer sizes must be whole numbers like '512, 256', not {text!r}") from None
    if not sizes:
        raise ValueError("give at least one hidden layer size, e.g. '512, 256'")
    return sizes


def config_from_controls(preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment, subset,
                         seed) -> TrainConfig:
    """Controls → a validated TrainConfig; ValueError with a readable message otherwise."""
    def whole(value, name):
        if value is None or float(value) != int(float(value)):
            raise ValueError(f"{name} must be a whole number")
        return int(float(value))

    config = config_from_preset(
        preset or "fast", hidden=parse_hidden(hidden), dropout=float(dropout), epochs=whole(epochs, "epochs"),
        batch_size=whole(batch_size, "batch size"), lr=float(lr), optimizer=optimizer, augment=bool(augment),
        limit_train=whole(subset, "training subset"), seed=whole(seed, "seed"))
    return config.validate()


def progress_html(state) -> str:
    if state.status == "idle":
        return "<p>No training yet.</p>"
    done = ((state.epoch - 1) * max(state.batches, 1) + state.batch) / max(state.epochs * max(state.batches, 1), 1)
    if state.status == "done":
        done = 1.0
    return (f"<progress value='{max(done, 0):.3f}' max='1' style='width:100%;height:1.2em'></progress>"
            f"<p id='train-status'><b>{state.status}</b> — {state.message}</p>")


def curves(state) -> tuple[pd.DataFrame, pd.DataFrame]:
    # float columns even when empty: Gradio types the axes from the dtypes (object → categorical)
    losses = state.losses
    if len(losses) > MAX_CURVE_POINTS:
        losses = [losses[round(i)] for i in np.linspace(0, len(losses) - 1, MAX_CURVE_POINTS)]
    loss = pd.DataFrame(losses, columns=["epoch", "loss"], dtype=float)
    accuracy = pd.DataFrame(state.accuracies, columns=["epoch", "test accuracy"], dtype=float)
    return loss, accuracy


def per_digit_table(confusion: np.ndarray | None) -> pd.DataFrame:
    """Accuracy on MNIST test for each true digit, from the confusion matrix."""
    if confusion is None:
        return pd.DataFrame(columns=["digit", "test images", "right", "accuracy"])
    totals, right = confusion.sum(axis=1), np.diag(confusion)
    return pd.DataFrame({"digit": [str(d) for d in range(10)], "test images": totals, "right": right,
                         "accuracy": [f"{r / max(t, 1):.2%}" for r, t in zip(right, totals)]})


def mistakes_gallery(state) -> list:
    return [(enlarge(image / 255.0, 4), f"{t} → {p}") for image, t, p in state.mistakes]


class RetrainLogic:
    """The tab's handlers: each one the page's buttons and the API call."""

    def __init__(self, job: TrainingJob, store: CorrectionStore, access: Access = Access()):
        self.job, self.store, self.access = job, store, access
        self._start_lock = threading.Lock()
        self._weights_shown: tuple | None = None  # (result path, picture): drawn once per run

    def view(self, state, message=""):
        """A run's state → (progress, loss curve, accuracy curve, log, confusion, mistakes, per-digit
        table, first-layer weights, status): the API's first six outputs and last one as before."""
        loss, accuracy = curves(state)
        return (progress_html(state), loss, accuracy, "\n".join(state.log), confusion_image(state.confusion),
                mistakes_gallery(state), per_digit_table(state.confusion), self.weights_picture(state), message)

    def weights_picture(self, state):
        """The new model's first WEIGHT_UNITS_SHOWN first-layer units as red/blue weight images."""
        if state.result is None:
            return None
        if self._weights_shown is None or self._weights_shown[0] != state.result.path:
            arrays, _ = read_weights(state.result.path)
            units = arrays["layers.0.weight"][:WEIGHT_UNITS_SHOWN].reshape(-1, 28, 28)
            self._weights_shown = (state.result.path, weight_grid(units))
        return self._weights_shown[1]

    def fill_preset(self, name):
        values = config_from_preset(name).as_dict()
        return (", ".join(map(str, values["hidden"])), values["dropout"], values["epochs"],
                values["batch_size"], values["lr"], values["optimizer"], values["augment"])

    @server_side(lambda self, *args: self.view(self.job.snapshot(), PUBLIC_LINK_MESSAGE))
    async def train_stream(self, preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment, subset,
                           seed, fine_tune=False):
        """Start a run (or follow the one already running) and stream its progress.

        Async on purpose: a follower only sleeps between snapshots, so it holds no worker thread
        (45 followers of one run once made a /predict wait 22 s for a free thread)."""
        try:
            config = config_from_controls(preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment,
                                          subset, seed)
        except (ValueError, TypeError) as error:
            yield self.view(self.job.snapshot(), f"**Not started:** {error}")
            return
        corrections = None
        if fine_tune:
            corrections = await asyncio.to_thread(self.store.load)
            if len(corrections[1]) < MIN_CORRECTIONS:
                yield self.view(self.job.snapshot(),
                                f"**Not started:** fine-tuning needs at least {MIN_CORRECTIONS} corrections "
                                f"(there are {len(corrections[1])}): use “Wrong? It's a …” on the Draw tab.")
                return
        with self._start_lock:
            started = self.job.start(config, corrections)
        message = "Training…" if started else "**Training already running** (started elsewhere) — showing its progress."
        shown = None
        while True:
            state = self.job.snapshot()
            if not state.running:
                break
            # Each update is rendered by Gradio on its event loop, once per follower: send one
            # only when something changed, at most every FOLLOW_EVERY_S.
            if (state.epoch, state.batch, len(state.log), state.message) != shown:
                shown = (state.epoch, state.batch, len(state.log), state.message)
                yield self.view(state, message)
            await asyncio.sleep(FOLLOW_EVERY_S)
        final = {"done": f"**Done:** {state.message}. Use it, save it, or train again.",
                 "cancelled": f"**Cancelled** — {state.message}", "failed": f"**Failed:** {state.message}"}
        yield self.view(state, final.get(state.status, state.message))

    @server_side(refusal_message)
    def cancel(self):
        return "Cancelling…" if self.job.cancel() else "Nothing is training."

    @server_side(refusal_message)
    def use(self):
        return self.job.use_result()

    @server_side(refusal_message)
    def save(self, as_default):
        path = self.job.save(bool(as_default))
        return f"Saved to `{path.name}`" + (" as the new default (the old one is backed up)." if as_default else ".")

    @server_side(refusal_message)
    def revert(self):
        return self.job.revert()

    @server_side(lambda self: (None, PUBLIC_LINK_MESSAGE))
    def export_corrections(self):
        if self.store.count() == 0:
            return None, "No corrections yet."
        return str(write_export(self.store.export_zip())), f"Exported {self.store.count()} corrections."

    @server_side(refusal_message)
    def import_corrections(self, path):
        if not path:
            return gr.update()
        try:
            added = self.store.import_zip(Path(path).read_bytes())
        except ValueError as error:
            return f"**Not imported:** {for_visitors(error)}"
        return f"Imported {added} corrections; {self.store.count()} in all."


def retrain_tab(logic: RetrainLogic) -> None:
    allowed = logic.access.allow_training
    fast = config_from_preset("fast").as_dict()
    if not allowed:
        gr.Markdown(f"### Retraining is off\n{PUBLIC_LINK_MESSAGE}")
    gr.Markdown("Train a new network on MNIST with the same engine as `train.py` (in its own process). "
                "The Draw tab keeps answering with the current model until you choose **Use this model**.")
    with gr.Row():
        preset = gr.Dropdown(list(PRESETS), value="fast", label="Preset",
                             info="fast: 98 % in seconds; styles, then deepened from it: one network of the shipped average (long)")
        hidden = gr.Textbox(", ".join(map(str, fast["hidden"])), label="Hidden layer sizes", info="e.g. 512, 256")
        dropout = gr.Number(fast["dropout"], label="Dropout", minimum=0, maximum=0.95, step=0.05)
        epochs = gr.Number(fast["epochs"], label="Epochs", precision=0)
        batch_size = gr.Number(fast["batch_size"], label="Batch size", precision=0)
    with gr.Row():
        lr = gr.Number(fast["lr"], label="Learning rate")
        optimizer = gr.Dropdown(list(OPTIMIZERS), value=fast["optimizer"], label="Optimizer")
        augment = gr.Checkbox(fast["augment"], label="Augment (distort training digits)")
        subset = gr.Number(60000, label="Training images (subset for a quick run)", precision=0)
        seed = gr.Number(0, label="Seed", precision=0)
    fine_tune = gr.Checkbox(False, label="Fine-tune the model in use on your corrections (mixed with MNIST)",
                            info="keeps its architecture; reports MNIST and held-out-correction accuracy before/after")
    with gr.Accordion("Share corrections (export / import)", open=False):
        with gr.Row():
            export = gr.Button("Export corrections (.zip)", interactive=allowed)
            exported = gr.File(label="Corrections archive", interactive=False, height=120)
            imported = gr.File(label="Import corrections (.zip)", file_types=[".zip"], type="filepath",
                               interactive=allowed, height=120)
    controls = [preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment, subset, seed, fine_tune]
    preset.change(logic.fill_preset, preset, [hidden, dropout, epochs, batch_size, lr, optimizer, augment],
                  api_visibility="private")
    with gr.Row():
        start = gr.Button("Start training", variant="primary", interactive=allowed)
        cancel = gr.Button("Cancel", variant="stop", interactive=allowed)
    progress = gr.HTML(progress_html(logic.job.snapshot()), elem_id="train-progress")
    with gr.Row():
        loss_plot = gr.LinePlot(x="epoch", y="loss", title="Training loss", height=250)
        accuracy_plot = gr.LinePlot(x="epoch", y="test accuracy", title="Test accuracy", height=250)
    log = gr.Textbox(label="Log", lines=6, max_lines=12, interactive=False)
    with gr.Row():
        confusion = gr.Image(label="Confusion matrix (MNIST test)", show_label=False, interactive=False,
                             buttons=[])
        per_digit = gr.Dataframe(per_digit_table(None), label="Accuracy per digit (MNIST test)",
                                 interactive=False, elem_id="per-digit")
    with gr.Row():
        weights = captioned(gr.Image, f"What training produced: the first {WEIGHT_UNITS_SHOWN} first-layer units' "
                            "weights (red +, blue −)", interactive=False, buttons=[], elem_id="first-layer")
        mistakes = tile_gallery("Misclassified test digits (true → predicted)", "retrain-mistakes", columns=6,
                                height=300)
    with gr.Row():
        use = gr.Button("Use this model", interactive=allowed)
        make_default = gr.Checkbox(False, label="Save as the default model (keeps a backup)")
        save = gr.Button("Save", interactive=allowed)
        revert = gr.Button("Revert to the default model", interactive=allowed)
    status = gr.Markdown("", elem_id="retrain-status")
    outputs = [progress, loss_plot, accuracy_plot, log, confusion, mistakes, per_digit, weights, status]

    export.click(logic.export_corrections, None, [exported, status], api_name="export_corrections")
    imported.upload(logic.import_corrections, imported, status, api_name="import_corrections")
    # Gradio runs at most 40 events at once (its thread count), async ones included: cap how many
    # of those slots people watching a run can hold, so drawing always finds one.
    start.click(logic.train_stream, controls, outputs, api_name="train", concurrency_limit=MAX_TRAIN_WATCHERS,
                concurrency_id="train", show_progress="hidden")
    cancel.click(logic.cancel, None, status, api_name="cancel_training", concurrency_limit=None)
    use.click(logic.use, None, status, api_name="use_trained_model")
    save.click(logic.save, make_default, status, api_name="save_trained_model")
    revert.click(logic.revert, None, status, api_name="revert_model")
