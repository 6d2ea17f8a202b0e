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
from utils.internals import experiment
from utils.internals.cli import run_cli
from utils.data import first_training_images, split_labels
from utils.network_trainer import NetworkTrainer, l1_penalty, l2_penalty, sum_correct_preds
from utils.network_user import NetworkUser


def show_example_images(images, labels, path=None, show=False):
    """1a: six training images in a 2x3 grid, each titled with its label.

    ``images`` are flattened, one row per image ``(N, pixels)`` with N >= 6; ``labels`` their
    labels ``(N,)``. Returns the figure (saved to ``path`` if given).
    """
    # TODO 1a: the first six images, turned back from flat vectors into pictures, in a grid of 2 rows
    #          and 3 columns made with plotting.image_grid; each titled with its label as a plain number
    #          (not a tensor). The lines below expect the figure as fig.
    raise NotImplementedError("TODO 1a")
    return plotting.finish(fig, path, show)


def count_labels(labels, num_classes=10):
    """1b: how many images of each digit a split has.

    Returns a tensor ``(num_classes,)`` whose entry ``d`` counts the labels equal to ``d`` among
    ``labels (N,)`` (0 for a digit that does not occur).
    """
    # TODO 1b: for every digit from 0 to num_classes - 1, how many entries of labels equal it (a digit
    #          that never occurs counts 0); return the counts as one tensor.
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
    # TODO 4d: predict the first count images with predict, and show them as 28x28 pictures in two rows
    #          (plotting.image_grid), each titled with its true label first and then the predicted one
    #          (e.g. "true 7 / pred 1"), the title red where the prediction is wrong and black where it
    #          is right (title_colors). The lines below expect the figure as fig.
    raise NotImplementedError("TODO 4d")
    return plotting.finish(fig, path, show)


def main(argv=None):
    args = experiment.parse_args(argv, __doc__.splitlines()[0])
    if args.plots:  # 1: look at the data
        images, labels = first_training_images(data_dir=args.data_dir)
        show_example_images(images, labels, args.runs_dir / "1a_example_images.png", args.show)
        splits = split_labels(args.train_val_ratio, args.seed, args.data_dir)
        counts = {split: count_labels(labels_of_split) for split, labels_of_split in splits.items()}
        plotting.finish(plotting.label_distribution(counts), args.runs_dir / "1b_label_distribution.png", args.show)
    loader = DataLoaderFNN(args.train_val_ratio, args.batch_size, args.seed, normalize=args.normalize,
                           data_dir=args.data_dir)
    loader.augment = experiment.augmentation(args, loader, Augment)
    loader.show_sizes()

    loss_function = choose_loss_function()
    settings = training_settings(hidden_shape=args.hidden, learning_rate=args.lr)
    bonus = experiment.BonusOptions(args, DeepFNN, make_initializer, l1_penalty, l2_penalty)
    network_class, network_params = bonus.network(FNN, settings["network_params"])
    scheduler, scheduler_params = experiment.scheduler(args)
    trainer = NetworkTrainer(network_class, loss_function, settings["optimizer"], scheduler, data_loader=loader,
                             folder=args.runs_dir, device=args.device, seed=args.seed, progress=not args.no_progress)
    run_folder = trainer.train_network(args.epochs, network_params, scheduler_params=scheduler_params,
                                       optimizer_params=bonus.optimizer_params(settings["optimizer_params"]),
                                       sum_correct_preds=sum_correct_preds, regularization=bonus.regularization(),
                                       initializer=bonus.initializer())

    result = None
    # TODO 4c: uncomment the two lines below: a NetworkUser for the same network class, loss, data and
    #          device evaluates the run that training just saved on the test split.
    # user = NetworkUser(network_class, loss_function, loader, device=args.device)
    # result = user.test_network(run_folder)
    if result is None:
        raise NotImplementedError("TODO 4c")  # the two lines above are still commented out
    if args.plots:
        images, labels = loader.tensors("test")
        predict = user.get_predictor(run_folder)
        plot_predictions(predict, images, labels, run_folder / "4d_predictions.png", args.show)
        experiment.run_figures(args, predict, loader, result, run_folder)
    experiment.report(args, result)
    return result


if __name__ == "__main__":
    sys.exit(run_cli(main))
