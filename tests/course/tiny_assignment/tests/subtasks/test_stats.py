"""Checks of stats.py: 1a ``mean_of``, 1b ``standardise``, bonus a ``median_of``, on numbers made here."""

import random

import pytest
from hints import Steps, explain

HINTS = {
    "1a": Steps("the mean is the sum of the numbers divided by how many numbers there are",
                "Python's built-in sum() and len()",
                "return ___(numbers) / ___"),
    "1b": Steps("subtract the mean from each number, then divide by the spread (population standard deviation)",
                "mean_of (your 1a) for the mean and for the mean of the squared deviations; ** 0.5 for the root",
                "spread = mean_of([___ for x in numbers]) ** 0.5  /  return [___ for x in numbers]"),
    "bonus_a": Steps("sort the numbers; the median is the middle one, or the mean of the two middle ones",
                     "sorted(), len(numbers) // 2 and len(numbers) % 2",
                     "ordered = sorted(numbers)  /  middle = ___  /  if ___: return ordered[middle]"),
}


def numbers(seed, count):
    """``count`` reproducible numbers between -5 and 5."""
    generator = random.Random(seed)
    return [generator.uniform(-5, 5) for _ in range(count)]


def reference_mean(values):
    return sum(values) / len(values)


@pytest.mark.task1a
def test_mean_of_one_to_four_is_two_and_a_half(stats):
    with explain("mean_of([1, 2, 3, 4]) to return 2.5"):
        got = stats.mean_of([1, 2, 3, 4])
    assert got == pytest.approx(2.5), f"expected mean_of([1, 2, 3, 4]) == 2.5, got {got!r}"


@pytest.mark.task1a
def test_mean_of_random_numbers(stats):
    values = numbers(1, 7)
    with explain("the mean of seven numbers"):
        got = stats.mean_of(values)
    assert got == pytest.approx(reference_mean(values)), (
        f"expected the mean of seven numbers, {reference_mean(values):.4f}, got {got!r}")


@pytest.mark.task1b
def test_standardise_one_to_five(stats):
    with explain("standardise([1, 2, 3, 4, 5]) to return five numbers"):
        got = stats.standardise([1, 2, 3, 4, 5])
    spread = 2 ** 0.5
    expected = [(x - 3) / spread for x in (1, 2, 3, 4, 5)]
    assert got == pytest.approx(expected), f"expected {[round(x, 4) for x in expected]}, got {got!r}"


@pytest.mark.task1b
def test_standardised_numbers_have_mean_zero_and_spread_one(stats):
    values = numbers(2, 9)
    with explain("standardise of nine numbers"):
        got = stats.standardise(values)
    assert len(got) == len(values), f"expected one number per input, got {len(got)} for {len(values)}"
    mean = reference_mean(got)
    spread = reference_mean([(x - mean) ** 2 for x in got]) ** 0.5
    assert mean == pytest.approx(0, abs=1e-9), f"expected mean 0 after standardising, got {mean:.4f}"
    assert spread == pytest.approx(1), f"expected spread 1 after standardising, got {spread:.4f}"


@pytest.mark.task1b
def test_standardise_refuses_equal_numbers(stats):
    with pytest.raises(ValueError):
        stats.standardise([2.0, 2.0, 2.0])


@pytest.mark.bonus_a
def test_median_of_an_odd_and_an_even_count(stats):
    with explain("median_of([3, 1, 2]) to return 2"):
        odd = stats.median_of([3, 1, 2])
    assert odd == 2, f"expected median_of([3, 1, 2]) == 2, got {odd!r}"
    with explain("median_of([4, 1, 3, 2]) to return 2.5"):
        even = stats.median_of([4, 1, 3, 2])
    assert even == pytest.approx(2.5), f"expected median_of([4, 1, 3, 2]) == 2.5, got {even!r}"
