"""A drawing pad: draw a digit with the mouse and watch the network read it (provided code).

The pad knows nothing about networks or about how a drawing is prepared: it is given both as
functions, ``prepare(canvas) -> (28, 28) image`` and ``predict_digit(prepared) -> (label,
probabilities)``, so it works with any student's ``prepare_digit`` and any trained run.
"""

from __future__ import annotations

import numpy as np

from utils.internals.errors import HandwritingError

SIDE = 280
BRUSH_RADIUS = 12


def build_pad(predict_digit, prepare, show_probabilities=True):
    """The drawing-pad figure: a canvas on the left, the ten probabilities on the right.

    Drag with the left mouse button to draw, press ``c`` to clear; the prediction updates with
    every stroke.

    Parameters
    ----------
    predict_digit : callable
        ``prepared (28, 28) -> (label, ten probabilities)``.
    prepare : callable
        ``canvas (280, 280), light ink on black -> prepared (28, 28)``, e.g. ``prepare_digit``.
    show_probabilities : bool
        False for a run whose scores are not probabilities (a loss other than cross entropy):
        only the label is shown.

    Returns
    -------
    (matplotlib.figure.Figure, numpy.ndarray)
        The figure and its 280x280 canvas array.
    """
    import matplotlib.pyplot as plt

    canvas = np.zeros((SIDE, SIDE))
    fig, (pad, bars) = plt.subplots(1, 2, figsize=(9, 4.5))
    shown = pad.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    pad.set_title("draw with the left button; c clears")
    pad.axis("off")
    columns = bars.bar(range(10), np.zeros(10))
    bars.set_ylim(0, 1)
    bars.set_xticks(range(10))
    bars.set_title("prediction: draw a digit")
    if not show_probabilities:
        bars.set_yticks([])
        bars.set_xlabel("this run's loss gives scores, not probabilities")
    state = {"down": False}

    def update():
        shown.set_data(canvas)
        if canvas.any():
            try:
                label, probabilities = predict_digit(prepare(canvas))
            except HandwritingError as error:
                bars.set_title(f"cannot read it: {error}")
                fig.canvas.draw_idle()
                return
            if show_probabilities:
                for column, value in zip(columns, probabilities):
                    column.set_height(float(value))
                bars.set_title(f"prediction: {label} ({float(probabilities[label]):.0%})")
            else:
                bars.set_title(f"prediction: {label}")
        else:
            for column in columns:
                column.set_height(0.0)
            bars.set_title("prediction: draw a digit")
        fig.canvas.draw_idle()

    def paint(event):
        if state["down"] and event.inaxes is pad and event.xdata is not None:
            y, x = np.ogrid[:SIDE, :SIDE]
            canvas[(y - event.ydata) ** 2 + (x - event.xdata) ** 2 <= BRUSH_RADIUS ** 2] = 1.0
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


def draw_pad(predict_digit, prepare, show_probabilities=True):
    """Open the drawing pad in a window (needs a display)."""
    import matplotlib.pyplot as plt

    from utils.plotting import has_display

    if not has_display():
        raise HandwritingError("the drawing pad needs a display (none found: a server or SSH session?); "
                               "predict image files instead: python handwriting.py my_digit.png")
    build_pad(predict_digit, prepare, show_probabilities)
    plt.show()
