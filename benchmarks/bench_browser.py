"""What a person waits for: from lifting the pen to the answer on the page, in a real browser.

Starts `python app.py` on a free 127.0.0.1 port and Debian's chromium (Playwright, headless), draws
one-stroke digits on the Draw tab with the mouse as the browser tests do (Clear between two), and
times, in the page's own clock, the `pointerup` ending the stroke to the moment the label shows a
digit, in two parts:
  - the browser preparing the drawing (Gradio's sketchpad turns its layers into PNGs and uploads
    them) until the event is sent (`queue/join`),
  - the answer: Gradio's queue, our reading of the drawing (with "where it looked") and the page
    showing the result.
Here chromium runs without a GPU: the sketchpad's WebGL canvas is drawn and read back in software,
so the first part (and the drawing itself, ~30 s a stroke under Playwright) is far slower than on
a person's device with a GPU (a plain 2D canvas of the same size encodes to PNG in 3–9 ms here).

    python benchmarks/bench_browser.py [--rounds 1]

Last line: one JSON object with the p50 of the whole wait and of each part, and the digits read right.
"""
import argparse
import json
import pathlib
import shutil
import sys
import time

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from load_test import start_server  # noqa: E402
# The browser tests' own browser flags, label and drawing hand: the benchmark draws as they do.
from test_browser import CHROMIUM_ARGS, LABEL, draw, wait_for_brush  # noqa: E402

ONE_STROKE_DIGITS = [0, 1, 2, 3, 5, 6, 7, 8, 9]  # the hand-made 4 takes two strokes
# Page-side clock: the last pointerup, the first moment after it that the label shows a digit, and
# the requests' resource timings.
WATCH_JS = """() => {
  window.__answer = {up: null, shown: null, requests: []};
  document.addEventListener('pointerup', () => { window.__answer.up = performance.now(); }, true);
  new MutationObserver(() => {
    const text = document.querySelector('%s')?.innerText.trim() || '';
    if (window.__answer.up !== null && window.__answer.shown === null && /^\\d$/.test(text))
      window.__answer.shown = performance.now();
  }).observe(document.querySelector('#label'), {subtree: true, childList: true, characterData: true});
  new PerformanceObserver(list => list.getEntries().forEach(e =>
    window.__answer.requests.push([e.name, e.startTime, e.responseEnd]))).observe({type: 'resource'});
}""" % LABEL
RESET_JS = "() => { window.__answer.up = null; window.__answer.shown = null; window.__answer.requests = []; }"


def parts(answer):
    """(the browser preparing the drawing, the answer) in ms for one drawing, from the page's clock."""
    join = next(r for r in answer["requests"] if "/queue/join" in r[0] and r[1] >= answer["up"])
    return join[1] - answer["up"], answer["shown"] - join[1]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=1, help="each one-stroke digit this many times")
    args = p.parse_args()
    proc, url = start_server()
    waits, splits, right = [], [], 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            page.wait_for_selector("#sketch canvas", timeout=60_000)
            wait_for_brush(page)
            page.evaluate(WATCH_JS)
            for digit in ONE_STROKE_DIGITS * args.rounds:
                page.get_by_role("button", name="Clear", exact=True).click()
                page.wait_for_function(f"() => /Draw a digit/.test(document.querySelector('{LABEL}')?.innerText)")
                time.sleep(0.5)  # the hand back on the canvas
                page.evaluate(RESET_JS)
                draw(page, digit)
                page.wait_for_function("() => window.__answer.shown !== null", timeout=30_000)
                answer = page.evaluate("() => window.__answer")
                waits.append(answer["shown"] - answer["up"])
                splits.append(parts(answer))
                print(f"  {digit}: {waits[-1]:.0f} ms (browser {splits[-1][0]:.0f}, answer {splits[-1][1]:.0f})",
                      flush=True)
                right += page.locator(LABEL).inner_text().strip() == str(digit)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)
    browser_ms, answer_ms = (float(np.median(part)) for part in zip(*splits))
    result = {"p50_ms": round(float(np.median(waits)), 1), "max_ms": round(float(max(waits)), 1),
              "browser_p50_ms": round(browser_ms, 1), "answer_p50_ms": round(answer_ms, 1),
              "drawings": len(waits), "read_right": right}
    print(f"pen up → answer on the page, {len(waits)} one-stroke drawings: p50 {result['p50_ms']} ms (max "
          f"{result['max_ms']}): the browser preparing the drawing {result['browser_p50_ms']} ms, then the "
          f"answer (queue, server, page) {result['answer_p50_ms']} ms; {right} read right")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
