"""The helpers of ``NetworkTrainer``'s loop (provided code, nothing to fill in): building the
network, optimizer and scheduler, counting right predictions and samples, progress bars, and
what identifies a run. The run's record (folder, epoch lines, divergence, Ctrl-C) is
``utils/internals/run_recorder.py``.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import torch
from tqdm.auto import tqdm

from utils.internals.checks import check_class
from utils.internals.errors import ArgumentError, ArgumentTypeError
from utils.internals.run_names import describe_function
from utils.internals.subtasks import from_reference


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
    return "reference" if from_reference(path) else "student"


def run_config(initializer=None, **values):
    """What identifies a run (it names the run's folder and is saved in run.json): the given
    values, with an initializer described by its function and captured settings."""
    if initializer is not None:
        initializer = describe_function(initializer)
    return dict(values, initializer=initializer)


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
