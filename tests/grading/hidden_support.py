"""What the hidden checks share with the public ones (tests/subtasks/): ``hints`` and the HINTS tables.

The hidden checks sit in tests/grading/, which pytest does not put on ``sys.path`` before
tests/subtasks/; this module does, so ``from hints import explain`` and ``from test_task2_network
import HINTS`` work in the course repository and in a grading sandbox alike. A hidden test file
imports it first. It is not a conftest.py on purpose: a second module named ``conftest`` would
replace tests/conftest.py in ``sys.modules``, which the public checks import from.
"""

import sys
from pathlib import Path

SUBTASK_TESTS = Path(__file__).resolve().parents[1] / "subtasks"
if str(SUBTASK_TESTS) not in sys.path:
    sys.path.insert(0, str(SUBTASK_TESTS))


def rounded(values, digits=3):
    """A short, readable list of the first few numbers of a tensor or list."""
    return [round(float(value), digits) for value in list(values)[:4]]
