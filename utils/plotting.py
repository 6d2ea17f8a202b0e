"""Figures of the course: image grids, label distributions, training curves (provided code).

Every figure is saved as a PNG; it is also shown in a window when a display exists and
``show=True``. Without a display (a server, CI, an SSH session) matplotlib draws off-screen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

if not (sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import torch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from utils.data import IMAGE_SIDE  # noqa: E402


def has_display():
    """True when figures can be shown in a window."""
    return matplotlib.get_backend().lower() != "agg"


def finish(fig, path=None, show=False):
    """Save ``fig`` to ``path`` (PNG) if given, show it if asked and possible, then close it."""
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    if show and has_display():
        plt.show()
    plt.close(fig)
    return fig


def as_images(vectors):
    """Reshape flattened images ``(N, 784)`` back to ``(N, 28, 28)`` for plotting."""
    return torch.as_tensor(vectors).detach().cpu().reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def image_grid(images, titles, rows, cols, title_colors=None, suptitle=None):
    """A figure with ``rows x cols`` grey images, each with its title.

    Parameters
    ----------
    images : tensor or array
        ``(N, 28, 28)`` or ``(N, 784)``, N <= rows * cols.
    titles : list of str
        One title per image.
    title_colors : list of str, optional
        One matplotlib colour per title (e.g. red for a wrong prediction).
    """
    images = as_images(images)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.1 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index].numpy(), cmap="gray_r")
            color = title_colors[index] if title_colors else "black"
            ax.set_title(titles[index], color=color, fontsize=11)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def label_distribution(counts_by_split, relative=True):
    """Grouped bar chart: each digit's share of every split (its images in the legend).

    Parameters
    ----------
    counts_by_split : dict of str -> sequence of 10 counts
    relative : bool
        Plot each digit's share of its split in percent (splits of different sizes side by side);
        False plots the counts.
    """
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(counts_by_split)
    for offset, (split, counts) in enumerate(counts_by_split.items()):
        counts = torch.as_tensor(counts, dtype=torch.float64)
        values = 100 * counts / counts.sum() if relative else counts
        positions = torch.arange(len(counts)) + (offset - (len(counts_by_split) - 1) / 2) * width
        ax.bar(positions.numpy(), values.numpy(), width=width, label=f"{split} ({int(counts.sum())})")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("share of the split (%)" if relative else "images")
    ax.set_title("Label distribution per split")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(counts_by_split), frameon=False)
    return fig


def training_curves(histories, title=None, test_result=None):
    """Loss, accuracy and learning rate per epoch; training dashed, validation solid.

    Parameters
    ----------
    histories : dict of str -> list of per-epoch dicts
        One history (as saved in ``run.json``) per curve label; several runs share the axes.
    test_result : dict, optional
        ``NetworkUser.test_network``'s result (``loss``, ``accuracy``): drawn as a star after the
        last epoch.
    """
    has_accuracy = any(h and h[0].get("val_accuracy") is not None for h in histories.values())
    has_lr = any(h and h[0].get("lr") is not None for h in histories.values())
    panels = [("loss", "loss")] + ([("accuracy", "accuracy (%)")] if has_accuracy else [])
    panels += [("lr", "learning rate")] if has_lr else []
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 1, 4), squeeze=False)
    for ax, (metric, label) in zip(axes.flat, panels):
        for index, (name, history) in enumerate(histories.items()):
            _plot_metric(ax, metric, name, history, f"C{index}")
            if test_result is not None and metric in ("loss", "accuracy") and history:
                ax.plot([history[-1]["epoch"]], [test_result[metric]], "*", color=f"C{index}", markersize=12,
                        label=f"{name} test: {test_result[metric]:.4g}".strip())
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def _plot_metric(ax, metric, name, history, color):
    epochs = [entry["epoch"] for entry in history]
    if metric == "lr":
        ax.plot(epochs, [entry.get("lr") for entry in history], "-", color=color, marker="o", markersize=3,
                label=name or "learning rate")
        return
    for split, style in (("train", "--"), ("val", "-")):
        values = [entry.get(f"{split}_{metric}") for entry in history]
        if values and values[0] is not None:
            ax.plot(epochs, values, style, color=color, marker="o", markersize=3,
                    label=f"{name} {'training' if split == 'train' else 'validation'}".strip())
