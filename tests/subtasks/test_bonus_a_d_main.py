"""Bonus a and d: accuracy and regularisation, written in 01_main.py and passed to the trainer."""

import pytest
import torch
from hints import Steps, explain
from tiny_data import Linear2, make_data, make_loader

HINTS = {
    "bonus_a": Steps("a prediction is right when the highest score of its row is at the true class",
                     "Tensor.argmax over the class dimension, == against target, .sum() to count",
                     "return (predicted.argmax(dim=___) == ___).___()"),
    "bonus_d": Steps("the penalty sums over the weight matrices only (not biases), each strength times its sum; "
                     "keep it a tensor",
                     "model.parameters(), p.dim() for the number of dimensions, p.abs() and p.pow(2), .sum()",
                     "weights = [p for p in model.parameters() if ___]  /  "
                     "return l1_strength * sum(___ for w in weights) + l2_strength * sum(___ for w in weights)"),
}


@pytest.mark.bonus_a
def test_sum_correct_preds_counts_the_argmax_hits(main_module):
    predicted = torch.tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 0.0], [0.0, 0.0, 9.0], [1.0, 3.0, 2.0]])
    target = torch.tensor([1, 0, 1, 2])
    with explain("one number: how many rows have their highest score at the target",
                 ((RuntimeError, ValueError, TypeError), "only one element|only integer|a Tensor with",
                  "compare the predicted class of each row with target, then count the hits"),
                 (RuntimeError, "must match the size of tensor",
                  "take the argmax over the classes of each row (dim=1): one predicted class per image")):
        got = float(main_module.sum_correct_preds(predicted, target))
    assert got == 2, (f"rows 1 and 2 have their highest score at the target: expected 2, got {got}.\n"
                      "hint: the class with the highest score per row (argmax over dim=1) compared with target, "
                      "then counted (a count, not a mean)")
    one = float(main_module.sum_correct_preds(predicted[:1], target[:1]))
    assert one == 1, f"a batch of one right prediction: expected 1, got {one}"


@pytest.mark.bonus_a
def test_the_trainer_reports_accuracy_in_percent(main_module, tmp_path):
    from utils.internals.training import TrainerBase

    main_module.sum_correct_preds(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))  # an unwritten TODO first
    history = _train(TrainerBase, tmp_path, epochs=3, lr=0.5, sum_correct_preds=main_module.sum_correct_preds)
    accuracy = history[-1]["val_accuracy"]
    assert accuracy is not None and 0 <= accuracy <= 100, f"expected a validation accuracy in percent, got {accuracy}"
    assert accuracy * 6 / 100 == pytest.approx(round(accuracy * 6 / 100)), (
        f"expected a share of 6 validation samples (0, 16.7, 33.3, ... %), got {accuracy}")


def _penalty(main_module, model, **strengths):
    with explain(f"regularization(model, {', '.join(f'{k}={v}' for k, v in strengths.items())}) to give a number"):
        return main_module.regularization(model, **strengths)


@pytest.mark.bonus_d
def test_the_penalty_follows_its_formula(main_module):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        model[1].weight.uniform_(0.5, 2.0)  # batch norm's scale: a parameter of one dimension, not a weight matrix
    weights = [model[0].weight, model[3].weight]
    others = [p for p in model.parameters() if p.dim() < 2]
    with torch.no_grad():
        for name, strengths, term in (("L1", {"l1_strength": 0.1}, torch.abs),
                                      ("L2", {"l2_strength": 0.01}, torch.square)):
            strength = next(iter(strengths.values()))
            expected = strength * sum(float(term(w).sum()) for w in weights)
            got = float(_penalty(main_module, model, **strengths))
            with_others = expected + strength * sum(float(term(p).sum()) for p in others)
            with_bn_weight = expected + strength * float(term(model[1].weight).sum())
            if got == pytest.approx(with_bn_weight, rel=1e-5):
                hint = ("batch norm's weight is named 'weight' but is not a weight matrix: pick the parameters "
                        "by their number of dimensions, not by name")
            elif got == pytest.approx(with_others, rel=1e-5):
                hint = "leave the biases and batch norm's parameters out: only parameters with two or more dimensions"
            elif got == pytest.approx(expected / strength, rel=1e-5):
                hint = "multiply each sum by its strength"
            elif got == pytest.approx(0.0, abs=1e-12):
                hint = f"with {name} alone switched on, its term must count ({next(iter(strengths))} > 0)"
            else:
                hint = f"strength * the sum of {'|w|' if name == 'L1' else 'w ** 2'} over the weight matrices"
            assert got == pytest.approx(expected, rel=1e-5), (
                f"{name} penalty: expected {expected:.5f} (strength * the sum over the 2 weight matrices), got "
                f"{got:.5f}.\nhint: {hint}")
        both = float(_penalty(main_module, model, l1_strength=0.1, l2_strength=0.01))
        expected = 0.1 * sum(float(w.abs().sum()) for w in weights) + 0.01 * sum(float(w.square().sum())
                                                                                for w in weights)
        assert both == pytest.approx(expected, rel=1e-5), (
            f"with both strengths the penalty is the sum of the L1 and the L2 term, {expected:.5f}; got {both:.5f}")
    with explain("the penalty to be a tensor that gradients flow through",
                 (AttributeError, "has no attribute 'backward'",
                  "keep the penalty a tensor: no .item() or float() in regularization")):
        main_module.regularization(model, l1_strength=1.0).backward()
    assert torch.allclose(model[0].weight.grad, torch.sign(model[0].weight)), \
        "expected the gradient of the L1 penalty (strength 1) to be sign(w)"


@pytest.mark.bonus_d
def test_the_penalty_passed_to_the_trainer_shrinks_the_weights(main_module, trainer_module, tmp_path):
    main_module.regularization(Linear2(), l2_strength=1.0)  # an unwritten TODO first
    # The penalty acts through the training step (3b): the whole of task 3 is the student's here.
    plain = _train(trainer_module.NetworkTrainer, tmp_path / "plain", epochs=5, lr=0.1, folder=True)
    shrunk = _train(trainer_module.NetworkTrainer, tmp_path / "l2", epochs=5, lr=0.1, folder=True,
                    regularization=lambda model: main_module.regularization(model, l2_strength=1.0))

    def weight_norm(run):
        return float(torch.load(run / "weights.pt", weights_only=True)["linear.weight"].norm())

    assert weight_norm(shrunk) < 0.7 * weight_norm(plain), (
        f"expected the L2 penalty (strength 1) to shrink the weights below 0.7 x {weight_norm(plain):.3f}, got "
        f"{weight_norm(shrunk):.3f}")


def _train(trainer_class, tmp_path, epochs, lr, folder=False, **kwargs):
    """Train Linear2 on the tiny data; the history, or the run folder with ``folder=True``."""
    import json

    if trainer_class.__name__ == "TrainerBase":
        trainer_class = _reference_loop(trainer_class)
    train, val = make_data()
    trainer = trainer_class(Linear2, torch.nn.CrossEntropyLoss, torch.optim.SGD, data_loader=make_loader(train, val),
                            folder=tmp_path, device="cpu", progress=False)
    run = trainer.train_network(epochs, {}, optimizer_params={"lr": lr}, **kwargs)
    return run if folder else json.loads((run / "run.json").read_text())["history"]


def _reference_loop(base):
    """A trainer whose loop is written here, so that bonus a is checked without task 3."""

    class Trainer(base):
        def train_network(self, num_epochs, network_params, **kwargs):
            run = self.start_run(num_epochs, network_params, **kwargs)
            with run:
                for epoch in range(1, num_epochs + 1):
                    run.end_epoch(epoch, self._pass(run, "train"), self._pass(run, "val"))
            return run.folder

        def _pass(self, run, split):
            batches, total = self.batches(split), 0.0
            run.model.train(split == "train")
            for x, y in batches:
                with torch.set_grad_enabled(split == "train"):
                    loss = run.criterion(run.model(x), y)
                if split == "train":
                    run.optimizer.zero_grad()
                    loss.backward()
                    run.optimizer.step()
                total += float(loss) * len(y)
            return total / len(batches.dataset)

    return Trainer
