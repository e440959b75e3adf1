"""The Draw tab: a sketchpad read with every stroke, what the model saw, where it looked, and
"Wrong? It's a …" corrections. API: `predict` (sketch → gr.Label value), `correct`."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from ..corrections import CorrectionStore
from ..inference import Predictor
from ..preprocess import ImageProblem, NothingToRead, to_mnist
from .common import EMPTY_LABEL, SELECT_BRUSH_JS, Access, pen_canvas, read_prediction, sketch_image

START_NOTE = "Draw a digit on the canvas."


def corrections_note(count: int) -> str:
    return f"{count} correction{'s' if count != 1 else ''} so far — the Retrain tab can fine-tune on them."


class DrawLogic:
    def __init__(self, predictor: Predictor, store: CorrectionStore, access: Access = Access()):
        self.predictor, self.store, self.access = predictor, store, access

    def predict_sketch(self, value, explain: bool = True):
        """→ (label value, what the model saw, where it looked, note). Empty canvas → 'Draw a digit'."""
        return read_prediction(self.predictor, lambda: sketch_image(value), explain)[1:]

    def predict_sketch_label(self, value):
        return self.predict_sketch(value, explain=False)[0]

    def clear(self):
        return None, EMPTY_LABEL, None, None, START_NOTE, None

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
        return f"Thanks — saved as a **{digit}**. " + corrections_note(count), None, session


def draw_tab(logic: DrawLogic, examples) -> gr.Sketchpad:
    """The tab's layout and events; returns the sketchpad (other panels read it too)."""
    with gr.Row():
        with gr.Column(scale=3):
            sketch = pen_canvas("Draw one digit (0–9)", (800, 800), pen=36, height=560, elem_id="sketch")
            clear = gr.Button("Clear", variant="secondary")
        with gr.Column(scale=2):
            label = gr.Label(value=EMPTY_LABEL, num_top_classes=3, label="Prediction", elem_id="label")
            note = gr.Markdown(START_NOTE, elem_classes="note", elem_id="note")
            with gr.Row():
                seen = gr.Image(label="What the model sees (28×28)", interactive=False, elem_id="seen",
                                height=240, width=240, buttons=[])
                looked = gr.Image(label="Where it looked", interactive=False, elem_id="looked",
                                  height=240, width=240, buttons=[])
            fix = gr.Radio([str(d) for d in range(10)], label="Wrong? It's a …", elem_id="fix")
            fix_note = gr.Markdown(corrections_note(logic.corrections_count([])), elem_id="fix-note")
    gr.Examples(examples=[str(p) for p in examples], inputs=sketch, label="Example drawings")
    sketch.change(logic.predict_sketch, sketch, [label, seen, looked, note], trigger_mode="always_last",
                  show_progress="hidden", api_visibility="private")
    clear.click(logic.clear, None, [sketch, label, seen, looked, note, fix], api_visibility="private"
                ).then(None, None, None, js=SELECT_BRUSH_JS)  # a reset canvas drops the tool
    sketch.clear(None, None, None, js=SELECT_BRUSH_JS)  # so does the canvas's own trash button
    session_corrections = gr.State([])
    fix.select(logic.correct, [sketch, fix, session_corrections], [fix_note, fix, session_corrections],
               api_name="correct_from_radio", api_visibility="private")
    gr.Button(visible=False).click(logic.correct, [sketch, fix, session_corrections],
                                   [fix_note, fix, session_corrections], api_name="correct")
    # The stable API: the sketch → just the gr.Label value.
    api_label = gr.Label(visible=False)
    gr.Button(visible=False).click(logic.predict_sketch_label, sketch, api_label, api_name="predict")
    return sketch
