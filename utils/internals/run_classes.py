"""Which classes a run file may name, and turning those names back into classes (provided code).

A ``run.json`` may come from someone else, so a class name in it is checked before anything is
imported, and nothing is ever called. The only entries restored are a network's parameters
(``network_params``), and the only classes they hold are ``torch.nn`` modules, such as the
activation ``torch.nn.ReLU``; every other name is refused with a :class:`RunError`.
"""

from __future__ import annotations

import importlib
import re

import torch

from utils.internals.errors import RunError
from utils.internals.run_names import MAX_DEPTH  # a record nested deeper is not one this course wrote

__all__ = ["RECORD_FILE", "TRAIN_AGAIN", "WEIGHTS_FILE", "restore"]

WEIGHTS_FILE = "weights.pt"
RECORD_FILE = "run.json"
TRAIN_AGAIN = ("Train this run again (python 01_main.py), or copy the whole run folder "
               f"({WEIGHTS_FILE} and {RECORD_FILE} together) from where it was trained.")
ALLOWED_PREFIX = "torch.nn."
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_DATA_KINDS = ("partial", "object", "function", "method")  # descriptions of callables: never restored


def _refuse(name, why, where, source):
    entry = f" in {where}" if where else ""
    raise RunError(
        f"{source} names {name!r}{entry}, which {why}. Run files may only name torch.nn modules "
        "(such as torch.nn.ReLU); nothing else is imported or called. Use the run.json written by the "
        f"course's training. {TRAIN_AGAIN}")


def _import_allowed(module_name):
    """The module, or None when it does not exist (its own import errors are real bugs)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            return None
        raise


def _resolve_class(name, where, source):
    """The torch.nn module class ``name`` stands for; the name is checked before any import."""
    def refuse(why):
        _refuse(name, why, where, source)

    if not isinstance(name, str) or len(name) > 300 or not _DOTTED.fullmatch(name):
        refuse("is not a dotted class name")
    if not name.startswith(ALLOWED_PREFIX):
        refuse("lies outside torch.nn")
    parts = name.split(".")
    if any(part.startswith("__") for part in parts):
        refuse("reaches into a special (dunder) attribute")
    # The module is the longest importable prefix inside torch.nn: a class may be named by its
    # defining module (torch.nn.modules.activation.ReLU) or by its package (torch.nn.ReLU).
    obj, attributes = None, []
    for length in range(len(parts) - 1, ALLOWED_PREFIX.count(".") - 1, -1):
        obj = _import_allowed(".".join(parts[:length]))
        if obj is not None:
            attributes = parts[length:]
            break
    if obj is None or not attributes:
        refuse("cannot be found (no such module)")
    for attribute in attributes:
        obj = getattr(obj, attribute, None)
        if obj is None:
            refuse("cannot be found (no such class)")
    if not isinstance(obj, type) or not issubclass(obj, torch.nn.Module):
        refuse("is not a torch.nn module (not a subclass of torch.nn.Module)")
    if not f"{obj.__module__}.".startswith(ALLOWED_PREFIX):
        refuse(f"is defined in {obj.__module__}, not under torch.nn")
    return obj


def restore(value, where="", source=RECORD_FILE, _depth=0):
    """Inverse of :func:`utils.internals.run_names.describe` for the class names a run file may hold.

    ``{"class": "torch.nn.modules.activation.ReLU"}`` becomes the class ``torch.nn.ReLU``. Only
    subclasses of ``torch.nn.Module`` defined under ``torch.nn`` are allowed, and the name is
    checked before anything is imported. Nothing is ever called: descriptions of a partial, a
    closure, a method or an object stay plain data.

    Parameters
    ----------
    value
        A description, as read from ``run.json`` (its ``network_params``).
    where, source : str
        The entry (e.g. ``"network_params"``) and the file it comes from, for the error message.

    Raises
    ------
    RunError
        For any other name, naming ``source`` and the offending entry.
    """
    if _depth > MAX_DEPTH:
        raise RunError(f"{source} is nested more than {MAX_DEPTH} levels deep in {where}, so it was not "
                       f"written by this course. {TRAIN_AGAIN}")
    if isinstance(value, dict) and set(value) == {"class"}:
        return _resolve_class(value["class"], where, source)
    if isinstance(value, dict) and any(kind in value for kind in _DATA_KINDS):
        return value
    if isinstance(value, dict):
        return {key: restore(item, f"{where}.{key}" if where else str(key), source, _depth + 1)
                for key, item in value.items()}
    if isinstance(value, list):
        return [restore(item, f"{where}[{index}]", source, _depth + 1) for index, item in enumerate(value)]
    return value
