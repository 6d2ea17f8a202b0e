"""Statistics of a list of numbers.

Core: 1a ``mean_of``, 1b ``standardise``. Bonus: a ``median_of``.
"""


def mean_of(numbers):
    """The arithmetic mean of ``numbers``.

    Parameters
    ----------
    numbers : list of float
        At least one number.

    Returns
    -------
    float
    """
    # TODO 1a: return the mean of numbers: their sum divided by how many there are.
    ### BEGIN SOLUTION
    total = sum(numbers)
    return total / len(numbers)
    ### END SOLUTION


def standardise(numbers):
    """``numbers`` shifted and scaled to mean 0 and standard deviation 1.

    Parameters
    ----------
    numbers : list of float
        At least two numbers, not all equal.

    Returns
    -------
    list of float
        ``(x - mean) / spread`` for each ``x``, in order; ``spread`` is the population standard
        deviation (the mean of the squared deviations, then its square root).

    Raises
    ------
    ValueError
        When all numbers are equal: there is no spread to divide by.
    """
    mean = mean_of(numbers)
    # TODO 1b: the spread of numbers about mean (population standard deviation: divide by n, not
    #          n - 1), then each number minus mean, divided by the spread. No spread: ValueError.
    ### BEGIN SOLUTION
    spread = mean_of([(x - mean) ** 2 for x in numbers]) ** 0.5
    if spread == 0:
        raise ValueError("all numbers are equal: no spread to divide by")
    return [(x - mean) / spread for x in numbers]
    ### END SOLUTION


# Bonus a: the median ------------------------------------------------------------------------
def median_of(numbers):
    """The middle value of ``numbers``.

    Parameters
    ----------
    numbers : list of float
        At least one number, in any order.

    Returns
    -------
    float
        The middle number once sorted; for an even count, the mean of the two middle ones.
    """
    # TODO bonus_a: return the middle number of numbers in sorted order; for an even count, the
    #               mean of the two middle ones.
    ### BEGIN SOLUTION
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
    ### END SOLUTION


if __name__ == "__main__":
    sample = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    print(f"mean {mean_of(sample)}, standardised {standardise(sample)}")
