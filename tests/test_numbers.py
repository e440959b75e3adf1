"""Whole numbers: a canvas of several digits is split left to right and each digit read."""
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image, ImageDraw

from mnist_mlp.numbers import read_number, split_digits
from mnist_mlp.preprocess import NothingToRead

from conftest import number_canvas


@pytest.mark.parametrize("digits", [[2, 0, 2, 6], [4, 5], [1, 1, 7], [9, 8, 3, 0, 6]])
def test_numbers_are_split_left_to_right_and_read(predictor, digits):
    reading = read_number(predictor, number_canvas(digits))
    assert reading.text == "".join(map(str, digits))
    assert 0 < reading.confidence <= 1


def test_detached_strokes_of_one_digit_stay_together():
    # a 4 drawn as two separate strokes and a 5 whose top bar does not touch its body
    canvas = Image.new("L", (900, 500), 255)
    draw = ImageDraw.Draw(canvas)
    draw.line([(150, 60), (60, 300), (260, 300)], fill=0, width=18)
    draw.line([(210, 180), (210, 440)], fill=0, width=18)
    draw.line([(520, 60), (720, 60)], fill=0, width=18)  # the bar, not touching
    draw.line([(520, 95), (510, 230)], fill=0, width=18)
    draw.arc([(470, 200), (720, 440)], start=-100, end=150, fill=0, width=18)
    assert len(split_digits(canvas)) == 2


def test_blank_number_canvas_is_nothing_to_read():
    with pytest.raises(NothingToRead):
        split_digits(np.zeros((300, 900, 4), np.uint8))


def test_numbers_made_of_mnist_test_digits(predictor, mnist_test):
    """MNIST test digits placed side by side with random gaps, as numbers of 2–4 digits."""
    rng = np.random.default_rng(3)
    right = 0
    total = 60
    for _ in range(total):
        picks = rng.choice(len(mnist_test), size=int(rng.integers(2, 5)), replace=False)
        tiles = [255 - mnist_test.images[i].numpy() for i in picks]
        gaps = [np.full((28, int(rng.integers(0, 8))), 255, np.uint8) for _ in picks]
        strip = np.concatenate([part for tile, gap in zip(tiles, gaps) for part in (tile, gap)], axis=1)
        image = Image.fromarray(np.pad(strip, 6, constant_values=255)).resize(
            (strip.shape[1] * 10 + 120, 400), Image.BICUBIC)
        expected = "".join(str(int(mnist_test.labels[i])) for i in picks)
        right += read_number(predictor, image).text == expected
    assert right / total >= 0.8


def test_predict_number_over_http(app_server, tmp_path):
    path = tmp_path / "number.png"
    number_canvas([3, 1, 4]).save(path)
    sketch = {"background": None, "layers": [], "composite": handle_file(str(path))}
    result = app_server.client().predict(sketch, api_name="/predict_number")
    assert result["number"] == "314" and [d["digit"] for d in result["digits"]] == [3, 1, 4]
