"""The generic trainer (task 3): trains any network on any data, with any loss and optimizer.

Later sessions reuse this file unchanged. Your TODOs (3a-3d) are in ``_train_one_epoch`` and
``_validate``; ``train_network`` is the loop around them. The provided base class
``TrainerBase`` checks the arguments, builds what ``start_run`` hands out, saves the run and
counts the accuracy, so that this file holds the lesson only.
"""

import torch

from utils.internals.training import TrainerBase


class NetworkTrainer(TrainerBase):
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

    def train_network(self, num_epochs, network_params, loss_params=None, optimizer_params=None,
                      scheduler_params=None, sum_correct_preds=None, regularization=None, initializer=None):
        """Train for ``num_epochs`` epochs, validate after each, save the run.

        Parameters
        ----------
        num_epochs : int
            Passes over the training data.
        network_params, loss_params, optimizer_params, scheduler_params : dict
            Keyword arguments of the network, loss, optimizer and scheduler classes.
        sum_correct_preds : callable, optional
            ``(output, target) -> number right`` (bonus a): the epoch lines then show accuracies.
        regularization : callable, optional
            ``model -> penalty`` added to every training batch's loss (bonus d).
        initializer : callable, optional
            Applied with ``model.apply`` before training (bonus c).

        Returns
        -------
        pathlib.Path
            The run folder (weights, ``run.json``, plots), to give to ``NetworkUser``.
        """
        run = self.start_run(num_epochs, network_params, loss_params, optimizer_params, scheduler_params,
                             sum_correct_preds, regularization, initializer)
        with run:  # saves the run at the end, after Ctrl-C too; a diverging loss stops it
            for epoch in range(1, num_epochs + 1):
                train_loss = self._train_one_epoch(run.model, run.criterion, run.optimizer, run.regularization)
                validation_loss = self._validate(run.model, run.criterion)
                run.end_epoch(epoch, train_loss, validation_loss)
        return run.folder

    def _train_one_epoch(self, model, criterion, optimizer, regularization):
        """One pass over the training batches; returns the mean loss per training sample."""
        model.train()
        train_batches = self.batches("train")
        len_train_data = len(train_batches.dataset)
        # TODO 3a: the epoch's training loss, train_loss, starts at zero.
        ### BEGIN SOLUTION
        train_loss = 0.0
        ### END SOLUTION
        for input_data, target in train_batches:
            # TODO 3b: the training step of this batch, in the sheet's order: clear the gradients of the
            #          last step; the network's output for input_data and the batch's loss with
            #          criterion; the backward pass of the loss plus regularization(model) (bonus d; 0
            #          unless you use it); the optimizer's step.
            ### BEGIN SOLUTION
            optimizer.zero_grad()
            output = model(input_data)
            loss = criterion(output, target)
            (loss + regularization(model)).backward()
            optimizer.step()
            ### END SOLUTION
            # TODO 3c: add this batch's part to train_loss so that the epoch's average comes out right
            #          whatever the batch sizes (the batch's loss is the mean over this batch only; the
            #          last batch may be smaller).
            ### BEGIN SOLUTION
            train_loss += loss.item() * len(target)
            ### END SOLUTION
        # TODO 3c: turn the sum into the mean over all training samples (there are len_train_data).
        ### BEGIN SOLUTION
        train_loss = train_loss / len_train_data
        ### END SOLUTION
        return train_loss

    def _validate(self, model, criterion):
        """One pass over the validation batches; returns the mean loss per validation sample."""
        val_batches = self.batches("val")
        len_val_data = len(val_batches.dataset)
        # TODO 3a: the validation loss, validation_loss, starts at zero.
        ### BEGIN SOLUTION
        validation_loss = 0.0
        ### END SOLUTION
        # TODO 3d: the loss of every batch of val_batches, as in training but without a training step,
        #          summed into validation_loss and turned into the mean over all len_val_data samples.
        #          Validate the way that fits evaluation and saves time and memory (what differs from
        #          training: Q 3d on the sheet).
        ### BEGIN SOLUTION
        model.eval()
        with torch.no_grad():
            for input_data, target in val_batches:
                output = model(input_data)
                validation_loss += criterion(output, target).item() * len(target)
        validation_loss = validation_loss / len_val_data
        ### END SOLUTION
        return validation_loss
