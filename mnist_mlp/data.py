"""Find and load MNIST as in-memory tensors.

The four canonical IDX files are read directly (the whole set is ~55 MB as uint8), which is
simpler and much faster than going through `torchvision.datasets.MNIST` sample by sample.
torchvision is only used to download the files when they are not on disk.
"""
from __future__ import annotations

import functools
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}
IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension
DEFAULT_ROOT = Path("data")


class MnistError(RuntimeError):
    """MNIST could not be found, downloaded or read; the message says how to fix it."""


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # uint8 [N, 28, 28], white digit on black
    labels: torch.Tensor  # int64 [N]
    sha256: str  # of the image and label files, recorded in weights cards

    def __len__(self) -> int:
        return len(self.labels)


def resolve_root(data_dir: str | os.PathLike | None = None) -> Path:
    """Where MNIST lives: the --data-dir flag, else $MNIST_ROOT, else ./data."""
    if data_dir:
        return Path(data_dir)
    if os.environ.get("MNIST_ROOT"):
        return Path(os.environ["MNIST_ROOT"])
    return DEFAULT_ROOT


def raw_dir(root: Path) -> Path:
    return Path(root) / "MNIST" / "raw"


def read_idx(path: Path, magic: int, count: int | None = None) -> np.ndarray:
    """Read one uncompressed IDX file, checking its header against its size."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise MnistError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    found_magic, n = struct.unpack(">II", data[:8])
    if found_magic != magic:
        raise MnistError(f"{path}: not an MNIST IDX file of this kind (magic {found_magic}, expected {magic})")
    dims = [n]
    if magic == IMAGES_MAGIC:
        rows, cols = struct.unpack(">II", data[8:16])
        if (rows, cols) != (28, 28):
            raise MnistError(f"{path}: images are {rows}x{cols}, expected 28x28")
        dims += [rows, cols]
    header = 4 + 4 * len(dims)
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise MnistError(f"{path}: {len(data)} bytes but its header promises {expected} — truncated or corrupt")
    if count is not None and n != count:
        raise MnistError(f"{path}: holds {n} items, the canonical MNIST file holds {count}")
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)
    if magic == LABELS_MAGIC and array.size and array.max() > 9:
        raise MnistError(f"{path}: label {int(array.max())} is not a digit")
    return array


def _files_present(root: Path) -> bool:
    return all((raw_dir(root) / name).is_file() for split in FILES.values() for name in split[:2])


def _download(root: Path) -> None:
    """Fetch the files with torchvision (users online need no extra step)."""
    from torchvision.datasets import MNIST

    for train in (True, False):
        MNIST(root=str(root), train=train, download=True)


def ensure_files(root: Path, download: bool = True) -> Path:
    root = Path(root)
    if _files_present(root):
        return root
    reason = "download not attempted"
    if download:
        try:
            _download(root)
            if _files_present(root):
                return root
            reason = "download finished but the files are still missing"
        except Exception as error:  # any network/filesystem failure becomes one clear message
            reason = f"{type(error).__name__}: {error}"
    raise MnistError(
        f"MNIST not found in {raw_dir(root).resolve()} and could not be downloaded ({reason}).\n"
        "Fix: put the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) in ROOT/MNIST/raw and pass "
        "--data-dir ROOT or set MNIST_ROOT=ROOT."
    )


@functools.lru_cache(maxsize=4)
def _load_split(raw: Path, split: str) -> Split:
    images_name, labels_name, count = FILES[split]
    images = read_idx(raw / images_name, IMAGES_MAGIC, count)
    labels = read_idx(raw / labels_name, LABELS_MAGIC, count)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    return Split(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)), digest)


def load_mnist(split: str, data_dir: str | os.PathLike | None = None, download: bool = True) -> Split:
    """Load 'train' (60,000) or 'test' (10,000) MNIST as tensors; cached per process."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = ensure_files(resolve_root(data_dir), download=download)
    return _load_split(raw_dir(root).resolve(), split)
