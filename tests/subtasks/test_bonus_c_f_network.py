"""Bonus c (initialisation with model.apply) and bonus f (a network of any depth), in fnn.py."""

import math

import pytest
import torch


def wide_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(1000, 800), torch.nn.BatchNorm1d(800), torch.nn.ReLU(),
                               torch.nn.Linear(800, 600))


@pytest.mark.bonus_c
@pytest.mark.parametrize("scheme, expected_std", [
    ("kaiming_normal", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ("kaiming_uniform", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ("xavier_normal", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    ("xavier_uniform", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    ("normal", lambda fan_in, fan_out: 0.01),
])
def test_weights_get_the_spread_of_their_scheme(fnn, scheme, expected_std):
    model = wide_model()
    model.apply(fnn.make_initializer(scheme, bias=0.25))
    for linear in (model[0], model[3]):
        fan_out, fan_in = linear.weight.shape
        weight = linear.weight.detach()
        assert float(weight.std()) == pytest.approx(expected_std(fan_in, fan_out), rel=0.03)
        assert float(weight.mean()) == pytest.approx(0.0, abs=0.01)
        assert torch.all(linear.bias == 0.25)
    assert torch.all(model[1].weight == 1), "only Linear layers are re-initialised"


@pytest.mark.bonus_c
def test_zeros_scheme_and_unknown_scheme(fnn):
    model = wide_model()
    model.apply(fnn.make_initializer("zeros"))
    assert float(model[0].weight.detach().abs().sum()) == 0.0
    with pytest.raises(ValueError, match="unknown scheme 'he'"):
        fnn.make_initializer("he")


def linear_shapes(model):
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.bonus_f
@pytest.mark.parametrize("hidden", [[64], [256, 128, 64], [32] * 6])
def test_one_hidden_layer_per_size_then_the_output_layer(fnn, hidden):
    model = fnn.DeepFNN(784, hidden, 10, torch.nn.ReLU)
    sizes = [784, *hidden, 10]
    assert linear_shapes(model) == list(zip(sizes, sizes[1:]))
    assert sum(p.numel() for p in model.parameters()) == sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    assert len([m for m in model.modules() if isinstance(m, torch.nn.ReLU)]) == len(hidden)
    assert model(torch.rand(5, 784)).shape == (5, 10)


@pytest.mark.bonus_f
def test_two_hidden_layers_of_500_match_the_course_fnn(fnn):
    deep = fnn.DeepFNN(784, [500, 500], 10, torch.nn.ReLU)
    assert sum(p.numel() for p in deep.parameters()) == 648010


@pytest.mark.bonus_f
def test_dropout_follows_each_hidden_layer(fnn):
    model = fnn.DeepFNN(20, [16, 8], 3, torch.nn.ReLU, dropout=0.3)
    kinds = [type(m).__name__ for m in model.modules() if not isinstance(m, (torch.nn.Sequential, fnn.DeepFNN))]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"], (
        f"expected each hidden layer's activation to be followed by Dropout, and none after the output layer; "
        f"got {kinds}")
    assert all(m.p == 0.3 for m in model.modules() if isinstance(m, torch.nn.Dropout)), "use the dropout argument"
    with pytest.raises(ValueError, match="at least one"):
        fnn.DeepFNN(20, [], 3)

