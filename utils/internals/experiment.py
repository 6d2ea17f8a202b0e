"""What the main script needs besides the lesson: its flags, the bonus options, the report (provided).

The bonus flags (``--normalize``, ``--batch-norm``, ``--init``, ``--l1``, ``--l2``,
``--weight-decay``, ``--augment``, ``--depth``, ``--dropout``) switch on the student's own bonus
code; a bonus that is not written yet stops the run with "Not done yet: TODO bonus_x".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from utils import plotting
from utils.internals.checks import check_positive_float, check_positive_int, check_probability, check_ratio
from utils.internals.devices import DEVICE_CHOICES, pick_device
from utils.internals.run_files import RUNS_DIR, check_runs_dir

INIT_CHOICES = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal", "zeros")
SCHEDULERS = {
    # cosine: the learning rate glides from lr to 0 over the epochs, which settles the weights
    "cosine": lambda epochs: (torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": epochs}),
    # plateau: divide the learning rate by 5 when the validation loss has not improved for an epoch
    "plateau": lambda epochs: (torch.optim.lr_scheduler.ReduceLROnPlateau, {"factor": 0.2, "patience": 1}),
    "none": lambda epochs: (None, {}),
}


def parse_args(argv=None, description=None):
    """The main script's flags, checked; the device and the runs folder are checked to be usable.

    Raises
    ------
    SystemExit
        (exit status 2, from argparse) For a flag of the wrong form or out of range.
    CourseError
        For a device the machine lacks, or a ``--runs-dir`` that is a file or read-only.
    """
    parser = argparse.ArgumentParser(description=description)
    add = parser.add_argument
    add("--epochs", type=int, default=12, help="training epochs (default 12)")
    add("--hidden", type=int, default=500, help="neurons per hidden layer (500)")
    add("--batch-size", type=int, default=100, help="images per batch (100)")
    add("--lr", type=float, default=0.001, help="Adam's learning rate (0.001)")
    add("--train-val-ratio", type=float, default=0.8, help="share of the 60,000 images used for training (0.8)")
    add("--scheduler", choices=tuple(SCHEDULERS), default="cosine", help="learning-rate schedule (cosine)")
    add("--seed", type=int, default=0, help="seed of split, shuffling and weights")
    add("--device", default="auto", choices=DEVICE_CHOICES, help="auto picks CUDA, then MPS, then the CPU")
    add("--runs-dir", type=Path, default=RUNS_DIR, help="where runs are saved (runs/)")
    add("--data-dir", type=Path, default=None, help="where MNIST is kept (data/)")
    add("--no-plots", action="store_true", help="make no figures")
    add("--no-show", action="store_true", help="save figures, open no windows")
    add("--no-progress", action="store_true", help="no progress bars")
    bonus = parser.add_argument_group("bonus experiments, on your own bonus code")
    bonus.add_argument("--normalize", action="store_true", help="b: standardise the pixels (channel_mean_std)")
    bonus.add_argument("--batch-norm", action="store_true", help="b: batch norm in the hidden layers")
    bonus.add_argument("--init", choices=INIT_CHOICES, default=None, help="c: initialise with make_initializer")
    bonus.add_argument("--l1", type=float, default=0.0, metavar="STRENGTH", help="d: add l1_penalty (e.g. 1e-5)")
    bonus.add_argument("--l2", type=float, default=0.0, metavar="STRENGTH", help="d: add l2_penalty (e.g. 1e-4)")
    bonus.add_argument("--weight-decay", type=float, default=0.0, help="d: Adam's weight_decay (e.g. 1e-4)")
    bonus.add_argument("--depth", type=int, default=2, help="f: hidden layers; other than 2 uses DeepFNN")
    bonus.add_argument("--dropout", type=float, default=0.0, help="f: dropout after each hidden layer (DeepFNN)")
    bonus.add_argument("--augment", action="store_true", help="i: augment training batches (augmentation.Augment)")
    args = parser.parse_args(argv)
    checks = [("--epochs", check_positive_int, args.epochs), ("--hidden", check_positive_int, args.hidden),
              ("--batch-size", check_positive_int, args.batch_size), ("--lr", check_positive_float, args.lr),
              ("--train-val-ratio", check_ratio, args.train_val_ratio), ("--depth", check_positive_int, args.depth),
              ("--dropout", check_probability, args.dropout)]
    checks += [(flag, check_positive_float, value) for flag, value in
               (("--l1", args.l1), ("--l2", args.l2), ("--weight-decay", args.weight_decay)) if value != 0]
    for flag, check, value in checks:
        try:
            check(flag, value)
        except (TypeError, ValueError) as error:
            parser.error(str(error))
    args.plots, args.show = not args.no_plots, not args.no_show
    # Checked now, before any figure is written or MNIST is read: an error is one line (CourseError).
    pick_device(args.device)
    check_runs_dir(args.runs_dir)
    return args


class BonusOptions:
    """Turn the bonus flags into network, optimizer and trainer settings, with the student's code.

    The student's functions come in as arguments (provided code never imports student files).
    """

    def __init__(self, args, deep_network, make_initializer, l1_penalty, l2_penalty):
        self.args = args
        self.deep_network, self.make_initializer = deep_network, make_initializer
        self.l1_penalty, self.l2_penalty = l1_penalty, l2_penalty

    def network(self, network_class, network_params):
        args, params = self.args, dict(network_params)
        if args.depth == 2 and args.dropout == 0:
            if args.batch_norm:
                params["use_batch_norm"] = True
            return network_class, params
        params["hidden_shapes"] = [params.pop("hidden_shape")] * args.depth
        params.update(use_batch_norm=args.batch_norm, dropout=args.dropout)
        return self.deep_network, params

    def optimizer_params(self, optimizer_params):
        if self.args.weight_decay:
            return dict(optimizer_params, weight_decay=self.args.weight_decay)
        return optimizer_params

    def regularization(self):
        from functools import partial

        penalties = []
        if self.args.l1:
            penalties.append(partial(self.l1_penalty, strength=self.args.l1))
        if self.args.l2:
            penalties.append(partial(self.l2_penalty, strength=self.args.l2))
        if not penalties:
            return None
        return penalties[0] if len(penalties) == 1 else partial(_sum_of, penalties)

    def initializer(self):
        return self.make_initializer(self.args.init) if self.args.init else None


def _sum_of(penalties, model):
    return sum(penalty(model) for penalty in penalties)


def augmentation(args, loader, augment_class):
    """Bonus i: an ``augment_class`` instance for ``loader``'s training batches (None without --augment)."""
    if not args.augment:
        return None
    background = 0.0 if loader.mean_std is None else -loader.mean_std[0] / loader.mean_std[1]
    return augment_class(background=background, seed=args.seed)


def scheduler(args):
    return SCHEDULERS[args.scheduler](args.epochs)


def plot_mistakes(predicted, confidence, images, labels, path=None, show=False, count=12):
    """Test images the network gets wrong, with true and predicted label and its probability.

    ``predicted`` and ``confidence`` (N,) are the predicted labels of ``images`` and their
    probabilities, as ``NetworkUser.test_network`` returns them.
    """
    wrong = torch.nonzero(predicted != labels).flatten()[:count]
    titles = [f"true {int(labels[i])} / pred {int(predicted[i])} ({float(confidence[i]):.0%})" for i in wrong]
    fig = plotting.image_grid(images[wrong], titles, rows=2, cols=6, title_colors=["red"] * len(wrong),
                              suptitle=f"{int((predicted != labels).sum())} of {len(labels)} test images "
                                       "are misclassified; the first ones:")
    return plotting.finish(fig, path, show)


def predictions_for(predict, result, images, labels):
    """(predicted labels, confidence) of ``images``: those ``test_network`` made when it saw the same
    labels in the same order (``result``), else predicted with ``predict``."""
    seen = result.get("labels")
    if isinstance(seen, torch.Tensor) and seen.shape == labels.shape and torch.equal(seen, labels.cpu()):
        return result["predicted"], result["confidence"]
    predicted, probabilities = predict(images)
    return predicted, probabilities.max(dim=1).values


def run_figures(args, predict, loader, result, run_folder):
    """Misclassified test digits and the training curves of a run, as PNGs in its folder."""
    images, labels = loader.tensors("test")
    predicted, confidence = predictions_for(predict, result, images, labels)
    plot_mistakes(predicted, confidence, images, labels, run_folder / "4d_mistakes.png", args.show)
    plotting.finish(plotting.training_curves({"FNN": result["history"]}), run_folder / "training_curves.png",
                    args.show)
    print(f"Run plots in {run_folder}: 4d_predictions.png, 4d_mistakes.png, training_curves.png")


def report(args, result):
    """The closing lines: the last epoch, a hint when accuracy is at chance, the test result."""
    last = result["history"][-1]
    accuracy = last.get("val_accuracy")
    epochs = len(result["history"])
    print(f"After {epochs} epoch{'s' if epochs != 1 else ''}: train loss {last['train_loss']:.4f}, "
          f"validation loss {last['val_loss']:.4f}"
          + (f", validation accuracy {accuracy:.2f} %" if accuracy is not None else ""))
    if accuracy is not None and accuracy < 20:
        print(f"Hint: {accuracy:.0f} % is what guessing gets. Did training diverge? "
              f"Try a smaller learning rate than {args.lr:g} (0.001 suits Adam).")
    print(f"Test: loss {result['loss']:.4f}, accuracy {result['accuracy']:.2f} %")

