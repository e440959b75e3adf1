"""MNIST loading: IDX parsing, validation of wrong files, and where the data is looked for."""
import struct

import numpy as np
import pytest

from mnist_mlp.data import IMAGES_MAGIC, LABELS_MAGIC, MnistError, load_mnist, read_idx, resolve_root


def write_idx(path, magic, array):
    header = struct.pack(">II", magic, array.shape[0])
    if magic == IMAGES_MAGIC:
        header += struct.pack(">II", *array.shape[1:])
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_reads_images_and_labels_written_by_the_test(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28))
    write_idx(tmp_path / "img", IMAGES_MAGIC, images)
    write_idx(tmp_path / "lab", LABELS_MAGIC, np.array([7, 0, 9]))
    assert np.array_equal(read_idx(tmp_path / "img", IMAGES_MAGIC), images)
    assert read_idx(tmp_path / "lab", LABELS_MAGIC).tolist() == [7, 0, 9]


def test_truncated_file_is_refused(tmp_path):
    write_idx(tmp_path / "img", IMAGES_MAGIC, np.zeros((3, 28, 28)))
    data = (tmp_path / "img").read_bytes()
    (tmp_path / "img").write_bytes(data[:-100])
    with pytest.raises(MnistError, match="truncated"):
        read_idx(tmp_path / "img", IMAGES_MAGIC)


def test_wrong_kind_of_file_and_wrong_count_are_refused(tmp_path):
    write_idx(tmp_path / "lab", LABELS_MAGIC, np.array([1, 2]))
    with pytest.raises(MnistError, match="magic"):
        read_idx(tmp_path / "lab", IMAGES_MAGIC)
    with pytest.raises(MnistError, match="canonical"):
        read_idx(tmp_path / "lab", LABELS_MAGIC, count=60_000)
    write_idx(tmp_path / "bad", LABELS_MAGIC, np.array([1, 12]))
    with pytest.raises(MnistError, match="not a digit"):
        read_idx(tmp_path / "bad", LABELS_MAGIC)


def test_missing_data_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(MnistError) as error:
        load_mnist("test", tmp_path / "nowhere", download=False)
    message = str(error.value)
    assert str((tmp_path / "nowhere" / "MNIST" / "raw").resolve()) in message
    assert "MNIST_ROOT" in message and "--data-dir" in message


def test_root_order_is_flag_then_env_then_data(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path))
    assert resolve_root("/flag") == type(tmp_path)("/flag")
    assert resolve_root() == tmp_path
    monkeypatch.delenv("MNIST_ROOT")
    assert str(resolve_root()) == "data"


def test_real_mnist_has_the_canonical_sizes(mnist_train, mnist_test):
    assert tuple(mnist_train.images.shape) == (60_000, 28, 28)
    assert tuple(mnist_test.images.shape) == (10_000, 28, 28)
    assert mnist_train.labels.bincount().tolist()[:2] == [5923, 6742]  # known class counts
    assert abs(mnist_train.images.float().mean().item() / 255 - 0.1307) < 1e-3
