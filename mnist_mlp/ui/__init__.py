"""The Gradio app, one module per tab. `app.py` only parses flags and launches.

Each tab module has a small logic object whose methods are the handlers (tests call them without
a server) and a layout function that only creates components and wires events:
    common.py    canvas, CSS/JS, reading a sketch value, presenting a prediction, `Access` (who may
                 train, save, switch or import — decided once, in `server_side`)
    pictures.py  enlarged inputs, "where it looked", pipeline figure, confusion matrix, weight images
    draw.py, upload.py, number.py, challenge.py, retrain.py, about.py   the tabs
    inside.py, compare.py, plain.py   the Draw tab's panels (computed only while open)

Stable API (see README): `predict` takes a sketchpad value, `predict_image` one image file; both
return the gr.Label value. Also `predict_number`, `correct`, the views into the network `inside`,
`compare`, `predict_plain`, and the Retrain tab's `train`,
`cancel_training`, `use_trained_model`, `save_trained_model`, `revert_model`, `export_corrections`,
`import_corrections`.
"""
from __future__ import annotations

import gradio as gr

from ..corrections import CorrectionStore
from ..inference import Predictor
from ..retrain import TrainingJob
from ..shelf import ModelShelf
from .about import AboutLogic, about_tab
from .challenge import ChallengeLogic, challenge_tab
from .common import CSS, EMPTY_LABEL, SELECT_BRUSH_JS, Access, ensure_examples, ensure_photo_examples, note_for  # noqa: F401 (CSS, … for app.py, tests)
from .compare import CompareLogic, compare_panel
from .draw import DrawLogic, draw_tab
from .inside import InsideLogic, inside_panel
from .number import NumberLogic, number_tab
from .plain import PlainLogic, plain_panel
from .retrain import RetrainLogic, retrain_tab
from .upload import UploadLogic, upload_tab


def build_demo(predictor: Predictor, *, allow_training: bool = True, data_dir: str | None = None,
               training_threads: int | None = None, save_dir: str | None = None,
               corrections_dir: str = "corrections", job: TrainingJob | None = None) -> gr.Blocks:
    """The whole UI. `allow_training=False` (public link without auth) refuses training, saving,
    switching and importing on the server, not only in the page."""
    access = Access(allow_training)
    store = CorrectionStore(corrections_dir)
    job = job or TrainingJob(predictor, data_dir=data_dir, threads=training_threads, save_dir=save_dir)
    examples = ensure_examples()
    shelf = ModelShelf([job.default_weights.parent, job.weights_dir], job.latest_result_path)

    # Uploaded files and exports are deleted after an hour (checked every 10 minutes).
    with gr.Blocks(title="Draw a digit — MNIST MLP", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# Draw a digit\nA small PyTorch multilayer perceptron reads your handwriting.")
        session_corrections = gr.State([])  # corrections on a public link without a login
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                draw_tab(DrawLogic(predictor, store, access), examples, session_corrections,
                         lambda sketch, drawing: [inside_panel(InsideLogic(predictor), sketch, drawing),
                                                  compare_panel(CompareLogic(predictor, shelf), sketch, drawing),
                                                  plain_panel(PlainLogic(predictor), sketch, drawing)])
            with gr.Tab("Upload", id="upload"):
                upload_tab(UploadLogic(predictor), ensure_photo_examples())
            with gr.Tab("Number", id="number") as tab:
                number_tab(NumberLogic(predictor), tab)
            with gr.Tab("Challenge", id="challenge") as tab:
                challenge_tab(ChallengeLogic(predictor, store, access), tab, session_corrections)
            with gr.Tab("Retrain", id="retrain"):
                retrain_tab(RetrainLogic(job, store, access))
            with gr.Tab("About", id="about") as tab:
                about_tab(AboutLogic(predictor), tab, examples[0])
        demo.load(None, None, None, js=SELECT_BRUSH_JS)
    demo.training_job = job  # app.py stops its run on exit
    return demo
