"""A generic trainer: any network, loss, optimizer and data loader (task 3; bonus a and d).

The TODOs of 3a-3d are in ``_train_one_epoch`` and ``_validate``. ``train_network`` is the
generic loop: per epoch, train, validate, record, step the learning-rate schedule.
``utils/internals/run_recorder.py`` keeps the run's folder, epoch lines and what happens when training
goes wrong; ``utils/internals/training.py`` the small helpers.
"""

import torch

from utils.internals import training
from utils.internals.checks import check_class, check_data_loader
from utils.internals.devices import pick_device
from utils.internals.run_recorder import RunRecorder, loader_settings
from utils.internals.run_files import RUNS_DIR
from utils.internals.training import count_samples, progress_bar


class NetworkTrainer:
    """Trains a network and saves it, whatever network, loss, optimizer and data it is given.

    Parameters
    ----------
    network_class, loss_function, optimizer : type
        Classes, e.g. ``FNN``, ``torch.nn.CrossEntropyLoss``, ``torch.optim.Adam``; each is built
        with its ``*_params`` of ``train_network``.
    lr_scheduler : type, optional
        Learning-rate scheduler class, e.g. ``torch.optim.lr_scheduler.ReduceLROnPlateau``.
    data_loader : callable
        ``data_loader("train")`` and ``data_loader("val")`` give iterables of
        ``(input_data, target)`` batches, e.g. a ``DataLoaderFNN``.
    folder, device, seed, progress
        Where runs are saved (``runs/``); ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``; seed of
        the weights; progress bars (on a terminal only).
    """

    def __init__(self, network_class, loss_function, optimizer, lr_scheduler=None,
                 data_loader=None, folder=RUNS_DIR, device="auto", seed=0, progress=True):
        self.network_class = check_class("network_class", network_class, torch.nn.Module, "FNN")
        self.loss_function, self.optimizer, self.lr_scheduler = loss_function, optimizer, lr_scheduler
        self.data_loader = check_data_loader(data_loader)
        self.folder, self.device, self.seed, self.progress = folder, pick_device(device), int(seed), progress

    def train_network(self, num_epochs, network_params, loss_params=None, optimizer_params=None,
                      scheduler_params=None, sum_correct_preds=None, regularization=None, initializer=None):
        """Train for ``num_epochs`` epochs, validate after each, save the run.

        Parameters
        ----------
        num_epochs : int
            Passes over the training data.
        network_params, loss_params, optimizer_params, scheduler_params : dict
            Keyword arguments of the network, loss, optimizer and scheduler classes.
        sum_correct_preds, regularization, initializer : callable, optional
            Bonus a: ``(output, target) -> number right``, for accuracies; bonus d: ``model ->
            penalty`` added to the loss; bonus c: applied with ``model.apply`` before training.

        Returns the run folder (weights, ``run.json``, plots), to give to ``NetworkUser``.
        """
        torch.manual_seed(self.seed)
        model = training.build_network(self.network_class, network_params, initializer).to(self.device)
        criterion = self.loss_function(**(loss_params or {}))
        optimizer = training.make_optimizer(self.optimizer, model, optimizer_params or {})
        scheduler = training.make_scheduler(self.lr_scheduler, optimizer, scheduler_params or {})
        regularization = regularization or training.no_regularization
        count_correct = training.AccuracyCounter(sum_correct_preds)
        config = self._run_config(num_epochs, network_params, loss_params, optimizer_params, scheduler_params,
                                  regularization, initializer)
        recorder = RunRecorder(self.folder, config, model, optimizer, num_epochs, self.device, self.data_loader)

        recorder.start()
        try:
            for epoch in range(1, num_epochs + 1):
                train_loss = self._train_one_epoch(model, criterion, optimizer, regularization, count_correct)
                train_accuracy = count_correct.take_percent()
                val_loss = self._validate(model, criterion, count_correct)
                val_accuracy = count_correct.take_percent()
                recorder.end_epoch(epoch, train_loss, val_loss, train_accuracy, val_accuracy)
                training.step_scheduler(scheduler, float(val_loss))
        except KeyboardInterrupt:
            raise recorder.interrupted() from None
        return recorder.save("complete")

    def _run_config(self, num_epochs, network_params, loss_params, optimizer_params, scheduler_params,
                    regularization, initializer):
        """Everything that identifies a run: it names the run's folder and is saved in run.json."""
        return training.run_config(
            network_class=self.network_class, network_params=network_params, loss_function=self.loss_function,
            loss_params=loss_params or {}, optimizer=self.optimizer, optimizer_params=optimizer_params or {},
            lr_scheduler=self.lr_scheduler, scheduler_params=scheduler_params or {}, regularization=regularization,
            initializer=initializer, num_epochs=num_epochs, seed=self.seed,
            implementation=training.implementation_of(self), data=loader_settings(self.data_loader))

    def _train_one_epoch(self, model, criterion, optimizer, regularization, count_correct):
        """One pass over the training batches; returns the mean loss per sample."""
        model.train()
        train_batches = self.data_loader("train")
        len_train_data = count_samples(train_batches, "train")
        # TODO 3a: the epoch's training loss, train_loss, starts at zero.
        ### BEGIN SOLUTION
        train_loss = 0.0
        ### END SOLUTION
        for input_data, target in progress_bar(train_batches, "train", self.progress):
            input_data, target = input_data.to(self.device), target.to(self.device)
            # TODO 3b: the training step of this batch, in the sheet's order: clear the gradients of the
            #          last step; the network's output for input_data and the batch's loss with
            #          criterion (keep the names output and loss: the lines below use them); the
            #          backward pass of the loss plus regularization(model) (bonus d; 0 unless you use
            #          it); the optimizer's step.
            ### BEGIN SOLUTION
            optimizer.zero_grad()
            output = model(input_data)
            loss = criterion(output, target)
            (loss + regularization(model)).backward()
            optimizer.step()
            ### END SOLUTION
            count_correct(output, target)
            # TODO 3c: add this batch's part to train_loss so that the epoch's average comes out right
            #          whatever the batch sizes (loss is the mean over this batch only; the last batch
            #          may be smaller).
            ### BEGIN SOLUTION
            train_loss += loss.item() * len(target)
            ### END SOLUTION
        # TODO 3c: turn the sum into the mean over all training samples (there are len_train_data).
        ### BEGIN SOLUTION
        train_loss = train_loss / len_train_data
        ### END SOLUTION
        return train_loss

    def _validate(self, model, criterion, count_correct):
        """One pass over the validation batches; returns the mean loss per sample."""
        val_batches = self.data_loader("val")
        len_val_data = count_samples(val_batches, "val")
        # TODO 3a: the validation loss, validation_loss, starts at zero.
        ### BEGIN SOLUTION
        validation_loss = 0.0
        ### END SOLUTION
        # TODO 3d: the same as in training, over val_batches on self.device, but without a training
        #          step: validation_loss becomes the mean over all len_val_data samples, and
        #          count_correct sees every batch's output and target. Validate the way that fits
        #          evaluation and saves time and memory (what differs from training: Q 3d on the sheet).
        ### BEGIN SOLUTION
        model.eval()
        with torch.no_grad():
            for input_data, target in val_batches:
                input_data, target = input_data.to(self.device), target.to(self.device)
                output = model(input_data)
                count_correct(output, target)
                validation_loss += criterion(output, target).item() * len(target)
        validation_loss = validation_loss / len_val_data
        ### END SOLUTION
        return validation_loss


# Bonus tasks ---------------------------------------------------------------------------------


def sum_correct_preds(predicted, target):
    """Bonus a: how many rows of ``predicted (batch, num_classes)`` have their highest score at
    the true class ``target (batch,)``; an int or a 0-d tensor."""
    # TODO bonus_a: how many rows of predicted have their highest score at the class that target names;
    #               return that count.
    ### BEGIN SOLUTION
    return (predicted.argmax(dim=1) == target).sum()
    ### END SOLUTION


def l1_penalty(model, strength=1e-5):
    """Bonus d: ``strength`` times the sum of the absolute values of all weight matrices.

    Biases and batch-norm parameters (tensors with fewer than two dimensions) are left out.
    """
    # TODO bonus_d: strength times the sum of the absolute values of every entry of every weight matrix
    #               (the parameters with two or more dimensions: biases and batch norm's parameters stay
    #               out).
    ### BEGIN SOLUTION
    return strength * sum(p.abs().sum() for p in model.parameters() if p.dim() > 1)
    ### END SOLUTION


def l2_penalty(model, strength=1e-4):
    """Bonus d: ``strength`` times the sum of the squares of all weight matrices (no biases)."""
    # TODO bonus_d: the same, with the squares of the entries in place of their absolute values.
    ### BEGIN SOLUTION
    return strength * sum(p.pow(2).sum() for p in model.parameters() if p.dim() > 1)
    ### END SOLUTION
