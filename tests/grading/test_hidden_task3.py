"""Hidden checks of task 3 and bonus a, d (utils/network_trainer.py): other data, batch sizes and models.

The data here: 11 training samples of 4 features in 3 classes, 7 validation samples, batched in
sizes that do not divide them (``batch_size`` 3: batches of 3, 3, 3, 2). Parts of task 3 not
checked by a test are stood in for, as in the public checks.
"""

import json

import hidden_support  # noqa: F401 - puts tests/subtasks on sys.path first
import pytest
import torch
from hints import explain
from stand_ins import trainer_with_stand_ins
from test_task3_trainer import COMMON_ERRORS, HINTS, RecordingSGD, ZeroLoss  # noqa: F401 - HINTS: the same hints
from torch.utils.data import DataLoader, TensorDataset


class Linear3(torch.nn.Module):
    """A linear map from 4 features to 3 classes, always initialised the same way, with optional dropout."""

    def __init__(self, dropout=0.0):
        super().__init__()
        torch.manual_seed(5)
        self.dropout = torch.nn.Dropout(dropout)
        self.linear = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.linear(self.dropout(x))


def make_data():
    generator = torch.Generator().manual_seed(42)
    train_x = torch.randn(11, 4, generator=generator)
    train_y = torch.tensor([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0])
    train_x[9:] *= 5  # the last samples are far out: per-batch averaging shows
    val_x = torch.randn(7, 4, generator=generator) * 3
    val_y = torch.tensor([2, 0, 1, 1, 0, 2, 2])
    return (train_x, train_y), (val_x, val_y)


def mean_loss(x, y):
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(Linear3()(x), y).item()


def batch_mean_loss(x, y, batch_size):
    with torch.no_grad():
        means = [torch.nn.functional.cross_entropy(Linear3()(x[i:i + batch_size]), y[i:i + batch_size]).item()
                 for i in range(0, len(y), batch_size)]
    return sum(means) / len(means)


def train(trainer_module, tmp_path, part, batch_size, val_batch_size=None, lr=0.0, epochs=1, network_class=Linear3,
          optimizer=torch.optim.SGD, loss=torch.nn.CrossEntropyLoss, **kwargs):
    train_data, val_data = make_data()
    loaders = {"train": DataLoader(TensorDataset(*train_data), batch_size=batch_size),
               "val": DataLoader(TensorDataset(*val_data), batch_size=val_batch_size or batch_size)}
    trainer_class = trainer_with_stand_ins(trainer_module.NetworkTrainer, keep=part)
    trainer = trainer_class(network_class, loss, optimizer, data_loader=lambda split: loaders[split],
                            folder=tmp_path, device="cpu", progress=False)
    with explain(f"{epochs} epoch(s) of training on 11 samples in batches of {batch_size} to run", *COMMON_ERRORS):
        run = trainer.train_network(epochs, {}, optimizer_params={"lr": lr}, **kwargs)
    return json.loads((run / "run.json").read_text())["history"]


@pytest.mark.task3a
@pytest.mark.parametrize("batch_size", [1, 3])
def test_hidden_3a_sums_start_at_zero_for_other_batch_sizes(trainer_module, tmp_path, batch_size):
    history = train(trainer_module, tmp_path, "3a", batch_size, epochs=2, loss=ZeroLoss)
    for epoch in history:
        assert (epoch["train_loss"], epoch["val_loss"]) == (0.0, 0.0), (
            f"batches of {batch_size}, a loss of 0 on every batch: expected train_loss and val_loss 0.0, got "
            f"{epoch['train_loss']} and {epoch['val_loss']}.\nhint: each sum starts at zero, before its loop "
            "over batches")


@pytest.mark.task3a
def test_hidden_3a_every_epoch_starts_again_with_batches_that_do_not_divide_the_data(trainer_module, tmp_path):
    history = train(trainer_module, tmp_path, "3a", batch_size=3, val_batch_size=2, epochs=4)  # lr 0: no learning
    train_losses = [round(epoch["train_loss"], 5) for epoch in history]
    val_losses = [round(epoch["val_loss"], 5) for epoch in history]
    assert len(set(train_losses)) == 1 and len(set(val_losses)) == 1, (
        f"with a model that does not change, expected the same losses in all 4 epochs, got train {train_losses} "
        f"and validation {val_losses}.\nhint: every call of _train_one_epoch and _validate starts its own sum at zero")


@pytest.mark.task3b
@pytest.mark.parametrize("batch_size, steps", [(3, 4), (11, 1), (1, 11)])
def test_hidden_3b_one_step_per_batch_for_other_batch_sizes(trainer_module, tmp_path, batch_size, steps):
    made = {}

    def optimizer(params, lr):
        made["optimizer"] = RecordingSGD(params, lr)
        return made["optimizer"]

    train(trainer_module, tmp_path, "3b", batch_size, optimizer=optimizer, epochs=2)
    seen = made["optimizer"].seen
    assert len(seen) == 2 * steps, (
        f"11 samples in batches of {batch_size} ({steps} batches) for 2 epochs: expected {2 * steps} optimizer "
        f"steps, got {len(seen)}.\nhint: one step per batch, inside the loop over batches, whatever their number")
    (x, y), _ = make_data()
    for step, grads in enumerate(seen):
        start = (step % steps) * batch_size
        model = Linear3()
        torch.nn.functional.cross_entropy(model(x[start:start + batch_size]), y[start:start + batch_size]).backward()
        fresh = [model.linear.weight.grad, model.linear.bias.grad]
        assert all(g is not None and torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, fresh)), (
            f"batches of {batch_size}, step {step + 1}: expected the gradient of this batch's loss alone, got "
            "another.\nhint: the sheet's order: clear the old gradients, forward, loss, backward, step")


@pytest.mark.task3b
def test_hidden_3b_adam_with_small_batches_learns(trainer_module, tmp_path):
    history = train(trainer_module, tmp_path, "3b", batch_size=2, lr=0.05, epochs=12, optimizer=torch.optim.Adam)
    first, last = history[0]["train_loss"], history[-1]["train_loss"]
    assert last < 0.8 * first, (f"12 epochs of Adam (lr 0.05, batches of 2) left the training loss at {last:.4f} "
                                f"(epoch 1: {first:.4f}).\nhint: the step needs the gradients of this batch: "
                                "backward first, then the optimizer's step")


@pytest.mark.task3c
@pytest.mark.parametrize("batch_size", [3, 5, 11, 1])
def test_hidden_3c_mean_over_samples_for_batch_sizes_that_do_not_divide_the_data(trainer_module, tmp_path,
                                                                                    batch_size):
    history = train(trainer_module, tmp_path, "3c", batch_size)
    (x, y), _ = make_data()
    expected, per_batch, got = mean_loss(x, y), batch_mean_loss(x, y, batch_size), history[0]["train_loss"]
    if got == pytest.approx(per_batch, rel=1e-4) and per_batch != pytest.approx(expected, rel=1e-4):
        hint = "the last batch is smaller than the others: weight each batch's loss by its own size"
    elif got == pytest.approx(expected * len(y), rel=1e-4):
        hint = "the sum of the per-sample losses still needs dividing by the number of training samples"
    else:
        hint = "the epoch's loss is the mean over all samples: each batch counts as many times as it has samples"
    assert isinstance(got, float) and got == pytest.approx(expected, rel=1e-5), (
        f"11 samples in batches of {batch_size}: expected train_loss {expected:.4f} (the mean over all samples), got "
        f"{got!r} (the mean of the batch means would be {per_batch:.4f}).\nhint: {hint}")


@pytest.mark.task3d
@pytest.mark.parametrize("val_batch_size", [4, 1, 7])
def test_hidden_3d_validation_of_a_dropout_model_in_eval_mode(trainer_module, tmp_path, val_batch_size):
    calls = []

    class DropoutSpy(Linear3):
        def __init__(self):
            super().__init__(dropout=0.6)

        def forward(self, x):
            calls.append((self.training, torch.is_grad_enabled(), len(x)))
            return super().forward(x)

    def count(output, target):
        return (output.argmax(dim=1) == target).sum()

    history = train(trainer_module, tmp_path, "3d", batch_size=4, val_batch_size=val_batch_size,
                    network_class=DropoutSpy, sum_correct_preds=count)
    evaluated = sum(size for training, _, size in calls if not training)
    assert evaluated == 7, (f"7 validation samples in batches of {val_batch_size}: expected all 7 through the model "
                            f"in evaluation mode, got {evaluated}.\nhint: the model has a mode for evaluation; "
                            "switch to it before the validation batches (Q 3d)")
    assert not any(grad for training, grad, _ in calls if not training), (
        "expected validation without gradient tracking, got it on.\nhint: validation needs no gradients; tell torch "
        "not to track them around the validation loop")
    _, (val_x, val_y) = make_data()
    expected, got = mean_loss(val_x, val_y), history[0]["val_loss"]
    per_batch = batch_mean_loss(val_x, val_y, val_batch_size)
    hint = ("weight each batch's loss by its size and divide by the number of validation samples"
            if got == pytest.approx(per_batch, rel=1e-4) else
            "evaluation mode switches dropout off; the loss is the mean over all validation samples, as in 3c")
    assert got == pytest.approx(expected, rel=1e-5), (
        f"a dropout model, validation batches of {val_batch_size}: expected validation_loss {expected:.4f}, "
        f"got {got:.4f}."
        f"\nhint: {hint}")
    with torch.no_grad():
        right = float((Linear3()(val_x).argmax(dim=1) == val_y).float().mean()) * 100
    assert history[0]["val_accuracy"] == pytest.approx(right), (
        f"expected a validation accuracy of {right:.1f} %, got {history[0]['val_accuracy']}.\nhint: every "
        "validation batch's output and target go through criterion, once per batch")


@pytest.mark.bonus_a
@pytest.mark.parametrize("classes, rows", [(5, 9), (2, 1), (1, 3), (10, 100)])
def test_hidden_bonus_a_other_class_numbers_and_batch_sizes(main_module, classes, rows):
    generator = torch.Generator().manual_seed(classes * 100 + rows)
    predicted = torch.randn(rows, classes, generator=generator)
    target = torch.randint(0, classes, (rows,), generator=generator)
    expected = int((predicted.argmax(dim=1) == target).sum())
    with explain(f"sum_correct_preds(scores ({rows}, {classes}), targets ({rows},)) to give one number"):
        got = main_module.sum_correct_preds(predicted, target)
    assert int(got) == expected and float(got) == int(got), (
        f"{rows} rows of {classes} class scores: expected {expected} right predictions, got {got!r}.\n"
        "hint: per row, the class with the highest score; count the rows where it is the target (a count, not a "
        "share)")


@pytest.mark.bonus_a
def test_hidden_bonus_a_none_right_counts_zero(main_module):
    predicted = torch.tensor([[0.0, 1.0, 0.5], [2.0, 0.0, 0.1]])
    got = main_module.sum_correct_preds(predicted, torch.tensor([2, 1]))
    assert got is not None and int(got) == 0, (f"no row right: expected 0, got {got!r}.\n"
                                               "hint: return the count, also when it is zero")


@pytest.mark.bonus_d
def test_hidden_bonus_d_other_layers_and_the_default_strengths(main_module):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.LayerNorm(8),
                                torch.nn.Linear(8, 3, bias=False), torch.nn.Linear(3, 2))
    weights = [p for p in model.parameters() if p.dim() > 1]
    hint = ("every parameter with two or more dimensions is a weight (a convolution's 4-d kernel too); biases and "
            "LayerNorm's parameters have one")
    with torch.no_grad():
        with explain("regularization(model) to give a number"):
            at_default = float(main_module.regularization(model))
        assert at_default == pytest.approx(0.0, abs=1e-12), (
            f"regularization(model) with both strengths at their default 0: expected 0, got {at_default:.3g}.\n"
            "hint: each term is its strength times its sum")
        for name, strength, term in (("l1_strength", 2.0, torch.abs), ("l2_strength", 3.0, torch.square)):
            expected = strength * sum(float(term(w).sum()) for w in weights)
            with explain(f"regularization(model, {name}={strength}) to give a number"):
                got = float(main_module.regularization(model, **{name: strength}))
            assert got == pytest.approx(expected, rel=1e-5), (
                f"regularization(model, {name}={strength}) of a model with a convolution, LayerNorm and two Linear "
                f"layers: expected {expected:.5f}, got {got:.5f}.\nhint: {hint}")
