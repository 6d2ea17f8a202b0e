"""Bonus h: preparing a drawn digit the way MNIST was made (handwriting.prepare_digit)."""

import numpy as np
import pytest
import torch

from handwriting import HandwritingError, load_image, prepare_digit


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
    prepared = prepare_digit(canvas)
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
    from fnn import FNN
    from utils.network_trainer import NetworkTrainer, sum_correct_preds
    from utils.network_user import NetworkUser

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
        pasted.append(prepare_digit(canvas).reshape(-1))
    before, _ = predict(originals)
    after, _ = predict(torch.stack(pasted))
    agreement = float((before == after).float().mean())
    assert agreement >= 0.95, f"only {agreement:.1%} of the digits are read as before"


def test_an_empty_image_is_refused_clearly():
    with pytest.raises(HandwritingError, match="empty"):
        prepare_digit(np.full((50, 50), 255, dtype=np.uint8))


def test_unreadable_files_are_refused_clearly(tmp_path):
    broken = tmp_path / "digit.png"
    broken.write_bytes(b"this is not a png")
    with pytest.raises(HandwritingError, match="not an image this program can read"):
        load_image(broken)
    with pytest.raises(HandwritingError, match="no image file"):
        load_image(tmp_path / "missing.png")


def test_the_drawing_pad_predicts_while_drawing_and_clears():
    from matplotlib.backend_bases import KeyEvent, MouseButton, MouseEvent

    from handwriting import build_pad

    seen = []

    def predict_digit(prepared):
        seen.append(prepared)
        return 1, torch.nn.functional.one_hot(torch.tensor(1), 10).float()

    fig, canvas = build_pad(predict_digit)
    pad, bars = fig.axes
    fig.canvas.draw()

    def at(x, y):
        return pad.transData.transform((x, y))

    MouseEvent("button_press_event", fig.canvas, *at(140, 40), button=MouseButton.LEFT)._process()
    for y in range(40, 240, 20):
        MouseEvent("motion_notify_event", fig.canvas, *at(140, y))._process()
    MouseEvent("button_release_event", fig.canvas, *at(140, 240), button=MouseButton.LEFT)._process()
    assert canvas[40:220, 135:145].all(), "a vertical stroke is drawn"
    assert seen and seen[-1].shape == (28, 28)
    assert bars.get_title() == "prediction: 1 (100%)"
    KeyEvent("key_press_event", fig.canvas, "c", *at(10, 10))._process()
    assert not canvas.any() and bars.get_title() == "prediction: draw a digit"
