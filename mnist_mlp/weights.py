"""Weights on disk: safetensors plus a JSON card, written atomically, loaded with validation.

The card (architecture, accuracy, how trained) is stored twice: inside the safetensors header
(metadata), so a weights file is self-describing and one atomic rename replaces both at once, and
as a readable `<name>.json` beside it for people and the About tab.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save

from .model import MLP, MNIST_MEAN, MNIST_STD

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "mnist_mlp.safetensors"
CARD_KEY = "mnist_mlp_card"
PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")  # raw pickle protocol 2+, torch.save's zip archive
MAX_WEIGHTS_BYTES = 512 * 1024 * 1024


class WeightsError(ValueError):
    """A weights file that cannot be used; the message names the file and the reason."""


def card_path(weights_path: str | os.PathLike) -> Path:
    return Path(weights_path).with_suffix(".json")


def make_card(model: MLP, result=None, command: str | None = None, **extra) -> dict:
    card = {
        "format": "mnist_mlp/1",
        "architecture": model.architecture(),
        "parameters": model.parameter_count(),
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD, "input": "28x28 in [0,1], white on black"},
        "torch_version": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    if result is not None:
        card.update({
            "test_accuracy": round(result.test_accuracy, 6),
            "epochs": result.epochs_run,
            "seed": result.config.seed,
            "seconds": round(result.seconds, 1),
            "train_samples": result.train_samples,
            "training_data_sha256": result.data_sha256,
            "config": result.config.as_dict(),
            "history": result.history,
        })
    card.update(extra)
    return card


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; weights are ordinary readable files
        os.replace(tmp, path)
    except BaseException:  # includes KeyboardInterrupt: never leave the temp file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_weights(model: MLP, card: dict, path: str | os.PathLike = DEFAULT_WEIGHTS) -> Path:
    """Atomically write `path` (.safetensors, card embedded) and then its JSON card."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise WeightsError(f"{path}: weights are saved as .safetensors only")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    card_json = json.dumps(card, indent=2, sort_keys=False)
    _atomic_write(path, safetensors_save(tensors, metadata={CARD_KEY: card_json}))
    _atomic_write(card_path(path), (card_json + "\n").encode())
    return path


def load_weights(path: str | os.PathLike = DEFAULT_WEIGHTS) -> tuple[MLP, dict]:
    """Load and validate a weights file; return the model (eval mode) and its card."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"{path}: {size} bytes is too large for an MNIST MLP")
    with path.open("rb") as f:
        head = f.read(4)
    if path.suffix in (".pt", ".pth", ".pkl", ".pickle", ".bin") or head.startswith(PICKLE_MAGIC):
        raise WeightsError(f"{path}: looks like a pickle/torch.save file; those can run code when "
                           "loaded, so only .safetensors weights are accepted")
    try:  # one read of the file: tensors and the metadata that holds the card
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"{path}: not a valid safetensors file ({error})") from None
    if CARD_KEY not in metadata:
        raise WeightsError(f"{path}: has no embedded mnist_mlp card (was it written by this project?)")
    try:
        card = json.loads(metadata[CARD_KEY])
        model = MLP.from_architecture(card["architecture"])
    except (ValueError, KeyError, TypeError) as error:
        raise WeightsError(f"{path}: its card does not describe an MLP ({error})") from None
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))
        unexpected = sorted(set(found) - set(expected))
        wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
        details = []
        if missing:
            details.append(f"missing {missing}")
        if unexpected:
            details.append(f"unexpected {unexpected}")
        for k in wrong:
            details.append(f"{k} has shape {list(found[k])}, expected {list(expected[k])}")
        raise WeightsError(f"{path}: tensors do not match the architecture in its card: " + "; ".join(details))
    bad = [k for k, v in tensors.items() if not torch.isfinite(v).all()]
    if bad:
        raise WeightsError(f"{path}: tensors {bad} contain NaN or infinity")
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    model.eval()
    return model, card
