"""Name a run after its configuration (provided code).

:func:`describe` turns a configuration (classes, functions, ``functools.partial``, closures,
objects such as an ``Augment``) into stable JSON-friendly data, and :func:`run_name` turns that
into a folder name: readable words, then a hash of the whole description. Every argument of
every setting enters the description, so two configurations that train differently never share a
folder (and the second never replaces the first).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import inspect
import json
import re
import types
from pathlib import Path

import torch

__all__ = ["describe", "describe_function", "run_name", "short_name"]

MAX_NAME_LENGTH = 80
MAX_DEPTH = 32  # nesting of descriptions; deeper than this is a cycle or not a configuration


def describe(value, _depth=0):
    """A JSON-friendly, stable description of a parameter value.

    - a class, or a function that captures nothing: ``{"class": "module.QualName"}``;
    - a closure: ``{"function": "module.QualName", "settings": {captured name: description}}``;
    - a bound method: ``{"method": "module.QualName", "of": description of its object}``;
    - ``functools.partial``: ``{"partial": ..., "keywords": ...}``, plus ``"args"`` when it has
      positional arguments;
    - another object with attributes (an ``Augment``): ``{"object": "module.QualName",
      "settings": {public attributes}}``.

    No memory address and no random-generator state ever enters a description, so the same
    configuration is described the same way in every process.
    """
    if _depth > MAX_DEPTH:
        return {"object": _qualified_name(type(value))}
    deeper = _depth + 1
    if isinstance(value, functools.partial):  # its repr holds a memory address, which is not stable
        described = {"partial": describe(value.func, deeper), "keywords": describe(value.keywords, deeper)}
        if value.args:
            described["args"] = describe(list(value.args), deeper)
        return described
    if isinstance(value, types.MethodType) and not isinstance(value.__self__, type):
        return {"method": _qualified_name(value.__func__), "of": describe(value.__self__, deeper)}
    if isinstance(value, types.FunctionType) and value.__closure__:
        return _closure(value, deeper)
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
        return {"object": _qualified_name(type(value)), "settings": _settings(vars(value), deeper)}
    text = repr(value)
    return {"object": _qualified_name(type(value))} if _holds_address(text) else text


def describe_function(function):
    """A function's name and the values it captured, e.g. make_initializer's scheme and bias.

    ``{"function": ..., "settings": {...}}`` for a plain function (also one that captures
    nothing); anything else callable (a partial, a method) is described as :func:`describe` does.
    """
    if isinstance(function, types.FunctionType):
        return _closure(function, 1)
    return describe(function)


def _closure(function, depth):
    names = function.__code__.co_freevars
    captured = {}
    for name, cell in zip(names, function.__closure__ or ()):
        try:
            captured[name] = cell.cell_contents
        except ValueError:  # a cell not filled yet (a name assigned after the function was made)
            continue
    return {"function": _qualified_name(function), "settings": _settings(captured, depth, private=True)}


def _settings(values, depth, private=False):
    """Descriptions of ``values`` by name; names starting with ``_`` only if ``private`` (a closure's
    captured values are all settings; an object's private attributes are its inner state)."""
    settings = {}
    for name, item in sorted(values.items()):
        if name.startswith("_") and not private or _is_unstable(item):
            continue
        described = describe(item, depth)
        if not _holds_address(described):
            settings[name] = described
    return settings


def _qualified_name(value):
    return f"{getattr(value, '__module__', None) or '?'}.{getattr(value, '__qualname__', type(value).__qualname__)}"


def _is_unstable(value):
    """Values whose state changes as they are used, or that say nothing about the settings."""
    return isinstance(value, (torch.Generator,)) or inspect.ismodule(value)


def _holds_address(described):
    return " at 0x" in json.dumps(described, default=str)


def short_name(value):
    """A description in a word or two: ``ReLU`` for a class, ``0.001`` for a float."""
    if isinstance(value, dict):
        for key in ("class", "function", "method", "object"):
            if isinstance(value.get(key), str):
                return value[key].rsplit(".", 1)[-1]
        if "partial" in value:
            return short_name(value["partial"])
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
    parts = [short_name(network)]
    loss = described.get("loss_function")
    if loss is not None and short_name(loss) != "CrossEntropyLoss":
        parts.append(short_name(loss))
    for key in ("network_params", "optimizer_params"):
        for name, value in described.get(key, {}).items():
            is_class = isinstance(value, dict) and set(value) == {"class"}
            if isinstance(value, bool):  # a switch: named when on ("batchnorm"), left out when off
                if value:
                    parts.append(name.removeprefix("use_").replace("_", ""))
                continue
            parts.append(short_name(value) if is_class else f"{name.split('_')[0]}{short_name(value)}")
    readable = re.sub(r"[^A-Za-z0-9.+-]+", "_", "-".join(parts)).strip("._-")
    readable = readable[:MAX_NAME_LENGTH].rstrip("._-")
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:8]
    return f"{readable}-{digest}"
