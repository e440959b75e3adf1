"""The About tab shows the card of the model in use, whichever it is now."""
import shutil

from mnist_mlp.inference import Predictor
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.ui.about import AboutLogic, about_markdown
from mnist_mlp.ui.pictures import pipeline_figure
from mnist_mlp.ui.plain import MEASURED_GAP
from mnist_mlp.weights import DEFAULT_WEIGHTS, read_weights, save_weights

MEMBER_ACCURACY = ("99.31%", "99.29%")  # the default's two networks on MNIST test, as their cards say
UPWEIGHTED_WORDS = ("each digit that the network it started from read wrong weighing 2 times as much in the loss "
                    "(Just Train Twice)")  # what About says of --upweight-wrong 2
DEEPER_WORDS = "made 1 layer deeper (an identity layer before its output: the same answers to start from)"


def test_about_follows_the_model_in_use(tmp_path):
    arrays, card = read_weights(DEFAULT_WEIGHTS)
    predictor = Predictor(arrays, card, DEFAULT_WEIGHTS)
    about = AboutLogic(predictor)
    assert "784 → 2400 → 2400 → 2400 → 10" in about.markdown()
    assert f"{card['test_accuracy']:.2%}" in about.markdown()
    assert MEASURED_GAP in about.markdown()  # its figures: test_preprocess.py measures them again
    assert "under 90% sure of it, it reads that image again moved one pixel" in about.markdown()
    other = tmp_path / "other.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, other)
    save_weights(arrays, {**card, "test_accuracy": 0.5}, other)
    predictor.swap_to(other)
    assert "50.00%" in about.markdown()


def test_pipeline_figure_shows_five_stages():
    figure = pipeline_figure(draw_digit(2))
    assert figure.width > 4 * figure.height


def test_about_says_how_each_shipped_model_was_trained():
    """Each card says what its run did: the default is the average of two networks fine-tuned from
    the styles networks (which re-drew their style digits every 4 epochs) made one layer deeper, with
    SAM, more kinds of 1, 4, 7 and 9, drawings that are not digits and the digits their start read
    wrong weighing twice, and says so for each of them; the upweighted pair before it did all but the
    deepening, the sharp_outliers pair before that all but the upweighting too, the sharp pair all but
    the drawings that are not digits too."""
    said = {name: about_markdown(read_weights(DEFAULT_WEIGHTS.parent / name)[1])
            for name in ("mnist_mlp.safetensors", "deepened_seed104.safetensors", "deepened_seed105.safetensors",
                         "upweighted_seed102.safetensors", "upweighted_seed103.safetensors",
                         "sharp_outliers_seed0.safetensors", "sharp_outliers_seed1.safetensors",
                         "sharp_seed0.safetensors", "sharp_seed1.safetensors",
                         "styles_seed0.safetensors", "styles_seed1.safetensors", "mnist_only.safetensors")}
    for name, text in said.items():
        deepened = name.startswith("deepened") or name == "mnist_mlp.safetensors"
        upweighted = name.startswith("upweighted") or deepened
        exposed = name.startswith("sharp_outliers") or upweighted
        sharp = name.startswith("sharp") or upweighted
        assert text.count("distorted on the fly") == (2 if name == "mnist_mlp.safetensors" else 1), name
        assert ("re-drawn along their skeleton" in text) == (name != "mnist_only.safetensors"), name
        assert ("(drawn afresh every 4 epochs)" in text) == (name != "mnist_only.safetensors"), name
        assert ("The average of 2 networks" in text) == (name == "mnist_mlp.safetensors"), name
        assert ("(sharpness-aware minimisation)" in text) == sharp, name
        assert ("among them `ρ`-like 9s" in text) == sharp, name
        assert ("among them `ρ`-like 9s, 9s with a tail bulging right, printed 4s, 4s whose bar ends at the stem, "
                "`λ`-like 1s joined halfway down, cursive 9s (a loop on an S), `∠`-shaped 4s with a short stem, "
                "crossed 7s with a round corner and 9s with a flat loop, " in text) == sharp, name
        assert (", and 0.1 drawings that are not digits (letters, stars, doodles) per digit, learnt as \"no digit "
                "more likely than another\" (outlier exposure), " in text) == exposed, name
        assert (UPWEIGHTED_WORDS in text) == upweighted, name
        assert (DEEPER_WORDS in text) == deepened, name
        assert "learning also" not in text, name
    default = said["mnist_mlp.safetensors"]
    for start, accuracy in ((0, MEMBER_ACCURACY[0]), (1, MEMBER_ACCURACY[1])):
        assert (f"  - `weights/deepened_seed{104 + start}.safetensors` (×1), {accuracy} on MNIST test: trained 12 "
                "epochs on 60000 images distorted on the fly") in default
        assert f"starting from `weights/styles_seed{start}.safetensors` {DEEPER_WORDS} in " in default
        assert f", seed {104 + start}\n" in default
    assert "- Command: `train.py`" in default


def test_about_of_an_average_with_odd_members_still_shows():
    card = {**read_weights(DEFAULT_WEIGHTS)[1], "averaged_from": ["not a card", {"weights": "a.safetensors",
                                                                                 "config": "odd", "weight": "x"}]}
    text = about_markdown(card)
    assert "The average of 1 network' predictions" in text and "  - `a.safetensors`: trained ? epochs" in text


STYLES_SEED0 = DEFAULT_WEIGHTS.parent / "styles_seed0.safetensors"  # one network, with a training config


def test_about_names_the_teachers_of_a_distilled_model():
    card = read_weights(STYLES_SEED0)[1]
    card = {**card, "config": {**card["config"], "teachers": [["weights/handwriting.safetensors", 4.0],
                                                              ["weights/mnist_only.safetensors", 1.0]]}}
    assert ("learning also from the weighted average prediction of `weights/handwriting.safetensors` (×4) "
            "and `weights/mnist_only.safetensors` (×1)") in about_markdown(card)


def test_about_says_when_a_run_blended_its_batches():
    card = read_weights(STYLES_SEED0)[1]
    card = {**card, "config": {**card["config"], "mixup": 0.25}}
    assert ", 25% of each batch blended with other images of it (mixup)" in about_markdown(card)
    card["config"]["mixup"] = 0
    assert "mixup" not in about_markdown(card)
    card["config"] = {**card["config"], "cutmix": 0.3}
    assert ", 30% of each batch cut and joined with other images of it (CutMix)" in about_markdown(card)


def test_about_says_when_a_run_learnt_from_drawings_that_are_not_digits():
    card = read_weights(STYLES_SEED0)[1]
    assert "outlier exposure" not in about_markdown(card)
    card = {**card, "config": {**card["config"], "outliers": 0.2}}
    assert "0.2 drawings that are not digits (letters, stars, doodles) per digit" in about_markdown(card)


def test_about_shows_a_card_with_odd_training_fields_without_failing():
    card = {**read_weights(STYLES_SEED0)[1]}
    card["config"] = {**card["config"], "teachers": "not a list", "redraw": 0, "styles": "many",
                      "restyle_every": "often", "mixup": None}
    text = about_markdown(card)
    assert "learning also" not in text and "along their skeleton" not in text and "MNIST test accuracy" in text
    assert "styles MNIST lacks" not in text and "afresh" not in text and "mixup" not in text


def test_about_says_when_the_style_digits_were_drawn_afresh():
    card = read_weights(STYLES_SEED0)[1]
    card = {**card, "config": {**card["config"], "styles": 0.3, "restyle_every": 4}}
    assert "30% of the 1s, 4s, 7s and 9s in styles MNIST lacks (drawn afresh every 4 epochs)" in about_markdown(card)
    card["config"]["styles"] = 0
    assert "afresh" not in about_markdown(card)


def test_about_names_the_looped_twos_and_crossed_zeros_of_a_run_that_drew_them():
    card = read_weights(STYLES_SEED0)[1]
    assert "looped" not in about_markdown(card)
    card = {**card, "config": {**card["config"], "styles": 0.3, "looped_twos": True}}
    assert "some cursive 2s looped at the lower left and some crossed 0s" in about_markdown(card)
    card["config"]["styles"] = 0  # no style digits drawn, so none of their kinds
    assert "looped" not in about_markdown(card)
    card["config"] = {**card["config"], "styles": 0.3, "looped_twos": False, "crossed_zeros": True}
    assert "some crossed 0s" in about_markdown(card) and "looped" not in about_markdown(card)


def test_about_says_when_the_loss_saw_normalised_logits():
    card = read_weights(STYLES_SEED0)[1]
    assert "LogitNorm" not in about_markdown(card)
    card = {**card, "config": {**card["config"], "logit_norm": 0.04}}
    assert "logits scaled to length 25 (LogitNorm)" in about_markdown(card)


def test_about_names_the_abstain_output_and_the_adversarial_steps():
    from mnist_mlp.config import config_from_preset
    from mnist_mlp.ui.about import training_words

    abstain, adversarial = (training_words(config_from_preset(name).as_dict()) for name in ("abstain", "adversarial"))
    assert "an 11th output, \"abstain\", on which the loss lets it bet at payoff 3 instead of naming a digit" in abstain
    assert "FGSM" not in abstain and "Deep Gamblers" not in adversarial
    assert "half the digits of each batch moved 0.02 towards a higher loss (FGSM adversarial training)" in adversarial
    assert "learnt as \"no digit more likely than another\" and as abstaining (outlier exposure)" in abstain
    assert "learnt as \"no digit more likely than another\" (outlier exposure)" in adversarial


def test_about_says_which_digits_weighed_more():
    from mnist_mlp.config import config_from_preset
    from mnist_mlp.ui.about import training_words

    upweighted, plain = (training_words(config_from_preset(name).as_dict()) for name in ("upweighted", "sharp_outliers"))
    assert UPWEIGHTED_WORDS in upweighted
    assert "Just Train Twice" not in plain


def test_about_says_when_a_fine_tune_started_from_a_deeper_copy():
    from mnist_mlp.config import config_from_preset
    from mnist_mlp.ui.about import training_words

    deeper, plain = (training_words(config_from_preset(name).as_dict()) for name in ("deepened", "upweighted"))
    assert ("starting from `weights/styles_seed0.safetensors` made 1 layer deeper (an identity layer before its "
            "output: the same answers to start from)") in deeper
    assert "deeper" not in plain and UPWEIGHTED_WORDS in deeper
