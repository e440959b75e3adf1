"""The Number tab: several digits side by side. API: `predict_number` (sketch → JSON)."""
from __future__ import annotations

import gradio as gr

from ..inference import Predictor
from ..numbers import read_number
from ..preprocess import Blank, ImageProblem, NothingToRead
from .common import NUMBER_CANVAS, NUMBER_PEN, pen_canvas, select_brush_js, sketch_image, tile_gallery
from .pictures import enlarge


class NumberLogic:
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

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

    def read_number_json(self, value) -> dict:
        """The API's answer: {"number", "digits": [{"digit", "confidence"}], "message"}."""
        return self.read_number(value)[0]


def number_tab(logic: NumberLogic, tab: gr.Tab) -> None:
    gr.Markdown("Write a whole number, digits side by side (e.g. 2026).")
    with gr.Row():
        with gr.Column(scale=3):
            sketch = pen_canvas("Draw a number", NUMBER_CANVAS, pen=NUMBER_PEN, height=360, elem_id="number-sketch")
        with gr.Column(scale=2):
            text = gr.Markdown("**Draw a number**", elem_id="number")
            crops = tile_gallery("Each digit as the model saw it", "number-crops", columns=6, height="auto",
                                 object_fit="contain")  # "auto": a fixed height cut the digits off
    as_json = gr.JSON(visible=False)
    sketch.change(logic.read_number, sketch, [as_json, text, crops], trigger_mode="always_last",
                  show_progress="hidden", api_visibility="private")
    gr.Button(visible=False).click(logic.read_number_json, sketch, as_json, api_name="predict_number")
    tab.select(None, None, None, js=select_brush_js("#number-sketch"))
    sketch.clear(None, None, None, js=select_brush_js("#number-sketch"))
