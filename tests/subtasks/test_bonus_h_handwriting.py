"""Bonus h: preparing a drawn digit the way MNIST was made (handwriting.prepare_digit)."""

import numpy as np
import pytest
import torch
from conftest import StudentModule

handwriting = StudentModule("handwriting")


def blank_canvas_with(digit, height, width, top, left, enlarge, invert):
    """Paste an MNIST digit (light ink on black), enlarged, onto a large canvas."""
    big = np.kron(digit, np.ones((enlarge, enlarge)))
    canvas = np.zeros((height, width))
    canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    return (1.0 - canvas) * 255 if invert else canvas * 255


@pytest.mark.bonus_h
def test_result_is_a_28x28_image_with_ink_centred_in_a_20_pixel_box():
    canvas = np.full((300, 200), 255.0)
    canvas[40:160, 150:170] = 0.0  # a dark vertical stroke on white paper, off-centre
    prepared = handwriting.prepare_digit(canvas)
    assert isinstance(prepared, torch.Tensor) and prepared.shape == (28, 28)
    assert 0.0 <= float(prepared.min()) and float(prepared.max()) <= 1.0
    rows, cols = torch.nonzero(prepared > 0.1, as_tuple=True)
    assert int(rows.max() - rows.min()) + 1 in (20, 21), "the longer side is scaled to 20 pixels"
    weights = prepared / prepared.sum()
    centre_y = float((weights.sum(dim=1) * torch.arange(28)).sum())
    centre_x = float((weights.sum(dim=0) * torch.arange(28)).sum())
    assert abs(centre_y - 13.5) <= 1.0 and abs(centre_x - 13.5) <= 1.0, "centre of mass in the middle"


@pytest.mark.bonus_h
@pytest.mark.slow
def test_displaced_inverted_enlarged_mnist_digits_are_read_like_the_originals(mnist_loader, tmp_path):
    from conftest import load_student_module

    from utils.network_user import NetworkUser

    FNN = load_student_module("fnn").FNN
    trainer_module = load_student_module("utils.network_trainer")
    NetworkTrainer, sum_correct_preds = trainer_module.NetworkTrainer, trainer_module.sum_correct_preds

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
    assert agreement >= 0.95, f"only {agreement:.1%} of the digits are read as before"
