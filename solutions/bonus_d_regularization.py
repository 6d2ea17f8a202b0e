"""Bonus d: regularisation compared - none, L2 through Adam's weight_decay, L2 and L1 penalties
added to the loss through the trainer's regularization(model) callback.

    python solutions/bonus_d_regularization.py [--epochs 12]
"""

import argparse
import sys
from functools import partial
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the provided utils/ live one level up
from fnn import FNN, DataLoaderFNN
from utils.internals.cli import from_main_script, run_cli
from utils.internals.run_files import RUNS_DIR
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser

sum_correct_preds = from_main_script("sum_correct_preds")  # bonus a and d are written in 01_main.py
regularization = from_main_script("regularization")


def near_zero_share(model, threshold=1e-3):
    """Share of weight-matrix entries with |w| < threshold: how sparse the network became."""
    weights = torch.cat([p.detach().abs().flatten() for p in model.parameters() if p.dim() > 1])
    return float((weights < threshold).float().mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)
    loader = DataLoaderFNN()
    params = {"input_shape": 784, "hidden_shape": 500, "num_classes": 10, "activation_func": torch.nn.ReLU}
    variants = {
        "none": ({}, None),
        "L2 via weight_decay 1e-4": ({"weight_decay": 1e-4}, None),
        "L2 penalty 1e-4": ({}, partial(regularization, l2_strength=1e-4)),
        "L1 penalty 1e-5": ({}, partial(regularization, l1_strength=1e-5)),
    }
    rows = []
    for name, (extra, penalty) in variants.items():
        trainer = NetworkTrainer(FNN, torch.nn.CrossEntropyLoss, torch.optim.Adam,
                                 torch.optim.lr_scheduler.CosineAnnealingLR, data_loader=loader,
                                 folder=args.runs_dir)
        run = trainer.train_network(args.epochs, params, optimizer_params=dict(lr=0.001, **extra),
                                    scheduler_params={"T_max": args.epochs},
                                    sum_correct_preds=sum_correct_preds, regularization=penalty)
        user = NetworkUser(FNN, torch.nn.CrossEntropyLoss, loader)
        result = user.test_network(run)
        last = result["history"][-1]
        rows.append((name, last["train_accuracy"], last["val_accuracy"], result["accuracy"],
                     near_zero_share(user.load(run))))
    print(f"\n{'regularisation':<26}{'train %':>9}{'val %':>8}{'test %':>8}{'|w|<1e-3':>10}")
    for name, train, val, test, sparse in rows:
        print(f"{name:<26}{train:>9.2f}{val:>8.2f}{test:>8.2f}{sparse:>10.1%}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
