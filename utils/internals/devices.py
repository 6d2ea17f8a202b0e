"""Pick the device to train on: CUDA, Apple's MPS or the CPU (provided code)."""

from __future__ import annotations

import torch

from utils.internals.errors import ArgumentError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def pick_device(name="auto"):
    """Return a ``torch.device``: the fastest available for ``"auto"``, else the one named.

    Raises
    ------
    ArgumentError
        (a ValueError) For an unknown name, or a device this machine does not have (with what it
        has instead).
    """
    if isinstance(name, torch.device):
        return name
    if name not in DEVICE_CHOICES:
        raise ArgumentError(f"unknown device {name!r}; use one of {', '.join(DEVICE_CHOICES)}.")
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if name == "auto":
        name = next(kind for kind in ("cuda", "mps", "cpu") if available[kind])
    if not available[name]:
        have = ", ".join(kind for kind, ok in available.items() if ok)
        raise ArgumentError(f"device {name!r} is not available on this machine; it has: {have}. "
                            "Use --device auto to pick the best one.")
    return torch.device(name)
