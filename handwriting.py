# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.
"""Bonus h: can the network read your handwriting?

Draw a digit (paint, gimp, a tablet app, a photo of paper), then::

    python handwriting.py my_seven.png another.jpg     # predict image files
    python handwriting.py --draw                       # draw with the mouse, see the prediction

The image is prepared the way MNIST was made: cropped to the ink, scaled into a 20x20 box
keeping its aspect ratio, and centred by its centre of mass in a 28x28 frame, white ink on
black. The complete FNN run trained with cross entropy that has the best validation accuracy
reads it, unless ``--run`` names one. Reading the files (transparent, 16-bit, palette PNGs,
photos) and the drawing pad are provided in utils/internals/digit_images.py and utils/internals/drawing_pad.py.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fnn import FNN
from utils.data import IMAGE_SIDE
from utils.internals import drawing_pad
from utils.internals.cli import run_cli, shown_path
from utils.internals.digit_images import load_image, to_grey
from utils.internals.errors import HandwritingError
from utils.internals.run_choice import best_classification_run, classification_runs, is_cross_entropy
from utils.internals.run_files import RUNS_DIR, load_record
from utils.network_user import NetworkUser

BOX, FRAME = 20, IMAGE_SIDE


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
    # TODO bonus_h: crop ink to the rows and columns that hold ink; resize it (PIL, bilinear) so that
    #               its longer side is BOX pixels, keeping the aspect ratio; paste it into a FRAME x
    #               FRAME frame of zeros so that its centre of mass lands in the middle, (13.5, 13.5) in
    #               pixel indices (within half a pixel, and clipped so that the digit stays inside);
    #               return it as a float32 tensor.
    raise NotImplementedError("TODO bonus_h")


def make_predictor(run_folder):
    """``prepared (28, 28) -> (label, ten probabilities)`` with the FNN of ``run_folder``."""
    user = NetworkUser(FNN, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    predict = user.get_predictor(run_folder)

    def predict_digit(prepared):
        labels, probabilities = predict(prepared.reshape(1, -1))
        return int(labels[0]), probabilities[0]

    return predict_digit


def build_pad(predict_digit, show_probabilities=True):
    """The drawing-pad figure (see utils/internals/drawing_pad.py), preparing drawings with prepare_digit."""
    return drawing_pad.build_pad(predict_digit, prepare_digit, show_probabilities)


def draw_pad(predict_digit, show_probabilities=True):
    """Open the drawing pad in a window (needs a display)."""
    drawing_pad.draw_pad(predict_digit, prepare_digit, show_probabilities)


def choose_run(run, runs_dir):
    """The run folder to use and a line that says why it was chosen."""
    if run is not None:
        return run, f"Model: {shown_path(run)} (chosen with --run)"
    best = best_classification_run(runs_dir, network_class_name="FNN")
    runs = classification_runs(runs_dir, network_class_name="FNN")
    accuracy = next((summary.val_accuracy for summary in runs if summary.folder == best), None)
    count = f"of {len(runs)} complete run{'s' if len(runs) != 1 else ''}"
    why = (f"best validation accuracy {accuracy:.1f} %, {count}" if accuracy is not None
           else f"the newest {count}; none recorded a validation accuracy")
    return best, f"Model: {shown_path(best)} ({why})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="image files of single digits")
    parser.add_argument("--draw", action="store_true", help="open the drawing pad")
    parser.add_argument("--run", type=Path, default=None,
                        help="run folder (default: the complete FNN run with the best validation accuracy)")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="where the runs are (default: runs/)")
    args = parser.parse_args(argv)
    if not args.images and not args.draw:
        parser.error("name image files, or use --draw")
    run, why = choose_run(args.run, args.runs_dir)
    print(why)
    record = load_record(run)
    probabilities_shown = is_cross_entropy(record)
    if not probabilities_shown:
        loss = record.get("loss_function")
        loss = str(loss.get("class", "?")).rsplit(".", 1)[-1] if isinstance(loss, dict) else "another loss"
        print(f"This run was trained with {loss}, not CrossEntropyLoss: its scores are not "
              "probabilities, so only the label is shown.")
    predict_digit = make_predictor(run)
    failed = 0
    for path in args.images:
        try:
            label, probabilities = predict_digit(prepare_digit(load_image(path)))
        except HandwritingError as error:
            print(f"{path}: cannot read it: {error}", file=sys.stderr)
            failed += 1
            continue
        if probabilities_shown:
            print(f"{path}: {label}  (probability {float(probabilities[label]):.1%})")
        else:
            print(f"{path}: {label}")
    if args.draw:
        draw_pad(predict_digit, probabilities_shown)
    if failed:
        print(f"{failed} of {len(args.images)} image{'s' if len(args.images) != 1 else ''} could not be read.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run_cli(main))
