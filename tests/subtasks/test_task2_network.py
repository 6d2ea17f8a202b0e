"""Task 2: the network (fnn.py: _dense_layer, FNN) and the transform of DataLoaderFNN."""

import numpy as np
import pytest
import torch
from hints import Steps, explain

CLASS_NOT_INSTANCE = (TypeError, "is not a Module subclass",
                      "activation_func is a class; a layer needs an instance of it (a module), made by calling "
                      "the class")
INSTANCE_CALLED = (TypeError, r"forward\(\) missing 1 required positional argument",
                   "pass the class activation_func itself (no parentheses); _dense_layer makes the instance")


HINTS = {
    "2a": Steps("one layer is a linear map followed by its activation; the output layer has no activation",
                "torch.nn.Linear(in_features, out_features); activation_func is a class: an instance is "
                "activation_func(); the list is called layers",
                "layers = [torch.nn.___(___, ___)]  /  if ___ is not None: layers.___(___())"),
    "2b": Steps("two hidden layers of hidden_shape neurons, then an output layer with one score per class",
                "_dense_layer for each; attributes of self, so that PyTorch registers their parameters",
                "self.hidden1 = _dense_layer(___, ___, ___)  /  self.hidden2 = ...  /  "
                "self.output = _dense_layer(___, ___)"),
    "2c": Steps("forward applies the layers of 2b one after the other and returns the raw scores",
                "the attributes you made in 2b; a layer is called like a function: layer(x)",
                "return self.___(self.___(___))   (with your own names of 2b; which order?)"),
    "2d": Steps("the transform turns each image into a tensor, then into one flat vector",
                "the two commented lines: transforms.ToTensor, then transforms.Lambda with flatten_image",
                "steps = [ ___ToTensor___, ___flatten_image___ ]  (uncomment both, in this order)"),
}

def linear_layers(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


def dense_layer(fnn, *args):
    with explain(f"_dense_layer{args} to return a torch.nn.Sequential", CLASS_NOT_INSTANCE):
        return fnn._dense_layer(*args)


CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)


def kinds(module):
    """The kinds of the layers that compute, in order; containers are looked through."""
    return [type(m).__name__ for m in module.modules() if not isinstance(m, CONTAINERS)]


@pytest.mark.task2a
def test_dense_layer_is_a_linear_map_followed_by_the_activation(fnn):
    layer = dense_layer(fnn, 784, 500, torch.nn.ReLU)
    assert isinstance(layer, torch.nn.Sequential), (f"expected a torch.nn.Sequential, got {type(layer).__name__}.\n"
                                                    "hint: return torch.nn.Sequential(*layers)")
    found = linear_layers(layer)
    assert len(found) == 1, f"expected one torch.nn.Linear in the layer, got {len(found)}: {kinds(layer)}"
    (linear,) = found
    assert (linear.in_features, linear.out_features) == (784, 500), (
        f"expected Linear(784, 500) for _dense_layer(784, 500, ...), got Linear({linear.in_features}, "
        f"{linear.out_features}).\nhint: torch.nn.Linear(input_shape, output_shape), in that order")
    assert linear.bias is not None, ("expected a linear map with a bias (784 * 500 + 500 parameters), got one "
                                     "without.\nhint: torch.nn.Linear(input_shape, output_shape) has a bias by default")
    assert kinds(layer) == ["Linear", "ReLU"], (f"expected Linear then ReLU, got {kinds(layer)}.\n"
                                                "hint: layers = [Linear], then append activation_func() after it")
    x = torch.randn(5, 784)
    assert torch.allclose(layer(x), torch.relu(linear(x))), "expected relu(linear(x)) from the layer"


@pytest.mark.task2a
def test_dense_layer_without_activation_returns_raw_scores(fnn):
    layer = dense_layer(fnn, 20, 10)
    assert kinds(layer) == ["Linear"], (
        f"expected only a Linear when activation_func is None (the output layer's raw scores), got {kinds(layer)}.\n"
        "hint: append an activation only `if activation_func is not None`")
    (linear,) = linear_layers(layer)
    x = torch.randn(8, 20)
    output = layer(x)
    assert output.shape == (8, 10), f"expected output of shape (8, 10), got {tuple(output.shape)}"
    assert torch.allclose(output, linear(x)), "expected the layer to be only linear without activation_func"


@pytest.mark.task2a
def test_dense_layer_uses_the_activation_it_is_given(fnn):
    layer = dense_layer(fnn, 6, 4, torch.nn.Tanh)
    assert kinds(layer) == ["Linear", "Tanh"], (f"expected Linear then Tanh for activation_func=torch.nn.Tanh, got "
                                                f"{kinds(layer)}.\nhint: use the activation_func argument")
    (linear,) = linear_layers(layer)
    x = torch.randn(3, 6)
    assert torch.allclose(layer(x), torch.tanh(linear(x))), "expected tanh(linear(x)) from the layer"


def build_fnn(fnn, *args, **kwargs):
    with explain("FNN(...) to build", CLASS_NOT_INSTANCE, INSTANCE_CALLED):
        return fnn.FNN(*args, **kwargs)


HIDDEN_IN_A_LIST = ("keep each layer as an attribute (self.hidden1 = ...) or in torch.nn.Sequential / "
                    "torch.nn.ModuleList; PyTorch does not see layers kept in a plain Python list")


@pytest.mark.task2b
def test_fnn_has_two_hidden_layers_and_an_output_layer(fnn):
    model = build_fnn(fnn, 784, 500, 10, torch.nn.ReLU)
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes, f"expected three Linear layers in the model, got none.\nhint: {HIDDEN_IN_A_LIST}"
    expected = [(784, 500), (500, 500), (500, 10)]
    assert shapes == expected, (f"FNN(784, 500, 10): expected Linear layers (in, out) {expected}, got {shapes}.\n"
                                "hint: input_shape -> hidden_shape, hidden_shape -> hidden_shape, "
                                "hidden_shape -> num_classes")
    count = parameter_count(model)
    assert count == 648010, f"expected 648010 parameters, got {count}.\nhint: {HIDDEN_IN_A_LIST}"
    activations = len([m for m in model.modules() if isinstance(m, torch.nn.ReLU)])
    assert activations == 2, (f"expected 2 ReLU (after each hidden layer), got {activations}.\n"
                              "hint: the output layer has no activation: _dense_layer(hidden_shape, num_classes)")


@pytest.mark.task2b
def test_fnn_sizes_follow_its_arguments(fnn):
    model = build_fnn(fnn, input_shape=12, hidden_shape=7, num_classes=3, activation_func=torch.nn.Sigmoid)
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes == [(12, 7), (7, 7), (7, 3)], (
        f"FNN(12, 7, 3): expected Linear layers {[(12, 7), (7, 7), (7, 3)]}, got {shapes}.\n"
        "hint: use the arguments input_shape, hidden_shape, num_classes, not numbers for MNIST")
    sigmoids = len([m for m in model.modules() if isinstance(m, torch.nn.Sigmoid)])
    assert sigmoids == 2, (f"expected 2 Sigmoid for activation_func=torch.nn.Sigmoid, got {sigmoids}.\n"
                           "hint: pass activation_func on to both hidden layers")


@pytest.mark.task2c
def test_forward_maps_a_batch_to_one_score_per_class(fnn):
    torch.manual_seed(0)
    model = fnn.FNN(784, 64, 10, torch.nn.ReLU)
    x = torch.rand(32, 784)
    order = layer_order(model)
    with explain("forward to map a (32, 784) batch to (32, 10) scores",
                 (RuntimeError, "shapes cannot be multiplied", f"apply the layers in the order of 2b: {order}")):
        output = model(x)
    assert output.shape == (32, 10), (
        f"expected one score per class, shape (32, 10), got {tuple(output.shape)}.\n"
        + ("hint: return the scores themselves; argmax (the predicted class) comes later"
           if output.shape == (32,) else "hint: x through the first hidden layer, the second, then the output layer"))
    first, second, last = linear_layers(model)
    expected = last(torch.relu(second(torch.relu(first(x)))))
    close = lambda a, b: torch.allclose(a, b, atol=1e-6)  # noqa: E731
    if close(output, torch.softmax(expected, dim=1)):
        hint = "no softmax in forward: return the raw scores; the loss of task 4 turns them into probabilities"
    elif close(output, torch.log_softmax(expected, dim=1)):
        hint = "no log_softmax in forward: return the raw scores; CrossEntropyLoss applies it itself"
    elif close(output, torch.relu(expected)):
        hint = "no activation after the output layer: its raw scores may be negative"
    elif close(output, last(torch.relu(first(x)))):
        hint = f"the second hidden layer is skipped: {order}"
    else:
        hint = "apply the layers of 2b in order, each to the result of the one before"
    assert close(output, expected), (
        f"expected the raw scores of x through {order}, row 1 starting {rounded(expected)}, got "
        f"{rounded(output)}.\nhint: {hint}")


def layer_order(model):
    """The student's own layers of 2b, as forward should apply them: "self.a, then self.b, then self.c"."""
    names = [f"self.{name}" for name, child in model.named_children()
             if any(isinstance(m, torch.nn.Linear) for m in child.modules())]
    if len(names) == 1:
        return f"the layers inside {names[0]}, in order"
    return ", then ".join(names) if names else "the first hidden layer, the second, then the output layer"


def rounded(scores):
    return [round(value, 3) for value in scores[0, :3].tolist()]


@pytest.mark.task2c
def test_autograd_reaches_every_parameter_through_forward(fnn):
    model = fnn.FNN(10, 8, 4, torch.nn.ReLU)
    model(torch.randn(6, 10)).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing, (f"expected gradients for every parameter, got none for {missing}.\n"
                         "hint: compute the scores with the layers themselves (no torch.no_grad(), .detach(), "
                         ".item() or .numpy() in forward)")


def transform_of_loader(monkeypatch):
    """DataLoaderFNN's transform, without running it over all 70000 images."""
    from conftest import load_student_module

    module = load_student_module("fnn")
    from utils import data
    from utils.data import GreyLevelImages

    blank = torch.zeros(1, 784, dtype=torch.uint8)
    monkeypatch.setattr(data, "transform_all", lambda dataset, transform: (
        GreyLevelImages(blank.expand(len(dataset.data), -1), torch.zeros(256)), dataset.targets.clone()))
    with explain("DataLoaderFNN(...) to build"):
        loader = module.DataLoaderFNN(verbose=False)
    if not loader.transform.transforms:
        raise NotImplementedError("TODO 2d")  # the two lines are still commented out
    return loader.transform


@pytest.mark.task2d
def test_transform_turns_an_image_into_a_784_vector_in_zero_one(monkeypatch):
    check_transform(monkeypatch)


def check_transform(monkeypatch):
    transform = transform_of_loader(monkeypatch)
    steps = [type(step).__name__ for step in transform.transforms]
    image = np.arange(784, dtype=np.uint8).reshape(28, 28)  # as the loader gives it: 28x28, 0..255
    with explain("the transform to turn a 28x28 uint8 image into a tensor",
                 (TypeError, "pic should be PIL Image", "keep the ToTensor step of the commented lines, first"),
                 ((TypeError, ValueError), "pic should be 2/3 dimensional|should be a tensor|Tensor image",
                  "ToTensor first, then flatten_image: uncomment the two lines in their order")):
        vector = transform(image)
    assert isinstance(vector, torch.Tensor), (
        f"expected a torch.Tensor, got {type(vector).__name__} (steps: {steps}).\n"
        "hint: uncomment transforms.ToTensor() too: it turns the image into a tensor")
    assert vector.shape == (784,), (f"expected a vector of shape (784,), got {tuple(vector.shape)}.\n"
                                    "hint: uncomment transforms.Lambda(flatten_image) after ToTensor()")
    assert vector.dtype == torch.float32, (f"expected float32 pixels, got {vector.dtype}.\n"
                                           "hint: transforms.ToTensor() (not PILToTensor) gives floats in [0, 1]")
    expected = torch.from_numpy(image).reshape(-1).float() / 255
    assert torch.allclose(vector, expected), (
        f"expected pixel / 255 (in [0, 1]), got values from {float(vector.min()):.3f} to {float(vector.max()):.3f}.\n"
        "hint: only ToTensor() and flatten_image; normalising is bonus b (DataLoaderFNN(normalize=True))")


@pytest.mark.task2d
@pytest.mark.slow
def test_loader_gives_flat_float_batches_of_real_mnist(mnist_loader, monkeypatch):
    check_transform(monkeypatch)  # a wrong transform is explained here, before the loader runs it on MNIST
    monkeypatch.undo()
    images, labels = next(iter(mnist_loader("train")))
    assert images.shape == (100, 784) and images.dtype == torch.float32, (
        f"expected batches of (100, 784) float32 images, got {tuple(images.shape)} {images.dtype}")
    assert labels.shape == (100,) and labels.dtype == torch.int64
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0, (
        f"expected pixels in [0, 1], got {float(images.min()):.3f} to {float(images.max()):.3f}")
    sizes = {split: len(mnist_loader(split).dataset) for split in ("train", "val", "test")}
    assert sizes == {"train": 48000, "val": 12000, "test": 10000}
