"""Task 3: the generic trainer (utils/network_trainer.py), on tiny synthetic data.

Training data: 10 samples in batches of 4, 4 and 2; validation data: 6 samples in batches of 4
and 2 (``tests/tiny_data.py``). Each part of task 3 is checked on its own: parts not written
yet are replaced by simple stand-ins (``tests/stand_ins.py``).
"""

import json

import pytest
import torch
from hints import Steps, explain
from stand_ins import trainer_with_stand_ins
from tiny_data import Linear2, make_data, make_loader

HINTS = {
    "3a": Steps("each epoch sums its own losses: both sums start at zero before their loop over batches",
                "two local variables, train_loss in _train_one_epoch and validation_loss in _validate, floats",
                "name = ___   (a float, before the for loop; once in each of the two methods)"),
    "3b": Steps("per batch, in this order: clear old gradients, forward pass, loss, backward pass, optimizer step",
                "optimizer.zero_grad and optimizer.step; calling model(...) runs forward; criterion(...) gives the "
                "loss; .backward() on the loss plus regularization(model)",
                "___  /  output = ___  /  loss = ___  /  (___).backward()  /  ___   (five lines in the sheet's "
                "order; which sum the backward pass differentiates is yours)"),
    "3c": Steps("a batch's loss is a mean over that batch; the epoch's loss must be the mean over all samples",
                "loss.item() is the batch mean as a number, len(target) the batch's size, len_train_data the "
                "number of training samples",
                "in the loop: train_loss += ___ * ___   after it: train_loss = train_loss / ___"),
    "3d": Steps("validation measures the model, it does not train it: no step, no gradients, the model in the "
                "mode for evaluation",
                "model.eval (Module's switch to evaluation mode) and the context manager torch.no_grad; the loss "
                "summed as in 3c, divided by len_val_data",
                "___  /  with ___:  /      for ___ in val_batches: forward, loss, "
                "validation_loss += ___  /  validation_loss = ___ / ___"),
}

def train(trainer_module, tmp_path, part, lr=0.0, epochs=2, network_class=Linear2, optimizer=torch.optim.SGD,
          loss=torch.nn.CrossEntropyLoss, returned=None, stand_ins=True, **kwargs):
    """Train on the tiny data with the student's trainer (other parts of task 3 stood in for,
    unless ``stand_ins`` is False: then all of task 3 is the student's).

    ``returned`` (a list) collects what ``_train_one_epoch`` returns in each epoch.
    """
    train_data, val_data = make_data()
    trainer_class = trainer_module.NetworkTrainer
    if stand_ins:
        trainer_class = trainer_with_stand_ins(trainer_class, keep=part)
    if returned is not None:
        class Spy(trainer_class):
            def _train_one_epoch(self, *args):
                returned.append(super()._train_one_epoch(*args))
                return returned[-1]

        trainer_class = Spy
    trainer = trainer_class(network_class, loss, optimizer,
                            data_loader=make_loader(train_data, val_data), folder=tmp_path, device="cpu",
                            progress=False)
    with explain(f"{epochs} epoch(s) of training on 10 samples to run", *COMMON_ERRORS):
        run = trainer.train_network(epochs, {}, optimizer_params={"lr": lr}, **kwargs)
    return json.loads((run / "run.json").read_text())["history"], run


COMMON_ERRORS = (
    (TypeError, "'float' object is not iterable|can only concatenate list|unsupported operand.*'list'",
     "train_loss and validation_loss start as the number 0.0, not a list"),
    (TypeError, "unsupported operand.*NoneType", "the losses start as the number 0.0, not None"),
    ((UnboundLocalError, NameError), "train_loss",
     "3a: train_loss is a local variable of _train_one_epoch (not self.train_loss), set to zero before the loop"),
    ((UnboundLocalError, NameError), "validation_loss",
     "3a: validation_loss is a local variable of _validate, set to zero before the loop"),
    (Exception, "loss is inf", "3a: the losses start at 0.0, not at infinity"),
    (RuntimeError, "result type Float can't be cast to the desired output type Long",
     "3a: a loss sum that starts as an integer (0 or torch.tensor(0)) cannot add float losses in place: "
     "start at 0.0"),
    ((RuntimeError, IndexError, ValueError, NotImplementedError),
     "not implemented for 'Long'|Expected floating point|expected scalar type Long|"
     "only integer tensors|out of bounds|Target .* out of bounds|0D or 1D target",
     "3b: criterion(output, target): the network's output first, then the target"),
    (RuntimeError, "does not require grad|element 0 of tensors",
     "3b: call backward on the loss of this batch, computed from model(input_data) with gradients on"),
)


def mean_loss(data):
    """Cross entropy of the untrained Linear2, averaged over every sample of ``data``."""
    x, y = data
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(Linear2()(x), y).item()


class ZeroLoss(torch.nn.Module):
    """A loss that is exactly 0 on every batch (its gradient is 0 too)."""

    def forward(self, output, target):
        return (output * 0).sum()


@pytest.mark.task3a
def test_losses_start_from_zero(trainer_module, tmp_path):
    history, _ = train(trainer_module, tmp_path, "3a", lr=0.0, epochs=2, loss=ZeroLoss)
    for epoch in history:
        assert epoch["train_loss"] == 0.0, (
            f"with a loss of 0 on every batch, expected train_loss 0.0, got {epoch['train_loss']}.\n"
            "hint: the sum of the epoch's losses starts at zero, before the loop over batches")
        assert epoch["val_loss"] == 0.0, (
            f"with a loss of 0 on every batch, expected validation_loss 0.0, got {epoch['val_loss']}.\n"
            "hint: the sum of the validation losses starts at zero, before the loop over batches")


@pytest.mark.task3a
def test_losses_start_from_zero_in_every_epoch(trainer_module, tmp_path):
    history, _ = train(trainer_module, tmp_path, "3a", lr=0.0, epochs=3)  # lr 0: the losses stay the same
    train_losses = [round(epoch["train_loss"], 5) for epoch in history]
    val_losses = [round(epoch["val_loss"], 5) for epoch in history]
    assert train_losses[0] == train_losses[1] == train_losses[2], (
        f"with a fixed model every epoch has the same training loss, but got {train_losses}.\n"
        "hint: every epoch sums its own losses: train_loss starts at zero in each call of _train_one_epoch")
    assert val_losses[0] == val_losses[1] == val_losses[2], (
        f"with a fixed model every epoch has the same validation loss, but got {val_losses}.\n"
        "hint: every epoch sums its own losses: validation_loss starts at zero in each call of _validate")


class RecordingSGD(torch.optim.SGD):
    """SGD that remembers the gradients it was asked to step with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([None if p.grad is None else p.grad.clone()
                          for group in self.param_groups for p in group["params"]])
        return super().step(closure)


def recording_optimizer():
    """An optimizer factory for the trainer, and a dict where the RecordingSGD it made lands."""
    made = {}

    def optimizer(params, lr):
        made["optimizer"] = RecordingSGD(params, lr)
        return made["optimizer"]

    return optimizer, made


def fresh_gradient(x, y, penalty=None):
    model = Linear2()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    (loss + (penalty(model) if penalty else 0)).backward()
    return [model.linear.weight.grad, model.linear.bias.grad]


@pytest.mark.task3b
def test_one_step_per_batch_with_the_gradient_of_that_batch_alone(trainer_module, tmp_path):
    optimizer, made = recording_optimizer()
    train(trainer_module, tmp_path, "3b", optimizer=optimizer, lr=0.0, epochs=2)
    seen = made["optimizer"].seen
    assert len(seen) == 6, (f"expected one optimizer step per batch (3 batches x 2 epochs = 6), got {len(seen)}.\n"
                            "hint: one update of the weights per batch, inside the loop over batches")
    assert all(g is not None for grads in seen for g in grads), (
        "the optimizer's step found no gradients.\nhint: the sheet's order is: clear the gradients, forward, loss, "
        "backward, step; clearing them between backward and step throws them away")
    (x, y), _ = make_data()
    for step, grads in enumerate(seen):
        start = (step % 3) * 4
        fresh = fresh_gradient(x[start:start + 4], y[start:start + 4])
        assert all(torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, fresh)), (
            f"step {step + 1}: the gradient is not the one of this batch alone.\n"
            "hint: gradients add up until they are cleared: clear them before each batch's backward pass")


@pytest.mark.task3b
def test_the_regularization_penalty_enters_the_backward_pass(trainer_module, tmp_path):
    optimizer, made = recording_optimizer()
    def penalty(model):
        return 0.5 * model.linear.weight.pow(2).sum()

    train(trainer_module, tmp_path, "3b", optimizer=optimizer, lr=0.0, epochs=1, regularization=penalty)
    (x, y), _ = make_data()
    expected = fresh_gradient(x[:4], y[:4], penalty)
    assert torch.allclose(made["optimizer"].seen[0][0], expected[0], atol=1e-6), (
        "the gradient leaves out the regularization penalty.\n"
        "hint: call backward on loss + regularization(model), not on loss alone")


@pytest.mark.task3b
def test_training_lowers_the_loss(trainer_module, tmp_path):
    history, _ = train(trainer_module, tmp_path, "3b", lr=0.5, epochs=15)
    first, last = history[0]["train_loss"], history[-1]["train_loss"]
    assert last < 0.8 * first, (f"15 epochs of SGD (lr 0.5) left the training loss at {last:.4f} "
                                f"(epoch 1: {first:.4f}).\nhint: does the optimizer take its step after the "
                                "backward pass?")


@pytest.mark.task3c
def test_train_loss_is_the_per_sample_average_with_a_ragged_last_batch(trainer_module, tmp_path):
    history, _ = train(trainer_module, tmp_path, "3c", lr=0.0, epochs=1)
    (x, y), _ = make_data()
    with torch.no_grad():
        per_batch = sum(torch.nn.functional.cross_entropy(Linear2()(x[i:i + 4]), y[i:i + 4]).item()
                        for i in (0, 4, 8)) / 3
    expected, got = mean_loss((x, y)), history[0]["train_loss"]
    hint = ("hint: a batch's loss is a mean over that batch; the epoch's loss must be the mean over all samples, "
            "so a batch of 2 counts half as much as a batch of 4"
            if got == pytest.approx(per_batch, rel=1e-4) else
            "hint: weight each batch's loss by its size, sum, and divide by the number of samples")
    assert got == pytest.approx(expected, rel=1e-5), (
        f"train_loss should be the mean over all 10 samples, {expected:.4f}, but is {got:.4f} "
        f"(the mean of the 3 batch means would be {per_batch:.4f}).\n{hint}")


@pytest.mark.task3c
def test_train_loss_is_a_number_without_the_computation_graph(trainer_module, tmp_path):
    returned = []
    train(trainer_module, tmp_path, "3c", lr=0.0, epochs=1, returned=returned)
    value = returned[0]
    holds_graph = isinstance(value, torch.Tensor) and value.requires_grad
    assert not holds_graph, (
        "expected train_loss as a number, got a tensor that keeps every batch's computation graph alive.\n"
        "hint: add the loss as a plain number (the tensor's value), not the tensor itself")


class PhaseSpy(Linear2):
    """Records, for every forward pass, whether it ran in training mode and with gradients."""

    calls = []

    def __init__(self):
        super().__init__(dropout=0.5)

    def forward(self, x):
        PhaseSpy.calls.append((self.training, torch.is_grad_enabled(), x.shape[0]))
        return super().forward(x)


@pytest.mark.task3d
def test_validation_runs_in_eval_mode_without_gradients(trainer_module, tmp_path):
    PhaseSpy.calls = []
    train(trainer_module, tmp_path, "3d", lr=0.0, epochs=2, network_class=PhaseSpy)
    validation = [c for c in PhaseSpy.calls if not c[0] or not c[1]]
    seen = sum(c[2] for c in PhaseSpy.calls if not c[0])
    assert seen == 12, (f"2 epochs x 6 validation samples = 12 should pass through the model in evaluation "
                        f"mode, but {seen} did.\nhint: a module has a training mode and an evaluation mode; "
                        "validation uses the second (Q 3d)")
    assert not any(c[1] for c in validation), (
        "validation ran with gradient tracking on.\nhint: validation needs no gradients; torch can be told not to "
        "track them, which saves time and memory (Q 3d)")


@pytest.mark.task3d
def test_validation_loss_is_the_per_sample_mean_of_the_model_in_eval_mode(trainer_module, tmp_path):
    PhaseSpy.calls = []
    history, _ = train(trainer_module, tmp_path, "3d", lr=0.0, epochs=1, network_class=PhaseSpy)
    _, val = make_data()
    expected, got = mean_loss(val), history[0]["val_loss"]
    x, y = val
    with torch.no_grad():
        per_batch = sum(torch.nn.functional.cross_entropy(Linear2()(x[i:i + 4]), y[i:i + 4]).item()
                        for i in (0, 4)) / 2
    hint = ("weight each batch's loss by len(target) and divide the sum by len_val_data, not by the number "
            "of batches" if got == pytest.approx(per_batch, rel=1e-4) else
            "evaluation mode first (this test's model has dropout, which evaluation mode switches off), then "
            "the per-sample mean as in 3c")
    assert got == pytest.approx(expected, rel=1e-5), (
        f"validation_loss should be the mean over the 6 validation samples, {expected:.4f}, but is {got:.4f} "
        f"(the mean of the 2 batch means would be {per_batch:.4f}).\nhint: {hint}")


@pytest.mark.task3d
def test_validation_counts_correct_predictions(trainer_module, tmp_path):
    def count(output, target):
        return (output.argmax(dim=1) == target).sum()

    history, _ = train(trainer_module, tmp_path, "3d", lr=0.0, epochs=1, sum_correct_preds=count)
    _, (val_x, val_y) = make_data()
    with torch.no_grad():
        expected = 100.0 * float((Linear2()(val_x).argmax(dim=1) == val_y).float().mean())
    assert history[0]["val_accuracy"] == pytest.approx(expected), (
        f"validation accuracy should be {expected:.1f} %, got {history[0]['val_accuracy']}.\n"
        "hint: every validation batch's output and target go through criterion, once per batch")
