"""This assignment's fixtures: its student modules and real MNIST through the student's loader.

Which implementation is checked, the subtask markers and the progress table come from the
generic plugins ``tests/course_checks.py`` and ``tests/progress_report.py``.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("course_checks")
from course_checks import (  # noqa: E402, F401 - tests import these from conftest
    HIDDEN_CHECKS,
    REPO_ROOT,
    SOLUTIONS,
    STUDENT_MODULES,
    DoesNotLoad,
    StudentModule,
    load_student_module,
    only_from,
    subtasks_of,
)

pytest_plugins = ["course_checks", "progress_report"]


@pytest.fixture(scope="session")
def main_module():
    """The main script (01_main.py) of the implementation under test."""
    return StudentModule("01_main")


@pytest.fixture(scope="session")
def fnn():
    return StudentModule("fnn")


@pytest.fixture(scope="session")
def trainer_module():
    return StudentModule("utils.network_trainer")


class LazyMnistLoader:
    """Real MNIST through the DataLoaderFNN under test (80/20, batches of 100, seed 0), made on first use."""

    def __init__(self):
        self._loader = None

    def _get(self):
        if self._loader is None:
            self._loader = load_student_module("fnn").DataLoaderFNN(verbose=False)
        return self._loader

    def __call__(self, split):
        return self._get()(split)

    def __getattr__(self, attribute):
        return getattr(self._get(), attribute)


@pytest.fixture(scope="session")
def mnist_loader():
    return LazyMnistLoader()
