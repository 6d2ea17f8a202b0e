# Your file to fill in: the TODOs below. Generated from solutions/utils/network_trainer.py by tools/make_templates.py.
"""A generic trainer: any network class, loss, optimizer and data loader (task 3, bonus a and d).

Most of this file is written for you. Fill in the TODOs of task 3 (3a-3d) and bonus a, d;
check each with ``pytest --impl student -m task3a`` (task3b, ..., bonus_a, bonus_d).
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from pathlib import Path

import torch
from tqdm.auto import tqdm

from utils.checks import check_positive_int
from utils.devices import pick_device
from utils.runs import RUNS_DIR, run_name, save_run


class TrainingStopped(RuntimeError):
    """Training ended early (diverged or interrupted); what was good so far is saved in ``run_folder``."""

    def __init__(self, message, run_folder):
        super().__init__(message)
        self.run_folder = run_folder


def sum_correct_preds(predicted, target):
    """Bonus a: how many predictions in a batch are right.

    Parameters
    ----------
    predicted : torch.Tensor
        Network output, shape ``(batch, num_classes)``: one score per class.
    target : torch.Tensor
        True class indices, shape ``(batch,)``.

    Returns
    -------
    int or torch.Tensor
        The number of samples whose highest score is at the true class.
    """
    # TODO bonus_a: take the class with the highest score per row, compare with target, count
    raise NotImplementedError(
        "TODO bonus_a: take the class with the highest score per row, compare with target, "
        "count (check: pytest --impl student -m bonus_a)"
    )


def l1_penalty(model, strength=1e-5):
    """Bonus d: ``strength`` times the sum of the absolute values of all weight matrices.

    Biases and batch-norm parameters (tensors with fewer than two dimensions) are left out.
    """
    # TODO bonus_d: sum |w| over the parameters with p.dim() > 1, times strength
    raise NotImplementedError(
        "TODO bonus_d: sum |w| over the parameters with p.dim() > 1, times strength (check: "
        "pytest --impl student -m bonus_d)"
    )


def l2_penalty(model, strength=1e-4):
    """Bonus d: ``strength`` times the sum of the squares of all weight matrices."""
    # TODO bonus_d: sum w**2 over the parameters with p.dim() > 1, times strength
    raise NotImplementedError(
        "TODO bonus_d: sum w**2 over the parameters with p.dim() > 1, times strength (check: "
        "pytest --impl student -m bonus_d)"
    )


def no_regularization(model):
    """The default penalty: none."""
    return 0.0


class NetworkTrainer:
    """Trains a network and saves it, whatever network, loss, optimizer and data it is given.

    Parameters
    ----------
    network_class : type of torch.nn.Module
        The network to build, e.g. ``FNN``; built as ``network_class(**network_params)``.
    loss_function : type
        Loss class, e.g. ``torch.nn.CrossEntropyLoss``; built with ``loss_params``.
    optimizer : type
        Optimizer class, e.g. ``torch.optim.Adam``; built with ``optimizer_params``.
    lr_scheduler : type, optional
        Learning-rate scheduler class, e.g. ``torch.optim.lr_scheduler.ReduceLROnPlateau``
        (stepped with the validation loss) or ``StepLR`` (stepped once per epoch).
    data_loader : callable
        ``data_loader("train")`` and ``data_loader("val")`` give iterables of
        ``(input_data, target)`` batches, e.g. a ``DataLoaderFNN``.
    folder : path
        Where run folders are made (``runs/`` in the repository by default).
    device : str
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    seed : int
        Seed of the weight initialisation.
    progress : bool
        Show tqdm progress bars.
    """

    def __init__(self, network_class, loss_function, optimizer, lr_scheduler=None,
                 data_loader=None, folder=RUNS_DIR, device="auto", seed=0, progress=True):
        if data_loader is None:
            raise ValueError("NetworkTrainer needs a data_loader, e.g. DataLoaderFNN().")
        self.network_class = network_class
        self.loss_function = loss_function
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.data_loader = data_loader
        self.folder = Path(folder)
        self.device = pick_device(device)
        self.seed = int(seed)
        self.progress = progress

    def train_network(self, num_epochs, network_params, loss_params=None, optimizer_params=None,
                      scheduler_params=None, sum_correct_preds=None, regularization=None):
        """Train for ``num_epochs`` epochs, validate after each, save the run.

        Parameters
        ----------
        num_epochs : int
            Passes over the training data.
        network_params, loss_params, optimizer_params, scheduler_params : dict
            Keyword arguments of the network, loss, optimizer and scheduler classes.
        sum_correct_preds : callable, optional
            ``sum_correct_preds(output, target)`` -> number of right predictions in a batch;
            with it, accuracies in percent are reported too.
        regularization : callable, optional
            ``regularization(model)`` -> a penalty added to the training loss (bonus d).

        Returns
        -------
        pathlib.Path
            The run folder (weights, ``run.json``, plots); give it to ``NetworkUser``.
        """
        num_epochs = check_positive_int("num_epochs", num_epochs)
        loss_params, optimizer_params = dict(loss_params or {}), dict(optimizer_params or {})
        scheduler_params = dict(scheduler_params or {})
        regularization = regularization or no_regularization

        torch.manual_seed(self.seed)
        model = self.network_class(**network_params).to(self.device)
        criterion = self.loss_function(**loss_params)
        optimizer = _make_optimizer(self.optimizer, model, optimizer_params, self.device)
        scheduler = self.lr_scheduler(optimizer, **scheduler_params) if self.lr_scheduler else None
        count_correct = _OptionalCounter(sum_correct_preds)

        config = {
            "network_class": self.network_class, "network_params": network_params,
            "loss_function": self.loss_function, "loss_params": loss_params,
            "optimizer": self.optimizer, "optimizer_params": optimizer_params,
            "lr_scheduler": self.lr_scheduler, "scheduler_params": scheduler_params,
            "num_epochs": num_epochs, "seed": self.seed,
            "regularization": regularization,
            "data": {key: getattr(self.data_loader, key, None)
                     for key in ("train_val_ratio", "batch_size", "seed", "mean_std")},
        }
        run_folder = self.folder / run_name(config)
        history = []
        last_good_state = None

        def save(status):
            """Save the last finished epoch; None when no epoch has finished yet."""
            if last_good_state is None:
                return None
            model.load_state_dict(last_good_state)
            record = dict(config, status=status, epochs_done=len(history), history=history,
                          device=str(self.device))
            return save_run(run_folder, model, record)

        def where(folder):
            if folder is None:
                return "no epoch had finished, so nothing was saved"
            return f"epochs 1-{len(history)} are saved in {_relative(folder)}"

        print(f"Training {self.network_class.__name__} on {self.device} for {num_epochs} epochs "
              f"-> {_relative(run_folder)}")
        try:
            for epoch in range(1, num_epochs + 1):
                started = time.perf_counter()
                train_loss, train_correct, num_train = self._train_one_epoch(
                    model, criterion, optimizer, regularization, count_correct, epoch, num_epochs)
                val_loss, val_correct, num_val = self._validate(model, criterion, count_correct)
                if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
                    folder = save("diverged")
                    raise TrainingStopped(
                        f"Training diverged in epoch {epoch}: the loss became {train_loss}. "
                        f"Try a smaller learning rate (now {optimizer.param_groups[0]['lr']:g}; "
                        f"0.001 suits Adam); {where(folder)}.", folder)
                metrics = {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "val_loss": val_loss,
                    "train_accuracy": _percent(train_correct, num_train, count_correct),
                    "val_accuracy": _percent(val_correct, num_val, count_correct),
                    "lr": optimizer.param_groups[0]["lr"],
                    "seconds": time.perf_counter() - started,
                }
                history.append(metrics)
                last_good_state = copy.deepcopy(model.state_dict())
                _step_scheduler(scheduler, val_loss)
                tqdm.write(_epoch_line(metrics, num_epochs))
        except KeyboardInterrupt:
            folder = save("interrupted")
            raise TrainingStopped(
                f"Interrupted after {len(history)} of {num_epochs} epochs: {where(folder)}"
                + (" (NetworkUser can evaluate them)." if folder else "."), folder) from None
        return save("complete")

    def _train_one_epoch(self, model, criterion, optimizer, regularization, count_correct,
                         epoch, num_epochs):
        """One pass over the training batches; returns (mean loss, number correct, number of samples)."""
        model.train()
        train_batches = self.data_loader("train")
        len_train_data = len(train_batches.dataset)
        correct = 0
        # TODO 3a: start the epoch's training loss at zero (name it train_loss)
        raise NotImplementedError(
            "TODO 3a: start the epoch's training loss at zero (name it train_loss) (check: "
            "pytest --impl student -m task3a)"
        )
        bar = tqdm(train_batches, desc=f"epoch {epoch}/{num_epochs} train", leave=False,
                   disable=not self.progress, unit="batch")
        for input_data, target in bar:
            input_data = input_data.to(self.device, non_blocking=True)
            target = target.to(self.device, non_blocking=True)
            # TODO 3b: zero the optimizer's gradients; output = model(input_data);
            #          loss = criterion(output, target); backward pass on
            #          loss + regularization(model) (bonus d; it is 0 by default); optimizer step
            raise NotImplementedError(
                "TODO 3b: zero the optimizer's gradients; output = model(input_data); loss = "
                "criterion(output, target); backward pass on loss + regularization(model) "
                "(bonus d; it is 0 by default); optimizer step (check: pytest --impl student "
                "-m task3b)"
            )
            # TODO 3c: add this batch's loss to train_loss so that the epoch's average comes out
            #          right even when the last batch is smaller (loss is a mean over the batch)
            raise NotImplementedError(
                "TODO 3c: add this batch's loss to train_loss so that the epoch's average "
                "comes out right even when the last batch is smaller (loss is a mean over the"
                " batch) (check: pytest --impl student -m task3c)"
            )
            correct += count_correct(output.detach(), target)
        # TODO 3c: turn the sum into the average over all training samples (len_train_data)
        raise NotImplementedError(
            "TODO 3c: turn the sum into the average over all training samples "
            "(len_train_data) (check: pytest --impl student -m task3c)"
        )
        return float(train_loss), int(correct), len_train_data

    def _validate(self, model, criterion, count_correct):
        """One pass over the validation batches; returns (mean loss, number correct, number of samples)."""
        val_batches = self.data_loader("val")
        len_val_data = len(val_batches.dataset)
        correct = 0
        # TODO 3a: start the validation loss at zero (name it validation_loss)
        raise NotImplementedError(
            "TODO 3a: start the validation loss at zero (name it validation_loss) (check: "
            "pytest --impl student -m task3a)"
        )
        # TODO 3d: put the model into evaluation mode and switch off gradient tracking; then for
        #          each (input_data, target) in val_batches: move both to self.device,
        #          output = model(input_data), add the loss like in 3c, and
        #          correct += count_correct(output, target); finally average like in 3c
        raise NotImplementedError(
            "TODO 3d: put the model into evaluation mode and switch off gradient tracking; "
            "then for each (input_data, target) in val_batches: move both to self.device, "
            "output = model(input_data), add the loss like in 3c, and correct += "
            "count_correct(output, target); finally average like in 3c (check: pytest --impl "
            "student -m task3d)"
        )
        return float(validation_loss), int(correct), len_val_data


def _make_optimizer(optimizer_class, model, params, device):
    """Build the optimizer; Adam and AdamW get the fused implementation where it exists."""
    if optimizer_class in (torch.optim.Adam, torch.optim.AdamW) and "fused" not in params \
            and "foreach" not in params:
        try:
            return optimizer_class(model.parameters(), fused=True, **params)
        except (RuntimeError, TypeError, ValueError):
            pass  # this device or torch version has no fused kernel: use the default one
    return optimizer_class(model.parameters(), **params)


class _OptionalCounter:
    """Wraps ``sum_correct_preds``; one not given or not written yet (bonus a) switches the
    accuracy off instead of stopping the training."""

    def __init__(self, sum_correct_preds):
        self.sum_correct_preds = sum_correct_preds
        self.enabled = sum_correct_preds is not None

    def __call__(self, output, target):
        if not self.enabled:
            return 0
        try:
            return self.sum_correct_preds(output, target)
        except NotImplementedError as error:
            self.enabled = False
            warnings.warn(f"accuracy is not shown: {error}", stacklevel=2)
            return 0


def _step_scheduler(scheduler, val_loss):
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    else:
        scheduler.step()


def _percent(correct, total, counter):
    return 100.0 * correct / total if counter.enabled else None


def _epoch_line(metrics, num_epochs):
    def accuracy(key):
        return "" if metrics[key] is None else f", acc {metrics[key]:6.2f} %"

    return (f"epoch {metrics['epoch']:>{len(str(num_epochs))}}/{num_epochs}  "
            f"train loss {metrics['train_loss']:.4f}{accuracy('train_accuracy')}  |  "
            f"val loss {metrics['val_loss']:.4f}{accuracy('val_accuracy')}  |  "
            f"lr {metrics['lr']:.2g}  {metrics['seconds']:5.1f} s")


def _relative(path):
    try:
        return Path(path).resolve().relative_to(Path.cwd())
    except ValueError:
        return Path(path)
