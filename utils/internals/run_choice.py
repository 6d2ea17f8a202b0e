"""Choose a trained run: the complete classification runs of a network, best first (provided).

Used where a script needs "the best FNN so far" (``handwriting.py``); the run files themselves are
read with ``utils/internals/run_files.py``, and folders that cannot be read are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

from utils.internals.errors import RunError
from utils.internals.run_files import RECORD_FILE, RUNS_DIR, load_record

__all__ = ["RunSummary", "best_classification_run", "classification_runs", "is_cross_entropy"]


class RunSummary(NamedTuple):
    """A complete classification run: its folder, last validation accuracy (or None) and record."""

    folder: Path
    val_accuracy: float | None
    record: dict


def is_cross_entropy(record):
    """True when the run was trained with ``torch.nn.CrossEntropyLoss`` (its outputs are logits)."""
    loss = record.get("loss_function")
    if isinstance(loss, dict) and isinstance(loss.get("partial"), dict):
        loss = loss["partial"]
    name = loss.get("class") if isinstance(loss, dict) else None
    return isinstance(name, str) and name.startswith("torch.nn.") and name.endswith(".CrossEntropyLoss")


def _last_val_accuracy(record):
    history = record.get("history") or []
    value = history[-1].get("val_accuracy") if history else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def classification_runs(runs_dir=RUNS_DIR, network_class_name="FNN"):
    """Complete runs of ``network_class_name`` trained with CrossEntropyLoss, best first.

    Best means the highest last-epoch validation accuracy (runs without one come last); ties go
    to the newest. Folders that cannot be read are skipped.
    """
    runs_dir = Path(runs_dir)
    found = []
    try:
        folders = [path for path in runs_dir.iterdir() if path.is_dir()] if runs_dir.is_dir() else []
    except OSError:
        folders = []
    for folder in folders:
        try:
            record = load_record(folder)
            saved_at = (folder / RECORD_FILE).stat().st_mtime
        except (RunError, OSError):
            continue
        network = record.get("network_class") or {}
        if (record.get("status") != "complete" or not is_cross_entropy(record)
                or str(network.get("class", "")).rsplit(".", 1)[-1] != network_class_name):
            continue
        summary = RunSummary(folder, _last_val_accuracy(record), record)
        found.append((summary.val_accuracy is not None, summary.val_accuracy or 0.0, saved_at, summary))
    found.sort(key=lambda entry: entry[:3], reverse=True)
    return [entry[-1] for entry in found]


def best_classification_run(runs_dir=RUNS_DIR, network_class_name="FNN"):
    """The folder of the best complete ``network_class_name`` run trained with CrossEntropyLoss.

    Among run folders whose ``run.json`` says ``complete``, names that network class and the
    loss ``CrossEntropyLoss``, the one with the highest last-epoch ``val_accuracy`` (ties: the
    newest). Unreadable folders are skipped.

    Raises
    ------
    RunError
        When there is none.
    """
    runs = classification_runs(runs_dir, network_class_name)
    if not runs:
        raise RunError(f"no complete {network_class_name} run trained with CrossEntropyLoss in {runs_dir}; "
                       "train one first: python 01_main.py")
    return runs[0].folder
