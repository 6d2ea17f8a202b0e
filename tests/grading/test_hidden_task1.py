"""Hidden checks of task 1 (01_main.py: show_example_images, count_labels): other images and labels."""

import hidden_support  # noqa: F401 - puts tests/subtasks on sys.path first
import pytest
import torch
from hints import explain
from test_task1_data import HINTS, _shows_number  # noqa: F401 - HINTS: the same hints as the public checks


def _pictures(fig):
    return [ax for ax in fig.axes if ax.get_images()]


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.task1a
@pytest.mark.parametrize("count", [6, 9])
def test_hidden_1a_each_picture_is_its_own_image_pixel_for_pixel(main_module, count):
    images = torch.rand(count, 784, generator=torch.Generator().manual_seed(count))  # every pixel differs
    labels = torch.tensor([8, 0, 8, 3, 7, 2, 5, 5, 1][:count])
    with explain(f"a figure of the first six of {count} images"):
        fig = main_module.show_example_images(images, labels)
    try:
        shown = _pictures(fig)
        assert len(shown) == 6, (f"{count} images given: expected the first six shown, got {len(shown)} "
                                 "pictures.\nhint: show only the first six images, however many are given")
        for position, ax in enumerate(shown):
            picture = torch.as_tensor(ax.get_images()[0].get_array(), dtype=torch.float32)
            expected = images[position].reshape(28, 28)
            assert picture.shape == (28, 28), (f"expected picture {position + 1} as 28x28 pixels, got "
                                               f"{tuple(picture.shape)}.\nhint: a flat image of 784 pixels is "
                                               "28 rows of 28")
            if picture.shape == expected.shape and torch.allclose(picture, expected.T, atol=1e-6):
                hint = ("each picture is turned on its side (rows and columns swapped): the 784 pixels are "
                        "stored row after row, so no transposing is needed")
            else:
                hint = "picture k is image k of the batch, its 784 pixels laid out as 28 rows of 28"
            assert torch.allclose(picture, expected, atol=1e-6), (
                f"picture {position + 1}: expected image {position + 1} unchanged, its first row starting "
                f"{hidden_support.rounded(expected[0])}, got a first row starting "
                f"{hidden_support.rounded(picture[0])}.\nhint: {hint}")
            wanted = int(labels[position])
            title = ax.get_title()
            assert _shows_number(title, wanted) and "tensor" not in title, (
                f"picture {position + 1}: expected its title to show its label {wanted}, got {title!r}.\n"
                "hint: one title per image, from its own label, as a plain number (also when the label is 0)")
    finally:
        _close(fig)


@pytest.mark.task1b
@pytest.mark.parametrize("labels, num_classes", [
    ([], 10),                  # an empty split: ten zeros
    ([], 3),
    ([0, 0, 0], 1),            # one class only
    ([11, 0, 11, 4], 12),      # more than ten classes
    ([1, 3, 3, 1, 3], 5),      # digits 0, 2 and 4 missing, the largest (4) among them
    ([9] * 7, 10),             # a single digit, the last one
])
def test_hidden_1b_counts_for_other_class_numbers_and_missing_digits(main_module, labels, num_classes):
    labels = torch.tensor(labels, dtype=torch.long)
    expected = [int((labels == digit).sum()) for digit in range(num_classes)]
    with explain(f"count_labels({labels.tolist()}, num_classes={num_classes}) to return one count per class"):
        counts = main_module.count_labels(labels, num_classes=num_classes)
    assert isinstance(counts, torch.Tensor), (f"expected a tensor of counts, got a {type(counts).__name__}.\n"
                                              "hint: return the counts as one tensor")
    got = counts.tolist()
    if len(got) != num_classes:
        hint = ("one count for every class 0 .. num_classes - 1, whether it occurs or not: the length comes from "
                "num_classes, not from the labels (an empty split still has num_classes counts)")
    else:
        hint = "entry d is how many labels equal d"
    assert got == expected, (f"count_labels({labels.tolist()}, num_classes={num_classes}): expected {expected}, "
                             f"got {got}.\nhint: {hint}")
    assert not counts.is_floating_point(), (f"expected whole-number counts, got {counts.dtype}.\n"
                                            "hint: counts are integers; count, do not average or bin by value")
