"""The Draw tab's "Inside the network" panel: each hidden layer's activations, the first-layer units
that fired most (their incoming weights: what each looks for), and the evidence for the answer and
the runner-up. API: `inside` (sketch → JSON). Computed only while the panel is open."""
from __future__ import annotations

import gradio as gr
import numpy as np

from ..inference import READ_SHIFTED_BELOW, Predictor, read_at_nine_positions, softmax
from .common import Drawing, Panel, lazy_panel, read_drawing, tile_gallery
from .pictures import activation_grid, signed_image

TOP_UNITS = 8  # first-layer units shown with their weight images
EVIDENCE_UNITS = 6  # last-layer units listed for the answer and the runner-up
CLOSED_NOTE = "Open this panel to see the network's hidden units for your drawing."


class InsideLogic:
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def inside_json(self, value) -> dict:
        """The API: {"layers": [{"size", "active", "top": [{"unit", "activation"}]}], "logits", "digit"}
        or {"message"} for an empty or unreadable drawing. The centred reading's: where the network is
        unsure, `predict` averages it with eight shifted ones (inference.READ_SHIFTED_BELOW)."""
        drawing = read_drawing(value)
        if drawing.image28 is None:
            return {"message": drawing.message}
        return self.predictor.network.inside(drawing.image28).as_json(TOP_UNITS)

    def panel(self, drawing: Drawing, is_open: bool = True):
        """→ (summary, layer grids, top first-layer units, evidence); nothing is computed while the
        panel is closed (the outputs stay as they are)."""
        if not is_open:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if drawing.image28 is None:
            return f"*{drawing.message}*", [], [], ""
        inside = self.predictor.network.inside(drawing.image28)
        layers = [(activation_grid(h), f"hidden layer {i + 1}: {(h > 0).sum()} of {h.size} active")
                  for i, h in enumerate(inside.hidden)]
        summary = " · ".join(f"layer {i + 1}: **{(h > 0).sum():,}** of {h.size:,} units active"
                             for i, h in enumerate(inside.hidden))
        weights = self.predictor.network.first_layer_weights()
        units = [(signed_image(weights[u], cell=4), f"unit {u}: {a:.1f}") for u, a in inside.top_units(0, TOP_UNITS)]
        return summary, layers, units, self.evidence_markdown(inside)

    def evidence_markdown(self, inside) -> str:
        probabilities = softmax(inside.logits[None])[0]
        first, second = np.argsort(inside.logits)[::-1][:2]
        rows = ["| | the answer: **" + str(first) + f"** ({probabilities[first]:.0%}) | the runner-up: **{second}** "
                f"({probabilities[second]:.0%}) |", "|---|---|---|"]
        towards = [inside.evidence_for(int(d), EVIDENCE_UNITS) for d in (first, second)]
        for rank in range(EVIDENCE_UNITS):
            cells = [f"unit {units[rank][0]} +{units[rank][1]:.2f}" if rank < len(units) else "" for units in towards]
            rows.append(f"| {rank + 1} | {cells[0]} | {cells[1]} |")
        last = len(inside.hidden)
        shifts = ("" if not read_at_nine_positions(inside.logits[None])[0] else
                  f"\n\nUnder {READ_SHIFTED_BELOW:.0%} sure, so the prediction shown averages this reading "
                  "with eight more of the image moved one pixel each way; the units here are this reading's.")
        return (f"**The evidence**: the units of hidden layer {last} that pushed most towards each digit "
                "(activation × weight to its score)\n\n" + "\n".join(rows) + shifts)


def inside_panel(logic: InsideLogic, sketch, drawing) -> Panel:
    """The accordion under the Draw tab's canvas, fed by the same sketch."""
    with gr.Accordion("Inside the network", open=False, elem_id="inside") as accordion:
        summary = gr.Markdown(CLOSED_NOTE, elem_id="inside-summary")
        layers = tile_gallery("Each hidden layer's activations (one cell a unit; brighter = stronger)",
                              "inside-layers", columns=3, height="auto", object_fit="contain")
        units = tile_gallery(f"The {TOP_UNITS} first-layer units that fired most: what each looks for (its weights "
                             "on the 28×28 input, red +, blue −) and its activation",
                             "inside-units", columns=8, height="auto", allow_preview=False)
        evidence = gr.Markdown("", elem_id="inside-evidence")
    panel = lazy_panel(accordion, drawing, logic.panel, [summary, layers, units, evidence])
    api_json = gr.JSON(visible=False)
    gr.Button(visible=False).click(logic.inside_json, sketch, api_json, api_name="inside")
    return panel
