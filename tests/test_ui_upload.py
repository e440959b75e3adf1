"""The Upload tab's handlers, called directly (no server): a file in, the label, pictures and note out."""
from PIL import Image, ImageDraw

from mnist_mlp.synthetic_handwriting import draw_digit, draw_strokes
from mnist_mlp.ui.common import NOT_A_DIGIT_LABEL
from mnist_mlp.ui.upload import START_NOTE, UploadLogic


def test_a_photo_of_a_digit_is_read_with_its_pictures(predictor, tmp_path):
    photo = tmp_path / "five.jpg"
    draw_digit(5, canvas=400, left=120, top=60, height=280, pen=14, ink=(40, 40, 90), paper=(230, 225, 210)).save(photo)
    label, seen, looked, note = UploadLogic(predictor).predict_file(str(photo))
    assert max(label, key=label.get) == "5" and seen is not None and looked is not None
    assert note.startswith("Looks like a **5**"), note


def test_a_letter_gets_not_a_digit_on_the_label_and_the_api_keeps_all_ten(predictor, tmp_path):
    letter = Image.new("RGB", (400, 400), "white")
    draw_strokes(ImageDraw.Draw(letter), [[(110, 320), (200, 80), (290, 320)], [(145, 230), (255, 230)]], 18,
                 (0, 0, 0))
    path = tmp_path / "letter-a.png"
    letter.save(path)
    logic = UploadLogic(predictor)
    label, _, _, note = logic.predict_file(str(path))
    assert label == NOT_A_DIGIT_LABEL and note.startswith("**That doesn't look like a digit to me.**"), (label, note)
    api = logic.predict_file_label(str(path))
    assert sorted(api) == [str(d) for d in range(10)] and abs(sum(api.values()) - 1) < 1e-4


def test_no_file_or_a_broken_one_says_what_to_do(predictor, tmp_path):
    logic = UploadLogic(predictor)
    assert logic.predict_file(None) == ("Upload a photo of one digit", None, None, START_NOTE)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture")
    label, seen, looked, note = logic.predict_file(str(broken))
    assert label.startswith("Can't read that image:") and seen is None and looked is None, label
    assert str(tmp_path) not in label + note  # the message names no server folder
