"""Seconds to 98 % MNIST test accuracy: a plain reference recipe vs the fast preset, same process.

(a) reference: MLP 784-512-256-10, ReLU, dropout 0.2, Adam lr 1e-3, batch 128, constant lr,
    normalised inputs, data as in-memory tensors, test accuracy after every epoch;
(b) `--preset fast`.
Both stop at the first epoch whose test accuracy is ≥ 98.0 %. Data loading is excluded from both.

    python benchmarks/bench_train.py --data-dir DIR

Last line: {"reference_seconds_to_98": .., "fast_seconds_to_98": .., "ratio": ..}
"""
import argparse
import json
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from mnist_mlp.data import load_mnist  # noqa: E402
from mnist_mlp.config import TrainConfig, config_from_preset  # noqa: E402
from mnist_mlp.training import train  # noqa: E402

REFERENCE = TrainConfig(hidden=(512, 256), activation="relu", dropout=0.2, epochs=30, batch_size=128, lr=1e-3,
                        optimizer="adam", schedule="constant", augment=False, target_acc=0.98)


def seconds_to_98(config, train_split, test_split, name):
    result = train(config, None, None, train_split, test_split)
    for row in result.history:
        print(f"  {name:9s} epoch {row['epoch']:5.2f}  test accuracy {row['test_accuracy']:.4f}  {row['seconds']:6.1f} s")
    if result.test_accuracy < 0.98:
        raise SystemExit(f"{name} never reached 98 % ({result.test_accuracy:.4f})")
    return result.seconds, result.epochs_run


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    train_split, test_split = load_mnist("train", args.data_dir), load_mnist("test", args.data_dir)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    reference = TrainConfig(**{**REFERENCE.__dict__, "seed": args.seed})
    ref_seconds, ref_epochs = seconds_to_98(reference, train_split, test_split, "reference")
    fast_seconds, fast_epochs = seconds_to_98(config_from_preset("fast", seed=args.seed), train_split, test_split, "fast")
    ratio = fast_seconds / ref_seconds
    print(f"reference: {ref_seconds:.1f} s ({ref_epochs} epochs); fast: {fast_seconds:.1f} s ({fast_epochs} epochs); "
          f"ratio {ratio:.2f}")
    print(json.dumps({"reference_seconds_to_98": round(ref_seconds, 2), "fast_seconds_to_98": round(fast_seconds, 2),
                      "ratio": round(ratio, 3), "reference_epochs": ref_epochs, "fast_epochs": fast_epochs}))


if __name__ == "__main__":
    main()
