"""Bonus b: normalisation, compared in one run - plain, full-data normalisation, batch norm
before the activation, batch norm after the activation. Their curves share one plot.

    python solutions/bonus_b_batchnorm.py [--epochs 12]
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the provided utils/ live one level up
from fnn import FNN, DataLoaderFNN
from utils import plotting
from utils.internals.cli import from_main_script, run_cli
from utils.internals.run_files import RUNS_DIR
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser

sum_correct_preds = from_main_script("sum_correct_preds")  # bonus a, written in 01_main.py


class FNNBatchNormAfter(torch.nn.Module):
    """The course FNN with batch norm after the activation instead of before it."""

    def __init__(self, input_shape=784, hidden_shape=500, num_classes=10, activation_func=torch.nn.ReLU):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(input_shape, hidden_shape), activation_func(), torch.nn.BatchNorm1d(hidden_shape),
            torch.nn.Linear(hidden_shape, hidden_shape), activation_func(), torch.nn.BatchNorm1d(hidden_shape),
            torch.nn.Linear(hidden_shape, num_classes))

    def forward(self, x):
        return self.layers(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)
    plain, normalized = DataLoaderFNN(), DataLoaderFNN(normalize=True)
    print(f"Training split: mean {normalized.mean_std[0]:.4f}, std {normalized.mean_std[1]:.4f} (computed)")
    base = {"input_shape": 784, "hidden_shape": 500, "num_classes": 10, "activation_func": torch.nn.ReLU}
    variants = {
        "plain": (FNN, base, plain),
        "normalised data": (FNN, base, normalized),
        "batch norm before ReLU": (FNN, dict(base, use_batch_norm=True), plain),
        "batch norm after ReLU": (FNNBatchNormAfter, base, plain),
    }
    histories, rows = {}, []
    for name, (network, params, loader) in variants.items():
        trainer = NetworkTrainer(network, torch.nn.CrossEntropyLoss, torch.optim.Adam,
                                 torch.optim.lr_scheduler.CosineAnnealingLR, data_loader=loader,
                                 folder=args.runs_dir)
        run = trainer.train_network(args.epochs, params, optimizer_params={"lr": 0.001},
                                    scheduler_params={"T_max": args.epochs}, sum_correct_preds=sum_correct_preds)
        result = NetworkUser(network, torch.nn.CrossEntropyLoss, loader).test_network(run)
        histories[name] = result["history"]
        seconds = sum(e["seconds"] for e in result["history"]) / args.epochs
        epoch_97 = next((e["epoch"] for e in result["history"] if e["val_accuracy"] >= 97.0), None)
        rows.append((name, result["history"][0]["val_accuracy"], epoch_97, result["accuracy"], seconds))
    folder = args.runs_dir / "bonus_b"
    plotting.finish(plotting.training_curves(histories, "Normalisation compared"), folder / "curves.png")
    print(f"\n{'variant':<24}{'val acc e1 %':>13}{'epoch >=97%':>12}{'test acc %':>11}{'s/epoch':>9}")
    for name, first, epoch_97, test, seconds in rows:
        print(f"{name:<24}{first:>13.2f}{str(epoch_97):>12}{test:>11.2f}{seconds:>9.2f}")
    (folder / "summary.json").write_text(json.dumps(rows, indent=1))
    print(f"Curves: {folder / 'curves.png'}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
