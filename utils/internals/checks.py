"""Argument checks that say what was wrong and what is allowed (provided code)."""

from __future__ import annotations

import numbers

from utils.internals.errors import ArgumentError, ArgumentTypeError


def check_positive_int(name, value):
    """Return ``value`` if it is an int > 0, else raise an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be a whole number > 0, got {value!r} ({type(value).__name__}).")
    if value <= 0:
        raise ArgumentError(f"{name} must be a whole number > 0, got {value}.")
    return int(value)


def check_ratio(name, value):
    """Return ``value`` as a float if it lies strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number between 0 and 1 (e.g. 0.8), got {value!r}.")
    if not 0 < value < 1:
        raise ArgumentError(f"{name} must lie strictly between 0 and 1 (e.g. 0.8), got {value}.")
    return float(value)


def check_probability(name, value):
    """Return ``value`` as a float if it lies in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number in [0, 1), e.g. 0.2; got {value!r}.")
    if not 0 <= value < 1:
        raise ArgumentError(f"{name} must lie in [0, 1), e.g. 0.2; got {value}.")
    return float(value)


def check_positive_float(name, value):
    """Return ``value`` as a float if it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number > 0, got {value!r}.")
    if not 0 < value < float("inf"):
        raise ArgumentError(f"{name} must be a finite number > 0, got {value}.")
    return float(value)


def check_choice(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(option) for option in allowed)
        raise ArgumentError(f"unknown {name} {value!r}; use one of {options}.")
    return value


def check_class(name, value, base, example, base_name=None):
    """Return ``value`` if it is a subclass of ``base``: the class itself, not an instance or a name."""
    if isinstance(value, type) and issubclass(value, base):
        return value
    if isinstance(value, base):
        raise ArgumentTypeError(f"{name} must be a class, not an instance: pass {type(value).__name__}, "
                                f"not {type(value).__name__}(); it is built for you.")
    if isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be the class itself, not its name: pass {example}, not '{value}'.")
    base_name = base_name or f"{base.__module__}.{base.__qualname__}"
    raise ArgumentTypeError(f"{name} must be a subclass of {base_name}, e.g. {example}; got {value!r}.")


def check_activation(name, value, allow_none=False):
    """An activation *class* such as ``torch.nn.ReLU`` (or None where allowed)."""
    import torch

    if value is None and allow_none:
        return None
    return check_class(name, value, torch.nn.Module, example="torch.nn.ReLU")


def check_callable(name, value, example):
    if not callable(value):
        raise ArgumentTypeError(f"{name} must be callable, e.g. {example}; got {value!r}.")
    return value


def check_layer_sizes(name, value):
    """A non-empty list of whole numbers > 0, e.g. ``[500, 500]``."""
    if isinstance(value, (int, str)) or not hasattr(value, "__iter__"):
        raise ArgumentTypeError(f"{name} must be a list of layer sizes, e.g. [500, 500]; got {value!r}.")
    sizes = [check_positive_int(f"each entry of {name}", size) for size in value]
    if not sizes:
        raise ArgumentError(f"{name} needs at least one layer size, e.g. [500, 500].")
    return sizes


def check_flat_batch(x, input_shape):
    """A batch of flattened images, shape ``(batch, input_shape)``, for a fully connected network."""
    shape = tuple(getattr(x, "shape", ()))
    if len(shape) != 2 or shape[1] != input_shape:
        hint = (f" (flatten each image into one vector of {input_shape}, as the data loader's transform does)"
                if len(shape) > 2 else "")
        raise ArgumentError(f"a fully connected network takes batches of shape (batch, {input_shape}), "
                            f"got {shape}{hint}.")


def check_data_loader(data_loader):
    """A loader *instance*: callable with a split name, e.g. ``DataLoaderFNN()``."""
    if data_loader is None:
        raise ArgumentTypeError("NetworkTrainer needs a data_loader, e.g. DataLoaderFNN().")
    if isinstance(data_loader, type):
        raise ArgumentTypeError(f"data_loader must be a loader, not its class: pass {data_loader.__name__}(), "
                                f"not {data_loader.__name__}.")
    if not callable(data_loader):
        raise ArgumentTypeError("data_loader must be callable as data_loader('train') / data_loader('val'), "
                                f"e.g. DataLoaderFNN(); got {type(data_loader).__name__}.")
    return data_loader
