"""What ``NetworkTrainer`` does around the student's loop (provided code, nothing to fill in).

``TrainerBase`` checks the trainer's arguments; ``start_run`` checks and builds the network,
loss, optimizer and schedule and returns a ``TrainingRun``, which records each epoch (folder,
epoch lines, best weights, divergence, Ctrl-C: ``utils/internals/run_recorder.py``). ``batches``
serves one split's batches on the trainer's device, with a progress bar. Accuracy is counted
where the loss is computed: the criterion a run hands out is the loss the student chose, which
also counts right predictions with ``sum_correct_preds`` (bonus a) for the split being served.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import torch
from tqdm.auto import tqdm

from utils.internals.checks import check_class, check_data_loader
from utils.internals.devices import pick_device
from utils.internals.errors import ArgumentError, ArgumentTypeError
from utils.internals.network_params import check_network_params, guard_input_shape
from utils.internals.run_files import RUNS_DIR
from utils.internals.run_names import describe_function
from utils.internals.run_recorder import RunRecorder, loader_settings
from utils.internals.subtasks import from_reference


def no_regularization(model):
    """The default penalty: none."""
    return 0.0


class TrainerBase:
    """The arguments of a trainer, checked when it is made.

    Parameters
    ----------
    network_class, loss_function, optimizer : type
        Classes, e.g. ``FNN``, ``torch.nn.CrossEntropyLoss``, ``torch.optim.Adam``.
    lr_scheduler : type, optional
        Learning-rate scheduler class, e.g. ``torch.optim.lr_scheduler.ReduceLROnPlateau``.
    data_loader : callable
        ``data_loader("train")`` and ``data_loader("val")`` give ``(input_data, target)`` batches.
    folder, device, seed, progress
        Where runs are saved; ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``; seed of the
        weights; progress bars (on a terminal only).
    """

    def __init__(self, network_class, loss_function, optimizer, lr_scheduler=None,
                 data_loader=None, folder=RUNS_DIR, device="auto", seed=0, progress=True):
        self.network_class = check_class("network_class", network_class, torch.nn.Module, "FNN")
        self.loss_function, self.optimizer, self.lr_scheduler = loss_function, optimizer, lr_scheduler
        self.data_loader = check_data_loader(data_loader)
        self.folder, self.device, self.seed, self.progress = folder, pick_device(device), int(seed), progress
        self._counter = None

    def start_run(self, num_epochs, network_params, loss_params=None, optimizer_params=None,
                  scheduler_params=None, sum_correct_preds=None, regularization=None, initializer=None):
        """Seed, build and check everything one run needs; the ``TrainingRun`` to use in a ``with``."""
        torch.manual_seed(self.seed)
        regularization = regularization or no_regularization
        model = build_network(self.network_class, network_params, initializer).to(self.device)
        self._counter = AccuracyCounter(sum_correct_preds)
        criterion = CountingLoss(self.loss_function(**(loss_params or {})), self._counter)
        optimizer = make_optimizer(self.optimizer, model, optimizer_params or {})
        scheduler = make_scheduler(self.lr_scheduler, optimizer, scheduler_params or {})
        config = run_config(
            network_class=self.network_class, network_params=network_params, loss_function=self.loss_function,
            loss_params=loss_params or {}, optimizer=self.optimizer, optimizer_params=optimizer_params or {},
            lr_scheduler=self.lr_scheduler, scheduler_params=scheduler_params or {},
            regularization=regularization, initializer=initializer, num_epochs=num_epochs,
            seed=self.seed, implementation=implementation_of(self), data=loader_settings(self.data_loader))
        recorder = RunRecorder(self.folder, config, model, optimizer, num_epochs, self.device, self.data_loader)
        return TrainingRun(model, criterion, optimizer, scheduler, regularization,
                           recorder, self._counter)

    def batches(self, split):
        """The ``(input_data, target)`` batches of ``split`` on the trainer's device, with a progress bar.

        ``len(batches.dataset)`` is the number of samples in the split.
        """
        if self._counter is not None:
            self._counter.split = split
        return DeviceBatches(self.data_loader(split), split, self.device, self.progress)


class TrainingRun:
    """One run: the built ``model``, ``criterion``, ``optimizer`` and ``regularization``, and its record.

    Used as ``with run:``; on leaving, the run is saved (``run.folder``), also after Ctrl-C; a
    loss that diverges stops it with the best epoch saved.
    """

    def __init__(self, model, criterion, optimizer, scheduler, regularization, recorder, counter):
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self.scheduler, self.regularization = scheduler, regularization
        self.recorder, self.counter, self.folder = recorder, counter, None

    def __enter__(self):
        # Penalties and weight decay push many weights towards zero; subnormal floats there make every
        # matrix product on the CPU many times slower, for no difference a network can feel.
        torch.set_flush_denormal(True)
        self.recorder.start()
        return self

    def end_epoch(self, epoch, train_loss, validation_loss):
        """Record the epoch (with the accuracies counted in it) and step the learning-rate schedule."""
        self.recorder.end_epoch(epoch, train_loss, validation_loss, self.counter.take_percent("train"),
                                self.counter.take_percent("val"))
        step_scheduler(self.scheduler, float(validation_loss))

    def __exit__(self, error_type, error, traceback):
        torch.set_flush_denormal(False)  # the process's default again, for whatever runs next
        if error_type is KeyboardInterrupt:
            raise self.recorder.interrupted() from None
        if error_type is None:
            self.folder = self.recorder.save("complete")
        return False


class DeviceBatches:
    """The batches of one split, moved to ``device`` as they are served, behind a progress bar."""

    def __init__(self, batches, split, device, progress=True):
        self.batches, self.split, self.device, self.progress = batches, split, device, progress
        self.dataset = _Samples(count_samples(batches, split))

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for input_data, target in progress_bar(self.batches, self.split, self.progress):
            yield input_data.to(self.device), target.to(self.device)


class _Samples:
    """Stands for a split's dataset where only its length is known."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count


class CountingLoss(torch.nn.Module):
    """The chosen loss, unchanged, which also counts right predictions for the split being served."""

    def __init__(self, loss, counter):
        super().__init__()
        self.loss, self.counter = loss, counter

    def forward(self, output, target, *args, **kwargs):
        self.counter(output, target)
        return self.loss(output, target, *args, **kwargs)


class AccuracyCounter:
    """Counts right predictions with ``sum_correct_preds`` (bonus a), per split.

    ``take_percent(split)`` returns the accuracy counted since its last call, or None when there is
    no counter or it is not written yet (said once, before training starts).
    """

    def __init__(self, sum_correct_preds=None):
        self.sum_correct_preds = sum_correct_preds
        self.enabled = sum_correct_preds is not None and self._is_written()
        self.split = "train"
        self.correct, self.seen = {}, {}

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
        if not self.enabled:
            return
        right = self.sum_correct_preds(output.detach(), target)  # summed on the device: no sync per batch
        self.correct[self.split] = self.correct.get(self.split, 0) + right
        self.seen[self.split] = self.seen.get(self.split, 0) + len(target)

    def take_percent(self, split):
        correct, seen = self.correct.pop(split, 0), self.seen.pop(split, 0)
        return 100.0 * float(correct) / seen if self.enabled and seen else None


def progress_bar(iterable, description, enabled=True):
    """A tqdm bar on an interactive terminal; nothing when the output goes to a file or CI log."""
    return tqdm(iterable, desc=description, leave=False, unit="batch",
                disable=not (enabled and sys.stderr.isatty()))


def build_network(network_class, network_params, initializer=None):
    """``network_class(**network_params)``, its arguments checked, re-initialised by ``initializer``."""
    model = network_class(**check_network_params(network_class, network_params))
    if initializer is not None:
        model.apply(initializer)
    return guard_input_shape(model, network_params)


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


def step_scheduler(scheduler, validation_loss):
    """ReduceLROnPlateau follows the validation loss; every other scheduler steps once per epoch."""
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(validation_loss)
    else:
        scheduler.step()


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
