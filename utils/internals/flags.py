"""The main script's command line: its flags with their defaults, checked (provided code).

The bonus flags (``--normalize``, ``--batch-norm``, ``--init``, ``--l1``, ``--l2``,
``--weight-decay``, ``--augment``, ``--depth``, ``--dropout``) switch on the student's own bonus
code (``utils/internals/bonus_flags.py``); a bonus not written yet stops the run with "Not done
yet: TODO bonus_x".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from utils.internals.checks import check_positive_float, check_positive_int, check_probability, check_ratio
from utils.internals.devices import DEVICE_CHOICES, pick_device
from utils.internals.run_files import RUNS_DIR, check_runs_dir

INIT_SCHEMES = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal", "zeros")
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
    bonus.add_argument("--init", choices=INIT_SCHEMES, default=None, help="c: initialise with make_initializer")
    bonus.add_argument("--l1", type=float, default=0.0, metavar="STRENGTH",
                       help="d: L1 penalty of regularization (e.g. 1e-5)")
    bonus.add_argument("--l2", type=float, default=0.0, metavar="STRENGTH",
                       help="d: L2 penalty of regularization (e.g. 1e-4)")
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
    args.plots, args.show, args.progress = not args.no_plots, not args.no_show, not args.no_progress
    # Checked now, before any figure is written or MNIST is read: an error is one line (CourseError).
    pick_device(args.device)
    check_runs_dir(args.runs_dir)
    return args
