"""The Draw tab's "Why the preprocessing matters" panel: what a plain resize of the whole canvas to
28×28 would show the network, and its answer, beside our MNIST-style input. API: `predict_plain`."""
from __future__ import annotations

import gradio as gr

from ..inference import Predictor
from .common import EMPTY_LABEL, Drawing, Panel, captioned, label_value, lazy_panel, read_drawing
from .pictures import enlarge

# The shipped model on benchmarks/handwriting_check.py's 2,000 MNIST test digits re-drawn as canvases,
# read through our preprocessing and through a plain resize of the canvas. tests/test_preprocess.py
# measures both again, so new weights or preprocessing with stale figures fail the suite.
REDRAWN_ACCURACY, PLAIN_RESIZE_ACCURACY = 0.9855, 0.4405
MEASURED_GAP = (f"{100 * REDRAWN_ACCURACY:.2f} % with our preprocessing against {100 * PLAIN_RESIZE_ACCURACY:.2f} % "
                "with a plain resize")


class PlainLogic:
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def predict_plain(self, value):
        """The API: the gr.Label value of what the model answers for a plain resize of the canvas
        (the same "nothing to read" rules as every other endpoint)."""
        drawing = read_drawing(value, plain=True)
        if drawing.plain28 is None:
            return EMPTY_LABEL if drawing.blank else drawing.message
        return label_value(self.predictor.predict_mnist(drawing.plain28[None])[0])

    def panel(self, drawing: Drawing, is_open: bool = True):
        """→ (our input, our answer, the plain resize, its answer)."""
        if not is_open:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if drawing.image28 is None:
            return None, f"*{drawing.message}*", None, ""
        ours = self.predictor.predict_mnist(drawing.image28[None])[0]
        answer = f"Our MNIST-style input → **{ours.digit}** ({ours.confidence:.0%})"
        if drawing.plain28 is None:  # read before the panel was opened: the next stroke brings it
            return enlarge(ours.image), answer, None, "*Add a stroke (or redraw) to see the plain resize.*"
        plain = self.predictor.predict_mnist(drawing.plain28[None])[0]
        return (enlarge(ours.image), answer, enlarge(plain.image),
                f"A plain resize → **{plain.digit}** ({plain.confidence:.0%})")


def plain_panel(logic: PlainLogic, sketch, drawing) -> Panel:
    with gr.Accordion("Why the preprocessing matters", open=False, elem_id="plain") as accordion:
        gr.Markdown("The network was trained on MNIST, where every digit was cropped, fitted into 20 px and "
                    f"centred by mass. For the shipped model, on 2,000 MNIST test digits re-drawn as canvases, "
                    f"that is the difference between {MEASURED_GAP}.")
        with gr.Row():
            with gr.Column(min_width=160):
                ours = captioned(gr.Image, "MNIST-style (what the app uses)", interactive=False, height=200,
                                 width=200, buttons=[], elem_classes="pixelated", elem_id="plain-mnist")
                ours_note = gr.Markdown(elem_id="plain-ours")
            with gr.Column(min_width=160):
                plain = captioned(gr.Image, "The whole canvas resized to 28×28", interactive=False, height=200,
                                  width=200, buttons=[], elem_id="plain-seen")
                plain_note = gr.Markdown(elem_id="plain-answer")
    outputs = [ours, ours_note, plain, plain_note]
    panel = lazy_panel(accordion, drawing, logic.panel, outputs, wants_plain=True)
    api_label = gr.Label(visible=False)
    gr.Button(visible=False).click(logic.predict_plain, sketch, api_label, api_name="predict_plain")
    return panel
