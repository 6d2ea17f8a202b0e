# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.
"""Bonus e: how width, depth and the hidden activation change the result, alone and together.

    python bonus_e_sweep.py            # small grid, 2 epochs each (a few minutes)
    python bonus_e_sweep.py --full     # the whole grid (much longer)

Writes sweep.csv, sweep.md and sweep.png into runs/sweep/.
"""

import argparse
import csv
import itertools
import sys
from pathlib import Path

import torch

from fnn import DataLoaderFNN, DeepFNN
from utils import plotting
from utils.internals.cli import from_main_script, run_cli, stop_if_not_written
from utils.internals.run_files import RUNS_DIR, load_record
from utils.network_trainer import NetworkTrainer

DEFAULT = {"width": 500, "depth": 2, "activation": "ReLU"}
SMALL_GRID = {"width": [128, 500], "depth": [1, 2, 3], "activation": ["ReLU", "Tanh"]}
FULL_GRID = {"width": [64, 128, 256, 500, 1000, 2000], "depth": [1, 2, 3, 4, 5],
             "activation": ["ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "GELU"]}


def sweep_configs(grid, default=DEFAULT):
    """The configurations to train: each factor varied alone, then every combination.

    Parameters
    ----------
    grid : dict of str -> list
        Values to try per factor (``width``, ``depth``, ``activation``).
    default : dict
        The configuration the one-at-a-time part varies around.

    Returns
    -------
    list of dict
        Each a full configuration (all factors) plus ``"kind"``: ``"one at a time"`` or
        ``"combined"``; no configuration appears twice.
    """
    # TODO bonus_e: first, for each factor of grid and each of its values, the default configuration
    #               with only that factor changed (kind "one at a time"); then every combination of the
    #               values of all factors (kind "combined"); leave out a configuration that is already
    #               in the list.
    raise NotImplementedError("TODO bonus_e")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the whole grid")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RUNS_DIR / "sweep")
    args = parser.parse_args(argv)
    # the table compares accuracies: stop now, before any training, if bonus a is not written
    sum_correct_preds = from_main_script("sum_correct_preds")  # bonus a, written in 01_main.py
    stop_if_not_written(sum_correct_preds, torch.zeros(1, 10), torch.zeros(1, dtype=torch.long))
    loader = DataLoaderFNN()
    rows = []
    for config in sweep_configs(FULL_GRID if args.full else SMALL_GRID):
        params = {"input_shape": 784, "hidden_shapes": [config["width"]] * config["depth"], "num_classes": 10,
                  "activation_func": getattr(torch.nn, config["activation"])}
        trainer = NetworkTrainer(DeepFNN, torch.nn.CrossEntropyLoss, torch.optim.Adam, data_loader=loader,
                                 folder=args.out / "runs", progress=False)
        run = trainer.train_network(args.epochs, params, optimizer_params={"lr": 0.001},
                                    sum_correct_preds=sum_correct_preds)
        last = load_record(run)["history"][-1]
        rows.append(dict(config, val_accuracy=round(last["val_accuracy"], 2),
                         seconds_per_epoch=round(last["seconds"], 2)))
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "sweep.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    header = "| kind | width | depth | activation | val acc % | s/epoch |\n|---|---|---|---|---|---|\n"
    table = header + "".join(f"| {r['kind']} | {r['width']} | {r['depth']} | {r['activation']} | "
                             f"{r['val_accuracy']} | {r['seconds_per_epoch']} |\n" for r in rows)
    (args.out / "sweep.md").write_text(table)
    print(table)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 0.3 * len(rows) + 1.5))
    labels = [f"{'alone' if r['kind'] == 'one at a time' else 'combined'}: {r['width']} wide x {r['depth']} deep, "
              f"{r['activation']}" for r in rows]
    ax.barh(labels, [r["val_accuracy"] for r in rows], color=["C0" if r["kind"] == "combined" else "C1"
                                                             for r in rows])
    accuracies = [r["val_accuracy"] for r in rows]
    ax.set_xlim(min(accuracies) - 0.5, max(accuracies) + 0.5)
    ax.set_xlabel(f"validation accuracy (%) after {args.epochs} epochs")
    plotting.finish(fig, args.out / "sweep.png")
    print(f"Written: {args.out / 'sweep.csv'}, sweep.md, sweep.png")


if __name__ == "__main__":
    sys.exit(run_cli(main))
