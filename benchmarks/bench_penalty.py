"""Seconds per epoch with and without a weight penalty, side by side, on real MNIST.

The course network (784-500-500-10, ReLU, Adam lr 0.001, batch 100, cosine learning-rate
schedule: what ``make run`` trains) by the reference ``NetworkTrainer``, in three settings:

1. plain: no penalty;
2. l2: ``--l2 1e-4`` (the reference ``regularization`` with ``l2_strength=1e-4``), as the trainer
   runs it (subnormal floats flushed while training);
3. l2, subnormals kept: the same, with flushing switched off: the cause the trainer removes.

Each setting runs in its own process, one after the other; the table shows, per setting, the
median seconds of epochs 1-3 and of epochs 4 to the end (where the penalty has pushed many
weights close to zero), and the whole run.

    python benchmarks/bench_penalty.py [--epochs 12] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"plain": {}, "l2 1e-4": {"l2": 1e-4}, "l2 1e-4, subnormals kept": {"l2": 1e-4, "keep_subnormals": True}}


def one_run(epochs, l2=0.0, keep_subnormals=False):
    """Train once in this process; the per-epoch seconds as the run recorded them."""
    import tempfile
    from functools import partial

    import torch

    sys.path[:0] = [str(REPO_ROOT / "solutions"), str(REPO_ROOT)]
    from fnn import FNN, DataLoaderFNN
    from utils.internals.cli import from_main_script
    from utils.network_trainer import NetworkTrainer

    if keep_subnormals:
        torch.set_flush_denormal = lambda mode: True  # the trainer's switch does nothing in this run
    regularization = partial(from_main_script("regularization"), l2_strength=l2) if l2 else None
    params = {"input_shape": 784, "hidden_shape": 500, "num_classes": 10, "activation_func": torch.nn.ReLU}
    with tempfile.TemporaryDirectory() as folder:
        trainer = NetworkTrainer(FNN, torch.nn.CrossEntropyLoss, torch.optim.Adam,
                                 torch.optim.lr_scheduler.CosineAnnealingLR, data_loader=DataLoaderFNN(),
                                 folder=folder, device="cpu", progress=False)
        run = trainer.train_network(epochs, params, optimizer_params={"lr": 0.001}, scheduler_params={"T_max": epochs},
                                    regularization=regularization)
        model = torch.load(Path(run) / "weights.pt", weights_only=True)
        tiny = sum(int(((w != 0) & (w.abs() < torch.finfo(torch.float32).tiny)).sum()) for w in model.values()
                   if w.is_floating_point())
        history = json.loads((Path(run) / "run.json").read_text())["history"]
    return {"seconds": [entry["seconds"] for entry in history], "subnormal_weights": tiny}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (1: steady on a shared machine)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one setting, print its seconds as JSON
    args = parser.parse_args(argv)
    if args.one:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(one_run(args.epochs, **SETTINGS[args.one])))
        return 0
    rows = {}
    for name in SETTINGS:
        result = subprocess.run([sys.executable, __file__, "--one", name, "--epochs", str(args.epochs),
                                 "--threads", str(args.threads)], capture_output=True, text=True, check=True)
        rows[name] = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"{args.epochs} epochs, torch threads {args.threads}; seconds per epoch (medians)")
    print(f"{'setting':<28}{'epochs 1-3':>12}{'epochs 4+':>12}{'whole run':>12}{'subnormal weights':>19}")
    for name, row in rows.items():
        seconds = row["seconds"]
        late = seconds[3:] or seconds
        print(f"{name:<28}{statistics.median(seconds[:3]):>12.2f}{statistics.median(late):>12.2f}"
              f"{sum(seconds):>12.1f}{row['subnormal_weights']:>19,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
