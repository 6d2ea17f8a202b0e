"""The machinery around the training loop of ``NetworkTrainer`` (provided code, nothing to fill in).

``RunRecorder`` keeps what a run needs besides the loop itself: its folder, the per-epoch
metrics, the best weights so far, the epoch lines, and what happens when training goes wrong
(a loss that is not finite or explodes, Ctrl-C): the good epochs are saved and a
``TrainingStopped`` says where.
"""

from __future__ import annotations

import copy
import inspect
import math
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from utils.checks import check_class, check_positive_int
from utils.cli import shown_path as relative
from utils.errors import ArgumentError, ArgumentTypeError, TrainingStopped
from utils.run_names import describe_function
from utils.runs import check_runs_dir, run_name, save_run

# A loss this large, or this many times the best one so far, is a diverged run, not a bad epoch.
EXPLODED_LOSS = 1e6
EXPLODED_FACTOR = 1e3


def no_regularization(model):
    """The default penalty: none."""
    return 0.0


def progress_bar(iterable, description, enabled=True):
    """A tqdm bar on an interactive terminal; nothing when the output goes to a file or CI log."""
    return tqdm(iterable, desc=description, leave=False, unit="batch",
                disable=not (enabled and sys.stderr.isatty()))


def build_network(network_class, network_params, initializer=None):
    """``network_class(**network_params)``, re-initialised by ``initializer`` if one is given.

    ``network_class`` is the one ``NetworkTrainer`` checked when it was made.
    """
    if network_params is None or not isinstance(network_params, dict):
        raise ArgumentTypeError(
            f"network_params must be a dict of {network_class.__name__}'s keyword arguments, "
            f"e.g. {{'hidden_shape': 500}}; got {network_params!r}.")
    model = network_class(**network_params)
    if initializer is not None:
        model.apply(initializer)
    return model


def make_optimizer(optimizer_class, model, params):
    """Build the optimizer; Adam and AdamW get the fused implementation where it exists."""
    if not isinstance(optimizer_class, type) or not issubclass(optimizer_class, torch.optim.Optimizer):
        if isinstance(optimizer_class, (torch.optim.Optimizer, str)) or not callable(optimizer_class):
            check_class("optimizer", optimizer_class, torch.optim.Optimizer, example="torch.optim.Adam")
    if optimizer_class in (torch.optim.Adam, torch.optim.AdamW) and not {"fused", "foreach"} & set(params):
        try:
            return optimizer_class(model.parameters(), fused=True, **params)
        except (RuntimeError, TypeError, ValueError):
            pass  # this device or torch version has no fused kernel: use the default one
    return optimizer_class(model.parameters(), **params)


def make_scheduler(scheduler_class, optimizer, params):
    if scheduler_class is None:
        return None
    return scheduler_class(optimizer, **params)


def step_scheduler(scheduler, val_loss):
    """ReduceLROnPlateau follows the validation loss; every other scheduler steps once per epoch."""
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    else:
        scheduler.step()


class AccuracyCounter:
    """Counts right predictions with ``sum_correct_preds`` (bonus a).

    Called as ``count_correct(output, target)`` for every batch; ``take_percent()`` returns the
    accuracy since the last call, or None when there is no counter or it is not written yet
    (said once, before training starts).
    """

    def __init__(self, sum_correct_preds=None):
        self.sum_correct_preds = sum_correct_preds
        self.enabled = sum_correct_preds is not None and self._is_written()
        self.correct, self.seen = 0, 0

    def _is_written(self):
        try:
            self.sum_correct_preds(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))
        except NotImplementedError:
            print("Note: accuracy is not shown until bonus a (sum_correct_preds) is written; losses are.")
            return False
        except Exception:  # noqa: BLE001 - a real bug shows up on the first batch, with its traceback
            return True
        return True

    def __call__(self, output, target):
        if self.enabled:
            self.correct += self.sum_correct_preds(output.detach(), target)  # summed on the device: no sync per batch
        self.seen += len(target)

    def take_percent(self):
        percent = 100.0 * float(self.correct) / self.seen if self.enabled and self.seen else None
        self.correct, self.seen = 0, 0
        return percent


def implementation_of(obj):
    """``"reference"`` for code under solutions/, ``"student"`` for the student's own files."""
    try:
        path = Path(inspect.getfile(type(obj)))
    except TypeError:
        return "unknown"
    return "reference" if "solutions" in path.parts else "student"


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
    """The run folder, metrics, best weights and epoch lines of one ``train_network`` call."""

    def __init__(self, trainer, model, optimizer, num_epochs, config):
        self.trainer, self.model, self.optimizer = trainer, model, optimizer
        self.num_epochs = check_positive_int("num_epochs", num_epochs)
        config = dict(config, network_class=trainer.network_class, loss_function=trainer.loss_function,
                      optimizer=trainer.optimizer, lr_scheduler=trainer.lr_scheduler)
        data = trainer.data_loader
        if config.get("initializer") is not None:
            config = dict(config, initializer=describe_function(config["initializer"]))
        self.config = dict(config, num_epochs=num_epochs, seed=trainer.seed,
                           implementation=implementation_of(trainer),
                           data={key: getattr(data, key, None)
                                 for key in ("train_val_ratio", "batch_size", "seed", "mean_std", "augment")})
        check_runs_dir(trainer.folder)
        self.folder = Path(trainer.folder) / run_name(self.config)
        self.history, self.best_state, self.best_val_loss = [], None, math.inf
        self.started = None

    def epochs(self):
        epochs = f"{self.num_epochs} epoch{'s' if self.num_epochs != 1 else ''}"
        print(f"Training {type(self.model).__name__} on {self.trainer.device} for {epochs} "
              f"-> {relative(self.folder)}")
        for epoch in range(1, self.num_epochs + 1):
            self.started = time.perf_counter()
            yield epoch

    def end_epoch(self, train_loss, val_loss, train_accuracy, val_accuracy):
        """Record one epoch; stop with the best epoch saved if the loss is not finite or exploded."""
        epoch = len(self.history) + 1
        problem = self._problem(float(train_loss), float(val_loss))
        if problem:
            folder = self.save("diverged")
            raise TrainingStopped(f"Training diverged in epoch {epoch}: {problem}; {self._where(folder)}.", folder)
        lr = self.optimizer.param_groups[0]["lr"]
        metrics = {"epoch": epoch, "train_loss": float(train_loss), "val_loss": float(val_loss),
                   "train_accuracy": train_accuracy, "val_accuracy": val_accuracy, "lr": lr,
                   "seconds": time.perf_counter() - self.started}
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
                bad_data = _nonfinite_batches(self.trainer.data_loader)
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
                      device=str(self.trainer.device))
        self.folder = save_run(self.folder, self.model, record)  # a sibling folder if a finished run is there
        return self.folder

    def _where(self, folder):
        if folder is None:
            return "no epoch had finished, so nothing was saved"
        best = min(self.history, key=lambda e: e["val_loss"])["epoch"]
        return f"epoch {best} of 1-{len(self.history)} (the best) is saved in {relative(folder)}"

    def interrupted(self):
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


def count_samples(batches, split):
    """Number of samples in the batches of one split: ``len(batches.dataset)``, or counted in a list."""
    if hasattr(batches, "dataset"):
        count = len(batches.dataset)
    elif isinstance(batches, (list, tuple)):
        count = sum(len(target) for _, target in batches)
    else:
        raise ArgumentTypeError(
            f"data_loader('{split}') must give a torch DataLoader (or anything with a .dataset) or a list "
            f"of (input_data, target) batches; got {type(batches).__name__}.")
    if count == 0:
        raise ArgumentError(f"the {split} split is empty: data_loader('{split}') has no samples. "
                            "Give it some data (for DataLoaderFNN: a train_val_ratio such as 0.8).")
    return count
