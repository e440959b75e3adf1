"""The Retrain tab's endpoints through gradio_client against a running app."""
import re
import shutil
import time

import pytest
from gradio_client import handle_file

from conftest import RunningApp
from mnist_mlp.synthetic_handwriting import draw_digit
from mnist_mlp.weights import DEFAULT_WEIGHTS, card_path, load_weights

TINY = dict(preset="fast", hidden="64", dropout=0, epochs=1, batch_size=128, lr=0.003, optimizer="adam",
            augment=False, subset=4000, seed=0)
LONG = {**TINY, "hidden": "256", "epochs": 50, "subset": 60000}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    weights = folder / "start.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    shutil.copy(card_path(DEFAULT_WEIGHTS), card_path(weights))
    running = RunningApp("--weights", str(weights))
    running.weights = weights
    yield running
    running.stop()


def train(client, **controls):
    """Start a run and return the final (progress, …, status) outputs."""
    return client.predict(**{**TINY, **controls}, api_name="/train")


def status_of(outputs):
    return outputs[-1]


def test_tiny_run_reaches_real_accuracy_then_use_save_and_revert(app, tmp_path):
    client = app.client()
    outputs = train(client)
    status = status_of(outputs)
    assert "Done" in status, status
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", status).group(1)) / 100
    assert accuracy >= 0.85
    assert outputs[4] is not None  # confusion matrix image
    assert len(outputs[5]) > 0  # misclassified digits gallery

    drawing = tmp_path / "five.png"
    draw_digit(5).save(drawing)
    before = client.predict(handle_file(str(drawing)), api_name="/predict_image")
    assert "new model" in client.predict(api_name="/use_trained_model")
    after = client.predict(handle_file(str(drawing)), api_name="/predict_image")
    assert after["confidences"] != before["confidences"]

    message = client.predict(False, api_name="/save_trained_model")
    saved = app.weights.parent / re.search(r"`(retrained-[^`]+)`", message).group(1)
    model, card = load_weights(saved)
    assert card["architecture"]["hidden"] == [64] and card["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    original = app.weights.read_bytes()
    assert "default" in client.predict(True, api_name="/save_trained_model")
    assert load_weights(app.weights)[1]["architecture"]["hidden"] == [64]
    backups = list(app.weights.parent.glob("start.backup-*.safetensors"))
    assert len(backups) == 1 and load_weights(backups[0])[1]["architecture"]["hidden"] != [64]

    # put the original back as the default and revert to it
    app.weights.write_bytes(original)
    assert "default model" in client.predict(api_name="/revert_model")
    reverted = client.predict(handle_file(str(drawing)), api_name="/predict_image")
    assert reverted["confidences"] == before["confidences"]


def test_invalid_settings_start_nothing(app):
    client = app.client()
    for bad in (dict(epochs=0), dict(hidden="abc"), dict(hidden="100000"), dict(lr=-1)):
        status = status_of(train(client, **bad))
        assert "Not started" in status, (bad, status)


def test_cancel_stops_quickly_and_a_second_start_is_refused(app):
    first, second = app.client(), app.client()
    job = first.submit(**LONG, api_name="/train")
    deadline = time.time() + 60
    while time.time() < deadline and "running" not in str(job.outputs()[-1:]):
        time.sleep(0.3)
    assert "running" in str(job.outputs()[-1:]), job.outputs()[-1:]
    # another browser: no second run, it follows the first one
    follower = second.submit(**TINY, api_name="/train")
    deadline = time.time() + 30
    while time.time() < deadline and not follower.outputs():
        time.sleep(0.2)
    assert "already running" in status_of(follower.outputs()[0])
    asked = time.time()
    assert "Cancelling" in second.predict(api_name="/cancel_training")
    final = job.result(timeout=30)
    assert time.time() - asked < 5
    assert "Cancelled" in status_of(final)
    follower.result(timeout=30)


def test_public_link_without_auth_refuses_training_server_side():
    app = RunningApp("--share")
    try:
        client = app.client()
        assert "disabled on this public link" in status_of(train(client))
        assert "disabled on this public link" in client.predict(False, api_name="/save_trained_model")
        assert "disabled on this public link" in client.predict(api_name="/use_trained_model")
    finally:
        app.stop()


def test_two_default_saves_50_ms_apart_keep_the_original(tmp_path, mnist_root):
    """Backups never overwrite: after two quick 'save as default', the original is still there."""
    from mnist_mlp.inference import Predictor
    from mnist_mlp.retrain import TrainingJob
    from mnist_mlp.config import config_from_preset

    weights = tmp_path / "start.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    original = load_weights(weights)[0].state_dict()
    job = TrainingJob(Predictor.load(weights), data_dir=str(mnist_root))
    assert job.start(config_from_preset("fast", hidden=(16,), epochs=1, limit_train=500, target_acc=None))
    assert job.wait(120).status == "done"
    job.save(True)
    time.sleep(0.05)
    job.save(True)
    backups = sorted(tmp_path.glob("start.backup-*.safetensors"))
    assert len(backups) == 2
    kept = [load_weights(b)[0].state_dict() for b in backups]
    assert any(all(k[name].equal(original[name]) for name in original) for k in kept)


def test_a_killed_training_process_is_a_failed_run_and_changes_nothing(tmp_path, mnist_root):
    """The child runs at idle priority; kill -9 of it: the job says so, the server side goes on,
    nothing half-written."""
    import os
    import signal

    from mnist_mlp.config import config_from_preset
    from mnist_mlp.inference import Predictor
    from mnist_mlp.retrain import TrainingJob

    weights = tmp_path / "start.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    predictor = Predictor.load(weights)
    job = TrainingJob(predictor, data_dir=str(mnist_root))
    assert job.start(config_from_preset("default", hidden=(256,), epochs=50))
    deadline = time.time() + 60
    while time.time() < deadline and job.snapshot().batch == 0:  # well into training
        time.sleep(0.2)
    assert job.snapshot().batch > 0, job.snapshot()
    # the run takes only CPU time nobody else wants: a visitor's request preempts it at once
    assert os.sched_getscheduler(job.pid) == os.SCHED_IDLE
    os.kill(job.pid, signal.SIGKILL)
    state = job.wait(30)
    assert state.status == "failed" and "stopped unexpectedly" in state.message and "-9" in state.message
    assert not list(job.runs_dir.iterdir())  # no result, no temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["start.safetensors"]
    with pytest.raises(ValueError, match="No finished training run"):
        job.use_result()
    assert predictor.path == weights and predictor.predict(draw_digit(3)).digit == 3
    assert job.start(config_from_preset("fast", hidden=(16,), epochs=1, limit_train=500, target_acc=None))
    assert job.wait(120).status == "done"  # and the next run works
    job.close()


def test_server_memory_returns_after_a_run_in_the_child():
    """The run's torch and MNIST live in the child: the server is back near its idle size."""
    from test_public_link import rss_mb

    app = RunningApp()
    try:
        client = app.client()
        idle = rss_mb(app.proc.pid)
        assert "Done" in status_of(train(client, hidden="512", subset=60000))
        time.sleep(1)
        after = rss_mb(app.proc.pid)
        assert after - idle < 50, (idle, after)  # importing torch alone would add ~600 MB
    finally:
        app.stop()
