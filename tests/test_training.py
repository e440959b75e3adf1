"""The training engine and train.py on real MNIST."""
import json
import subprocess
import sys
import threading

import pytest
import torch

from conftest import ROOT, python_env
from mnist_mlp.data import Split
from mnist_mlp.model import MLP
from mnist_mlp.training import (Progress, TrainConfig, TrainingCancelled, adversarial_half, cut_batch, digits_only,
                                 evaluate, gamblers_loss, mix_batch, setup, logit_norm, sharpness_aware_gradient, train,
                                 train_epoch)
from mnist_mlp.weights import load_weights, make_card, save_weights


def test_one_epoch_on_5000_images_reaches_a_real_accuracy(mnist_train, mnist_test):
    events: list[Progress] = []
    result = train(TrainConfig(hidden=(256,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3),
                   on_progress=events.append, train_split=mnist_train, test_split=mnist_test)
    assert result.test_accuracy >= 0.90
    assert result.train_samples == 5000
    accuracy, predicted = evaluate(result.model, mnist_test.images, mnist_test.labels)
    assert accuracy == pytest.approx(result.test_accuracy)
    assert torch.equal(result.test_predictions, predicted)  # the returned model's own predictions
    assert events[-1].stage == "epoch" and events[-1].test_accuracy == result.test_accuracy
    assert any(e.stage == "batch" for e in events)


def test_same_seed_same_accuracy_and_augmentation_changes_it(mnist_train, mnist_test):
    config = dict(hidden=(64,), epochs=1, limit_train=2000, seed=3, threads=1)
    runs = [train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test).test_accuracy
            for _ in range(2)]
    augmented = train(TrainConfig(**config, augment=True), train_split=mnist_train, test_split=mnist_test)
    assert runs[0] == runs[1]
    assert augmented.test_accuracy != runs[0]


def test_cancel_stops_within_a_batch(mnist_train, mnist_test):
    cancel = threading.Event()
    batches = []

    def on_progress(event):
        batches.append(event.batch)
        cancel.set()

    with pytest.raises(TrainingCancelled):
        train(TrainConfig(hidden=(32,), epochs=3), on_progress, cancel, mnist_train, mnist_test,
              report_every=1)
    assert batches == [1]


@pytest.mark.parametrize("bad", [dict(epochs=0), dict(hidden=()), dict(hidden=(100000,)),
                                 dict(hidden=(8192, 8192, 8192)), dict(lr=-1.0), dict(optimizer="lbfgs"),
                                 dict(dropout=1.0), dict(seed=-1), dict(seed=2**64), dict(seed=1.5),
                                 dict(label_smoothing=1.0), dict(label_smoothing=-0.1),
                                 dict(teachers=(("t.safetensors", 0.0),)), dict(teachers=("t.safetensors",)),
                                 dict(distill_temperature=0.0), dict(distill_share=1.5),
                                 dict(mixup=1.5), dict(mixup=True), dict(cutmix=-0.1),
                                 dict(mixup=0.2, cutmix=0.2), dict(sam=-0.1), dict(sam=True), dict(sam=2.0),
                                 dict(logit_norm=-0.04), dict(logit_norm=True), dict(logit_norm=2.0),
                                 dict(more_nines=1), dict(more_kinds=1), dict(even_more_kinds=1),
                                 dict(init_weights=""), dict(abstain_payoff=1.0, init_weights="w.safetensors"),
                                 dict(abstain_payoff=10.0, init_weights="w.safetensors"), dict(abstain_payoff=True),
                                 dict(abstain_payoff=3.0), dict(abstain_payoff=3.0, mixup=0.2, init_weights="w.safetensors"),
                                 dict(adversarial_step=1.0), dict(adversarial_step=-0.01), dict(adversarial_step=True),
                                 dict(upweight_wrong=2.0), dict(upweight_wrong=0.5, init_weights="w.safetensors"),
                                 dict(upweight_wrong=float("nan"), init_weights="w.safetensors"),
                                 dict(upweight_wrong=True, init_weights="w.safetensors"),
                                 dict(upweight_wrong=2.0, mixup=0.2, init_weights="w.safetensors"),
                                 dict(deepen=1), dict(deepen=-1, init_weights="w.safetensors"),
                                 dict(deepen=True, init_weights="w.safetensors"),
                                 dict(deepen=5, init_weights="w.safetensors")])
def test_invalid_configs_are_refused_before_anything_runs(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad).validate()


def test_distillation_alone_teaches_the_teachers_answers(tmp_path, mnist_train, mnist_test):
    """With the whole loss on the teacher (distill_share 1) the labels play no part: a student trained
    on shuffled labels still learns the digits, from the teacher alone, and mostly agrees with it."""
    teacher = train(TrainConfig(hidden=(256,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3),
                    train_split=mnist_train, test_split=mnist_test)
    path = save_weights(teacher.model, make_card(teacher.model, teacher, command="test"),
                        tmp_path / "teacher.safetensors")
    shuffled = Split(mnist_train.images, mnist_train.labels[torch.randperm(len(mnist_train))], mnist_train.sha256)
    config = dict(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1)
    from_labels = train(TrainConfig(**config), train_split=shuffled, test_split=mnist_test)
    student = train(TrainConfig(**config, teachers=((str(path), 1.0),), distill_share=1.0),
                    train_split=shuffled, test_split=mnist_test)
    assert from_labels.test_accuracy < 0.3  # the shuffled labels teach nothing
    assert student.test_accuracy >= 0.85
    agreement = (student.test_predictions == teacher.test_predictions).float().mean().item()
    assert agreement >= 0.88


def test_train_py_writes_loadable_weights_and_prints_the_json_contract(tmp_path, mnist_root):
    out = tmp_path / "w.safetensors"
    proc = subprocess.run(
        [sys.executable, "train.py", "--preset", "default", "--hidden", "128", "--epochs", "1",
         "--limit-train", "3000", "--seed", "1", "--batch-size", "64", "--lr", "4e-3", "--label-smoothing", "0.1",
         "--out", str(out)],
        cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("epoch   1")
    summary = json.loads(lines[-1])
    assert set(summary) == {"test_accuracy", "epochs", "seconds", "weights"}
    assert summary["epochs"] == 1 and summary["test_accuracy"] > 0.85
    model, card = load_weights(out)
    assert card["test_accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)
    assert card["config"]["limit_train"] == 3000 and "--limit-train 3000" in card["command"]
    assert card["config"]["label_smoothing"] == 0.1
    assert len(card["training_data_sha256"]) == 64


def test_train_py_rejects_bad_flags_with_a_message(tmp_path):
    proc = subprocess.run([sys.executable, "train.py", "--preset", "default", "--epochs", "0", "--out", str(tmp_path / "x.safetensors")],
                          cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "epochs must be" in proc.stderr
    assert not (tmp_path / "x.safetensors").exists()


@pytest.mark.parametrize("flags", [["--teacher", "missing.safetensors:2"], ["--init", "missing.safetensors"]])
def test_train_py_names_the_weights_it_cannot_learn_from(tmp_path, mnist_root, flags):
    """A teacher, or the network to start from, that cannot be read: its name and why, no file written."""
    proc = subprocess.run([sys.executable, "train.py", "--preset", "fast", *flags,
                           "--out", str(tmp_path / "x.safetensors")],
                          cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "weights to learn from: missing.safetensors: no such weights file" in proc.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_style_digits_are_drawn_afresh_at_the_asked_epochs(mnist_train, mnist_test):
    config = TrainConfig(hidden=(16,), epochs=3, styles=0.3, restyle_every=2, limit_train=300)
    run = setup(config, mnist_train, mnist_test)
    first = run.variants.clone()
    train_epoch(run)  # epoch 1
    train_epoch(run)  # epoch 2: not yet
    assert torch.equal(run.variants, first)
    train_epoch(run)  # epoch 3 = 1 + restyle_every: new drawings
    assert not torch.equal(run.variants[:, 2], first[:, 2])


def test_mixup_blends_about_its_share_of_a_batch_and_keeps_the_rest():
    """Each chosen image is `own × itself + (1 − own) × another image of the batch`, and its other
    label is that image's; an image not chosen is untouched, with own share 1."""
    images = torch.rand(2000, 28, 28)
    labels = torch.arange(2000) % 10
    mixed, other_labels, own = mix_batch(images, labels, 0.3, torch.Generator().manual_seed(0))
    chosen = own < 1
    assert 0.27 < chosen.float().mean().item() < 0.33
    assert torch.equal(mixed[~chosen], images[~chosen])
    for i in torch.nonzero(own < 0.9).flatten()[:50].tolist():  # (dividing by 1 − own: not near 1)
        partner = (mixed[i] - own[i] * images[i]) / (1 - own[i])  # what was blended in
        j = int((images - partner).abs().flatten(1).amax(1).argmin())
        assert torch.allclose(images[j], partner, atol=1e-3) and labels[j] == other_labels[i]
    assert mix_batch(images, labels, 0.0)[0].equal(images)


def straight_cuts():
    """Every side of a cut across or down the 28 × 28 field, 10–18 px from the top or left."""
    index = torch.arange(28)
    for line in range(10, 19):
        for side in (index.view(28, 1) < line, index.view(1, 28) < line):  # above, left of the line
            for kept in (side, ~side):
                yield kept.expand(28, 28)


def test_cutmix_joins_one_side_of_a_straight_cut_to_another_image_labelled_by_ink():
    """A chosen image is itself on one side of a straight cut across or down the field and another
    image of the batch on the other; its share of itself is its side's share of the ink, and its
    other label is that image's. An image not chosen is untouched, with own share 1."""
    images = (torch.rand(2000, 28, 28) > 0.7).float() * torch.rand(2000, 28, 28)
    labels = torch.arange(2000) % 10
    joined, other_labels, own = cut_batch(images, labels, 0.3, torch.Generator().manual_seed(0))
    changed = (joined != images).flatten(1).any(1)
    assert 0.27 < changed.float().mean().item() < 0.33
    assert torch.equal(own[~changed], torch.ones(int((~changed).sum())))
    for i in torch.nonzero(changed).flatten()[:50].tolist():
        foreign = joined[i] != images[i]
        j = int(((images - joined[i]).abs() * foreign).flatten(1).sum(1).argmin())  # the image joined in
        assert labels[j] == other_labels[i]
        explained = [kept for kept in straight_cuts()
                     if torch.equal(joined[i], torch.where(kept, images[i], images[j]))]
        assert len(explained) == 1
        ink_on_its_side = (joined[i] * explained[0]).sum() / joined[i].sum()
        assert own[i].item() == pytest.approx(ink_on_its_side.item(), abs=1e-5)
    assert torch.equal(cut_batch(images, labels, 0.0)[0], images)


def test_a_run_with_mixup_still_learns_the_digits(mnist_train, mnist_test):
    """Blending half of each batch (labels alike) still teaches the digits: a wrong pairing of
    blends and labels would not reach this in one short epoch."""
    result = train(TrainConfig(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1,
                               mixup=0.5), train_split=mnist_train, test_split=mnist_test)
    assert result.test_accuracy >= 0.85


def test_a_run_with_cutmix_still_learns_the_digits(mnist_train, mnist_test):
    """Cutting and joining half of each batch (labels by ink) still teaches the digits: labels
    paired with the wrong side of a cut would not reach this in one short epoch."""
    result = train(TrainConfig(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1,
                               cutmix=0.5), train_split=mnist_train, test_split=mnist_test)
    assert result.test_accuracy >= 0.85


def test_sam_takes_the_gradient_a_radius_uphill_and_leaves_the_weights_where_they_were():
    """The gradient SAM steps with is the plain gradient at the weights moved `radius` along the
    normalised gradient; the weights themselves are back where they were."""
    torch.manual_seed(0)
    model = MLP((16,), dropout=0.0)
    x, y = torch.rand(32, 28, 28), torch.randint(0, 10, (32,))
    run = type("Run", (), {"net": model, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1)})()

    def batch_loss():
        return torch.nn.functional.cross_entropy(model(x), y)

    before = [p.detach().clone() for p in model.parameters()]
    batch_loss().backward()
    plain = [p.grad.clone() for p in model.parameters()]
    sharpness_aware_gradient(run, batch_loss, 0.5)
    assert all(torch.allclose(p, b, rtol=0, atol=1e-6) for p, b in zip(model.parameters(), before))  # (rounding)
    norm = torch.sqrt(sum((g ** 2).sum() for g in plain))
    uphill = MLP((16,), dropout=0.0)
    with torch.no_grad():
        for q, b, g in zip(uphill.parameters(), before, plain):
            q.copy_(b + 0.5 * g / norm)
    torch.nn.functional.cross_entropy(uphill(x), y).backward()
    for p, q, g in zip(model.parameters(), uphill.parameters(), plain):
        assert torch.allclose(p.grad, q.grad, atol=1e-6) and not torch.allclose(p.grad, g)


def test_a_run_with_sam_or_logit_norm_still_learns_the_digits_and_differs_from_one_without(mnist_train, mnist_test):
    """Each lever changes how the run learns (SAM's gradient a radius uphill; LogitNorm's loss that
    cannot be lowered by growing the logits), so the run learns the digits but ends with other weights
    than the same run without it."""
    config = dict(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1)
    plain = train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test)
    for lever in (dict(sam=0.05), dict(logit_norm=0.04)):
        changed = train(TrainConfig(**config, **lever), train_split=mnist_train, test_split=mnist_test)
        assert changed.test_accuracy >= 0.85, lever
        assert not torch.equal(changed.model.layers[0].weight, plain.model.layers[0].weight), lever


def test_logit_norm_scales_each_rows_logits_to_one_length_and_keeps_their_direction():
    logits = torch.tensor([[3.0, 4.0, 0.0], [-0.3, 0.0, 0.4], [20.0, -5.0, 1.0]])
    scaled = logit_norm(logits, 0.04)
    assert torch.allclose(scaled.norm(dim=1), torch.full((3,), 25.0), atol=1e-4)
    assert torch.allclose(scaled / scaled.norm(dim=1, keepdim=True), logits / logits.norm(dim=1, keepdim=True))
    assert torch.equal(scaled.argmax(1), logits.argmax(1))


def test_a_run_can_start_from_a_weights_file(tmp_path, mnist_train, mnist_test):
    """init_weights: the run starts from that file's network (a fine-tune), so one short epoch at a
    small learning rate keeps what it knew; a file of another shape is refused by name."""
    first = train(TrainConfig(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3),
                  train_split=mnist_train, test_split=mnist_test)
    path = save_weights(first.model, make_card(first.model, first, command="test"), tmp_path / "start.safetensors")
    config = dict(hidden=(128,), epochs=1, limit_train=500, lr=1e-5, dropout=first.model.dropout)
    run = setup(TrainConfig(**config, init_weights=str(path)), mnist_train, mnist_test)
    assert all(torch.equal(a, b) for a, b in zip(run.model.parameters(), first.model.parameters()))
    scratch = train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test)
    tuned = train(TrainConfig(**config, init_weights=str(path)), train_split=mnist_train, test_split=mnist_test)
    assert tuned.test_accuracy >= first.test_accuracy - 0.01 and scratch.test_accuracy < 0.5
    with pytest.raises(ValueError, match="start.safetensors holds a 784-128-10 relu"):
        setup(TrainConfig(**{**config, "hidden": (64,)}, init_weights=str(path)), mnist_train, mnist_test)
    # deepen: the same network with an identity layer before its output, so the same answers to start
    # from; the run must ask for the deeper shape
    deep = setup(TrainConfig(**{**config, "hidden": (128, 128)}, init_weights=str(path), deepen=1),
                 mnist_train, mnist_test)
    images = mnist_test.images[:200].float() / 255
    with torch.no_grad():
        assert torch.allclose(deep.model.eval()(images), first.model.eval()(images), atol=1e-5)
    assert deep.model.hidden == (128, 128)
    with pytest.raises(ValueError, match="start.safetensors deepened by 1 layer"):
        setup(TrainConfig(**config, init_weights=str(path), deepen=1), mnist_train, mnist_test)


def test_a_run_with_outliers_learns_the_digits_and_to_be_unsure_of_what_is_not_one(mnist_train, mnist_test):
    """Outlier exposure: the same short run with drawings that are not digits added to each batch,
    learnt as "every digit equally likely", still reads the digits and is much less sure of
    non-digit drawings it has not seen (a seed of their own) than the run without them."""
    from mnist_mlp.outliers import outlier_images

    config = dict(hidden=(128,), epochs=2, limit_train=5000, batch_size=64, lr=4e-3, threads=1)
    plain = train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test)
    exposed = train(TrainConfig(**config, outliers=0.3), train_split=mnist_train, test_split=mnist_test)
    assert exposed.test_accuracy >= 0.90
    others = torch.from_numpy(outlier_images(300, seed=999)).float() / 255

    def median_top_probability(model):
        with torch.no_grad():
            return model(others).softmax(1).amax(1).median().item()

    assert median_top_probability(exposed.model) < 0.5 < median_top_probability(plain.model)


def test_the_gamblers_loss_is_minus_log_of_the_label_plus_the_abstain_bet_over_the_payoff():
    logits = torch.tensor([[2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                           [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]])
    labels = torch.tensor([0, 7])
    p = logits.softmax(1)
    expected = -torch.log(torch.stack([p[0, 0] + p[0, 10] / 3, p[1, 7] + p[1, 10] / 3])).mean()
    assert gamblers_loss(logits, labels, 3.0).item() == pytest.approx(expected.item(), rel=1e-6)
    # A wrong answer costs less when the network bets on abstaining, and the more, the higher the payoff.
    unsure = logits.clone()
    unsure[1, 10] = 3.0
    assert gamblers_loss(unsure, labels, 3.0) < gamblers_loss(logits, labels, 3.0)
    assert gamblers_loss(unsure, labels, 5.0) > gamblers_loss(unsure, labels, 2.0)


def test_an_abstain_fine_tune_bets_on_abstaining_where_it_errs_and_saves_the_ten_digits(
        tmp_path, mnist_train, mnist_test):
    """abstain_payoff: the fine-tune trains an 11th output, higher on the test digits it misreads than
    on those it reads; drawings that are not digits learn it too, and still "no digit more likely than
    another" over the ten digits, which the app reads. The network it returns (and the file it writes) has
    the ten digits' outputs only, and still reads the digits."""
    from mnist_mlp.outliers import outlier_images

    config = dict(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1)
    first = train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test)
    path = save_weights(first.model, make_card(first.model, first, command="test"), tmp_path / "start.safetensors")
    tune = TrainConfig(**{**config, "lr": 1e-3}, dropout=first.model.dropout, outliers=0.3, abstain_payoff=3.0,
                       init_weights=str(path)).validate()
    run = setup(tune, mnist_train, mnist_test)
    assert run.model.layers[-1].out_features == 11
    train_epoch(run)
    assert run.accuracy >= first.test_accuracy - 0.02  # it keeps reading the digits
    with torch.no_grad():
        run.model.eval()
        p = run.model(mnist_test.images.float() / 255).softmax(1)
        others = run.model(torch.from_numpy(outlier_images(300, seed=999)).float() / 255)[:, :10].softmax(1)
    right = p[:, :10].argmax(1) == mnist_test.labels
    assert p[~right, 10].median() > 2 * p[right, 10].median()
    assert others.amax(1).median() < 0.5  # the ten digits' rows: unsure of what is not a digit
    ten = digits_only(run.model)
    assert ten.layers[-1].out_features == 10 and evaluate(ten, mnist_test.images, mnist_test.labels)[0] == run.accuracy
    result = train(tune, train_split=mnist_train, test_split=mnist_test)
    assert result.model.layers[-1].out_features == 10 and result.test_accuracy >= first.test_accuracy - 0.02
    saved = save_weights(result.model, make_card(result.model, result, command="test"), tmp_path / "tuned.safetensors")
    assert load_weights(saved)[0].architecture()["classes"] == 10


def test_the_adversarial_step_moves_half_the_images_one_signed_step_up_their_loss():
    torch.manual_seed(0)
    model = MLP((32,), dropout=0.0)
    x, y = torch.rand(400, 28, 28) * 0.9 + 0.05, torch.randint(0, 10, (400,))
    run = type("Run", (), {"net": model, "augment_gen": torch.Generator().manual_seed(1)})()
    out = adversarial_half(run, x, y, 0.04)
    moved = (out != x).flatten(1).any(1)
    assert 150 < moved.sum() < 250  # about half
    clean = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(clean), y).backward()
    assert torch.allclose(out[moved], (x + 0.04 * clean.grad.sign()).clamp(0, 1)[moved])
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(model(out[moved]), y[moved])
        assert loss > torch.nn.functional.cross_entropy(model(x[moved]), y[moved])


def test_a_run_with_adversarial_steps_still_learns_the_digits_and_differs_from_one_without(mnist_train, mnist_test):
    config = dict(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1)
    plain = train(TrainConfig(**config), train_split=mnist_train, test_split=mnist_test)
    stepped = train(TrainConfig(**config, adversarial_step=0.02), train_split=mnist_train, test_split=mnist_test)
    assert stepped.test_accuracy >= 0.85
    assert not torch.equal(stepped.model.layers[0].weight, plain.model.layers[0].weight)


def test_upweighting_the_digits_the_start_read_wrong_fixes_more_of_them(tmp_path, mnist_train, mnist_test):
    """upweight_wrong (Just Train Twice): in a fine-tune, the training digits that the starting network
    reads wrong weigh more, so more of them are read right afterwards than after the same fine-tune
    without it; the network it started from is read as it was saved, not as it trains."""
    first = train(TrainConfig(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=4e-3, threads=1),
                  train_split=mnist_train, test_split=mnist_test)
    path = save_weights(first.model, make_card(first.model, first, command="test"), tmp_path / "start.safetensors")
    images, labels = mnist_train.images[:5000].float() / 255, mnist_train.labels[:5000]
    with torch.no_grad():
        was_wrong = first.model.eval()(images).argmax(1) != labels
    assert 100 < was_wrong.sum() < 1000
    config = dict(hidden=(128,), epochs=1, limit_train=5000, batch_size=64, lr=1e-3, threads=1,
                  dropout=first.model.dropout, init_weights=str(path))
    run = setup(TrainConfig(**config, upweight_wrong=10.0), mnist_train, mnist_test)
    assert run.reference is not run.model and not any(p.requires_grad for p in run.reference.parameters())
    fixed = {}
    for up in (1.0, 10.0):
        tuned = train(TrainConfig(**config, upweight_wrong=up), train_split=mnist_train, test_split=mnist_test)
        with torch.no_grad():
            fixed[up] = (tuned.model.eval()(images[was_wrong]).argmax(1) == labels[was_wrong]).float().mean().item()
        assert tuned.test_accuracy >= first.test_accuracy - 0.02
    assert fixed[10.0] > fixed[1.0] + 0.05, fixed  # measured: 0.39 against 0.26
