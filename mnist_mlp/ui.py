"""The Gradio app: Draw, Upload, Retrain and About tabs. `app.py` only parses flags and launches.

Stable API (see README): `predict` takes a sketchpad value, `predict_image` one image file; both
return the gr.Label value. Training endpoints: `train` (start + stream), `cancel_training`, …
"""
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
from PIL import Image, ImageDraw

from .corrections import MIN_CORRECTIONS, CorrectionStore
from .guard import GuardedSketchpad
from .inference import Prediction, Predictor
from .messages import for_visitors
from .numbers import read_number
from .preprocess import Blank, ImageProblem, NothingToRead, open_image, to_mnist
from .retrain import TrainingJob
from .strokes import draw_digit
from .training import OPTIMIZERS, PRESETS, TrainConfig, config_from_preset

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EMPTY_LABEL = "Draw a digit"

def select_brush_js(container: str) -> str:
    """JS that makes sure the Brush of the sketchpad inside `container` is selected.

    It watches for 10 s (a reset canvas drops the tool a moment after the new value arrives, later
    on a busy server: a 3-s watch once missed it in CI) and clicks the button whenever it is not
    highlighted, at most 5 times."""
    return """
() => {
  let ticks = 0, clicks = 0;
  const timer = setInterval(() => {
    const brush = [...document.querySelectorAll('%s button')].find(b =>
      /brush/i.test((b.getAttribute('aria-label') || '') + ' ' + (b.title || '')));
    if (brush && !brush.classList.contains('highlight') && clicks < 5) { brush.click(); clicks++; }
    if (++ticks > 100) clearInterval(timer);
  }, 100);
}
""" % container


# Gradio 6's sketchpad opens with no tool selected and ignores the first strokes until the
# Brush button is clicked: click it for the visitor as soon as it exists.
SELECT_BRUSH_JS = select_brush_js("#sketch")


CSS = """
#seen img { image-rendering: pixelated; }
#sketch button[aria-label="Color"], #number-sketch button[aria-label="Color"] { display: none; }
.note { font-size: 1.1em; }
"""


# ---------------------------------------------------------------- turning inputs into images

def sketch_image(value):
    """A gr.Sketchpad value (dict of background/layers/composite) → the image to read.

    The browser sends an opaque composite (black strokes on white); API callers may send only
    layers (strokes on transparency) or a bare image. Anything else is a clear error.
    """
    if value is None:
        raise Blank()
    if isinstance(value, (np.ndarray, Image.Image)):
        return value
    if not isinstance(value, dict):
        raise ImageProblem(f"expected a sketchpad value (a dict with 'composite'), got {type(value).__name__}")
    composite = value.get("composite")
    if composite is not None:
        return _as_image(composite)
    layers = [_as_array(layer) for layer in (value.get("layers") or []) if layer is not None]
    layers = [layer for layer in layers if layer.ndim == 3 and layer.shape[2] == 4]
    if layers and len({layer.shape for layer in layers}) == 1:
        return np.maximum.reduce(layers)  # strokes of all layers, on transparency
    if value.get("background") is not None:
        return _as_image(value["background"])
    raise Blank()


def _as_array(value) -> np.ndarray:
    return np.asarray(_as_image(value))


def _as_image(value):
    # Only pixels: a string here would be a path from the browser, which must never reach the disk.
    if isinstance(value, (np.ndarray, Image.Image)):
        return value
    raise ImageProblem(f"unexpected sketchpad content of type {type(value).__name__}")


# ---------------------------------------------------------------- presenting a prediction

def label_value(prediction: Prediction) -> dict[str, float]:
    return {str(d): float(p) for d, p in enumerate(prediction.probabilities)}


def note_for(prediction: Prediction) -> str:
    (first, p1), (second, _) = prediction.top(2)
    if prediction.unsure:
        return f"**Not sure — is it a {first} or a {second}?** ({p1:.0%} vs the rest)"
    return f"Looks like a **{first}** ({p1:.0%} sure)."


def enlarge(image28: np.ndarray, cell: int = 10) -> np.ndarray:
    """28×28 floats (grey, or RGB [28, 28, 3]) → a big RGB picture with visible pixels and a faint grid."""
    pixels = (np.clip(image28, 0, 1) * 255).astype(np.uint8)
    rgb = pixels if pixels.ndim == 3 else np.stack([pixels] * 3, axis=-1)
    rgb = rgb.repeat(cell, axis=0).repeat(cell, axis=1)
    rgb[::cell, :, :] = np.maximum(rgb[::cell, :, :], 40)
    rgb[:, ::cell, :] = np.maximum(rgb[:, ::cell, :], 40)
    return rgb


def looked_overlay(image28: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The input in grey with the pixels that pushed towards the prediction in red-to-yellow."""
    base = 0.45 * np.clip(image28, 0, 1)
    rgb = np.stack([np.maximum(base, heat), base + heat * (heat > 0.5) * 0.8, base * (1 - heat)], axis=-1)
    return enlarge(np.clip(rgb, 0, 1))


class DemoLogic:
    """The functions behind the UI and the API, separate from layout so tests can call them."""

    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def _read(self, get_image, explain: bool = True):
        """→ (label value, what the model saw, where it looked, note); `explain=False` (the API's
        label-only endpoints) skips the pictures."""
        try:
            prediction = self.predictor.predict(get_image())
        except NothingToRead as error:
            return (EMPTY_LABEL if isinstance(error, Blank) else str(error)), None, None, str(error)
        except ImageProblem as error:
            error = for_visitors(error)  # an upload's message would name Gradio's cache folder
            return f"Can't read that image: {error}", None, None, f"**Can't read that image:** {error}"
        if not explain:
            return label_value(prediction), None, None, note_for(prediction)
        heat = self.predictor.where_it_looked(prediction.image, prediction.digit)
        return (label_value(prediction), enlarge(prediction.image), looked_overlay(prediction.image, heat),
                note_for(prediction))

    def predict_sketch(self, value, explain: bool = True):
        """Empty canvas → 'Draw a digit'."""
        return self._read(lambda: sketch_image(value), explain)

    def predict_file(self, path, explain: bool = True):
        if not path:
            return "Upload a photo of one digit", None, None, "Upload, paste or take a photo of one handwritten digit."
        return self._read(lambda: open_image(path), explain)

    def predict_sketch_label(self, value):
        return self.predict_sketch(value, explain=False)[0]

    def predict_file_label(self, path):
        return self.predict_file(path, explain=False)[0]

    def read_number_json(self, value) -> dict:
        """The API's answer: {"number", "digits": [{"digit", "confidence"}], "message"}."""
        return self.read_number(value)[0]

    def read_number(self, value) -> tuple[dict, str, list]:
        """Sketchpad with several digits → (JSON for the API, Markdown, gallery of 28×28 crops)."""
        try:
            reading = read_number(self.predictor, sketch_image(value))
        except (NothingToRead, ImageProblem) as error:
            message = "Draw a number" if isinstance(error, Blank) else str(error)
            return {"number": None, "digits": [], "message": message}, f"**{message}**", []
        digits = [{"digit": p.digit, "confidence": round(p.confidence, 4)} for p in reading.digits]
        per_digit = "  ".join(f"**{p.digit}** {p.confidence:.0%}" for p in reading.digits)
        markdown = f"# {reading.text}\n{per_digit}"
        gallery = [(enlarge(p.image, 4), f"{p.digit} ({p.confidence:.0%})") for p in reading.digits]
        return {"number": reading.text, "digits": digits, "message": ""}, markdown, gallery


# ---------------------------------------------------------------- About tab

def pipeline_figure(image) -> Image.Image:
    """The preprocessing stages of one drawing, side by side, each shown at the same height."""
    stages: dict = {}
    final = to_mnist(image, stages)
    canvas = np.asarray(image.convert("L")) if isinstance(image, Image.Image) else image
    panels = [("your drawing", canvas / 255.0, True), ("ink, cropped", stages["crop"], False),
              ("strokes normalised", stages["strokes"], False), ("longer side to 20 px", stages["box"], False),
              ("centred by mass in 28x28", final, False)]
    size, gap, caption = 180, 14, 22
    figure = Image.new("RGB", (len(panels) * (size + gap) + gap, size + caption + gap), "white")
    draw = ImageDraw.Draw(figure)
    for i, (title, array, is_canvas) in enumerate(panels):
        pixels = (np.clip(array, 0, 1) * 255).astype(np.uint8)
        panel = Image.fromarray(pixels)
        h, w = pixels.shape
        scale = size / max(h, w)
        resample = Image.NEAREST if max(h, w) <= 40 else Image.BILINEAR
        panel = panel.resize((max(1, round(w * scale)), max(1, round(h * scale))), resample)
        box = Image.new("RGB", (size, size), (235, 235, 235) if is_canvas else (0, 0, 0))
        box.paste(panel, ((size - panel.width) // 2, (size - panel.height) // 2))
        x = gap + i * (size + gap)
        figure.paste(box, (x, gap))
        draw.text((x, gap + size + 4), title, fill=(30, 30, 30))
    return figure


def about_markdown(card: dict) -> str:
    arch = card.get("architecture", {})
    layers = " → ".join(["784", *map(str, arch.get("hidden", [])), "10"])
    accuracy = card.get("test_accuracy")
    lines = [
        "## The model",
        f"A multilayer perceptron, **{layers}** ({arch.get('activation', 'relu')}, dropout "
        f"{arch.get('dropout', 0)}), **{card.get('parameters', 0):,} parameters**. No convolutions: "
        "every pixel is one input.",
        "",
        f"- MNIST test accuracy: **{accuracy:.2%}** on the 10,000 test images" if accuracy else "- MNIST test accuracy: not recorded",
        f"- Trained {card.get('epochs', '?')} epochs on {card.get('train_samples', '?')} images"
        f"{' distorted on the fly (rotation, scale, slant, elastic, stroke width)' if card.get('config', {}).get('augment') else ''}"
        f" in {card.get('seconds', '?')} s, seed {card.get('seed', '?')}, on {card.get('date', '?')}"
        f" with torch {card.get('torch_version', '?')}",
        f"- Command: `{card.get('command', '?')}`",
        "",
        "## What happens to your drawing",
        "The network only ever saw MNIST digits, so your drawing is made into what MNIST would have "
        "made of it: the ink is found (dark on light, light on dark, or the alpha of a transparent "
        "layer), specks are dropped, the stroke width is brought to MNIST's ~2–3 px, the digit is "
        "scaled so its longer side is 20 px (anti-aliased, keeping its shape), and it is placed in a "
        "28×28 field with its centre of mass at the centre. The **What the model sees** image on the "
        "Draw tab is exactly the network's input.",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- the app

def build_demo(predictor: Predictor, *, allow_training: bool = True, data_dir: str | None = None,
               training_threads: int | None = None, save_dir: str | None = None,
               corrections_dir: str = "corrections") -> gr.Blocks:
    """The whole UI. `allow_training=False` (public link without auth) refuses training and saving
    on the server, not only in the page."""
    logic = DemoLogic(predictor)
    job = TrainingJob(predictor, data_dir=data_dir, threads=training_threads, save_dir=save_dir)
    store = CorrectionStore(corrections_dir)
    examples = ensure_examples()

    # Uploaded files and exports are deleted after an hour (checked every 10 minutes).
    with gr.Blocks(title="Draw a digit — MNIST MLP", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# Draw a digit\nA small PyTorch multilayer perceptron reads your handwriting.")
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                with gr.Row():
                    with gr.Column(scale=3):
                        sketch = pen_canvas("Draw one digit (0–9)", (800, 800), pen=36, height=560,
                                            elem_id="sketch")
                        clear = gr.Button("Clear", variant="secondary")
                    with gr.Column(scale=2):
                        label = gr.Label(value=EMPTY_LABEL, num_top_classes=3, label="Prediction", elem_id="label")
                        note = gr.Markdown("Draw a digit on the canvas.", elem_classes="note", elem_id="note")
                        with gr.Row():
                            seen = gr.Image(label="What the model sees (28×28)", interactive=False, elem_id="seen",
                                            height=240, width=240, buttons=[])
                            looked = gr.Image(label="Where it looked", interactive=False, elem_id="looked",
                                              height=240, width=240, buttons=[])
                        fix = gr.Radio([str(d) for d in range(10)], label="Wrong? It's a …", elem_id="fix")
                        fix_note = gr.Markdown(corrections_note(store.count() if allow_training else 0),
                                               elem_id="fix-note")
                gr.Examples(examples=[str(p) for p in examples], inputs=sketch, label="Example drawings")
                sketch.change(logic.predict_sketch, sketch, [label, seen, looked, note], trigger_mode="always_last",
                              show_progress="hidden", api_visibility="private")
                clear.click(lambda: (None, EMPTY_LABEL, None, None, "Draw a digit on the canvas.", None), None,
                            [sketch, label, seen, looked, note, fix], api_visibility="private"
                            ).then(None, None, None, js=SELECT_BRUSH_JS)  # a reset canvas drops the tool
                sketch.clear(None, None, None, js=SELECT_BRUSH_JS)  # so does the canvas's own trash button
                session_corrections = gr.State([])

                def correct(value, digit, session):
                    """Store the drawing with the right label: in the server's dataset, or (public link
                    without auth) only in this browser session."""
                    if digit is None or str(digit) not in "0123456789" or len(str(digit)) != 1:
                        return gr.update(), gr.update(), session
                    try:
                        image = sketch_image(value)
                        image28 = to_mnist(image)
                    except (NothingToRead, ImageProblem):
                        return "Draw a digit first, then correct it.", None, session
                    if allow_training:
                        original = Image.fromarray(np.asarray(image)) if isinstance(image, np.ndarray) else image
                        store.add(image28, int(digit), original if original.mode in ("L", "RGB", "RGBA") else None)
                        count = store.count()
                    else:
                        session = session + [(image28, int(digit))]
                        count = len(session)
                    return f"Thanks — saved as a **{digit}**. " + corrections_note(count), None, session

                fix.select(correct, [sketch, fix, session_corrections], [fix_note, fix, session_corrections],
                           api_name="correct_from_radio", api_visibility="private")
                gr.Button(visible=False).click(correct, [sketch, fix, session_corrections],
                                               [fix_note, fix, session_corrections], api_name="correct")

            with gr.Tab("Upload", id="upload"):
                with gr.Row():
                    upload = gr.Image(label="A photo or scan of one handwritten digit", type="filepath",
                                      image_mode=None,  # Gradio then reads only the header; we decode
                                      sources=["upload", "webcam", "clipboard"], elem_id="upload")
                    with gr.Column():
                        upload_label = gr.Label(num_top_classes=3, label="Prediction")
                        upload_note = gr.Markdown("Upload, paste or take a photo of one digit.")
                        with gr.Row():
                            upload_seen = gr.Image(label="What the model sees (28×28)", interactive=False,
                                                   height=240, width=240, buttons=[])
                            upload_looked = gr.Image(label="Where it looked", interactive=False,
                                                     height=240, width=240, buttons=[])
                upload.change(logic.predict_file, upload, [upload_label, upload_seen, upload_looked, upload_note],
                              show_progress="hidden", api_visibility="private")

            with gr.Tab("Number", id="number") as number_tab:
                gr.Markdown("Write a whole number, digits side by side (e.g. 2026).")
                with gr.Row():
                    with gr.Column(scale=3):
                        number_sketch = pen_canvas("Draw a number", (1500, 500), pen=30, height=360,
                                                   elem_id="number-sketch")
                    with gr.Column(scale=2):
                        number_text = gr.Markdown("**Draw a number**", elem_id="number")
                        number_crops = gr.Gallery(label="Each digit as the model saw it", columns=6, height=200)
                number_json = gr.JSON(visible=False)
                number_sketch.change(logic.read_number, number_sketch, [number_json, number_text, number_crops],
                                     trigger_mode="always_last", show_progress="hidden", api_visibility="private")
                gr.Button(visible=False).click(logic.read_number_json, number_sketch, number_json,
                                               api_name="predict_number")
                number_tab.select(None, None, None, js=select_brush_js("#number-sketch"))
                number_sketch.clear(None, None, None, js=select_brush_js("#number-sketch"))

            with gr.Tab("Retrain", id="retrain"):
                retrain_tab(job, allow_training, store)

            with gr.Tab("About", id="about") as about_tab:
                about = gr.Markdown(about_markdown(predictor.card))
                gr.Image(pipeline_figure(Image.open(examples[0])), label="The pipeline on an example",
                         interactive=False, buttons=[])
                # The card of the model in use, read again whenever the tab is opened: after *Use
                # this model* or *Revert* (in any browser) it shows the new one without a reload.
                about_tab.select(lambda: about_markdown(predictor.card), None, about, api_visibility="private")

        # The stable API: two endpoints that return just the gr.Label value.
        api_sketch_label = gr.Label(visible=False)
        gr.Button(visible=False).click(logic.predict_sketch_label, sketch, api_sketch_label, api_name="predict")
        # A plain file (not gr.Image) so the bytes reach our own safe decoder undecoded.
        api_image = gr.File(type="filepath", visible=False)
        gr.Button(visible=False).click(logic.predict_file_label, api_image, api_sketch_label,
                                       api_name="predict_image")
        demo.load(None, None, None, js=SELECT_BRUSH_JS)
    return demo


def pen_canvas(label: str, size: tuple[int, int], pen: int, height: int, elem_id: str) -> gr.Sketchpad:
    """A sketchpad for fingers and mice: one black pen, no colour picker, lossless PNG values, its
    inputs bounded (guard.GuardedSketchpad)."""
    return GuardedSketchpad(label=label, type="numpy", image_mode="RGBA", format="png", canvas_size=size,
                        brush=gr.Brush(default_size=pen, colors=["#000000"], color_mode="fixed"),
                        layers=False, transforms=(), height=height, elem_id=elem_id)


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


def corrections_note(count: int) -> str:
    return f"{count} correction{'s' if count != 1 else ''} so far — the Retrain tab can fine-tune on them."


def ensure_examples() -> list[Path]:
    """Example drawings for gr.Examples, drawn once with the same strokes the tests use."""
    EXAMPLES_DIR.mkdir(exist_ok=True)
    paths = []
    for digit, style in ((3, dict(pen=28, slant=0.15)), (7, dict(pen=36, height=420, left=220)),
                         (5, dict(pen=22, height=380, left=300, top=260))):
        path = EXAMPLES_DIR / f"drawn-{digit}.png"
        if not path.exists():
            draw_digit(digit, **style).save(path)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- Retrain tab

PUBLIC_LINK_MESSAGE = ("Training is disabled on this public link: anyone with the link could use the "
                       "server's CPU and replace its model. Run the app with `--auth user:password` or "
                       "`--allow-public-training` to enable it.")


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
    return (f"<progress value='{done:.3f}' max='1' style='width:100%;height:1.2em'></progress>"
            f"<p id='train-status'><b>{state.status}</b> — {state.message}</p>")


MAX_TRAIN_WATCHERS = 8  # browsers streaming a run at once; more wait in the queue
FOLLOW_EVERY_S = 1.0  # a training run's progress is sent to each browser at most this often
MAX_CURVE_POINTS = 120  # a long run's loss curve is thinned to this many points for the page


def curves(state) -> tuple[pd.DataFrame, pd.DataFrame]:
    # float columns even when empty: Gradio types the axes from the dtypes (object → categorical)
    losses = state.losses
    if len(losses) > MAX_CURVE_POINTS:
        losses = [losses[round(i)] for i in np.linspace(0, len(losses) - 1, MAX_CURVE_POINTS)]
    loss = pd.DataFrame(losses, columns=["epoch", "loss"], dtype=float)
    accuracy = pd.DataFrame(state.accuracies, columns=["epoch", "test accuracy"], dtype=float)
    return loss, accuracy


def confusion_image(confusion: np.ndarray | None) -> Image.Image | None:
    if confusion is None:
        return None
    cell, margin = 44, 40
    size = margin + 10 * cell
    image = Image.new("RGB", (size, size + 24), "white")
    draw = ImageDraw.Draw(image)
    rows = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    for t in range(10):
        draw.text((12, margin + t * cell + cell // 2 - 6), str(t), fill="black")
        draw.text((margin + t * cell + cell // 2 - 3, 12), str(t), fill="black")
        for p in range(10):
            share = rows[t, p]
            shade = int(255 - 200 * (share if t == p else min(1.0, share * 20)))
            colour = (shade, shade, 255) if t == p else (255, shade, shade)
            x, y = margin + p * cell, margin + t * cell
            draw.rectangle((x, y, x + cell - 2, y + cell - 2), fill=colour)
            draw.text((x + 6, y + cell // 2 - 6), str(int(confusion[t, p])), fill="black")
    draw.text((margin, size + 6), "Confusion matrix on MNIST test. Rows: true digit, columns: predicted",
              fill=(90, 90, 90))
    return image


def mistakes_gallery(state) -> list:
    return [(enlarge(image / 255.0, 4), f"{t} → {p}") for image, t, p in state.mistakes]


def retrain_tab(job: TrainingJob, allow_training: bool, store: CorrectionStore) -> None:
    fast = config_from_preset("fast").as_dict()
    if not allow_training:
        gr.Markdown(f"### Retraining is off\n{PUBLIC_LINK_MESSAGE}")
    gr.Markdown("Train a new network on MNIST with the same engine as `train.py`. The Draw tab keeps "
                "answering with the current model until you choose **Use this model**.")
    with gr.Row():
        preset = gr.Dropdown(list(PRESETS), value="fast", label="Preset",
                             info="fast: 98 % in seconds; best: the shipped recipe (long)")
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
            export = gr.Button("Export corrections (.zip)", interactive=allow_training)
            exported = gr.File(label="Corrections archive", interactive=False, height=120)
            imported = gr.File(label="Import corrections (.zip)", file_types=[".zip"], type="filepath",
                               interactive=allow_training, height=120)
    controls = [preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment, subset, seed, fine_tune]

    def fill_preset(name):
        values = config_from_preset(name).as_dict()
        return (", ".join(map(str, values["hidden"])), values["dropout"], values["epochs"],
                values["batch_size"], values["lr"], values["optimizer"], values["augment"])

    preset.change(fill_preset, preset, [hidden, dropout, epochs, batch_size, lr, optimizer, augment],
                  api_visibility="private")
    with gr.Row():
        start = gr.Button("Start training", variant="primary", interactive=allow_training)
        cancel = gr.Button("Cancel", variant="stop", interactive=allow_training)
    progress = gr.HTML(progress_html(job.snapshot()), elem_id="train-progress")
    with gr.Row():
        loss_plot = gr.LinePlot(x="epoch", y="loss", title="Training loss", height=250)
        accuracy_plot = gr.LinePlot(x="epoch", y="test accuracy", title="Test accuracy", height=250)
    log = gr.Textbox(label="Log", lines=6, max_lines=12, interactive=False)
    with gr.Row():
        confusion = gr.Image(label="Confusion matrix (MNIST test)", show_label=False, interactive=False,
                             buttons=[])
        mistakes = gr.Gallery(label="Misclassified test digits (true → predicted)", columns=6, height=300)
    with gr.Row():
        use = gr.Button("Use this model", interactive=allow_training)
        make_default = gr.Checkbox(False, label="Save as the default model (keeps a backup)")
        save = gr.Button("Save", interactive=allow_training)
        revert = gr.Button("Revert to the default model", interactive=allow_training)
    status = gr.Markdown("", elem_id="retrain-status")
    outputs = [progress, loss_plot, accuracy_plot, log, confusion, mistakes, status]
    started_lock = threading.Lock()

    def view(state, message=""):
        loss, accuracy = curves(state)
        return (progress_html(state), loss, accuracy, "\n".join(state.log), confusion_image(state.confusion),
                mistakes_gallery(state), message)

    async def train_stream(preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment, subset, seed,
                           fine_tune=False):
        """Start a run (or follow the one already running) and stream its progress.

        Async on purpose: a follower only sleeps between snapshots, so it holds no worker thread
        (45 followers of one run once made a /predict wait 22 s for a free thread)."""
        if not allow_training:
            yield view(job.snapshot(), PUBLIC_LINK_MESSAGE)
            return
        try:
            config = config_from_controls(preset, hidden, dropout, epochs, batch_size, lr, optimizer, augment,
                                          subset, seed)
        except (ValueError, TypeError) as error:
            yield view(job.snapshot(), f"**Not started:** {error}")
            return
        corrections = None
        if fine_tune:
            corrections = await asyncio.to_thread(store.load)
            if len(corrections[1]) < MIN_CORRECTIONS:
                yield view(job.snapshot(), f"**Not started:** fine-tuning needs at least {MIN_CORRECTIONS} corrections "
                                           f"(there are {len(corrections[1])}): use “Wrong? It's a …” on the Draw tab.")
                return
        with started_lock:
            started = job.start(config, corrections)
        message = "Training…" if started else "**Training already running** (started elsewhere) — showing its progress."
        shown = None
        while True:
            state = job.snapshot()
            if not state.running:
                break
            # Each update is rendered by Gradio on its event loop, once per follower: send one
            # only when something changed, at most every FOLLOW_EVERY_S.
            if (state.epoch, state.batch, len(state.log)) != shown:
                shown = (state.epoch, state.batch, len(state.log))
                yield view(state, message)
            await asyncio.sleep(FOLLOW_EVERY_S)
        final = {"done": f"**Done:** {state.message}. Use it, save it, or train again.",
                 "cancelled": f"**Cancelled** — {state.message}", "failed": f"**Failed:** {state.message}"}
        yield view(state, final.get(state.status, state.message))

    def cancel_training():
        if not allow_training:
            return PUBLIC_LINK_MESSAGE
        return "Cancelling…" if job.cancel() else "Nothing is training."

    def guarded(action):
        def run(*args):
            if not allow_training:
                return PUBLIC_LINK_MESSAGE
            try:
                return action(*args)
            except (ValueError, OSError) as error:
                return f"**{for_visitors(error)}**"
        return run

    def save_model(as_default):
        path = job.save(bool(as_default))
        return f"Saved to `{path.name}`" + (" as the new default (the old one is backed up)." if as_default else ".")

    def export_corrections():
        if not allow_training:
            return None, PUBLIC_LINK_MESSAGE
        if store.count() == 0:
            return None, "No corrections yet."
        return str(write_export(store.export_zip())), f"Exported {store.count()} corrections."

    def import_corrections(path):
        if not allow_training:
            return PUBLIC_LINK_MESSAGE
        if not path:
            return gr.update()
        try:
            added = store.import_zip(Path(path).read_bytes())
        except ValueError as error:
            return f"**Not imported:** {for_visitors(error)}"
        return f"Imported {added} corrections; {store.count()} in all."

    export.click(export_corrections, None, [exported, status], api_name="export_corrections")
    imported.upload(import_corrections, imported, status, api_name="import_corrections")
    # Gradio runs at most 40 events at once (its thread count), async ones included: cap how many
    # of those slots people watching a run can hold, so drawing always finds one.
    start.click(train_stream, controls, outputs, api_name="train", concurrency_limit=MAX_TRAIN_WATCHERS,
                concurrency_id="train", show_progress="hidden")
    cancel.click(cancel_training, None, status, api_name="cancel_training", concurrency_limit=None)
    use.click(guarded(job.use_result), None, status, api_name="use_trained_model")
    save.click(guarded(save_model), make_default, status, api_name="save_trained_model")
    revert.click(guarded(job.revert), None, status, api_name="revert_model")
