"""The Challenge tab: the app asks for each digit in turn ("draw a 7"), checks the model's reading,
keeps a streak and a per-digit score for this visitor, and at the end of a round says how well the
model reads *your* handwriting, with the misread drawings. A checked drawing can be kept as a
correction (same rules as the Draw tab's)."""
from __future__ import annotations

import random

import gradio as gr
import pandas as pd

from ..corrections import CorrectionStore
from ..inference import Predictor
from ..preprocess import ImageProblem, NothingToRead
from .common import (DIGIT_CANVAS, DIGIT_PEN, Access, a, clear_canvas_js, pen_canvas, select_brush_js,
                     sketch_image, tile_gallery)
from .pictures import enlarge

SELECT_BRUSH = select_brush_js("#challenge-sketch")
CLEAR_CANVAS = clear_canvas_js("#challenge-sketch")  # after each check


def new_state(seed: int | None = None) -> dict:
    order = list(range(10))
    random.Random(seed).shuffle(order)
    return {"order": order, "index": 0, "streak": 0, "best": 0, "scores": {}, "misread": [], "last": None}


def prompt(state: dict) -> str:
    if state["index"] >= len(state["order"]):
        return "### Round over — start a new one"
    digit = state["order"][state["index"]]
    return f"### Draw {a(digit)} **{digit}** ({state['index'] + 1} of {len(state['order'])})"


def score_table(state: dict) -> pd.DataFrame:
    rows = [{"digit": str(d), "tries": tries, "read right": right}
            for d, (right, tries) in sorted(state["scores"].items(), key=lambda item: int(item[0]))]
    return pd.DataFrame(rows, columns=["digit", "tries", "read right"])


def misread_gallery(state: dict) -> list:
    return [(enlarge(image28, 4), f"you drew {asked}, it read {read}") for image28, asked, read in state["misread"]]


class ChallengeLogic:
    def __init__(self, predictor: Predictor, store: CorrectionStore, access: Access = Access()):
        self.predictor, self.store, self.access = predictor, store, access

    def new_round(self, state=None, seed: int | None = None):
        """→ (state, prompt, result note, score table, misread gallery, canvas)."""
        fresh = new_state(seed)
        if state:  # the streak and the scores are this visitor's, across rounds
            fresh.update(streak=state["streak"], best=state["best"], scores=state["scores"])
        return fresh, prompt(fresh), "", score_table(fresh), [], None

    def check(self, value, state):
        """Read the drawing as the answer to the current prompt → the same six outputs (the page
        clears the canvas itself and ignores the last)."""
        state = dict(state or new_state())
        if state["index"] >= len(state["order"]):
            return state, prompt(state), "The round is over: start a new one.", score_table(state), \
                misread_gallery(state), gr.skip()
        asked = state["order"][state["index"]]
        try:
            prediction = self.predictor.predict(sketch_image(value))
        except (NothingToRead, ImageProblem) as error:
            return state, prompt(state), f"*{error}*", score_table(state), misread_gallery(state), gr.skip()
        right = prediction.digit == asked
        scores = dict(state["scores"])
        hits, tries = scores.get(str(asked), (0, 0))
        scores[str(asked)] = (hits + right, tries + 1)
        state.update(scores=scores, index=state["index"] + 1, last=(prediction.image, asked),
                     streak=state["streak"] + 1 if right else 0)
        state["best"] = max(state["best"], state["streak"])
        if not right:
            state["misread"] = state["misread"] + [(prediction.image, asked, prediction.digit)]
        note = (f"✓ Read as **{prediction.digit}** ({prediction.confidence:.0%}). Streak: **{state['streak']}** "
                f"(best {state['best']})" if right else
                f"✗ The model read {a(prediction.digit)} **{prediction.digit}** ({prediction.confidence:.0%}), not {a(asked)} {asked}. "
                "Streak back to 0 — keep the drawing as a correction to teach it.")
        if state["index"] >= len(state["order"]):
            wrong = len(state["misread"])
            total = len(state["order"])
            note += (f"\n\n## The model's accuracy on *your* handwriting: {total - wrong}/{total}"
                     + ("" if not wrong else " — the misread ones are below."))
        return state, prompt(state), note, score_table(state), misread_gallery(state), None

    def keep(self, state, session: list):
        """Keep the last checked drawing, labelled with the digit that was asked for. → (note, session)."""
        last = (state or {}).get("last")
        if last is None:
            return "Check a drawing first.", session
        image28, digit = last
        if self.access.allow_training:
            self.store.add(image28, int(digit))
            count = self.store.count()
        else:  # public link without a login: only in this browser session
            session = session + [(image28, int(digit))]
            count = len(session)
        state["last"] = None  # once
        return f"Kept as {a(digit)} **{digit}** — {count} correction{'s' if count != 1 else ''} so far.", session


def challenge_tab(logic: ChallengeLogic, tab: gr.Tab, session_corrections: gr.State) -> None:
    state = gr.State(None)
    with gr.Row():
        with gr.Column(scale=3):
            ask = gr.Markdown("### Press *New round* to start", elem_id="challenge-prompt")
            sketch = pen_canvas("Your digit", DIGIT_CANVAS, pen=DIGIT_PEN, height=460, elem_id="challenge-sketch")
            with gr.Row():
                check = gr.Button("Check", variant="primary", elem_id="challenge-check")
                new = gr.Button("New round", elem_id="challenge-new")
        with gr.Column(scale=2):
            result = gr.Markdown("", elem_id="challenge-result")
            keep = gr.Button("Keep this drawing as a correction", size="sm", elem_id="challenge-keep")
            kept = gr.Markdown("", elem_id="challenge-kept")
            table = gr.Dataframe(score_table(new_state()), label="Your score per digit", interactive=False,
                                 elem_id="challenge-scores")
            # fit_columns=False: one misread digit stays a fifth of the width (fitted, it was a 460-px tile
            # cut off by the 180-px frame)
            misread = tile_gallery("Misread this round", "challenge-misread", columns=5, height=180,
                                   allow_preview=False, fit_columns=False)
    outputs = [state, ask, result, table, misread, sketch]
    new.click(logic.new_round, state, outputs, api_visibility="private").then(None, None, None, js=SELECT_BRUSH)
    check.click(logic.check, [sketch, state], outputs[:-1], api_visibility="private").then(
        None, None, None, js=CLEAR_CANVAS)
    keep.click(logic.keep, [state, session_corrections], [kept, session_corrections], api_visibility="private")
    # "Kept as a 0" belongs to the drawing before: left up, it read as the fate of the next one
    gr.on([check.click, new.click], lambda: "", None, kept, api_visibility="private", show_progress="hidden")
    tab.select(None, None, None, js=SELECT_BRUSH)
    sketch.clear(None, None, None, js=SELECT_BRUSH)
