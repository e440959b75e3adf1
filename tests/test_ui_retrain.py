"""The Retrain tab's handlers, called directly (no server): forms, the one access rule, the views."""
import asyncio

import numpy as np
import pytest

from mnist_mlp.corrections import CorrectionStore
from mnist_mlp.inference import Predictor
from mnist_mlp.retrain import RunResult, RunState, TrainingJob
from mnist_mlp.ui.common import PUBLIC_LINK_MESSAGE, Access
from mnist_mlp.ui.retrain import (WEIGHT_UNITS_SHOWN, RetrainLogic, config_from_controls, parse_hidden,
                                  per_digit_table)
from mnist_mlp.weights import DEFAULT_WEIGHTS

FORM = dict(preset="fast", hidden="64, 32", dropout=0.1, epochs=2, batch_size=64, lr=0.01, optimizer="sgd",
            augment=True, subset=1000, seed=7)


@pytest.fixture
def logic(tmp_path):
    def make(allow_training=True):
        job = TrainingJob(Predictor.load(DEFAULT_WEIGHTS), save_dir=tmp_path)
        return RetrainLogic(job, CorrectionStore(tmp_path / "corrections"), Access(allow_training))
    return make


def test_the_form_becomes_a_validated_config():
    config = config_from_controls(**FORM)
    assert (config.hidden, config.epochs, config.optimizer, config.limit_train, config.seed) == ((64, 32), 2, "sgd", 1000, 7)
    assert parse_hidden("512 256") == parse_hidden("512, 256") == (512, 256)
    for field, value, message in [("hidden", "abc", "whole numbers"), ("hidden", "", "at least one"),
                                  ("epochs", 1.5, "whole number"), ("lr", -1, "learning rate"),
                                  ("hidden", "100000", "from 1 to")]:
        with pytest.raises(ValueError, match=message):
            config_from_controls(**{**FORM, field: value})


def test_on_a_public_link_every_server_side_action_is_refused(logic, tmp_path):
    public = logic(allow_training=False)
    for action, args in [(public.cancel, ()), (public.use, ()), (public.save, (True,)), (public.revert, ()),
                         (public.import_corrections, (str(tmp_path / "x.zip"),))]:
        assert action(*args) == PUBLIC_LINK_MESSAGE, action.__name__
    assert public.export_corrections() == (None, PUBLIC_LINK_MESSAGE)

    async def stream():
        return [update async for update in public.train_stream(*FORM.values())]
    updates = asyncio.run(stream())
    assert len(updates) == 1 and updates[0][-1] == PUBLIC_LINK_MESSAGE
    assert public.job.snapshot().status == "idle"  # nothing started


def test_actions_without_a_finished_run_say_so(logic):
    allowed = logic()
    assert "No finished training run" in allowed.use()
    assert "No finished training run" in allowed.save(False)
    assert allowed.cancel() == "Nothing is training."


def test_a_finished_run_shows_per_digit_accuracy_and_first_layer_weights(logic):
    confusion = np.diag(np.arange(100, 110))
    confusion[3, 5] = 10
    state = RunState(status="done", confusion=confusion,
                     result=RunResult(DEFAULT_WEIGHTS, 0.99, 1.0, {}))
    view = logic().view(state, "done")
    table, weights = view[6], view[7]
    assert list(table["digit"]) == [str(d) for d in range(10)]
    assert table.loc[3, "test images"] == 113 and table.loc[3, "right"] == 103 and table.loc[3, "accuracy"] == "91.15%"
    rows = -(-WEIGHT_UNITS_SHOWN // 8)
    assert weights.shape == (rows * (84 + 2) + 2, 8 * (84 + 2) + 2, 3)
    assert (weights[..., 0] > weights[..., 2]).any() and (weights[..., 2] > weights[..., 0]).any()  # red and blue
    assert per_digit_table(None).empty
