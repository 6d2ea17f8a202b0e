"""The record of one training run: its folder, epoch lines, best weights, and what happens when
training goes wrong (provided code, nothing to fill in).

``NetworkTrainer.train_network`` owns the loop and calls a ``RunRecorder`` at three points:
``start()`` before the first epoch, ``end_epoch(...)`` after each one, and ``save("complete")``
at the end (``interrupted()`` on Ctrl-C). A loss that is not finite or explodes stops the run
with the best epoch saved and a ``TrainingStopped`` that says where.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import torch

from utils.internals.checks import check_positive_int
from utils.internals.cli import shown_path as relative
from utils.internals.errors import TrainingStopped
from utils.internals.run_files import check_runs_dir, save_run
from utils.internals.run_names import run_name

# A loss this large, or this many times the best one so far, is a diverged run, not a bad epoch.
EXPLODED_LOSS = 1e6
EXPLODED_FACTOR = 1e3
SIMPLE = (int, float, str, bool, type(None))


def loader_settings(data_loader):
    """What a data loader contributes to a run's identity: ``data_loader.settings()`` where it has
    one (any loader can describe itself so), else its public attributes of simple values."""
    settings = getattr(data_loader, "settings", None)
    if callable(settings):
        return dict(settings())
    found = {}
    for key in dir(data_loader):
        if key.startswith("_"):
            continue
        value = getattr(data_loader, key, None)
        sequence = isinstance(value, (list, tuple)) and all(isinstance(item, SIMPLE) for item in value)
        if isinstance(value, SIMPLE) or sequence:
            found[key] = value
    return found


def _nonfinite_batches(data_loader):
    """Names of the splits whose data hold NaN or infinite values (only asked after a failure)."""
    found = []
    for split in ("train", "val"):
        try:
            if any(not torch.isfinite(torch.as_tensor(images)).all() for images, _ in data_loader(split)):
                found.append(split)
        except Exception:  # noqa: BLE001 - only a diagnosis; the divergence is reported anyway
            continue
    return found


class RunRecorder:
    """Folder, per-epoch metrics, best weights and epoch lines of one run.

    Parameters
    ----------
    runs_dir : path
        The folder that holds runs; this run gets a sub-folder named after ``config``.
    config : dict
        Everything that identifies the run (classes, their parameters, epochs, seed, data
        settings); it names the folder and is saved in ``run.json``.
    model, optimizer
        The network being trained (its weights are saved) and its optimizer (the epoch lines
        show its learning rate).
    num_epochs : int
        Epochs planned.
    device : torch.device
        Where training runs (shown and recorded).
    data_loader : callable, optional
        Asked for its batches only after a loss is not finite, to tell bad data from a too large
        learning rate.
    """

    def __init__(self, runs_dir, config, model, optimizer, num_epochs, device, data_loader=None):
        self.num_epochs = check_positive_int("num_epochs", num_epochs)
        self.model, self.optimizer, self.device, self.data_loader = model, optimizer, device, data_loader
        self.config = dict(config)
        check_runs_dir(runs_dir)
        self.folder = Path(runs_dir) / run_name(self.config)
        self.history, self.best_state, self.best_val_loss = [], None, math.inf
        self.epoch_started = None

    def start(self):
        """Say what is trained where, and start the clock of the first epoch."""
        epochs = f"{self.num_epochs} epoch{'s' if self.num_epochs != 1 else ''}"
        print(f"Training {type(self.model).__name__} on {self.device} for {epochs} -> {relative(self.folder)}")
        self.epoch_started = time.perf_counter()

    def end_epoch(self, epoch, train_loss, val_loss, train_accuracy=None, val_accuracy=None):
        """Record epoch ``epoch``; stop with the best epoch saved if a loss is not finite or exploded."""
        problem = self._problem(float(train_loss), float(val_loss))
        if problem:
            folder = self.save("diverged")
            raise TrainingStopped(f"Training diverged in epoch {epoch}: {problem}; {self._where(folder)}.", folder)
        now = time.perf_counter()
        metrics = {"epoch": epoch, "train_loss": float(train_loss), "val_loss": float(val_loss),
                   "train_accuracy": train_accuracy, "val_accuracy": val_accuracy,
                   "lr": self.optimizer.param_groups[0]["lr"], "seconds": now - (self.epoch_started or now)}
        self.epoch_started = now
        self.history.append(metrics)
        if metrics["val_loss"] <= self.best_val_loss:
            self.best_val_loss = metrics["val_loss"]
            self.best_state = copy.deepcopy(self.model.state_dict())
        print(epoch_line(metrics, self.num_epochs), flush=True)

    def _problem(self, train_loss, val_loss):
        lr = self.optimizer.param_groups[0]["lr"]
        smaller_lr = f"try a smaller learning rate (now {lr:g}; 0.001 suits Adam)"
        for name, value in (("training loss", train_loss), ("validation loss", val_loss)):
            if not math.isfinite(value):
                bad_data = _nonfinite_batches(self.data_loader) if self.data_loader is not None else []
                if bad_data:
                    return (f"the {name} is {value}, because the {' and '.join(bad_data)} data hold NaN or "
                            "infinite values; clean the data (a smaller learning rate will not help)")
                return f"the {name} is {value}; {smaller_lr}"
        best = min((e["train_loss"] for e in self.history), default=math.inf)
        if train_loss > EXPLODED_LOSS or train_loss > EXPLODED_FACTOR * best:
            return f"the training loss exploded to {train_loss:.3g}; {smaller_lr}"
        if val_loss > EXPLODED_LOSS or val_loss > EXPLODED_FACTOR * self.best_val_loss:
            return f"the validation loss exploded to {val_loss:.3g}; {smaller_lr}"
        return None

    def save(self, status):
        """Save the best finished epoch (the last one for a complete run); None before the first."""
        if not self.history:
            return None
        if status != "complete":
            self.model.load_state_dict(self.best_state)
        record = dict(self.config, status=status, epochs_done=len(self.history), history=self.history,
                      device=str(self.device))
        self.folder = save_run(self.folder, self.model, record)  # a sibling folder if a finished run is there
        return self.folder

    def _where(self, folder):
        if folder is None:
            return "no epoch had finished, so nothing was saved"
        best = min(self.history, key=lambda e: e["val_loss"])["epoch"]
        return f"epoch {best} of 1-{len(self.history)} (the best) is saved in {relative(folder)}"

    def interrupted(self):
        """After Ctrl-C: save the finished epochs; the ``TrainingStopped`` to raise says where."""
        folder = self.save("interrupted")
        return TrainingStopped(
            f"Interrupted after {len(self.history)} of {self.num_epochs} epochs: {self._where(folder)}"
            + (" (NetworkUser can evaluate it)." if folder else "."), folder)


def epoch_line(metrics, num_epochs):
    def accuracy(key):
        return "" if metrics[key] is None else f", acc {metrics[key]:6.2f} %"

    return (f"epoch {metrics['epoch']:>{len(str(num_epochs))}}/{num_epochs}  "
            f"train loss {metrics['train_loss']:.4f}{accuracy('train_accuracy')}  |  "
            f"val loss {metrics['val_loss']:.4f}{accuracy('val_accuracy')}  |  "
            f"lr {metrics['lr']:.2g}  {metrics['seconds']:5.1f} s")
