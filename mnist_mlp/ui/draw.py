"""The Draw tab: a sketchpad read with every stroke, what the model saw, where it looked, and
"Wrong? It's a …" corrections. API: `predict` (sketch → gr.Label value), `correct`."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from ..corrections import CorrectionStore
from ..inference import Predictor
from ..preprocess import ImageProblem, NothingToRead, to_mnist
from .common import (DIGIT_CANVAS, DIGIT_PEN, EMPTY_LABEL, SELECT_BRUSH_JS, Access, Drawing, a, captioned,
                     clear_canvas_js, explained, on_every_stroke, pen_canvas, read_drawing, read_prediction,
                     sketch_image)

START_NOTE = "Draw a digit on the canvas."


def all_ten_html(probabilities=None) -> str:
    """All ten probabilities as vertical bars (the runner-up matters: "is it a 4 or a 9?")."""
    probabilities = list(probabilities) if probabilities is not None else [0.0] * 10
    top = max(range(10), key=probabilities.__getitem__) if any(probabilities) else -1
    bars = "".join(
        f"<div class='bar{' top' if d == top else ''}'><span class='p'>{p:.0%}</span><div class='track'>"
        f"<div class='fill' style='height:{max(p * 100, 0.5):.1f}%'></div></div><span class='d'>{d}</span></div>"
        for d, p in enumerate(probabilities))
    return f"<div class='all-ten' aria-label='probability of each digit'>{bars}</div>"


def corrections_note(count: int) -> str:
    return f"{count} correction{'s' if count != 1 else ''} so far — the Retrain tab can fine-tune on them."


class DrawLogic:
    def __init__(self, predictor: Predictor, store: CorrectionStore, access: Access = Access()):
        self.predictor, self.store, self.access = predictor, store, access

    def view(self, drawing: Drawing):
        """A reading of the canvas → (label value, all ten as bars, what the model saw, where it
        looked, note). Empty canvas → 'Draw a digit'."""
        if drawing.image28 is None:
            return (EMPTY_LABEL if drawing.blank else drawing.message), all_ten_html(), None, None, drawing.message
        prediction = self.predictor.predict_mnist(drawing.image28[None])[0]
        label, seen, looked, note = explained(self.predictor, prediction)
        return label, all_ten_html(prediction.probabilities), seen, looked, note

    def predict_sketch(self, value):
        return self.view(read_drawing(value))

    def predict_sketch_label(self, value):
        return read_prediction(self.predictor, lambda: sketch_image(value), explain=False)[1]

    def clear(self):
        """The Clear button: the page empties the canvas itself; this resets what is shown beside it."""
        return EMPTY_LABEL, all_ten_html(), None, None, START_NOTE, None

    def corrections_count(self, session: list) -> int:
        return self.store.count() if self.access.allow_training else len(session)

    def correct(self, value, digit, session):
        """Store the drawing with the right label: in the server's dataset, or (public link without
        a login) only in this browser session. → (note, radio reset, session)."""
        if digit is None or str(digit) not in "0123456789" or len(str(digit)) != 1:
            return gr.update(), gr.update(), session
        try:
            image = sketch_image(value)
            image28 = to_mnist(image)
        except (NothingToRead, ImageProblem):
            return "Draw a digit first, then correct it.", None, session
        if self.access.allow_training:
            original = Image.fromarray(np.asarray(image)) if isinstance(image, np.ndarray) else image
            self.store.add(image28, int(digit), original if original.mode in ("L", "RGB", "RGBA") else None)
        else:
            session = session + [(image28, int(digit))]
        count = self.corrections_count(session)
        return f"Thanks — saved as {a(digit)} **{digit}**. " + corrections_note(count), None, session


def draw_tab(logic: DrawLogic, examples, session_corrections: gr.State, panels) -> None:
    """The tab's layout and events; `panels(sketch, drawing)` adds the panels under the canvas,
    read with every stroke in the same event as the prediction."""
    with gr.Row():
        with gr.Column(scale=3):
            sketch = pen_canvas("Draw one digit (0–9)", DIGIT_CANVAS, pen=DIGIT_PEN, height=560, elem_id="sketch")
            clear = gr.Button("Clear", variant="secondary")
        with gr.Column(scale=2):
            label = gr.Label(value=EMPTY_LABEL, num_top_classes=3, label="Prediction", elem_id="label")
            bars = gr.HTML(all_ten_html(), elem_id="all-ten")
            note = gr.Markdown(START_NOTE, elem_classes="note", elem_id="note")
            with gr.Row():
                seen = captioned(gr.Image, "What the model sees (28×28)", interactive=False, elem_id="seen",
                                 height=240, width=240, buttons=[])
                looked = captioned(gr.Image, "Where it looked", interactive=False, elem_id="looked",
                                   height=240, width=240, buttons=[])
            fix = gr.Radio([str(d) for d in range(10)], label="Wrong? It's a …", elem_id="fix")
            fix_note = gr.Markdown(corrections_note(logic.corrections_count([])), elem_id="fix-note")
    shown = gr.Examples(examples=[str(p) for p in examples], inputs=sketch, label="Example drawings")
    drawing = gr.State(Drawing())  # the last reading of the canvas, for panels opened later
    on_every_stroke(sketch, drawing, logic.view, [label, bars, seen, looked, note], panels(sketch, drawing), shown)
    clear.click(logic.clear, None, [label, bars, seen, looked, note, fix], js=clear_canvas_js("#sketch"),
                api_visibility="private")
    sketch.clear(None, None, None, js=SELECT_BRUSH_JS)  # the canvas's own trash button drops the tool
    fix.select(logic.correct, [sketch, fix, session_corrections], [fix_note, fix, session_corrections],
               api_name="correct_from_radio", api_visibility="private")
    gr.Button(visible=False).click(logic.correct, [sketch, fix, session_corrections],
                                   [fix_note, fix, session_corrections], api_name="correct")
    # The stable API: the sketch → just the gr.Label value.
    api_label = gr.Label(visible=False)
    gr.Button(visible=False).click(logic.predict_sketch_label, sketch, api_label, api_name="predict")
