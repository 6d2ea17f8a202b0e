"""The handwriting reader's provided parts: clear errors, the drawing pad (solutions/handwriting.py)."""

import numpy as np
import pytest
import torch

from handwriting import HandwritingError, load_image, prepare_digit


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

