"""Inside the network: the hidden units, what the first layer looks for, the evidence — checked
against the network's own arithmetic."""
import gradio as gr
import numpy as np

from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.common import Drawing, read_drawing
from mnist_mlp.ui.inside import TOP_UNITS, InsideLogic


def value_of(image):
    return {"background": None, "layers": [], "composite": np.asarray(image.convert("RGBA"))}


def test_inside_json_describes_each_layer_and_agrees_with_the_prediction(predictor):
    logic = InsideLogic(predictor)
    for digit in (2, 7):
        value = value_of(draw_digit(digit))
        inside = logic.inside_json(value)
        assert inside["digit"] == digit == predictor.predict(draw_digit(digit)).digit
        assert [layer["size"] for layer in inside["layers"]] == predictor.card["architecture"]["hidden"]
        hidden = predictor.network.inside(read_drawing(value).image28).hidden
        for layer, values in zip(inside["layers"], hidden):
            assert layer["active"] == int((values > 0).sum()) and 0 < layer["active"] < layer["size"]
            activations = [unit["activation"] for unit in layer["top"]]
            assert len(activations) == TOP_UNITS and activations == sorted(activations, reverse=True)
            assert activations[0] == round(float(values.max()), 5)
        assert int(np.argmax(inside["logits"])) == digit
    assert "message" in logic.inside_json(None)


def test_the_evidence_adds_up_to_the_logit(predictor):
    """Every last-layer unit's activation × weight, plus the bias, is the digit's score."""
    image28 = read_drawing(value_of(draw_digit(4))).image28
    inside = predictor.network.inside(image28)
    weight_t, bias = predictor.network.layers[-1]
    for digit in range(10):
        push = predictor.network.evidence(inside.hidden[-1], digit)
        assert np.isclose(push.sum() + bias[digit], inside.logits[digit], atol=1e-3)
    best = inside.evidence_for(4, 3)
    assert best[0][1] >= best[1][1] >= best[2][1] > 0


def test_the_panel_computes_nothing_while_closed_and_pictures_when_open(predictor):
    logic = InsideLogic(predictor)
    drawing = read_drawing(value_of(draw_digit(3)))
    assert logic.panel(drawing, False) == (gr.skip(),) * 4  # closed: the outputs stay as they are
    summary, layers, units, evidence = logic.panel(drawing, True)
    assert "units active" in summary and len(layers) == len(predictor.network.hidden) == 3
    assert len(units) == TOP_UNITS
    assert layers[0][0].shape == (43 * 8, 57 * 8, 3)  # 2,400 units as 43 × 57 cells (the last 51 grey)
    assert units[0][0].shape == (28 * 4, 28 * 4, 3) and "unit" in units[0][1]
    assert "the answer: **3**" in evidence
    # opened before anything was drawn: the session's first, empty reading
    assert "Draw a digit first" in logic.panel(Drawing(), True)[0]


def test_upscale_makes_each_pixel_a_square_block():
    from mnist_mlp.ui.pictures import upscale
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    big = upscale(pixels, 4)
    assert big.shape == (8, 12, 3)
    for y in range(8):
        for x in range(12):
            assert (big[y, x] == pixels[y // 4, x // 4]).all()


def test_the_evidence_says_when_the_answer_averages_nine_readings(predictor, mnist_test):
    from mnist_mlp.inference import READ_SHIFTED_BELOW, softmax
    images = mnist_test.images[:500].numpy() / 255.0
    plain = softmax(predictor.network(images)).max(axis=1)
    unsure, sure = images[plain < READ_SHIFTED_BELOW][0], images[plain > 0.99][0]
    logic = InsideLogic(predictor)
    assert "eight more of the image moved one pixel" in logic.panel(Drawing(image28=unsure, blank=False), True)[3]
    assert "moved one pixel" not in logic.panel(Drawing(image28=sure, blank=False), True)[3]
