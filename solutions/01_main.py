"""Session 01: train a fully connected network (FNN) on MNIST and evaluate it on the test split.

Run ``python 01_main.py`` (``--help`` lists the flags). Tasks in this file: 1a, 1b (look at the
data), 4a-4d (choose loss and settings, train, evaluate, predict). Check one with
``pytest --impl student -m task4a``.
"""

import argparse
import sys
from pathlib import Path

import torch

### BEGIN SOLUTIONS ONLY
sys.path.append(str(Path(__file__).resolve().parents[1]))  # the provided utils/ live one level up
### END SOLUTIONS ONLY
from fnn import FNN, DataLoaderFNN
from utils import plotting
from utils.checks import check_positive_float, check_positive_int, check_ratio
from utils.cli import run_cli
from utils.devices import DEVICE_CHOICES
from utils.network_trainer import NetworkTrainer, sum_correct_preds
from utils.network_user import NetworkUser
from utils.runs import RUNS_DIR


def show_example_images(images, labels, path=None, show=False):
    """1a: six training images in a 2x3 grid, each titled with its label.

    Parameters
    ----------
    images : torch.Tensor
        Flattened images, shape ``(N, 784)``, N >= 6.
    labels : torch.Tensor
        Their labels, shape ``(N,)``.

    Returns
    -------
    matplotlib.figure.Figure
        Made with ``plotting.image_grid`` and passed through ``plotting.finish(fig, path, show)``.
    """
    # TODO 1a: take six images and their labels, reshape them to 28x28, title each with its
    #          label, and draw them with plotting.image_grid(images, titles, rows=2, cols=3)
    ### BEGIN SOLUTION
    six = images[:6].reshape(-1, 28, 28)
    titles = [f"label {int(label)}" for label in labels[:6]]
    fig = plotting.image_grid(six, titles, rows=2, cols=3)
    ### END SOLUTION
    return plotting.finish(fig, path, show)


def count_labels(labels, num_classes=10):
    """1b: how many images of each digit a split has.

    Parameters
    ----------
    labels : torch.Tensor
        Integer labels, shape ``(N,)``.

    Returns
    -------
    torch.Tensor
        Shape ``(num_classes,)``: entry ``d`` is the number of labels equal to ``d``.
    """
    # TODO 1b: count the labels per digit 0..num_classes-1 (a loop, or torch.bincount)
    ### BEGIN SOLUTION
    return torch.bincount(labels, minlength=num_classes)
    ### END SOLUTION


def choose_loss_function():
    """4a: the loss class for classification with raw scores (logits) as network output.

    Returns
    -------
    type
        A loss class; the trainer builds it as ``loss_function()`` and calls it as
        ``loss(output, target)`` with ``output`` of shape ``(batch, 10)`` and class indices as
        ``target``. It must apply the softmax itself, since the network's last layer has none.
    """
    # TODO 4a: return the loss class that combines log-softmax and negative log-likelihood
    ### BEGIN SOLUTION
    return torch.nn.CrossEntropyLoss
    ### END SOLUTION


def training_settings(hidden_shape=500, learning_rate=0.001):
    """4b: the network's parameters and the optimizer.

    Returns
    -------
    dict
        ``network_params`` (keyword arguments of ``FNN``: input_shape, hidden_shape,
        num_classes, activation_func), ``optimizer`` (an optimizer class) and
        ``optimizer_params`` (its keyword arguments, with the learning rate ``lr``).
    """
    # TODO 4b: FNN parameters for MNIST (784 inputs, 10 classes, the given hidden_shape, ReLU),
    #          and Adam with the given learning rate
    ### BEGIN SOLUTION
    return {
        "network_params": {
            "input_shape": 28 * 28,
            "hidden_shape": hidden_shape,
            "num_classes": 10,
            "activation_func": torch.nn.ReLU,
        },
        "optimizer": torch.optim.Adam,
        "optimizer_params": {"lr": learning_rate},
    }
    ### END SOLUTION


def plot_predictions(predict, images, labels, path=None, show=False, count=12):
    """4d: predict ``count`` test images; show them with true and predicted labels.

    Parameters
    ----------
    predict : callable
        ``predict(images (N, 784)) -> (predicted labels (N,), probabilities (N, 10))``, as
        returned by ``NetworkUser.get_predictor``.
    images, labels : torch.Tensor
        Test images ``(N, 784)`` and their labels ``(N,)``.

    Returns
    -------
    matplotlib.figure.Figure
        A grid of the images (reshaped to 28x28), titled ``true 7 / pred 7``; wrong ones in red.
    """
    # TODO 4d: predict the first `count` images, build one title per image with the true and the
    #          predicted label, and draw the images (back in 28x28) with plotting.image_grid
    ### BEGIN SOLUTION
    predicted, _ = predict(images[:count])
    titles = [f"true {int(t)} / pred {int(p)}" for t, p in zip(labels[:count], predicted)]
    colors = ["black" if int(t) == int(p) else "red" for t, p in zip(labels[:count], predicted)]
    cols = 6
    fig = plotting.image_grid(images[:count].reshape(-1, 28, 28), titles,
                              rows=-(-count // cols), cols=cols, title_colors=colors,
                              suptitle="Test images: true and predicted labels")
    ### END SOLUTION
    return plotting.finish(fig, path, show)


SCHEDULERS = {
    # cosine: the learning rate glides from lr to 0 over the epochs, which settles the weights
    "cosine": lambda epochs: (torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": epochs}),
    # plateau: divide the learning rate by 5 when the validation loss has not improved for an epoch
    "plateau": lambda epochs: (torch.optim.lr_scheduler.ReduceLROnPlateau, {"factor": 0.2, "patience": 1}),
    "none": lambda epochs: (None, {}),
}


def plot_mistakes(predict, images, labels, path=None, show=False, count=12):
    """Test images the network gets wrong, with true and predicted label and its probability."""
    predicted, probabilities = predict(images)
    wrong = torch.nonzero(predicted != labels).flatten()[:count]
    titles = [f"true {int(labels[i])} / pred {int(predicted[i])} ({float(probabilities[i].max()):.0%})"
              for i in wrong]
    fig = plotting.image_grid(images[wrong], titles, rows=2, cols=6, title_colors=["red"] * len(wrong),
                              suptitle=f"{int((predicted != labels).sum())} of {len(labels)} test images "
                                       "are misclassified; the first ones:")
    return plotting.finish(fig, path, show)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    parser.add_argument("--hidden", type=int, default=500, help="neurons per hidden layer (500)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per batch (100)")
    parser.add_argument("--lr", type=float, default=0.001, help="Adam's learning rate (0.001)")
    parser.add_argument("--train-val-ratio", type=float, default=0.8,
                        help="share of the 60,000 training images used for training (0.8)")
    parser.add_argument("--scheduler", choices=tuple(SCHEDULERS), default="cosine",
                        help="learning-rate schedule over the epochs (cosine)")
    parser.add_argument("--seed", type=int, default=0, help="seed of split, shuffling and weights")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                        help="auto picks CUDA, then MPS, then the CPU")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="where runs are saved")
    parser.add_argument("--data-dir", type=Path, default=None, help="where MNIST is kept (data/)")
    parser.add_argument("--no-plots", action="store_true", help="make no figures")
    parser.add_argument("--no-show", action="store_true", help="save figures, open no windows")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    checks = [("--epochs", check_positive_int, args.epochs), ("--hidden", check_positive_int, args.hidden),
              ("--batch-size", check_positive_int, args.batch_size), ("--lr", check_positive_float, args.lr),
              ("--train-val-ratio", check_ratio, args.train_val_ratio)]
    for flag, check, value in checks:
        try:
            check(flag, value)
        except (TypeError, ValueError) as error:
            parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    plots, show = not args.no_plots, not args.no_show
    loader = DataLoaderFNN(train_val_ratio=args.train_val_ratio, batch_size=args.batch_size,
                           seed=args.seed, data_dir=args.data_dir)
    loader.show_sizes()

    if plots:
        images, labels = loader.tensors("train")
        args.runs_dir.mkdir(parents=True, exist_ok=True)
        show_example_images(images, labels, args.runs_dir / "1a_example_images.png", show)
        counts = {split: count_labels(loader.tensors(split)[1]) for split in ("train", "val", "test")}
        plotting.finish(plotting.label_distribution(counts), args.runs_dir / "1b_label_distribution.png", show)
        print(f"Data plots in {args.runs_dir}: 1a_example_images.png, 1b_label_distribution.png")

    loss_function = choose_loss_function()
    settings = training_settings(hidden_shape=args.hidden, learning_rate=args.lr)
    scheduler, scheduler_params = SCHEDULERS[args.scheduler](args.epochs)
    trainer = NetworkTrainer(FNN, loss_function, settings["optimizer"], scheduler, data_loader=loader,
                             folder=args.runs_dir, device=args.device, seed=args.seed,
                             progress=not args.no_progress)
    run_folder = trainer.train_network(args.epochs, settings["network_params"],
                                       optimizer_params=settings["optimizer_params"],
                                       scheduler_params=scheduler_params,
                                       sum_correct_preds=sum_correct_preds)

    # TODO 4c: make `user = NetworkUser(FNN, loss_function, loader, device=args.device)` and
    #          evaluate the saved run on the test split: `result = user.test_network(run_folder)`
    ### BEGIN SOLUTION
    user = NetworkUser(FNN, loss_function, loader, device=args.device)
    result = user.test_network(run_folder)
    ### END SOLUTION

    if plots:
        test_images, test_labels = loader.tensors("test")
        plot_predictions(user.get_predictor(run_folder), test_images, test_labels,
                         run_folder / "4d_predictions.png", show)
        plot_mistakes(user.get_predictor(run_folder), test_images, test_labels,
                      run_folder / "4d_mistakes.png", show)
        plotting.finish(plotting.training_curves({"FNN": result["history"]}),
                        run_folder / "training_curves.png", show)
        print(f"Run plots in {run_folder}: 4d_predictions.png, 4d_mistakes.png, training_curves.png")

    last = result["history"][-1]
    print(f"After {len(result['history'])} epochs: train loss {last['train_loss']:.4f}, "
          f"validation loss {last['val_loss']:.4f}"
          + (f", validation accuracy {last['val_accuracy']:.2f} %" if last["val_accuracy"] else ""))
    if last["val_accuracy"] is not None and last["val_accuracy"] < 20:
        print(f"Hint: {last['val_accuracy']:.0f} % is what guessing gets. Did training diverge? "
              f"Try a smaller learning rate than {args.lr:g} (0.001 suits Adam).")
    print(f"Test: loss {result['loss']:.4f}, accuracy {result['accuracy']:.2f} %")
    return result


if __name__ == "__main__":
    sys.exit(run_cli(main))
