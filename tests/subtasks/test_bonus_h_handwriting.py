"""Bonus h: preparing a drawn digit the way MNIST was made (handwriting.prepare_digit)."""

import numpy as np
import pytest
import torch
from conftest import StudentModule
from hints import Steps, explain

handwriting = StudentModule("handwriting")


HINTS = {
    "bonus_h": Steps("prepare the digit as MNIST was made: crop to the ink, fit into 20x20, centre of mass in the "
                     "middle of 28x28",
                     "np.nonzero for the ink's rows and columns, PIL Image.resize (bilinear), np.indices for the "
                     "centre of mass, np.clip for the shift",
                     "ink = ink[___:___, ___:___]  /  box = resize to ___  /  top = clip(round(___ - centre_y), "
                     "0, ___)  /  frame[top:___, left:___] = box"),
}

def blank_canvas_with(digit, height, width, top, left, enlarge, invert):
    """Paste an MNIST digit (light ink on black), enlarged, onto a large canvas."""
    big = np.kron(digit, np.ones((enlarge, enlarge)))
    canvas = np.zeros((height, width))
    canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    return (1.0 - canvas) * 255 if invert else canvas * 255


def prepare(canvas, what):
    with explain(f"prepare_digit({what}) to give a 28x28 image",
                 (ValueError, "could not broadcast",
                  "the resized ink must fit its place in the frame: PIL's resize takes (width, height), the longer "
                  "side is scaled to 20, and the shift is clipped so that top + height <= 28")):
        prepared = handwriting.prepare_digit(canvas)
    assert isinstance(prepared, torch.Tensor) and prepared.shape == (28, 28), (
        f"expected a (28, 28) tensor, got {type(prepared).__name__} of shape {tuple(np.shape(prepared))}")
    assert 0.0 <= float(prepared.min()) and float(prepared.max()) <= 1.0, (
        f"expected values in [0, 1], got {float(prepared.min()):.3f} to {float(prepared.max()):.3f}")
    return prepared


def ink_box(prepared):
    rows, cols = torch.nonzero(prepared > 0.1, as_tuple=True)
    return int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1


def centre_of_mass(prepared):
    weights = prepared / prepared.sum()
    return (float((weights.sum(dim=1) * torch.arange(28)).sum()), float((weights.sum(dim=0) * torch.arange(28)).sum()))


@pytest.mark.bonus_h
def test_result_is_a_28x28_image_with_ink_centred_in_a_20_pixel_box():
    canvas = np.full((300, 200), 255.0)
    canvas[40:160, 150:170] = 0.0  # a dark vertical stroke on white paper, 120 x 20 pixels, off-centre
    prepared = prepare(canvas, "a 120 x 20 pixel stroke on a 300 x 200 canvas")
    height, width = ink_box(prepared)
    assert height in (20, 21), (f"expected the stroke's longer side scaled to 20 pixels, got {height}.\n"
                                "hint: crop to the rows and columns with ink first, then scale by "
                                "20 / max(height, width)")
    assert width <= 6, (f"expected the 120 x 20 stroke to stay thin (about 20 x 3.3 pixels), got {height} x {width}.\n"
                        "hint: keep the aspect ratio: both sides times the same 20 / max(height, width)")
    centre = centre_of_mass(prepared)
    assert max(abs(centre[0] - 13.5), abs(centre[1] - 13.5)) <= 1.0, (
        f"expected the centre of mass in the middle, (13.5, 13.5) +- 1, got ({centre[0]:.1f}, {centre[1]:.1f}).\n"
        "hint: paste the box so that its centre of mass lands at the middle of the frame")


@pytest.mark.bonus_h
def test_a_digit_heavy_at_its_foot_is_centred_by_its_centre_of_mass():
    canvas = np.full((300, 200), 255.0)
    canvas[40:160, 150:156] = 0.0   # a thin stroke
    canvas[140:160, 136:156] = 0.0  # and a heavy foot
    prepared = prepare(canvas, "a thin stroke with a heavy foot")
    centre = centre_of_mass(prepared)
    assert max(abs(centre[0] - 13.5), abs(centre[1] - 13.5)) <= 1.0, (
        f"expected the centre of mass in the middle, (13.5, 13.5) +- 1, got ({centre[0]:.1f}, {centre[1]:.1f}).\n"
        "hint: centre the digit by its centre of mass (so that it lands at 13.5, 13.5), not by its box")


@pytest.mark.bonus_h
def test_a_digit_heavy_at_its_top_stays_inside_the_frame():
    canvas = np.full((300, 200), 255.0)
    canvas[40:70, 100:160] = 0.0    # a heavy top
    canvas[40:160, 156:160] = 0.0   # and a thin stroke below it
    prepared = prepare(canvas, "a heavy top with a thin stroke")
    height, _ = ink_box(prepared)
    assert height in (20, 21), (f"expected all of the digit, 20 pixels tall, inside the frame, got {height} rows.\n"
                                "hint: clip the shift so that the box stays inside: 0 <= top <= 28 - height")


@pytest.mark.bonus_h
@pytest.mark.slow
def test_displaced_inverted_enlarged_mnist_digits_are_read_like_the_originals(mnist_loader, tmp_path):
    from conftest import load_student_module

    from utils.network_user import NetworkUser

    FNN = load_student_module("fnn").FNN
    trainer_module = load_student_module("utils.network_trainer")
    NetworkTrainer = trainer_module.NetworkTrainer
    sum_correct_preds = load_student_module("01_main").sum_correct_preds

    trainer = NetworkTrainer(FNN, torch.nn.CrossEntropyLoss, torch.optim.Adam, data_loader=mnist_loader,
                             folder=tmp_path, device="cpu", progress=False)
    run = trainer.train_network(2, {"hidden_shape": 256}, optimizer_params={"lr": 0.001},
                                sum_correct_preds=sum_correct_preds)
    predict = NetworkUser(FNN, torch.nn.CrossEntropyLoss, mnist_loader, device="cpu").get_predictor(run)
    images, _ = mnist_loader.tensors("test")
    originals = images[:200]
    rng = np.random.default_rng(0)
    pasted = []
    for index, digit in enumerate(originals.reshape(-1, 28, 28).numpy()):
        enlarge = int(rng.integers(2, 6))
        height, width = 28 * enlarge + int(rng.integers(20, 200)), 28 * enlarge + int(rng.integers(20, 200))
        top = int(rng.integers(0, height - 28 * enlarge))
        left = int(rng.integers(0, width - 28 * enlarge))
        canvas = blank_canvas_with(digit, height, width, top, left, enlarge, invert=index % 2 == 0)
        pasted.append(handwriting.prepare_digit(canvas).reshape(-1))
    before, _ = predict(originals)
    after, _ = predict(torch.stack(pasted))
    agreement = float((before == after).float().mean())
    prepared = torch.stack(pasted).reshape(-1, 28, 28)
    boxes = torch.tensor([ink_box(image) for image in prepared]).float()
    offsets = torch.tensor([centre_of_mass(image) for image in prepared]) - 13.5
    assert agreement >= 0.95, (
        f"expected at least 95 % of 200 test digits, pasted enlarged 2-5x at random places (half of them dark "
        f"on light), to be read as before, got {agreement:.1%}.\n"
        f"hint: your prepared digits: ink {boxes[:, 0].mean():.1f} x {boxes[:, 1].mean():.1f} px on average "
        f"(longer side 20 in MNIST), centre of mass {offsets.norm(dim=1).mean():.1f} px from the middle on average")
