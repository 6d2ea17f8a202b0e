"""Bonus i: augmentation (augmentation.py) keeps shapes and labels, and touches training data only."""

import pytest
import torch
from conftest import StudentModule

augmentation = StudentModule("augmentation")


def blob_images(count=8):
    """Images with one bright 6x6 square near the centre."""
    images = torch.zeros(count, 28, 28)
    images[:, 11:17, 11:17] = 1.0
    return images.reshape(count, 784)


@pytest.mark.bonus_i
@pytest.mark.parametrize("transform", ["random_affine", "elastic_distortion"])
def test_shapes_are_kept_and_every_image_changes_differently(transform):
    images = blob_images()
    out = getattr(augmentation, transform)(images, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == images.dtype
    assert not torch.allclose(out, images), "the images must change"
    assert not torch.allclose(out[0], out[1]), "each image gets its own random parameters"
    assert float(out.sum()) == pytest.approx(float(images.sum()), rel=0.35), "ink is roughly kept"


@pytest.mark.bonus_i
def test_zero_strength_changes_nothing():
    images = torch.rand(4, 784)
    same = augmentation.random_affine(images, max_degrees=0, max_shift=0, scale_range=(1, 1))
    assert torch.allclose(same, images, atol=1e-5)
    assert torch.allclose(augmentation.elastic_distortion(images, alpha=0.0), images, atol=1e-5)


@pytest.mark.bonus_i
def test_a_pure_shift_moves_the_ink():
    images = blob_images(1)
    moved = augmentation.random_affine(images, max_degrees=0, max_shift=0.1, scale_range=(1, 1),
                          generator=torch.Generator().manual_seed(3)).reshape(28, 28)
    rows, cols = torch.nonzero(moved > 0.5, as_tuple=True)
    centre = torch.tensor([rows.float().mean(), cols.float().mean()])
    assert (centre - torch.tensor([13.5, 13.5])).abs().max() > 0.5


@pytest.mark.bonus_i
@pytest.mark.slow
def test_only_training_batches_are_augmented_and_labels_stay(mnist_loader):
    from conftest import load_student_module

    loader = load_student_module("fnn").DataLoaderFNN(augment=augmentation.Augment(), verbose=False)
    for split in ("val", "test"):
        images, labels = next(iter(loader(split)))
        plain_images, plain_labels = next(iter(mnist_loader(split)))
        assert torch.equal(images, plain_images) and torch.equal(labels, plain_labels)
    train_images, _ = loader.tensors("train")
    augmented, labels = next(iter(loader("train")))
    assert augmented.shape == (100, 784) and labels.shape == (100,)
    matches = [(train_images == row).all(dim=1).any() for row in augmented[:10]]
    assert not any(matches), "training batches are augmented"
