"""Bonus b: full-data normalisation (fnn.channel_mean_std, fnn.DataLoaderFNN(normalize=True))."""

import pytest
import torch
from hints import Steps, explain

HINTS = {
    "bonus_b": Steps("standardise with the training split's own mean and standard deviation; batch norm goes "
                     "between the linear map and the activation",
                     "Tensor.mean and Tensor.std of the pixels / 255 (float64), transforms.Normalize((mean,), "
                     "(std,)), torch.nn.BatchNorm1d (one per output feature), Linear's bias argument",
                     "scaled = images.to(___) / ___  /  steps.insert(___, transforms.Normalize(___))  /  "
                     "layers.insert(___, torch.nn.BatchNorm1d(___))"),
}

@pytest.mark.bonus_b
def test_mean_and_std_of_pixels_scaled_to_zero_one(fnn):
    images = torch.randint(0, 256, (500, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    mean, std = fnn.channel_mean_std(images)
    scaled = images.double() / 255
    hint = ("hint: scale the pixels to [0, 1] first (divide by 255)" if float(mean) > 1 else
            "hint: the mean and standard deviation of all pixels, images.double() / 255")
    assert float(mean) == pytest.approx(float(scaled.mean()), abs=1e-6), (
        f"expected the mean pixel {float(scaled.mean()):.4f}, got {float(mean):.4f}.\n{hint}")
    assert float(std) == pytest.approx(float(scaled.std()), rel=1e-3), (
        f"expected the standard deviation {float(scaled.std()):.4f}, got {float(std):.4f}.\n{hint}")


def exact_mean_std(images):
    """Mean and standard deviation of uint8 ``images`` scaled to [0, 1], from a count per grey value."""
    counts = torch.bincount(images.reshape(-1), minlength=256).double()
    grey = torch.arange(256, dtype=torch.float64) / 255
    total = counts.sum()
    mean = (counts * grey).sum() / total
    variance = (counts * (grey - mean) ** 2).sum() / (total - 1)
    return float(mean), float(variance.sqrt())


@pytest.mark.bonus_b
def test_mnist_training_pixels_give_the_known_mean_and_std(fnn):
    from utils.data import mnist_datasets

    fnn.channel_mean_std(torch.zeros(1, 28, 28, dtype=torch.uint8))  # a TODO not written yet shows first
    images = mnist_datasets(verbose=False)[0].data
    # Six parts of 10,000 images: the same check as all 60,000 at once, in a sixth of the memory.
    sums = squares = 0.0
    for part in images.split(10_000):
        mean, std = (float(value) for value in fnn.channel_mean_std(part))
        expected = exact_mean_std(part)
        assert (mean, std) == pytest.approx(expected, abs=1e-6), (
            f"{len(part)} MNIST training images: expected mean {expected[0]:.5f} and std {expected[1]:.5f}, got "
            f"{mean:.5f} and {std:.5f}.\nhint: compute them from the images you are given, do not type them in")
        pixels = part.numel()
        sums += mean * pixels
        squares += std ** 2 * (pixels - 1) + mean ** 2 * pixels
    count = images.numel()
    mean = sums / count
    std = ((squares - mean ** 2 * count) / (count - 1)) ** 0.5
    assert (mean, std) == pytest.approx((0.1307, 0.3081), abs=5e-4), (
        f"MNIST's 60000 training images: expected mean 0.1307 and std 0.3081, got {mean:.4f} and {std:.4f}")


@pytest.mark.bonus_b
@pytest.mark.slow
def test_normalized_loader_standardises_the_training_split(fnn):
    from utils.data import mnist_datasets, split_indices

    ratio = 0.1  # 6,000 training images: the statistics are as telling, the memory a tenth
    with explain("DataLoaderFNN(normalize=True) to build",
                 ((ValueError, TypeError, RuntimeError), "not a torch image|Tensor image|C, H, W",
                  "transforms.Normalize works on (1, 28, 28) images: insert it before the flattening step")):
        loader = fnn.DataLoaderFNN(normalize=True, train_val_ratio=ratio, verbose=False)
    train_idx, _ = split_indices(60_000, ratio, seed=0)
    expected_mean, expected_std = exact_mean_std(mnist_datasets(verbose=False)[0].data[train_idx])
    total, squares, count = 0.0, 0.0, 0
    for images, _ in loader("train"):
        pixels = images.double()
        total, squares = total + float(pixels.sum()), squares + float((pixels ** 2).sum())
        count += pixels.numel()
    mean = total / count
    std = ((squares - mean ** 2 * count) / (count - 1)) ** 0.5
    hint = "hint: the statistics of the training split only: channel_mean_std(self.train_images)"
    assert mean == pytest.approx(0.0, abs=1e-4), (
        f"expected the normalised training split to have mean 0 (to 1e-4), got {mean:.5f}.\n{hint}")
    assert std == pytest.approx(1.0, abs=1e-4), (
        f"expected the normalised training split to have standard deviation 1 (to 1e-4), got {std:.5f}.\n{hint}")
    assert loader.mean_std[0] == pytest.approx(expected_mean, abs=1e-6), (
        f"expected loader.mean_std to hold the training split's mean, {expected_mean:.5f}, got {loader.mean_std[0]}")


@pytest.mark.bonus_b
def test_batch_norm_sits_between_a_bias_free_linear_map_and_the_activation(fnn):

    layer = fnn._dense_layer(30, 20, torch.nn.ReLU, batch_normalize=True)
    kinds = [type(m).__name__ for m in layer.modules() if not isinstance(m, torch.nn.Sequential)]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU"], (
        f"expected Linear, BatchNorm1d, ReLU in this order, got {kinds}.\n"
        "hint: torch.nn.BatchNorm1d of output_shape features, right after the linear map, before the activation")
    linear = next(m for m in layer.modules() if isinstance(m, torch.nn.Linear))
    assert linear.bias is None, ("expected a Linear without bias, got one with a bias.\n"
                                 "hint: batch norm's shift replaces the bias: torch.nn.Linear(..., bias=False)")
    norm = next(m for m in layer.modules() if isinstance(m, torch.nn.BatchNorm1d))
    assert norm.num_features == 20, f"expected BatchNorm1d(20) (output_shape), got BatchNorm1d({norm.num_features})"


@pytest.mark.bonus_b
def test_fnn_with_batch_norm_has_it_in_both_hidden_layers_only(fnn):

    model = fnn.FNN(784, 100, 10, torch.nn.ReLU, use_batch_norm=True)
    norms = len([m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)])
    assert norms == 2, (f"FNN(use_batch_norm=True): expected 2 BatchNorm1d (one per hidden layer), got {norms}.\n"
                        "hint: build both hidden layers again with batch_normalize=True")
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    biases = [m.bias is not None for m in linears]
    assert biases == [False, False, True], (f"expected biases only in the output layer, got {biases} (has a bias, "
                                            "per Linear).\nhint: the output layer keeps its bias")
