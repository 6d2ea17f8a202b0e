"""Task 1: look at the data (01_main.py: show_example_images, count_labels)."""

import re

import pytest
import torch
from hints import Steps, explain

HINTS = {
    "1a": Steps("show the first six training images as pictures, each titled with its own label",
                "slicing [:6], Tensor.reshape back to square images, int(label) for a plain number, "
                "plotting.image_grid(images, titles, rows=..., cols=...)",
                "six = images[:6].reshape(___)  /  titles = [___ for label in labels[:6]]  /  "
                "fig = plotting.image_grid(six, titles, rows=___, cols=___)"),
    "1b": Steps("one count per digit 0 .. num_classes - 1; a digit that never occurs counts 0",
                "(labels == digit).sum() in a loop over range(num_classes), or torch.bincount with its length "
                "argument",
                "return torch.tensor([___ for digit in range(___)])"),
}

def _label_coded_images(labels):
    """Images of one grey value each, (label + 1) / 11, so a plotted image tells its label."""
    return torch.stack([torch.full((784,), (int(label) + 1) / 11) for label in labels])


def _shows_number(title, number):
    return re.search(rf"(?<!\d){number}(?!\d)", title) is not None


@pytest.mark.task1a
def test_six_images_in_a_grid_each_titled_with_its_own_label(main_module):
    labels = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    with explain("a figure of the first six images",
                 (TypeError, "len\\(\\) of a 0-d tensor|not subscriptable",
                  "titles is a list with one string per image")):
        fig = main_module.show_example_images(_label_coded_images(labels), labels)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 6, (f"expected six images in the figure, got {len(shown)}.\n"
                             "hint: the first six images with the first six labels, in a grid of 2 x 3")
    rows, cols = shown[0].get_subplotspec().get_geometry()[:2]
    assert (rows, cols) == (2, 3), (f"expected a grid of 2 rows x 3 columns, got {rows} x {cols}.\n"
                                    "hint: plotting.image_grid takes the numbers of rows and columns")
    for position, ax in enumerate(shown):
        picture = torch.as_tensor(ax.get_images()[0].get_array())
        assert picture.shape == (28, 28), (f"expected each image shown as 28x28 pixels, got {tuple(picture.shape)}.\n"
                                           "hint: each flat vector of pixels is a square image (Q 1c: how large?)")
        # Each test image has one grey value; an image mixed from several was reshaped the wrong way.
        assert float(picture.std()) < 1e-6, (
            f"expected image {position + 1} to be training image {position + 1} unchanged; its pixels are "
            "mixed with other images'.\nhint: reshape the (6, 784) images to (6, 28, 28), "
            "not to (28, 28, 6)")
        label = round(float(picture.mean()) * 11) - 1
        wanted = int(labels[position])
        assert label == wanted, (
            f"expected image {position + 1} to be training image {position + 1} (a {wanted}), got an image of a "
            f"{label}.\nhint: the first six images, images[:6], with the first six labels, labels[:6]")
        title = ax.get_title()
        assert "tensor" not in title, (f"expected a plain number in the title, got {title!r}.\n"
                                       "hint: int(label) turns a one-element tensor into a number")
        assert _shows_number(title, label), (
            f"expected the title of an image of a {label} to show {label}, got {title!r}.\n"
            "hint: one title per image, made from its own label (labels[:6], in the same order)")


def _count(main_module, labels, **kwargs):
    extra = f", num_classes={kwargs['num_classes']}" if kwargs else ""
    with explain(f"count_labels({labels.tolist()}{extra}) "
                 "to return one count per digit"):
        counts = main_module.count_labels(labels, **kwargs)
    assert isinstance(counts, torch.Tensor), (
        f"expected a tensor of counts, got a {type(counts).__name__}.\n"
        "hint: return the counts as one tensor (torch.tensor of your list, or a torch function that counts)")
    return counts.tolist()


def _hint_for_counts(got, expected, labels):
    if len(got) == int(labels.max()) + 1 < len(expected):
        return "torch.bincount(labels) stops at the largest label present: give it minlength=num_classes"
    if len(got) == len(set(labels.tolist())):
        return "count every digit 0..num_classes-1, also those that do not occur (their count is 0)"
    if len(got) == 10 != len(expected):
        return "use the num_classes argument, not 10"
    if len(got) < len(expected):
        return f"one count per digit 0..num_classes-1: {len(expected)} counts (range(num_classes))"
    return "entry d is the number of labels equal to d"


@pytest.mark.task1b
@pytest.mark.parametrize("labels, num_classes", [
    ([0, 2, 2, 9, 9, 9], 10),
    ([0, 2, 2, 5, 2], 10),   # digits 6 to 9 do not occur
    ([3, 1, 1], 4),
])
def test_count_labels_counts_every_digit_including_absent_ones(main_module, labels, num_classes):
    labels = torch.tensor(labels)
    expected = [int((labels == digit).sum()) for digit in range(num_classes)]
    got = _count(main_module, labels, **({} if num_classes == 10 else {"num_classes": num_classes}))
    assert got == expected, (f"count_labels({labels.tolist()}, num_classes={num_classes}): expected {expected}, "
                             f"got {got}.\nhint: {_hint_for_counts(got, expected, labels)}")


@pytest.mark.task1b
def test_count_labels_on_real_mnist(main_module):
    from utils.data import mnist_datasets

    _count(main_module, torch.tensor([0, 1]))  # a TODO not written yet shows before MNIST is read
    train_set, test_set = mnist_datasets(verbose=False)
    train = _count(main_module, train_set.targets)
    assert sum(train) == 60000 and train[1] == 6742, (
        f"expected 60000 training labels with 6742 ones, got {sum(train)} labels with {train[1]} ones")
    # Published counts of the MNIST test set: 980 zeros ... 1009 nines.
    expected = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    test = _count(main_module, test_set.targets)
    assert test == expected, f"MNIST test labels: expected the published counts {expected}, got {test}"
