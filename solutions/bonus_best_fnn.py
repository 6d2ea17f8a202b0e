"""Bonus: the best fully connected network this repository trains on a laptop CPU.

No convolutions: a 784-2048-2048-10 network with batch normalisation (in bfloat16 where the
hardware runs it natively), trained on normalised images that are randomly rotated, scaled,
shifted and elastically distorted (bonus i) in every epoch, with AdamW and a cosine
learning-rate schedule. At test time each digit's probabilities are averaged over it and 16
mildly shifted copies.

    python solutions/bonus_best_fnn.py [--epochs 70] [--seed 0]
"""

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the provided utils/ live one level up
from augmentation import Augment, averaged_over_copies
from fnn import DataLoaderFNN, DeepFNN
from utils import plotting
from utils.internals.cli import from_main_script, run_cli
from utils.internals.devices import pick_device
from utils.internals.run_files import RUNS_DIR
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser

sum_correct_preds = from_main_script("sum_correct_preds")  # bonus a, written in 01_main.py


def has_fast_bfloat16(device):
    """Whether bfloat16 matrix products run natively (fast) on ``device``.

    True for CUDA GPUs that support bfloat16 and for CPUs with AVX-512 BF16 or AMX (read from
    /proc/cpuinfo, so only on Linux); elsewhere bfloat16 is emulated and slower than float32.
    """
    device = pick_device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class MixedPrecisionFNN(DeepFNN):
    """``DeepFNN`` whose layers can compute in bfloat16; weights, gradients and scores stay float32.

    Matrix products run about twice as fast in bfloat16 on CPUs with AVX-512 BF16 or AMX and on
    recent GPUs; elsewhere bfloat16 is emulated and slower, so ``bfloat16=False`` is the default.
    """

    def __init__(self, *args, bfloat16=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.bfloat16 = bool(bfloat16)

    def forward(self, x):
        if self.bfloat16 and x.device.type in ("cpu", "cuda"):
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                return self.layers(x).float()
        return self.layers(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=70)
    parser.add_argument("--hidden", type=int, nargs="+", default=[2048, 2048])
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--elastic", type=float, default=0.5, help="share of images distorted elastically")
    parser.add_argument("--train-val-ratio", type=float, default=0.98)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ensemble", type=int, default=1,
                        help="train this many networks (seeds seed, seed+1, ...) and average their probabilities")
    parser.add_argument("--test-copies", type=int, default=16,
                        help="shifted copies of each test digit to average over (0: the digit alone)")
    parser.add_argument("--precision", choices=("auto", "bfloat16", "float32"), default="auto",
                        help="auto: bfloat16 mixed precision where the hardware runs it natively, else float32")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    loader = DataLoaderFNN(train_val_ratio=args.train_val_ratio, batch_size=args.batch_size, seed=args.seed,
                           normalize=True)
    mean, std = loader.mean_std
    background = -mean / std  # an empty pixel after normalisation
    loader.augment = Augment(elastic_probability=args.elastic, background=background, seed=args.seed)
    network_params = {"input_shape": 784, "hidden_shapes": args.hidden, "num_classes": 10,
                      "activation_func": torch.nn.ReLU, "use_batch_norm": True, "dropout": args.dropout,
                      "bfloat16": _use_bfloat16(args.precision, args.device)}
    user = NetworkUser(MixedPrecisionFNN, torch.nn.CrossEntropyLoss, loader, device=args.device)
    test_images, test_labels = loader.tensors("test")
    probabilities = 0
    for member in range(args.ensemble):
        trainer = NetworkTrainer(MixedPrecisionFNN, torch.nn.CrossEntropyLoss, torch.optim.AdamW,
                                 torch.optim.lr_scheduler.CosineAnnealingLR, data_loader=loader,
                                 folder=args.runs_dir, device=args.device, seed=args.seed + member)
        run = trainer.train_network(args.epochs, network_params,
                                    optimizer_params={"lr": args.lr, "weight_decay": 0.01},
                                    scheduler_params={"T_max": args.epochs}, sum_correct_preds=sum_correct_preds)
        result = user.test_network(run)
        plotting.finish(plotting.training_curves({"best FNN": result["history"]}), run / "training_curves.png")
        averaged = averaged_over_copies(_probabilities(user, run), test_images, args.test_copies, background,
                                        seed=args.seed)
        print(f"Network {member + 1}: test accuracy {result['accuracy']:.2f} %, "
              f"{_accuracy(averaged, test_labels):.2f} % averaged over {args.test_copies} shifted copies")
        probabilities = probabilities + averaged
    minutes = (time.perf_counter() - started) / 60
    print(f"Time: {minutes:.1f} min in all (data, {args.ensemble} x {args.epochs} epochs, test)")
    networks = f"{args.ensemble} networks, " if args.ensemble > 1 else ""
    print(f"Test: accuracy {_accuracy(probabilities, test_labels):.2f} % "
          f"({networks}each digit and {args.test_copies} shifted copies)")


def _use_bfloat16(precision, device):
    if precision == "auto":
        native = has_fast_bfloat16(device)
        print("Precision: bfloat16 mixed precision (native on this device; --precision float32 switches it off)"
              if native else "Precision: float32 (bfloat16 would be emulated and slower here)")
        return native
    return precision == "bfloat16"


def _probabilities(user, run):
    predict = user.get_predictor(run)
    return lambda images: predict(images)[1]


def _accuracy(probabilities, labels):
    return 100 * float(sum_correct_preds(probabilities, labels)) / len(labels)


if __name__ == "__main__":
    sys.exit(run_cli(main))
