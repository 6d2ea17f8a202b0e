"""Bonus i: augmentation (augmentation.py) keeps shapes and labels, and touches training data only."""

import pytest
import torch
from conftest import StudentModule
from hints import Steps, explain

augmentation = StudentModule("augmentation")


def blob_images(count=8):
    """Images with one bright 6x6 square near the centre."""
    images = torch.zeros(count, 28, 28)
    images[:, 11:17, 11:17] = 1.0
    return images.reshape(count, 784)


HINTS = {
    "bonus_i": Steps("every image gets its own random rotation, zoom and shift, or a smooth random displacement "
                     "of its pixels",
                     "torch.rand scaled to a range, torch.deg2rad, torch.cos / torch.sin for the rotation matrix, "
                     "_pixel_grid, _smoothing_matrix(sigma)",
                     "positions = _pixel_grid(device) @ ___ / ___ - ___  /  field = (torch.rand(___) * 2 - 1)  /  "
                     "G @ field @ G.T, times alpha, reshaped"),
}

@pytest.mark.bonus_i
@pytest.mark.parametrize("transform", ["random_affine", "elastic_distortion"])
def test_shapes_are_kept_and_every_image_changes_differently(transform):
    images = blob_images()
    with explain(f"{transform}(8 images) to give 8 images"):
        out = getattr(augmentation, transform)(images, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == images.dtype, (
        f"expected {tuple(images.shape)} {images.dtype}, got {tuple(out.shape)} {out.dtype}")
    assert not torch.allclose(out, images), f"{transform}: expected the images to change, got them unchanged"
    assert not torch.allclose(out[0], out[1]), (f"{transform}: expected each image changed differently, got two "
                                                "alike.\nhint: draw the random parameters per image (count of them)")
    ratio = float(out.sum()) / float(images.sum())
    assert ratio == pytest.approx(1.0, rel=0.35), (
        f"{transform} of a 6x6 square: expected about as much ink as before, got {ratio:.2f} times as much.\n"
        "hint: displacements of a few pixels that vary smoothly; not a new random position for every pixel")


@pytest.mark.bonus_i
def test_zero_strength_changes_nothing():
    images = torch.rand(4, 784)
    same = augmentation.random_affine(images, max_degrees=0, max_shift=0, scale_range=(1, 1))
    assert torch.allclose(same, images, atol=1e-5), ("no rotation, shift or zoom: expected the images unchanged, got "
                                                      "them changed.\nhint: positions = p @ R.T / scale - shift")
    assert torch.allclose(augmentation.elastic_distortion(images, alpha=0.0), images, atol=1e-5), (
        "alpha=0: expected the images unchanged, got them changed.\nhint: scale the smoothed field by alpha")


@pytest.mark.bonus_i
def test_a_pure_shift_moves_the_ink():
    images = blob_images(1)
    moved = augmentation.random_affine(images, max_degrees=0, max_shift=0.1, scale_range=(1, 1),
                          generator=torch.Generator().manual_seed(3)).reshape(28, 28)
    rows, cols = torch.nonzero(moved > 0.5, as_tuple=True)
    centre = torch.tensor([rows.float().mean(), cols.float().mean()])
    moved_by = float((centre - torch.tensor([13.5, 13.5])).abs().max())
    assert moved_by > 0.5, (f"max_shift=0.1 (up to 2.8 pixels): expected the square moved, got it moved by "
                            f"{moved_by:.2f} px.\nhint: max_shift is a fraction of the image width: multiply by 28")


@pytest.mark.bonus_i
@pytest.mark.slow
def test_only_training_batches_are_augmented_and_labels_stay(mnist_loader):
    from conftest import load_student_module

    loader = load_student_module("fnn").DataLoaderFNN(augment=augmentation.Augment(), verbose=False)
    for split in ("val", "test"):
        images, labels = next(iter(loader(split)))
        plain_images, plain_labels = next(iter(mnist_loader(split)))
        assert torch.equal(images, plain_images) and torch.equal(labels, plain_labels)
    augmented, labels = next(iter(loader("train")))
    assert augmented.shape == (100, 784) and labels.shape == (100,)
    matches = [any(bool((plain == row).all(dim=1).any()) for plain, _ in mnist_loader("train"))
               for row in augmented[:5]]
    assert not any(matches), "training batches are augmented"


def fitted_affine(positions):
    """Per image, the matrix M (2x2) and offset b of the affine map positions = pixel @ M + b (least squares)."""
    grid = augmentation._pixel_grid("cpu")
    design = torch.cat([grid, torch.ones(len(grid), 1)], dim=1).double()
    solution = torch.linalg.lstsq(design.expand(len(positions), -1, -1), positions.double()).solution
    residual = (design @ solution - positions.double()).abs().max()
    return solution[:, :2], solution[:, 2], float(residual)


@pytest.mark.bonus_i
def test_affine_positions_rotate_zoom_and_shift_within_their_ranges():
    with explain("affine_positions(500, ...) to give (500, 784, 2) source positions"):
        positions = augmentation.affine_positions(500, max_degrees=10.0, max_shift=0.1, scale_range=(1.5, 2.0),
                                                  generator=torch.Generator().manual_seed(0))
    assert tuple(positions.shape) == (500, 784, 2), f"expected shape (500, 784, 2), got {tuple(positions.shape)}"
    matrix, offset, residual = fitted_affine(positions)
    assert residual < 1e-3, (f"expected positions that are a rotation, zoom and shift of the pixel grid, got ones "
                             f"{residual:.3g} px away from any such map.\nhint: positions = p @ R.T / scale - shift")
    a, b, c, d = matrix[:, 0, 0], matrix[:, 0, 1], matrix[:, 1, 0], matrix[:, 1, 1]
    assert torch.allclose(a, d, atol=1e-4) and torch.allclose(b, -c, atol=1e-4), (
        "expected a rotation matrix R = [[cos, -sin], [sin, cos]] (divided by the zoom), got another matrix.\n"
        "hint: the same angle in all four entries, -sin above the diagonal and +sin below it")
    degrees = torch.rad2deg(torch.atan2(b, a))
    assert float(degrees.abs().max()) <= 10.01, (
        f"max_degrees=10: expected angles within [-10, 10] degrees, got up to {float(degrees.abs().max()):.1f}.\n"
        "hint: the angle is drawn in degrees; cos and sin take radians: torch.deg2rad(angle)")
    assert float(degrees.min()) < -8 and float(degrees.max()) > 8, (
        f"max_degrees=10: expected angles spread over [-10, 10], got {float(degrees.min()):.1f} to "
        f"{float(degrees.max()):.1f}.\nhint: uniform(-max_degrees, max_degrees)")
    zoom = 1 / torch.sqrt(a * d - b * c)
    low, high = float(zoom.min()), float(zoom.max())
    hint = ("hint: divide by the scale: the output pixel p comes from R @ p / scale, so a scale of 2 enlarges"
            if 1 / high >= 1.49 and 1 / low <= 2.01 else "hint: one zoom factor per image, drawn from scale_range")
    assert low >= 1.49 and high <= 2.01 and high - low > 0.4, (
        f"scale_range=(1.5, 2): expected digits enlarged 1.5 to 2 times, got zooms from {low:.2f} to {high:.2f}.\n"
        f"{hint}")
    shift = -offset
    largest = float(shift.abs().max())
    assert 2.5 < largest <= 2.81, (
        f"max_shift=0.1: expected shifts up to 0.1 x 28 = 2.8 pixels, got up to {largest:.2f}.\n"
        "hint: max_shift is a fraction of the image width: uniform(-max_shift, max_shift) * 28, per axis")
    correlation = float(torch.corrcoef(shift.T.float())[0, 1])
    assert abs(correlation) < 0.2, (
        f"expected independent x and y shifts, got a correlation of {correlation:.2f}.\n"
        "hint: draw the x shift and the y shift separately (two uniform draws per image)")


@pytest.mark.bonus_i
def test_elastic_displacements_are_smooth_centred_and_independent_in_x_and_y():
    with explain("elastic_displacements(300, ...) to give (300, 784, 2) displacements"):
        moves = augmentation.elastic_displacements(300, alpha=20.0, sigma=4.0,
                                                   generator=torch.Generator().manual_seed(0))
        half = augmentation.elastic_displacements(300, alpha=10.0, sigma=4.0,
                                                  generator=torch.Generator().manual_seed(0))
    assert tuple(moves.shape) == (300, 784, 2), f"expected shape (300, 784, 2), got {tuple(moves.shape)}"
    assert torch.allclose(half * 2, moves, atol=1e-4), ("expected displacements proportional to alpha, got others.\n"
                                                         "hint: multiply the smoothed field by alpha")
    field = moves.reshape(300, 28, 28, 2)  # pixel k is row k // 28, column k % 28
    spread = float(field.std())
    mean = field.mean(dim=(0, 1, 2))
    assert float(mean.abs().max()) < 0.1 * spread, (
        f"expected displacements centred on 0 (as many left as right), got a mean of {mean.tolist()} px.\n"
        "hint: the random field is uniform in [-1, 1]: torch.rand(...) * 2 - 1")
    correlation = float(torch.corrcoef(field.reshape(-1, 2).T)[0, 1])
    assert abs(correlation) < 0.3, (
        f"expected independent x and y displacements, got a correlation of {correlation:.2f}.\n"
        "hint: (count, 2, 28, 28) -> (count, 2, 784) -> transpose(1, 2), not a reshape straight to (count, 784, 2)")
    for axis, name in ((1, "down a column"), (2, "along a row")):
        step = float(field.diff(dim=axis).std()) / spread
        assert step < 0.3, (f"expected a smooth field: neighbouring pixels {name} move almost alike, got differences "
                            f"{step:.2f} times the displacements' spread.\n"
                            "hint: smooth along both axes: G @ field @ G.T")
