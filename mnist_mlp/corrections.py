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
from pathlib import Path

import numpy as np
from PIL import Image

from .data import Split

INDEX = "corrections.jsonl"
MAX_IMPORT = 100_000


class CorrectionStore:
    def __init__(self, folder: str | os.PathLike = "corrections"):
        self.folder = Path(folder)
        self._lock = threading.Lock()

    def add(self, image28: np.ndarray, label: int, original: Image.Image | None = None) -> str:
        if not 0 <= int(label) <= 9:
            raise ValueError("a correction's label must be a digit 0–9")
        self.folder.mkdir(parents=True, exist_ok=True)
        sample_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        pixels = (np.clip(image28, 0, 1) * 255).round().astype(np.uint8)
        Image.fromarray(pixels).save(self.folder / f"{sample_id}.png")
        if original is not None:
            original.save(self.folder / f"{sample_id}.original.png")
        line = json.dumps({"id": sample_id, "label": int(label), "time": time.time()}) + "\n"
        with self._lock:
            fd = os.open(self.folder / INDEX, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return sample_id

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
        """Add the samples of an exported archive; return how many. Bad archives raise ValueError."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                rows = archive.read("labels.csv").decode().splitlines()[1:]
                if len(rows) > MAX_IMPORT:
                    raise ValueError(f"at most {MAX_IMPORT} corrections per import")
                samples = []
                for row in rows:
                    name, label = row.rsplit(",", 1)
                    image = Image.open(io.BytesIO(archive.read(name))).convert("L")
                    if image.size != (28, 28):
                        raise ValueError(f"{name} is {image.size}, not 28×28")
                    samples.append((np.asarray(image) / 255.0, int(label)))
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            raise ValueError(f"not a corrections archive ({error})") from None
        for image, label in samples:
            self.add(image, label)
        return len(samples)


def as_split(images: np.ndarray, labels: np.ndarray, name: str = "corrections") -> Split:
    import torch
    return Split(torch.from_numpy(np.ascontiguousarray(images, np.uint8)), torch.from_numpy(labels.astype(np.int64)),
                 f"{name}:{len(labels)}")
