"""The reference for `bench_app.py`: the least a Gradio Sketchpad → Label app does, with a trivial
model (the ink share of each tenth of the canvas), launched with the same queue settings as ours.

    python benchmarks/bare_app.py --port P
"""
import argparse

import gradio as gr
import numpy as np


def trivial_model(value):
    image = value["composite"] if isinstance(value, dict) else value
    ink = 1.0 - np.asarray(image, dtype=np.float32)[..., :3].mean() / 255 if image is not None else 0.0
    scores = np.full(10, 1e-3) + ink * np.arange(10)
    scores /= scores.sum()
    return {str(d): float(s) for d, s in enumerate(scores)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    with gr.Blocks() as demo:
        sketch = gr.Sketchpad(type="numpy", image_mode="RGBA", format="png", canvas_size=(800, 800))
        label = gr.Label()
        gr.Button().click(trivial_model, sketch, label, api_name="predict")
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(server_name="127.0.0.1", server_port=args.port, max_file_size="10mb")


if __name__ == "__main__":
    main()
