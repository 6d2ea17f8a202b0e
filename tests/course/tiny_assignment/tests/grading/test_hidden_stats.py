"""Hidden checks of stats.py (never released): other numbers than the public checks use."""

import sys
from pathlib import Path

import pytest

# Beside the public checks: `hints` and their HINTS table (pytest puts only this folder on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "subtasks"))
from hints import explain  # noqa: E402
from test_stats import HINTS, numbers, reference_mean  # noqa: E402, F401 - HINTS: the public checks' hints


@pytest.mark.task1a
@pytest.mark.parametrize("values", [[7.5], [-3, -1, -2], numbers(3, 50)], ids=["one", "negative", "fifty"])
def test_hidden_1a_mean_of(stats, values):
    with explain(f"the mean of {len(values)} number(s)"):
        got = stats.mean_of(values)
    assert got == pytest.approx(reference_mean(values)), f"expected {reference_mean(values):.4f}, got {got!r}"


@pytest.mark.task1b
def test_hidden_1b_two_numbers_become_minus_one_and_one(stats):
    with explain("standardise([0, 10]) to return [-1, 1]"):
        got = stats.standardise([0, 10])
    assert got == pytest.approx([-1, 1]), f"expected [-1.0, 1.0], got {got!r}"


@pytest.mark.bonus_a
@pytest.mark.parametrize("values, median", [([5], 5), ([9, -1, 4, 0, 2, 8], 3.0), ([1, 1, 2, 3, 3], 2)])
def test_hidden_bonus_a_median_of(stats, values, median):
    with explain(f"median_of({values}) to return {median}"):
        got = stats.median_of(values)
    assert got == pytest.approx(median), f"expected median_of({values}) == {median}, got {got!r}"
