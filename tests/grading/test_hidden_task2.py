"""Hidden checks of task 2 (fnn.py): other sizes, activations, batch sizes and images."""

import hidden_support  # noqa: F401 - puts tests/subtasks on sys.path first
import numpy as np
import pytest
import torch
from hints import explain
from test_task2_network import (  # noqa: F401 - HINTS: the same hints as the public checks
    CLASS_NOT_INSTANCE,
    HINTS,
    INSTANCE_CALLED,
    kinds,
    linear_layers,
    parameter_count,
)

ACTIVATIONS = {torch.nn.Sigmoid: torch.sigmoid, torch.nn.Tanh: torch.tanh, torch.nn.ReLU: torch.relu,
               torch.nn.LeakyReLU: torch.nn.functional.leaky_relu, torch.nn.GELU: torch.nn.functional.gelu}


@pytest.mark.task2a
@pytest.mark.parametrize("sizes, activation", [
    ((1, 1), torch.nn.Sigmoid),
    ((3, 7), torch.nn.LeakyReLU),
    ((17, 2), torch.nn.GELU),
    ((5, 5), None),
])
def test_hidden_2a_other_sizes_and_activations(fnn, sizes, activation):
    name = "None" if activation is None else f"torch.nn.{activation.__name__}"
    with explain(f"_dense_layer({sizes[0]}, {sizes[1]}, activation_func={name}) to return a torch.nn.Sequential",
                 CLASS_NOT_INSTANCE):
        layer = fnn._dense_layer(*sizes, activation_func=activation)
    assert isinstance(layer, torch.nn.Sequential), (f"expected a torch.nn.Sequential, got {type(layer).__name__}.\n"
                                                    "hint: the layers of the list, in one torch.nn.Sequential")
    found = linear_layers(layer)
    shapes = [(m.in_features, m.out_features) for m in found]
    assert shapes == [sizes], (f"_dense_layer({sizes[0]}, {sizes[1]}, ...): expected one Linear{sizes}, got "
                               f"{shapes or 'none'}.\nhint: the linear map goes from input_shape features to "
                               "output_shape features, whatever the numbers")
    wanted = ["Linear"] if activation is None else ["Linear", activation.__name__]
    hint = ("use the activation_func you are given (any activation class), not a fixed one"
            if activation is not None else "no activation when activation_func is None")
    assert kinds(layer) == wanted, f"expected {wanted} for activation_func={name}, got {kinds(layer)}.\nhint: {hint}"
    (linear,) = found
    for batch in (1, 4):
        x = torch.randn(batch, sizes[0], generator=torch.Generator().manual_seed(batch))
        with explain(f"the layer to map a ({batch}, {sizes[0]}) batch"):
            output = layer(x)
        expected = linear(x) if activation is None else ACTIVATIONS[activation](linear(x))
        assert output.shape == (batch, sizes[1]) and torch.allclose(output, expected, atol=1e-6), (
            f"a batch of {batch}: expected {'the linear map' if activation is None else name + ' of the linear map'}"
            f", shape {(batch, sizes[1])}, first values {hidden_support.rounded(expected.flatten())}, got shape "
            f"{tuple(output.shape)}, {hidden_support.rounded(output.flatten())}.\nhint: {hint}")


@pytest.mark.task2a
def test_hidden_2a_every_layer_gets_its_own_parameters(fnn):
    with explain("_dense_layer(6, 3, torch.nn.ReLU) to build twice", CLASS_NOT_INSTANCE):
        first, second = fnn._dense_layer(6, 3, torch.nn.ReLU), fnn._dense_layer(6, 3, torch.nn.ReLU)
    shared = {id(p) for p in first.parameters()} & {id(p) for p in second.parameters()}
    assert not shared, ("expected two calls of _dense_layer to give two layers with their own weights, got layers "
                        "that share them.\nhint: make a new linear map in every call")
    count = parameter_count(first)
    assert count == 6 * 3 + 3, (f"_dense_layer(6, 3, ...): expected 6 * 3 weights + 3 biases = 21 parameters, got "
                                f"{count}.\nhint: one linear map with its bias, and an activation (which has no "
                                "parameters)")


def build(fnn, *args):
    with explain(f"FNN{args} to build", CLASS_NOT_INSTANCE, INSTANCE_CALLED):
        return fnn.FNN(*args)


@pytest.mark.task2b
@pytest.mark.parametrize("args", [
    (5, 3, 2, torch.nn.Tanh),      # hidden smaller than the input
    (4, 16, 7, torch.nn.GELU),     # hidden larger than the input, seven classes
    (10, 6, 1, torch.nn.ReLU),     # one class
    (784, 64, 10, torch.nn.LeakyReLU),
])
def test_hidden_2b_other_hidden_sizes_and_class_numbers(fnn, args):
    input_shape, hidden_shape, num_classes, activation = args
    model = build(fnn, *args)
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    expected = [(input_shape, hidden_shape), (hidden_shape, hidden_shape), (hidden_shape, num_classes)]
    if not shapes:
        hint = ("keep each layer as an attribute of self; PyTorch does not see layers kept in a plain Python list")
    elif 500 in [size for shape in shapes for size in shape]:
        hint = "hidden_shape is an argument: use it, not the 500 of the course network"
    elif 10 in [shape[1] for shape in shapes[-1:]] and num_classes != 10:
        hint = "num_classes is an argument: use it, not the 10 digits of MNIST"
    else:
        hint = "input_shape -> hidden_shape, hidden_shape -> hidden_shape, hidden_shape -> num_classes"
    assert shapes == expected, (f"FNN({input_shape}, {hidden_shape}, {num_classes}): expected Linear layers (in, "
                                f"out) {expected}, got {shapes}.\nhint: {hint}")
    wanted = ["Linear", activation.__name__, "Linear", activation.__name__, "Linear"]
    got = [name for name in kinds(model) if name != type(model).__name__]
    assert got == wanted, (f"FNN(..., activation_func=torch.nn.{activation.__name__}): expected the layers {wanted}, "
                           f"got {got}.\nhint: both hidden layers use activation_func; the output layer has none")
    total = (input_shape + 1) * hidden_shape + (hidden_shape + 1) * hidden_shape + (hidden_shape + 1) * num_classes
    assert parameter_count(model) == total, (f"expected {total} parameters, got {parameter_count(model)}.\n"
                                             "hint: three linear maps with biases, all attributes of self")


@pytest.mark.task2b
def test_hidden_2b_default_arguments_give_the_course_network(fnn):
    with explain("FNN() with its default arguments to build", CLASS_NOT_INSTANCE, INSTANCE_CALLED):
        model = fnn.FNN()
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes == [(784, 500), (500, 500), (500, 10)], (
        f"FNN() (defaults 784, 500, 10, ReLU): expected Linear layers [(784, 500), (500, 500), (500, 10)], got "
        f"{shapes}.\nhint: build the layers from the arguments input_shape, hidden_shape, num_classes")


def expected_scores(model, activation, x):
    first, second, last = linear_layers(model)
    return last(activation(second(activation(first(x)))))


@pytest.mark.task2c
@pytest.mark.parametrize("batch, sizes, activation", [
    (1, (784, 16, 10), torch.nn.ReLU),   # a batch of one image
    (1, (3, 4, 2), torch.nn.Tanh),
    (5, (7, 5, 3), torch.nn.Sigmoid),
])
def test_hidden_2c_batch_of_one_and_other_sizes(fnn, batch, sizes, activation):
    torch.manual_seed(3)
    model = fnn.FNN(*sizes, activation)
    x = torch.rand(batch, sizes[0])
    with explain(f"forward to map a ({batch}, {sizes[0]}) batch to ({batch}, {sizes[2]}) scores"):
        output = model(x)
    wanted = (batch, sizes[2])
    shape_hint = ("keep the batch dimension: a batch of one image is still a batch, (1, features), so no squeeze "
                  "or flattening of the whole batch" if batch == 1 else
                  "the layers of 2b map (batch, input_shape) to (batch, num_classes): no reshaping needed")
    assert tuple(output.shape) == wanted, (f"FNN{sizes}: a batch of {batch}: expected scores of shape {wanted}, got "
                                           f"{tuple(output.shape)}.\nhint: {shape_hint}")
    expected = expected_scores(model, ACTIVATIONS[activation], x)
    assert torch.allclose(output, expected, atol=1e-6), (
        f"FNN{sizes} with {activation.__name__}: expected the raw scores of the three layers in order, row 1 "
        f"starting {hidden_support.rounded(expected[0])}, got {hidden_support.rounded(output[0])}.\n"
        "hint: forward applies the layers you built in 2b, each to the result of the one before, and nothing else")


@pytest.mark.task2c
def test_hidden_2c_forward_leaves_its_input_alone_and_repeats_itself(fnn):
    torch.manual_seed(4)
    model = fnn.FNN(6, 5, 4, torch.nn.ReLU)
    x = torch.randn(3, 6)
    before = x.clone()
    first, second = model(x), model(x)
    assert torch.equal(x, before), ("expected forward to leave its input batch unchanged, got it changed.\n"
                                    "hint: compute new tensors from x; do not write into x")
    assert torch.equal(first, second), "expected the same scores for the same batch twice, got different ones"


class TinyMnist:
    """Stands in for a torchvision MNIST set: 10 uint8 images, so no real MNIST is read here."""

    def __init__(self, count=10):
        self.data = torch.zeros(count, 28, 28, dtype=torch.uint8)
        self.targets = torch.arange(count) % 10

    def __len__(self):
        return len(self.data)


def tiny_transform(monkeypatch):
    """DataLoaderFNN's transform, from a loader built on 10 blank images (light on memory)."""
    from conftest import load_student_module

    from utils import data

    module = load_student_module("fnn")
    monkeypatch.setattr(data, "mnist_datasets", lambda *args, **kwargs: (TinyMnist(), TinyMnist()))
    monkeypatch.setattr(data, "transform_all",
                        lambda dataset, transform: (torch.zeros(len(dataset.data), 784), dataset.targets.clone()))
    with explain("DataLoaderFNN(...) to build"):
        loader = module.DataLoaderFNN(verbose=False)
    if not loader.transform.transforms:
        raise NotImplementedError("TODO 2d")  # the two lines are still commented out
    return loader.transform


@pytest.mark.task2d
@pytest.mark.parametrize("name", ["black", "white", "random"])
def test_hidden_2d_other_images_become_flat_vectors_row_after_row(monkeypatch, name):
    transform = tiny_transform(monkeypatch)
    rng = np.random.default_rng(7)
    image = {"black": np.zeros((28, 28), np.uint8), "white": np.full((28, 28), 255, np.uint8),
             "random": rng.integers(0, 256, (28, 28)).astype(np.uint8)}[name]
    with explain(f"the transform to turn a {name} 28x28 uint8 image into a vector"):
        vector = transform(image)
    assert isinstance(vector, torch.Tensor) and tuple(vector.shape) == (784,), (
        f"a {name} image: expected a tensor of shape (784,), got {type(vector).__name__} "
        f"{tuple(getattr(vector, 'shape', ()))}.\nhint: both commented steps, in their order: first a tensor, then "
        "one flat vector")
    expected = torch.from_numpy(image.astype(np.float32) / 255).reshape(-1)
    assert vector.dtype == torch.float32 and torch.allclose(vector, expected), (
        f"a {name} image: expected its pixels / 255, row after row, starting {hidden_support.rounded(expected[:4])}, "
        f"got {vector.dtype} {hidden_support.rounded(vector[:4])}.\nhint: only the two commented steps; the "
        "first turns 0..255 into 0..1")
