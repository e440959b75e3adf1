"""Why the preprocessing matters: a plain resize of the canvas against the MNIST-style input."""
import numpy as np

from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.common import EMPTY_LABEL, read_drawing
from mnist_mlp.ui.plain import PlainLogic


def value_of(image):
    return {"background": None, "layers": [], "composite": np.asarray(image.convert("RGBA"))}


def test_a_small_digit_in_a_corner_is_lost_by_a_plain_resize(predictor):
    logic = PlainLogic(predictor)
    value = value_of(draw_digit(5, height=220, left=520, top=520, pen=18))
    drawing = read_drawing(value, plain=True)
    ours, ours_note, plain, plain_note = logic.panel(drawing)
    assert "**5**" in ours_note
    assert drawing.plain28[:14, :14].max() == 0 and drawing.plain28[14:, 14:].max() > 0  # the corner only
    label = logic.predict_plain(value)
    assert isinstance(label, dict) and abs(sum(label.values()) - 1) < 1e-4
    assert plain.shape == ours.shape == (280, 280, 3) and "plain resize" in plain_note
    assert logic.predict_plain(None) == EMPTY_LABEL


def test_a_reading_made_before_the_panel_opened_asks_for_a_stroke(predictor):
    drawing = read_drawing(value_of(draw_digit(2)))  # plain=False: the panel was closed
    ours, note, plain, plain_note = PlainLogic(predictor).panel(drawing)
    assert plain is None and "Add a stroke" in plain_note and "**2**" in note
