# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.
"""Session 01: train a fully connected network (FNN) on MNIST and evaluate it on the test split.

Subtasks 1a, 1b (look at the data) and 4a-4d (loss, settings, train and evaluate, predict).
Run ``python 01_main.py`` (``--help`` lists the flags, bonus experiments included).
"""

import sys
from pathlib import Path

import torch

from augmentation import Augment
from fnn import FNN, DataLoaderFNN, DeepFNN, make_initializer
from utils import plotting
from utils.data import first_training_images, split_labels
from utils.internals.bonus_flags import with_bonus_flags
from utils.internals.cli import run_cli
from utils.internals.flags import parse_args
from utils.internals.run_report import report, run_figures
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser


def show_example_images(images, labels, path=None, show=False):
    """1a: six training images in a 2x3 grid, each titled with its label.

    ``images`` are flattened, one row per image ``(N, pixels)`` with N >= 6; ``labels`` their
    labels ``(N,)``. Returns the figure (saved to ``path`` if given).
    """
    fig = None
    # TODO 1a: fig: the first six images, turned back from flat vectors into pictures, in a grid of 2
    #          rows and 3 columns made with plotting.image_grid; each titled with its label as a plain
    #          number (not a tensor).
    raise NotImplementedError("TODO 1a")
    return plotting.finish(fig, path, show)


def count_labels(labels, num_classes=10):
    """1b: how many images of each digit a split has.

    Returns a tensor ``(num_classes,)`` whose entry ``d`` counts the labels equal to ``d`` among
    ``labels (N,)`` (0 for a digit that does not occur).
    """
    # TODO 1b: for each of the num_classes digits 0, 1, ..., num_classes - 1 (all of them), how many
    #          entries of labels equal it (a digit that never occurs counts 0); return the counts as one
    #          tensor.
    raise NotImplementedError("TODO 1b")


def choose_loss_function():
    """4a: the loss class for raw scores (logits) ``(batch, 10)`` and class indices ``(batch,)``.

    The trainer builds it as ``loss_function()``.
    """
    # TODO 4a: return the loss class (a class, not an instance: the trainer builds it) that fits a
    #          network whose last layer gives raw scores, for classifying into one of ten digits. Which
    #          one, and why: Q 4a on the sheet.
    raise NotImplementedError("TODO 4a")


def training_settings(hidden_shape=500, learning_rate=0.001):
    """4b: a dict with ``network_params`` (FNN's keyword arguments: input_shape, hidden_shape,
    num_classes, activation_func), ``optimizer`` (an optimizer class) and ``optimizer_params``
    (its keyword arguments, with the learning rate ``lr``)."""
    # TODO 4b: return the dict the docstring describes: the network's keyword arguments for MNIST (how
    #          long is one image as a vector? how many classes?), the given hidden size, ReLU as the
    #          hidden activation (a class); the optimizer Adam (a class) and its keyword arguments with
    #          the given learning rate.
    raise NotImplementedError("TODO 4b")


def plot_predictions(predict, images, labels, path=None, show=False, count=12):
    """4d: predict ``count`` test images; show them with their true and predicted labels.

    Parameters
    ----------
    predict : callable
        ``predict(images (N, 784)) -> (predicted labels (N,), probabilities (N, 10))``, as
        ``NetworkUser.get_predictor`` returns it.
    images, labels : torch.Tensor
        Test images ``(N, 784)`` and their labels ``(N,)``.
    """
    fig = None
    # TODO 4d: fig: the first count images predicted with predict, shown as 28x28 pictures in two rows
    #          (plotting.image_grid); each titled with its true label, the predicted one and how sure
    #          the network is of it (e.g. "true 7 / pred 1 (62%)"); the title red where the
    #          prediction is wrong and black where it is right (title_colors).
    raise NotImplementedError("TODO 4d")
    return plotting.finish(fig, path, show)


def sum_correct_preds(predicted, target):
    """Bonus a: how many rows of ``predicted (batch, num_classes)`` have their highest score at the
    true class ``target (batch,)``; an int or a 0-d tensor. The trainer turns it into accuracies."""
    # TODO bonus_a: how many rows of predicted have their highest score at the class that target names;
    #               return that count.
    raise NotImplementedError("TODO bonus_a")


def regularization(model, l1_strength=0.0, l2_strength=0.0):
    """Bonus d: the penalty the trainer adds to every training batch's loss.

    ``l1_strength`` times the sum of the absolute values plus ``l2_strength`` times the sum of the
    squares of every weight matrix's entries; biases and batch norm's parameters (the parameters
    with fewer than two dimensions) stay out. ``--l1`` and ``--l2`` set the strengths; L2 also
    works through Adam's ``weight_decay`` (``--weight-decay``).
    """
    # TODO bonus_d: l1_strength times the sum of |w| plus l2_strength times the sum of w squared, over
    #               every entry of every weight matrix of model; keep it a tensor (gradients flow through it).
    raise NotImplementedError("TODO bonus_d")


def look_at_the_data(args):
    """Task 1: six training images (1a) and how many images of each digit every split holds (1b)."""
    images, labels = first_training_images(data_dir=args.data_dir)
    show_example_images(images, labels, args.runs_dir / "1a_example_images.png", args.show)
    splits = split_labels(args.train_val_ratio, args.seed, args.data_dir)
    counts = {split: count_labels(labels_of_split) for split, labels_of_split in splits.items()}
    plotting.finish(plotting.label_distribution(counts), args.runs_dir / "1b_label_distribution.png", args.show)


def main(argv=None):
    args = parse_args(argv, __doc__.splitlines()[0])  # the flags, checked: python 01_main.py --help
    if args.plots:
        look_at_the_data(args)
    loader = DataLoaderFNN(args.train_val_ratio, args.batch_size, args.seed, args.normalize, data_dir=args.data_dir)
    loader.show_sizes()
    loss_function = choose_loss_function()
    settings = training_settings(hidden_shape=args.hidden, learning_rate=args.lr)
    # Bonus flags (--batch-norm, --l1, ...: see --help) add network_class, lr_scheduler, ... to the settings.
    settings = with_bonus_flags(args, FNN, settings, loader, DeepFNN, make_initializer, regularization, Augment)
    trainer = NetworkTrainer(settings["network_class"], loss_function, settings["optimizer"], settings["lr_scheduler"],
                             data_loader=loader, folder=args.runs_dir, device=args.device, seed=args.seed,
                             progress=args.progress)
    run_folder = trainer.train_network(
        args.epochs, settings["network_params"], optimizer_params=settings["optimizer_params"],
        scheduler_params=settings["scheduler_params"], sum_correct_preds=sum_correct_preds,
        regularization=settings["regularization"], initializer=settings["initializer"])

    result = None
    # TODO 4c: uncomment the two lines below: a NetworkUser for the same network class, loss, data and
    #          device evaluates the run that training just saved on the test split.
    # user = NetworkUser(settings["network_class"], loss_function, loader, device=args.device)
    # result = user.test_network(run_folder)
    report(args, result)  # stops with "TODO 4c" while the two lines above are commented out
    if args.plots:
        images, labels = loader.tensors("test")
        predict = user.get_predictor(run_folder)
        plot_predictions(predict, images, labels, run_folder / "4d_predictions.png", args.show)
        run_figures(args, predict, loader, result, run_folder)
    return result


if __name__ == "__main__":
    sys.exit(run_cli(main))
