"""Fuzzing: whatever array reaches prepare_digit, it returns a 28x28 image or a HandwritingError."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from handwriting import HandwritingError, prepare_digit

DTYPES = st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_])
SHAPES = st.one_of(
    st.tuples(st.integers(1, 120), st.integers(1, 120)),
    st.tuples(st.integers(1, 60), st.integers(1, 60), st.sampled_from([1, 3, 4])),
    st.tuples(st.integers(0, 5)),
)


def check(image):
    try:
        prepared = prepare_digit(image)
    except HandwritingError:
        return
    assert isinstance(prepared, torch.Tensor) and prepared.shape == (28, 28)
    assert torch.isfinite(prepared).all()
    assert 0.0 <= float(prepared.min()) and float(prepared.max()) <= 1.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(DTYPES, SHAPES))
def test_random_arrays(image):
    check(image)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.integers(1, 200), st.floats(-1e6, 1e6, allow_nan=False))
def test_blank_images_of_any_size_and_value(height, width, value):
    with pytest.raises(HandwritingError):
        prepare_digit(np.full((height, width), value))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(0, 299), st.integers(0, 299))
def test_a_single_dot_anywhere(height, width, row, col):
    image = np.zeros((height, width))
    image[row % height, col % width] = 1.0
    check(image)
