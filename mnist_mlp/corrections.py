"""Corrections people make ("Wrong? It's a 7"): a local, append-only dataset of their handwriting.

Layout of the folder (git-ignored; `--corrections-dir`, default ./corrections):
    corrections.jsonl     one line per correction: {"id", "label", "time"}
    <id>.png              the 28×28 image the model saw (uint8, white on black, lossless)
    <id>.original.png     the drawing as it was sent
Images are written first, then the index line with one O_APPEND write under a lock, so
concurrent writers (threads or processes) never interleave or leave a half-listed sample.
"""
from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from .preprocess import ImageProblem, open_image

INDEX = "corrections.jsonl"
MIN_CORRECTIONS = 5  # fine-tuning needs this many (a fifth is held out to measure it)
MAX_IMPORT = 10_000  # rows per imported archive
MAX_LABELS_BYTES = 1024 * 1024  # labels.csv of an archive (10,000 rows take ~200 KB)
MAX_MEMBER_BYTES = 64 * 1024  # one 28×28 PNG of an archive (they take < 1 KB)
MAX_ORIGINAL_SIDE = 800  # the stored copy of a corrected drawing is at most this big (px)


class CorrectionStore:
    def __init__(self, folder: str | os.PathLike = "corrections"):
        self.folder = Path(folder)
        self._lock = threading.Lock()

    def add(self, image28: np.ndarray, label: int, original: Image.Image | None = None) -> str:
        """Store one correction; `original` (the drawing as sent) is kept as a PNG of at most
        MAX_ORIGINAL_SIDE px, so one click stores tens of KB, not the 10 MB an upload may be."""
        return self.add_many([(image28, label)], [original])[0]

    def add_many(self, samples: list[tuple[np.ndarray, int]], originals: list | None = None) -> list[str]:
        """Store several corrections at once: all their images are written first, then their index
        lines in one append — so a failure part-way (disk full) lists none of them."""
        if any(not 0 <= int(label) <= 9 for _, label in samples):
            raise ValueError("a correction's label must be a digit 0–9")
        self.folder.mkdir(parents=True, exist_ok=True)
        written, lines = [], []
        try:
            for (image28, label), original in zip(samples, originals or [None] * len(samples)):
                sample_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}"
                pixels = (np.clip(image28, 0, 1) * 255).round().astype(np.uint8)
                written.append(self.folder / f"{sample_id}.png")
                Image.fromarray(pixels).save(written[-1])
                if original is not None:
                    copy = original.copy()
                    copy.thumbnail((MAX_ORIGINAL_SIDE, MAX_ORIGINAL_SIDE))
                    written.append(self.folder / f"{sample_id}.original.png")
                    copy.save(written[-1], "PNG")
                lines.append(json.dumps({"id": sample_id, "label": int(label), "time": time.time()}) + "\n")
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        with self._lock:
            fd = os.open(self.folder / INDEX, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, "".join(lines).encode())
            finally:
                os.close(fd)
        return [json.loads(line)["id"] for line in lines]

    def entries(self) -> list[dict]:
        path = self.folder / INDEX
        if not path.exists():
            return []
        entries = []
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash: skip it, keep the rest
            if (self.folder / f"{entry['id']}.png").exists():
                entries.append(entry)
        return entries

    def count(self) -> int:
        return len(self.entries())

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 [N, 28, 28], labels int64 [N])."""
        entries = self.entries()
        images = [np.asarray(Image.open(self.folder / f"{e['id']}.png").convert("L")) for e in entries]
        return (np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
                np.array([e["label"] for e in entries], np.int64))

    def export_zip(self) -> bytes:
        """PNGs + labels.csv, to share or import elsewhere."""
        images, labels = self.load()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            rows = ["file,label"]
            for i, (image, label) in enumerate(zip(images, labels)):
                name = f"{i:06d}.png"
                png = io.BytesIO()
                Image.fromarray(image).save(png, "PNG")
                archive.writestr(name, png.getvalue())
                rows.append(f"{name},{int(label)}")
            archive.writestr("labels.csv", "\n".join(rows) + "\n")
        return buffer.getvalue()

    def import_zip(self, data: bytes) -> int:
        """Add the samples of an exported archive, all or none; return how many were new.
        Anything wrong with the archive raises ValueError with a message for the person."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                rows = _label_rows(archive)
                samples, seen = [], set()
                for number, (name, label) in enumerate(rows, start=2):
                    if name in seen:  # 20,000 rows naming one PNG are one sample
                        continue
                    seen.add(name)
                    samples.append((_member_image(archive, name, number) / 255.0, label))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
                NotImplementedError, zlib.error) as error:
            raise ValueError(f"not a corrections archive ({type(error).__name__}: {error})") from None
        if samples:
            self.add_many(samples)
        return len(samples)


def _label_rows(archive: zipfile.ZipFile) -> list[tuple[str, int]]:
    """labels.csv as (member name, digit) rows, read with byte and row limits as it streams."""
    try:
        info = archive.getinfo("labels.csv")
    except KeyError:
        raise ValueError("the archive has no labels.csv") from None
    rows = []
    with archive.open(info) as raw:
        text = io.TextIOWrapper(io.BufferedReader(_Limited(raw, MAX_LABELS_BYTES, "labels.csv")), encoding="utf-8",
                                newline="")
        for number, line in enumerate(text, start=1):
            line = line.strip()
            if number == 1 or not line:
                continue  # the header, blank lines
            if len(rows) >= MAX_IMPORT:
                raise ValueError(f"at most {MAX_IMPORT} corrections per import")
            name, sep, label = line.rpartition(",")
            if not sep or label.strip() not in tuple("0123456789"):
                raise ValueError(f"labels.csv line {number}: expected 'file,digit', got {line[:40]!r}")
            rows.append((name.strip(), int(label)))
    return rows


def _member_image(archive: zipfile.ZipFile, name: str, line: int) -> np.ndarray:
    """One 28×28 PNG of the archive as uint8, checked by its size and header before decoding."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"labels.csv line {line}: the archive has no file {name[:60]!r}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValueError(f"{name[:60]}: {info.file_size} bytes is too big for a 28×28 image")
    with archive.open(info) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise ValueError(f"{name[:60]}: too big for a 28×28 image")
    try:
        image = open_image(data, decode=False)  # the one header check (pixel limit, bombs)
    except ImageProblem as error:
        raise ValueError(f"{name[:60]}: not a readable image ({error})") from None
    if image.size != (28, 28):
        raise ValueError(f"{name[:60]} is {image.size[0]}×{image.size[1]}, not 28×28")
    try:
        return np.asarray(image.convert("L"))
    except (OSError, SyntaxError, ValueError) as error:  # a valid header over corrupt data
        raise ValueError(f"{name[:60]}: not a readable image ({error})") from None


class _Limited(io.RawIOBase):
    """A read-only stream that refuses to deliver more than `limit` bytes of `raw`."""

    def __init__(self, raw, limit: int, name: str):
        self.raw, self.limit, self.left, self.name = raw, limit, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise ValueError(f"{self.name} is over {self.limit // 1024} KB")
        self.left -= len(data)
        buffer[:len(data)] = data
        return len(data)


def as_split(images: np.ndarray, labels: np.ndarray, name: str = "corrections"):
    """The corrections as a training `data.Split` (torch tensors; for the training process)."""
    import torch

    from .data import Split
    return Split(torch.from_numpy(np.ascontiguousarray(images, np.uint8)), torch.from_numpy(labels.astype(np.int64)),
                 f"{name}:{len(labels)}")
