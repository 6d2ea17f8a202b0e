"""Task 3 and bonus a, d: the generic trainer (utils/network_trainer.py), on tiny synthetic data.

The data has 10 training samples in batches of 4, 4 and 2 (a ragged last batch), so a loss
averaged per batch instead of per sample comes out visibly wrong.
"""

import json

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from utils.network_trainer import NetworkTrainer, l1_penalty, l2_penalty, sum_correct_preds


def make_data():
    generator = torch.Generator().manual_seed(0)
    train_x = torch.randn(10, 3, generator=generator)
    train_y = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    train_x[8:] *= 6
    with torch.no_grad():  # the last, short batch is confidently wrong: a much larger loss
        train_y[8:] = 1 - Linear2()(train_x[8:]).argmax(dim=1)
    val_x = torch.randn(6, 3, generator=generator) + 1.0
    val_y = torch.tensor([1, 0, 1, 1, 0, 0])
    return (train_x, train_y), (val_x, val_y)


def make_loader(train, val, batch_size=4):
    loaders = {"train": DataLoader(TensorDataset(*train), batch_size=batch_size),
               "val": DataLoader(TensorDataset(*val), batch_size=batch_size)}
    return lambda split: loaders[split]


class Linear2(torch.nn.Module):
    def __init__(self, in_features=3, dropout=0.0):
        super().__init__()
        torch.manual_seed(1)
        self.dropout = torch.nn.Dropout(dropout)
        self.linear = torch.nn.Linear(in_features, 2)

    def forward(self, x):
        return self.linear(self.dropout(x))


def train(tmp_path, network_params=None, optimizer=torch.optim.SGD, lr=0.0, epochs=2,
          network_class=Linear2, **kwargs):
    train_data, val_data = make_data()
    trainer = NetworkTrainer(network_class, torch.nn.CrossEntropyLoss, optimizer,
                             data_loader=make_loader(train_data, val_data), folder=tmp_path,
                             device="cpu", progress=False)
    run = trainer.train_network(epochs, network_params or {}, optimizer_params={"lr": lr}, **kwargs)
    return json.loads((run / "run.json").read_text())["history"], run


def expected_loss(data):
    x, y = data
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(Linear2()(x), y).item()


@pytest.mark.task3a
def test_losses_start_from_zero_in_every_epoch(tmp_path):
    history, _ = train(tmp_path, lr=0.0, epochs=3)  # lr 0: the model, so the losses, stay fixed
    train_losses = [epoch["train_loss"] for epoch in history]
    val_losses = [epoch["val_loss"] for epoch in history]
    assert train_losses == pytest.approx([train_losses[0]] * 3), "train_loss grows across epochs"
    assert val_losses == pytest.approx([val_losses[0]] * 3), "validation_loss grows across epochs"


class RecordingSGD(torch.optim.SGD):
    """SGD that remembers the gradients it was asked to step with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([p.grad.clone() for group in self.param_groups for p in group["params"]])
        return super().step(closure)


@pytest.mark.task3b
def test_one_step_per_batch_with_fresh_gradients(tmp_path):
    train_data, val_data = make_data()
    made = {}

    def optimizer(params, lr):
        made["optimizer"] = RecordingSGD(params, lr)
        return made["optimizer"]

    trainer = NetworkTrainer(Linear2, torch.nn.CrossEntropyLoss, optimizer,
                             data_loader=make_loader(train_data, val_data), folder=tmp_path,
                             device="cpu", progress=False)
    trainer.train_network(2, {}, optimizer_params={"lr": 0.0})
    seen = made["optimizer"].seen
    assert len(seen) == 6, f"expected one optimizer step per batch (3 batches x 2 epochs), got {len(seen)}"
    model = Linear2()
    x, y = train_data
    for step, grads in enumerate(seen):
        batch = slice((step % 3) * 4, (step % 3) * 4 + 4)
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
        fresh = [model.linear.weight.grad, model.linear.bias.grad]
        assert all(torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, fresh)), (
            f"step {step + 1}: the gradient is not the one of this batch alone - are the "
            "gradients zeroed before each backward pass?")


@pytest.mark.task3b
def test_training_lowers_the_loss(tmp_path):
    history, _ = train(tmp_path, lr=0.5, epochs=15)
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]


@pytest.mark.task3c
def test_train_loss_is_the_per_sample_average_with_a_ragged_last_batch(tmp_path):
    train_data, _ = make_data()
    history, _ = train(tmp_path, lr=0.0, epochs=1)
    x, y = train_data
    with torch.no_grad():
        batch_means = [torch.nn.functional.cross_entropy(Linear2()(x[i:i + 4]), y[i:i + 4]).item()
                       for i in (0, 4, 8)]
    assert abs(sum(batch_means) / 3 - expected_loss(train_data)) > 0.1  # the data tells them apart
    assert history[0]["train_loss"] == pytest.approx(expected_loss(train_data), rel=1e-5), (
        "train_loss must be the mean over all samples: weight each batch's loss by its size")


class PhaseSpy(Linear2):
    """Records, for every forward pass, whether it ran in training mode and with gradients."""

    calls = []

    def __init__(self):
        super().__init__(dropout=0.5)

    def forward(self, x):
        PhaseSpy.calls.append((self.training, torch.is_grad_enabled(), x.shape[0]))
        return super().forward(x)


@pytest.mark.task3d
def test_validation_runs_in_eval_mode_without_gradients(tmp_path):
    PhaseSpy.calls = []
    history, _ = train(tmp_path, lr=0.0, epochs=2, network_class=PhaseSpy)
    train_calls = [c for c in PhaseSpy.calls if c[0]]
    eval_calls = [c for c in PhaseSpy.calls if not c[0]]
    assert sum(c[2] for c in eval_calls) == 12, "each epoch validates all 6 samples in eval mode"
    assert not any(c[1] for c in eval_calls), "validation must run without gradient tracking"
    assert sum(c[2] for c in train_calls) == 20, "training forward passes run in training mode"
    _, val_data = make_data()
    # In eval mode dropout is off, so the validation loss is exactly the plain model's.
    assert history[0]["val_loss"] == pytest.approx(expected_loss(val_data), rel=1e-5)
    assert history[1]["val_loss"] == pytest.approx(expected_loss(val_data), rel=1e-5)


@pytest.mark.bonus_a
def test_sum_correct_preds_counts_the_argmax_hits():
    predicted = torch.tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 0.0], [0.0, 0.0, 9.0], [1.0, 3.0, 2.0]])
    target = torch.tensor([1, 0, 1, 2])
    assert int(sum_correct_preds(predicted, target)) == 2
    assert int(sum_correct_preds(predicted[:1], target[:1])) == 1


@pytest.mark.bonus_a
def test_trainer_reports_accuracy_in_percent(tmp_path):
    history, _ = train(tmp_path, lr=0.5, epochs=3, sum_correct_preds=sum_correct_preds)
    accuracy = history[-1]["val_accuracy"]
    assert accuracy is not None and 0 <= accuracy <= 100
    assert accuracy * 6 / 100 == pytest.approx(round(accuracy * 6 / 100)), "a share of 6 samples"


@pytest.mark.bonus_d
def test_penalties_follow_their_formulas():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    weights = [model[0].weight, model[2].weight]
    with torch.no_grad():
        assert float(l1_penalty(model, strength=0.1)) == pytest.approx(
            0.1 * sum(float(w.abs().sum()) for w in weights), rel=1e-5)
        assert float(l2_penalty(model, strength=0.01)) == pytest.approx(
            0.01 * sum(float(w.pow(2).sum()) for w in weights), rel=1e-5)
    l1_penalty(model, strength=1.0).backward()
    assert model[0].bias.grad is None, "biases are not penalised"
    assert torch.allclose(model[0].weight.grad, torch.sign(model[0].weight))


@pytest.mark.bonus_d
def test_a_penalty_passed_to_the_trainer_shrinks_the_weights(tmp_path):
    _, plain = train(tmp_path / "plain", lr=0.1, epochs=5)
    _, shrunk = train(tmp_path / "l2", lr=0.1, epochs=5,
                      regularization=lambda model: l2_penalty(model, strength=1.0))

    def weight_norm(run):
        return float(torch.load(run / "weights.pt", weights_only=True)["linear.weight"].norm())

    assert weight_norm(shrunk) < 0.7 * weight_norm(plain)
