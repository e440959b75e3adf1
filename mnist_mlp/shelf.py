"""Other models the app may read beside the one in use: the weights files in its own weights and
save folders, and the last Retrain run's result. A request names one of them by its listed name,
never by a path; at most MAX_LOADED are kept in memory."""
from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Callable

from .inference import Predictor

MAX_LOADED = 3  # other models kept in memory at once (each file ≤ 200 MB by MAX_PARAMETERS, about twice that
# as loaded, each matrix in two layouts for NumpyMLP: the shipped average 61 MB, one of its networks 19 MB)
THIS_RUN = "this Retrain run"


class ModelShelf:
    def __init__(self, folders: list[Path], latest_run: Callable[[], Path | None] = lambda: None):
        self.folders = list(dict.fromkeys(Path(f).resolve() for f in folders))
        self.latest_run = latest_run
        self._loaded: collections.OrderedDict[tuple, Predictor] = collections.OrderedDict()
        self._lock = threading.Lock()

    def listing(self) -> dict[str, Path]:
        """Name → file, as offered to visitors: the latest run first, then files by name."""
        names: dict[str, Path] = {}
        run = self.latest_run()
        if run is not None and Path(run).is_file():
            names[THIS_RUN] = Path(run)
        for folder in self.folders:
            for path in sorted(folder.glob("*.safetensors")) if folder.is_dir() else []:
                names.setdefault(path.name, path)
        return names

    def predictor(self, name: str) -> Predictor:
        """The model listed under `name` (loaded once while its file is unchanged). ValueError for a
        name that is not listed; WeightsError for a file that cannot be used."""
        path = self.listing().get(name)
        if path is None:
            raise ValueError(f"no model named {name!r} here; choose one of the list")
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        predictor = Predictor.load(path)
        with self._lock:
            self._loaded[key] = predictor
            while len(self._loaded) > MAX_LOADED:
                self._loaded.popitem(last=False)
        return predictor
