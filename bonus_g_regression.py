# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.
"""Bonus g: classification treated as regression - MSE between the 10 outputs and one-hot targets.

The FNN's last layer is already linear (no activation), so only the loss changes. Accuracy is
still the argmax of the ten outputs. Compare with cross entropy:

    python bonus_g_regression.py [--epochs 5]
"""

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from fnn import FNN, DataLoaderFNN
from utils.internals.cli import from_main_script, run_cli, stop_if_not_written
from utils.internals.run_files import RUNS_DIR
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser


class OneHotMSELoss(torch.nn.Module):
    """Mean squared error between the outputs ``(batch, classes)`` and the one-hot targets.

    Parameters of ``forward``: ``output`` (batch, classes) raw outputs, ``target`` (batch,)
    class indices. Returns the mean over all batch x classes entries.
    """

    def forward(self, output, target):
        # TODO bonus_g: the mean squared error between output and the one-hot rows of target (floats,
        #               one column per class of output).
        raise NotImplementedError("TODO bonus_g")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)
    # the table compares accuracies: stop now, before any training, if bonus a is not written
    sum_correct_preds = from_main_script("sum_correct_preds")  # bonus a, written in 01_main.py
    stop_if_not_written(sum_correct_preds, torch.zeros(1, 10), torch.zeros(1, dtype=torch.long))
    loader = DataLoaderFNN()
    params = {"input_shape": 784, "hidden_shape": 500, "num_classes": 10, "activation_func": torch.nn.ReLU}
    rows = []
    for name, loss in (("cross entropy", torch.nn.CrossEntropyLoss), ("MSE on one-hot", OneHotMSELoss)):
        trainer = NetworkTrainer(FNN, loss, torch.optim.Adam, data_loader=loader, folder=args.runs_dir)
        run = trainer.train_network(args.epochs, params, optimizer_params={"lr": 0.001},
                                    sum_correct_preds=sum_correct_preds)
        result = NetworkUser(FNN, loss, loader).test_network(run)
        rows.append((name, result["history"][-1]["val_accuracy"], result["accuracy"]))
    print(f"\n{'loss':<16}{'val acc %':>10}{'test acc %':>11}   ({args.epochs} epochs)")
    for name, val, test in rows:
        print(f"{name:<16}{val:>10.2f}{test:>11.2f}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
