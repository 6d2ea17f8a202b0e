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
tensors only, and ``run.json`` is checked before anything is built from it (the classes it may
name: ``utils/internals/run_classes.py``). Whatever is wrong with either file is a :class:`RunError` that
names the file and the fix.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import tempfile
import warnings
from pathlib import Path

import torch

from utils.internals.errors import RunError
from utils.internals.run_classes import RECORD_FILE, TRAIN_AGAIN, WEIGHTS_FILE
from utils.internals.run_names import describe, short_name

__all__ = [
    "RECORD_FILE", "RUNS_DIR", "WEIGHTS_FILE", "check_params_match", "check_runs_dir", "check_weights_fit",
    "load_record", "load_weights", "read_weights", "save_run",
]

MAX_RECORD_BYTES = 20 * 1024 * 1024  # a run.json of 10,000 epochs is about 3 MB
RUNS_DIR = Path(__file__).resolve().parents[2] / "runs"
STATUSES = ("complete", "interrupted", "diverged")


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
        raise RunError(f"No trained run in {folder} (needs {WEIGHTS_FILE} and {RECORD_FILE}). {_hint_for(folder)}")

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


def _runs_in(folder):
    """Names of the run folders directly inside ``folder`` (none when it cannot be listed)."""
    try:
        return sorted(path.name for path in folder.iterdir() if (path / WEIGHTS_FILE).is_file()) \
            if folder.is_dir() else []
    except OSError:
        return []


def _hint_for(folder):
    """What to do when ``folder`` holds no run: it may be the runs folder itself, or a wrong name."""
    inside = _runs_in(folder)
    if inside:
        return (f"{folder} is a runs folder that holds {len(inside)} run(s), not one run: give NetworkUser "
                "the run folder that train_network returned (run_folder = trainer.train_network(...); "
                f"user.test_network(run_folder)), e.g. {folder / inside[-1]}.")
    beside = _runs_in(folder.parent)
    return ("Runs there: " + ", ".join(beside)) if beside else "Train one first: python 01_main.py"


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
        details = "; ".join(f"{key}: given {short_name(given.get(key, '(not given)'))}, "
                            f"saved {short_name(saved.get(key, '(not saved)'))}" for key in differing)
        raise RunError(f"network_params do not match the saved run: {details}.\n"
                       "Fix: pass the saved values, or leave network_params out to use them.")
