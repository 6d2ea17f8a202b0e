"""How the subtask tests explain a failure: what was expected, what came, and hints in steps.

A raw error of a common mistake (``TypeError: ReLU is not a Module subclass``) says little to
someone who has just started with PyTorch. ``explain`` turns such errors into a failed check
that says what the test expected, which error came, and, where a common mistake explains it, a
hint in the words of the task. The traceback is kept, so the progress table still points at the
line of your code where it went wrong.

Each test file also keeps, in one table ``HINTS``, three steps of hints per subtask: the idea
(shown with every failure that has no hint of its own), then, on request
(``python -m pytest -m task3c --hint 2``, and 3), the given name or torch function to use, then
the shape of the code with blanks. No step writes out a line of the solution.
"""

from __future__ import annotations

import re
from typing import NamedTuple

LEVELS = (1, 2, 3)


class Steps(NamedTuple):
    """The three hints of one subtask, from the idea to the shape of the code."""

    idea: str    # 1: what to achieve, in the sheet's words
    names: str   # 2: which given name or torch function does it
    shape: str   # 3: the shape of the code, with blanks (___) where the student's part goes

    def level(self, number):
        return self[number - 1]


def _hint_of(hint):
    """A case's hint: a plain string (level 1), or a ``Steps`` whose idea is shown."""
    return hint.idea if isinstance(hint, Steps) else hint


class explain:  # noqa: N801 - used as `with explain(...)`, like a function
    """``with explain("what is expected", (ErrorType, "regex of its message", "hint"), ...):``

    Errors of the listed types whose message matches get their hint (a string: the level-1 hint
    of that mistake); other errors are still reported with what was expected. Unfinished TODOs
    and failed checks pass through unchanged.
    """

    def __init__(self, expected, *cases):
        self.expected, self.cases = expected, cases

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or isinstance(error, (AssertionError, KeyboardInterrupt)):
            return False
        if isinstance(error, NotImplementedError) and str(error).startswith("TODO "):
            return False  # a TODO not done yet: the progress table says "not started"
        if type(error).__name__ == "DoesNotLoad":
            return False
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        hint = next((_hint_of(hint) for kinds, pattern, hint in self.cases
                     if isinstance(error, kinds) and re.search(pattern, str(error))), None)
        message = f"expected {self.expected}; got {type(error).__name__}: {text}"
        if hint:
            message += f"\nhint: {hint}"
        raise AssertionError(message).with_traceback(traceback) from None
