# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.
"""Bonus i: data augmentation - new training images from old ones, a whole batch at a time.

Your two functions, ``affine_positions`` and ``elastic_displacements``, take the number of
images ``count`` and return, per image, where each of its 784 output pixels takes its value from
(``(count, 784, 2)``, own random parameters per image). The provided ``random_affine``,
``elastic_distortion`` and ``Augment`` build on them: they take flattened images ``(batch, 784)``
and return a batch of the same shape. Give an ``Augment`` to ``DataLoaderFNN(augment=...)``: it
is applied to training batches only, never to validation or test batches. Check with
``python -m pytest -m bonus_i``.
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from utils.data import IMAGE_SIDE as SIDE


def _pixel_grid(device):
    """Pixel centres ``(784, 2)`` as (x, y), measured from the image centre."""
    coords = torch.arange(SIDE, dtype=torch.float32, device=device) - (SIDE - 1) / 2
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


def _resample(images, source):
    """Bilinear sampling: output pixel k of image n takes the value at ``source[n, k]`` = (x, y).

    Positions are measured from the image centre, as in ``_pixel_grid``; outside the image the
    value is 0. Written with gathers, several times faster on the CPU than ``F.grid_sample``.
    """
    count = len(images)
    # A frame of zeros, one pixel wide before and two after, keeps every neighbour in range.
    width = SIDE + 3
    padded = F.pad(images.reshape(count, SIDE, SIDE), (1, 2, 1, 2)).reshape(count, -1)
    position = (source + (SIDE - 1) / 2 + 1).clamp_(0, SIDE)
    low = position.floor()
    weight = position.sub_(low)
    low = low.long()
    top_left = low[..., 1] * width + low[..., 0]
    wx, wy = weight[..., 0], weight[..., 1]
    top = torch.lerp(padded.gather(1, top_left), padded.gather(1, top_left + 1), wx)
    bottom = torch.lerp(padded.gather(1, top_left + width), padded.gather(1, top_left + width + 1), wx)
    return torch.lerp(top, bottom, wy)


def affine_positions(count, max_degrees=12.0, max_shift=0.1, scale_range=(0.9, 1.1), generator=None,
                     device="cpu"):
    """Where each output pixel of ``count`` randomly rotated, scaled and shifted images comes from.

    Parameters
    ----------
    count : int
        Number of images; each gets its own random angle, scale and shift.
    max_degrees : float
        Rotation angle drawn uniformly from ``[-max_degrees, max_degrees]``.
    max_shift : float
        Shift drawn uniformly from ``[-max_shift, max_shift]`` of the image width, per axis.
    scale_range : tuple of float
        Zoom factor drawn uniformly from this range.

    Returns
    -------
    torch.Tensor
        ``(count, 784, 2)`` source positions (x, y), measured from the image centre like
        ``_pixel_grid``; ``_resample(images, positions)`` applies them.
    """

    def uniform(low, high):
        return torch.rand(count, generator=generator).to(device) * (high - low) + low

    # TODO bonus_i: draw an angle, a zoom factor and a shift (x and y, in pixels) per image from the
    #               given ranges; the output pixel at position p (the rows of _pixel_grid) takes its
    #               value from p rotated by the angle, divided by the zoom and moved back by the shift;
    #               return these source positions, (count, 784, 2).
    raise NotImplementedError("TODO bonus_i")


def _smoothing_matrix(sigma, device):
    """``(28, 28)`` matrix that blurs a row of 28 values with a Gaussian (edges renormalised)."""
    positions = torch.arange(SIDE, dtype=torch.float32, device=device)
    weights = torch.exp(-(positions[:, None] - positions[None, :]) ** 2 / (2 * sigma ** 2))
    return weights / weights.sum(dim=1, keepdim=True)


def elastic_displacements(count, alpha=20.0, sigma=4.0, generator=None, device="cpu"):
    """Simard et al. (2003): a smooth random displacement of every pixel, for ``count`` images.

    Parameters
    ----------
    alpha : float
        Strength of the displacement, in pixels before smoothing.
    sigma : float
        Width (pixels) of the Gaussian that smooths the random field: larger is smoother.

    Returns
    -------
    torch.Tensor
        ``(count, 784, 2)`` displacements (x, y) in pixels, to add to source positions.
    """
    # TODO bonus_i: a random field of values in [-1, 1], one per image, axis (x, y) and pixel; smooth it
    #               along both image axes with the Gaussian of _smoothing_matrix(sigma); scale it by
    #               alpha; return it as (count, 784, 2) displacements.
    raise NotImplementedError("TODO bonus_i")


def random_affine(images, generator=None, **affine):
    """Rotate, scale and shift every image of ``(N, 784)`` at random (see ``affine_positions``)."""
    return _resample(images, affine_positions(len(images), generator=generator, device=images.device, **affine))


def elastic_distortion(images, alpha=20.0, sigma=4.0, generator=None):
    """Distort every image of ``(N, 784)`` elastically (see ``elastic_displacements``)."""
    moves = elastic_displacements(len(images), alpha, sigma, generator=generator, device=images.device)
    return _resample(images, _pixel_grid(images.device) + moves)


class Augment:
    """Affine and, with probability ``elastic_probability``, elastic distortion, on one batch.

    Works on normalised images too: ``background`` is the value of an empty pixel (0 for raw
    images, ``-mean / std`` after normalisation), restored where the distortions pad.
    """

    def __init__(self, elastic_probability=0.5, background=0.0, seed=0, **affine):
        self.elastic_probability = elastic_probability
        self.background = background
        self.affine = affine
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, images):
        count = len(images)
        positions = affine_positions(count, generator=self.generator, device=images.device, **self.affine)
        if self.elastic_probability > 0:
            chosen = torch.rand(count, generator=self.generator) < self.elastic_probability
            if chosen.any():
                positions[chosen] += elastic_displacements(int(chosen.sum()), generator=self.generator,
                                                           device=images.device)
        # One resampling for both distortions: cheaper, and only one round of interpolation blur.
        return _resample(images - self.background, positions) + self.background


def averaged_over_copies(probabilities_of, images, copies=8, background=0.0, seed=0, max_degrees=8.0,
                         max_shift=0.05, scale_range=(0.93, 1.07)):
    """Test-time augmentation: class probabilities averaged over the images and shifted copies.

    A network that has learnt from rotated, scaled and shifted digits is most sure of itself
    somewhere near, not exactly at, the test image; averaging over a few mild random copies
    evens that out. Use it at test time only, never to pick settings on the test split.

    Parameters
    ----------
    probabilities_of : callable
        ``probabilities_of(images)`` -> ``(N, classes)`` probabilities, e.g. the second result of
        ``NetworkUser.get_predictor(run)``.
    images : torch.Tensor
        ``(N, 784)`` test images, normalised the way the network was trained.
    copies : int
        Randomly rotated, scaled and shifted copies per image, besides the image itself.
    background : float
        The value of an empty pixel (``-mean / std`` after normalisation).
    seed : int
        Seed of the copies' random parameters.

    Returns
    -------
    torch.Tensor
        ``(N, classes)`` probabilities, averaged over ``copies + 1`` versions of every image.
    """
    shifted_copy = Augment(elastic_probability=0.0, background=background, seed=seed, max_degrees=max_degrees,
                           max_shift=max_shift, scale_range=scale_range)
    total = probabilities_of(images)
    for _ in range(copies):
        total = total + probabilities_of(shifted_copy(images))
    return total / (copies + 1)


def main():
    """Write runs/bonus_i_augmentation.png: training images beside augmented copies of them."""
    from fnn import DataLoaderFNN
    from utils import plotting
    from utils.internals.run_files import RUNS_DIR

    images, labels = DataLoaderFNN().tensors("train")
    images = images[:8]
    generator = torch.Generator().manual_seed(0)
    rows = {
        "original": images,
        "affine": random_affine(images, generator=generator),
        "elastic": elastic_distortion(images, generator=generator),
        "both": Augment(elastic_probability=1.0)(images),
    }
    titles = [f"{name} {int(label)}" for name in rows for label in labels[:8]]
    fig = plotting.image_grid(torch.cat(list(rows.values())), titles, rows=4, cols=8,
                              suptitle="Each row: the same eight training digits, augmented differently")
    path = RUNS_DIR / "bonus_i_augmentation.png"
    plotting.finish(fig, path, show=True)
    print(f"Written: {path}")


if __name__ == "__main__":
    main()
