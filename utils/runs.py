"""Save and load trained runs: one folder per run with the weights and a JSON record (provided).

A run folder holds

- ``weights.pt``: the model's ``state_dict``, loaded back with ``weights_only=True``;
- ``run.json``: network class and parameters, epochs done, per-epoch metrics, seed, status
  (``complete``, ``interrupted`` or ``diverged``) and library versions;
- the PNG plots of that run.

Both files are written under a temporary name and then renamed, so a crash or Ctrl-C while
saving never leaves a half-written checkpoint behind, and a finished run is never replaced by an
interrupted or diverged one.

A run folder may come from someone else, so neither file is trusted: ``weights.pt`` must hold
tensors only, and ``run.json`` may name only torch.nn modules, torch optimizers and schedulers,
and the course's own networks (see :func:`restore`). Whatever is wrong with either file is a
:class:`RunError` that names the file and the fix.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import importlib
import inspect
import json
import math
import os
import platform
import re
import tempfile
import warnings
from pathlib import Path
from typing import NamedTuple

import torch

from utils.errors import RunError

__all__ = [
    "RECORD_FILE", "RUNS_DIR", "RunError", "WEIGHTS_FILE", "best_classification_run",
    "check_params_match", "check_runs_dir", "classification_runs", "describe", "load_record",
    "load_weights", "read_weights", "restore", "run_name", "save_run",
]

WEIGHTS_FILE = "weights.pt"
RECORD_FILE = "run.json"
MAX_NAME_LENGTH = 80
MAX_RECORD_BYTES = 20 * 1024 * 1024  # a run.json of 10,000 epochs is about 3 MB
MAX_DEPTH = 32  # nesting of descriptions; a record nested deeper is not one this course wrote
RUNS_DIR = Path(__file__).resolve().parents[1] / "runs"
STATUSES = ("complete", "interrupted", "diverged")
TRAIN_AGAIN = ("Train this run again (python 01_main.py), or copy the whole run folder "
               f"({WEIGHTS_FILE} and {RECORD_FILE} together) from where it was trained.")

# The project's own modules whose torch.nn.Module classes a run.json may name.
PROJECT_MODULES = ("fnn", "augmentation", "bonus_b_batchnorm", "bonus_d_regularization",
                   "bonus_e_sweep", "bonus_g_regression", "bonus_best_fnn", "handwriting")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


# --- describing a configuration --------------------------------------------------------------

def describe(value, _depth=0):
    """A JSON-friendly, stable description of a parameter value.

    Classes and functions become ``{"class": "module.QualName"}``, ``functools.partial`` becomes
    ``{"partial": ..., "keywords": ...}``, and other objects with attributes (an ``Augment``)
    become ``{"object": "module.QualName", "settings": {public attributes}}``. No memory address
    and no random-generator state ever enters a description, so the same configuration is
    described the same way in every process.
    """
    if _depth > MAX_DEPTH:
        return {"object": _qualified_name(type(value))}
    deeper = _depth + 1
    if isinstance(value, functools.partial):  # its repr holds a memory address, which is not stable
        return {"partial": describe(value.func, deeper), "keywords": describe(value.keywords, deeper)}
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return {"class": _qualified_name(value)}
    if isinstance(value, dict):
        return {str(key): describe(item, deeper) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [describe(item, deeper) for item in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (torch.Tensor, torch.dtype, torch.device, enum.Enum, Path)):
        return repr(value)
    if hasattr(value, "__dict__") and not inspect.ismodule(value):
        settings = {}
        for name, item in sorted(vars(value).items()):
            if name.startswith("_") or _is_unstable(item):
                continue
            described = describe(item, deeper)
            if not _holds_address(described):
                settings[name] = described
        return {"object": _qualified_name(type(value)), "settings": settings}
    text = repr(value)
    return {"object": _qualified_name(type(value))} if _holds_address(text) else text


def _qualified_name(value):
    return f"{getattr(value, '__module__', None) or '?'}.{getattr(value, '__qualname__', type(value).__qualname__)}"


def _is_unstable(value):
    """Values whose state changes as they are used, or that say nothing about the settings."""
    return isinstance(value, (torch.Generator,)) or inspect.ismodule(value)


def _holds_address(described):
    return " at 0x" in json.dumps(described, default=str)


def _short(value):
    if isinstance(value, dict) and set(value) == {"class"}:
        return str(value["class"]).rsplit(".", 1)[-1]
    if isinstance(value, dict) and "partial" in value:
        return _short(value["partial"])
    if isinstance(value, dict) and "object" in value:
        return str(value["object"]).rsplit(".", 1)[-1]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_name(config):
    """Folder name for a run: readable, safe on Windows, macOS and Linux, unique per config.

    The readable part lists the network class, the loss when it is not ``CrossEntropyLoss`` (so
    a regression run is told apart), and the parameter values; the last eight characters are a
    hash of the whole configuration, so two different configurations never share a folder.
    """
    described = describe(config)
    network = described.get("network_class", {"class": "network"})
    parts = [_short(network)]
    loss = described.get("loss_function")
    if loss is not None and _short(loss) != "CrossEntropyLoss":
        parts.append(_short(loss))
    for key in ("network_params", "optimizer_params"):
        for name, value in described.get(key, {}).items():
            is_class = isinstance(value, dict) and set(value) == {"class"}
            if isinstance(value, bool):  # a switch: named when on ("batchnorm"), left out when off
                if value:
                    parts.append(name.removeprefix("use_").replace("_", ""))
                continue
            parts.append(_short(value) if is_class else f"{name.split('_')[0]}{_short(value)}")
    readable = re.sub(r"[^A-Za-z0-9.+-]+", "_", "-".join(parts)).strip("._-")
    readable = readable[:MAX_NAME_LENGTH].rstrip("._-")
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:8]
    return f"{readable}-{digest}"


# --- restoring what run.json names: only what the project allows --------------------------------

def _allowed_bases():
    """(prefix, bases, what) for every kind of class a run.json may name."""
    from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    module = (torch.nn.Module,)
    optim = (torch.optim.Optimizer, LRScheduler, ReduceLROnPlateau)
    rules = [("torch.nn.", module, "a torch.nn module"),
             ("torch.optim.", optim, "a torch optimizer or learning-rate scheduler"),
             ("utils.", module, "a network of the course")]
    rules += [(f"{name}.", module, "a network of the course") for name in PROJECT_MODULES]
    return rules


def _refuse(name, why, where, source):
    entry = f" in {where}" if where else ""
    raise RunError(
        f"{source} names {name!r}{entry}, which {why}. Run files may only name torch.nn modules, "
        "torch optimizers and schedulers, or the course's own networks; nothing else is imported or "
        f"called. Use the run.json written by the course's training. {TRAIN_AGAIN}")


def _import_allowed(module_name):
    """The module, or None when it does not exist (its own import errors are real bugs)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            return None
        raise


def _resolve_class(name, where="", source=RECORD_FILE):
    """The class ``name`` stands for, if the project allows it; checked before any import."""
    def refuse(why):
        _refuse(name, why, where, source)

    if not isinstance(name, str) or len(name) > 300 or not _DOTTED.fullmatch(name):
        refuse("is not a dotted class name")
    rule = next((rule for rule in _allowed_bases() if name.startswith(rule[0])), None)
    if rule is None:
        refuse("lies outside torch.nn, torch.optim and the course's own modules")
    prefix, bases, what = rule
    parts = name.split(".")
    if any(part.startswith("__") for part in parts):
        refuse("reaches into a special (dunder) attribute")
    # The module: for torch the longest importable prefix inside torch.nn / torch.optim (a class
    # may be named by its defining module or by its package); for the course, the file itself.
    if prefix.startswith("torch."):
        module_lengths = range(len(parts) - 1, prefix.count(".") - 1, -1)
    else:
        module_lengths = [prefix.count(".") + (prefix == "utils.")]
    obj, attributes = None, []
    for length in module_lengths:
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
    if not isinstance(obj, type) or not issubclass(obj, bases):
        refuse(f"is not {what} (not a subclass of {' or '.join(b.__name__ for b in bases)})")
    if not f"{obj.__module__}.".startswith(prefix):
        refuse(f"is defined in {obj.__module__}, not under {prefix.rstrip('.')}")
    return obj


def restore(value, where="", source=RECORD_FILE, _depth=0):
    """Inverse of :func:`describe` for what it can invert: the class names the project allows.

    ``{"class": "torch.nn.modules.activation.ReLU"}`` becomes the class ``torch.nn.ReLU``. Only
    subclasses of ``torch.nn.Module`` under ``torch.nn``, optimizers and schedulers under
    ``torch.optim``, and ``torch.nn.Module`` classes of the course's own modules (fnn,
    augmentation, bonus_*, handwriting, utils.*) are allowed, and the name is checked before
    anything is imported. Nothing is ever called. ``partial`` and ``object`` descriptions stay
    plain data.

    Parameters
    ----------
    value
        A description, as read from ``run.json``.
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
    if isinstance(value, dict) and ("partial" in value or "object" in value):
        return value  # a description of a callable or an object: data, never called
    if isinstance(value, dict):
        return {key: restore(item, f"{where}.{key}" if where else str(key), source, _depth + 1)
                for key, item in value.items()}
    if isinstance(value, list):
        return [restore(item, f"{where}[{index}]", source, _depth + 1) for index, item in enumerate(value)]
    return value


# --- saving ---------------------------------------------------------------------------------

def check_runs_dir(path):
    """Make sure runs can be saved in ``path``: a folder (created if missing) that takes files.

    Call it before training starts, so that a wrong ``--runs-dir`` is found in a second, not
    after an hour of training. Returns the path.

    Raises
    ------
    RunError
        When ``path`` is a file, cannot be created, or is read-only.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunError(f"runs folder {path} is a file, not a folder: choose another --runs-dir "
                       "(or move that file away).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        hint = ("a part of that path is a file" if isinstance(error, (FileExistsError, NotADirectoryError))
                else "choose a folder you can write to")
        raise RunError(f"runs folder {path} cannot be created ({reason}): {hint}; choose another "
                       "--runs-dir.") from error
    try:
        handle, probe = tempfile.mkstemp(dir=path, prefix=".write-test-", suffix=".tmp")
        os.close(handle)
        os.remove(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise RunError(f"runs folder {path} cannot be written to ({reason}); it is read-only or full: "
                       "choose another --runs-dir, or free some disk space.") from error
    return path


def _status_in(folder):
    """The status of the run saved in ``folder``, or None if there is none (or it is unreadable)."""
    try:
        return load_record(folder).get("status")
    except RunError:
        return None


def _folder_for(folder, status):
    """Where a run of ``status`` may be saved without replacing a complete run in ``folder``."""
    if status in (None, "complete") or _status_in(folder) != "complete":
        return folder
    candidate = folder.with_name(f"{folder.name}-{status}")
    number = 2
    while candidate.exists():
        candidate = folder.with_name(f"{folder.name}-{status}-{number}")
        number += 1
    return candidate


def save_run(folder, model, record):
    """Write ``weights.pt`` and ``run.json`` into ``folder`` atomically; return the folder used.

    A complete run in ``folder`` is never replaced by a run that is not complete: that run goes
    to a sibling folder ``<name>-<status>`` (``-<status>-2``, ... when taken) instead, and that
    folder is returned. Callers must use the returned path.

    Raises
    ------
    RunError
        When the files cannot be written (disk full, read-only folder); an earlier run in that
        folder is then left as it was.
    """
    folder = _folder_for(Path(folder), record.get("status"))
    state = {key: tensor.detach().cpu() for key, tensor in model.state_dict().items()}
    record = dict(record)
    record["versions"] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _version_of("torchvision"),
    }
    text = json.dumps(describe(record), indent=2)
    created = not folder.exists()
    temporaries = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        weights_tmp = _temporary(folder, WEIGHTS_FILE, temporaries)
        torch.save(state, weights_tmp)
        record_tmp = _temporary(folder, RECORD_FILE, temporaries)
        Path(record_tmp).write_text(text)
        _replace_both(folder, weights_tmp, record_tmp, temporaries)
    except (OSError, RuntimeError) as error:
        for temporary in temporaries:
            _remove_quietly(temporary)
        if created:
            _remove_quietly(folder, directory=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise RunError(f"could not save the run in {folder}: {reason}. Free some disk space or choose "
                       "another --runs-dir; an earlier run in that folder is unchanged.") from error
    return folder


def _temporary(folder, name, temporaries):
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    temporaries.append(temporary)
    return temporary


def _replace_both(folder, weights_tmp, record_tmp, temporaries):
    """Rename both files into place; if the second rename fails, put the old weights back."""
    weights, backup = folder / WEIGHTS_FILE, None
    if weights.is_file():
        backup = _temporary(folder, WEIGHTS_FILE + ".old", temporaries)
        try:
            os.remove(backup)
            os.link(weights, backup)  # a second name for the old weights, no copy
        except OSError:
            backup = None  # no hard links on this file system: the renames are still atomic each
    os.replace(weights_tmp, weights)
    try:
        os.replace(record_tmp, folder / RECORD_FILE)
    except OSError:
        if backup is not None:
            os.replace(backup, weights)
        raise
    if backup is not None:
        _remove_quietly(backup)


def _remove_quietly(path, directory=False):
    try:
        os.rmdir(path) if directory else os.remove(path)
    except OSError:
        pass


def _version_of(package):
    try:
        return importlib.import_module(package).__version__
    except ImportError:
        return None


# --- loading --------------------------------------------------------------------------------

def load_record(folder):
    """Read and check ``run.json`` of a run folder.

    Returns
    -------
    dict
        The record, with ``network_params`` a dict, ``history`` a list of dicts and ``status`` one
        of ``complete``, ``interrupted``, ``diverged`` (where present).

    Raises
    ------
    RunError
        When the folder holds no run, or ``run.json`` is empty, not text, not JSON, or not a record
        of this course.
    """
    folder = Path(folder)
    record_path = folder / RECORD_FILE
    if not (folder / WEIGHTS_FILE).is_file() or not record_path.is_file():
        try:
            runs = sorted(p.name for p in folder.parent.glob("*") if (p / WEIGHTS_FILE).is_file()) \
                if folder.parent.is_dir() else []
        except OSError:
            runs = []
        hint = ("Runs there: " + ", ".join(runs)) if runs else "Train one first: python 01_main.py"
        raise RunError(f"No trained run in {folder} (needs {WEIGHTS_FILE} and {RECORD_FILE}). {hint}")

    def damaged(what):
        return RunError(f"{record_path} is damaged: {what}. {TRAIN_AGAIN}")

    try:
        if record_path.stat().st_size > MAX_RECORD_BYTES:
            raise damaged(f"it is larger than {MAX_RECORD_BYTES // 2**20} MB, far more than a run record")
        data = record_path.read_bytes()
    except OSError as error:
        raise RunError(f"{record_path} cannot be read ({error.strerror or error}). Check the file's "
                       f"permissions, or copy the whole run folder again.") from error
    if not data.strip():
        raise damaged("it is empty (was the copy or the save cut short?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise damaged("it is not text (binary data where JSON belongs)") from error
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise damaged(f"it is not valid JSON ({error})") from error
    if not isinstance(record, dict):
        raise damaged(f"it holds a JSON {type(record).__name__}, not an object with the run's settings")
    if not isinstance(record.get("network_params"), dict):
        raise damaged("it has no network_params (an object with the network's keyword arguments)")
    network_class = record.get("network_class")
    if network_class is not None and not (isinstance(network_class, dict)
                                          and isinstance(network_class.get("class"), str)):
        raise damaged('its network_class is not {"class": "module.Name"}')
    history = record.get("history", [])
    if not isinstance(history, list) or not all(isinstance(epoch, dict) for epoch in history):
        raise damaged("its history is not a list of per-epoch objects")
    status = record.get("status")
    if status is not None and status not in STATUSES:
        raise damaged(f"its status is {status!r}, not one of {', '.join(STATUSES)}")
    return record


def read_weights(folder):
    """The ``state_dict`` saved in ``weights.pt`` of ``folder``: a dict of names to tensors.

    Loaded with ``weights_only=True``: a file that holds anything but tensors is refused.

    Raises
    ------
    RunError
        When the file is missing, empty, damaged or not a weights file saved by this course.
    """
    path = Path(folder) / WEIGHTS_FILE

    def refuse(what):
        return RunError(f"{path} {what}. {TRAIN_AGAIN}")

    try:
        if path.stat().st_size == 0:
            raise refuse("is empty (was the copy or the save cut short?)")
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror or error})") from error
    try:
        with warnings.catch_warnings():  # torch's warnings about odd pickles say nothing more here
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any failure to read an untrusted file means the same
        text = str(error)
        detail = text.split("WeightsUnpickler error:", 1)[-1].strip()
        detail = detail.splitlines()[0].split(". ")[0][:160] if detail else ""
        detail = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        if "Weights only load failed" in text:
            raise refuse(f"is not a weights file saved by this course ({detail}): it is damaged or holds "
                         "more than tensors, and must not be loaded. Do not load it with "
                         "weights_only=False: that would run whatever code the file carries") from None
        raise refuse(f"is damaged or not a weights file saved by this course ({detail})") from None
    if not isinstance(state, dict):
        raise refuse(f"holds a {type(state).__name__}, not the state_dict (names -> tensors) this course saves")
    wrong = sorted(str(key) for key, value in state.items()
                   if not isinstance(key, str) or not isinstance(value, torch.Tensor))
    if wrong:
        raise refuse(f"holds entries that are not named tensors ({', '.join(wrong[:5])}), so it is not a "
                     "state_dict saved by this course")
    return state


def check_weights_fit(path, own, state):
    """Raise a RunError naming every parameter of ``state`` that does not fit ``own`` (a state_dict)."""
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = sorted(key for key in set(own) & set(state) if own[key].shape != state[key].shape)
    if missing or unexpected or reshaped:
        lines = [f"The weights in {path} do not fit this network."]
        if missing:
            lines.append(f"  missing in the file: {', '.join(missing)}")
        if unexpected:
            lines.append(f"  in the file but not in the network: {', '.join(unexpected)}")
        for key in reshaped:
            lines.append(f"  {key}: file {tuple(state[key].shape)}, network {tuple(own[key].shape)}")
        lines.append("Fix: build the network with the parameters the run was trained with "
                     "(leave network_params out to use the saved ones), or train again.")
        raise RunError("\n".join(lines))


def load_weights(folder, model, state=None):
    """Load the saved weights into ``model``; name the mismatched parameters if they differ."""
    path = Path(folder) / WEIGHTS_FILE
    state = read_weights(folder) if state is None else state
    check_weights_fit(path, model.state_dict(), state)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise RunError(f"The weights in {path} do not fit this network ({error}). {TRAIN_AGAIN}") from error
    return model


def _same(saved, given):
    return json.dumps(saved, sort_keys=True, default=str) == json.dumps(given, sort_keys=True, default=str)


def check_params_match(record, network_class, network_params, saved_params=None):
    """Raise a RunError naming every parameter that differs from the saved run.

    ``saved_params`` are the record's ``network_params`` already restored (classes resolved), so
    that a class saved under another of its names (``torch.nn.ReLU``) still matches.
    """
    saved_network = record.get("network_class")
    saved_class = saved_network.get("class", "?") if isinstance(saved_network, dict) else "?"
    given_class = describe(network_class)
    given_class = given_class["class"] if isinstance(given_class, dict) and "class" in given_class else "?"
    if str(saved_class).rsplit(".", 1)[-1] != given_class.rsplit(".", 1)[-1]:
        raise RunError(f"This run was trained with {saved_class}, not {given_class}.")
    saved = record.get("network_params", {}) if saved_params is None else describe(saved_params)
    saved = saved if isinstance(saved, dict) else {}
    given = describe(network_params)
    given = given if isinstance(given, dict) else {}
    differing = [key for key in sorted(set(saved) | set(given)) if not _same(saved.get(key), given.get(key))]
    if differing:
        details = "; ".join(
            f"{key}: given {_short(given.get(key, '(not given)'))}, saved {_short(saved.get(key, '(not saved)'))}"
            for key in differing)
        raise RunError(f"network_params do not match the saved run: {details}.\n"
                       "Fix: pass the saved values, or leave network_params out to use them.")


# --- choosing a run -------------------------------------------------------------------------

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
