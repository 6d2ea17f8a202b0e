"""The errors this course raises on purpose (provided code).

Each one says what went wrong and how to fix it, so the command-line scripts print it as one
clean line instead of a traceback. Anything else that goes wrong is a real bug and keeps its
traceback, with the file and line where it happened.
"""


class CourseError(Exception):
    """Base class: an expected problem whose message already names the fix."""


class ArgumentError(CourseError, ValueError):
    """An argument with a value that cannot work (a size of 0, an unknown name, ...)."""


class ArgumentTypeError(CourseError, TypeError):
    """An argument of the wrong kind (a string where a number belongs, an instance for a class, ...)."""


class RunError(CourseError, RuntimeError):
    """A run folder that is missing, damaged, or does not match what is asked of it."""


class TrainingStopped(CourseError, RuntimeError):
    """Training ended early (diverged or interrupted); what was good so far is in ``run_folder``."""

    def __init__(self, message, run_folder=None):
        super().__init__(message)
        self.run_folder = run_folder


class DataError(CourseError, RuntimeError):
    """MNIST is missing or cannot be read, or a batch holds values a network cannot use."""


class HandwritingError(CourseError, ValueError):
    """An image that cannot be read as a digit: unreadable, empty, or of an unusable shape."""
