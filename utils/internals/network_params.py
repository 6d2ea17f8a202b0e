"""Checks of a network's keyword arguments and of its input batches (provided code).

The student's network classes hold the lesson only; the trainer and ``NetworkUser`` check what
they pass in, by the course's naming conventions: ``*_shape`` and ``num_classes`` are sizes,
``*_shapes`` lists of sizes, ``*_func`` activation classes, ``dropout`` a probability.
"""

from __future__ import annotations

from utils.internals.checks import (
    check_activation,
    check_flat_batch,
    check_layer_sizes,
    check_positive_int,
    check_probability,
)
from utils.internals.errors import ArgumentTypeError


def check_network_params(network_class, network_params):
    """``network_params`` as a dict, each value checked by what its name says it is."""
    if not isinstance(network_params, dict):
        raise ArgumentTypeError(
            f"network_params must be a dict of {network_class.__name__}'s keyword arguments, "
            f"e.g. {{'hidden_shape': 500}}; got {network_params!r}.")
    for name, value in network_params.items():
        if name.endswith("_shapes"):
            check_layer_sizes(name, value)
        elif name.endswith("_shape") or name == "num_classes":
            check_positive_int(name, value)
        elif name.endswith("_func"):
            check_activation(name, value, allow_none=True)
        elif name == "dropout":
            check_probability(name, value)
    return network_params


def guard_input_shape(model, network_params):
    """Make ``model`` refuse batches that are not ``(batch, input_shape)`` with a clear message."""
    input_shape = network_params.get("input_shape")
    if isinstance(input_shape, int):
        model.register_forward_pre_hook(lambda _module, args: check_flat_batch(args[0], input_shape) if args else None)
    return model
