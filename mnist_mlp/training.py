"""The one training engine, used by `train.py`, the Retrain tab and the benchmarks.

The whole dataset sits in memory as tensors; batches are index slices, augmented on the fly with
torch ops. Progress goes to an optional callback; a `threading.Event` cancels within one batch.
Runs unchanged under `torchrun` (DistributedDataParallel: gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .augment import AugmentConfig, augment_batch
from .data import Split, load_mnist
from .model import MLP, check_architecture

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("onecycle", "constant")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16")
MAX_SEED = 2**32 - 1


@dataclass
class TrainConfig:
    hidden: tuple[int, ...] = (512, 256)
    activation: str = "relu"
    dropout: float = 0.2
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    label_smoothing: float = 0.0
    augment: bool = False
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    data_dir: str | None = None
    limit_train: int | None = None
    target_acc: float | None = None  # stop as soon as the test accuracy reaches this
    evals_per_epoch: int = 1  # with target_acc: test this many times per epoch
    precision: str = "fp32"  # "bf16": autocast matmuls to bfloat16 (about 2x faster on recent CPUs)

    def validate(self) -> "TrainConfig":
        """Raise ValueError with a message a person can act on; return self when fine."""
        problems = []
        try:
            check_architecture(list(self.hidden), self.activation, self.dropout)
        except ValueError as error:
            problems.append(str(error))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed must be a whole number from 0 to {MAX_SEED}")
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 1000:
            problems.append("epochs must be a whole number from 1 to 1000")
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 60_000:
            problems.append("batch size must be from 1 to 60000")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            problems.append("learning rate must be a number in (0, 10]")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule must be one of {', '.join(SCHEDULES)}")
        if self.limit_train is not None and not 1 <= self.limit_train <= 60_000:
            problems.append("training subset must be from 1 to 60000 images")
        if self.target_acc is not None and not 0 < self.target_acc <= 1:
            problems.append("target accuracy must be a fraction in (0, 1], e.g. 0.98")
        if self.precision not in PRECISIONS:
            problems.append("precision must be fp32 or bf16")
        if not isinstance(self.evals_per_epoch, int) or not 1 <= self.evals_per_epoch <= 100:
            problems.append("evals per epoch must be from 1 to 100")
        if self.device not in DEVICES:
            problems.append("device must be auto, cpu, cuda or mps")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d


# "best": the shipped model (augmented, long). "fast": 98 % test accuracy in the least wall time.
PRESETS: dict[str, dict] = {
    "default": {},
    "best": dict(hidden=(1200, 1200), dropout=0.2, epochs=100, batch_size=256, lr=2e-3,
                 optimizer="adamw", weight_decay=1e-4, schedule="onecycle", augment=True,
                 label_smoothing=0.05),
    "fast": dict(hidden=(512,), dropout=0.0, epochs=3, batch_size=128, lr=3e-3, optimizer="adam",
                 schedule="onecycle", augment=False, target_acc=0.98, evals_per_epoch=4, precision="bf16"),
}


def config_from_preset(preset: str = "default", **overrides) -> TrainConfig:
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    if "hidden" in values:
        values["hidden"] = tuple(values["hidden"])
    return TrainConfig(**values)


@dataclass
class Progress:
    """One report to the callback: after a batch (stage "batch") or after an epoch's test."""
    stage: str  # "batch" | "epoch"
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float  # running mean training loss of this epoch
    test_accuracy: float | None  # set on "epoch"
    elapsed: float  # seconds since training started


@dataclass
class TrainResult:
    model: MLP
    config: TrainConfig
    test_accuracy: float
    epochs_run: int
    seconds: float
    train_samples: int
    data_sha256: str
    history: list[dict] = field(default_factory=list)  # per epoch: epoch, loss, test_accuracy, seconds
    test_predictions: torch.Tensor | None = None  # the returned model's label for each test image


class TrainingCancelled(Exception):
    """Raised by `train` when its cancel event is set; nothing is returned or saved."""


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


@torch.no_grad()
def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 5000) -> tuple[float, torch.Tensor]:
    """Accuracy and predicted labels of `model` on uint8 or float [N, 28, 28] images."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    for start in range(0, len(images), batch_size):
        chunk = images[start:start + batch_size].to(device)
        chunk = chunk.float() / 255 if chunk.dtype == torch.uint8 else chunk.float()
        predictions.append(model(chunk).argmax(1).cpu())
    model.train(was_training)
    predicted = torch.cat(predictions)
    return (predicted == labels).float().mean().item(), predicted


def _distributed() -> tuple[int, int]:
    """(rank, world size); starts the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def train(config: TrainConfig, on_progress: Callable[[Progress], None] | None = None,
          cancel: threading.Event | None = None, train_split: Split | None = None,
          test_split: Split | None = None, init_model: MLP | None = None,
          report_every: int = 20) -> TrainResult:
    """Train an MLP as `config` says and return it with its test accuracy and history."""
    config.validate()
    rank, world = _distributed()
    if config.threads:
        torch.set_num_threads(config.threads)
    device = pick_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", rank % torch.cuda.device_count())
    train_split = train_split or load_mnist("train", config.data_dir)
    test_split = test_split or load_mnist("test", config.data_dir)

    torch.manual_seed(config.seed)
    # Same shuffling on every rank (each takes its own slice); augmentation differs per rank.
    shuffle_gen = torch.Generator().manual_seed(config.seed)
    augment_gen = torch.Generator().manual_seed(config.seed * 1000 + 1 + rank)
    n = len(train_split) if config.limit_train is None else min(config.limit_train, len(train_split))
    images = train_split.images[:n].float().div_(255)
    labels = train_split.labels[:n]

    model = init_model if init_model is not None else MLP(config.hidden, config.activation, config.dropout)
    model = model.to(device)
    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)
    params = net.parameters()
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, lr=config.lr, momentum=0.9, nesterov=True,
                                    weight_decay=config.weight_decay)
    elif config.optimizer == "adamw":
        optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    per_rank_batch = max(1, config.batch_size // world)
    batches = max(1, math.ceil(n / (per_rank_batch * world)))
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                        total_steps=config.epochs * batches)
    augment = AugmentConfig() if config.augment else None

    start = time.perf_counter()
    history: list[dict] = []
    accuracy, predicted = 0.0, None
    epoch = 0
    # With a target, also test part-way through epochs so a run stops as soon as it gets there.
    checks = config.evals_per_epoch if config.target_acc is not None else 1
    check_at = {round(k * batches / checks) for k in range(1, checks + 1)}
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")
    reached = False
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.randperm(n, generator=shuffle_gen)
        total_loss, seen = 0.0, 0
        for batch in range(1, batches + 1):
            if cancel is not None and cancel.is_set():
                raise TrainingCancelled(f"cancelled in epoch {epoch}, batch {batch}")
            first = (batch - 1) * per_rank_batch * world + rank * per_rank_batch
            index = order[first:first + per_rank_batch]
            if len(index) == 0:  # a rank's share of the last, short batch can be empty
                index = order[:1]
            x = images[index]
            if augment is not None:
                x = augment_batch(x, augment, augment_gen)
            y = labels[index].to(device)
            with autocast:
                logits = net(x.to(device))
            loss = F.cross_entropy(logits.float(), y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total_loss += loss.item() * len(index)
            seen += len(index)
            if on_progress and (batch % report_every == 0 or batch == batches):
                on_progress(Progress("batch", epoch, config.epochs, batch, batches, total_loss / seen,
                                     None, time.perf_counter() - start))
            if batch not in check_at:
                continue
            accuracy, predicted = evaluate(model, test_split.images, test_split.labels)
            # Every rank holds the same weights, so every rank takes the same decision here.
            reached = config.target_acc is not None and accuracy >= config.target_acc
            if batch == batches or reached:
                elapsed = time.perf_counter() - start
                history.append({"epoch": round(epoch - 1 + batch / batches, 3), "loss": total_loss / seen,
                                "test_accuracy": accuracy, "seconds": elapsed})
                if on_progress:
                    on_progress(Progress("epoch", epoch, config.epochs, batch, batches, total_loss / seen,
                                         accuracy, elapsed))
            if reached:
                break
        if reached:
            break
    model.eval()
    return TrainResult(model=model.cpu(), config=config, test_accuracy=accuracy, epochs_run=epoch,
                       seconds=time.perf_counter() - start, train_samples=n,
                       data_sha256=train_split.sha256, history=history, test_predictions=predicted)


def is_main_process() -> bool:
    """Rank 0 under torchrun (known from the environment even before the group starts)."""
    return int(os.environ.get("RANK", "0")) == 0


def finish_distributed() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
