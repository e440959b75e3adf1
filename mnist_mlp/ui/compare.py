"""The Draw tab's "Compare with another model" panel: the same drawing read by the model in use
and by another one from the app's own folders or the last Retrain run. API: `compare`."""
from __future__ import annotations

import gradio as gr

from ..inference import Prediction, Predictor
from ..shelf import ModelShelf
from ..weights import WeightsError
from .common import Drawing, Panel, lazy_panel, read_drawing

CLOSED_NOTE = "Open this panel to read your drawing with two models side by side."


def describe(name: str, card: dict, prediction: Prediction) -> dict:
    return {"name": name, "test_accuracy": card.get("test_accuracy"), "hidden": card.get("architecture", {}).get("hidden"),
            "label": str(prediction.digit), "confidence": round(prediction.confidence, 4),
            "confidences": {str(d): round(p, 4) for d, p in enumerate(prediction.probabilities)}}


def one_line(reading: dict) -> str:
    accuracy = f", {reading['test_accuracy']:.2%} on MNIST" if reading.get("test_accuracy") else ""
    hidden = "-".join(map(str, reading.get("hidden") or []))
    return (f"**{reading['name']}** ({hidden}{accuracy}): **{reading['label']}** "
            f"({reading['confidence']:.0%})")


class CompareLogic:
    def __init__(self, predictor: Predictor, shelf: ModelShelf):
        self.predictor, self.shelf = predictor, shelf

    def choices(self) -> list[str]:
        return list(self.shelf.listing())

    def default_choice(self) -> str | None:
        """The first listed model that is not the one in use (else the first)."""
        listing = self.shelf.listing()
        in_use = self.predictor.path.resolve() if self.predictor.path else None
        others = [name for name, path in listing.items() if path.resolve() != in_use]
        return (others or list(listing) or [None])[0]

    def refresh(self, current):
        choices = self.choices()
        return gr.update(choices=choices, value=current if current in choices else self.default_choice())

    def compare_json(self, value, name: str | None = None) -> dict:
        """{"first": the model in use, "second": the chosen one} — each {"name", "test_accuracy",
        "hidden", "label", "confidence", "confidences"} — or {"message"}."""
        return self.compare(read_drawing(value), name)

    def compare(self, drawing: Drawing, name: str | None = None) -> dict:
        if drawing.image28 is None:
            return {"message": drawing.message}
        image28 = drawing.image28
        try:
            name = name or self.default_choice()
            if name is None:
                return {"message": "no other model to compare with yet: train one on the Retrain tab"}
            other = self.shelf.predictor(name)
        except (WeightsError, ValueError) as error:
            return {"message": str(error)}
        first_name = self.predictor.path.name if self.predictor.path else "in use"
        return {"first": describe(f"in use: {first_name}", self.predictor.card, self.predictor.predict_mnist(image28[None])[0]),
                "second": describe(name, other.card, other.predict_mnist(image28[None])[0])}

    def panel(self, drawing: Drawing, name, is_open: bool = True):
        """→ one line: both models' readings."""
        if not is_open:
            return gr.skip()
        result = self.compare(drawing, name)
        if "message" in result:
            return f"*{result['message']}*"
        return one_line(result["first"]) + " · " + one_line(result["second"])


def compare_panel(logic: CompareLogic, sketch, drawing) -> Panel:
    with gr.Accordion("Compare with another model", open=False, elem_id="compare") as accordion:
        other = gr.Dropdown(logic.choices(), value=logic.default_choice(), label="Second model (this app's weights and save folders, the last "
                                                   "Retrain run)", elem_id="compare-model")
        result = gr.Markdown(CLOSED_NOTE, elem_id="compare-result")
    panel = lazy_panel(accordion, drawing, logic.panel, [result], extra_inputs=[other])
    other.focus(logic.refresh, other, other, api_visibility="private")
    accordion.expand(logic.refresh, other, other, api_visibility="private")
    other.change(logic.panel, [drawing, *panel.inputs], result, api_visibility="private")
    api_name = gr.Textbox(visible=False)
    api_json = gr.JSON(visible=False)
    gr.Button(visible=False).click(logic.compare_json, [sketch, api_name], api_json, api_name="compare")
    return panel
