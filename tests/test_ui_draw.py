"""The Draw tab's handlers, called directly (no server)."""
import numpy as np
import pytest
from PIL import Image

from mnist_mlp.corrections import CorrectionStore
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.common import EMPTY_LABEL, NOT_A_DIGIT_LABEL, Access, a, label_value, shown_label
from mnist_mlp.ui.draw import DrawLogic


def sketch_value(image_rgba: Image.Image, as_layer: bool):
    """What the browser's sketchpad sends: an opaque composite, or strokes as a transparent layer."""
    array = np.asarray(image_rgba)
    if as_layer:
        return {"background": None, "layers": [array], "composite": None}
    white = Image.new("RGBA", image_rgba.size, (255, 255, 255, 255))
    return {"background": None, "layers": [array], "composite": np.asarray(Image.alpha_composite(white, image_rgba))}


@pytest.fixture(scope="module")
def logic(predictor, tmp_path_factory):
    return DrawLogic(predictor, CorrectionStore(tmp_path_factory.mktemp("corrections")))


@pytest.mark.parametrize("as_layer", [False, True])
@pytest.mark.parametrize("digit", [2, 6, 9])
def test_sketchpad_values_are_read(logic, digit, as_layer):
    label, bars, seen, looked, note = logic.predict_sketch(sketch_value(draw_digit(digit, transparent=True), as_layer))
    assert max(label, key=label.get) == str(digit)
    assert seen.shape == (280, 280, 3) and seen.max() == 255
    assert looked.shape == (280, 280, 3)
    assert str(digit) in note


@pytest.mark.parametrize("value", [None, {}, {"background": None, "layers": [], "composite": None},
                                   {"composite": np.zeros((800, 800, 4), np.uint8)}])
def test_empty_canvas_says_draw_a_digit(logic, value):
    label, bars, seen, looked, note = logic.predict_sketch(value)
    assert label == EMPTY_LABEL and seen is None and looked is None and "Draw a digit" in note


@pytest.mark.parametrize("value", [42, "not a dict", {"composite": 3}, {"layers": "x"},
                                   {"composite": np.full((5, 5, 4), np.nan)}])
def test_malformed_sketchpad_values_get_a_message_not_a_crash(logic, value):
    label, bars, seen, looked, note = logic.predict_sketch(value)
    assert isinstance(label, str) and seen is None and looked is None and note


def test_the_note_says_sure_not_sure_or_not_a_digit_by_the_top_probability():
    from mnist_mlp.inference import NOT_A_DIGIT_BELOW, UNSURE_BELOW, Prediction
    from mnist_mlp.ui import note_for

    def note(top: float) -> str:
        probs = [(1 - top) / 12] * 10  # the 1 the runner-up, the rest alike
        probs[7], probs[1] = top, (1 - top) / 4
        return note_for(Prediction(7, top, probs, np.zeros((28, 28))))
    below = UNSURE_BELOW - 0.01
    assert note(below).startswith("**Not sure — is it a 7 or a 1?") and f"({below:.0%} vs the rest)" in note(below)
    assert note(UNSURE_BELOW + 0.01) == f"Looks like a **7** ({UNSURE_BELOW + 0.01:.0%} sure)."
    assert note(NOT_A_DIGIT_BELOW - 0.01) == (f"**That doesn't look like a digit to me.** If it is one, maybe a 7 "
                                              f"({NOT_A_DIGIT_BELOW - 0.01:.0%}).")
    assert note(NOT_A_DIGIT_BELOW + 0.01).startswith("**Not sure")
    eight = [0.0] * 10
    eight[8], eight[3] = 0.9, 0.1
    assert note_for(Prediction(8, 0.9, eight, np.zeros((28, 28)))) == "Looks like an **8** (90% sure)."


def test_unsure_predictions_name_the_runner_up(logic, predictor):
    from mnist_mlp.inference import Prediction
    from mnist_mlp.ui import note_for
    probs = [0.0] * 10
    probs[4], probs[9] = 0.5, 0.4
    assert note_for(Prediction(4, 0.5, probs, np.zeros((28, 28)))) .startswith("**Not sure — is it a 4 or a 9?")


def test_a_letter_drawn_on_the_canvas_is_not_read_as_a_digit(logic):
    """An `A` (a visitor testing the demo): the shipped model learnt that drawings which are not
    digits have no likely digit, so the note says so instead of naming a digit it is sure of."""
    from PIL import Image, ImageDraw

    from mnist_mlp.synthetic_handwriting import draw_strokes
    letter = Image.new("RGBA", (560, 560), (0, 0, 0, 0))
    draw_strokes(ImageDraw.Draw(letter), [[(150, 440), (280, 120), (410, 440)], [(200, 320), (360, 320)]], 25,
                 (0, 0, 0, 255))
    label, bars, seen, looked, note = logic.predict_sketch(sketch_value(letter, as_layer=False))
    assert note.startswith("**That doesn't look like a digit to me.**"), note
    assert label == NOT_A_DIGIT_LABEL  # not a big digit above that note
    # The best guess stays in the note and the bars; the API keeps its contract: all ten confidences.
    api = logic.predict_sketch_label(sketch_value(letter, as_layer=False))
    guess = max(api, key=api.get)
    assert sorted(api) == [str(d) for d in range(10)] and f"maybe {a(guess)} {guess} ({api[guess]:.0%})" in note
    assert f"<div class='bar top'><span class='p'>{api[guess]:.0%}</span>" in bars


def test_a_digit_the_model_is_not_sure_of_still_shows_its_best_guess_in_the_label():
    from mnist_mlp.inference import NOT_A_DIGIT_BELOW, UNSURE_BELOW, Prediction
    probs = [0.0] * 10
    probs[4], probs[9] = UNSURE_BELOW - 0.01, 1 - UNSURE_BELOW + 0.01
    unsure = Prediction(4, probs[4], probs, np.zeros((28, 28)))  # "Not sure — is it a 4 or a 9?"
    assert shown_label(unsure) == label_value(unsure) and max(label_value(unsure), key=label_value(unsure).get) == "4"
    flat = [0.1] * 10
    flat[3] = NOT_A_DIGIT_BELOW - 0.01
    assert shown_label(Prediction(3, flat[3], flat, np.zeros((28, 28)))) == NOT_A_DIGIT_LABEL


def test_corrections_go_to_the_server_store_or_only_to_the_session(predictor, tmp_path):
    value = sketch_value(draw_digit(4, transparent=True), as_layer=False)
    server = DrawLogic(predictor, CorrectionStore(tmp_path / "server"))
    note, radio, session = server.correct(value, "4", [])
    assert "saved as a **4**" in note and "1 correction" in note and radio is None and session == []
    assert CorrectionStore(tmp_path / "server").count() == 1
    public = DrawLogic(predictor, CorrectionStore(tmp_path / "public"), Access(allow_training=False))
    note, _, session = public.correct(value, "4", [])
    assert len(session) == 1 and session[0][1] == 4 and "1 correction" in note
    assert not (tmp_path / "public").exists()
    note, _, same = server.correct(None, "4", [])
    assert "Draw a digit first" in note and same == []
