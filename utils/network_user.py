"""Use a trained run: evaluate it on the test split, or predict digits (provided, complete).

A run folder may come from someone else: its files are checked before anything is built from
them (see ``utils/internals/run_files.py``), and whatever is wrong with them is a ``RunError`` that says so.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import torch

from utils.internals.checks import check_class, check_data_loader
from utils.internals.devices import pick_device
from utils.internals.errors import ArgumentError, ArgumentTypeError, CourseError, DataError, RunError
from utils.internals.network_params import check_network_params, guard_input_shape
from utils.internals.run_classes import RECORD_FILE, TRAIN_AGAIN, WEIGHTS_FILE, restore
from utils.internals.run_files import check_params_match, check_weights_fit, load_record, load_weights, read_weights
from utils.internals.run_names import describe


def _check_loss_function(loss_function):
    if isinstance(loss_function, torch.nn.Module):
        name = type(loss_function).__name__
        raise ArgumentTypeError(f"loss_function must be the loss class, not a loss already built: pass "
                                f"torch.nn.{name}, not torch.nn.{name}().")
    if isinstance(loss_function, str) or not callable(loss_function):
        raise ArgumentTypeError(f"loss_function must be a loss class such as torch.nn.CrossEntropyLoss; "
                                f"got {loss_function!r} ({type(loss_function).__name__}).")
    return loss_function


class NetworkUser:
    """Reload the weights a ``NetworkTrainer`` saved, and put them to use.

    Parameters
    ----------
    network_class : type of torch.nn.Module
        The class the run was trained with, e.g. ``FNN`` (the class, not ``FNN()``).
    loss_function : type
        Loss class for the test loss, e.g. ``torch.nn.CrossEntropyLoss``.
    data_loader : callable or None
        ``data_loader("test")`` gives the test batches, e.g. a ``DataLoaderFNN()``. Always
        passed; ``None`` will do where only ``load`` and ``get_predictor`` are used
        (``test_network`` needs data).
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``.
    """

    def __init__(self, network_class, loss_function, data_loader, device="auto"):
        self.network_class = check_class("network_class", network_class, torch.nn.Module, "FNN",
                                         base_name="torch.nn.Module")
        self.loss_function = _check_loss_function(loss_function)
        self.data_loader = None if data_loader is None else check_data_loader(data_loader)
        self.device = pick_device(device)
        self._loaded = None  # (key, model, record) of the last run loaded: test, then predict, loads once

    def load(self, run_folder, network_params=None):
        """The trained network of ``run_folder``, in evaluation mode.

        The files are read once: asked again for the same, unchanged run folder, ``NetworkUser``
        gives the same network object.

        Parameters
        ----------
        run_folder : path
            What ``NetworkTrainer.train_network`` returned.
        network_params : dict, optional
            Checked against the saved parameters; leave out to use the saved ones.

        Raises
        ------
        RunError
            When the run folder is missing, damaged, or does not fit ``network_class``.
        """
        return self._load(run_folder, network_params)[0]

    def _load(self, run_folder, network_params):
        """(model, record), read and checked once per run folder and files, then reused."""
        key = _load_key(run_folder, network_params)
        if key is not None and self._loaded is not None and self._loaded[0] == key:
            return self._loaded[1].eval(), self._loaded[2]
        model, record = self._read(run_folder, network_params)
        self._loaded = None if key is None else (key, model, record)
        return model, record

    def _read(self, run_folder, network_params):
        record = load_record(run_folder)
        source = Path(run_folder) / RECORD_FILE
        saved_params = restore(record["network_params"], "network_params", source)
        if network_params is None:
            network_params = saved_params
        elif not isinstance(network_params, dict):
            raise ArgumentTypeError(f"network_params must be a dict of {self.network_class.__name__}'s "
                                    f"keyword arguments, or None for the saved ones; got {network_params!r}.")
        check_params_match(record, self.network_class, network_params, saved_params)
        state = read_weights(run_folder)  # checked before anything is built from the record
        model = self._build(network_params, source, state, Path(run_folder))
        load_weights(run_folder, model, state)
        return model.to(self.device).eval(), record

    def _build(self, network_params, source, state, run_folder):
        """``network_class(**network_params)``: the parameters are those saved in ``source``."""
        name = self.network_class.__name__

        def unusable(reason):
            return RunError(f"{source} holds network_params that {name} cannot be built with ({reason}). "
                            f"Pass the network class the run was trained with. {TRAIN_AGAIN}")

        try:
            check_network_params(self.network_class, network_params)
        except CourseError as error:
            raise unusable(error) from error
        try:
            inspect.signature(self.network_class).bind(**network_params)
        except TypeError as error:
            raise unusable(error) from error
        except ValueError:  # no signature to check (a C extension class): building will tell
            pass
        # Built first on the "meta" device, which allocates nothing: a record that asks for a
        # network far larger than the weights file is refused before any memory is used.
        try:
            with torch.device("meta"):
                probe = self.network_class(**network_params)
        except Exception:  # noqa: BLE001 - the real build below reports whatever is wrong
            probe = None
        if probe is not None:
            check_weights_fit(run_folder / WEIGHTS_FILE, probe.state_dict(), state)
        try:
            return guard_input_shape(self.network_class(**network_params), network_params)
        except CourseError as error:  # the network's own argument checks: say where the values came from
            raise unusable(error) from error
        except (TypeError, ValueError, OverflowError, RuntimeError, MemoryError) as error:
            raise unusable(f"{type(error).__name__}: {error}") from error

    def test_network(self, run_folder, network_params=None, loss_params=None, split="test"):
        """Loss and accuracy of a trained run on the test split (or another split).

        Returns
        -------
        dict
            ``loss``, ``accuracy`` (percent), ``num_samples``, the run's ``history`` (per-epoch
            training and validation metrics) for comparison and plots, ``status`` and
            ``run_folder``; and, in the order the data loader gave them, the ``labels`` (N,), the
            ``predicted`` labels (N,) and each prediction's ``confidence`` (N,), its softmax
            probability, so that plots of the mistakes need not predict again.
        """
        if self.data_loader is None:
            raise ArgumentError("test_network needs data: build NetworkUser with a data_loader, "
                                "e.g. NetworkUser(FNN, torch.nn.CrossEntropyLoss, DataLoaderFNN()).")
        model, record = self._load(run_folder, network_params)
        criterion = self.loss_function(**(loss_params or {}))
        total_loss, correct, count = 0.0, 0, 0
        seen, predicted, confidence = [], [], []
        with torch.no_grad():
            for images, labels in self.data_loader(split):
                images, labels = images.to(self.device), labels.to(self.device)
                output = model(images)
                total_loss += criterion(output, labels).item() * len(labels)
                guess = output.argmax(dim=1)
                best = torch.softmax(output.float(), dim=1).gather(1, guess[:, None])[:, 0]
                correct += (guess == labels).sum().item()
                count += len(labels)
                seen.append(labels.cpu())
                predicted.append(guess.cpu())
                confidence.append(best.cpu())
        if count == 0:
            raise DataError(f"the {split!r} split of the data_loader holds no images, so there is nothing to "
                            "test on; check the data loader's settings (train_val_ratio, the MNIST files).")
        return {
            "loss": total_loss / count,
            "accuracy": 100.0 * correct / count,
            "num_samples": count,
            "history": record.get("history", []),
            "status": record.get("status"),
            "run_folder": Path(run_folder),
            "labels": torch.cat(seen),
            "predicted": torch.cat(predicted),
            "confidence": torch.cat(confidence),
        }

    def get_predictor(self, run_folder, network_params=None):
        """A function ``images (N, 784) -> (predicted labels (N,), probabilities (N, classes))``.

        The probabilities are the softmax of the network's scores: true probabilities only for a
        run trained with ``CrossEntropyLoss``. The network is the one ``test_network`` has just
        loaded from the same folder, if it did.
        """
        model = self.load(run_folder, network_params)

        def predict(images):
            with torch.no_grad():
                scores = model(torch.as_tensor(images, dtype=torch.float32).to(self.device))
                probabilities = torch.softmax(scores, dim=1).cpu()
            return probabilities.argmax(dim=1), probabilities

        return predict


def _load_key(run_folder, network_params):
    """What a loaded run depends on: its folder, the parameters asked for, and its two files as they
    are now (a run trained again into the same folder is read again); None when a file is missing."""
    folder = Path(run_folder)
    try:
        files = tuple((stat.st_size, stat.st_mtime_ns) for stat in
                      ((folder / name).stat() for name in (WEIGHTS_FILE, RECORD_FILE)))
        params = json.dumps(describe(network_params), sort_keys=True, default=str)
        return folder.resolve(), params, files
    except (OSError, TypeError, ValueError):
        return None
