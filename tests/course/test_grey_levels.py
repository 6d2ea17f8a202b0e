"""The loader keeps MNIST as uint8 grey values where the transform allows it, and gives the same floats."""

from types import SimpleNamespace

import pytest
import torch
from torchvision import transforms

from utils.data import Batches, GreyLevelImages, transform_all


def fake_dataset(count=400):
    generator = torch.Generator().manual_seed(3)
    data = torch.randint(0, 256, (count, 28, 28), dtype=torch.uint8, generator=generator)
    data[:, :4] = 0  # black borders, as in MNIST
    return SimpleNamespace(data=data, targets=torch.arange(count) % 10)


def per_image(dataset, transform):
    return torch.stack([transform(image.numpy()) for image in dataset.data])


PIXEL_WISE = {
    "to tensor": [transforms.ToTensor(), transforms.Lambda(lambda image: image.reshape(-1))],
    "normalised": [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,)),
                   transforms.Lambda(lambda image: image.reshape(-1))],
}
NOT_PIXEL_WISE = {
    "standardised per image": [transforms.ToTensor(),
                               transforms.Lambda(lambda image: ((image - image.mean()) / image.std()).reshape(-1))],
    "transposed": [transforms.ToTensor(), transforms.Lambda(lambda image: image.transpose(1, 2).reshape(-1))],
}


@pytest.mark.parametrize("name", PIXEL_WISE)
def test_a_pixel_wise_transform_keeps_grey_values_and_gives_the_same_floats(name):
    dataset, transform = fake_dataset(), transforms.Compose(PIXEL_WISE[name])
    images, labels = transform_all(dataset, transform)
    assert isinstance(images, GreyLevelImages) and images.pixels.dtype == torch.uint8
    assert images.pixels.data_ptr() == dataset.data.data_ptr(), "the grey values are shared, not copied"
    assert torch.equal(images.to_floats(), per_image(dataset, transform))
    rows = torch.tensor([5, 0, 399])
    assert torch.equal(images[rows].to_floats(), per_image(dataset, transform)[rows])
    assert torch.equal(images[7], transform(dataset.data[7].numpy()))
    batches = list(Batches(images[torch.arange(10, 110)], labels[10:110], batch_size=32))
    assert [len(batch) for batch, _ in batches] == [32, 32, 32, 4]
    assert torch.equal(torch.cat([batch for batch, _ in batches]), per_image(dataset, transform)[10:110])


@pytest.mark.parametrize("name", NOT_PIXEL_WISE)
def test_any_other_transform_runs_once_per_image(name):
    dataset, transform = fake_dataset(), transforms.Compose(NOT_PIXEL_WISE[name])
    images, _ = transform_all(dataset, transform)
    assert isinstance(images, torch.Tensor) and images.dtype == torch.float32
    assert torch.allclose(images, per_image(dataset, transform))


def test_a_loader_of_grey_values_serves_float_batches_like_a_dataloader():
    dataset = fake_dataset(50)
    images, labels = transform_all(dataset, transforms.Compose(PIXEL_WISE["to tensor"]))
    batches = Batches(images, labels, batch_size=20, generator=torch.Generator().manual_seed(0))
    assert len(batches) == 3 and len(batches.dataset) == 50
    seen = torch.cat([labels for _, labels in batches])
    assert sorted(seen.tolist()) == sorted(dataset.targets.tolist())
    first, _ = next(iter(batches))
    assert first.dtype == torch.float32 and first.shape == (20, 784)
    assert 0 <= float(first.min()) <= float(first.max()) <= 1
