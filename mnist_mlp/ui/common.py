"""Pieces every tab shares: the canvas, its CSS/JS, reading a sketchpad value, presenting a
prediction, and the one rule for what a visitor may do on this server."""
from __future__ import annotations

import functools
import inspect
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradio as gr
import numpy as np
from PIL import Image

from ..guard import GuardedSketchpad
from ..inference import Prediction, Predictor
from ..messages import for_visitors
from ..preprocess import EMPTY_MESSAGE, Blank, ImageProblem, NothingToRead, plain_resize, to_mnist
from ..synthetic_handwriting import PHOTO_STYLES, draw_digit, photo_of_digit
from .pictures import enlarge, looked_overlay

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "examples"
EMPTY_LABEL = "Draw a digit"
# A canvas has about as many pixels as it is shown with (the Draw tab's is ~500 px wide on a desktop):
# after each stroke Gradio's sketchpad reads its layers back as PNGs several times and the server
# decodes three of them, so every pixel costs the visitor time. Pen up → answer in headless chromium
# without a GPU here, p50 of 9 digits, the two apps alternated drawing by drawing (/tmp script beside
# benchmarks/bench_browser.py): 800 px 2.12 s, 560 px 1.48 s; 400 px 1.09 s in a run of its own, but
# its strokes look blocky on a phone's screen.
DIGIT_CANVAS = (560, 560)
DIGIT_PEN = 25  # px: 4.5 % of the side, as 36 px was on the 800-px canvas
NUMBER_CANVAS, NUMBER_PEN = (1050, 350), 21  # the same scale (was 1500 × 500, 30 px)


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


def clear_canvas_js(container: str) -> str:
    """JS that empties the sketchpad inside `container` with its own "Clear canvas" button and then
    selects the Brush again. (Emptying it by returning an empty value from a server event left the
    strokes on screen, or wiped a drawing made while the reset was still on its way.)"""
    return """
() => {
  document.querySelector('%s button[aria-label="Clear canvas"]')?.click();
  (%s)();
}
""" % (container, select_brush_js(container).strip())


# Gradio 6's sketchpad opens with no tool selected and ignores the first strokes until the
# Brush button is clicked: click it for the visitor as soon as it exists.
SELECT_BRUSH_JS = select_brush_js("#sketch")

CSS = """
#seen img, #plain-seen img, .pixelated img { image-rendering: pixelated; }
#sketch button[aria-label="Color"], #number-sketch button[aria-label="Color"],
#challenge-sketch button[aria-label="Color"] { display: none; }
.note { font-size: 1.1em; }
.all-ten { display: flex; align-items: stretch; gap: 4px; height: 150px; padding: 4px 0; }
.all-ten .bar { flex: 1; display: flex; flex-direction: column; align-items: center; min-width: 0; }
.all-ten .track { flex: 1; width: 100%; display: flex; align-items: flex-end; background: rgba(127,127,127,.08);
                  border-radius: 3px; }
.all-ten .fill { width: 100%; background: #94a3b8; border-radius: 3px 3px 0 0; }
.all-ten .top .fill { background: #f97316; }
.all-ten .p { font-size: 0.75em; white-space: nowrap; }
.all-ten .d { font-weight: bold; font-size: 1.1em; }
.tiles .grid-wrap .grid-container { grid-template-columns: repeat(var(--grid-cols), minmax(0, 1fr));
                                    grid-template-rows: none; grid-auto-rows: auto; }
.tiles .grid-wrap .thumbnail-item { height: auto; }
.tiles .grid-wrap.fixed-height { min-height: 0; }
.caption-above p { margin: 0; font-size: 0.9em; }
@media (max-width: 640px) {
  #inside-units .grid-wrap .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)); }
}
"""


def captioned(component, caption: str, **options):
    """`component(**options)` (an image or a gallery) under its caption, its own label hidden:
    Gradio's label floats over the top of the picture (12 px of a gallery's first row on a desktop,
    two or three lines on a phone; a row of the Retrain tab's weight images)."""
    with gr.Column(min_width=0):
        gr.Markdown(caption, elem_classes="caption-above")
        return component(label=caption, show_label=False, **options)


def tile_gallery(caption: str, elem_id: str, **options) -> gr.Gallery:
    """A captioned gallery of small tiles (`options` go to gr.Gallery). Gradio's columns never
    shrink below 100 px, so in a narrow frame the last ones were cut off (on a phone, 6 of the 8
    units): the `.tiles` rules in CSS let them shrink, square, in a frame no taller than they need
    (Gradio's is at least 320 px). No buttons by default: the download button sat on the last tile
    of the first row."""
    return captioned(gr.Gallery, caption, elem_id=elem_id, elem_classes="tiles", **{"buttons": [], **options})


def pen_canvas(label: str, size: tuple[int, int], pen: int, height: int, elem_id: str) -> gr.Sketchpad:
    """A sketchpad for fingers and mice: one black pen, no colour picker, lossless PNG values, its
    inputs bounded (guard.GuardedSketchpad)."""
    return GuardedSketchpad(label=label, type="numpy", image_mode="RGBA", format="png", canvas_size=size,
                            brush=gr.Brush(default_size=pen, colors=["#000000"], color_mode="fixed"),
                            layers=False, transforms=(), height=height, elem_id=elem_id)


def example(name: str, make: Callable[[], Image.Image]) -> Path:
    """EXAMPLES_DIR / name, made by `make()` the first time it is asked for (the files are shipped)."""
    EXAMPLES_DIR.mkdir(exist_ok=True)
    path = EXAMPLES_DIR / name
    if not path.exists():
        make().save(path, quality=85)  # (quality: JPEG's; PNG ignores it)
    return path


def ensure_examples() -> list[Path]:
    """Example drawings for the Draw tab, as big as its canvas (a bigger one would enlarge the canvas)."""
    return [example(f"drawn-{digit}.png", lambda: draw_digit(digit, canvas=DIGIT_CANVAS[0], **style))
            for digit, style in ((3, dict(pen=20, left=175, top=105, height=350, slant=0.15)),
                                 (7, dict(pen=25, left=154, top=105, height=294)),
                                 (5, dict(pen=15, left=210, top=182, height=266)))]


def ensure_photo_examples() -> list[Path]:
    """Example photos for the Upload tab: what a visitor's phone makes of a digit on paper."""
    return [example(f"photo-{digit}-{style}.jpg",
                    lambda: photo_of_digit(digit, seed=seed, **PHOTO_STYLES[style]))
            for digit, style, seed in ((7, "ballpoint-on-ruled-paper", 0), (2, "chalk-on-a-board", 0), (4, "pencil", 1))]


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
    layers = [np.asarray(_as_image(layer)) for layer in (value.get("layers") or []) if layer is not None]
    layers = [layer for layer in layers if layer.ndim == 3 and layer.shape[2] == 4]
    if layers and len({layer.shape for layer in layers}) == 1:
        return np.maximum.reduce(layers)  # strokes of all layers, on transparency
    if value.get("background") is not None:
        return _as_image(value["background"])
    raise Blank()


def _as_image(value):
    # Only pixels: a string here would be a path from the browser, which must never reach the disk.
    if isinstance(value, (np.ndarray, Image.Image)):
        return value
    raise ImageProblem(f"unexpected sketchpad content of type {type(value).__name__}")


@dataclass
class Drawing:
    """One reading of the Draw tab's canvas, kept (small) in the session for its panels: they
    never read the sketch again (each event that does makes the browser upload it again)."""
    image28: np.ndarray | None = None  # the MNIST-style input
    plain28: np.ndarray | None = None  # the whole canvas resized, when asked for
    message: str = EMPTY_MESSAGE  # why there is nothing to read (at first: nothing drawn yet)
    blank: bool = True


def read_drawing(value, plain: bool = False) -> Drawing:
    try:
        image = sketch_image(value)
        image28 = to_mnist(image)
        return Drawing(image28, plain_resize(image) if plain else None, "", False)
    except NothingToRead as error:
        return Drawing(message=str(error), blank=isinstance(error, Blank))
    except ImageProblem as error:
        return Drawing(message=f"Can't read that drawing: {for_visitors(error)}", blank=False)


# ---------------------------------------------------------------- presenting a prediction

def label_value(prediction: Prediction) -> dict[str, float]:
    """The API's gr.Label value: all ten confidences (its headline the top digit), whatever they are."""
    return {str(d): float(p) for d, p in enumerate(prediction.probabilities)}


# What the visible label shows, in place of a big digit, for a drawing that doesn't look like one:
# a visitor's `A` read "8" in large type above the note that said it was no digit (the Draw tab's bars
# and the note still show the best guess; the API keeps all ten confidences).
NOT_A_DIGIT_LABEL = "Not a digit?"


def shown_label(prediction: Prediction) -> dict[str, float] | str:
    """The visible gr.Label's value: the ten confidences, or NOT_A_DIGIT_LABEL when the drawing
    doesn't look like a digit (top probability under NOT_A_DIGIT_BELOW)."""
    return NOT_A_DIGIT_LABEL if prediction.not_a_digit else label_value(prediction)


def a(digit) -> str:
    """The article a digit takes when read out: "an 8", "a 7"."""
    return "an" if str(digit) == "8" else "a"


def note_for(prediction: Prediction) -> str:
    (first, p1), (second, _) = prediction.top(2)
    if prediction.not_a_digit:
        return f"**That doesn't look like a digit to me.** If it is one, maybe {a(first)} {first} ({p1:.0%})."
    if prediction.unsure:
        return f"**Not sure — is it {a(first)} {first} or {a(second)} {second}?** ({p1:.0%} vs the rest)"
    return f"Looks like {a(first)} **{first}** ({p1:.0%} sure)."


def explained(predictor: Predictor, prediction: Prediction):
    """→ (the visible label's value, what the model saw, where it looked, note) for one prediction."""
    heat = predictor.where_it_looked(prediction.image, prediction.digit)
    return (shown_label(prediction), enlarge(prediction.image), looked_overlay(prediction.image, heat),
            note_for(prediction))


def read_prediction(predictor: Predictor, get_image, explain: bool = True):
    """→ (prediction or None, label value, what the model saw, where it looked, note).
    `explain=False` (the API's label-only endpoints) skips the pictures."""
    try:
        prediction = predictor.predict(get_image())
    except NothingToRead as error:
        return None, (EMPTY_LABEL if isinstance(error, Blank) else str(error)), None, None, str(error)
    except ImageProblem as error:
        error = for_visitors(error)  # an upload's message would name Gradio's cache folder
        return None, f"Can't read that image: {error}", None, None, f"**Can't read that image:** {error}"
    if not explain:
        return prediction, label_value(prediction), None, None, note_for(prediction)
    return (prediction, *explained(predictor, prediction))


@dataclass
class Panel:
    """A panel under the canvas: `handler(drawing, *inputs)` → its outputs, a tuple (or one value
    for one output; gr.skip()s while closed). `wants_plain`: it needs the plain resize too."""
    handler: Callable
    inputs: list  # extra inputs, the panel's open state last
    outputs: list
    wants_plain: bool = False


def lazy_panel(accordion: gr.Accordion, drawing: gr.State, handler, outputs: list, extra_inputs: list = (),
               wants_plain: bool = False) -> Panel:
    """A panel computed only while open: when the accordion opens (from the last reading of the
    canvas), and (through `on_every_stroke`) after each stroke."""
    is_open = gr.State(False)
    accordion.expand(lambda: True, None, is_open, api_visibility="private").then(
        handler, [drawing, *extra_inputs], outputs, api_visibility="private")
    accordion.collapse(lambda: False, None, is_open, api_visibility="private")
    return Panel(handler, [*extra_inputs, is_open], outputs, wants_plain)


def on_every_stroke(sketch, drawing: gr.State, handler, outputs: list, panels: list[Panel],
                    examples: gr.Examples | None = None) -> None:
    """One event per stroke: the canvas is read once (`read_drawing`), the tab's `handler(drawing)`
    and every open panel answer from that reading, which is kept in `drawing` for panels opened
    later. (Several events on one change raced for the drawing Gradio hands to the first.) The same
    reading follows a click on one of the `examples`: loading one into the sketchpad fires no change."""
    ends = list(itertools.accumulate(len(panel.inputs) for panel in panels))  # each panel's inputs end here

    def read_all(value, *states):
        plain_open = any(panel.wants_plain and states[end - 1] for panel, end in zip(panels, ends))
        reading = read_drawing(value, plain=plain_open)
        results = [reading, *handler(reading)]
        for panel, start, end in zip(panels, [0, *ends], ends):
            result = panel.handler(reading, *states[start:end])
            results += list(result) if isinstance(result, tuple) else [result]
        return results
    inputs = [sketch, *[i for p in panels for i in p.inputs]]
    every_output = [drawing, *outputs, *[o for p in panels for o in p.outputs]]
    sketch.change(read_all, inputs, every_output, trigger_mode="always_last", show_progress="hidden",
                  api_visibility="private")
    if examples is not None:
        examples.load_input_event.then(read_all, inputs, every_output, show_progress="hidden", api_visibility="private")


# ---------------------------------------------------------------- what a visitor may do

PUBLIC_LINK_MESSAGE = ("Training is disabled on this public link: anyone with the link could use the "
                       "server's CPU and replace its model. Run the app with `--auth user:password` or "
                       "`--allow-public-training` to enable it.")


@dataclass(frozen=True)
class Access:
    """The one rule: on a public link without a login, nobody may train, save, switch models,
    import or export corrections on the server (the page's buttons are off, and so is the API)."""
    allow_training: bool = True


def server_side(refused):
    """Decorator for a logic object's method that changes the server (train, save, switch, import):
    it runs only when `self.access.allow_training`; otherwise `refused(self, *args)` answers.
    ValueError / OSError from the action become a visitor-safe message."""
    def wrap(method):
        if inspect.isasyncgenfunction(method):
            @functools.wraps(method)
            async def stream(self, *args):
                if not self.access.allow_training:
                    yield refused(self, *args)
                    return
                async for update in method(self, *args):
                    yield update
            return stream

        @functools.wraps(method)
        def run(self, *args):
            if not self.access.allow_training:
                return refused(self, *args)
            try:
                return method(self, *args)
            except (ValueError, OSError) as error:
                return f"**{for_visitors(error)}**"
        return run
    return wrap


def refusal_message(_self, *_args) -> str:
    return PUBLIC_LINK_MESSAGE
