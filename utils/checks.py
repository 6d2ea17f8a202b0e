"""Argument checks that say what was wrong and what is allowed (provided code)."""

from __future__ import annotations

import numbers


def check_positive_int(name, value):
    """Return ``value`` if it is an int > 0, else raise a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number > 0, got {value!r} ({type(value).__name__}).")
    if value <= 0:
        raise ValueError(f"{name} must be a whole number > 0, got {value}.")
    return int(value)


def check_ratio(name, value):
    """Return ``value`` as a float if it lies strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number between 0 and 1 (e.g. 0.8), got {value!r}.")
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1 (e.g. 0.8), got {value}.")
    return float(value)


def check_positive_float(name, value):
    """Return ``value`` as a float if it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number > 0, got {value!r}.")
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a finite number > 0, got {value}.")
    return float(value)


def check_choice(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(option) for option in allowed)
        raise ValueError(f"unknown {name} {value!r}; use one of {options}.")
    return value
