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


def has_fast_bfloat16(device):
    """Whether bfloat16 matrix products run natively (fast) on ``device``.

    True for CUDA GPUs that support bfloat16 and for CPUs with AVX-512 BF16 or AMX (read from
    /proc/cpuinfo, so only on Linux); elsewhere bfloat16 is emulated and slower than float32.
    """
    device = pick_device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
