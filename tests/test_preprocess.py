"""Preprocessing reads like MNIST's own procedure: 20-px box, centre of mass at the centre."""
import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from mnist_mlp.preprocess import (BOX, CENTRE, STROKE_RANGE, STROKE_WIDTH, ImageProblem, NothingToRead, _pool, median,
                                 open_image, plain_resize, stroke_width, to_mnist)
from mnist_mlp.synthetic_handwriting import (PHOTO_STYLES, REDRAWN_CHECK_SEED, REDRAWN_CHECK_SIZE, draw_digit,
                                             photo_of_digit, redrawn_test_canvases)
from mnist_mlp.ui.plain import PLAIN_RESIZE_ACCURACY, REDRAWN_ACCURACY


def ink_box_longer_side(image, level=0.1):
    rows = np.flatnonzero(image.max(axis=1) > level)
    cols = np.flatnonzero(image.max(axis=0) > level)
    return max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)


DRAWINGS = {
    "thin pen, big digit": dict(pen=4, height=600, left=150, top=100),
    "fat marker, small digit": dict(pen=30, height=150, left=40, top=560),
    "medium, off-centre right": dict(pen=14, height=300, left=520, top=60),
    "slanted": dict(pen=16, height=450, slant=0.3),
}


@pytest.mark.parametrize("digit", [0, 1, 4, 7, 8])
@pytest.mark.parametrize("style", DRAWINGS)
def test_output_has_mnist_geometry(digit, style):
    out = to_mnist(draw_digit(digit, **DRAWINGS[style]))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)
    cy, cx = ndimage.center_of_mass(out)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5
    assert 19 <= ink_box_longer_side(out) <= 21
    assert out[0].max() < 0.05 and out[:, 0].max() < 0.05  # white digit on a black field


def test_same_digit_at_three_sizes_and_places_gives_nearly_the_same_image(predictor):
    places = [dict(height=600, left=200, top=100, pen=24), dict(height=200, left=30, top=30, pen=8),
              dict(height=350, left=420, top=420, pen=14)]
    for digit in (2, 3, 5):
        images = [to_mnist(draw_digit(digit, **p)) for p in places]
        for other in images[1:]:
            assert np.abs(images[0] - other).mean() < 0.05
        assert {predictor.predict_mnist(np.stack(images))[i].digit for i in range(3)} == {digit}


def test_small_digit_on_a_big_canvas_is_read_at_full_detail(predictor):
    # 80 px on 2,000 px: only 10 px tall in the pooled scan, so it must be read again from the input.
    for digit in (2, 3, 5, 8):
        large = to_mnist(draw_digit(digit, height=600, left=200, top=100, pen=24))
        small = draw_digit(digit, canvas=2000, height=80, left=900, top=1200, pen=4)
        assert np.abs(to_mnist(small) - large).mean() < 0.05
        assert predictor.predict(small).digit == digit


def test_thin_line_on_huge_canvas_still_reads_as_a_stroke(predictor):
    image = draw_digit(7, canvas=2000, left=700, top=300, height=1400, pen=3)
    out = to_mnist(image)
    assert (out > 0.5).sum() >= 40  # a visible stroke, not a faint trace
    assert predictor.predict(image).digit == 7


def test_fat_strokes_are_thinned_into_mnists_range_not_down_to_its_median():
    """A fat marker's strokes are shrunk only to the top of MNIST's usual width (3.3 px at the 20-px
    scale): eroded down to its median (2.3 px), they lost shape (twenty-seventh session: 170 → 122 of
    10,000 MNIST test digits drawn thick as canvases read wrong)."""
    for pen, height in ((60, 300), (30, 150)):
        widths = []
        for digit in range(10):
            stages = {}
            to_mnist(draw_digit(digit, pen=pen, height=height, left=100, top=100), stages)
            strokes = stages["strokes"] > 0.5
            widths.append(stroke_width(strokes) / (max(strokes.shape) / BOX))
        assert STROKE_WIDTH + 0.4 <= np.median(widths) <= STROKE_RANGE[1] + 0.4


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("keep", [np.maximum, np.minimum])
def test_pooling_keeps_each_blocks_strongest_ink_also_in_a_partial_last_block(axis, keep):
    """The scan's pooling, against blocks reduced one by one: 7 px pooled by 3 is 3 blocks (3, 3, 1)."""
    rng = np.random.default_rng(axis)
    for values in (rng.integers(0, 256, (7, 10, 4), dtype=np.uint8),  # colour, as a canvas arrives
                   rng.random((10, 7), dtype=np.float32),
                   rng.random((9, 14), dtype=np.float32)[:, ::2]):  # a strided view, as a crop of the input
        length = values.shape[axis]
        blocks = [keep.reduce(np.take(values, range(i, min(i + 3, length)), axis=axis), axis=axis, keepdims=True)
                  for i in range(0, length, 3)]
        pooled = _pool(values, 3, keep, axis)
        assert pooled.dtype == values.dtype and np.array_equal(pooled, np.concatenate(blocks, axis=axis))


@pytest.mark.parametrize("digit", range(10))
def test_every_drawn_digit_is_read(predictor, digit):
    assert predictor.predict(draw_digit(digit)).digit == digit


@pytest.mark.parametrize("style", PHOTO_STYLES)
def test_phone_photos_of_paper_are_read(predictor, style):
    """Uneven light, sensor noise, ruled lines and JPEG are not ink (a ruled line kept as ink would
    widen the crop to the page and shrink the digit to a smudge)."""
    for digit in range(10):
        jpeg = io.BytesIO()
        photo_of_digit(digit, seed=digit, **PHOTO_STYLES[style]).save(jpeg, "JPEG", quality=80)
        image = to_mnist(open_image(jpeg.getvalue()))
        assert 19 <= ink_box_longer_side(image) <= 21
        assert predictor.predict_mnist(image[None])[0].digit == digit, f"{style}: {digit}"


def test_inverted_polarity_and_colours_give_the_same_result():
    black_on_white = to_mnist(draw_digit(4))
    white_on_black = to_mnist(draw_digit(4, ink=(255, 255, 255), paper=(0, 0, 0)))
    blue_on_cream = to_mnist(draw_digit(4, ink=(20, 40, 160), paper=(250, 240, 215)))
    assert np.abs(black_on_white - white_on_black).max() < 1e-3
    assert np.abs(black_on_white - blue_on_cream).mean() < 0.03


def test_transparent_sketchpad_layer_uses_alpha_as_ink():
    layer = draw_digit(9, transparent=True)
    assert np.asarray(layer)[..., 3].min() == 0
    assert np.abs(to_mnist(layer) - to_mnist(draw_digit(9))).mean() < 0.01


@pytest.mark.parametrize("kind", ["L", "I;16", "P", "CMYK", "LA", "float", "uint16 array", "bool array"])
def test_many_image_modes_and_dtypes(kind, predictor):
    rgb = draw_digit(3)
    converted = {
        "L": lambda: rgb.convert("L"),
        "I;16": lambda: Image.fromarray((np.asarray(rgb.convert("L"), np.uint16) * 257)),
        "P": lambda: rgb.convert("P"),
        "CMYK": lambda: rgb.convert("CMYK"),
        "LA": lambda: rgb.convert("LA"),
        "float": lambda: np.asarray(rgb, np.float64) / 255,
        "uint16 array": lambda: np.asarray(rgb.convert("L"), np.uint16) * 257,
        "bool array": lambda: np.asarray(rgb.convert("L")) < 128,
    }[kind]()
    assert predictor.predict(converted).digit == 3


def test_mnist_test_images_keep_the_models_accuracy(predictor, mnist_test):
    n = 2000
    raw = mnist_test.images[:n].numpy()
    labels = mnist_test.labels[:n].numpy()
    direct = (predictor.probabilities(raw / 255.0).argmax(1) == labels).mean()
    processed = np.stack([to_mnist(x) for x in raw])
    through = (predictor.probabilities(processed).argmax(1) == labels).mean()
    assert through >= direct - 0.01


@pytest.mark.parametrize("blank", [
    np.zeros((800, 800, 4), np.uint8),  # fully transparent
    np.full((800, 800, 3), 255, np.uint8),  # white
    np.zeros((300, 300), np.uint8),  # black
    np.full((50, 50), 0.5),  # uniform grey float
])
def test_nothing_to_read_raises_the_dedicated_error(blank):
    with pytest.raises(NothingToRead, match="Draw a digit"):
        to_mnist(blank)


def test_single_pixel_and_specks_only_are_nothing_to_read():
    canvas = np.full((800, 800), 255, np.uint8)
    canvas[400, 400] = 0
    with pytest.raises(NothingToRead):
        to_mnist(canvas)
    rng = np.random.default_rng(0)
    for y, x in rng.integers(5, 795, size=(40, 2)):
        canvas[y:y + 2, x:x + 2] = 0
    with pytest.raises(NothingToRead):
        to_mnist(canvas)


def test_specks_around_a_digit_are_ignored(predictor):
    image = np.asarray(draw_digit(1, left=350)).copy()
    rng = np.random.default_rng(1)
    for y, x in rng.integers(5, 795, size=(30, 2)):
        image[y:y + 3, x:x + 3] = 0
    clean = to_mnist(draw_digit(1, left=350))
    assert predictor.predict(image).digit == 1
    assert np.abs(to_mnist(image) - clean).mean() < 0.03


def test_decompression_bomb_is_refused_from_the_header(tmp_path):
    import resource
    # A 30,000 × 30,000 PNG that compresses to a few hundred KB.
    path = tmp_path / "bomb.png"
    Image.new("1", (30_000, 30_000)).save(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageProblem, match="megapixels"):
        open_image(path)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000  # decoding it as 8-bit would take 900 MB


@pytest.mark.parametrize("payload,message", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not an image|truncated|corrupt"),
    (b"just some text\n", "not an image"),
])
def test_broken_files_say_what_is_wrong(payload, message):
    with pytest.raises(ImageProblem, match=message):
        open_image(payload)


def test_truncated_png_and_first_frame_of_animated_gif():
    buffer = io.BytesIO()
    draw_digit(5).save(buffer, "PNG")
    with pytest.raises(ImageProblem, match="truncated|corrupt"):
        open_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    gif = io.BytesIO()
    frames = [draw_digit(2).convert("P"), draw_digit(7).convert("P")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    image = open_image(gif.getvalue())
    assert np.abs(to_mnist(image) - to_mnist(draw_digit(2))).mean() < 0.02


def test_mnist_digits_drawn_as_canvases_read_as_the_app_says(predictor, mnist_test):
    """MNIST test digits (real writers) re-drawn on 800×800 canvases at random size, place, pen width
    and slant, on white or transparency (benchmarks/handwriting_check.py's 2,000): the shipped model
    reads them as well as the app says it does, through our preprocessing and through a plain resize,
    and stays on issue #13's floor for MNIST's own writers drawn as canvases (98.4 %)."""
    canvases = redrawn_test_canvases(mnist_test, REDRAWN_CHECK_SIZE, np.random.default_rng(REDRAWN_CHECK_SEED))
    labels = np.array([label for _, label in canvases])
    measured = {read.__name__: float((predictor.probabilities(np.stack([read(canvas) for canvas, _ in canvases]))
                                      .argmax(1) == labels).mean()) for read in (to_mnist, plain_resize)}
    assert measured["to_mnist"] >= 0.984
    assert (round(measured["to_mnist"], 4), round(measured["plain_resize"], 4)) == (REDRAWN_ACCURACY, PLAIN_RESIZE_ACCURACY)


def test_blank_canvases_are_a_typed_blank_and_specks_are_not():
    from mnist_mlp.preprocess import Blank
    with pytest.raises(Blank):
        to_mnist(np.full((300, 300, 4), 0, np.uint8))
    specks = np.full((800, 800), 255, np.uint8)
    specks[100:103, 100:103] = 0
    specks[600:602, 500:502] = 0
    with pytest.raises(NothingToRead) as error:
        to_mnist(specks)
    assert not isinstance(error.value, Blank) and "specks" in str(error.value)


def test_median_is_numpys_for_odd_and_even_counts_and_bytes():
    rng = np.random.default_rng(3)
    for values in (rng.random(7), rng.random(8), np.array([250, 255, 3, 254], np.uint8),
                   rng.integers(0, 256, 2134).astype(np.uint8), np.array([2.5])):
        assert median(values) == np.median(values)
