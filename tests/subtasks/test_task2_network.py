"""Task 2: the network (fnn.py: _dense_layer, FNN) and the transform of DataLoaderFNN."""

import numpy as np
import pytest
import torch


def linear_layers(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.task2a
def test_dense_layer_is_a_linear_map_followed_by_the_activation(fnn):
    layer = fnn._dense_layer(784, 500, torch.nn.ReLU)
    assert isinstance(layer, torch.nn.Sequential), "return a torch.nn.Sequential"
    (linear,) = linear_layers(layer)
    assert linear.in_features == 784 and linear.out_features == 500
    assert parameter_count(layer) == 784 * 500 + 500
    x = torch.randn(5, 784)
    assert torch.allclose(layer(x), torch.relu(linear(x)))


@pytest.mark.task2a
def test_dense_layer_without_activation_returns_raw_scores(fnn):
    layer = fnn._dense_layer(20, 10)
    (linear,) = linear_layers(layer)
    x = torch.randn(8, 20)
    output = layer(x)
    assert output.shape == (8, 10)
    assert torch.allclose(output, linear(x)), "without activation_func the layer is only linear"
    assert (output < 0).any(), "no activation may clip the output layer's scores"


@pytest.mark.task2a
def test_dense_layer_uses_the_activation_it_is_given(fnn):
    layer = fnn._dense_layer(6, 4, torch.nn.Tanh)
    (linear,) = linear_layers(layer)
    x = torch.randn(3, 6)
    assert torch.allclose(layer(x), torch.tanh(linear(x)))


@pytest.mark.task2b
def test_fnn_has_two_hidden_layers_and_an_output_layer(fnn):
    model = fnn.FNN(784, 500, 10, torch.nn.ReLU)
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes == [(784, 500), (500, 500), (500, 10)]
    assert parameter_count(model) == (784 * 500 + 500) + (500 * 500 + 500) + (500 * 10 + 10)
    activations = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(activations) == 2, "ReLU after each hidden layer, none after the output layer"


@pytest.mark.task2b
def test_fnn_sizes_follow_its_arguments(fnn):
    model = fnn.FNN(input_shape=12, hidden_shape=7, num_classes=3, activation_func=torch.nn.Sigmoid)
    shapes = [(m.in_features, m.out_features) for m in linear_layers(model)]
    assert shapes == [(12, 7), (7, 7), (7, 3)]
    assert len([m for m in model.modules() if isinstance(m, torch.nn.Sigmoid)]) == 2


@pytest.mark.task2c
def test_forward_maps_a_batch_to_one_score_per_class(fnn):
    torch.manual_seed(0)
    model = fnn.FNN(784, 64, 10, torch.nn.ReLU)
    x = torch.rand(32, 784)
    output = model(x)
    assert output.shape == (32, 10)
    first, second, last = linear_layers(model)
    expected = last(torch.relu(second(torch.relu(first(x)))))
    assert torch.allclose(output, expected, atol=1e-6), "forward must apply the layers in order"


@pytest.mark.task2c
def test_autograd_reaches_every_parameter_through_forward(fnn):
    model = fnn.FNN(10, 8, 4, torch.nn.ReLU)
    model(torch.randn(6, 10)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.task2d
def test_transform_turns_an_image_into_a_784_vector_in_zero_one(mnist_loader):
    image = np.arange(784, dtype=np.uint8).reshape(28, 28)
    vector = mnist_loader.transform(image)
    assert isinstance(vector, torch.Tensor) and vector.shape == (784,)
    assert vector.dtype == torch.float32
    assert torch.allclose(vector, torch.from_numpy(image).reshape(-1).float() / 255)


@pytest.mark.task2d
@pytest.mark.slow
def test_loader_gives_flat_float_batches_of_real_mnist(mnist_loader):
    images, labels = next(iter(mnist_loader("train")))
    assert images.shape == (100, 784) and images.dtype == torch.float32
    assert labels.shape == (100,) and labels.dtype == torch.int64
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    sizes = {split: len(mnist_loader(split).dataset) for split in ("train", "val", "test")}
    assert sizes == {"train": 48000, "val": 12000, "test": 10000}
