"""Lazy session configs: a session that is only asked for one block's config builds that one; one
that needs them all (a deep link) gets exactly what Gradio would have built."""
from gradio import state_holder

from mnist_mlp import sessions
from mnist_mlp.ui import build_demo


def test_lazy_session_configs_equal_gradios_own(predictor, tmp_path, monkeypatch):
    demo = build_demo(predictor, corrections_dir=str(tmp_path))
    eager = state_holder.SessionState(demo)
    monkeypatch.setattr(state_holder.SessionState, "__init__", state_holder.SessionState.__init__)
    assert sessions.install()
    lazy = state_holder.SessionState(demo)
    assert dict.__len__(lazy.config_values) == 0  # nothing built yet
    some_key = next(iter(eager.config_values))
    assert some_key in lazy.config_values and dict.__len__(lazy.config_values) == 0
    assert lazy.config_values[some_key] == eager.config_values[some_key]
    assert dict.__len__(lazy.config_values) == 1  # only the block that was read
    assert dict(lazy.config_values.items()) == eager.config_values
    assert list(lazy.components) == list(eager.components)
    assert len(eager.config_values) > 50
