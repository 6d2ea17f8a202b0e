"""Use a trained run: evaluate it on the test split, or predict digits (provided, complete)."""

from __future__ import annotations

from pathlib import Path

import torch

from utils.devices import pick_device
from utils.runs import check_params_match, load_record, load_weights, restore


class NetworkUser:
    """Reload the weights a ``NetworkTrainer`` saved, and put them to use.

    Parameters
    ----------
    network_class : type of torch.nn.Module
        The class the run was trained with, e.g. ``FNN``.
    loss_function : type
        Loss class for the test loss, e.g. ``torch.nn.CrossEntropyLoss``.
    data_loader : callable
        ``data_loader("test")`` gives the test batches, e.g. a ``DataLoaderFNN``.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``.
    """

    def __init__(self, network_class, loss_function, data_loader, device="auto"):
        self.network_class = network_class
        self.loss_function = loss_function
        self.data_loader = data_loader
        self.device = pick_device(device)

    def load(self, run_folder, network_params=None):
        """The trained network of ``run_folder``, in evaluation mode.

        Parameters
        ----------
        run_folder : path
            What ``NetworkTrainer.train_network`` returned.
        network_params : dict, optional
            Checked against the saved parameters; leave out to use the saved ones.
        """
        return self._load(run_folder, network_params)[0]

    def _load(self, run_folder, network_params):
        record = load_record(run_folder)
        if network_params is None:
            network_params = restore(record["network_params"])
        check_params_match(record, self.network_class, network_params)
        model = self.network_class(**network_params)
        load_weights(run_folder, model)
        return model.to(self.device).eval(), record

    def test_network(self, run_folder, network_params=None, loss_params=None, split="test"):
        """Loss and accuracy of a trained run on the test split (or another split).

        Returns
        -------
        dict
            ``loss``, ``accuracy`` (percent), ``num_samples``, and the run's ``history``
            (per-epoch training and validation metrics) for comparison and plots.
        """
        model, record = self._load(run_folder, network_params)
        criterion = self.loss_function(**(loss_params or {}))
        total_loss, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in self.data_loader(split):
                images, labels = images.to(self.device), labels.to(self.device)
                output = model(images)
                total_loss += criterion(output, labels).item() * len(labels)
                correct += (output.argmax(dim=1) == labels).sum().item()
                count += len(labels)
        return {
            "loss": total_loss / count,
            "accuracy": 100.0 * correct / count,
            "num_samples": count,
            "history": record.get("history", []),
            "status": record.get("status"),
            "run_folder": Path(run_folder),
        }

    def get_predictor(self, run_folder, network_params=None):
        """A function ``images (N, 784) -> (predicted labels (N,), probabilities (N, classes))``."""
        model = self.load(run_folder, network_params)

        def predict(images):
            with torch.no_grad():
                scores = model(torch.as_tensor(images, dtype=torch.float32).to(self.device))
                probabilities = torch.softmax(scores, dim=1).cpu()
            return probabilities.argmax(dim=1), probabilities

        return predict
