"""Drawings that are not digits — letters, stars, doodles — as visitors draw them to test the demo:
the shipped model says it is not sure of them, and of most that it doesn't see a digit at all."""
import json
import subprocess
import sys

from conftest import ROOT, python_env


def test_the_shipped_model_is_not_sure_of_drawings_that_are_not_digits():
    """`benchmarks/not_digits.py` (its last line): 560-px canvases in a thick and a fine pen, read
    through the app's path. Measured for the shipped model (300 and 72 canvases): not sure on 98 % of
    the kinds it learnt from (a seed no training run uses) and 76 % of shapes no training code draws,
    "doesn't look like a digit" on 86 / 24 %; the default before it, trained on digits only, at its own
    threshold (0.75): 53 / 46 %, 5 / 6 %."""
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "not_digits.py"), "--count", "200"],
                         capture_output=True, text=True, env=python_env(), timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["taught_unsure"] >= 95 and figures["unseen_unsure"] >= 70, figures
    assert figures["taught_not_a_digit"] >= 75, figures
