"""Bonus e (the sweep's configurations) and bonus g (MSE on one-hot targets)."""

import pytest
import torch
from conftest import StudentModule
from hints import Steps, explain

HINTS = {
    "bonus_e": Steps("vary one factor at a time around the default, then try every combination; nothing twice",
                     "dict(default, **{factor: value}) for one change, itertools.product over the grid's values",
                     "for factor, values in ___: for value in ___: add(___)  /  "
                     "for combo in itertools.product(___): add(___)"),
    "bonus_g": Steps("regression: compare the raw outputs with one-hot target rows by the mean squared error",
                     "torch.nn.functional.one_hot (as float) and torch.nn.functional.mse_loss",
                     "return F.mse_loss(___, F.one_hot(___, ___).to(___))"),
}

sweep = StudentModule("bonus_e_sweep")
regression = StudentModule("bonus_g_regression")

GRID = {"width": [128, 500], "depth": [1, 2, 3], "activation": ["ReLU", "Tanh"]}


def factors(config):
    missing = [key for key in sweep.DEFAULT if key not in config]
    assert not missing, (f"expected every configuration to name {list(sweep.DEFAULT)}, got {config} without "
                         f"{missing}.\nhint: start from the default: dict(default, **{{factor: value}})")
    return {key: config[key] for key in sweep.DEFAULT}


def configs():
    with explain("sweep_configs(grid) to return a list of configurations"):
        return sweep.sweep_configs(GRID)


@pytest.mark.bonus_e
def test_each_factor_is_varied_alone_around_the_default():
    alone = [factors(c) for c in configs() if c.get("kind") == "one at a time"]
    for factor, values in GRID.items():
        for value in values:
            wanted = dict(sweep.DEFAULT, **{factor: value})
            assert wanted in alone, (
                f"expected the default with only {factor} = {value!r}, {wanted}, among the 'one at a time' "
                f"configurations, got {alone}.\nhint: for each factor and value: dict(default, **{{factor: value}})")


@pytest.mark.bonus_e
def test_every_combination_is_there_once():
    found = [factors(c) for c in configs()]
    unique = {tuple(sorted(c.items())) for c in found}
    assert len(found) == len(unique), (f"expected no configuration twice, got {len(found)} with only {len(unique)} "
                                       "different.\nhint: skip a combination that is already in the list")
    assert len(found) == 2 * 3 * 2, (f"expected all 2 x 3 x 2 = 12 combinations (the one-at-a-time ones among "
                                     f"them), got {len(found)}.\nhint: itertools.product(*grid.values())")


@pytest.mark.bonus_g
def test_mse_against_one_hot_targets():
    output = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.2, 0.5]])
    target = torch.tensor([0, 2])
    expected = ((0.1 ** 2 + 0.1 ** 2) + (0.2 ** 2 + 0.2 ** 2 + 0.5 ** 2)) / 6
    got = loss(output, target)
    hint = ("hint: the mean over all 6 entries (mse_loss's default reduction), not the sum"
            if got == pytest.approx(expected * 6, rel=1e-6) else
            "hint: the MSE between the raw outputs and the one-hot rows F.one_hot(target, num_classes).float()")
    assert got == pytest.approx(expected, rel=1e-6), (
        f"outputs [[0.9, 0.1, 0], [0.2, 0.2, 0.5]], targets [0, 2]: expected the mean of (output - one_hot)^2 "
        f"= {expected:.5f}, got {got:.5f}.\n{hint}")


@pytest.mark.bonus_g
def test_mse_gradient_pulls_the_true_class_up():
    output = torch.zeros(1, 4, requires_grad=True)
    loss(output, torch.tensor([2]), value=False).backward()
    assert output.grad[0, 2] < 0 and torch.all(output.grad[0, [0, 1, 3]] == 0), (
        f"one output row of zeros, target 2 of 4 classes: expected a gradient pulling only entry 2 up, got "
        f"{output.grad[0].tolist()}")


def loss(output, target, value=True):
    with explain(f"OneHotMSELoss()(output {tuple(output.shape)}, class indices {tuple(target.shape)}) to give a loss",
                 (RuntimeError, "must match the size|shape", "compare with one-hot rows as wide as the output: "
                  "F.one_hot(target, output.shape[1]) (the number of classes, not the largest label + 1)"),
                 (RuntimeError, "dtype|Long|Float",
                  "turn the one-hot rows into floats: .float() or .to(output.dtype)")):
        result = regression.OneHotMSELoss()(output, target)
        return float(result) if value else result
