"""The About tab: the card of the model in use (read again whenever the tab is opened) and the
preprocessing pipeline on an example."""
from __future__ import annotations

import gradio as gr
from PIL import Image

from ..config import is_number
from ..inference import READ_SHIFTED_BELOW, Predictor
from .pictures import pipeline_figure
from .plain import MEASURED_GAP


class AboutLogic:
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def markdown(self) -> str:
        return about_markdown(self.predictor.card)


def _share(config: dict, name: str) -> float:
    """A share from a card's config, or 0 when it is missing or not a number (an odd card still shows)."""
    value = config.get(name)
    return value if is_number(value) else 0


def listed(items: list[str]) -> str:
    """["a", "b", "c"] → "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def training_words(config: dict) -> str:
    """How the card's run changed its training images and what else it learned from, in words."""
    words = []
    if config.get("augment"):
        words.append(" distorted on the fly (rotation, scale, slant, elastic, stroke width)")
    for name, what in (("redraw", "re-drawn along their skeleton with other pens"),
                       ("styles", "of the 1s, 4s, 7s and 9s in styles MNIST lacks")):
        if share := _share(config, name):
            words.append(f", {share:.0%} {what}")
    if _share(config, "styles") and (every := _share(config, "restyle_every")):
        words.append(f" (drawn afresh every {every:g} epochs)")
    kinds = []
    if _share(config, "styles"):
        even_more = config.get("even_more_kinds") is True  # includes more_kinds' kinds (styles.style_table)
        if config.get("more_nines") is True:
            kinds += ["`ρ`-like 9s", "9s with a tail bulging right"]
        if config.get("more_kinds") is True or even_more:
            kinds += ["printed 4s", "4s whose bar ends at the stem", "`λ`-like 1s joined halfway down",
                      "cursive 9s (a loop on an S)"]
        if even_more:
            kinds += ["`∠`-shaped 4s with a short stem", "crossed 7s with a round corner", "9s with a flat loop"]
        if config.get("looped_twos") is True:
            kinds += ["some cursive 2s looped at the lower left"]
        if config.get("looped_twos") is True or config.get("crossed_zeros") is True:
            kinds += ["some crossed 0s"]
    if kinds:
        words.append(f", among them {listed(kinds)}")
    if share := _share(config, "mixup"):
        words.append(f", {share:.0%} of each batch blended with other images of it (mixup)")
    if share := _share(config, "cutmix"):
        words.append(f", {share:.0%} of each batch cut and joined with other images of it (CutMix)")
    payoff = _share(config, "abstain_payoff")
    if share := _share(config, "outliers"):
        words.append(f", and {share:g} drawings that are not digits (letters, stars, doodles) per digit, "
                     "learnt as \"no digit more likely than another\"" + (" and as abstaining" if payoff else "")
                     + " (outlier exposure)")
    if payoff:
        words.append(f", with an 11th output, \"abstain\", on which the loss lets it bet at payoff {payoff:g} "
                     "instead of naming a digit (Deep Gamblers; the saved network has the ten digits' outputs)")
    if step := _share(config, "adversarial_step"):
        words.append(f", half the digits of each batch moved {step:g} towards a higher loss (FGSM adversarial "
                     "training)")
    if (up := _share(config, "upweight_wrong")) > 1:
        words.append(f", each digit that the network it started from read wrong weighing {up:g} times as much in "
                     "the loss (Just Train Twice)")
    if radius := _share(config, "sam"):
        words.append(f", each step's gradient taken {radius:g} away where the loss rises fastest "
                     "(sharpness-aware minimisation)")
    if tau := _share(config, "logit_norm"):
        words.append(f", the loss seeing each drawing's logits scaled to length {1 / tau:g} (LogitNorm), so "
                     "that it cannot be lowered by being ever surer")
    if isinstance(start := config.get("init_weights"), str):
        words.append(f", starting from `{start}`")
        if isinstance(deeper := config.get("deepen"), int) and not isinstance(deeper, bool) and deeper > 0:
            more = "an identity layer" if deeper == 1 else f"{deeper} identity layers"
            words.append(f" made {deeper} layer{'s' if deeper > 1 else ''} deeper ({more} before its output: the "
                         "same answers to start from)")
    teachers = config.get("teachers")
    if teachers and isinstance(teachers, list) and all(
            isinstance(t, list) and len(t) == 2 and isinstance(t[1], (int, float)) for t in teachers):
        named = listed([f"`{path}` (×{weight:g})" for path, weight in teachers])
        words.append(f", learning also from the weighted average prediction of {named}")
    return "".join(words)


def trained_words(card: dict) -> str:
    """"N epochs on M images, distorted …, in S s, seed K": how one network's card says it was trained."""
    return (f"{card.get('epochs', '?')} epochs on {card.get('train_samples', '?')} images"
            f"{training_words(card.get('config') if isinstance(card.get('config'), dict) else {})}"
            f" in {card.get('seconds', '?')} s, seed {card.get('seed', '?')}")


def average_words(members: list) -> list[str]:
    """The lines that say which networks an average (`ensemble.average_mlps`) was made of."""
    members = [m for m in members if isinstance(m, dict)]
    networks = f"{len(members)} network{'s' * (len(members) != 1)}"
    lines = [f"- The average of {networks}' predictions (their logits), merged into this one MLP: their "
             "hidden units side by side, with zero weights between two networks' units. Each network was "
             "trained on its own:"]
    for member in members:
        accuracy = member.get("test_accuracy")
        weight = member.get("weight")
        lines.append(f"  - `{member.get('weights', '?')}`"
                     + (f" (×{weight:g})" if isinstance(weight, (int, float)) else "")
                     + (f", {accuracy:.2%} on MNIST test" if isinstance(accuracy, (int, float)) else "")
                     + f": trained {trained_words(member)}")
    return lines


def about_markdown(card: dict) -> str:
    arch = card.get("architecture", {})
    layers = " → ".join(["784", *map(str, arch.get("hidden", [])), "10"])
    accuracy = card.get("test_accuracy")
    members = card.get("averaged_from")
    when = f"on {card.get('date', '?')} with torch {card.get('torch_version', '?')}"
    how = (average_words(members) + [f"- Averaged {when}"] if isinstance(members, list) and members
           else [f"- Trained {trained_words(card)} {when}"])
    lines = [
        "## The model",
        f"A multilayer perceptron, **{layers}** ({arch.get('activation', 'relu')}, dropout "
        f"{arch.get('dropout', 0)}), **{card.get('parameters', 0):,} parameters**. No convolutions: "
        "every pixel is one input.",
        "",
        f"- MNIST test accuracy: **{accuracy:.2%}** on the 10,000 test images" if accuracy else "- MNIST test accuracy: not recorded",
        *how,
        f"- Command: `{card.get('command', '?')}`",
        "",
        "## What happens to your drawing",
        "The network only ever saw MNIST digits, so your drawing is made into what MNIST would have "
        "made of it: the ink is found (dark on light, light on dark, or the alpha of a transparent "
        "layer), specks are dropped, the stroke width is brought to MNIST's ~2–3 px, the digit is "
        "scaled so its longer side is 20 px (anti-aliased, keeping its shape), and it is placed in a "
        "28×28 field with its centre of mass at the centre. The **What the model sees** image on the "
        "Draw tab is exactly the network's input. When the network is under "
        f"{READ_SHIFTED_BELOW:.0%} sure of it, it reads that image again moved one pixel each of the eight "
        "ways and averages the nine readings: an answer that holds at one position only is less sure.",
        "",
        "**Why it matters, measured** (`benchmarks/handwriting_check.py`, 2,000 MNIST test digits re-drawn as "
        f"canvases at random size, place, pen and slant), the shipped model: {MEASURED_GAP}. The Draw tab's *Why the "
        "preprocessing matters* panel shows both for your own drawing.",
    ]
    return "\n".join(lines)


def about_tab(logic: AboutLogic, tab: gr.Tab, example) -> None:
    about = gr.Markdown(logic.markdown())
    gr.Image(pipeline_figure(Image.open(example)), label="The pipeline on an example", interactive=False,
             buttons=[])
    # The card of the model in use, read again whenever the tab is opened: after *Use this model*
    # or *Revert* (in any browser) it shows the new one without a reload.
    tab.select(logic.markdown, None, about, api_visibility="private")
