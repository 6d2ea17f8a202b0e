"""Task 1: look at the data (01_main.py: show_example_images, count_labels)."""

import pytest
import torch


def _label_coded_images(labels):
    """Images whose grey value tells their label, so a plotted image can be matched to its title."""
    return torch.stack([torch.full((784,), (int(label) + 1) / 11) for label in labels])


@pytest.mark.task1a
def test_six_images_in_a_grid_each_titled_with_its_own_label(main_module):
    labels = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    fig = main_module.show_example_images(_label_coded_images(labels), labels)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 6, f"expected six images in the figure, found {len(shown)}"
    for ax in shown:
        picture = ax.get_images()[0].get_array()
        assert picture.shape == (28, 28), f"images must be shown as 28x28, got {picture.shape}"
        label = round(float(picture.mean()) * 11) - 1
        assert str(label) in ax.get_title(), f"an image of a {label} is titled {ax.get_title()!r}"


@pytest.mark.task1b
def test_count_labels_counts_every_digit_including_absent_ones(main_module):
    labels = torch.tensor([0, 2, 2, 9, 9, 9])
    counts = torch.as_tensor(main_module.count_labels(labels))
    assert counts.tolist() == [1, 0, 2, 0, 0, 0, 0, 0, 0, 3]


@pytest.mark.task1b
def test_count_labels_on_real_mnist(main_module):
    from torchvision.datasets import MNIST

    from utils.mnist import ensure_mnist

    root = ensure_mnist(verbose=False).parents[1]
    train = torch.as_tensor(main_module.count_labels(MNIST(root, train=True).targets))
    test = torch.as_tensor(main_module.count_labels(MNIST(root, train=False).targets))
    assert int(train.sum()) == 60000 and int(train[1]) == 6742
    # Published counts of the MNIST test set: 980 zeros ... 1009 nines.
    assert test.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
