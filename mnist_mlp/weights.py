"""Weights on disk: safetensors plus a JSON card, written atomically, loaded with validation.

The card (architecture, accuracy, how trained) is stored twice: inside the safetensors header
(metadata), so a weights file is self-describing and one atomic rename replaces both at once, and
as a readable `<name>.json` beside it for people and the About tab.

An average of networks (ensemble.py) is one MLP whose later hidden layers are block-diagonal: its
card's architecture lists the members' hidden sizes ("members"), and those layers are stored as their
diagonal blocks only (`layers.3.weight.block0`, …), so four 784-1200-1200-10 networks take 38 MB on
disk instead of 107 MB of mostly zeros; reading puts the zeros back.

No torch here: the web server reads weights as NumPy arrays (`read_weights`); `load_weights` builds
the torch module for training and the CLI, importing torch only then.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_save

from .config import MAX_PARAMETERS, MNIST_MEAN, MNIST_STD, check_architecture

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "mnist_mlp.safetensors"
CARD_KEY = "mnist_mlp_card"
PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")  # raw pickle protocol 2+, torch.save's zip archive
MAX_WEIGHTS_BYTES = MAX_PARAMETERS * 4 + 16 * 1024 * 1024  # float32 tensors + header and card


class WeightsError(ValueError):
    """A weights file that cannot be used; the message names the file and the reason."""


def card_path(weights_path: str | os.PathLike) -> Path:
    return Path(weights_path).with_suffix(".json")


def make_card(model, result=None, command: str | None = None, **extra) -> dict:
    card = {
        "format": "mnist_mlp/1",
        "architecture": model.architecture(),
        "parameters": model.parameter_count(),
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD, "input": "28x28 in [0,1], white on black"},
        "torch_version": str(getattr(sys.modules.get("torch"), "__version__", "?")),  # not TorchVersion
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


def _atomic_write(path: Path, data: bytes, overwrite: bool = True) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path` — or, with
    `overwrite=False`, link it to `path` only if nothing is there yet (FileExistsError otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; weights are ordinary readable files
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, and never replaces an existing file
            os.unlink(tmp)
    except BaseException:  # includes KeyboardInterrupt: never leave the temp file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_weights(model, card: dict, path: str | os.PathLike = DEFAULT_WEIGHTS, overwrite: bool = True) -> Path:
    """Atomically write `path` (.safetensors, card embedded) and then its JSON card. With
    `overwrite=False` an existing `path` raises FileExistsError and is left as it was.
    `model`: an MLP module (its state_dict) or a dict of NumPy arrays."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise WeightsError(f"{path}: weights are saved as .safetensors only")
    state = model if isinstance(model, dict) else model.state_dict()
    arrays = {k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, np.float32, order="C")
              for k, v in state.items()}  # np.array, not ascontiguousarray: that makes scalars 1-d
    members = card.get("architecture", {}).get("members")
    if members:
        arrays = _split_blocks(arrays, card["architecture"]["hidden"], members, path)
    card_json = json.dumps(card, indent=2, sort_keys=False)
    _atomic_write(path, safetensors_save(arrays, metadata={CARD_KEY: card_json}), overwrite)
    _atomic_write(card_path(path), (card_json + "\n").encode())
    return path


def copy_weights(source: str | os.PathLike, target: str | os.PathLike, overwrite: bool = True) -> Path:
    """Copy a weights file (validated first) and its card to `target`, atomically, as `save_weights`."""
    arrays, card = read_weights(source)
    return save_weights(arrays, card, target, overwrite)


def read_weights(path: str | os.PathLike = DEFAULT_WEIGHTS) -> tuple[dict[str, np.ndarray], dict]:
    """Read and validate a weights file: its float32 arrays by name (as in `MLP.state_dict()`) and
    its card. WeightsError names the file and the reason."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"{path}: {size} bytes is too large for an MNIST MLP")
    with path.open("rb") as f:
        head = f.read(9)
    # A safetensors file starts with its header's length (8 bytes, little-endian) and then "{"; that
    # length can begin with any byte, 0x80 too (a real file was refused as a pickle until this check).
    safetensors_like = len(head) == 9 and head[8:9] == b"{" and 8 + int.from_bytes(head[:8], "little") <= size
    if path.suffix in (".pt", ".pth", ".pkl", ".pickle", ".bin") or (
            not safetensors_like and head.startswith(PICKLE_MAGIC)):
        raise WeightsError(f"{path}: looks like a pickle/torch.save file; those can run code when "
                           "loaded, so only .safetensors weights are accepted")
    try:  # the header (shapes and the card) is checked before any tensor is read
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            if CARD_KEY not in metadata:
                raise WeightsError(f"{path}: has no embedded mnist_mlp card (was it written by this project?)")
            card = _checked_card(path, metadata[CARD_KEY])
            _check_shapes(path, card["architecture"], {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()})
            arrays = {name: f.get_tensor(name) for name in f.keys()}
            if card["architecture"].get("members"):
                arrays = _join_blocks(arrays, card["architecture"]["hidden"], card["architecture"]["members"])
    except (SafetensorError, OSError, ValueError, TypeError) as error:
        if isinstance(error, WeightsError):
            raise
        raise WeightsError(f"{path}: not a valid safetensors file ({error})") from None
    try:
        arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    except (TypeError, ValueError) as error:
        raise WeightsError(f"{path}: tensors are not numbers ({error})") from None
    bad = sorted(k for k, v in arrays.items() if not np.isfinite(v).all())
    if bad:
        raise WeightsError(f"{path}: tensors {bad} contain NaN or infinity")
    if not float(arrays["std"]) > 0:
        raise WeightsError(f"{path}: its input normalisation has std {float(arrays['std'])}; it must be > 0")
    return arrays, card


def load_weights(path: str | os.PathLike = DEFAULT_WEIGHTS):
    """Load and validate a weights file; return the torch MLP (eval mode) and its card."""
    import torch

    from .model import MLP

    arrays, card = read_weights(path)
    model = MLP.from_architecture(card["architecture"])
    model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
    model.eval()
    return model, card


def _checked_card(path: Path, text: str) -> dict:
    """The embedded card, refused unless it describes an MLP the project can build (no allocation)."""
    try:
        card = json.loads(text)
        arch = card["architecture"]
        check_architecture(arch["hidden"], arch.get("activation", "relu"), arch.get("dropout", 0.0))
        members = arch.get("members")
        if members is not None and not (
                isinstance(members, list) and members
                and all(isinstance(m, list) and len(m) == len(arch["hidden"]) and all(
                    isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in m) for m in members)
                and [sum(m[i] for m in members) for i in range(len(arch["hidden"]))] == list(arch["hidden"])):
            raise ValueError(f"members {members!r} must be hidden sizes, one list per network, adding up to "
                             f"{arch['hidden']}")
        std = (card.get("normalization") or {}).get("std", MNIST_STD)
        if not (isinstance(std, (int, float)) and std > 0):
            raise ValueError(f"normalization std {std!r} must be a number > 0")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise WeightsError(f"{path}: its card does not describe a usable MLP ({error})") from None
    return card


def _block_layers(hidden, members) -> dict[str, list[tuple[slice, slice]]]:
    """{weight name: (rows, columns) of each diagonal block} for the hidden-to-hidden layers of an
    average whose members have the hidden sizes `members` (the first layer reads the pixels, shared by
    all; the output layer adds every member's logits: both are dense)."""
    layers = {}
    for i in range(1, len(hidden)):
        rows = np.cumsum([0] + [m[i] for m in members]).tolist()
        cols = np.cumsum([0] + [m[i - 1] for m in members]).tolist()
        layers[f"layers.{3 * i}.weight"] = [(slice(r0, r1), slice(c0, c1))
                                             for r0, r1, c0, c1 in zip(rows, rows[1:], cols, cols[1:])]
    return layers


def _block_shape(block: tuple[slice, slice]) -> tuple[int, int]:
    return block[0].stop - block[0].start, block[1].stop - block[1].start


def _split_blocks(arrays: dict, hidden, members, path) -> dict:
    """The arrays with each block-diagonal layer replaced by its diagonal blocks (save_weights)."""
    out = dict(arrays)
    for name, blocks in _block_layers(hidden, members).items():
        rest = out.pop(name).copy()  # what lies outside the blocks must be zeros
        for j, block in enumerate(blocks):
            out[f"{name}.block{j}"] = rest[block].copy()
            rest[block] = 0
        if rest.any():
            raise WeightsError(f"{path}: the card names the members of an average, but {name} has weights "
                               "outside their diagonal blocks (a fine-tuned average is a plain MLP: save it "
                               "with a card of its own)")
    return out


def _join_blocks(arrays: dict, hidden, members) -> dict:
    """The dense arrays of an average stored as diagonal blocks: zeros outside them (read_weights)."""
    out = dict(arrays)
    for name, blocks in _block_layers(hidden, members).items():
        rows, cols = blocks[-1][0].stop, blocks[-1][1].stop
        dense = np.zeros((rows, cols), np.float32)
        for j, block in enumerate(blocks):
            dense[block] = out.pop(f"{name}.block{j}")
        out[name] = dense
    return out


def _check_shapes(path: Path, arch: dict, found: dict[str, tuple]) -> None:
    """Tensor names and shapes in the file against the card's architecture, from the header alone."""
    widths = [28 * 28, *arch["hidden"], 10]
    expected = {"mean": (), "std": ()}
    for i, (a, b) in enumerate(zip(widths, widths[1:])):  # MLP.layers: Linear, act, Dropout, …, Linear
        expected[f"layers.{3 * i}.weight"] = (b, a)
        expected[f"layers.{3 * i}.bias"] = (b,)
    if arch.get("members"):  # an average: its block-diagonal layers are stored as their blocks
        for name, blocks in _block_layers(arch["hidden"], arch["members"]).items():
            del expected[name]
            expected.update({f"{name}.block{j}": _block_shape(block) for j, block in enumerate(blocks)})
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
