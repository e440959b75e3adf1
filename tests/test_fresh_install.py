"""What a new user does on a fresh machine: the requirements name every import, and the README's
first command (`python app.py`) starts and answers a drawing."""
import subprocess
import sys

from gradio_client import handle_file

from conftest import ROOT, RunningApp
from mnist_mlp.synthetic_handwriting import draw_digit

CHECKER = ROOT.parent / "shared" / "tools" / "check_requirements.py"


def test_requirements_txt_names_every_third_party_import():
    assert CHECKER.exists(), f"{CHECKER} is needed to check requirements.txt"
    proc = subprocess.run([sys.executable, str(CHECKER), str(ROOT)], capture_output=True, text=True, timeout=120)
    assert "not in requirements.txt" not in proc.stdout, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python_app_py_as_a_user_types_it(tmp_path):
    """`python app.py` with the interpreter running the tests (in CI: the fresh venv's), no flags."""
    app = RunningApp(port_flag=False)
    try:
        path = tmp_path / "two.png"
        draw_digit(2, transparent=True).save(path)
        value = {"background": None, "layers": [], "composite": handle_file(str(path))}
        assert app.client().predict(value, api_name="/predict")["label"] == "2"
        assert "Traceback" not in app.output()
    finally:
        app.stop()
