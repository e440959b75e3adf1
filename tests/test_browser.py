"""A real browser (Debian's chromium via Playwright) draws on the sketchpad like a person."""
import contextlib
import re
import shutil
import time

import pytest
from playwright.sync_api import sync_playwright

from mnist_mlp.synthetic_handwriting import stroke_paths
from mnist_mlp.ui.common import NOT_A_DIGIT_LABEL
from mnist_mlp.weights import DEFAULT_WEIGHTS, read_weights

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required (apt-get install -y chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def app_page(browser, url, height=1100, tab=None):
    """A fresh page on the app (optionally on one tab), closed afterwards."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    try:
        page.goto(url)
        if tab:
            page.get_by_role("tab", name=tab).click()
        yield page
    finally:
        page.close()


def wait_for_brush(page, container="#sketch"):
    """What a person sees before drawing: the Brush tool highlighted (the page selects it)."""
    page.wait_for_function(
        "sel => document.querySelector(sel + ' button[aria-label=\"Brush\"]')?.classList.contains('highlight')",
        arg=container, timeout=15_000)
    time.sleep(0.3)


def drawing_area(page):
    """The white square of the canvas on screen (the canvas element is wider than the drawing)."""
    page.locator("#sketch canvas").first.scroll_into_view_if_needed()
    box = page.locator("#sketch canvas").first.bounding_box()
    side = min(box["width"], box["height"])
    return box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2, side


def assert_tiles_whole(page, gallery, scrolls=False):
    """Each image of the gallery (or image component) is shown whole: a real tile inside the frame
    (below too, unless the gallery scrolls), no shown label over it (Gradio's floating label covered
    the first row), and the top corners of those in view under nothing else (a download button sat
    on the last tile of the first row)."""
    page.locator(gallery).scroll_into_view_if_needed()
    frame = page.locator(gallery).bounding_box()
    images = page.locator(f"{gallery} img").all()
    assert images, f"no tiles in {gallery}"
    labels = [label.bounding_box() for label in page.locator(f"{gallery} [data-testid=block-label]").all()
              if label.is_visible()]
    for image in images:
        tile = image.bounding_box()
        for label in labels:  # Gradio's floating label, if shown, lies beside or above the picture
            assert (label["y"] + label["height"] <= tile["y"] + 1 or tile["y"] + tile["height"] <= label["y"] + 1
                    or label["x"] + label["width"] <= tile["x"] + 1 or tile["x"] + tile["width"] <= label["x"] + 1), \
                f"the label covers a tile in {gallery}"
        assert tile["height"] > 30 and frame["x"] - 1 <= tile["x"] and tile["x"] + tile["width"] <= frame["x"] + frame["width"] + 1
        assert scrolls or tile["y"] + tile["height"] <= frame["y"] + frame["height"] + 1
        if tile["y"] + tile["height"] <= frame["y"] + frame["height"]:  # in view
            for x in (tile["x"] + 8, tile["x"] + tile["width"] - 8):
                assert stays_uncovered(image, x, tile["y"] + 8), f"something covers the top of a tile in {gallery}"


def stays_uncovered(image, x, y, seconds=5.0):
    """Whether the point (x, y) shows `image` within `seconds`: what counts is what stays there (the
    download button that sat on a tile), not a moment's overlay while a busy host finishes an update
    (one run beside a training job saw the check fail once, and pass alone)."""
    try:  # Playwright's own polling, as wait_for_label waits
        image.page.wait_for_function("([img, x, y]) => document.elementFromPoint(x, y) === img",
                                     arg=[image.element_handle(), x, y], timeout=seconds * 1000)
        return True
    except Exception:
        return False


def drag_strokes(page, paths):
    """Mouse drags along each stroke, like a person drawing. (Every point: skipping every other one
    cut the corner of a 2 and drew a 7.)"""
    for path in paths:
        page.mouse.move(*path[0])
        page.mouse.down()
        for point in path[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()


def draw(page, digit):
    left, top, side = drawing_area(page)
    # the digit as a person draws it: about 60 % of the canvas height, a little off-centre
    drag_strokes(page, stroke_paths(digit, left + side * 0.3, top + side * 0.15, side * 0.6))


LABEL = "#label [data-testid=label-output-value]"


def label_text(page):
    return page.locator(LABEL).inner_text().strip() if page.locator(LABEL).count() else ""


def wait_for_label(page, expected, timeout=30):
    try:
        page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.trim() === want",
                               arg=[LABEL, expected], timeout=timeout * 1000)
        return True
    except Exception:
        return False


def test_drawing_with_the_mouse_predicts_and_clear_resets(app_server, browser, artifacts):
    with app_page(browser, app_server.url) as page:
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        wait_for_brush(page)  # the page's own script selects the brush; the test never clicks a tool
        assert page.locator('#sketch button[aria-label="Color"]').is_hidden()  # one black pen only
        draw(page, 3)
        assert wait_for_label(page, "3"), f"label shows {label_text(page)!r}"
        assert "3" in page.locator("#note").inner_text()
        assert page.locator("#seen img").count() == 1
        assert_tiles_whole(page, "#seen")
        assert_tiles_whole(page, "#looked")
        page.screenshot(path=str(artifacts / "draw-3.png"))
        page.get_by_role("button", name="Clear", exact=True).click()
        assert wait_for_label(page, "Draw a digit"), f"label shows {label_text(page)!r}"
        time.sleep(0.5)  # a person's hand takes this long to get back to the canvas
        wait_for_brush(page)
        draw(page, 7)
        assert wait_for_label(page, "7"), f"label shows {label_text(page)!r}"
        page.screenshot(path=str(artifacts / "draw-7.png"))
        # the canvas's own trash button clears too, and the pen is ready again
        page.locator('#sketch button[aria-label="Clear canvas"]').click()
        assert wait_for_label(page, "Draw a digit"), f"label shows {label_text(page)!r}"
        time.sleep(0.5)
        wait_for_brush(page)
        draw(page, 4)
        assert wait_for_label(page, "4"), f"label shows {label_text(page)!r}"


def test_a_letter_drawn_with_the_mouse_is_not_read_as_a_digit(app_server, browser, artifacts):
    """Visitors try letters: an `A` drawn in two strokes gets "doesn't look like a digit", not a
    digit the model is sure of (the model before the drawings that are not digits: a 4, 97 % sure)."""
    with app_page(browser, app_server.url) as page:
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        wait_for_brush(page)
        left, top, side = drawing_area(page)

        def at(x, y):
            return left + side * x, top + side * y
        drag_strokes(page, [[at(0.27 + 0.23 * t / 10, 0.8 - 0.6 * t / 10) for t in range(11)]
                            + [at(0.5 + 0.23 * t / 10, 0.2 + 0.6 * t / 10) for t in range(1, 11)],
                            [at(0.36 + 0.28 * t / 10, 0.58) for t in range(11)]])
        page.wait_for_function("() => document.querySelector('#note')?.innerText.includes(\"doesn't look like a digit\")",
                               timeout=30_000)
        # The label's headline says so too, instead of a big digit above that note.
        assert wait_for_label(page, NOT_A_DIGIT_LABEL), f"label shows {label_text(page)!r}"
        page.screenshot(path=str(artifacts / "draw-letter-a.png"))


def test_clicking_an_example_drawing_reads_it(app_server, browser, artifacts):
    """Loading an example into the sketchpad fires no change event: the app reads it after the click."""
    with app_page(browser, app_server.url) as page:
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        examples = page.locator(".gallery-item")  # drawn-3, drawn-7, drawn-5
        examples.nth(1).click()
        assert wait_for_label(page, "7"), f"label shows {label_text(page)!r}"
        assert page.locator("#seen img").count() == 1
        page.screenshot(path=str(artifacts / "example-7.png"))
        examples.nth(0).click()
        assert wait_for_label(page, "3"), f"label shows {label_text(page)!r}"


def test_retrain_tab_runs_a_tiny_training_and_shows_the_result(app_server, browser, artifacts):
    with app_page(browser, app_server.url, height=1400, tab="Retrain") as page:
        page.get_by_label("Hidden layer sizes").fill("64")
        page.get_by_label("Epochs").fill("2")
        page.get_by_label("Training images (subset for a quick run)").fill("10000")
        page.get_by_role("button", name="Start training").click()
        page.wait_for_function("() => /running|finished/.test(document.querySelector('#train-progress')?.innerText)",
                               timeout=30_000)
        page.wait_for_function("() => /Done/.test(document.querySelector('#retrain-status')?.innerText)",
                               timeout=120_000)
        status = page.locator("#retrain-status").inner_text()
        progress = page.locator("#train-progress").inner_text()
        assert "test accuracy" in status and "finished" in progress
        accuracy = float(status.split("test accuracy ")[1].split("%")[0])
        assert accuracy > 85
        # what training produced: accuracy per digit beside the confusion matrix, first-layer weights
        page.wait_for_function("() => (document.querySelector('#per-digit')?.innerText.match(/%/g) || []).length >= 10",
                               timeout=30_000)
        assert page.locator("#first-layer img").count() == 1
        page.wait_for_function("() => document.querySelectorAll('#retrain-mistakes img').length > 0", timeout=15_000)
        assert_tiles_whole(page, "#retrain-mistakes", scrolls=True)  # six columns in half the page
        assert_tiles_whole(page, "#first-layer")  # the weight images' first row not under a label
        page.screenshot(path=str(artifacts / "retrain.png"), full_page=True)
        # The About tab follows the model in use, without a reload: Use → 784 → 64 → 10, Revert → back.
        for button, said, layers in (("Use this model", "Now predicting", "784 → 64 → 10"),
                                     ("Revert to the default model", "Back to the default", "784 → 2400")):
            page.get_by_role("tab", name="Retrain").click()
            page.get_by_role("button", name=button).click()
            page.wait_for_function("said => document.querySelector('#retrain-status')?.innerText.includes(said)",
                                   arg=said, timeout=30_000)
            page.get_by_role("tab", name="About").click()
            page.get_by_text(layers).first.wait_for(timeout=15_000)


def test_upload_tab_reads_a_file_chosen_in_the_browser(app_server, browser, artifacts, tmp_path):
    """A person picks a photo of a digit in the file dialog, then a file that is not a whole image."""
    from mnist_mlp.synthetic_handwriting import draw_digit
    good, broken = tmp_path / "five.png", tmp_path / "broken.png"
    draw_digit(5, pen=20, slant=0.1).save(good)
    broken.write_bytes(good.read_bytes()[:400])  # a PNG cut short, as an interrupted download
    with app_page(browser, app_server.url, tab="Upload") as page:
        page.locator("#upload input[type=file]").set_input_files(str(good))
        page.wait_for_function("() => /Looks like a 5/.test(document.querySelector('#upload-note')?.innerText)",
                               timeout=30_000)
        assert page.locator("#upload-seen img").count() == 1
        assert_tiles_whole(page, "#upload-seen")
        assert_tiles_whole(page, "#upload-looked")
        page.screenshot(path=str(artifacts / "upload-5.png"))
        page.locator("#upload button[aria-label='Remove Image']").click()
        page.locator("#upload input[type=file]").set_input_files(str(broken))
        page.wait_for_function("() => /truncated or corrupt/.test(document.querySelector('#upload-note')?.innerText)",
                               timeout=30_000)
        assert page.locator("#upload-seen img").count() == 0  # nothing left over from the 5


def test_upload_tab_reads_an_example_photo_when_clicked(app_server, browser, artifacts):
    with app_page(browser, app_server.url, tab="Upload") as page:
        page.locator("#upload").wait_for(timeout=30_000)
        for index, digit in ((0, 7), (1, 2), (2, 4)):  # ballpoint on ruled paper, chalk, pencil
            page.locator(".gallery-item:visible").nth(index).click()
            page.wait_for_function(f"() => /Looks like a {digit}/.test(document.querySelector('#upload-note')?.innerText)",
                                   timeout=30_000)
        assert page.locator("#upload-seen img").count() == 1
        page.screenshot(path=str(artifacts / "upload-example-4.png"))


def test_number_tab_reads_two_drawn_digits(app_server, browser, artifacts):
    with app_page(browser, app_server.url, tab="Number") as page:
        page.wait_for_selector("#number-sketch canvas", timeout=30_000)
        wait_for_brush(page, "#number-sketch")  # the tab's own script selects the brush
        box = page.locator("#number-sketch canvas").first.bounding_box()
        # the drawable area is 3:1 and centred in the canvas element
        width = min(box["width"], box["height"] * 3)
        height = width / 3
        left = box["x"] + (box["width"] - width) / 2
        top = box["y"] + (box["height"] - height) / 2
        for i, digit in enumerate((4, 7)):
            drag_strokes(page, stroke_paths(digit, left + width * (0.2 + 0.35 * i), top + height * 0.15, height * 0.7))
        page.wait_for_function("() => /47/.test(document.querySelector('#number')?.innerText)", timeout=30_000)
        page.wait_for_function("() => document.querySelectorAll('#number-crops img').length == 2", timeout=15_000)
        time.sleep(0.5)  # the images settle into their tiles
        page.screenshot(path=str(artifacts / "number-47.png"))
        assert_tiles_whole(page, "#number-crops")  # each digit as the model saw it


def open_panels(page, *names):
    for name in names:
        page.get_by_text(name, exact=True).click()
        time.sleep(0.3)


def test_inside_panels_update_with_each_drawing(app_server, browser, artifacts):
    with app_page(browser, app_server.url, height=1300) as page:
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        wait_for_brush(page)
        open_panels(page, "Inside the network", "Compare with another model", "Why the preprocessing matters")
        wait_for_brush(page)
        draw(page, 4)
        assert wait_for_label(page, "4"), f"label shows {label_text(page)!r}"
        assert page.locator("#all-ten .top .d").inner_text() == "4"  # the tallest bar is the answer
        page.wait_for_function("() => /units active/.test(document.querySelector('#inside-summary')?.innerText)",
                               timeout=30_000)
        page.wait_for_function("() => /plain resize →/.test(document.querySelector('#plain-answer')?.innerText)",
                               timeout=30_000)
        page.wait_for_function("() => /in use/.test(document.querySelector('#compare-result')?.innerText)",
                               timeout=30_000)
        hidden_layers = len(read_weights(DEFAULT_WEIGHTS)[1]["architecture"]["hidden"])  # one picture each
        assert page.locator("#inside-layers img").count() == hidden_layers == 3
        assert page.locator("#inside-units img").count() == 8
        assert_tiles_whole(page, "#inside-layers")
        assert_tiles_whole(page, "#inside-units")
        assert_tiles_whole(page, "#plain-mnist")
        assert_tiles_whole(page, "#plain-seen")
        assert "the answer: 4" in page.locator("#inside-evidence").inner_text()
        page.locator("#inside").screenshot(path=str(artifacts / "inside.png"))
        page.screenshot(path=str(artifacts / "draw-panels.png"), full_page=True)


def test_on_a_phone_the_page_fits_and_reads_a_drawing(app_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    try:
        page.goto(app_server.url)
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        wait_for_brush(page)
        draw(page, 7)
        assert wait_for_label(page, "7"), f"label shows {label_text(page)!r}"
        open_panels(page, "Inside the network")
        page.wait_for_function("() => /units active/.test(document.querySelector('#inside-summary')?.innerText)",
                               timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
        page.wait_for_function("() => document.querySelectorAll('#inside-units img').length == 8", timeout=15_000)
        assert_tiles_whole(page, "#inside-layers")  # nor out of its frame (6 of the 8 units were)
        assert_tiles_whole(page, "#inside-units")
        assert_tiles_whole(page, "#seen")
        assert_tiles_whole(page, "#looked")
        bars = page.locator("#all-ten").bounding_box()
        assert bars["width"] <= 390 and bars["height"] >= 100  # all ten bars, readable
        page.screenshot(path=str(artifacts / "phone-draw.png"), full_page=True)
    finally:
        page.close()


def test_challenge_round_checks_a_drawn_digit(app_server, browser, artifacts):
    with app_page(browser, app_server.url, tab="Challenge") as page:
        page.get_by_role("button", name="New round").click()
        page.wait_for_function("() => /Draw an? \\d/.test(document.querySelector('#challenge-prompt')?.innerText)",
                               timeout=30_000)
        wait_for_brush(page, "#challenge-sketch")
        for turn in (1, 2):
            asked = int(re.search(r"Draw an? (\d)", page.locator("#challenge-prompt").inner_text()).group(1))
            page.locator("#challenge-sketch canvas").first.scroll_into_view_if_needed()
            box = page.locator("#challenge-sketch canvas").first.bounding_box()
            side = min(box["width"], box["height"])
            left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
            drag_strokes(page, stroke_paths(asked, left + side * 0.3, top + side * 0.15, side * 0.6))
            time.sleep(1.0)  # the last stroke reaches the canvas's value
            page.get_by_role("button", name="Check").click()
            page.wait_for_function("n => document.querySelector('#challenge-prompt')?.innerText.includes(`(${n} of 10)`)",
                                   arg=turn + 1, timeout=30_000)
            result = page.locator("#challenge-result").inner_text()
            assert f"Read as {asked}" in result, result
            time.sleep(0.5)
            wait_for_brush(page, "#challenge-sketch")
        assert "Streak: 2" in page.locator("#challenge-result").inner_text()
        page.screenshot(path=str(artifacts / "challenge.png"), full_page=True)
        # the canvas was emptied after the check: checking again reads nothing and asks again
        page.get_by_role("button", name="Check").click()
        page.wait_for_function("() => /nothing to read/.test(document.querySelector('#challenge-result')?.innerText)",
                               timeout=30_000)
        assert "(3 of 10)" in page.locator("#challenge-prompt").inner_text()
        page.get_by_role("button", name="Keep this drawing as a correction").click()
        page.get_by_text("Kept as a").wait_for(timeout=15_000)  # "a 3" or "an 8"
        # a digit other than the one asked for is misread, and its tile is shown whole in the gallery
        asked = int(re.search(r"Draw an? (\d)", page.locator("#challenge-prompt").inner_text()).group(1))
        wait_for_brush(page, "#challenge-sketch")
        drag_strokes(page, stroke_paths((asked + 1) % 10, left + side * 0.3, top + side * 0.15, side * 0.6))
        time.sleep(1.0)
        page.get_by_role("button", name="Check").click()
        page.wait_for_selector("#challenge-misread img", timeout=30_000)
        # the note on the drawing kept before goes with the next check
        page.wait_for_function("() => document.querySelector('#challenge-kept')?.innerText.trim() === ''",
                               timeout=15_000)
        time.sleep(0.5)
        page.screenshot(path=str(artifacts / "challenge-misread.png"), full_page=True)
        assert_tiles_whole(page, "#challenge-misread")
