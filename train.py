"""Train the MNIST MLP and write its weights (safetensors + JSON card).

    python train.py                      # the shipped model (--preset best): the average of the two
                                         # --preset deepened networks, as one MLP
    python train.py --preset fast        # 98 % in seconds
    python train.py --average A.safetensors --average B.safetensors --out weights/avg.safetensors
    torchrun --nproc_per_node=2 train.py --preset fast --out weights/ddp.safetensors
"""
import argparse
import json
import os
import sys

from tqdm import tqdm

from mnist_mlp.config import (ACTIVATIONS, AVERAGES, DEVICES, OPTIMIZERS, PRECISIONS, PRESETS, SCHEDULES,
                              config_from_preset)
from mnist_mlp.data import MnistError
from mnist_mlp.training import DRAWING_VARIANTS, TrainingCancelled, finish_distributed, is_main_process, train
from mnist_mlp.weights import DEFAULT_WEIGHTS, WeightsError, make_card, save_weights


def teacher_arg(text: str) -> tuple[str, float]:
    """"PATH" or "PATH:WEIGHT" → (path, weight)."""
    path, _, weight = text.rpartition(":")
    try:
        return (path, float(weight)) if path else (text, 1.0)
    except ValueError:
        return text, 1.0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted({**PRESETS, **AVERAGES}), default="best",
                   help="starting values for every flag below; best (the default, the shipped model) "
                        "averages two trained networks instead of training")
    p.add_argument("--average", action="append", type=teacher_arg, dest="members", metavar="PATH[:WEIGHT]",
                   help="instead of training, write the average of these weights files (repeat; weighted "
                        "by WEIGHT, default 1) as one MLP")
    p.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes, e.g. 512 256")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS))
    p.add_argument("--dropout", type=float)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--label-smoothing", type=float, metavar="EPS",
                   help="share of each target spread over all ten digits (0 ≤ EPS < 1)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--redraw", type=float, metavar="SHARE",
                   help="share of images re-drawn along their skeleton with a random pen (0–1)")
    p.add_argument("--styles", type=float, metavar="SHARE",
                   help="share of 1/4/7/9 replaced by a drawing in a style MNIST lacks (0–1)")
    p.add_argument("--restyle-every", type=int, metavar="EPOCHS",
                   help="draw the style digits afresh every EPOCHS epochs (0: once per run)")
    p.add_argument("--more-nines", action=argparse.BooleanOptionalAction, default=None,
                   help="the style 9s also `ρ`-like and with a tail bulging right (styles.more_nines)")
    p.add_argument("--more-kinds", action=argparse.BooleanOptionalAction, default=None,
                   help="also printed 4s, 4s whose bar ends at the stem, 1s whose flag meets the stem low (λ) "
                        "and cursive S-tailed 9s (styles.style_table)")
    p.add_argument("--even-more-kinds", action=argparse.BooleanOptionalAction, default=None,
                   help="--more-kinds' and also ∠-shaped 4s with a short stem, continental 7s with a round corner "
                        "and 9s with a flat loop (styles.style_table)")
    p.add_argument("--looped-twos", action=argparse.BooleanOptionalAction, default=None,
                   help="also cursive 2s looped at the lower left and 0s crossed by a slash or a bar (styles.style_table)")
    p.add_argument("--crossed-zeros", action=argparse.BooleanOptionalAction, default=None,
                   help="also 0s crossed by a slash or a bar, without --looped-twos' 2s (styles.style_table)")
    p.add_argument("--sam", type=float, metavar="RADIUS",
                   help="sharpness-aware minimisation: take each step's gradient at the weights moved RADIUS "
                        "along it (0: off; two passes a step)")
    p.add_argument("--logit-norm", type=float, metavar="TAU",
                   help="LogitNorm: the losses see each image's logits scaled to length 1/TAU, so training "
                        "cannot grow them to be sure (0: off)")
    p.add_argument("--abstain-payoff", type=float, metavar="O",
                   help="Deep Gamblers: train with an 11th output, abstain, and the loss -log(p(label) + "
                        "p(abstain) / O) (1 < O < 10; 0: off); the weights written have the ten digits' outputs")
    p.add_argument("--adversarial-step", type=float, metavar="EPS",
                   help="half the digits of each batch moved EPS along the sign of their loss's gradient "
                        "(FGSM; 0: off)")
    p.add_argument("--upweight-wrong", type=float, metavar="W",
                   help="each training digit the network of --init reads wrong weighs W times as much in the "
                        "loss (Just Train Twice; 1: off)")
    p.add_argument("--init", dest="init_weights", metavar="PATH",
                   help="start from this weights file instead of random weights (a fine-tune)")
    p.add_argument("--deepen", type=int, metavar="N",
                   help="with --init: N identity hidden layers, as wide as its last, before its output layer "
                        "(the same function to start from; set --hidden to the deeper sizes)")
    p.add_argument("--teacher", action="append", type=teacher_arg, dest="teachers", metavar="PATH[:WEIGHT]",
                   help="a weights file to distil from (repeat for several, averaged by WEIGHT, default 1); "
                        "replaces the preset's teachers")
    p.add_argument("--distill-temperature", type=float, metavar="T", help="softmax temperature of distillation")
    p.add_argument("--distill-share", type=float, metavar="SHARE",
                   help="share of the loss that is the teachers' prediction rather than the label (0–1)")
    p.add_argument("--mixup", type=float, metavar="SHARE",
                   help="share of each batch blended with other images of it, labels alike (0–1)")
    p.add_argument("--cutmix", type=float, metavar="SHARE",
                   help="share of each batch whose one side of a straight cut comes from another image of it, "
                        "labels by their share of the ink (0–1)")
    p.add_argument("--outliers", type=float, metavar="SHARE",
                   help="drawings that are not digits (letters, stars, doodles) added per digit of a batch, "
                        "learnt as 'every digit equally likely' (0: off)")
    p.add_argument("--outlier-weight", type=float, metavar="W", help="their loss's weight against the digits' (0–1)")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--data-dir", help="MNIST root (ROOT/MNIST/raw); default $MNIST_ROOT, then ./data")
    p.add_argument("--limit-train", type=int, metavar="N", help="train on the first N images only")
    p.add_argument("--target-acc", type=float, help="stop once test accuracy reaches this, e.g. 0.98")
    p.add_argument("--evals-per-epoch", type=int, help="with --target-acc: test this often per epoch")
    p.add_argument("--precision", choices=PRECISIONS, help="bf16: autocast matmuls (faster on CPUs with bf16)")
    p.add_argument("--out", default=str(DEFAULT_WEIGHTS), help="weights file to write (.safetensors)")
    args = p.parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k not in ("preset", "out", "members")}
    members = args.members or AVERAGES.get(args.preset)
    if members:
        return write_average(p, members, args, [k for k, v in flags.items() if v is not None and k != "data_dir"])
    try:
        config = config_from_preset(args.preset, **flags).validate()
    except ValueError as error:
        p.error(str(error))
    main_process = is_main_process()
    bar = None

    def on_progress(event):
        nonlocal bar
        if not main_process:
            return
        if bar is None:
            bar = tqdm(total=event.batches, desc=f"epoch {event.epoch}/{event.epochs}", leave=False)
        bar.update(event.batch - bar.n)
        bar.set_postfix(loss=f"{event.loss:.4f}")
        bar.refresh()
        if event.stage == "epoch":
            bar.close()
            bar = None
            tqdm.write(f"epoch {event.epoch:3d}  train loss {event.loss:.4f}  "
                       f"test accuracy {event.test_accuracy:.4f}  {event.elapsed:7.1f} s")

    if main_process and config.draws_variants:
        tqdm.write(DRAWING_VARIANTS)
    try:
        result = train(config, on_progress)
    except TrainingCancelled:
        sys.exit("training cancelled; no weights written")
    except WeightsError as error:  # a teacher or the weights to start from: unreadable, or of another
        sys.exit(f"weights to learn from: {error}")  # shape than the run asks for
    except KeyboardInterrupt:
        sys.exit("\ninterrupted; no weights written")  # the old weights file is untouched
    finish_distributed()
    if main_process:
        card = make_card(result.model, result, preset=args.preset,
                         processes=int(os.environ.get("WORLD_SIZE", "1")))
        path = save_weights(result.model, card, args.out)
        print(json.dumps({"test_accuracy": result.test_accuracy, "epochs": result.epochs_run,
                          "seconds": round(result.seconds, 2), "weights": str(path)}))


def write_average(p, members, args, training_flags) -> None:
    """--average / --preset best: no training, the members' average as one MLP (mnist_mlp.ensemble)."""
    from mnist_mlp.ensemble import average_files

    if training_flags:
        p.error(f"averaging trains nothing, so --{training_flags[0].replace('_', '-')} has no effect; train "
                "each member with its own train.py run first (--preset best: see the README's Train section)")
    try:
        model, card = average_files(list(members), args.data_dir)
    except WeightsError as error:
        hint = "" if args.members else (f"\n(--preset {args.preset} averages {', '.join(path for path, _ in members)}; "
                                        "train each as the README's Train section says)")
        sys.exit(f"average: {error}{hint}")
    except (ValueError, MnistError) as error:  # networks that cannot be one MLP; no MNIST to measure it on
        sys.exit(f"average: {error}")
    if not args.members:
        card["preset"] = args.preset
    path = save_weights(model, card, args.out)
    print(json.dumps({"test_accuracy": card["test_accuracy"], "epochs": card["epochs"],
                      "seconds": card["seconds"], "weights": str(path)}))


if __name__ == "__main__":
    main()
