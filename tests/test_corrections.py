"""The corrections dataset: append-only, safe for concurrent writers, and an import that is all or
nothing and bounded however the archive is made."""
import io
import re
import threading
import zipfile

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from conftest import RunningApp
from mnist_mlp.corrections import INDEX, MAX_IMPORT, MAX_ORIGINAL_SIDE, CorrectionStore
from mnist_mlp.preprocess import to_mnist
from mnist_mlp.synthetic_handwriting import draw_digit


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def archive(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


DIGIT_PNG = png(Image.fromarray((to_mnist(draw_digit(3)) * 255).astype(np.uint8)))


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_correction_store_is_append_only_and_safe_for_concurrent_writers(tmp_path):
    store = CorrectionStore(tmp_path / "c")
    image = to_mnist(draw_digit(3))

    def add_many(label):
        for _ in range(20):
            store.add(image, label, draw_digit(3))

    threads = [threading.Thread(target=add_many, args=(d,)) for d in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    images, labels = store.load()
    assert store.count() == 80 and images.shape == (80, 28, 28)
    assert sorted(np.bincount(labels).tolist()) == [20, 20, 20, 20]
    assert len(list((tmp_path / "c").glob("*.original.png"))) == 80
    archive = store.export_zip()
    other = CorrectionStore(tmp_path / "other")
    assert other.import_zip(archive) == 80 and other.count() == 80
    assert np.array_equal(other.load()[0], images)
    with pytest.raises(ValueError, match="not a corrections archive"):
        other.import_zip(b"not a zip")
    with pytest.raises(ValueError):
        store.add(image, 12)



def test_a_bad_row_imports_nothing(tmp_path):
    store = CorrectionStore(tmp_path / "c")
    for bad in ("12", "x", ""):
        data = archive({"a.png": DIGIT_PNG, "labels.csv": f"file,label\na.png,1\na.png,2\na.png,{bad}\n".encode()})
        if bad == "":
            data = archive({"a.png": DIGIT_PNG, "labels.csv": b"file,label\na.png,1\nb.png,2\n"})
        with pytest.raises(ValueError, match="line|no file"):
            store.import_zip(data)
    assert store.count() == 0 and files_in(tmp_path / "c") in ([], [INDEX])


def test_labels_csv_of_newlines_is_refused_without_reading_it_all(tmp_path):
    """130 KB zipped, 128 MiB unzipped: refused once the first MB has been read."""
    import tracemalloc
    data = archive({"labels.csv": b"\n" * (128 * 2**20)})
    assert len(data) < 200_000
    tracemalloc.start()
    with pytest.raises(ValueError, match="labels.csv is over"):
        CorrectionStore(tmp_path / "c").import_zip(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_rows_are_limited_and_rows_naming_one_png_are_one_sample(tmp_path):
    store = CorrectionStore(tmp_path / "c")
    rows = "file,label\n" + "a.png,3\n" * 20_000
    with pytest.raises(ValueError, match=f"at most {MAX_IMPORT}"):
        store.import_zip(archive({"a.png": DIGIT_PNG, "labels.csv": rows.encode()}))
    rows = "file,label\n" + "a.png,3\n" * 5_000
    assert store.import_zip(archive({"a.png": DIGIT_PNG, "labels.csv": rows.encode()})) == 1
    assert store.count() == 1 and len(files_in(tmp_path / "c")) == 2  # one PNG + the index


@pytest.mark.parametrize("member,message", [
    (png(Image.new("L", (10_000, 10_000))), "too big|not 28"),  # a big PNG inside
    (png(Image.new("L", (64, 64))), "not 28×28"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a readable image"),
    (b"plain text", "not a readable image"),
])
def test_bad_members_get_a_clear_message(tmp_path, member, message):
    store = CorrectionStore(tmp_path / "c")
    with pytest.raises(ValueError, match=message):
        store.import_zip(archive({"a.png": member, "labels.csv": b"file,label\na.png,4\n"}))
    assert store.count() == 0


def test_corrupt_and_unsupported_archives_get_a_clear_message(tmp_path):
    store = CorrectionStore(tmp_path / "c")
    good = archive({"a.png": DIGIT_PNG, "labels.csv": b"file,label\na.png,4\n"})
    corrupt = bytearray(good)
    start = corrupt.index(b"labels.csv")  # scramble the compressed data after the local header
    corrupt[start + 12:start + 40] = b"\xff" * 28
    lzma = archive({"a.png": DIGIT_PNG, "labels.csv": b"file,label\na.png,4\n"}, zipfile.ZIP_LZMA)
    lzma = lzma.replace(b"\x0e\x00", b"\x63\x00")  # compression method 99 (AES): unsupported
    for data in (bytes(corrupt), lzma, good[: len(good) // 2]):
        with pytest.raises(ValueError):
            store.import_zip(data)
    assert store.count() == 0


def test_the_stored_copy_of_a_drawing_is_bounded(tmp_path):
    store = CorrectionStore(tmp_path / "c")
    huge = Image.effect_noise((4000, 3000), 80).convert("RGB")  # an upload of several MB
    sample = store.add(to_mnist(draw_digit(3)), 3, huge)
    copy = Image.open(tmp_path / "c" / f"{sample}.original.png")
    assert max(copy.size) <= MAX_ORIGINAL_SIDE


# ---------------------------------------------------------------- through the app

@pytest.fixture(scope="module")
def app_with_corrections(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrections")
    app = RunningApp("--corrections-dir", str(folder))
    app.folder = folder
    yield app
    app.stop()


def test_correct_endpoint_then_fine_tune_over_http(app_with_corrections, tmp_path):
    client = app_with_corrections.client()
    for i in range(6):
        drawing = tmp_path / f"d{i}.png"
        draw_digit(i % 3 + 1, pen=20 + i).save(drawing)
        message = client.predict({"background": None, "layers": [], "composite": handle_file(str(drawing))},
                                 str(i % 3 + 1), api_name="/correct")[0]
        assert f"{i + 1} correction" in message
    assert CorrectionStore(app_with_corrections.folder).count() == 6

    outputs = client.predict(preset="fast", hidden="512", dropout=0, epochs=1, batch_size=128, lr=0.0005,
                             optimizer="adam", augment=False, subset=2000, seed=0, fine_tune=True,
                             api_name="/train")
    log, status = outputs[3], outputs[-1]
    assert "Done" in status, status
    assert re.search(r"before: MNIST test [\d.]+%, held-out corrections", log)
    assert re.search(r"after: MNIST test [\d.]+%, held-out corrections", log)


def test_public_link_keeps_corrections_in_the_session(tmp_path):
    folder = tmp_path / "corrections"
    app = RunningApp("--share", "--corrections-dir", str(folder))
    try:
        drawing = tmp_path / "five.png"
        draw_digit(5).save(drawing)
        client = app.client()
        message = client.predict({"background": None, "layers": [], "composite": handle_file(str(drawing))}, "5",
                                 api_name="/correct")[0]
        assert "1 correction" in message
        assert not folder.exists() or CorrectionStore(folder).count() == 0
    finally:
        app.stop()
