"""Bonus c (initialisation with model.apply) and bonus f (a network of any depth), in fnn.py."""

import math

import pytest
import torch
from hints import Steps, explain

HINTS = {
    "bonus_c": Steps("one function that model.apply calls on every module: it re-draws the weights of Linear "
                     "layers with the chosen scheme and sets their biases",
                     "torch.nn.init.xavier_uniform_, kaiming_normal_ (nonlinearity='relu'), normal_, zeros_; "
                     "Tensor.fill_; torch.no_grad",
                     "with ___:  /  getattr(torch.nn.init, ___)(module.weight, ___)  /  "
                     "if module.bias ___: module.bias.___(___)"),
    "bonus_f": Steps("a list of sizes gives the hidden layers in order, each from the size before it",
                     "_dense_layer for each pair of neighbouring sizes (zip), torch.nn.Dropout, torch.nn.Sequential",
                     "sizes = [___, ___]  /  for a, b in zip(___, ___): layers.append(___)  /  "
                     "self.layers = torch.nn.Sequential(___)"),
}

def wide_model():
    """Two Linear layers with biases around a batch norm, and a bias-free Linear layer."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(1000, 800), torch.nn.BatchNorm1d(800), torch.nn.ReLU(),
                               torch.nn.Linear(800, 600), torch.nn.Linear(600, 500, bias=False))


def initialise(fnn, model, scheme, **kwargs):
    with explain(f"model.apply(make_initializer({scheme!r})) to re-initialise the Linear layers",
                 (AttributeError, "'NoneType' object has no attribute",
                  "a Linear layer made with bias=False has module.bias None: fill the bias only if it is not None"),
                 (RuntimeError, "leaf Variable that requires grad",
                  "change the parameters in place with gradient tracking switched off")):
        model.apply(fnn.make_initializer(scheme, **kwargs))


# A uniform distribution of standard deviation s ends at sqrt(3) s; among 480000 normal draws some are beyond 4 s.
UNIFORM_EDGE = math.sqrt(3)


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
    initialise(fnn, model, scheme, bias=0.25)
    for linear in (model[0], model[3], model[4]):
        fan_out, fan_in = linear.weight.shape
        weight = linear.weight.detach()
        std, wanted = float(weight.std()), expected_std(fan_in, fan_out)
        formula = {"kaiming": "sqrt(2 / fan_in)", "xavier": "sqrt(2 / (fan_in + fan_out))"}.get(scheme.split("_")[0],
                                                                                                  "0.01")
        assert std == pytest.approx(wanted, rel=0.03), (
            f"{scheme} on Linear({fan_in}, {fan_out}): expected a standard deviation of {formula} = {wanted:.4f}, "
            f"got {std:.4f}.\nhint: torch.nn.init.{scheme}_" + ("(weight, nonlinearity='relu') (fan_in mode)"
                                                                if scheme.startswith("kaiming") else
                                                                "(weight, std=0.01)" if scheme == "normal"
                                                                else "(weight)"))
        assert float(weight.mean()) == pytest.approx(0.0, abs=0.01), f"{scheme}: expected weights around 0"
        edge = float(weight.abs().max()) / std
        if scheme.endswith("uniform"):
            assert edge < UNIFORM_EDGE * 1.01, (f"{scheme}: expected uniform weights, within sqrt(3) standard "
                                                f"deviations of 0, got some {edge:.1f} away (a normal "
                                                f"distribution).\nhint: torch.nn.init.{scheme}_")
        else:
            assert edge > 3.5, (f"{scheme}: expected normally distributed weights, got all within {edge:.2f} "
                                f"standard deviations (a uniform distribution).\nhint: torch.nn.init.{scheme}_")
        if linear.bias is not None:
            assert torch.all(linear.bias == 0.25), (
                f"make_initializer({scheme!r}, bias=0.25): expected every bias 0.25, got "
                f"{linear.bias[:3].tolist()} ...\nhint: fill every entry of the bias with the value bias")
    assert model[4].bias is None, "expected the bias-free Linear layer to stay without a bias"
    assert torch.all(model[1].weight == 1), "expected only Linear layers re-initialised, not batch norm"


@pytest.mark.bonus_c
def test_zeros_scheme_and_unknown_scheme(fnn):
    model = wide_model()
    initialise(fnn, model, "zeros")
    total = float(model[0].weight.detach().abs().sum())
    assert total == 0.0, f"'zeros': expected all weights 0, got a sum of |w| of {total:.3g}"
    with pytest.raises(ValueError, match="unknown scheme 'he'"):
        fnn.make_initializer("he")


def linear_shapes(model):
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]


def deep(fnn, *args, **kwargs):
    with explain(f"DeepFNN{args} to build"):
        return fnn.DeepFNN(*args, **kwargs)


@pytest.mark.bonus_f
@pytest.mark.parametrize("hidden", [[64], [256, 128, 64], [32] * 6])
def test_one_hidden_layer_per_size_then_the_output_layer(fnn, hidden):
    model = deep(fnn, 784, hidden, 10, torch.nn.ReLU)
    sizes = [784, *hidden, 10]
    expected = list(zip(sizes, sizes[1:]))
    shapes = linear_shapes(model)
    assert shapes, ("expected Linear layers in the model, got none.\nhint: keep the layers in one "
                    "torch.nn.Sequential as self.layers; PyTorch does not see layers kept in a plain Python list")
    assert shapes == expected, (f"DeepFNN(784, {hidden}, 10): expected Linear layers (in, out) {expected}, got "
                                f"{shapes}.\nhint: each hidden layer takes the size of the one before it")
    activations = len([m for m in model.modules() if isinstance(m, torch.nn.ReLU)])
    assert activations == len(hidden), (f"expected {len(hidden)} ReLU (one per hidden layer), got {activations}.\n"
                                        "hint: the output layer has no activation")
    with explain("the model to map (5, 784) to (5, 10)"):
        output = model(torch.rand(5, 784))
    assert output.shape == (5, 10), f"expected output of shape (5, 10), got {tuple(output.shape)}"


@pytest.mark.bonus_f
def test_two_hidden_layers_of_500_match_the_course_fnn(fnn):
    count = sum(p.numel() for p in deep(fnn, 784, [500, 500], 10, torch.nn.ReLU).parameters())
    assert count == 648010, f"DeepFNN(784, [500, 500], 10): expected 648010 parameters like FNN, got {count}"


@pytest.mark.bonus_f
def test_dropout_follows_each_hidden_layer(fnn):
    model = deep(fnn, 20, [16, 8], 3, torch.nn.ReLU, dropout=0.3)
    containers = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict, fnn.DeepFNN)
    kinds = [type(m).__name__ for m in model.modules() if not isinstance(m, containers)]
    expected = ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert kinds == expected, (
        f"expected {expected}, got {kinds}.\nhint: append torch.nn.Dropout(dropout) right after each hidden "
        "_dense_layer (after its activation), none before the first layer or after the output layer")
    assert all(m.p == 0.3 for m in model.modules() if isinstance(m, torch.nn.Dropout)), "use the dropout argument"
