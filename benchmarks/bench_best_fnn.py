"""What one training step of the best FNN costs, part by part, side by side.

The best network (solutions/bonus_best_fnn.py: 784-2048-2048-10, batch norm, batches of 512)
spends its time in two places: augmenting the batch and the network's step. This prints, for
one batch, the median over repeated timings of

1. augmentation (affine + elastic on half the images, one resampling);
2. the training step in float32;
3. the training step in bfloat16 mixed precision (``MixedPrecisionFNN(..., bfloat16=True)``);

and what they add up to per epoch of 58,800 images (the 98/2 split).

    python benchmarks/bench_best_fnn.py [--batch-size 512] [--repeats 30]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT / "solutions"), str(REPO_ROOT)]

from bonus_best_fnn import MixedPrecisionFNN

from augmentation import Augment

TRAIN_IMAGES = 58_800


def median_seconds(work, repeats):
    for _ in range(3):
        work()  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def training_step(hidden, batch_size, bfloat16):
    torch.manual_seed(0)
    model = MixedPrecisionFNN(784, hidden, 10, torch.nn.ReLU, use_batch_norm=True, bfloat16=bfloat16)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01, fused=True)  # as the trainer
    criterion = torch.nn.CrossEntropyLoss()
    images, labels = torch.randn(batch_size, 784), torch.randint(0, 10, (batch_size,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        criterion(model(images), labels).backward()
        optimizer.step()

    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--hidden", type=int, nargs="+", default=[2048, 2048])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)

    batches_per_epoch = TRAIN_IMAGES / args.batch_size
    images = torch.rand(args.batch_size, 784)
    augment = Augment(elastic_probability=0.5, seed=0)
    parts = {
        "augmentation": lambda: augment(images),
        "step, float32": training_step(args.hidden, args.batch_size, bfloat16=False),
        "step, bfloat16": training_step(args.hidden, args.batch_size, bfloat16=True),
    }
    print(f"784-{'-'.join(map(str, args.hidden))}-10, batches of {args.batch_size}, "
          f"median of {args.repeats}, {torch.get_num_threads()} threads")
    print(f"{'part':<16}{'ms/batch':>10}{'s/epoch':>10}")
    seconds = {}
    for name, work in parts.items():
        seconds[name] = median_seconds(work, args.repeats)
        print(f"{name:<16}{1000 * seconds[name]:>10.1f}{seconds[name] * batches_per_epoch:>10.2f}")
    for precision in ("float32", "bfloat16"):
        total = (seconds["augmentation"] + seconds[f"step, {precision}"]) * batches_per_epoch
        print(f"epoch with augmentation, {precision}: {total:.2f} s")


if __name__ == "__main__":
    main()
