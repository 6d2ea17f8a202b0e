"""Training speed, side by side: the sheet's per-sample pipeline, this repository, the bare floor.

Same network (784-500-500-10, ReLU), batch 100, 80/20 split, the same number of epochs:

1. sheet: torchvision MNIST with the ToTensor + reshape transform, random_split, a
   torch.utils.data.DataLoader, default Adam - the transform runs per image, every epoch;
2. repo: DataLoaderFNN + NetworkTrainer, as `make run` uses them;
3. floor: the same optimizer steps and validation forwards on one fixed tensor, no data at all.

Each variant runs in its own process (so its peak memory is its own), alternating
1, 2, 3, 1, 2, 3, ... and the medians are printed, since a shared machine is noisy.

    python benchmarks/bench_training.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("sheet", "repo", "floor")
LAYERS = (784, 500, 500, 10)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def build_network():
    import torch

    return torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(),
                               torch.nn.Linear(500, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10))


def run_sheet(epochs):
    import torch
    from torch.utils.data import DataLoader, random_split
    from torchvision import datasets, transforms

    from utils.internals.mnist import ensure_mnist

    root = ensure_mnist(verbose=False).parents[1]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x.reshape(-1))])
    full = datasets.MNIST(root, train=True, download=False, transform=transform)
    train, val = random_split(full, [48000, 12000], generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train, batch_size=100, shuffle=True)
    val_loader = DataLoader(val, batch_size=100)
    torch.manual_seed(0)
    model = build_network()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    criterion = torch.nn.CrossEntropyLoss()
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in val_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
    seconds = time.perf_counter() - started
    return {"seconds_per_epoch": seconds / epochs, "val_accuracy": 100 * correct / 12000}


def run_repo(epochs):
    import torch

    sys.path[:0] = [str(REPO_ROOT / "solutions"), str(REPO_ROOT)]
    from fnn import FNN, DataLoaderFNN
    from utils.internals.cli import from_main_script
    from utils.network_trainer import NetworkTrainer

    sum_correct_preds = from_main_script("sum_correct_preds")

    started = time.perf_counter()
    loader = DataLoaderFNN(verbose=False)
    setup = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        trainer = NetworkTrainer(FNN, torch.nn.CrossEntropyLoss, torch.optim.Adam, data_loader=loader,
                                 folder=folder, device="cpu", progress=False)
        import contextlib
        import io

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            run = trainer.train_network(epochs, {"input_shape": 784, "hidden_shape": 500, "num_classes": 10,
                                                 "activation_func": torch.nn.ReLU},
                                        optimizer_params={"lr": 0.001}, sum_correct_preds=sum_correct_preds)
        seconds = time.perf_counter() - started
        history = json.loads((run / "run.json").read_text())["history"]
    return {"seconds_per_epoch": seconds / epochs, "val_accuracy": history[-1]["val_accuracy"],
            "setup_seconds": setup}


def run_floor(epochs):
    import torch

    torch.manual_seed(0)
    model = build_network()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, fused=True)
    criterion = torch.nn.CrossEntropyLoss()
    images, labels = torch.rand(100, 784), torch.randint(0, 10, (100,))
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for _ in range(480):
            optimizer.zero_grad(set_to_none=True)
            criterion(model(images), labels).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for _ in range(120):
                model(images)
    return {"seconds_per_epoch": (time.perf_counter() - started) / epochs, "val_accuracy": None}


def matmul_gflops():
    """Measured fp32 matrix-multiply throughput of this machine (median of 5)."""
    import torch

    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    a @ b
    times = []
    for _ in range(5):
        started = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - started)
    return 2 * 2048 ** 3 / statistics.median(times) / 1e9


def flops_per_epoch():
    forward = 2 * sum(i * o for i, o in zip(LAYERS, LAYERS[1:]))  # multiply-adds per sample
    return 48000 * 3 * forward + 12000 * forward  # backward costs about twice the forward


def child(variant, epochs):
    sys.path.insert(0, str(REPO_ROOT))
    result = {"sheet": run_sheet, "repo": run_repo, "floor": run_floor}[variant](epochs)
    result["peak_rss_mb"] = peak_rss_mb()
    if variant == "floor":
        result["matmul_gflops"] = matmul_gflops()
    print(json.dumps(result))


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per measurement (3)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of 1, 2, 3 (3)")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.epochs)

    results = {variant: [] for variant in VARIANTS}
    for round_number in range(1, args.repeats + 1):
        for variant in VARIANTS:
            output = subprocess.run([sys.executable, __file__, "--child", variant, "--epochs", str(args.epochs)],
                                    capture_output=True, text=True, check=True).stdout
            results[variant].append(json.loads(output.strip().splitlines()[-1]))
            print(f"round {round_number}: {variant:<5} {results[variant][-1]['seconds_per_epoch']:.2f} s/epoch",
                  file=sys.stderr)

    def median(variant, key):
        values = [r[key] for r in results[variant] if r.get(key) is not None]
        return statistics.median(values) if values else None

    seconds = {variant: median(variant, "seconds_per_epoch") for variant in VARIANTS}
    gflops = median("floor", "matmul_gflops")
    flop_floor = flops_per_epoch() / (gflops * 1e9)
    import torch

    print(f"\nMachine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; {args.epochs} epochs x {args.repeats} rounds, medians\n")
    print(f"{'variant':<44}{'s/epoch':>9}{'val acc %':>11}{'peak RSS MB':>13}")
    names = {"sheet": "1 sheet: per-sample DataLoader, default Adam",
             "repo": "2 repo: DataLoaderFNN + NetworkTrainer",
             "floor": "3 floor: fixed tensor, same steps"}
    for variant in VARIANTS:
        print(f"{names[variant]:<44}{seconds[variant]:>9.2f}{fmt(median(variant, 'val_accuracy'), '.2f'):>11}"
              f"{median(variant, 'peak_rss_mb'):>13.0f}")
    print(f"\nratio 1/2 (speed-up over the sheet): {seconds['sheet'] / seconds['repo']:.1f}x   (target >= 4)")
    print(f"ratio 2/3 (overhead over the floor):  {seconds['repo'] / seconds['floor']:.2f}x  (target <= 1.2)")
    print(f"repo one-off setup (transform once per image): {median('repo', 'setup_seconds'):.1f} s")
    print(f"FLOP floor: {flops_per_epoch() / 1e9:.0f} GFLOP per epoch at {gflops:.0f} GFLOP/s "
          f"(2048x2048 fp32 matmul) = {flop_floor:.2f} s/epoch")


if __name__ == "__main__":
    sys.exit(main())
