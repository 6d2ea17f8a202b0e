"""Bonus b: full-data normalisation (fnn.channel_mean_std, DataLoaderFNN(normalize=True))."""

import pytest
import torch

from fnn import channel_mean_std


@pytest.mark.bonus_b
def test_mean_and_std_of_pixels_scaled_to_zero_one():
    images = torch.randint(0, 256, (500, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    mean, std = channel_mean_std(images)
    scaled = images.double() / 255
    assert float(mean) == pytest.approx(float(scaled.mean()), abs=1e-6)
    assert float(std) == pytest.approx(float(scaled.std()), rel=1e-3)


@pytest.mark.bonus_b
def test_mnist_training_pixels_give_the_known_mean_and_std():
    from torchvision.datasets import MNIST

    from utils.mnist import ensure_mnist

    images = MNIST(ensure_mnist(verbose=False).parents[1], train=True).data
    mean, std = channel_mean_std(images)
    assert float(mean) == pytest.approx(0.1307, abs=5e-4)
    assert float(std) == pytest.approx(0.3081, abs=5e-4)


@pytest.mark.bonus_b
@pytest.mark.slow
def test_normalized_loader_standardises_the_training_split():
    from fnn import DataLoaderFNN

    loader = DataLoaderFNN(normalize=True, verbose=False)
    images, _ = loader.tensors("train")
    assert float(images.mean()) == pytest.approx(0.0, abs=1e-3)
    assert float(images.std()) == pytest.approx(1.0, abs=1e-3)
    assert loader.mean_std[0] == pytest.approx(0.1307, abs=1e-3)
