"""Bonus b: full-data normalisation (fnn.channel_mean_std, fnn.DataLoaderFNN(normalize=True))."""

import pytest
import torch


@pytest.mark.bonus_b
def test_mean_and_std_of_pixels_scaled_to_zero_one(fnn):
    images = torch.randint(0, 256, (500, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    mean, std = fnn.channel_mean_std(images)
    scaled = images.double() / 255
    assert float(mean) == pytest.approx(float(scaled.mean()), abs=1e-6)
    assert float(std) == pytest.approx(float(scaled.std()), rel=1e-3)


@pytest.mark.bonus_b
def test_mnist_training_pixels_give_the_known_mean_and_std(fnn):
    from torchvision.datasets import MNIST

    from utils.mnist import ensure_mnist

    images = MNIST(ensure_mnist(verbose=False).parents[1], train=True).data
    mean, std = fnn.channel_mean_std(images)
    assert float(mean) == pytest.approx(0.1307, abs=5e-4)
    assert float(std) == pytest.approx(0.3081, abs=5e-4)


@pytest.mark.bonus_b
@pytest.mark.slow
def test_normalized_loader_standardises_the_training_split(fnn):

    loader = fnn.DataLoaderFNN(normalize=True, verbose=False)
    images, _ = loader.tensors("train")
    assert float(images.mean()) == pytest.approx(0.0, abs=1e-3)
    assert float(images.std()) == pytest.approx(1.0, abs=1e-3)
    assert loader.mean_std[0] == pytest.approx(0.1307, abs=1e-3)


@pytest.mark.bonus_b
def test_batch_norm_sits_between_a_bias_free_linear_map_and_the_activation(fnn):

    layer = fnn._dense_layer(30, 20, torch.nn.ReLU, batch_normalize=True)
    kinds = [type(m) for m in layer.modules() if not isinstance(m, torch.nn.Sequential)]
    assert kinds == [torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.ReLU]
    linear = next(m for m in layer.modules() if isinstance(m, torch.nn.Linear))
    assert linear.bias is None, "batch norm's shift replaces the bias of the linear map"
    norm = next(m for m in layer.modules() if isinstance(m, torch.nn.BatchNorm1d))
    assert norm.num_features == 20


@pytest.mark.bonus_b
def test_fnn_with_batch_norm_has_it_in_both_hidden_layers_only(fnn):

    model = fnn.FNN(784, 100, 10, torch.nn.ReLU, use_batch_norm=True)
    assert len([m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]) == 2
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.bias is None for m in linears] == [True, True, False], "the output layer keeps its bias"
