"""Bonus e (the sweep's configurations) and bonus g (MSE on one-hot targets)."""

import pytest
import torch
from conftest import StudentModule

sweep = StudentModule("bonus_e_sweep")
regression = StudentModule("bonus_g_regression")

GRID = {"width": [128, 500], "depth": [1, 2, 3], "activation": ["ReLU", "Tanh"]}


def factors(config):
    return {key: config[key] for key in sweep.DEFAULT}


@pytest.mark.bonus_e
def test_each_factor_is_varied_alone_around_the_default():
    alone = [factors(c) for c in sweep.sweep_configs(GRID) if c["kind"] == "one at a time"]
    for factor, values in GRID.items():
        for value in values:
            assert dict(sweep.DEFAULT, **{factor: value}) in alone


@pytest.mark.bonus_e
def test_every_combination_is_there_once():
    configs = [factors(c) for c in sweep.sweep_configs(GRID)]
    assert len(configs) == len({tuple(sorted(c.items())) for c in configs}), "no configuration twice"
    assert len(configs) == 2 * 3 * 2, "all 12 combinations, the one-at-a-time ones among them"


@pytest.mark.bonus_g
def test_mse_against_one_hot_targets():
    output = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.2, 0.5]])
    target = torch.tensor([0, 2])
    expected = ((0.1 ** 2 + 0.1 ** 2) + (0.2 ** 2 + 0.2 ** 2 + 0.5 ** 2)) / 6
    assert float(regression.OneHotMSELoss()(output, target)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.bonus_g
def test_mse_gradient_pulls_the_true_class_up():
    output = torch.zeros(1, 4, requires_grad=True)
    regression.OneHotMSELoss()(output, torch.tensor([2])).backward()
    assert output.grad[0, 2] < 0 and torch.all(output.grad[0, [0, 1, 3]] == 0)
