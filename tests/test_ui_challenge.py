"""The Challenge tab: a round of ten prompts, a streak, scores per digit, the misread ones, and
keeping a drawing as a correction under the corrections' rules."""
import numpy as np

from mnist_mlp.corrections import CorrectionStore
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.challenge import ChallengeLogic
from mnist_mlp.ui.common import Access, a


def value_of(digit):
    return {"background": None, "layers": [], "composite": np.asarray(draw_digit(digit).convert("RGBA"))}


def test_a_round_scores_your_handwriting(predictor, tmp_path):
    logic = ChallengeLogic(predictor, CorrectionStore(tmp_path))
    state, ask, *_ = logic.new_round(seed=3)
    assert sorted(state["order"]) == list(range(10)) and f"Draw {a(state['order'][0])} **{state['order'][0]}**" in ask
    for i, asked in enumerate(state["order"]):
        drawn = 1 if i == 4 else asked  # one wrong answer: a 1 where something else was asked
        if asked == 1 and i == 4:
            drawn = 7
        state, ask, note, table, misread, canvas = logic.check(value_of(drawn), state)
        assert canvas is None  # a clean canvas for the next prompt
        if i == 4:
            assert "✗" in note and state["streak"] == 0
    assert "accuracy on *your* handwriting: 9/10" in note
    assert len(misread) == 1 and f"you drew {state['order'][4]}" in misread[0][1]
    assert table["tries"].sum() == 10 and table["read right"].sum() == 9
    assert state["best"] >= 4 and "Round over" in ask
    # a new round keeps the visitor's scores and streak
    again, *_ = logic.new_round(state, seed=4)
    assert again["scores"] == state["scores"] and again["index"] == 0 and again["misread"] == []


def test_an_empty_canvas_is_not_an_answer(predictor, tmp_path):
    logic = ChallengeLogic(predictor, CorrectionStore(tmp_path))
    state, *_ = logic.new_round(seed=0)
    after, _, note, *_ = logic.check(None, state)
    assert after["index"] == 0 and "Draw" in note


def test_keeping_a_drawing_follows_the_corrections_rules(predictor, tmp_path):
    for allowed, folder in ((True, tmp_path / "server"), (False, tmp_path / "public")):
        logic = ChallengeLogic(predictor, CorrectionStore(folder), Access(allowed))
        state, *_ = logic.new_round(seed=1)
        asked = state["order"][0]
        state, *_ = logic.check(value_of(asked), state)
        note, session = logic.keep(state, [])
        assert f"Kept as {a(asked)} **{asked}**" in note
        if allowed:
            assert CorrectionStore(folder).count() == 1 and session == []
        else:
            assert not folder.exists() and session[0][1] == asked
        assert logic.keep(state, session)[0] == "Check a drawing first."  # once per drawing


def test_an_8_is_read_out_as_an_8():
    """The article follows the digit: "Draw an **8**", "Draw a **3**" (the notes use the same `a`)."""
    from mnist_mlp.ui.challenge import prompt
    assert [a(d) for d in range(10)] == ["a"] * 8 + ["an", "a"]
    assert prompt({"order": [8, 3], "index": 0}).startswith("### Draw an **8** (1 of 2)")
    assert prompt({"order": [8, 3], "index": 1}).startswith("### Draw a **3** (2 of 2)")
