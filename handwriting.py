# Your file to fill in: the TODOs below. Generated from solutions/handwriting.py by tools/make_templates.py.
"""Bonus h: can the network read your handwriting?

Draw a digit (paint, gimp, a photo of paper), then::

    python handwriting.py my_seven.png another.jpg     # predict image files
    python handwriting.py --draw                       # draw with the mouse, see the prediction

The image is prepared the way MNIST was made: cropped to the ink, scaled into a 20x20 box
keeping its aspect ratio, and centred by its centre of mass in a 28x28 frame, white ink on
black. The newest run in runs/ is used unless ``--run`` names one.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fnn import FNN
from utils.cli import run_cli
from utils.network_user import NetworkUser
from utils.runs import RUNS_DIR, WEIGHTS_FILE

BOX, FRAME = 20, 28


class HandwritingError(ValueError):
    """An image that cannot be read as a digit: unreadable, empty, or of an unusable shape."""


def to_grey(image):
    """Any 2-D (grey) or 3-D (RGB / RGBA) array of numbers -> float64 grey values, 2-D."""
    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise HandwritingError(f"an image must hold numbers, not {array.dtype}.")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise HandwritingError("the image holds NaN or infinite values.")
    largest = np.abs(array).max() if array.size else 0.0
    if largest > 1e6:  # only the relative grey values matter; keep the arithmetic far from overflow
        array = array / largest
    if array.ndim == 3 and array.shape[2] in (3, 4):
        if array.shape[2] == 4:  # transparent parts count as white paper
            alpha = array[..., 3:] / (array[..., 3:].max() or 1)
            array = array[..., :3] * alpha + array[..., :3].max() * (1 - alpha)
        array = array[..., :3].mean(axis=2)
    if array.ndim != 2 or min(array.shape) < 1:
        raise HandwritingError(f"an image must be 2-D grey or RGB(A), got shape {array.shape}.")
    return array


def prepare_digit(image):
    """Turn a picture of one digit into an MNIST-like 28x28 image.

    Parameters
    ----------
    image : array-like
        Grey ``(H, W)`` or colour ``(H, W, 3 or 4)``, any size and number type, dark ink on light
        paper or the reverse, the digit anywhere.

    Returns
    -------
    torch.Tensor
        ``(28, 28)`` float32 in [0, 1]: light ink on black, the ink fitted into 20x20 and its
        centre of mass in the middle.

    Raises
    ------
    HandwritingError
        When the image is empty (one colour only) or not an image.
    """
    grey = to_grey(image)
    low, high = grey.min(), grey.max()
    if high - low < 1e-6 * max(1.0, abs(high)):
        raise HandwritingError("the image is empty: it has only one colour, so no digit to read.")
    ink = (grey - low) / (high - low)
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if np.median(border) > 0.5:  # light paper: MNIST has light ink on black
        ink = 1.0 - ink
    ink[ink < 0.2] = 0.0  # paper texture and JPEG noise are not ink
    if not ink.any():
        raise HandwritingError("no ink found: the image is almost one colour.")
    # TODO bonus_h: crop `ink` to the rows and columns that hold ink; resize it (PIL, bilinear) so
    #          that its longer side is 20 pixels, keeping the aspect ratio; paste it into a
    #          28x28 zero frame so that its centre of mass lands at (14, 14) (shift = round(14 - com),
    #          clipped so the digit stays inside); return it as a float32 tensor
    raise NotImplementedError(
        "TODO bonus_h: crop `ink` to the rows and columns that hold ink; resize it (PIL, "
        "bilinear) so that its longer side is 20 pixels, keeping the aspect ratio; paste it "
        "into a 28x28 zero frame so that its centre of mass lands at (14, 14) (shift = "
        "round(14 - com), clipped so the digit stays inside); return it as a float32 tensor "
        "(check: pytest --impl student -m bonus_h)"
    )


def load_image(path):
    """Read an image file (PNG, JPEG, ...) as an array, with a clear error if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise HandwritingError(f"no image file at {path}.")
    try:
        with Image.open(path) as picture:
            return np.asarray(picture.convert("RGBA" if "A" in picture.getbands() else "L"))
    except (OSError, ValueError) as error:
        raise HandwritingError(f"{path} is not an image this program can read ({error}); "
                               "save it as PNG or JPEG.") from error


def newest_run(runs_dir=RUNS_DIR):
    runs = sorted(runs_dir.glob(f"FNN-*/{WEIGHTS_FILE}"), key=lambda path: path.stat().st_mtime)
    if not runs:
        raise HandwritingError(f"no trained FNN in {runs_dir}; train one first: python 01_main.py")
    return runs[-1].parent


def make_predictor(run_folder):
    """``prepared (28, 28) -> (label, ten probabilities)`` with the FNN of ``run_folder``."""
    user = NetworkUser(FNN, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    predict = user.get_predictor(run_folder)

    def predict_digit(prepared):
        labels, probabilities = predict(prepared.reshape(1, -1))
        return int(labels[0]), probabilities[0]

    return predict_digit


def build_pad(predict_digit):
    """The drawing-pad figure: a canvas on the left, the ten probabilities on the right.

    Drag with the left mouse button to draw, press ``c`` to clear; the prediction updates with
    every stroke. Returns the figure and its 280x280 canvas array.
    """
    import matplotlib.pyplot as plt

    canvas = np.zeros((280, 280))
    fig, (pad, bars) = plt.subplots(1, 2, figsize=(9, 4.5))
    shown = pad.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    pad.set_title("draw with the left button; c clears")
    pad.axis("off")
    columns = bars.bar(range(10), np.zeros(10))
    bars.set_ylim(0, 1)
    bars.set_xticks(range(10))
    bars.set_title("prediction: draw a digit")
    state = {"down": False}

    def update():
        shown.set_data(canvas)
        if canvas.any():
            label, probabilities = predict_digit(prepare_digit(canvas))
            for column, value in zip(columns, probabilities):
                column.set_height(float(value))
            bars.set_title(f"prediction: {label} ({float(probabilities[label]):.0%})")
        else:
            for column in columns:
                column.set_height(0.0)
            bars.set_title("prediction: draw a digit")
        fig.canvas.draw_idle()

    def paint(event):
        if state["down"] and event.inaxes is pad and event.xdata is not None:
            y, x = np.ogrid[:280, :280]
            canvas[(y - event.ydata) ** 2 + (x - event.xdata) ** 2 <= 12 ** 2] = 1.0
            update()

    def press(event):
        state["down"] = event.button == 1
        paint(event)

    def release(event):
        state["down"] = False

    def key(event):
        if event.key == "c":
            canvas[:] = 0
            update()

    for name, handler in (("button_press_event", press), ("motion_notify_event", paint),
                          ("button_release_event", release), ("key_press_event", key)):
        fig.canvas.mpl_connect(name, handler)
    return fig, canvas


def draw_pad(predict_digit):
    """Open the drawing pad in a window (needs a display)."""
    import matplotlib.pyplot as plt

    from utils.plotting import has_display

    if not has_display():
        raise HandwritingError("the drawing pad needs a display; predict image files instead.")
    build_pad(predict_digit)
    plt.show()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="image files of single digits")
    parser.add_argument("--draw", action="store_true", help="open the drawing pad")
    parser.add_argument("--run", type=Path, default=None, help="run folder (default: the newest FNN run)")
    args = parser.parse_args(argv)
    if not args.images and not args.draw:
        parser.error("name image files, or use --draw")
    run = args.run or newest_run()
    print(f"Model: {run}")
    predict_digit = make_predictor(run)
    for path in args.images:
        try:
            label, probabilities = predict_digit(prepare_digit(load_image(path)))
        except HandwritingError as error:
            print(f"{path}: {error}")
            continue
        print(f"{path}: {label}  (probability {float(probabilities[label]):.1%})")
    if args.draw:
        draw_pad(predict_digit)


if __name__ == "__main__":
    sys.exit(run_cli(main))
