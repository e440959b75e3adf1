"""The Upload tab: a photo, scan or paste of one digit. API: `predict_image` (file → gr.Label value)."""
from __future__ import annotations

import gradio as gr

from ..inference import Predictor
from ..preprocess import open_image
from .common import captioned, read_prediction

START_NOTE = "Upload, paste or take a photo of one handwritten digit."


class UploadLogic:
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def predict_file(self, path, explain: bool = True):
        """→ (label value, what the model saw, where it looked, note)."""
        if not path:
            return "Upload a photo of one digit", None, None, START_NOTE
        return read_prediction(self.predictor, lambda: open_image(path), explain)[1:]

    def predict_file_label(self, path):
        return self.predict_file(path, explain=False)[0]


def upload_tab(logic: UploadLogic, examples) -> None:
    with gr.Row():
        upload = gr.Image(label="A photo or scan of one handwritten digit", type="filepath",
                          image_mode=None,  # Gradio then reads only the header; we decode
                          sources=["upload", "webcam", "clipboard"], elem_id="upload")
        with gr.Column():
            label = gr.Label(num_top_classes=3, label="Prediction")
            note = gr.Markdown(START_NOTE, elem_id="upload-note")
            with gr.Row():
                seen = captioned(gr.Image, "What the model sees (28×28)", interactive=False, height=240, width=240,
                                 buttons=[], elem_classes="pixelated", elem_id="upload-seen")
                looked = captioned(gr.Image, "Where it looked", interactive=False, height=240, width=240, buttons=[],
                                   elem_id="upload-looked")
    gr.Examples(examples=[str(p) for p in examples], inputs=upload, label="Example photos")
    upload.change(logic.predict_file, upload, [label, seen, looked, note], show_progress="hidden",
                  api_visibility="private")
    # The stable API. A plain file (not gr.Image) so the bytes reach our own safe decoder undecoded.
    api_image = gr.File(type="filepath", visible=False)
    api_label = gr.Label(visible=False)
    gr.Button(visible=False).click(logic.predict_file_label, api_image, api_label, api_name="predict_image")
