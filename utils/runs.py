"""Save and load trained runs: one folder per run with the weights and a JSON record (provided).

A run folder holds

- ``weights.pt``: the model's ``state_dict``, loaded back with ``weights_only=True``;
- ``run.json``: network class and parameters, epochs done, per-epoch metrics, seed, status
  (``complete``, ``interrupted`` or ``diverged``) and library versions;
- the PNG plots of that run.

Both files are written under a temporary name and then renamed, so a crash or Ctrl-C while
saving never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import platform
import re
import tempfile
from pathlib import Path

import torch

WEIGHTS_FILE = "weights.pt"
RECORD_FILE = "run.json"
MAX_NAME_LENGTH = 80
RUNS_DIR = Path(__file__).resolve().parents[1] / "runs"


class RunError(RuntimeError):
    """A run folder that is missing, incomplete, or does not match what is asked of it."""


def describe(value):
    """A JSON-friendly, stable description of a parameter value (classes become dotted names)."""
    if isinstance(value, functools.partial):  # its repr holds a memory address, which is not stable
        return {"partial": describe(value.func), "keywords": describe(value.keywords)}
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return {"class": f"{value.__module__}.{value.__qualname__}"}
    if isinstance(value, dict):
        return {str(key): describe(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [describe(item) for item in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return repr(value)


def restore(value):
    """Inverse of :func:`describe` for what it can invert: dotted class names are imported."""
    if isinstance(value, dict) and set(value) == {"class"}:
        module_name, _, qualname = value["class"].rpartition(".")
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj
    if isinstance(value, dict):
        return {key: restore(item) for key, item in value.items()}
    if isinstance(value, list):
        return [restore(item) for item in value]
    return value


def _short(value):
    if isinstance(value, dict) and set(value) == {"class"}:
        return value["class"].rsplit(".", 1)[-1]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_name(config):
    """Folder name for a run: readable, safe on Windows, macOS and Linux, unique per config.

    The readable part lists the class and the parameter values; the last eight characters are a
    hash of the whole configuration, so two different configurations never share a folder.
    """
    described = describe(config)
    network = described.get("network_class", {"class": "network"})
    parts = [_short(network)]
    for key in ("network_params", "optimizer_params"):
        for name, value in described.get(key, {}).items():
            is_class = isinstance(value, dict) and set(value) == {"class"}
            parts.append(_short(value) if is_class else f"{name.split('_')[0]}{_short(value)}")
    readable = re.sub(r"[^A-Za-z0-9.+-]+", "_", "-".join(parts)).strip("._-")
    readable = readable[:MAX_NAME_LENGTH].rstrip("._-")
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:8]
    return f"{readable}-{digest}"


def _atomic_write(path, write):
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def save_run(folder, model, record):
    """Write ``weights.pt`` and ``run.json`` into ``folder`` atomically; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {key: tensor.detach().cpu() for key, tensor in model.state_dict().items()}
    record = dict(record)
    record["versions"] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _version_of("torchvision"),
    }
    _atomic_write(folder / WEIGHTS_FILE, lambda path: torch.save(state, path))
    text = json.dumps(describe(record), indent=2)
    _atomic_write(folder / RECORD_FILE, lambda path: Path(path).write_text(text))
    return folder


def _version_of(package):
    try:
        return importlib.import_module(package).__version__
    except ImportError:
        return None


def load_record(folder):
    """Read ``run.json`` of a run folder, with a clear error when there is none."""
    folder = Path(folder)
    record_path = folder / RECORD_FILE
    if not (folder / WEIGHTS_FILE).is_file() or not record_path.is_file():
        runs = sorted(p.name for p in folder.parent.glob("*") if (p / WEIGHTS_FILE).is_file()) \
            if folder.parent.is_dir() else []
        hint = ("Runs there: " + ", ".join(runs)) if runs else "Train one first: python 01_main.py"
        raise RunError(f"No trained run in {folder} (needs {WEIGHTS_FILE} and {RECORD_FILE}). {hint}")
    try:
        return json.loads(record_path.read_text())
    except json.JSONDecodeError as error:
        raise RunError(f"{record_path} is damaged ({error}); train this run again.") from error


def load_weights(folder, model):
    """Load the saved weights into ``model``; name the mismatched parameters if they differ."""
    path = Path(folder) / WEIGHTS_FILE
    state = torch.load(path, map_location="cpu", weights_only=True)
    own = model.state_dict()
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
    model.load_state_dict(state)
    return model


def check_params_match(record, network_class, network_params):
    """Raise a RunError naming every parameter that differs from the saved run."""
    saved_class = record.get("network_class", {}).get("class", "?")
    given_class = describe(network_class)["class"]
    if saved_class.rsplit(".", 1)[-1] != given_class.rsplit(".", 1)[-1]:
        raise RunError(f"This run was trained with {saved_class}, not {given_class}.")
    saved = record.get("network_params", {})
    given = describe(network_params)
    differing = [key for key in sorted(set(saved) | set(given)) if saved.get(key) != given.get(key)]
    if differing:
        details = "; ".join(
            f"{key}: given {_short(given.get(key, '(not given)'))}, saved {_short(saved.get(key, '(not saved)'))}"
            for key in differing)
        raise RunError(f"network_params do not match the saved run: {details}.\n"
                       "Fix: pass the saved values, or leave network_params out to use them.")
